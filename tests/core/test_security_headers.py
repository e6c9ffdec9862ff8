"""The home page `/` carries the console's security headers (one middleware for the whole app)."""

from __future__ import annotations

from core.security_headers import HEADERS


def test_home_page_has_console_security_headers(app):
    home, console = app.get("/"), app.get("/console/login")
    assert home.status_code == 200 and console.status_code == 200
    for name, value in HEADERS.items():
        assert home.headers[name] == console.headers[name] == value, name
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert "script-src 'self'" in home.headers["Content-Security-Policy"]


def test_the_public_endpoints_carry_them_too(app):
    for path in ("/healthz", "/open311/v2/discovery.json", "/no-such-page"):
        response = app.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
