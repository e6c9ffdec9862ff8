"""The new-message form: what was typed (kept as typed, to show again) and what is wrong with it, field by field."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from console.pages.forms import text
from surge.models import AnnouncementCreate, Scope
from surge.service import MAX_TEXT, AnnouncementError, validate

PRIORITY_RANGE = (0, 1000)
SCOPES = (
    (Scope.GREETING, "Greeting", "said first on every call"),
    (Scope.QUEUE, "Queue", "said to callers waiting for a person"),
    (Scope.SMS, "Text footer", "added to every text reply"),
)


@dataclass
class MessageForm:
    """The form's fields as typed, and an error per field name (`texts` for the texts as a whole)."""

    scope: str = Scope.GREETING
    texts: dict[str, str] = field(default_factory=dict)
    starts_at: str = ""
    ends_at: str = ""
    priority: str = "0"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: FormData, languages: list[str]) -> MessageForm:
        """The fields of a posted form (unknown fields ignored, every text kept as typed)."""
        return cls(
            scope=text(form, "scope"),
            texts={code: str(form.get(f"text-{code}", ""))[: MAX_TEXT * 4] for code in languages},
            starts_at=text(form, "starts_at"),
            ends_at=text(form, "ends_at"),
            priority=text(form, "priority") or "0",
        )

    def checked(self, *, languages: list[str], zone, now: dt.datetime) -> AnnouncementCreate | None:
        """The message to store, or None with `errors` saying what is wrong (surge's own rules, then ours)."""
        self.errors = {}
        try:
            scope = Scope(self.scope)
        except ValueError:
            self.errors["scope"] = "choose where the message is heard"
        starts = self._moment("starts_at", self.starts_at, zone)
        ends = self._moment("ends_at", self.ends_at, zone)
        if ends is not None and ends <= now:
            self.errors["ends_at"] = "this end time has already passed"
        priority = self._priority()
        texts = {code: value for code, value in self.texts.items() if value.strip()}
        if self.errors:
            return None
        try:
            return validate(
                AnnouncementCreate(scope=scope, texts=texts, starts_at=starts, ends_at=ends, priority=priority),
                languages,
            )
        except AnnouncementError as exc:
            self.errors[_field_name(exc.field)] = str(exc)
            return None

    def _moment(self, name: str, value: str, zone) -> dt.datetime | None:
        if not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.errors[name] = "use a date and time like 2026-11-17 14:30"
            return None
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment

    def _priority(self) -> int:
        low, high = PRIORITY_RANGE
        if not self.priority.lstrip("-").isdigit() or not low <= int(self.priority) <= high:
            self.errors["priority"] = f"a whole number from {low} to {high} (higher is said first)"
            return 0
        return int(self.priority)


def _field_name(surge_field: str) -> str:
    # surge names a language's text "texts.en-US"; the form's field for it is "text-en-US".
    if surge_field.startswith("texts."):
        return f"text-{surge_field.removeprefix('texts.')}"
    return surge_field
