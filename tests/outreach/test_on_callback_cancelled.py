"""A call-back cancelled by staff (console page or API) is texted to its resident once, through the outbound guards
(STOP, allowed numbers); a resident who cancelled themselves is not; and a call-back the service gave up on after
its tries texts the resident the same way (outreach.on_callback_failed)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from callbacks import service
from console.models import Role
from core.db import in_session
from messaging.models import SmsOptOut, SmsOutbound
from tests.callbacks.builders import ANA, agent_dials_in, attempts, call_status, callbacks, dispatch
from tests.conftest import run_jobs
from tests.console.browser_session import signed_in
from tests.console.test_callbacks_page import _post, book
from tests.console.test_routes import api_token, auth

RESIDENT = "+13125550147"


def statuses(session) -> list[tuple[str, str]]:
    session.expire_all()
    return [(row.kind, row.status) for row in session.exec(select(SmsOutbound).order_by(SmsOutbound.id)).all()]


def test_cancelling_in_the_console_texts_the_resident_once(app, engine, session, settings, redis, twilio_api):
    signed_in(app, Role.SUPERVISOR, name="ana")
    row = book(engine, RESIDENT, language="es-US")
    assert _post(app, f"/console/callbacks/{row.id}/cancel").status_code == 200
    run_jobs(settings, redis)
    [text] = twilio_api.messages()
    assert text["To"] == RESIDENT and text["From"] == settings.numbers[0]
    assert text["Body"].startswith("311 de Springfield: nuestro personal canceló su llamada de regreso.")
    assert "555-555-0311" in text["Body"] and "LLÁMENME" in text["Body"]
    assert _post(app, f"/console/callbacks/{row.id}/cancel").status_code == 404  # no second cancel, no second text
    run_jobs(settings, redis)
    assert len(twilio_api.messages()) == 1 and statuses(session) == [("callback_cancelled", "sent")]


def test_the_api_cancel_texts_too_but_never_a_resident_who_said_stop(app, engine, session, settings, redis,
                                                                      twilio_api):
    session.add(SmsOptOut(phone=RESIDENT, opted_out=True, source="STOP"))
    session.commit()
    row = book(engine, RESIDENT)
    assert app.post(f"/api/callbacks/{row.id}/cancel", headers=auth(api_token(app))).status_code == 200
    run_jobs(settings, redis)
    assert twilio_api.messages() == [] and statuses(session) == [("callback_cancelled", "opted_out")]


def test_a_resident_who_cancels_is_not_texted_about_it(app, engine, session, settings, redis, twilio_api):
    row = book(engine, RESIDENT)
    in_session(engine, service.cancel, callback_id=row.id, actor="resident", now=row.created_at)
    run_jobs(settings, redis)
    assert twilio_api.messages() == [] and statuses(session) == []


def test_a_call_back_failed_after_its_tries_texts_no_resident_who_said_stop(
    app, engine, session, settings, redis, clock, twilio_api
):
    """The service's own give-up texts through the same guards (the texted case: test_callback_dispatch)."""
    session.add(SmsOptOut(phone=RESIDENT, opted_out=True, source="STOP"))
    session.commit()
    book(engine, RESIDENT, hours=0)
    for attempt in range(settings.callbacks.retries + 1):
        agent_dials_in(app, ANA)
        dispatch(settings, redis)
        call_status(app, twilio_api.calls()[attempt], attempts(engine)[attempt].call_sid, "no-answer")
        clock.now = clock.now + dt.timedelta(minutes=settings.callbacks.retry_minutes)
    run_jobs(settings, redis)
    assert [c.status for c in callbacks(engine)] == ["failed"]
    assert twilio_api.messages() == [] and statuses(session) == [("callback_failed", "opted_out")]
