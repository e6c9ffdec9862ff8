"""Console accounts and sign-ins for tests: an account made as `run.py account create` would, a signed-in client."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from console.accounts import create_account
from console.models import Role
from core.db import in_session

PASSWORD = "correct horse battery staple"


def make_account(app: TestClient, name: str = "ana", role: Role = Role.SUPERVISOR, password: str = PASSWORD) -> str:
    """An account in the app's database; returns its name."""
    in_session(app.app.state.ctx.engine, create_account, name=name, role=role, password=password, actor="cli")
    return name


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(app: TestClient, name: str = "ana", password: str = PASSWORD, next_page: str = ""):
    """Post the sign-in form as a browser would (its CSRF token first); returns the response, not followed."""
    form = app.get("/console/login", params={"next": next_page} if next_page else None)
    fields = {"csrf": csrf_of(form.text), "name": name, "password": password, "next": next_page}
    return app.post("/console/login", data=fields, follow_redirects=False)


def signed_in(app: TestClient, role: Role = Role.SUPERVISOR, name: str | None = None) -> TestClient:
    """The app's client, signed in with a new account of this role."""
    name = make_account(app, name or f"{role.value}-user", role)
    assert sign_in(app, name).status_code == 303
    return app


def sign_in_page(page, base: str, name: str = "ana", going: str = "/console/live", password: str = PASSWORD) -> None:
    """Sign in through the real form in a browser page, on the way to `going`."""
    page.goto(f"{base}{going}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
