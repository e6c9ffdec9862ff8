"""An id in a URL path is one the database can hold, or the route does not match (404, never the driver's 500)."""

from __future__ import annotations

import pytest
from starlette.routing import compile_path

from console.models import Role
from core.ids import ID_PARAM, MAX_ID
from tests.console.browser_session import signed_in


@pytest.mark.parametrize(("segment", "matches"), [
    ("0", True), ("7", True), ("007", True), (str(MAX_ID), True), (str(MAX_ID + 1), False), ("2147483650", False),
    ("9" * 25, False), ("-1", False), ("1.5", False), ("²", False), ("", False),
])
def test_only_ids_the_database_can_hold_match(segment, matches):
    pattern, _, convertors = compile_path(f"/things/{ID_PARAM}")
    found = pattern.match(f"/things/{segment}")
    assert bool(found) is matches
    if found:
        assert convertors["id"].convert(found["id"]) == int(segment)


def test_a_huge_id_is_a_404_on_console_pages_and_the_api(app):
    client = signed_in(app, Role.ADMIN)
    huge = "9" * 25
    for path in (f"/console/voicemails/{huge}", f"/console/voicemails/{huge}/recording",
                 f"/console/voicemails/{MAX_ID}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/callbacks/{huge}/cancel").status_code == 404
