"""Alert rules on the queues' figures, with thresholds from config.toml's [alerts]: which fire now."""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.models import AlertKind
from settings import AlertSettings


@dataclass(frozen=True)
class Firing:
    """A rule or a spike that fires now: its episode key, and what the banner and the text say."""

    kind: AlertKind
    key: str
    title: str
    detail: str = ""
    count: int = 0
    addresses: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class QueueFigures:
    """The centre's figures the rules read: calls that left a queue in the window, and the state now."""

    answered: int
    answered_in_time: int  # within the service level's seconds
    abandoned: int
    longest_wait_seconds: float
    callbacks_due: int


def firing(figures: QueueFigures, settings: AlertSettings) -> list[Firing]:
    """The rules that fire for these figures."""
    found = []
    window = f"over the last {settings.window_minutes} minutes"
    judged = figures.answered + figures.abandoned
    if judged >= settings.min_calls:
        level = figures.answered_in_time / judged
        if level < settings.service_level_below:
            found.append(Firing(
                AlertKind.SERVICE_LEVEL, str(AlertKind.SERVICE_LEVEL),
                f"Service level {round(level * 100)} %: below {round(settings.service_level_below * 100)} % "
                f"answered in {settings.service_level_seconds} s {window}",
                f"{figures.answered_in_time} of {judged} callers answered in time",
            ))
        abandonment = figures.abandoned / judged
        if abandonment > settings.abandonment_above:
            found.append(Firing(
                AlertKind.ABANDONMENT, str(AlertKind.ABANDONMENT),
                f"Abandonment {round(abandonment * 100)} %: above {round(settings.abandonment_above * 100)} % {window}",
                f"{figures.abandoned} of {judged} callers hung up while waiting",
            ))
    if figures.longest_wait_seconds >= settings.longest_wait_minutes * 60:
        found.append(Firing(
            AlertKind.LONGEST_WAIT, str(AlertKind.LONGEST_WAIT),
            f"Longest wait {int(figures.longest_wait_seconds // 60)} min: over {settings.longest_wait_minutes} min",
        ))
    if figures.callbacks_due > settings.callbacks_due_above:
        found.append(Firing(
            AlertKind.CALLBACKS_DUE, str(AlertKind.CALLBACKS_DUE),
            f"{figures.callbacks_due} call-backs due now: over {settings.callbacks_due_above}",
        ))
    return found
