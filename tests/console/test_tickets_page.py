"""The tickets pages: filters (overdue included), paging and counts, one ticket's history and recording, a status
change with a note that texts the opted-in resident, duplicates, the audit trail, roles, and hostile text escaped."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session, select

from console import tickets
from console.models import Role
from console.recordings import may_follow
from core.audit import AuditEntry
from crm_bridge.models import Ticket, TicketEvent
from crm_bridge.ticket_numbers import printed
from queueing.models import Voicemail
from settings import ROOT, load_settings
from tests.conftest import run_jobs, running_app
from tests.console.browser_session import csrf_of, signed_in
from tests.console.test_messages_page import ATTRIBUTE_BREAKOUT
from tests.crm_bridge.builders import TUESDAY_MORNING, make_ticket

SCRIPT = "<script>alert('x')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


def _flat(html: str) -> str:
    return " ".join(html.split())


def _numbers(html: str) -> set[str]:
    """The ticket numbers the list shows (each row links its ticket)."""
    return {part[:9] for part in html.split('href="/console/tickets/')[1:]}


def _post(app, number: str, action: str, **fields: str):
    token = csrf_of(app.get(f"/console/tickets/{number}").text)
    return app.post(f"/console/tickets/{number}/{action}", data={"csrf": token, **fields})


def test_filters_by_type_status_dates_address_and_overdue_with_counts(app, session, settings):
    late = make_ticket(session, settings, address="9 Oak Avenue", now=TUESDAY_MORNING - dt.timedelta(days=20))
    closed_late = make_ticket(
        session, settings, service_code="graffiti", address="9 Oak Avenue", now=TUESDAY_MORNING - dt.timedelta(days=20)
    )
    closed_late.status = "closed"
    session.add(closed_late)
    session.commit()
    fresh = make_ticket(session, settings, service_code="streetlight", address="100% Main_Street")
    signed_in(app, Role.SUPERVISOR)
    every = app.get("/console/tickets")
    assert every.status_code == 200 and _numbers(every.text) == {late.number, closed_late.number, fresh.number}
    assert "<strong>3</strong> tickets: 2 open, 1 closed —" in _flat(every.text) and "1 overdue" in every.text
    overdue = app.get("/console/tickets", params={"overdue": "1"})
    assert _numbers(overdue.text) == {late.number}  # a closed ticket past its date is not overdue
    assert _flat(overdue.text).count('class="badge overdue">overdue</span>') == 1
    assert _numbers(app.get("/console/tickets", params={"type": "graffiti"}).text) == {closed_late.number}
    assert _numbers(app.get("/console/tickets", params={"status": "open"}).text) == {late.number, fresh.number}
    oak = app.get("/console/tickets", params={"address": "oak ave"})
    assert _numbers(oak.text) == {late.number, closed_late.number}
    assert _numbers(app.get("/console/tickets", params={"address": "100% main_"}).text) == {fresh.number}
    assert _numbers(app.get("/console/tickets", params={"address": "1_0"}).text) == set()  # _ is no wildcard
    recent = app.get("/console/tickets", params={"from": "2026-11-17", "to": "2026-11-17"})
    assert _numbers(recent.text) == {fresh.number}
    older = app.get("/console/tickets", params={"to": "2026-10-28"})  # the city's day: 20 days before, in Chicago
    assert _numbers(older.text) == {late.number, closed_late.number}
    nothing = app.get("/console/tickets", params={"type": "pothole", "status": "closed"})
    assert "No ticket matches these filters." in nothing.text


def test_filter_mistakes_are_named_and_what_was_typed_is_kept(app, session, settings):
    make_ticket(session, settings)
    signed_in(app, Role.SUPERVISOR)
    shown = app.get(
        "/console/tickets",
        params={"from": "yesterday", "to": "2026-11-01", "type": "dragons", "address": ATTRIBUTE_BREAKOUT},
    )
    assert shown.status_code == 422
    assert "use a date like 2026-11-17" in shown.text and "choose a type from the list" in shown.text
    assert 'value="yesterday"' in shown.text
    assert ATTRIBUTE_BREAKOUT not in shown.text and "&#34; onfocus=&#34;alert(1)&#34;" in shown.text
    backwards = app.get("/console/tickets", params={"from": "2026-11-17", "to": "2026-11-01"})
    assert "the last day is before the first day" in backwards.text


def test_the_list_is_paged_newest_first_and_says_when_empty(app, session, settings):
    signed_in(app, Role.SUPERVISOR)
    assert "No tickets yet." in app.get("/console/tickets").text
    made = [
        make_ticket(session, settings, address=f"{i} Elm Street", now=TUESDAY_MORNING - dt.timedelta(hours=i))
        for i in range(tickets.PAGE_SIZE + 3)
    ]
    first = app.get("/console/tickets", params={"address": "elm"})
    assert len(_numbers(first.text)) == tickets.PAGE_SIZE and made[0].number in _numbers(first.text)
    assert "Page 1 of 2" in first.text and 'rel="next"' in first.text
    second = app.get("/console/tickets", params={"address": "elm", "page": "2"})
    assert _numbers(second.text) == {t.number for t in made[-3:]}  # the filter is kept while paging
    assert "There is no page 7" in app.get("/console/tickets", params={"page": "7"}).text
    for odd in ("²", "9" * 5000, "-3", "x"):  # never an error page: the first page
        assert "Page 1 of 2" in app.get("/console/tickets", params={"address": "elm", "page": odd}).text


def test_a_ticket_shows_its_history_due_date_and_masked_number(app, session, settings):
    ticket = make_ticket(
        session,
        settings,
        phone="+13125550147",
        notify_on_close=True,
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    )
    signed_in(app, Role.SUPERVISOR, name="ana")
    _post(app, ticket.number, "status", status="acknowledged", note="Crew assigned for Thursday.")
    shown = app.get(f"/console/tickets/{ticket.number}")
    text = _flat(shown.text)
    assert f"Ticket {printed(ticket.number)}" in text and "Pothole" in text and "123 Main Street" in text
    assert "+*******0147" in text and "+13125550147" not in shown.text
    history = _flat(shown.text.split('id="history"')[1].split("</table>")[0])
    assert "open" in history and "opened" in history and "voice" in history
    assert "acknowledged" in history and "Crew assigned for Thursday." in history and "ana (console)" in history
    assert '<audio controls preload="none" src="/console/tickets/' in shown.text  # played through the console
    assert app.get("/console/tickets/123456789").status_code == 404


def test_closing_with_a_note_texts_the_resident_who_asked_and_is_audited(app, session, settings, redis, twilio_api):
    ticket = make_ticket(session, settings, phone="+13125550147", notify_on_close=True)
    quiet = make_ticket(session, settings, service_code="graffiti", phone="+13125550148", notify_on_close=False)
    signed_in(app, Role.SUPERVISOR, name="ana")
    closed = _post(app, ticket.number, "status", status="closed", note="Filled the pothole.")
    assert closed.status_code == 200 and "residents who asked to be told are being texted" in closed.text.lower()
    _post(app, quiet.number, "status", status="closed", note="Painted over.")
    run_jobs(settings, redis)
    [sent] = twilio_api.messages()
    assert sent["To"] == "+13125550147" and "Filled the pothole." in sent["Body"]
    assert printed(ticket.number) in sent["Body"]
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.subject == f"ticket:{ticket.number}")).all()
    assert entry.action == "ticket.status" and entry.actor == "ana (console)"
    assert entry.before["status"] == "open" and entry.after == {
        **entry.after,
        "status": "closed",
        "closing_note": "Filled the pothole.",
    }
    assert "0147" not in str(entry.before) + str(entry.after)


def test_status_mistakes_are_named_and_what_was_typed_is_kept(app, session, settings, redis, twilio_api):
    ticket = make_ticket(session, settings, notify_on_close=True)
    signed_in(app, Role.SUPERVISOR)
    no_note = _post(app, ticket.number, "status", status="closed", note="")
    assert no_note.status_code == 422 and "say what was done" in no_note.text
    assert '<option value="closed" selected>' in no_note.text
    same = _post(app, ticket.number, "status", status="open", note="Still here.")
    assert "the ticket is already open" in same.text and ">Still here.</textarea>" in same.text
    long_note = "x" * 1001
    too_long = _post(app, ticket.number, "status", status="in_progress", note=long_note)
    assert "the note is 1001 characters; at most 1000" in too_long.text and long_note in too_long.text
    bogus = _post(app, ticket.number, "status", status="duplicate", note="sneaky")
    assert "choose the new status" in bogus.text
    hidden = _post(app, ticket.number, "status", status="closed", note="Fixed \u202eti dellif\u200b")
    assert hidden.status_code == 422 and "the note contains a text-direction character (U+202E" in hidden.text
    original = make_ticket(session, settings, address="9 Elm Street")
    control = _post(app, ticket.number, "duplicate", original=original.number, duplicate_note="see\x07 other")
    assert control.status_code == 422 and "the note contains a control character (U+0007" in control.text
    run_jobs(settings, redis)
    assert twilio_api.messages() == [] and session.get(Ticket, ticket.id).status == "open"
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.status")).all() == []


def test_a_duplicate_is_linked_checked_recorded_and_told_when_the_original_closes(
    app, session, settings, redis, twilio_api
):
    original = make_ticket(session, settings, phone="+13125550147", notify_on_close=True)
    copy = make_ticket(session, settings, address="77 Pine Street", phone="+13125550148", notify_on_close=True)
    signed_in(app, Role.SUPERVISOR, name="ana")
    wrong = {
        "12345": "nine-digit ticket number, like 123-456-789",
        copy.number: "a ticket cannot be a duplicate of itself",
        "123-456-782": "there is no ticket 123-456-782",
    }
    for typed, problem in wrong.items():
        refused = _post(app, copy.number, "duplicate", original=typed, duplicate_note="same hole")
        assert refused.status_code == 422 and problem in refused.text and f'value="{typed}"' in refused.text
    marked = _post(app, copy.number, "duplicate", original=printed(original.number), duplicate_note="same hole")
    assert "marked as a duplicate" in marked.text and "duplicate of" in _flat(marked.text)
    history = _flat(marked.text.split('id="history"')[1])
    assert f"duplicate of {printed(original.number)}: same hole" in history
    cycle = _post(app, original.number, "duplicate", original=copy.number)
    assert cycle.status_code == 422 and "is already a duplicate of this ticket" in cycle.text
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.duplicate")).all()
    assert entry.before["duplicate_of"] is None and entry.after["duplicate_of"] == original.number
    _post(app, original.number, "status", status="closed", note="Patched.")
    run_jobs(settings, redis)
    assert sorted(m["To"] for m in twilio_api.messages()) == ["+13125550147", "+13125550148"]


def test_a_chain_of_duplicates_points_at_the_first_report(app, session, settings):
    first = make_ticket(session, settings, address="1 Ash Street")
    second = make_ticket(session, settings, address="2 Ash Street")
    third = make_ticket(session, settings, address="3 Ash Street")
    signed_in(app, Role.SUPERVISOR)
    _post(app, third.number, "duplicate", original=second.number)
    _post(app, second.number, "duplicate", original=first.number)  # third moves along with second
    session.expire_all()
    assert session.get(Ticket, third.id).duplicate_of == first.number
    assert session.get(Ticket, second.id).duplicate_of == first.number
    notes = [e.note for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == third.id)).all()]
    assert any(printed(first.number) in note for note in notes)


def test_reading_and_changing_need_a_supervisor_or_admin(app, session, settings):
    ticket = make_ticket(session, settings)
    assert app.get("/console/tickets", follow_redirects=False).status_code == 303  # to sign-in
    for role in (Role.WALLBOARD, Role.CONTENT_EDITOR):
        app.cookies.clear()
        signed_in(app, role)
        for path in ("/console/tickets", f"/console/tickets/{ticket.number}"):
            refused = app.get(path)
            assert refused.status_code == 403 and "role does not allow" in refused.text
        assert 'href="/console/tickets"' not in app.get("/console/live").text
        token = csrf_of(app.get("/console/live").text)
        changed = app.post(
            f"/console/tickets/{ticket.number}/status", data={"csrf": token, "status": "closed", "note": "no"}
        )
        assert changed.status_code == 403
    app.cookies.clear()
    signed_in(app, Role.ADMIN)
    assert 'href="/console/tickets"' in app.get("/console/tickets").text
    forged = app.post(f"/console/tickets/{ticket.number}/status", data={"status": "closed", "note": "x"})
    assert forged.status_code == 403  # no CSRF token
    session.expire_all()
    assert session.get(Ticket, ticket.id).status == "open"


def test_hostile_descriptions_addresses_and_notes_are_shown_as_text(app, session, settings):
    ticket = make_ticket(
        session, settings, address=SCRIPT, description=ATTRIBUTE_BREAKOUT, recording_url="javascript:alert(3)"
    )
    signed_in(app, Role.SUPERVISOR)
    _post(app, ticket.number, "status", status="closed", note=SCRIPT + ATTRIBUTE_BREAKOUT)
    for page in (app.get("/console/tickets").text, app.get(f"/console/tickets/{ticket.number}").text):
        assert SCRIPT not in page and ATTRIBUTE_BREAKOUT not in page and ESCAPED_SCRIPT in page
    detail = app.get(f"/console/tickets/{ticket.number}").text
    assert "javascript:alert(3)" not in detail and "not a web address" in detail
    assert "&#34; onfocus=&#34;alert(1)&#34;" in detail


@contextlib.contextmanager
def recordings_server(audio: bytes, redirects: dict[str, str] | None = None):
    """A stand-in for Twilio's recordings: audio for the right Basic credentials, 401 otherwise, a 302 for the paths
    in `redirects`; records requests."""
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            seen.append((self.path, self.headers.get("Authorization", "")))
            if self.path in (redirects or {}):
                self.send_response(302)
                self.send_header("Location", redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            good = self.headers.get("Authorization", "").startswith("Basic ") and not self.path.endswith("RE404")
            self.send_response(200 if good else 401)
            self.send_header("Content-Type", "audio/x-wav" if good else "text/plain")
            body = audio if good else b"no"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_recording_is_fetched_with_the_accounts_credentials_and_only_from_twilio(env, engine, redis, clock):
    audio = b"RIFF" + bytes(4000)
    with recordings_server(audio) as (base, seen):
        settings = load_settings(ROOT / "config.toml", {**env, "TWILIO_API_BASE_URL": base})
        with running_app(settings, clock) as app:
            path = "/2010-04-01/Accounts/AC1/Recordings/RE1"
            with Session(engine, expire_on_commit=False) as session:
                ours = make_ticket(session, settings, recording_url=f"{base}{path}")
                theirs = make_ticket(
                    session, settings, address="5 Elm Street", recording_url="https://evil.example/steal"
                )
            signed_in(app, Role.SUPERVISOR)
            played = app.get(f"/console/tickets/{ours.number}/recording")
            assert played.status_code == 200 and played.content == audio
            assert played.headers["content-type"] == "audio/x-wav" and played.headers["cache-control"] == "no-store"
            assert seen[0][0] == path
            assert base64.b64decode(seen[0][1][6:]).decode() == f"{settings.account_sid}:{settings.auth_token}"
            assert app.get(f"/console/tickets/{theirs.number}/recording").status_code == 404
            assert len(seen) == 1  # nothing was sent anywhere else
            page = app.get(f"/console/tickets/{theirs.number}").text
            assert 'href="https://evil.example/steal"' in page and "<audio" not in page
            with Session(engine, expire_on_commit=False) as session:
                left = Voicemail(
                    call_sid="CA" + "7" * 32, caller="+13125550147", language="en-US", recording_url=f"{base}{path}"
                )
                gone = Voicemail(
                    call_sid="CA" + "8" * 32,
                    caller="+13125550148",
                    language="en-US",
                    recording_url=f"{base}/2010-04-01/Accounts/AC1/Recordings/RE404",
                )
                session.add_all([left, gone])
                session.commit()
            assert app.get(f"/console/voicemails/{left.id}/recording").content == audio
            failed = app.get(f"/console/voicemails/{gone.id}/recording")
            assert failed.status_code == 502 and "could not be fetched from Twilio" in failed.text


def test_in_development_mode_the_recording_is_linked_not_fetched(env, engine, redis, clock):
    dev_env = {
        k: v for k, v in env.items() if k not in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL")
    }
    settings = load_settings(ROOT / "config.toml", dev_env)
    assert settings.dev_mode
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    with running_app(settings, clock) as app:
        with Session(engine, expire_on_commit=False) as session:
            ticket = make_ticket(session, settings, recording_url=url)
        signed_in(app, Role.SUPERVISOR)
        page = app.get(f"/console/tickets/{ticket.number}").text
        assert f'href="{url}"' in page and "<audio" not in page
        assert app.get(f"/console/tickets/{ticket.number}/recording").status_code == 404


def test_recording_proxy_does_not_follow_redirects_off_twilio(env, engine, redis, clock):
    audio = b"RIFF" + bytes(2000)
    recording = "/2010-04-01/Accounts/AC1/Recordings/RE1"
    with recordings_server(audio) as (elsewhere, stolen):
        redirects = {
            "/2010-04-01/Accounts/AC1/Recordings/RE2": f"{elsewhere}{recording}",  # off Twilio: refused
            "/2010-04-01/Accounts/AC1/Recordings/RE3": recording,  # Twilio's own host (here the stand-in): followed
        }
        with recordings_server(audio, redirects) as (base, seen):
            settings = load_settings(ROOT / "config.toml", {**env, "TWILIO_API_BASE_URL": base})
            with running_app(settings, clock) as app:
                with Session(engine, expire_on_commit=False) as session:
                    away, home = (make_ticket(session, settings, address=f"{n} Elm St", recording_url=f"{base}{path}")
                                  for n, path in enumerate(redirects))
                signed_in(app, Role.SUPERVISOR)
                refused = app.get(f"/console/tickets/{away.number}/recording")
                assert refused.status_code == 502 and "could not be fetched from Twilio" in refused.text
                assert stolen == []  # the other host was never asked, so it never saw our credentials
                followed = app.get(f"/console/tickets/{home.number}/recording")
                assert followed.status_code == 200 and followed.content == audio
                assert [path for path, _ in seen] == [*redirects, recording]


def test_redirects_are_followed_only_to_twilios_own_https_hosts(settings):
    assert may_follow(settings, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1")
    assert may_follow(settings, "https://media.twiliocdn.com/AC1/RE1.mp3")
    assert may_follow(settings, "https://recordings.us1.twilio.com/RE1")
    for url in ("http://media.twiliocdn.com/RE1", "https://twilio.com.attacker.example/x", "https://eviltwilio.com/x",
                "https://user:pw@media.twilio.com/x", "https://169.254.169.254/latest/meta-data", "file:///etc/passwd"):
        assert not may_follow(settings, url), url
