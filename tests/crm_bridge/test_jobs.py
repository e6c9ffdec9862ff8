"""Delivering the outbox to a CRM (OneCall's own Open311, in a second process) through rq: outages lose nothing,
nothing is sent twice, closes come back."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

import httpx
import pytest
from rq.cron import CronScheduler
from rq.job import Job, JobStatus
from sqlmodel import select
from starlette.testclient import TestClient

from app import create_app, schedule
from core import text_rules
from core.defaults import CRM_REQUEST_SECONDS, CRM_TICKET_LOCK_SECONDS, JOB_RETRY_INTERVALS
from core.worker import configure, queue
from crm_bridge import jobs
from crm_bridge.adapters import open311 as open311_adapter
from crm_bridge.models import CrmDelivery, Ticket, TicketEvent
from crm_bridge.service import get_ticket, history
from outreach import on_ticket_closed
from tests.conftest import run_jobs
from tests.crm_bridge.builders import make_ticket
from tests.crm_bridge.open311_servers import elapse, run_due_retries, start_worker


@pytest.fixture
def crm_settings(settings, remote, proxy):
    """Our settings with the Open311 adapter pointed (through the proxy) at the city's CRM."""
    return dataclasses.replace(
        settings, crm_adapter="open311", crm_open311_endpoint=proxy.url, crm_open311_api_key=remote.api_key
    )


@pytest.fixture
def closed_hook(session):
    """The tickets the CRM closed, one id per recorded close: the record outreach.on_ticket_closed acts on."""

    class Closed(list):
        def __eq__(self, other):
            return sorted(self.now()) == sorted(other)

        def now(self) -> list[int]:
            session.expire_all()
            events = session.exec(select(TicketEvent).where(TicketEvent.status == "closed")).all()
            return [e.ticket_id for e in events]

    return Closed()


def open_ticket(session, settings, **fields) -> Ticket:
    """A ticket with an outbox row, at an address and with a description no other test uses."""
    tag = uuid.uuid4().hex[:10]
    fields = {"address": f"{int(tag[:6], 16)} Job Street", "description": f"hole {tag}", **fields}
    return make_ticket(session, settings, deliver=True, **fields)


def delivery(session, ticket: Ticket) -> CrmDelivery:
    session.expire_all()
    return session.exec(select(CrmDelivery).where(CrmDelivery.ticket_id == ticket.id)).one()


def test_a_request_posted_to_us_reaches_the_crm_once_and_its_close_comes_back(
    engine, redis, session, remote, proxy, crm_settings, closed_hook
):
    ours = dataclasses.replace(crm_settings, open311_api_keys=("ours",))
    application = create_app(ours)
    with TestClient(application) as client:
        form = {
            "api_key": "ours",
            "service_code": "pothole",
            "address_string": "77 Sunrise Ave",
            "description": f"wheel-eater {uuid.uuid4().hex[:8]}",
            "phone": "3125550147",
        }
        response = client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 201
    ticket = get_ticket(session, number=response.json()[0]["service_request_id"])
    assert delivery(session, ticket).status == "pending"

    run_jobs(ours, redis)  # the job intake queued
    sent = delivery(session, ticket)
    [created] = remote.tickets(form["description"])
    assert (sent.status, sent.attempts, sent.external_id, sent.last_error) == ("delivered", 1, created.number, None)
    assert proxy.posts()[0].form["device_id"] == sent.idempotency_key and created.phone == "+13125550147"
    session.refresh(ticket)
    assert ticket.external_id == created.number

    configure(ours)
    assert jobs.poll_updates() == 0  # still open in the CRM
    remote.close(created.number, "Patched by crew 12.")
    assert jobs.poll_updates() == 1
    session.refresh(ticket)
    assert ticket.status == "closed" and ticket.closing_note == "Patched by crew 12."
    assert [(e.status, e.actor) for e in history(session, ticket=ticket)] == [("open", "open311"), ("closed", "crm")]
    assert closed_hook == [ticket.id]
    assert jobs.poll_updates() == 0 and closed_hook == [ticket.id]  # closed once, announced once


def test_an_outage_through_every_retry_loses_nothing_and_sends_once(
    engine, redis, session, settings, remote, proxy, crm_settings
):
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    proxy.mode = "error"
    assert jobs.reconcile_outbox() == 1
    run_jobs(crm_settings, redis)
    pending = delivery(session, ticket)
    assert (pending.status, pending.attempts) == ("pending", 1) and "HTTP 500" in pending.last_error
    assert jobs.reconcile_outbox() == 0  # its job waits out the back-off; no second one

    while run_due_retries(redis):  # hours pass: 10 s, 30 s, 1 min, 5 min, 15 min
        run_jobs(crm_settings, redis)
    pending = delivery(session, ticket)
    assert (pending.status, pending.attempts) == ("pending", 6)
    job = Job.fetch(jobs.deliver_job_id(ticket.id), connection=redis)
    assert job.get_status() == JobStatus.FAILED
    assert remote.tickets(ticket.description) == []

    proxy.mode = "pass"  # the CRM is back; the periodic reconcile picks the ticket up again
    assert jobs.reconcile_outbox() == 1
    run_jobs(crm_settings, redis)
    done = delivery(session, ticket)
    assert (done.status, done.attempts, done.last_error) == ("delivered", 7, None)
    assert len(remote.tickets(ticket.description)) == 1 and len(proxy.posts()) == 7
    assert proxy.lookups() == []  # a 500 is an answer: nothing was created, so nothing to look up
    assert jobs.reconcile_outbox() == 0


def test_a_timeout_after_the_crm_created_it_is_retried_without_a_second_request(
    engine, redis, session, settings, remote, proxy, crm_settings, monkeypatch
):
    monkeypatch.setattr(open311_adapter, "TIMEOUT", httpx.Timeout(0.5))
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    proxy.mode, proxy.stall_seconds = "stall", 1.5
    jobs.reconcile_outbox()
    run_jobs(crm_settings, redis)
    pending = delivery(session, ticket)
    assert (pending.status, pending.attempts, pending.in_doubt) == ("pending", 1, True)
    assert "timed out" in pending.last_error
    [created] = remote.tickets(ticket.description)  # it got there; only the answer was lost

    proxy.mode = "pass"
    assert run_due_retries(redis) == 1
    run_jobs(crm_settings, redis)
    done = delivery(session, ticket)
    assert (done.status, done.external_id, done.in_doubt) == ("delivered", created.number, False)
    assert len(remote.tickets(ticket.description)) == 1
    assert len(proxy.posts()) == 1 and len(proxy.lookups()) == 1  # looked up, found, not sent again


def test_a_crm_that_ignores_device_id_gets_one_request_through_a_lost_answer_and_retries(
    engine, redis, session, settings, remote, proxy, crm_settings, monkeypatch
):
    monkeypatch.setattr(open311_adapter, "TIMEOUT", httpx.Timeout(0.5))
    proxy.ignore_device_id = True  # every POST that reaches this CRM is a new request
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    proxy.mode, proxy.stall_seconds = "stall", 1.5
    jobs.reconcile_outbox()
    run_jobs(crm_settings, redis)  # created, but the answer is lost
    [created] = remote.tickets(ticket.description)
    proxy.mode = "error"
    assert run_due_retries(redis) == 1
    run_jobs(crm_settings, redis)  # the look-up fails too: still in doubt, nothing sent
    pending = delivery(session, ticket)
    assert (pending.status, pending.attempts, pending.in_doubt) == ("pending", 2, True)
    assert len(proxy.posts()) == 1

    proxy.mode = "pass"
    assert run_due_retries(redis) == 1
    run_jobs(crm_settings, redis)
    done = delivery(session, ticket)
    assert (done.status, done.attempts, done.external_id) == ("delivered", 3, created.number)
    assert len(remote.tickets(ticket.description)) == 1 and len(proxy.posts()) == 1
    assert run_due_retries(redis) == 0 and jobs.reconcile_outbox() == 0


def test_the_ticket_lock_outlasts_one_crm_request_and_is_gone_by_the_first_retry():
    timeout = open311_adapter.TIMEOUT
    phases = timeout.connect + timeout.write + timeout.read + timeout.pool
    assert phases <= CRM_REQUEST_SECONDS < CRM_TICKET_LOCK_SECONDS < JOB_RETRY_INTERVALS[0]


def test_a_lock_left_by_a_killed_worker_delays_its_ticket_by_the_first_retry_at_most(
    engine, redis, session, settings, remote, proxy, crm_settings
):
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    lock = jobs.ticket_lock(ticket.id)
    # What a worker killed just after taking the lock leaves behind: the lock, for its whole timeout.
    redis.set(lock, "a-dead-worker's-token", px=int(CRM_TICKET_LOCK_SECONDS * 1000))
    assert jobs.reconcile_outbox() == 1
    run_jobs(crm_settings, redis)
    assert delivery(session, ticket).status == "pending" and proxy.seen == []  # busy: its retry is scheduled

    elapse(redis, JOB_RETRY_INTERVALS[0], lock)  # the first retry interval passes
    assert run_due_retries(redis) == 1
    run_jobs(crm_settings, redis)
    done = delivery(session, ticket)
    assert (done.status, done.attempts) == ("delivered", 1)
    assert len(remote.tickets(ticket.description)) == 1 and len(proxy.posts()) == 1


def test_a_worker_killed_mid_delivery_is_replaced_at_the_next_reconcile_and_the_crm_gets_one_request(
    tmp_path, engine, redis, session, settings, remote, proxy, crm_settings
):
    proxy.ignore_device_id = True  # so only the look-up can stop a second request
    proxy.mode, proxy.stall_seconds = "stall", 20
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    assert jobs.reconcile_outbox() == 1
    worker = start_worker(crm_settings, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not remote.tickets(ticket.description):  # the CRM has created it; its answer is being held
            assert time.monotonic() < deadline and worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.1)
    finally:
        worker.kill()  # SIGKILL, mid-request: no clean-up runs
        worker.wait(timeout=10)
    proxy.mode = "pass"
    job = Job.fetch(jobs.deliver_job_id(ticket.id), connection=redis)
    assert job.get_status() == JobStatus.STARTED and redis.exists(jobs.ticket_lock(ticket.id))
    assert delivery(session, ticket).in_doubt
    assert jobs.reconcile_outbox() == 0  # its lock is held: for all reconcile knows, the worker is busy

    elapse(redis, CRM_TICKET_LOCK_SECONDS, jobs.ticket_lock(ticket.id))  # seconds later, not rq's minutes
    assert jobs.reconcile_outbox() == 1  # started, yet nobody holds the lock: its worker is dead
    run_jobs(crm_settings, redis)
    done = delivery(session, ticket)
    [created] = remote.tickets(ticket.description)
    assert (done.status, done.attempts, done.external_id) == ("delivered", 2, created.number)
    assert len(proxy.posts()) == 1 and jobs.reconcile_outbox() == 0


def test_after_redis_loses_the_queue_reconcile_delivers_from_the_database_once(
    engine, redis, session, settings, remote, proxy, crm_settings
):
    tickets = [open_ticket(session, settings) for _ in range(3)]
    for ticket in tickets:  # the jobs intake queued...
        queue(redis).enqueue(jobs.deliver_ticket, ticket_id=ticket.id)
    redis.flushdb()  # ...are gone: Redis restarted without its data, or a worker died holding them
    configure(crm_settings)
    assert jobs.reconcile_outbox() == 3
    assert jobs.reconcile_outbox() == 0
    run_jobs(crm_settings, redis)
    for ticket in tickets:
        assert delivery(session, ticket).status == "delivered"
        assert len(remote.tickets(ticket.description)) == 1
    assert len(proxy.posts()) == 3


def test_two_workers_never_send_one_ticket_at_the_same_moment(
    engine, redis, session, settings, remote, proxy, crm_settings
):
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    proxy.mode, proxy.stall_seconds = "stall", 0.5  # a slow CRM, well inside the timeout
    ticket_id = ticket.id  # read here: the test's session must not be used from the worker threads
    results: list[str] = []

    def deliver() -> None:
        try:
            results.append(jobs.deliver_ticket(ticket_id=ticket_id))
        except jobs.TicketBusy:
            results.append("busy")  # in rq: retried on the back-off schedule, when it finds the ticket delivered

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["busy", "delivered"]
    # Later duplicates (intake's job and a reconcile's) find it delivered and send nothing.
    queue(redis).enqueue(jobs.deliver_ticket, ticket_id=ticket.id)
    run_jobs(crm_settings, redis)
    assert delivery(session, ticket).attempts == 1
    assert len(proxy.posts()) == 1 and len(remote.tickets(ticket.description)) == 1


def test_a_rejected_ticket_is_marked_failed_and_not_retried(engine, redis, session, settings, remote, crm_settings):
    wrong_key = dataclasses.replace(crm_settings, crm_open311_api_key="not-the-key")
    ticket = open_ticket(session, settings)
    configure(wrong_key)
    jobs.reconcile_outbox()
    run_jobs(wrong_key, redis)
    failed = delivery(session, ticket)
    assert (failed.status, failed.attempts) == ("failed", 1) and "HTTP 403" in failed.last_error
    assert run_due_retries(redis) == 0 and jobs.reconcile_outbox() == 0


def test_tokens_resolve_and_a_close_reaches_the_linked_duplicates(
    engine, redis, session, settings, remote, proxy, crm_settings, closed_hook
):
    original = open_ticket(session, settings)
    duplicate = make_ticket(session, settings, address=original.address)
    assert duplicate.duplicate_of == original.number
    configure(crm_settings)
    assert jobs.deliver_ticket(ticket_id=original.id) == "delivered"
    row = delivery(session, original)
    number = row.external_id
    # A CRM that answers with a token first: the id arrives later, by polling.
    row.token, row.external_id = number, None
    stored = session.get(Ticket, original.id)
    stored.external_id = None
    session.add_all([row, stored])
    session.commit()

    assert jobs.poll_updates() == 0
    assert delivery(session, original).external_id == number
    remote.close(number, "Filled.")
    assert jobs.poll_updates() == 2
    assert closed_hook == [original.id, duplicate.id]
    session.expire_all()
    assert get_ticket(session, number=duplicate.number).status == "closed"


def test_a_crm_outage_during_polling_changes_nothing(
    engine, redis, session, settings, remote, proxy, crm_settings, closed_hook
):
    ticket = open_ticket(session, settings)
    configure(crm_settings)
    jobs.deliver_ticket(ticket_id=ticket.id)
    remote.close(delivery(session, ticket).external_id, "Done.")
    proxy.mode = "error"
    assert jobs.poll_updates() == 0 and closed_hook == []
    proxy.mode = "pass"
    assert jobs.poll_updates() == 1


def test_periodic_jobs_skip_a_run_while_another_scheduler_s_run_holds_the_lock(
    engine, redis, session, settings, remote, proxy, crm_settings
):
    open_ticket(session, settings)
    configure(crm_settings)
    held = redis.lock("crm:cron:reconcile_outbox", timeout=30)
    assert held.acquire(blocking=False)
    assert jobs.reconcile_outbox() == 0
    held.release()
    with redis.lock("crm:cron:poll_updates", timeout=30):
        assert jobs.poll_updates() == 0
    assert proxy.seen == []
    assert jobs.reconcile_outbox() == 1


def test_the_builtin_adapter_delivers_to_our_own_database(engine, redis, session, settings):
    ticket = open_ticket(session, settings)
    configure(settings)
    assert jobs.reconcile_outbox() == 1
    run_jobs(settings, redis)
    done = delivery(session, ticket)
    assert (done.status, done.external_id) == ("delivered", ticket.number)
    assert jobs.poll_updates() == 0


def test_the_cron_schedule(engine, redis, session, settings):
    cron = CronScheduler(connection=redis)
    schedule.register(cron)
    intervals = {job.func_name: job.interval for job in cron.get_jobs()}
    assert intervals == {"crm_bridge.jobs.reconcile_outbox": 60, "crm_bridge.jobs.poll_updates": 120,
                         "outreach.on_ticket_closed.sweep": 30, "outreach.callback_dispatch.dispatch": 15,
                         "outreach.callback_dispatch.reconcile": 60, "outreach.on_callback_failed.sweep": 30,
                         "core.deliveries.prune_job": 3600, "console.watch.watch": 30,
                         "core.write_behind.drain_job": 1}
    ticket = open_ticket(session, settings)
    assert len(cron.enqueue_jobs()) == len(intervals)  # never run yet: all are due at once
    run_jobs(settings, redis)
    assert delivery(session, ticket).status == "delivered"


def test_a_close_from_the_city_crm_texts_the_resident_who_asked(
    engine, redis, session, remote, proxy, crm_settings, twilio_api
):
    ticket = open_ticket(session, crm_settings, notify_on_close=True, phone="+13125550147")
    configure(crm_settings)
    assert jobs.deliver_ticket(ticket_id=ticket.id) == "delivered"
    remote.close(delivery(session, ticket).external_id, "Crew 7 filled it.")
    assert jobs.poll_updates() == 1
    assert on_ticket_closed.sweep() == 1  # the scheduler's sweep acts on the recorded close
    run_jobs(crm_settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and "Crew 7 filled it." in sent["Body"]
    assert jobs.poll_updates() == 0
    assert on_ticket_closed.sweep() == 0
    run_jobs(crm_settings, redis)
    assert len(twilio_api.messages()) == 1


def test_crm_closing_note_with_control_chars_is_cleaned(
    engine, redis, session, remote, proxy, crm_settings, twilio_api
):
    # A machine sent it, so nobody can be asked to retype it: the note is kept without what a text cannot carry.
    ticket = open_ticket(session, crm_settings, notify_on_close=True, phone="+13125550147")
    configure(crm_settings)
    assert jobs.deliver_ticket(ticket_id=ticket.id) == "delivered"
    remote.close(delivery(session, ticket).external_id, "Crew\x07 7 \u202efilled\x1b it.\x0bDone\u200b\x7f")
    assert jobs.poll_updates() == 1
    session.refresh(ticket)
    assert ticket.closing_note == "Crew 7 filled it. Done"
    assert on_ticket_closed.sweep() == 1
    run_jobs(crm_settings, redis)
    [sent] = twilio_api.messages()
    assert "Crew 7 filled it. Done" in sent["Body"] and text_rules.refusal(sent["Body"]) is None
