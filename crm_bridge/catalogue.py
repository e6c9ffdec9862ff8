"""The service catalogue: request types residents can report, their SLA and the questions intake asks."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue" / "services.toml"


class CatalogueError(ValueError):
    """A service catalogue entry that cannot be used; the message names the service and field."""


@dataclass(frozen=True)
class Choice:
    key: str
    name: dict[str, str]


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    prompt: dict[str, str]
    values: tuple[Choice, ...]


@dataclass(frozen=True)
class Sla:
    business_days: int | None = None
    hours: int | None = None


@dataclass(frozen=True)
class ServiceType:
    code: str
    name: dict[str, str]
    description: dict[str, str]
    department: str
    group: str
    keywords: dict[str, tuple[str, ...]]
    sla: Sla
    location_required: bool
    details_required: bool
    attributes: tuple[Attribute, ...]

    def label(self, language: str) -> str:
        """The service's name in the language, or in English."""
        return self.name.get(language) or self.name.get("en-US") or self.code


class Catalogue:
    """Every service type, in keypad order."""

    def __init__(self, services: list[ServiceType]) -> None:
        self.services = services
        self._by_code = {s.code: s for s in services}

    def get(self, code: str | None) -> ServiceType | None:
        """The service type with this code, if any."""
        return self._by_code.get(code or "")

    def guess(self, text: str, language: str, threshold: float = 80.0) -> ServiceType | None:
        """The service a resident means ("there's a pothole on 5th"), by keyword, tolerant of slips; None if unsure."""
        said = " ".join(text.lower().split())[:300]
        if not said:
            return None
        best, best_score = None, 0.0
        for service in self.services:
            words = service.keywords.get(language, ()) + (service.label(language).lower(),)
            score = max((fuzz.partial_ratio(word, said) for word in words if len(word) >= 3), default=0.0)
            if score > best_score:
                best, best_score = service, score
        return best if best_score >= threshold else None


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read and check the catalogue file."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    services = [_service(entry) for entry in raw.get("service", [])]
    codes = [s.code for s in services]
    if not services or len(codes) != len(set(codes)):
        raise CatalogueError(f"{path}: needs at least one service and unique codes")
    return Catalogue(services)


def _service(entry: dict) -> ServiceType:
    code = str(entry.get("code", ""))
    if not code:
        raise CatalogueError("a service has no code")
    sla = entry.get("sla", {})
    if not (isinstance(sla.get("business_days"), int) or isinstance(sla.get("hours"), int)):
        raise CatalogueError(f"service {code}: sla needs business_days or hours")
    return ServiceType(
        code=code,
        name=dict(entry["name"]),
        description=dict(entry.get("description", {})),
        department=str(entry.get("department", "")),
        group=str(entry.get("group", "")),
        keywords={lang: tuple(words) for lang, words in entry.get("keywords", {}).items()},
        sla=Sla(business_days=sla.get("business_days"), hours=sla.get("hours")),
        location_required=entry.get("location", "required") == "required",
        details_required=entry.get("details", "optional") == "required",
        attributes=tuple(_attribute(code, a) for a in entry.get("attribute", [])),
    )


def _attribute(service: str, raw: dict) -> Attribute:
    if raw.get("datatype") == "singlevaluelist" and not raw.get("values"):
        raise CatalogueError(f"service {service}: attribute {raw.get('code')} has no values")
    values = tuple(Choice(str(v["key"]), dict(v["name"])) for v in raw.get("values", []))
    return Attribute(
        str(raw["code"]),
        str(raw.get("datatype", "string")),
        bool(raw.get("required")),
        dict(raw.get("prompt", {})),
        values,
    )


def of(ctx) -> Catalogue:
    """The service catalogue of this process (web or worker), read from its file once."""
    return ctx.memo("crm_bridge.catalogue", load_catalogue)
