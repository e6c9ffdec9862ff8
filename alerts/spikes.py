"""Surge detection: contacts on one key (a topic, a service type, a street) in the last minutes against its usual rate.

The method. Each key's usual rate is its contacts over the previous 24 hours divided by the hours of those 24 the
line had any contact in (its open hours: a centre open 12 hours a day is not judged against a rate halved by its
nights), never below [alerts] surge_usual_per_hour (a quiet key, or a service without a day of history, is not
"usually zero"). For every window of 1, 2, ... surge_window_minutes minutes ending now, the count of distinct
contacts k on the key is compared with a Poisson distribution of mean usual rate × window: the key fires when
k >= surge_min_count and the upper tail P(X >= k), multiplied by the number of windows tried (Bonferroni), is below
surge_p_value; or, in the SHORT_WINDOWS shortest windows only, when P(X >= surge_min_count) times those windows is
below surge_short_p_value: an evenly spread storm of 14 in 10 minutes has only 3 contacts in its first 2 minutes, so
waiting for a 4th would miss the 2-minute goal, and 3 in 2 minutes is that rare only for a key usually at about 1 an
hour or less. The window most significant against its rule names the spike. Evaluated every 30 s (app.schedule), so
an alert is raised at most 30 s after the count gets there.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alerts.models import AlertKind
from alerts.rules import Firing
from settings import AlertSettings

BASELINE_HOURS = 24
SHORT_WINDOWS = 2  # minutes: the windows in which a count of exactly surge_min_count may name a spike
MAX_ADDRESSES = 5


@dataclass(frozen=True)
class Contact:
    """One resident's contact on one key: a call or text answered by an article, or a request opened."""

    key: str  # "topic:water-main-break", "service:street-light", "street:main st"
    label: str  # what supervisors read: "Water main break or leak"
    at: dt.datetime
    address: str = ""


def upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed term by term from k (exact for the small means that matter here)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    total, i = 0.0, k
    while True:
        term = math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1))
        total += term
        if term < total * 1e-12 or i > k + 1000:
            return min(total, 1.0)
        i += 1


def usual_per_hour(history_count: int, settings: AlertSettings, open_hours: float = BASELINE_HOURS) -> float:
    """A key's usual contacts per hour: its last day's count over the day's open hours, never below the floor."""
    return max(settings.surge_usual_per_hour, history_count / max(1.0, min(open_hours, BASELINE_HOURS)))


def detect(
    contacts: Iterable[Contact], history: Mapping[str, int], settings: AlertSettings, now: dt.datetime, *,
    open_hours: float = BASELINE_HOURS,
) -> list[Firing]:
    """The keys whose recent count is far above their usual rate, most significant first."""
    by_key: dict[str, list[Contact]] = defaultdict(list)
    earliest = now - dt.timedelta(minutes=settings.surge_window_minutes)
    for contact in contacts:
        if earliest < contact.at <= now:
            by_key[contact.key].append(contact)
    found: list[tuple[float, Firing]] = []
    windows = range(1, settings.surge_window_minutes + 1)
    short = min(SHORT_WINDOWS, len(windows))
    for key, items in by_key.items():
        if len(items) < settings.surge_min_count:
            continue
        usual = usual_per_hour(history.get(key, 0), settings, open_hours)
        best: tuple[float, int, list[Contact]] | None = None
        for minutes in windows:
            inside = [c for c in items if c.at > now - dt.timedelta(minutes=minutes)]
            if len(inside) < settings.surge_min_count:
                continue
            mean = usual / 60 * minutes
            # Scored against each rule's own threshold, so the two compare: below 1 fires, the smallest names it.
            score = upper_tail(len(inside), mean) * len(windows) / settings.surge_p_value
            if minutes <= short:  # "at least surge_min_count": monotone, so a 4th contact never unfires a 3rd's alert
                score = min(score, upper_tail(settings.surge_min_count, mean) * short / settings.surge_short_p_value)
            if score < 1 and (best is None or score < best[0]):
                best = (score, minutes, inside)
        if best is None:
            continue
        score, minutes, inside = best
        addresses = tuple(dict.fromkeys(c.address for c in inside if c.address))[:MAX_ADDRESSES]
        label = inside[-1].label
        found.append((score, Firing(
            AlertKind.SURGE, key,
            f"Surge: {label}: {len(inside)} contacts in {minutes} min (usually {usual:.1f} an hour)",
            f"Near {', '.join(addresses)}" if addresses else "",
            len(inside), addresses,
        )))
    return [firing for _, firing in sorted(found, key=lambda pair: pair[0])]
