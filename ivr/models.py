"""Call records: one row per call, one per step, the raw data for the metrics supervisors report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.choices import choice
from core.test_traffic import test_run_column
from core.timestamps import moment, stamped
from flows.turns import InputKind, Outcome


class CallBase(SQLModel):
    call_sid: str = Field(max_length=64, unique=True, index=True)
    caller_masked: str = Field(default="", max_length=32)
    language: str = Field(default="", max_length=16)
    # core.phones.number_key of the caller's number: a supervisor's contact search and the agent's screen pop find
    # one number's earlier calls by it; None for a hidden number (and calls recorded before issue 21).
    caller_key: str | None = Field(default=None, max_length=32, index=True)


class CallCreate(CallBase):
    pass


class Call(CallBase, table=True):
    __tablename__ = "ivr_call"
    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = stamped(index=True)
    ended_at: dt.datetime | None = moment()
    duration_seconds: int | None = None
    status: str = Field(default="in-progress", max_length=20)
    steps_taken: int = 0
    article_id: str | None = Field(default=None, max_length=80)
    agent_requested: bool = False
    self_service: bool = False
    test_run: str | None = test_run_column()  # a scenario run or the browser phone, never a resident


class CallStep(SQLModel, table=True):
    __tablename__ = "ivr_call_step"
    __table_args__ = (UniqueConstraint("call_sid", "seq", name="uq_ivr_call_step_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    call_sid: str = Field(max_length=64, index=True)
    seq: int
    node: str = Field(max_length=60)
    outcome: Outcome = choice(Outcome)
    input_kind: InputKind = choice(InputKind, length=10)
    input_value: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    language: str = Field(max_length=16)
    article_id: str | None = Field(default=None, max_length=80)
    confidence: float | None = None
    test_run: str | None = test_run_column()
    created_at: dt.datetime = stamped()
