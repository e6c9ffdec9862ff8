"""A resident who texts faster than 10 a minute (say, in the middle of a REPORT) gets one "please wait a moment" on the
first text over the limit, and nothing is lost: when the minute's window opens, one text quotes what was not read and
asks for it again, and the report goes on from where it was."""

from __future__ import annotations

import datetime as dt
import time

from rq.job import Job
from sqlmodel import select

from core.defaults import SMS_INBOUND_PER_MINUTE
from core.worker import queue
from messaging.models import SmsOptOut, SmsOutbound
from tests.conftest import run_jobs
from tests.helpers import Texter

WAIT = ("You're texting faster than we can answer. Please wait a moment: in a minute we'll text you which messages to "
        "send again.")


def run_when_due(settings, redis) -> list[float]:
    """The worker's scheduler at the moment the window opens: every scheduled job is queued, then run. Returns how
    many seconds from now each was due."""
    jobs = queue(redis)
    registry = jobs.scheduled_job_registry
    due = []
    for job_id in registry.get_job_ids():
        job = Job.fetch(job_id, connection=redis)
        due.append(registry.get_scheduled_time(job).timestamp() - time.time())
        registry.remove(job)
        jobs.enqueue_job(job)
    run_jobs(settings, redis)
    return due


def test_texting_fast_in_a_report_is_told_once_and_what_was_not_read_is_asked_again(app, settings, redis, clock,
                                                                                    twilio_api):
    texter = Texter(app)
    assert "What kind of problem?" in texter.send("REPORT")
    for n in range(SMS_INBOUND_PER_MINUTE - 2):
        texter.send("MENU" if n % 2 else "REPORT")  # a resident fumbling: still under the limit
    assert "What kind of problem?" in texter.send("REPORT")  # the 10th text this minute: answered
    assert texter.send("pothole") == WAIT  # the 11th: one "please wait a moment", and the text kept
    assert texter.send("5th and Main") is None  # the 12th: kept in silence (no second "wait")
    assert twilio_api.messages() == []
    clock.now = clock.now + dt.timedelta(minutes=1)
    [job_id] = queue(redis).scheduled_job_registry.get_job_ids()
    assert texter.phone not in Job.fetch(job_id, connection=redis).description  # rq logs it: no number there
    [due] = run_when_due(settings, redis)
    assert 50 < due <= 61  # queued for the moment the window opens
    [told] = twilio_api.messages()
    assert told["To"] == texter.phone
    assert told["Body"] == ("Springfield 311: these texts came too quickly for us to read: “pothole”, “5th and Main”. "
                            "Please send them again now.")
    # The conversation waited where it was: sent again, the report goes on.
    assert "Where is it?" in texter.send("pothole")
    assert "I found 5th Street and Main Street. Is that right?" in texter.send("5th and Main")  # on the city map
    assert run_when_due(settings, redis) == [] and len(twilio_api.messages()) == 1  # told once


def test_the_texts_kept_are_not_sent_back_to_a_resident_who_said_stop(app, session, settings, redis, clock,
                                                                       twilio_api):
    texter = Texter(app)
    for _ in range(SMS_INBOUND_PER_MINUTE):
        texter.send("when does the library close?")
    assert texter.send("and on sunday?") == WAIT
    session.add(SmsOptOut(phone=texter.phone, opted_out=True, source="STOP"))
    session.commit()
    run_when_due(settings, redis)
    assert twilio_api.messages() == []
    assert [row.status for row in session.exec(select(SmsOutbound).where(SmsOutbound.kind == "sms_held"))] == [
        "opted_out"
    ]


def test_the_days_limit_is_refused_once_and_not_kept(app, settings, redis, clock, twilio_api, monkeypatch):
    from sms import limits

    monkeypatch.setattr(limits, "SMS_INBOUND_PER_DAY", 2)
    texter = Texter(app)
    texter.send("hello")
    clock.now = clock.now + dt.timedelta(minutes=1)
    texter.send("hello")
    clock.now = clock.now + dt.timedelta(minutes=1)
    assert texter.send("hello") == "You're texting faster than we can answer. Please wait a minute and try again."
    assert texter.send("hello") is None
    assert run_when_due(settings, redis) == [] and twilio_api.messages() == []
