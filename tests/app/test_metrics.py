"""GET /metrics: Prometheus figures for a scraper with METRICS_TOKEN, labelled by route template, summed across
processes."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from core.twilio_client import make_client
from messaging.outbound import deliver
from settings import ROOT, load_settings
from tests.conftest import running_app
from tests.helpers import Caller

TOKEN = "metrics-token-0123456789abcdefghij"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scraped(env, engine, redis, clock):
    settings = load_settings(ROOT / "config.toml", {**env, "METRICS_TOKEN": TOKEN})
    with running_app(settings, clock) as client:
        client.onecall_settings = settings
        yield client


def samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def count(found, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_scrape_without_the_token_is_refused(scraped):
    assert scraped.get("/metrics").status_code == 401
    assert scraped.get("/metrics").headers["www-authenticate"].startswith("Bearer")
    assert scraped.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(TOKEN)}).status_code == 401
    assert scraped.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert "onecall_" not in scraped.get("/metrics").text


def test_metrics_are_off_without_a_token(app):
    response = app.get("/metrics", headers=BEARER)
    assert response.status_code == 404 and "METRICS_TOKEN" in response.text


def test_a_signed_webhook_appears_by_route_template(scraped):
    before = samples(scraped)
    caller = Caller(scraped)
    caller.dial()
    caller.press("1")
    scraped.post("/api/callbacks/123456/cancel")  # refused (no token), but timed under its template
    after = samples(scraped)
    name = "onecall_http_request_duration_seconds_count"
    assert count(after, name, route="/voice/incoming", method="POST") == count(
        before, name, route="/voice/incoming", method="POST") + 1
    assert count(after, name, route="/voice/step", method="POST") >= count(
        before, name, route="/voice/step", method="POST") + 1
    assert count(after, "onecall_http_requests_total", route="/voice/incoming", method="POST", status="2xx") >= 1
    assert count(after, name, route="/api/callbacks/{id:db_id}/cancel", method="POST") >= 1
    assert not [key for key in after if "123456" in str(key)]  # never the raw path
    # Live figures read from Redis at the scrape: every queue and the job queue appear, even when empty.
    assert ("onecall_queue_waiting", (("queue", "311-english"),)) in after
    assert ("onecall_jobs_queued", (("queue", "default"),)) in after
    assert ("onecall_jobs_failed", (("queue", "default"),)) in after


def test_a_path_no_route_serves_is_one_series(scraped):
    for path in ("/nowhere/1", "/nowhere/2", "/x" * 30):
        scraped.get(path)
    found = samples(scraped)
    assert count(found, "onecall_http_request_duration_seconds_count", route="unmatched", method="GET") >= 3
    assert not [key for key in found if "nowhere" in str(key)]


def test_texts_sent_are_counted(scraped, settings, engine, twilio_api):
    before = count(samples(scraped), "onecall_texts_sent_total")
    ctx = types.SimpleNamespace(twilio=make_client(settings), settings=settings)
    with Session(engine) as session:
        status = deliver(ctx, session, to="+13125550147", body="Your report is in.", kind="test", counted=True)
        session.commit()
    assert status == "sent"
    assert count(samples(scraped), "onecall_texts_sent_total") == before + 1


def test_processes_sharing_the_folder_are_summed(tmp_path):
    # As under run.py: each child counts in its own files; one scrape adds them up.
    from core.metrics import prepare_folder

    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    prepare_folder(env, tmp_path)
    (tmp_path / "metrics" / "stale_file.db").write_bytes(b"")
    prepare_folder(env, tmp_path)  # a new start forgets the files of the last one
    assert list((tmp_path / "metrics").iterdir()) == []
    count_one = "from core import metrics; metrics.TEXTS_SENT.inc(); metrics.CALLS_PLACED.inc(2)"
    for _ in range(3):
        subprocess.run([sys.executable, "-c", count_one], env=env, cwd=ROOT, check=True, timeout=60)
    shown = subprocess.run([sys.executable, "-c", "from core import metrics; print(metrics.exposition().decode())"],
                           env=env, cwd=ROOT, check=True, timeout=60, capture_output=True, text=True).stdout
    found = {sample.name: sample.value for family in text_string_to_metric_families(shown) for sample in family.samples}
    assert found["onecall_texts_sent_total"] == 3 and found["onecall_calls_placed_total"] == 6
