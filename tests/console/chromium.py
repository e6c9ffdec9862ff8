"""Real headless Chromium for the console's browser tests: Debian's build through Playwright, a fresh profile each time.

Never `playwright install` (it downloads a browser of its own): the Makefile installs Debian's `chromium`. Without it
the browser tests are skipped, saying what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from settings import ROOT

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}  # a 10-inch tablet held upright


def executable() -> str | None:
    """Debian's Chromium, if this machine has it."""
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else shutil.which("chromium")


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: run `make install`"
    if executable() is None:
        return "no Chromium: install Debian's chromium (apt-get install chromium; `make test` does it as root)"
    return None


@contextlib.contextmanager
def chromium(profile: Path, viewport: dict = LAPTOP):
    """A browser context on a new, empty profile; yields it and closes it after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable(), headless=True, args=ARGS, viewport=viewport
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """A full-page PNG: into docs/ when ONECALL_SCREENSHOTS=docs (`make screenshots`), else beside the test."""
    folder = ROOT / "docs" if os.environ.get("ONECALL_SCREENSHOTS") == "docs" else tmp_path
    path = folder / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


needs_chromium = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
