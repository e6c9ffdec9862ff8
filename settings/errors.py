"""pydantic's ValidationError as today's one line: the key as config.toml spells it, then the problem."""

from __future__ import annotations

import dataclasses
import typing

from pydantic import ValidationError

from settings.base import ConfigError
from settings.values import Problem, suggest

UNKNOWN = "unexpected_keyword_argument"  # a key the section does not declare


def config_error(exc: ValidationError, root: type) -> ConfigError:
    """The first problem found; an unknown key before all others, since a typo explains what follows from it."""
    errors = exc.errors(include_url=False, include_input=False)  # the input may be a secret: never printed
    first = min(errors, key=lambda error: error["type"] != UNKNOWN)
    broken = (first.get("ctx") or {}).get("error")
    broken = broken if isinstance(broken, Problem) else None
    loc = (*first["loc"], *(broken.at if broken else ()))
    key = key_name(loc)
    if broken:
        return ConfigError(key, broken.message)
    if first["type"] == UNKNOWN:
        known = declared_keys(root, loc[:-1])
        return ConfigError(key, ("unknown key" if len(loc) > 1 else "unknown section") + suggest(str(loc[-1]), known))
    if first["type"] == "missing":
        return ConfigError(key, "missing table")
    if first["type"] in ("dataclass_type", "dataclass_args_type"):
        return ConfigError(key, "must be a table")
    return ConfigError(key, first["msg"])


def key_name(loc: tuple) -> str:
    """("languages", 1, "voice") as languages[1].voice."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def declared_keys(root: type, loc: tuple) -> frozenset[str]:
    """The keys of the section at loc: those its class declares."""
    kind = section_at(root, loc)
    return frozenset(field.name for field in dataclasses.fields(kind)) if kind else frozenset()


def section_at(root: type, loc: tuple) -> type | None:
    """The class of the section at loc (a list's entries have its element's class); None for a table of data."""
    kind = root
    for part in loc:
        if not isinstance(part, int):
            kind = kind.__pydantic_fields__[part].annotation
        while typing.get_origin(kind) in (tuple, list, typing.Annotated):
            kind = typing.get_args(kind)[0]
    return kind if dataclasses.is_dataclass(kind) else None
