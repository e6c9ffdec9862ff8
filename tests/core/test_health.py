"""GET /healthz tells an operator whether the database and Redis answer."""

from __future__ import annotations

from starlette.testclient import TestClient

from app import create_app
from core.redis import async_client


def test_healthz_is_200_when_database_and_redis_answer(app):
    response = app.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_naming_redis_when_it_is_down(settings, engine, redis):
    application = create_app(settings)
    with TestClient(application) as client:
        application.state.ctx.redis = async_client("redis://127.0.0.1:1/0")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down")
    assert response.json()["database"] == "ok"
