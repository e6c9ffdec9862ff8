"""Answers that depend on where the resident is: once the address step has settled a point, the article's
place_answer is computed from the map (places.answers) and said in the resident's language; the same for every
channel. Without a point (the address was not found twice) the article's own answer is given."""

from __future__ import annotations

import datetime as dt

from flows.engine import Conversation
from flows.session import PlaceNote, Session
from flows.spoken_time import spoken_date
from flows.turns import InputKind, Outcome, Step, Turn
from knowledge.models import PlaceAnswer
from places import answers
from places.answers import WEEKDAYS


def answer_here(c: Conversation, s: Session) -> Turn:
    """The answer the address was asked for, then what comes next."""
    asking, s.asking = s.asking, None
    article = c.d.kb.article(s.lang, asking.article if asking else None)
    if article is None:
        return c.show(s, "main")
    point = asking.point if asking.point is not None and not asking.flagged else None
    line = _line(c, s, article.place_answer, point) if point is not None and c.d.places is not None else None
    offer = line is not None and asking.offer_to_remember and not asking.recalled and bool(s.phone)
    s.to_remember = point.label if offer else None
    s.place_line = line  # kept for "hear it again" and "by text"; None when the general answer is given
    turn = c.show(s, "address_remember_offer" if offer else "after")
    if line is None:  # no point, or the map has nothing for it: the article's general answer, never a guess
        line = f"{c.w(s.lang, 'place_not_found')} {getattr(article, c.caps.answer_field)}"
    turn.lines.insert(0, (s.lang, line))  # one line: a text message sends the answer's first line
    turn.steps.insert(0, Step("answer", Outcome.ANSWERED, InputKind.NONE, "", article.article_id))
    return turn


def _line(c: Conversation, s: Session, kind: PlaceAnswer | str | None, point: PlaceNote) -> str | None:
    index, where = c.d.places.index, {"latitude": point.latitude, "longitude": point.longitude}
    if kind == PlaceAnswer.TRASH_DAY:
        found = answers.collection(index, **where, today=_today(c))
        if found is None:
            return None
        day = _weekday(c, s.lang, found.day)
        if found.next_recycling is None:
            return c.w(s.lang, "place_trash_day", day=day, address=point.spoken)
        noon = dt.datetime.combine(found.next_recycling, dt.time(12), tzinfo=c.d.zone)
        date = spoken_date(noon, c.d.zone, c.w, s.lang)
        return c.w(s.lang, "place_trash", day=day, date=date, address=point.spoken)
    if kind == PlaceAnswer.COUNCIL_MEMBER:
        member = answers.attribute(index, **where, layer="council", name="member")
        if not member:
            return None
        district = answers.attribute(index, **where, layer="council", name="district") or ""
        return c.w(s.lang, "place_council", member=member, district=district, address=point.spoken)
    if kind == PlaceAnswer.NEAREST_LIBRARY:
        near = answers.nearest(index, **where, kind="library")
        if near is None:
            return None
        hours = near.place.attributes.get(f"hours_{s.lang}") or near.place.attributes.get("hours_en-US", "")
        miles = f"{near.metres / 1609.344:.1f}"
        return c.w(s.lang, "place_library", name=near.place.name, address_library=near.place.address, miles=miles,
                   hours=hours, address=point.spoken)
    return None


def _today(c: Conversation) -> dt.date:
    now = c.d.now()  # the injected clock: tests and the simulator move it
    return now.astimezone(c.d.zone).date() if c.d.zone else now.date()


def _weekday(c: Conversation, language: str, day: str) -> str:
    names = [d.strip() for d in c.w(language, "days").split(",")]
    position = WEEKDAYS.index(day.lower())
    return names[position] if position < len(names) else day
