"""The wait estimator's whole state, as dataclasses; stored (in Redis) as the same small JSON dict as ever.

The stored dict keeps its short keys and version (STATE_VERSION): every web process reads and writes it, and a
state written before an upgrade must still load. A stored value that is not shaped as expected (another version,
hand-edited, corrupt) is replaced by its fresh value rather than failing a call.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

STATE_VERSION = 1
DISPERSION_MAX = 10.0  # the cap on the learned clumping of answers (variance over mean; 1 for Poisson)


def finite(x: object) -> bool:
    """Whether x is a real, finite number (not a bool, NaN, an infinity or anything else)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@dataclass
class DecayedCounts:
    """Counts that fade with time, each with the exposure it was counted over."""

    answers: float = 0.0  # answers that had to wait (long window)
    busy_seconds: float = 0.0  # seconds with someone waiting (long window)
    recent_answers: float = 0.0  # the same two over the recent window
    recent_busy_seconds: float = 0.0
    hang_ups: float = 0.0
    held_seconds: float = 0.0  # caller-seconds spent waiting


@dataclass
class Announcement:
    """A wait announced to a caller, kept until their outcome scores it."""

    joined_at: float
    place: int
    configured_mean: float  # each predictor's mean when announced (configured, observed)
    observed_mean: float
    mean: float  # the blended mean
    shape: float  # the gamma shape of the announced distribution

    @property
    def means(self) -> list[float]:
        """Each predictor's mean: configured, observed."""
        return [self.configured_mean, self.observed_mean]

    def to_list(self) -> list:
        """Stored as [t_join, place, mean per predictor, blended mean, shape]."""
        return [self.joined_at, self.place, self.configured_mean, self.observed_mean, self.mean, self.shape]

    @classmethod
    def from_list(cls, data: list) -> Announcement:
        """Back from to_list()."""
        return cls(*data)


@dataclass
class EstimatorState:
    """Everything the estimator knows of one queue."""

    latest: float | None = None  # time of the latest event
    waiting: int = 0  # callers waiting, as counted from events
    counts: DecayedCounts = field(default_factory=DecayedCounts)
    slower_evidence: float = 0.0  # CUSUM: evidence that throughput dropped
    faster_evidence: float = 0.0  # CUSUM: evidence that throughput rose
    dispersion: float = 1.0  # clumping of answers: variance over mean of their counts
    block_expected: float = 0.0  # the block of answers being counted: answers expected
    block_seen: float = 0.0  # and answers seen
    trusted: bool = True  # whether the configured agents x handle time still describe the line
    agents_hint: int | None = None  # agents-active hint, overrides the configured count
    free_agent_share: float = 0.5  # share of callers joining at place 1 who find a free agent
    # Smoothed absolute error (s) of the configured and the observed predictor; None until one is scored.
    predictor_errors: list[float | None] = field(default_factory=lambda: [None, None])
    # Learned quantiles of the outcome at the range's two levels, in Wilson-Hilferty normal space.
    range_quantiles: list[float] = field(default_factory=lambda: [-1.2816, 1.2816])
    announcements: list[Announcement] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The stored JSON dict (short keys, STATE_VERSION), of bounded size."""
        c = self.counts
        return {
            "v": STATE_VERSION,
            "t": self.latest,
            "q": self.waiting,
            "ans": c.answers,
            "busy": c.busy_seconds,
            "ans_r": c.recent_answers,
            "busy_r": c.recent_busy_seconds,
            "abn": c.hang_ups,
            "held": c.held_seconds,
            "cusum": [self.slower_evidence, self.faster_evidence],
            "disp": self.dispersion,
            "blk": [self.block_expected, self.block_seen],
            "trust": self.trusted,
            "agents": self.agents_hint,
            "p0": self.free_agent_share,
            "err": list(self.predictor_errors),
            "zq": list(self.range_quantiles),
            "rec": [a.to_list() for a in self.announcements],
        }

    @classmethod
    def from_dict(cls, data: object) -> EstimatorState:
        """Back from to_dict(); whatever does not fit starts fresh, key by key."""
        d = _sanitize(data)
        return cls(
            latest=d["t"],
            waiting=d["q"],
            counts=DecayedCounts(d["ans"], d["busy"], d["ans_r"], d["busy_r"], d["abn"], d["held"]),
            slower_evidence=d["cusum"][0],
            faster_evidence=d["cusum"][1],
            dispersion=d["disp"],
            block_expected=d["blk"][0],
            block_seen=d["blk"][1],
            trusted=d["trust"],
            agents_hint=d["agents"],
            free_agent_share=d["p0"],
            predictor_errors=d["err"],
            range_quantiles=d["zq"],
            announcements=[Announcement.from_list(r) for r in d["rec"]],
        )


def _pair(x: object) -> bool:
    return isinstance(x, list) and len(x) == 2 and all(finite(v) for v in x)


_VALID = {
    "t": lambda x: x is None or finite(x),
    "q": lambda x: finite(x) and x >= 0,
    "trust": lambda x: isinstance(x, bool),
    "agents": lambda x: x is None or (finite(x) and x > 0),
    "cusum": _pair,
    "disp": lambda x: finite(x) and 1.0 <= x <= DISPERSION_MAX,
    "blk": lambda x: _pair(x) and min(x) >= 0,
    "zq": _pair,
    "err": lambda x: isinstance(x, list) and len(x) == 2 and all(v is None or finite(v) for v in x),
    "rec": lambda x: isinstance(x, list) and len(x) <= 10_000,
}


def _sanitize(state: object) -> dict:
    # Keep only values shaped like a fresh state's; a key that isn't (old version, hand-edited, corrupt) starts fresh.
    out = EstimatorState().to_dict()
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
        return out
    for key in out:
        if key in state and _VALID.get(key, finite)(state[key]):
            out[key] = copy.deepcopy(state[key])
    out["q"] = int(out["q"])
    out["rec"] = [r for r in out["rec"] if isinstance(r, list) and len(r) == 6 and all(finite(x) for x in r)]
    return out
