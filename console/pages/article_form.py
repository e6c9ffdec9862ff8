"""The article form: its fields as typed (to show again after a mistake) and the draft they make."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from console.pages.forms import text
from knowledge.editing import normalised
from knowledge.models import Article, ArticleCreate, PlaceAnswer

MAX_FIELD = 20_000  # far above every limit: a limit is named beside its field, a flood is cut


def _raw(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD] if isinstance(value, str) else ""


@dataclass
class ArticleForm:
    """One article's fields in one language, as typed; `errors` maps a field name to what is wrong with it."""

    article_id: str = ""
    title: str = ""
    topic: str = ""
    department: str = ""
    service_code: str = ""
    place_answer: str = ""  # a PlaceAnswer, or empty: the same answer wherever the resident is
    phrasings: str = ""  # one per line
    keywords: str = ""  # separated by commas
    spoken: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, article: Article) -> ArticleForm:
        """The stored article, ready to edit."""
        return cls(
            article_id=article.article_id,
            title=article.title,
            topic=article.topic,
            department=article.department,
            service_code=article.service_code,
            place_answer=article.place_answer or "",
            phrasings="\n".join(article.phrasings),
            keywords=", ".join(article.keywords),
            spoken=article.spoken,
            text=article.text,
        )

    @classmethod
    def read(cls, form: FormData, article_id: str | None = None) -> ArticleForm:
        """A posted form; the id comes from the address when editing, from the form when adding."""
        return cls(
            article_id=article_id if article_id is not None else text(form, "article_id")[:200],
            title=_raw(form, "title"),
            topic=text(form, "topic"),
            department=_raw(form, "department"),
            service_code=text(form, "service_code"),
            place_answer=text(form, "place_answer"),
            phrasings=_raw(form, "phrasings"),
            keywords=_raw(form, "keywords"),
            spoken=_raw(form, "spoken"),
            text=_raw(form, "text"),
        )

    def draft(self, *, language: str, last_reviewed: dt.date) -> ArticleCreate:
        """The article these fields make, as it would be stored (not yet checked: see knowledge.editing.problems)."""
        built = ArticleCreate.model_construct(
            article_id=self.article_id,
            language=language,
            topic=self.topic,
            title=self.title,
            department=self.department,
            service_code=self.service_code,
            place_answer=PlaceAnswer(self.place_answer) if self.place_answer in set(PlaceAnswer) else None,
            phrasings=self.phrasings.splitlines(),
            keywords=self.keywords.replace("\n", ",").split(","),
            spoken=self.spoken,
            text=self.text,
            last_reviewed=last_reviewed,
        )
        return normalised(built)
