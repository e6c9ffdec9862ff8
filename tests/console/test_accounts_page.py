"""The accounts page: administrators add people, change roles and passwords, disable, unlock; API tokens too."""

from __future__ import annotations

from sqlmodel import select

from console.models import Role
from console.throttle import LoginAttempts
from core.audit import AuditEntry
from core.defaults import CONSOLE_LOGIN_FAILURES_PER_ACCOUNT
from tests.console.browser_session import PASSWORD, csrf_of, make_account, sign_in, signed_in
from tests.console.test_audit_page import HOSTILE_NAME
from tests.console.test_routes import auth
from tests.helpers import from_address


def _post(app, path: str, **fields: str):
    return app.post(path, data={"csrf": csrf_of(app.get("/console/accounts").text), **fields})


def test_only_administrators_open_it(app):
    signed_in(app, Role.SUPERVISOR, name="ana")
    assert app.get("/console/accounts").status_code == 403
    assert 'href="/console/accounts"' not in app.get("/console/live").text


def test_an_admin_creates_an_account_who_then_signs_in_and_it_is_audited(app, session):
    signed_in(app, Role.ADMIN, name="chief")
    made = _post(
        app,
        "/console/accounts",
        name="bo",
        role="supervisor",
        password="a fine passphrase",
        password_again="a fine passphrase",
    )
    assert "The account was created" in made.text and "<td>bo</td>" in made.text
    app.cookies.clear()
    assert sign_in(app, "bo", "a fine passphrase").status_code == 303
    entry = session.exec(select(AuditEntry).where(AuditEntry.subject == "account:bo")).one()
    assert entry.actor == "chief (console)" and entry.after["role"] == "supervisor"


def test_mistakes_keep_the_name_and_role_but_never_the_password(app):
    signed_in(app, Role.ADMIN, name="chief")
    differ = _post(
        app,
        "/console/accounts",
        name="bo",
        role="wallboard",
        password="a fine passphrase",
        password_again="another passphrase",
    )
    assert differ.status_code == 422 and "the two passwords differ" in differ.text
    assert 'value="bo"' in differ.text and '<option value="wallboard" selected>' in differ.text
    assert "a fine passphrase" not in differ.text
    short = _post(app, "/console/accounts", name="bo", role="wallboard", password="short", password_again="short")
    assert "use at least 12 characters" in short.text
    taken = _post(app, "/console/accounts", name="chief", role="admin", password=PASSWORD, password_again=PASSWORD)
    assert "exists already" in taken.text
    assert "choose what the account may do" in _post(app, "/console/accounts", name="x", role="king").text


def test_role_password_disable_and_unlock(app, redis):
    signed_in(app, Role.ADMIN, name="chief")
    make_account(app, "bo", Role.SUPERVISOR)
    assert (
        "The role was changed"
        in _post(app, "/console/accounts/change", name="bo", change="role", role="wallboard").text
    )
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):  # someone guessed
        sign_in(from_address(app, "203.0.113.5"), "bo", "wrong guess 123")
    assert "lock on that name is lifted" in _post(app, "/console/accounts/change", name="bo", change="unlock").text
    assert redis.exists(LoginAttempts.key_for_name("bo")) == 0
    reset = _post(app, "/console/accounts/change", name="bo", change="password", password="brand new passphrase")
    assert "The password was changed" in reset.text
    assert "The account is disabled" in _post(app, "/console/accounts/change", name="bo", change="disable").text
    refused = _post(app, "/console/accounts/change", name="chief", change="disable")
    assert refused.status_code == 422 and "cannot demote or disable your own account" in refused.text


def test_an_api_token_is_shown_once_works_and_is_revoked_from_the_page(app):
    signed_in(app, Role.ADMIN, name="chief")
    made = _post(app, "/console/tokens", token_name="wall-screen", scope="read", days="30")
    token = made.text.split('<code class="said">')[1].split("</code>")[0]
    assert token.startswith("oc_")
    assert app.get("/api/queues", headers=auth(token)).status_code == 200
    assert token not in app.get("/console/accounts").text  # shown once
    again = _post(app, "/console/tokens", token_name="wall-screen", scope="read", days="30")
    assert again.status_code == 422 and "exists already" in again.text
    assert "a whole number of days" in _post(app, "/console/tokens", token_name="x", scope="read", days="ever").text
    assert "The token is revoked" in _post(app, "/console/tokens/revoke", name="wall-screen").text
    assert app.get("/api/queues", headers=auth(token)).status_code == 401


def test_a_hostile_account_name_is_escaped_on_the_accounts_page(app):
    signed_in(app, Role.ADMIN, name="chief")
    make_account(app, HOSTILE_NAME, Role.WALLBOARD)
    page = app.get("/console/accounts").text
    assert HOSTILE_NAME not in page and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_admin_unlocks_from_accounts_page(app, session, clock):
    signed_in(app, Role.ADMIN, name="chief")
    make_account(app, "bo", Role.SUPERVISOR)
    bo_at_city_hall = from_address(app, "203.0.113.5")
    for _ in range(CONSOLE_LOGIN_FAILURES_PER_ACCOUNT):
        sign_in(bo_at_city_hall, "bo", "wrong guess 123")
    assert sign_in(bo_at_city_hall, "bo").status_code == 429
    page = " ".join(app.get("/console/accounts").text.split())
    assert "sign-in locked</span> from 203.0.113.5 until 2" in page and 'aria-label="Unlock bo"' in page
    refused = app.post("/console/accounts/change", data={"csrf": "forged", "name": "bo", "change": "unlock"})
    assert refused.status_code == 403  # no CSRF token, no unlock
    supervisor = from_address(app, "198.51.100.8")
    signed_in(supervisor, Role.SUPERVISOR, name="sam")
    token = csrf_of(supervisor.get("/console/live").text)
    by_supervisor = supervisor.post("/console/accounts/change", data={"csrf": token, "name": "bo", "change": "unlock"})
    assert by_supervisor.status_code == 403  # administrators only
    assert sign_in(bo_at_city_hall, "bo").status_code == 429
    done = _post(app, "/console/accounts/change", name="bo", change="unlock")
    assert "Every sign-in lock on that name is lifted." in done.text and "sign-in locked" not in done.text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "account.unlock")).one()
    assert entry.subject == "account:bo" and entry.actor == "chief (console)"
    assert entry.before == {"locked_from": ["203.0.113.5"]}
    assert sign_in(bo_at_city_hall, "bo").status_code == 303  # at once, no waiting
    assert _post(app, "/console/accounts/change", name="nobody", change="unlock").status_code == 422


def test_an_admin_links_an_agent_account_to_an_agent_of_the_agent_line(app, session):
    from console.models import ConsoleAccount

    signed_in(app, Role.ADMIN, name="chief")
    make_account(app, "ana-desk", Role.AGENT)
    assert 'id="agent-' in app.get("/console/accounts").text
    done = _post(app, "/console/accounts/change", name="ana-desk", change="agent", agent="Ana")
    assert "agent was changed" in done.text and "(Ana)" in done.text
    assert session.exec(select(ConsoleAccount).where(ConsoleAccount.name == "ana-desk")).one().agent == "Ana"
    refused = _post(app, "/console/accounts/change", name="ana-desk", change="agent", agent="Zed")
    assert refused.status_code == 422 and "no agent named" in refused.text
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "account.agent")).one().after["agent"] == "Ana"
