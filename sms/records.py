"""Text records written behind (core.write_behind): a text is answered first; the drain writes what it was, and the
question it could not answer for the knowledge-base team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from core import write_behind
from knowledge.base import record_unanswered
from sms import service


def _inbound(session: Session, payload: dict[str, Any], at: dt.datetime) -> None:
    service.record_inbound(session, message_sid=payload["message_sid"], from_masked=payload["from_masked"],
                                   language=payload["language"], kind=payload["kind"],
                                   article_id=payload["article_id"], confidence=payload["confidence"], at=at)
    if payload["unanswered"]:
        record_unanswered(session, text=payload["unanswered"], language=payload["language"], channel="sms",
                          best_guess=payload["article_id"], confidence=payload["confidence"], at=at)


INBOUND = write_behind.Kind("sms.inbound", _inbound)


async def add_inbound(redis, *, message_sid: str, from_masked: str, language: str, kind: str,
                      article_id: str | None, confidence: float | None, unanswered: str | None) -> None:
    """One inbound text's record (the number masked, as it is stored), written behind."""
    await write_behind.add(redis, INBOUND, {
        "message_sid": message_sid, "from_masked": from_masked, "language": language, "kind": kind,
        "article_id": article_id, "confidence": confidence, "unanswered": unanswered,
    })
