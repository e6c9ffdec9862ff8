"""Fixtures for the console's browser tests."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from tests.console.chromium import chromium
from tests.served import served


@pytest.fixture
def console(app, settings, clock, tmp_path):
    """The served app, a phone line to it, and a Chromium on a fresh profile: (base URL, phone client, browser)."""
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(served(settings, clock))
        base = f"http://127.0.0.1:{port}"
        phone = stack.enter_context(httpx.Client(base_url=base, timeout=20))
        browser = stack.enter_context(chromium(tmp_path / "profile"))
        yield base, phone, browser
