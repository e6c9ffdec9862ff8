"""Knowledge-base storage: articles and topics per language, and questions we could not answer."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.test_traffic import test_run_column
from core.timestamps import moment, stamped


class PlaceAnswer(StrEnum):
    """An answer that depends on where the resident is: the article asks for their address and answers from the
    city's map (flows.steps.place_answers says how each is computed and worded)."""

    TRASH_DAY = "trash_day"  # layer trash: day and recycling_start
    COUNCIL_MEMBER = "council_member"  # layer council: member
    NEAREST_LIBRARY = "nearest_library"  # named places of kind library: the closest, with its hours

    @property
    def described(self) -> str:
        """In words, for the editor's list."""
        return PLACE_ANSWER_NAMES[self]


PLACE_ANSWER_NAMES = {
    PlaceAnswer.TRASH_DAY: "collection day and next recycling date",
    PlaceAnswer.COUNCIL_MEMBER: "their council member",
    PlaceAnswer.NEAREST_LIBRARY: "the closest library, its distance and hours",
}


class ArticleBase(SQLModel):
    article_id: str = Field(max_length=80, index=True)
    language: str = Field(max_length=16)
    topic: str = Field(max_length=40)
    title: str = Field(max_length=200)
    department: str = Field(max_length=200)
    service_code: str = Field(default="", max_length=80)
    phrasings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    spoken: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(max_length=320)
    last_reviewed: dt.date
    # Set: the answer depends on where the resident is, so they are asked for their address first.
    # Stored as plain text (not a database enum type): a new kind is a code change, never a schema change.
    place_answer: PlaceAnswer | None = Field(default=None, sa_column=Column(String(40), nullable=True))


class ArticleCreate(ArticleBase):
    pass


class Article(ArticleBase, table=True):
    __tablename__ = "kb_article"
    __table_args__ = (UniqueConstraint("article_id", "language", name="uq_kb_article_lang"),)
    id: int | None = Field(default=None, primary_key=True)
    updated_at: dt.datetime = stamped()


class ArticlePublic(ArticleBase):
    updated_at: dt.datetime


class Topic(SQLModel, table=True):
    __tablename__ = "kb_topic"
    __table_args__ = (UniqueConstraint("key", "language", name="uq_kb_topic_lang"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40)
    language: str = Field(max_length=16)
    name: str = Field(max_length=200)
    position: int


class UnansweredBase(SQLModel):
    text: str = Field(max_length=500)
    language: str = Field(max_length=16)
    channel: str = Field(max_length=10)
    best_guess: str | None = Field(default=None, max_length=80)
    confidence: float = 0.0


class Unanswered(UnansweredBase, table=True):
    """A question the knowledge base could not answer, kept for the knowledge-base team."""

    __tablename__ = "kb_unanswered"
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = stamped(index=True)
    # Set when the knowledge-base team has dealt with it (added as a phrasing, or dismissed): it leaves the queue.
    handled_at: dt.datetime | None = moment()
    handled_by: str | None = Field(default=None, max_length=100)
    added_to: str | None = Field(default=None, max_length=80)  # the article it became a phrasing of
    test_run: str | None = test_run_column()  # a scenario's question: never in the team's queue

