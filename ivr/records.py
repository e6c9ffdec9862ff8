"""Call records written behind (core.write_behind): a webhook answers first; the drain writes its steps and its end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from core import write_behind
from flows.turns import InputKind, Outcome, Step
from ivr import service
from ivr.models import CallCreate


def _steps(session: Session, payload: dict[str, Any], at: dt.datetime) -> None:
    steps = [Step(**{**s, "outcome": Outcome(s["outcome"]), "input_kind": InputKind(s["input_kind"])})
             for s in payload["steps"]]
    service.record_steps(session, call=CallCreate(**payload["call"]), language=payload["language"], steps=steps, at=at)


def _ended(session: Session, payload: dict[str, Any], at: dt.datetime) -> None:
    service.complete_call(session, call=CallCreate(**payload["call"]), status=payload["status"],
                          duration=payload["duration"], at=at)


def _calls(session: Session, payloads: list[dict[str, Any]]) -> None:
    service.look_up_calls(session, call_sids={payload["call"]["call_sid"] for payload in payloads})


STEPS = write_behind.Kind("ivr.steps", _steps, _calls)
ENDED = write_behind.Kind("ivr.ended", _ended, _calls)


async def add_steps(redis, *, call: CallCreate, language: str, steps: list[Step]) -> None:
    """This turn's steps, written behind (in order with the call's other records)."""
    payload = {"call": call.model_dump(), "language": language, "steps": write_behind.as_json(steps)}
    await write_behind.add(redis, STEPS, payload)


async def add_end(redis, *, call: CallCreate, status: str, duration: int | None) -> None:
    """The call ended (Twilio's status callback), written behind after its steps."""
    await write_behind.add(redis, ENDED, {"call": call.model_dump(), "status": status, "duration": duration})
