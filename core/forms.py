"""URL-encoded forms read field by field as the body streams in, so a handler can judge a field before the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

FORM_TYPE = "application/x-www-form-urlencoded"


async def url_fields(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """Each (name, value) of an application/x-www-form-urlencoded body, as soon as the field is complete."""
    pending = b""
    async for chunk in chunks:
        *complete, pending = (pending + chunk).split(b"&")
        for part in complete:
            for field in _decode(part):
                yield field
    for field in _decode(pending):
        yield field


def _decode(part: bytes) -> list[tuple[str, str]]:
    # '&' never occurs inside a UTF-8 sequence, so each part decodes alone; stray bytes become U+FFFD, as in
    # Starlette's own form parser.
    return parse_qsl(part.decode("utf-8", errors="replace"), keep_blank_values=True)
