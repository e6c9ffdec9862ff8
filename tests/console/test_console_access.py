"""Signing in to the console: accounts and roles, signed session cookies, CSRF, throttling and lock-out, signing out."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlmodel import select

from console.accounts import set_disabled, set_password
from console.models import ConsoleAccount, Role
from console.sessions import COOKIE
from console.throttle import LoginAttempts
from core.audit import AuditEntry
from core.db import in_session
from core.defaults import (
    CONSOLE_LOGIN_FAILURES_PER_ACCOUNT,
    CONSOLE_LOGIN_FAILURES_PER_ADDRESS,
    CONSOLE_LOGIN_FIRST_LOCK_SECONDS,
    CONSOLE_SESSION_SECONDS,
    LONGEST_LOCK_OUT_SECONDS,
)
from core.redis import async_client
from tests.console.browser_session import PASSWORD, csrf_of, make_account, sign_in
from tests.helpers import from_address


def _use_cookie(app, value: str) -> None:
    app.cookies.clear()
    app.cookies.set(COOKIE, value)


def _cookie_header(response, name: str) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{name}="))


def test_a_page_without_a_session_goes_to_sign_in_and_back(app):
    refused = app.get("/console/", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/console/login?next=%2Fconsole%2F"
    assert app.get("/console/", headers={"Accept": "text/event-stream"}).status_code == 401
    make_account(app)
    signed = sign_in(app, next_page="/console/audit?page=2")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/audit?page=2"


def test_the_session_cookie_is_signed_http_only_same_site_strict_and_expires(app):
    make_account(app)
    signed = sign_in(app)
    cookie = _cookie_header(signed, COOKIE)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert f"Max-Age={CONSOLE_SESSION_SECONDS}" in cookie
    assert signed.headers["location"] == "/console/live"
    assert app.get("/console/", follow_redirects=False).headers["location"] == "/console/live"


def test_a_tampered_or_expired_cookie_is_refused(app, clock):
    make_account(app)
    sign_in(app)
    value = app.cookies[COOKIE]
    session_id, expires, signature = value.split(".")
    for forged in (f"{session_id}.{int(expires) + 86400}.{signature}", f"x{session_id}.{expires}.{signature}"):
        _use_cookie(app, forged)
        assert app.get("/console/", follow_redirects=False).headers["location"].startswith("/console/login")
    _use_cookie(app, value)
    assert app.get("/console/", follow_redirects=False).headers["location"] == "/console/live"
    clock.now += dt.timedelta(seconds=CONSOLE_SESSION_SECONDS + 1)
    assert app.get("/console/", follow_redirects=False).headers["location"].startswith("/console/login")


def test_wrong_password_says_so_and_keeps_the_name(app):
    make_account(app)
    wrong = sign_in(app, password="not the password at all")
    assert wrong.status_code == 401 and "The name or the password is wrong." in wrong.text
    assert 'value="ana"' in wrong.text
    unknown = sign_in(app, name="nobody", password=PASSWORD)
    assert unknown.status_code == 401 and "The name or the password is wrong." in unknown.text


def test_the_sign_in_form_needs_its_csrf_token(app):
    make_account(app)
    app.get("/console/login")
    forged = app.post(
        "/console/login", data={"name": "ana", "password": PASSWORD, "csrf": "guess"}, follow_redirects=False
    )
    assert forged.status_code == 400 and COOKIE not in app.cookies
    app.cookies.clear()
    no_cookie = app.post(
        "/console/login", data={"name": "ana", "password": PASSWORD, "csrf": "x"}, follow_redirects=False
    )
    assert no_cookie.status_code == 400


def test_sign_out_needs_the_csrf_token_and_ends_the_session_for_every_copy_of_the_cookie(app):
    make_account(app)
    sign_in(app)
    stolen = app.cookies[COOKIE]
    assert app.post("/console/logout", data={"csrf": "guess"}, follow_redirects=False).status_code == 403
    page = app.get("/console/live", follow_redirects=False)
    token = csrf_of(page.text) if page.status_code == 200 else _csrf_from_any_page(app)
    out = app.post("/console/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login?out=1"
    assert "You are signed out." in app.get("/console/login?out=1").text
    _use_cookie(app, stolen)
    assert app.get("/console/", follow_redirects=False).headers["location"].startswith("/console/login")


def _csrf_from_any_page(app) -> str:
    # Until a page of ours is served to the account, the 404 page still carries the menu and its token.
    return csrf_of(app.get("/console/no-such-page").text)


def _wrong(client, name: str = "ana") -> int:
    return sign_in(client, name=name, password="wrong guess 123").status_code


def _lock_minutes(response) -> int:
    assert response.status_code == 429 and "Too many failed sign-ins" in response.text, response.status_code
    return int(response.text.split("Try again in ")[1].split(" minute")[0])


def test_five_wrong_passwords_lock_the_name_from_that_address_even_for_the_right_one(app, clock):
    make_account(app)
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        assert _wrong(app) == 401
    assert _lock_minutes(sign_in(app)) == 1
    assert sign_in(app, name=" ANA ").status_code == 429  # the same name, however it is typed
    clock.now += dt.timedelta(seconds=CONSOLE_LOGIN_FIRST_LOCK_SECONDS + 1)
    assert sign_in(app).status_code == 303


def test_wrong_passwords_from_elsewhere_never_lock_out_the_right_password(app, clock):
    make_account(app, "chief", Role.ADMIN)  # the only administrator
    attacker = from_address(app, "203.0.113.66")
    for _ in range(6):  # an hour and more of guessing, through every lock-out it earns
        for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT + 3):
            _wrong(attacker, "chief")
        assert sign_in(attacker, "chief").status_code == 429  # even the right password, from there
        assert sign_in(app, "chief").status_code == 303  # the administrator's own address: never refused
        clock.now += dt.timedelta(seconds=LONGEST_LOCK_OUT_SECONDS)
    for i in range(CONSOLE_LOGIN_FAILURES_PER_ADDRESS):  # guessing many names locks the guesser's address only
        _wrong(attacker, f"guess-{i}")
    assert sign_in(attacker, "chief").status_code == 429
    assert sign_in(app, "chief").status_code == 303


def test_growing_delay_per_name_and_address(app, clock):
    make_account(app)
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        assert _wrong(app) == 401
    waits = [_lock_minutes(sign_in(app))]
    for _ in range(5):
        clock.now += dt.timedelta(minutes=waits[-1], seconds=1)
        assert _wrong(app) == 401  # one more try once the lock-out ends; failing it locks again, for longer
        waits.append(_lock_minutes(sign_in(app)))
    assert waits == [1, 2, 4, 8, 15, 15]
    other_name = sign_in(app, name="bo", password="wrong guess 123")
    assert other_name.status_code == 401  # another name from this address is its own ledger
    clock.now += dt.timedelta(minutes=15, seconds=1)
    assert sign_in(app).status_code == 303  # the right password clears the pair
    assert _wrong(app) == 401 and _wrong(app) == 401  # and the count starts afresh


def test_the_right_password_on_the_last_try_leaves_no_lock(app, redis, session):
    make_account(app)
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT - 1):
        assert _wrong(app) == 401
    for i in range(CONSOLE_LOGIN_FAILURES_PER_ADDRESS - CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        assert _wrong(app, f"guess-{i}") == 401  # the address, too, is one failure short of its lock-out
    assert sign_in(app).status_code == 303  # the try that would have locked both was right: it locks nothing
    assert sign_in(app).status_code == 303
    assert redis.hget(LoginAttempts.key_for_address("testclient"), "u") is None
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "account.lock")).all() == []


def test_parallel_guesses_get_no_extra_tries(redis_url, redis):
    async def guess_at_once() -> list[int]:
        client = async_client(redis_url)
        try:
            tries = [LoginAttempts(client, "ana", "203.0.113.9") for _ in range(30)]
            return await asyncio.gather(*(attempt.reserve(now=1_000_000) for attempt in tries))
        finally:
            await client.aclose()

    waits = asyncio.run(guess_at_once())
    assert waits.count(0) == CONSOLE_LOGIN_FAILURES_PER_ACCOUNT


def test_lock_out_is_audited(app, session, clock):
    make_account(app)

    def locks() -> list[AuditEntry]:
        session.expire_all()
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == "account.lock")).all())

    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        _wrong(app)
    [lock] = locks()
    assert lock.subject == "account:ana" and lock.actor == "sign-in from testclient"
    assert lock.after == {"locked": "too many failed sign-ins", "from": "testclient"}
    clock.now += dt.timedelta(minutes=2)
    _wrong(app)  # locked again, longer: the same episode
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        _wrong(from_address(app, "203.0.113.66"))  # and from another address: still the same episode
    assert len(locks()) == 1


def test_a_name_nobody_has_is_locked_alike_so_a_lock_reveals_nothing(app, session):
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        sign_in(app, name="ghost", password="wrong guess 123")
    assert sign_in(app, name="ghost", password="wrong guess 123").status_code == 429
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "account.lock")).all() == []


def test_one_address_guessing_many_names_is_locked_out(app, clock):
    make_account(app)
    for i in range(CONSOLE_LOGIN_FAILURES_PER_ADDRESS):
        assert sign_in(app, name=f"guess-{i}", password="wrong guess 123").status_code == 401
    assert sign_in(app).status_code == 429
    assert sign_in(from_address(app, "198.51.100.7")).status_code == 303  # the name itself is not locked
    clock.now += dt.timedelta(seconds=CONSOLE_LOGIN_FIRST_LOCK_SECONDS + 1)
    assert sign_in(app).status_code == 303


def test_a_good_sign_in_gives_the_address_its_attempt_back(app, redis):
    make_account(app)
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ADDRESS + 3):
        assert sign_in(app).status_code == 303
    assert int(redis.hget(LoginAttempts.key_for_address("testclient"), "n") or 0) == 0


def test_a_new_password_or_a_disabled_account_ends_its_sessions(app):
    make_account(app)
    sign_in(app)
    engine = app.app.state.ctx.engine
    in_session(engine, set_password, name="ana", password="another long passphrase", actor="cli")
    assert app.get("/console/", follow_redirects=False).headers["location"].startswith("/console/login")
    assert sign_in(app, password="another long passphrase").status_code == 303
    in_session(engine, set_disabled, name="ana", disabled=True, actor="cli")
    assert app.get("/console/", follow_redirects=False).headers["location"].startswith("/console/login")
    assert sign_in(app, password="another long passphrase").status_code == 401


def test_sign_in_goes_back_only_to_console_pages(app):
    make_account(app)
    for target in ("https://evil.example/", "//evil.example/console/", "/console/login", "/api/audit"):
        assert sign_in(app, next_page=target).headers["location"] == "/console/live", target


def test_console_responses_carry_a_strict_content_security_policy(app):
    page = app.get("/console/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_passwords_are_stored_only_as_argon2_hashes(app, session):
    make_account(app, role=Role.ADMIN)
    row = session.exec(select(ConsoleAccount)).one()
    assert row.password_hash.startswith("$argon2") and PASSWORD not in row.password_hash
    created = session.exec(select(AuditEntry).where(AuditEntry.action == "account.create")).one()
    assert created.after["role"] == "admin" and "password_hash" not in created.after
