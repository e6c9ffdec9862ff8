"""Call records written behind: the drain writes many calls' steps in one batch, each call numbered on in order."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import select

from ivr.models import Call, CallStep
from tests.helpers import Caller


def _steps(session, caller: Caller) -> list[int]:
    rows = session.exec(select(CallStep).where(CallStep.call_sid == caller.sid).order_by(CallStep.id)).all()
    return [row.seq for row in rows]


def test_a_batch_of_several_calls_numbers_each_on_from_what_the_database_holds(app, engine, session, drain):
    ana, ben = Caller(app, "+13125550101"), Caller(app, "+13125550102")
    ana.dial()
    ana.say("when is the library open")
    drain()
    before = len(_steps(session, ana))
    looked_up: list[str] = []

    def calls_looked_up(conn, cursor, statement, *_):
        if "FROM ivr_call " in statement:
            looked_up.append(statement)

    event.listen(engine, "before_cursor_execute", calls_looked_up)
    ana.press("1")  # Ana's call is in the database already; Ben's is new
    ben.dial()
    ben.say("when is the library open")
    ben.hang_up()
    drain()
    assert len(looked_up) == 1  # both calls looked up at once, not once each
    session.expire_all()
    assert len(_steps(session, ana)) > before
    assert _steps(session, ana) == list(range(1, len(_steps(session, ana)) + 1))
    assert _steps(session, ben) == list(range(1, len(_steps(session, ben)) + 1))
    assert session.exec(select(Call).where(Call.call_sid == ben.sid)).one().status == "completed"
