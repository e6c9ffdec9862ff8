"""API tokens: scopes, expiry, revocation, throttling of bad tokens, and no timing tell between prefixes."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from console.models import TokenScope
from console.tokens import PREFIX_LENGTH, create_token, verify_token
from core.defaults import API_TOKEN_FAILURE_WINDOW, API_TOKEN_FAILURES
from tests.console.test_routes import STORM, api_token, auth
from tests.helpers import from_address


def test_a_read_only_token_can_look_but_not_change_anything(app):
    token = api_token(app, "viewer", scope=TokenScope.READ)
    for path in ("/api/announcements", "/api/queues", "/api/audit", "/api/reports/daily"):
        assert app.get(path, headers=auth(token)).status_code == 200, path
    assert app.post("/api/announcements", json=STORM, headers=auth(token)).status_code == 403
    assert app.post("/api/presets/storm", headers=auth(token)).status_code == 403
    assert app.delete("/api/announcements/1", headers=auth(token)).status_code == 403
    assert app.post("/api/tickets/123456789/status", json={"status": "closed"}, headers=auth(token)).status_code == 403
    assert app.get("/api/announcements", headers=auth(token)).json() == []
    supervisor = api_token(app, "boss", scope=TokenScope.SUPERVISOR)
    assert app.post("/api/announcements", json=STORM, headers=auth(supervisor)).status_code == 201


def test_a_token_stops_working_when_it_expires(app, clock):
    token = api_token(app, "short", days=1)
    assert app.get("/api/queues", headers=auth(token)).status_code == 200
    clock.now += dt.timedelta(days=1, seconds=1)
    refused = app.get("/api/queues", headers=auth(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


def test_missing_and_malformed_headers_are_told_what_is_needed(app):
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YW5hOnB3"}):
        response = app.get("/api/queues", headers=headers)
        assert response.status_code == 401 and "Authorization: Bearer" in response.json()["error"]


def test_ten_bad_tokens_in_a_minute_are_answered_429_with_retry_after(app, clock):
    for i in range(API_TOKEN_FAILURES):
        assert app.get("/api/queues", headers=auth(f"oc_guess{i:040d}")).status_code == 401
    throttled = app.get("/api/queues", headers=auth("oc_guess-again"))
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= API_TOKEN_FAILURE_WINDOW
    clock.now += dt.timedelta(seconds=API_TOKEN_FAILURE_WINDOW + 1)  # the lock-out has passed
    assert app.get("/api/queues", headers=auth("oc_guess-once-more")).status_code == 401
    longer = app.get("/api/queues", headers=auth("oc_guess-again"))  # that failure locked again, for longer
    assert longer.status_code == 429 and int(longer.headers["retry-after"]) == 2 * API_TOKEN_FAILURE_WINDOW


def test_valid_token_accepted_from_address_that_sent_bad_tokens(app):
    good = api_token(app)
    for i in range(API_TOKEN_FAILURES + 5):
        app.get("/api/queues", headers=auth(f"oc_guess{i:040d}"))
    assert app.get("/api/queues", headers=auth("oc_guess-again")).status_code == 429
    # Guesses from a shared address never lock out the holder of a real token: it is still looked at and accepted.
    assert app.get("/api/queues", headers=auth(good)).status_code == 200
    assert from_address(app, "198.51.100.4").get("/api/queues", headers=auth("oc_nope")).status_code == 401


def test_good_tokens_are_not_counted_against_an_address(app):
    good = api_token(app)
    for _ in range(API_TOKEN_FAILURES + 2):
        assert app.get("/api/queues", headers=auth(good)).status_code == 200


def test_unknown_and_known_prefixes_take_as_long(session, clock):
    token = create_token(session, name="timing", now=clock.now)
    session.commit()
    known_prefix = token[:PREFIX_LENGTH] + "A" * (len(token) - PREFIX_LENGTH)
    unknown_prefix = "oc_" + "~" * (len(token) - 3)
    malformed = "x" * len(token)

    def seconds(candidate: str) -> float:
        start = time.perf_counter()
        assert verify_token(session, token=candidate, now=clock.now) is None
        return time.perf_counter() - start

    samples: dict[str, list[float]] = {"known": [], "unknown": [], "malformed": []}
    for _ in range(7):  # interleaved, so load on the machine weighs on each alike
        samples["known"].append(seconds(known_prefix))
        samples["unknown"].append(seconds(unknown_prefix))
        samples["malformed"].append(seconds(malformed))
    known, unknown, malformed_time = (statistics.median(samples[k]) for k in ("known", "unknown", "malformed"))
    # One argon2 run each (tens of milliseconds); a database lookup alone is well under a millisecond.
    assert 0.3 < unknown / known < 3.0, samples
    assert 0.3 < malformed_time / known < 3.0, samples
    assert verify_token(session, token=token, now=clock.now).scope is TokenScope.READ
