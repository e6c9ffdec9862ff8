"""One thing on the line of a simulated call or text: what the service said or played, what the caller did."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Line:
    """One thing on the line: what the service said or played, what the caller did, or an event."""

    speaker: str  # "service" | "caller" | "system"
    text: str
    language: str | None = None
    kind: str = "say"  # "say" | "play" | "pause" | "event" | "press" | "text"

    def to_dict(self) -> dict:
        """Plain JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Line:
        """Back from to_dict()."""
        return cls(**data)
