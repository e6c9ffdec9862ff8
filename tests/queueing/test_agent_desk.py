"""Each agent's desk, written by the agent line: signed in, waiting, ringing a call-back, on a call with the caller's
details, wrap-up; handled calls and handle time counted on the city's day; signed out when their call ends."""

from __future__ import annotations

import datetime as dt

from queueing.agent_desk import AgentDesks, DeskState, city_day
from tests.callbacks.builders import ANA, agent_dials_in, agent_takes, answer, attempts, keep_my_place
from tests.conftest import run_jobs, running_app
from tests.helpers import twilio_post
from tests.outreach.test_callback_dispatch import eager, press_1


def desk(app, name: str = "Ana"):
    ctx = app.app.state.ctx
    return app.portal.call(lambda: AgentDesks(ctx.redis).read(name))


def handled(app) -> dict:
    ctx = app.app.state.ctx
    return app.portal.call(lambda: AgentDesks(ctx.redis).handled(city_day(ctx.now(), ctx.settings.timezone)))


def test_a_call_back_rings_then_pops_with_its_number_and_counts_when_the_line_ends(settings, engine, redis, clock,
                                                                                   twilio_api):
    config = eager(settings)
    with running_app(config, clock) as app:
        assert desk(app).state is DeskState.SIGNED_OUT
        keep_my_place(app, waited=200, phone="+13125550148")
        ana, _ = agent_dials_in(app, ANA)
        assert desk(app).state is DeskState.RINGING and desk(app).line_sid == ana
        run_jobs(config, redis)
        [placed] = twilio_api.calls()
        call_sid = attempts(engine)[0].call_sid
        press_1(app, answer(app, placed, call_sid), placed, call_sid)
        agent_dials_in(app, ANA, sid=ana)
        agent_takes(app, ana, call_sid, "311-callbacks", waited=5)
        on = desk(app)
        assert on.state is DeskState.ON_CALL and on.caller.call_sid == call_sid
        assert on.caller.callback_id is not None and on.caller.phone == "+13125550148"
        clock.now += dt.timedelta(seconds=90)
        twilio_post(app, "/voice/status", {"CallSid": ana, "AccountSid": "AC" + "1" * 32, "From": ANA,
                                           "CallStatus": "completed", "CallDuration": "300"})
        gone = desk(app)
        assert gone.caller.ended_at is not None and gone.caller.call_sid == call_sid  # still on the page
        assert handled(app) == {"Ana": (1, 90)}
        assert app.portal.call(lambda: AgentDesks(app.app.state.ctx.redis).on_line()) == set()
