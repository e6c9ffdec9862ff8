"""The service catalogue: request types residents can report, their SLA and the questions intake asks."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from crm_bridge.privacy import ADDRESS_RULES

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue" / "services.toml"
SERVICE_KEYS = {
    "code",
    "name",
    "description",
    "department",
    "group",
    "keywords",
    "sla",
    "location",
    "details",
    "attribute",
    "publish_address",
    "publish_description",
}
ATTRIBUTE_KEYS = {"code", "datatype", "required", "prompt", "values"}


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
    # What GET requests may show the public: the address in full, to the block or not at all; the description or not.
    publish_address: str = "full"
    publish_description: bool = True

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
    try:
        services = [_service(entry) for entry in raw.get("service", [])]
    except CatalogueError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from None
    codes = [s.code for s in services]
    if not services or len(codes) != len(set(codes)):
        raise CatalogueError(f"{path}: needs at least one service and unique codes")
    return Catalogue(services)


def _service(entry: dict) -> ServiceType:
    code = str(entry.get("code", ""))
    if not code:
        raise CatalogueError("a service has no code")
    _known_keys(f"service {code}", entry, SERVICE_KEYS)
    sla = entry.get("sla", {})
    if not (isinstance(sla.get("business_days"), int) or isinstance(sla.get("hours"), int)):
        raise CatalogueError(f"service {code}: sla needs business_days or hours")
    for key in ("location", "details"):
        if entry.get(key, "optional") not in ("required", "optional"):
            raise CatalogueError(f'service {code}: {key}: {entry[key]!r} is not "required" or "optional"')
    publish_address = entry.get("publish_address", "full")
    if publish_address not in ADDRESS_RULES:
        choices = ", ".join(f'"{rule}"' for rule in ADDRESS_RULES)
        raise CatalogueError(f"service {code}: publish_address: {publish_address!r} is not one of {choices}")
    publish_description = entry.get("publish_description", True)
    if not isinstance(publish_description, bool):
        raise CatalogueError(f"service {code}: publish_description: {publish_description!r} is not true or false")
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
        publish_address=publish_address,
        publish_description=publish_description,
    )


def _known_keys(where: str, entry: dict, known: set[str]) -> None:
    # A misspelt key (publish_adress) would otherwise be ignored and the default, publishing, would apply.
    for key in entry:
        if key not in known:
            raise CatalogueError(f"{where}: {key}: unknown key (known: {', '.join(sorted(known))})")


def _attribute(service: str, raw: dict) -> Attribute:
    _known_keys(f"service {service}: attribute {raw.get('code')}", raw, ATTRIBUTE_KEYS)
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
