"""A URL-encoded form read field by field, whatever way its body is cut into chunks."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from core.forms import url_fields

FORM = {"api_key": "k1", "description": "café & crêpes = 2+2", "empty": "", "address_string": "5th and Main"}


def _read(chunks: list[bytes]) -> list[tuple[str, str]]:
    async def stream():
        for chunk in chunks:
            yield chunk

    async def collect():
        return [field async for field in url_fields(stream())]

    return asyncio.run(collect())


def test_every_way_of_cutting_the_body_gives_the_same_fields():
    body = urlencode(FORM).encode()
    for size in (1, 2, 3, 7, len(body)):
        assert _read([body[i : i + size] for i in range(0, len(body), size)]) == list(FORM.items())


def test_a_field_is_yielded_before_the_rest_of_the_body_arrives():
    async def stream():
        yield b"api_key=bad&description="
        raise AssertionError("the rest of the body was read before the first field was handed over")

    async def first():
        async for field in url_fields(stream()):
            return field

    assert asyncio.run(first()) == ("api_key", "bad")


def test_raw_utf8_split_between_chunks_and_stray_bytes_are_read_leniently():
    assert _read([b"name=caf\xc3", b"\xa9&x=\xff"]) == [("name", "café"), ("x", "\ufffd")]
