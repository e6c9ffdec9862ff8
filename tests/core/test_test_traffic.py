"""Test traffic: a webhook carrying the runner's mark is recorded as its run's and played at its simulated time; a
mark made without the auth token, or lifted onto another request, counts for nothing (the caller is a resident)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlmodel import select

from core import test_traffic
from core.test_traffic import TrafficMark
from ivr.models import Call
from tests.helpers import AUTH_TOKEN, sign

SUNDAY = dt.datetime(2026, 11, 22, 16, 0, tzinfo=dt.UTC)  # 10 a.m. in Chicago, no agents on Sundays


def incoming(app, sid: str, mark: str | None):
    form = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": "+13125550147", "To": "+15555550311",
            "CallStatus": "ringing", "Direction": "inbound"}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign("/voice/incoming", form)}
    if mark is not None:
        headers[test_traffic.HEADER] = mark
    return app.post("/voice/incoming", content=urlencode(form), headers=headers)


def signature_of(sid: str) -> str:
    form = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": "+13125550147", "To": "+15555550311",
            "CallStatus": "ringing", "Direction": "inbound"}
    return sign("/voice/incoming", form)


def test_a_marked_call_is_its_runs_and_starts_at_its_simulated_time(app, session, drain):
    sid = "CA" + "a" * 32
    mark = test_traffic.header_value(AUTH_TOKEN, signature_of(sid), TrafficMark("scenarios-abc", SUNDAY))
    response = incoming(app, sid, mark)
    assert response.status_code == 200
    drain()  # the call's records are written behind, by another task: they keep the run and time of their webhook
    call = session.exec(select(Call).where(Call.call_sid == sid)).one()
    assert call.test_run == "scenarios-abc"
    assert call.started_at == SUNDAY  # not the app's clock (a Tuesday)


def test_a_forged_or_lifted_mark_leaves_the_caller_a_resident(app, session, drain):
    forged_sid, lifted_sid, other_sid = "CA" + "b" * 32, "CA" + "c" * 32, "CA" + "d" * 32
    forged = test_traffic.header_value("not-our-token", signature_of(forged_sid), TrafficMark("scenarios-abc", SUNDAY))
    lifted = test_traffic.header_value(AUTH_TOKEN, signature_of(other_sid), TrafficMark("scenarios-abc", SUNDAY))
    for sid, mark in ((forged_sid, forged), (lifted_sid, lifted), ("CA" + "e" * 32, "run=x;at=-;mac=00")):
        response = incoming(app, sid, mark)
        assert response.status_code == 200  # still answered: a resident's call
        drain()
        call = session.exec(select(Call).where(Call.call_sid == sid)).one()
        assert call.test_run is None and call.started_at != SUNDAY


def test_the_mark_reads_back_only_with_the_token_and_signature_it_was_made_for():
    mark = TrafficMark("scenarios-1", SUNDAY)
    value = test_traffic.header_value(AUTH_TOKEN, "sig", mark)
    assert test_traffic.read(AUTH_TOKEN, "sig", value) == mark
    assert test_traffic.read(AUTH_TOKEN, "other", value) is None
    assert test_traffic.read("other", "sig", value) is None
    assert test_traffic.read(AUTH_TOKEN, "sig", value.replace("scenarios-1", "scenarios-2")) is None
    real_time = test_traffic.header_value(AUTH_TOKEN, "sig", TrafficMark("r"))
    assert test_traffic.read(AUTH_TOKEN, "sig", real_time) == TrafficMark("r", None)


def text(app, body: str, sid: str, run: str | None):
    form = {"MessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": "+13125550147", "To": "+15555550311",
            "Body": body, "NumMedia": "0"}
    signature = sign("/sms/incoming", form)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    if run is not None:
        headers[test_traffic.HEADER] = test_traffic.header_value(AUTH_TOKEN, signature, TrafficMark(run, SUNDAY))
    return app.post("/sms/incoming", content=urlencode(form), headers=headers).text


def test_a_number_a_new_run_reuses_starts_afresh_not_in_the_last_runs_language(app):
    assert "en español" in text(app, "ESPAÑOL", "SM" + "1" * 32, "scenarios-one")
    assert "¿Qué tipo de problema?" in text(app, "REPORTE", "SM" + "2" * 32, "scenarios-one")
    # The next run's resident with the same number texts in English and is answered in English, from the start.
    assert "What kind of problem?" in text(app, "REPORT", "SM" + "3" * 32, "scenarios-two")
    assert "What kind of problem?" in text(app, "REPORT", "SM" + "4" * 32, None)  # nor does a resident inherit it
