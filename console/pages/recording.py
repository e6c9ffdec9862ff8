"""A resident's recording as a console response: the audio fetched server-side from Twilio, never cached."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response

from console import recordings
from settings import Settings


async def play(settings: Settings, url: str) -> Response:
    """The recording's audio, or an error page saying why it cannot be played here."""
    if not recordings.playable(settings, url):
        raise HTTPException(404, "This recording can only be opened from its link on the page.")
    try:
        body, kind = await recordings.fetch(settings, url)
    except recordings.RecordingUnavailable as exc:
        raise HTTPException(502, f"The recording could not be fetched from Twilio: {exc}.") from None
    # A resident's voice: kept by no cache, and played inline only as the audio it says it is.
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline"}
    return Response(body, media_type=kind, headers=headers)
