"""docs/openapi.yaml describes the JSON API and the Open311 server as they answer: schemathesis generates requests
from it (a bounded, derandomized number per operation) and every answer must be below 500 and match the description
(status, content type, body). A test also checks that every /api and /open311 route is described, and no more."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import core.clock
from console.models import TokenScope
from console.tokens import create_token
from core.db import in_session
from settings import ROOT, load_settings
from tests.conftest import running_app

SCHEMA = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.yaml")
API_KEY = "schemathesis-key-0123456789abcdef"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def described(database_url, redis_url, tmp_path_factory):
    """One app for every operation (starting one each would cost more than the requests): an Open311 key, a
    supervisor's token and one request already open, on a database and Redis emptied first."""
    from sqlmodel import SQLModel

    from core.db import make_engine
    from core.redis import sync_client
    from knowledge.base import seed
    from tests.conftest import OPEN_HOURS
    from tests.helpers import AUTH_TOKEN, PUBLIC_BASE_URL, TEST_CLIENT_HOST
    from tests.twilio_stub import TwilioStub

    stub = TwilioStub()
    env = {"TWILIO_API_BASE_URL": stub.url, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "ONECALL_VAR_DIR": str(tmp_path_factory.mktemp("openapi") / "var"), "ALLOWED_HOSTS": TEST_CLIENT_HOST,
           "OPEN311_API_KEYS": API_KEY}
    app_settings = load_settings(ROOT / "config.toml", env)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
    in_session(engine, seed, directory=app_settings.knowledge_dir,
               languages=[language.code for language in app_settings.languages])
    flushed = sync_client(redis_url)
    flushed.flushdb()
    flushed.close()
    try:
        with running_app(app_settings, lambda: OPEN_HOURS) as client:
            token = in_session(engine, create_token, name="schemathesis", now=core.clock.now(),
                               scope=TokenScope.SUPERVISOR)
            opened = client.post("/open311/v2/requests.json", data={
                "api_key": API_KEY, "service_code": "missed-trash", "address_string": "121 N LaSalle St",
                "attribute[cart_type]": "garbage"})
            assert opened.status_code == 201, opened.text
            client.headers["Authorization"] = f"Bearer {token}"
            yield client
    finally:
        engine.dispose()
        stub.close()
    assert not stub.rejected, stub.rejected


@SCHEMA.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_answer_matches_the_description(case, described):
    if case.operation.method.upper() == "POST" and isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = API_KEY  # a real key, so the request reaches the checks past it
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    response = described.request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGUMENTS})
    case.validate_response(response, checks=CHECKS)


REQUEST_ARGUMENTS = {"method", "url", "params", "headers", "cookies", "json", "data", "content", "files"}


def test_every_api_and_open311_route_is_described(app):
    served = {(method, route.path) for route in app.app.routes if route.path.startswith(("/api/", "/open311/"))
              for method in route.methods - {"HEAD"}}
    described_ = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    assert {(m, _template(p)) for m, p in served} == described_


def _template(path: str) -> str:
    # Starlette's {id:db_id} is OpenAPI's {id}.
    return re.sub(r":\w+}", "}", path)
