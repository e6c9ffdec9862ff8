"""Estimated wait time (EWT) for callers in a Twilio <Enqueue> queue: what we may honestly tell a caller.

Pure Python, no I/O, no clock of its own: every event and query carries the time `t` (seconds, any epoch), so many
web processes can share one estimator whose whole state (queueing.estimator_state) is a small JSON dict (kept in Redis
by the caller).

Model: Ibrahim & Whitt's queue-length predictor for a many-server queue with abandonment (QL_m). A caller at place k
moves up whenever an agent takes the head of the line (service throughput r) or someone ahead hangs up (hazard a per
waiting caller), so the wait is a sum of k exponential stages, W(k) = sum_{j<k} Exp(r + j*a). Two predictors use it:
  configured  r = configured agents / handle time;
  observed    r = answers per second while someone was waiting (all agents busy), counted over a decaying window,
              pooled with the configured rate while the two agree; a CUSUM detector restarts the window when the
              line changes (agents leave or come back).
Answers come in clumps when handle times vary a lot (a few agents on very long calls, then many free at once), more
than a Poisson count would; the detector and the agreement test allow for the clumping measured so far (the
variance of the answers counted in blocks over what was expected), so a clump is not taken for a change of line.
Both predictors use the observed hang-up hazard, and are blended by inverse squared error: the error measured on
every announcement (kept, bounded, and scored when its caller is answered; that is late when waits are long), and
for the observed one also the uncertainty of a rate counted from few answers, as it is after a restart. The point
estimate is the median of W(k) (it minimizes the mean absolute error); the range is its 10th to 90th percentile,
recalibrated by the same scores (quantiles learned in Wilson-Hilferty normal space, counting callers who hung up as
censored).

What the caller hears (spoken_range) is scored by its midpoint, so the words are centred on the median: seconds under
a minute ("about 30 seconds", only when even the high end of the range is at most a minute), "about 2 minutes", then
a whole-minute range around the median wide enough to hold the estimator's range.

Measured and rejected (bench/ewt_accuracy.py): blending in the last-to-enter-service wait rescaled to the caller's
place made every scenario but one worse; a learned median correction chased surges too late; charging the configured
predictor with its gap to the observed one (beyond sampling noise) followed agents leaving sooner, but took clumps of
long calls for changes of line again. The price of the clumping allowance: when half the agents leave unannounced
the estimate follows later (bench scenario 3), which on the live line the agents seen on the agent line make up for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

from core.defaults import SPOKEN_ABOUT_MINUTES, SPOKEN_SECONDS, SPOKEN_SECONDS_SPAN
from queueing.estimator_state import DISPERSION_MAX, Announcement, DecayedCounts, EstimatorState
from queueing.estimator_state import finite as _finite

# An answer within this many seconds found a free agent: it says nothing about how fast the line moves.
IMMEDIATE = 2.0
# Places beyond this are treated as this many (garbage input).
MAX_POSITION = 100_000
# Stages summed term by term; the rest by their integral.
EXACT_STAGES = 64
# Join times and answered-after waits come from different processes; this much disagreement still matches.
MATCH_TOLERANCE = 3.0
# Pseudo-observations of the configured rate while we trust it (300 is two busy hours of 10 agents at 240 s). Large,
# because a long queue multiplies any error in the rate: 5 % on a 40-minute wait is 2 minutes.
PRIOR_ANSWERS = 300.0
# Stop trusting the configuration when the long run strays this many standard deviations from it; trust it again once
# the long run is back within REAGREE_Z with at least REAGREE_COUNT answers' worth of evidence.
DISTRUST_Z, REAGREE_Z, REAGREE_COUNT = 2.5, 2.0, 30.0
# CUSUM on throughput: alternatives 40 % slower / faster, alarm threshold in log-likelihood units.
SHIFT, ALARM = 0.4, 7.0
# Answers counted in blocks of this many expected to measure their clumping (variance over mean, 1 for Poisson), which
# is learned at ERROR_SMOOTHING per block and capped at DISPERSION_MAX (queueing.estimator_state).
DISPERSION_BLOCK = 10.0
# Pseudo caller-seconds of "nobody hangs up", so one early hang-up doesn't imply a huge hazard.
PRIOR_HOLD = 900.0
# Step sizes of the online learners: predictor errors and free-agent share (EWMA), range quantiles (Robbins-Monro).
ERROR_SMOOTHING = 0.05
QUANTILE_STEP = 0.02
# Quantile levels of the announced range.
LEVELS = (0.10, 0.90)
SHORT_WAIT = 60.0


class Basis(str, Enum):
    CONFIGURED = "configured"  # configured agents x handle time (and observed hang-ups)
    OBSERVED = "observed"  # observed service throughput and hang-ups


# The blended predictors, in the order of the state's predictor_errors (and Announcement.means).
_PREDICTORS = (Basis.CONFIGURED, Basis.OBSERVED)


@dataclass(frozen=True)
class EstimatorConfig:
    agents: int
    handle_time: float  # seconds, the configured average
    window: float = 7200.0  # seconds; time constant of the long-run decayed counts
    recent: float = 900.0  # seconds; time constant of the recent counts a detected change restarts from
    max_records: int = 128  # announcements kept for scoring; bounds the state size


@dataclass(frozen=True)
class Estimate:
    seconds: float  # median remaining wait
    low: float  # about the 10th percentile
    high: float  # about the 90th percentile
    basis: str  # a Basis value: which predictor weighed most


class SpokenKind(str, Enum):
    SECONDS = "seconds"  # "about 30 seconds"; 5 seconds is said "a few seconds"
    ABOUT = "about"  # "about 2 minutes"
    RANGE = "range"  # "about 4 to 7 minutes"; from 0, "up to 4 minutes"
    UNDER_A_MINUTE = "under_a_minute"  # "less than a minute"


@dataclass(frozen=True)
class SpokenWait:
    """What a waiting caller is told: the kind of phrase and the whole numbers in it."""

    kind: SpokenKind
    number: int = 0  # SECONDS: the seconds said; ABOUT: the minutes said
    low: int = 0  # RANGE: minutes from (0: "up to <high> minutes")
    high: int = 0  # RANGE: minutes to

    @property
    def span(self) -> tuple[float, float]:
        """The waits (seconds) the words cover: "about" one step either side, a range as said, or 0 to 60 s."""
        if self.kind is SpokenKind.SECONDS:
            return max(0.0, self.number - SPOKEN_SECONDS_SPAN), float(self.number + SPOKEN_SECONDS_SPAN)
        if self.kind is SpokenKind.ABOUT:
            return (self.number - 1) * 60.0, (self.number + 1) * 60.0
        if self.kind is SpokenKind.RANGE:
            return self.low * 60.0, self.high * 60.0
        return 0.0, SHORT_WAIT

    @property
    def midpoint(self) -> float:
        """The words as one number of seconds: the middle of a range, otherwise the number said."""
        if self.kind is SpokenKind.SECONDS:
            return float(self.number)
        if self.kind is SpokenKind.ABOUT:
            return self.number * 60.0
        if self.kind is SpokenKind.RANGE:
            return (self.low + self.high) * 30.0
        return SHORT_WAIT / 2.0

    @property
    def within_a_minute(self) -> bool:
        """Whether the caller is promised less than a minute."""
        return self.kind in (SpokenKind.SECONDS, SpokenKind.UNDER_A_MINUTE)


def spoken_range(est: Estimate) -> SpokenWait:
    """What to tell the caller: the phrase whose midpoint is nearest the median, as narrow as the range allows.

    Under a minute only when even the high end of the range is at most a minute: then "a few" (5), 15, 30 or 45
    seconds, whichever is nearest the median ("less than a minute" when 30 seconds would be too narrow). Otherwise
    the median rounded to the half minute (at least one minute) is the middle of what is said: "about N minutes"
    when N is whole, at most SPOKEN_ABOUT_MINUTES, and N-1 to N+1 covers the range; else the narrowest whole-minute
    range centred on it that covers the range ("up to 2N minutes" when that would start below zero).
    """
    high = min(est.high, 1e7) if _finite(est.high) else 1e7
    low = min(max(est.low, 0.0), high) if _finite(est.low) else 0.0
    median = min(max(est.seconds, low), high) if _finite(est.seconds) else high
    if high <= SHORT_WAIT:
        said = SpokenWait(SpokenKind.SECONDS, min(SPOKEN_SECONDS, key=lambda n: abs(n - median)))
        covers = said.span[0] <= low and high <= said.span[1]
        return SpokenWait(SpokenKind.UNDER_A_MINUTE) if said.number == 30 and not covers else said
    middle = max(round(median / 30.0) / 2.0, 1.0)  # minutes, on the half minute
    reach = max(middle - low / 60.0, high / 60.0 - middle)
    whole = middle.is_integer()
    if whole and middle <= SPOKEN_ABOUT_MINUTES and reach <= 1.0:
        return SpokenWait(SpokenKind.ABOUT, int(middle))
    # The smallest half-width that reaches and keeps both ends on whole minutes.
    half = max(math.ceil(reach), 1) if whole else math.ceil(reach - 0.5) + 0.5
    if middle - half <= 0:
        return SpokenWait(SpokenKind.RANGE, low=0, high=max(2, round(2 * middle)))
    return SpokenWait(SpokenKind.RANGE, low=round(middle - half), high=round(middle + half))


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _wh_quantile(mean: float, shape: float, z: float) -> float:
    # Wilson-Hilferty: the cube root of a gamma(shape) variable is nearly normal, so a normal z maps to a quantile.
    c = 1.0 / (9.0 * shape)
    return mean * max(0.0, 1.0 - c + z * math.sqrt(c)) ** 3


def _wh_score(mean: float, shape: float, actual: float) -> float:
    c = 1.0 / (9.0 * shape)
    return ((max(actual, 0.0) / mean) ** (1.0 / 3.0) - (1.0 - c)) / math.sqrt(c)


def _poisson_z(count: float, exposure: float, rate: float) -> float:
    # How many standard deviations `count` events in `exposure` seconds are from what `rate` predicts.
    expected = rate * exposure
    return (count - expected) / math.sqrt(expected + 1.0)


def _stages(place: int, rate: float, hazard: float) -> tuple[float, float]:
    """Mean and variance of the wait at `place`: one exponential stage per caller ahead plus the caller's own turn."""
    place = min(place, MAX_POSITION)
    exact = min(place, EXACT_STAGES)
    mean = sum(1.0 / (rate + j * hazard) for j in range(exact))
    var = sum(1.0 / (rate + j * hazard) ** 2 for j in range(exact))
    if place > exact:
        # Far back the stages change slowly: the midpoint rule on their integral is exact to a part in 10^5.
        a, b = rate + (exact - 0.5) * hazard, rate + (place - 0.5) * hazard
        if hazard > 0:
            mean += math.log(b / a) / hazard
            var += (1.0 / a - 1.0 / b) / hazard
        else:
            mean += (place - exact) / rate
            var += (place - exact) / rate**2
    return mean, var


class WaitEstimator:
    """Estimated wait for one queue; feed it events, ask it for estimates."""

    def __init__(self, config: EstimatorConfig, state: dict | None = None):
        self.config = config
        self.state = EstimatorState.from_dict(state)

    def to_state(self) -> dict:
        """The whole state as a JSON-serializable dict of bounded size."""
        return self.state.to_dict()

    @classmethod
    def from_state(cls, state: dict, config: EstimatorConfig) -> WaitEstimator:
        """Rebuild from to_state(); a state that doesn't fit starts fresh rather than failing a call."""
        return cls(config, state)

    # ---- events --------------------------------------------------------------------------------------------------

    def joined(self, t: float, position: int | None = None) -> None:
        """A caller joined the queue at `position` (default: behind everyone we know of)."""
        if not _finite(t):
            return
        self._advance(t)
        place = self._place(position if position is not None else self.state.waiting + 1)
        self._record(t, place)
        self.state.waiting = max(self.state.waiting, place - 1) + 1

    def answered(self, t: float, waited: float) -> None:
        """An agent took a caller who had waited `waited` seconds."""
        if not (_finite(t) and _finite(waited)):
            return
        waited = max(0.0, float(waited))
        self._advance(t)
        if waited > IMMEDIATE:
            self._count_answer()
        self.state.waiting = max(0, self.state.waiting - 1)
        announcement = self._match(t - waited)
        if announcement:
            self._score(announcement, waited)

    def abandoned(self, t: float, waited: float) -> None:
        """A caller hung up after waiting `waited` seconds."""
        self._gone(t, waited, hung_up=True)

    def left(self, t: float, waited: float) -> None:
        """A caller chose to leave the line (a voice message, a call-back) after `waited` seconds; not a hang-up."""
        self._gone(t, waited, hung_up=False)

    def observe_queue(self, t: float, size: int) -> None:
        """Correct our count with the queue size Twilio reports (CurrentQueueSize)."""
        if not (_finite(t) and _finite(size)):
            return
        self._advance(t)
        self.state.waiting = max(0, int(size))
        if self.state.waiting == 0:
            self.state.announcements = []  # nobody waits: any record left is from a lost event

    @property
    def agents(self) -> int | None:
        """The agents-active hint in force (None: the configured count)."""
        return self.state.agents_hint

    def agents_active(self, count: int | None) -> None:
        """Hint how many agents take calls now (None: back to the configured count); restarts the long run."""
        count = int(count) if _finite(count) and count > 0 else None
        if count != self.state.agents_hint:
            s = self.state
            s.agents_hint, s.trusted = count, True
            s.slower_evidence, s.faster_evidence = 0.0, 0.0
            s.counts.answers, s.counts.busy_seconds = s.counts.recent_answers, s.counts.recent_busy_seconds

    # ---- query ---------------------------------------------------------------------------------------------------

    def estimate(self, position: int, t: float, waited_so_far: float = 0) -> Estimate:
        """Remaining wait for the caller at 1-based `position` at time `t`; does not change the state.

        `waited_so_far` (Twilio's QueueTime) matters only at place 1: a caller who has already waited is not about
        to find a free agent. Otherwise the place in line carries all we know.
        """
        place = self._place(position)
        t = float(t) if _finite(t) else (self.state.latest or 0.0)
        mean, shape, basis = self._predict(place, t)[1:]
        waiting = _finite(waited_so_far) and waited_so_far > IMMEDIATE
        return self._distribution(place, mean, shape, basis, free_agent=not waiting)

    # ---- internals -----------------------------------------------------------------------------------------------

    def _gone(self, t: float, waited: float, *, hung_up: bool) -> None:
        # Either way one fewer waits ahead of the others, and they would have waited at least this long. Only a
        # hang-up counts toward the hazard: callers we offered another way out are not a sign of impatience, and
        # counting them would make us expect the callers ahead to hang up more than they do.
        if not (_finite(t) and _finite(waited)):
            return
        waited = max(0.0, float(waited))
        self._advance(t)
        if hung_up:
            self.state.counts.hang_ups += 1.0
        self.state.waiting = max(0, self.state.waiting - 1)
        announcement = self._match(t - waited)
        if announcement:
            self._score(announcement, waited, censored=True)

    @staticmethod
    def _place(position: object) -> int:
        return int(min(max(1.0, position), MAX_POSITION)) if _finite(position) else 1

    def _advance(self, t: float) -> None:
        s = self.state
        if s.latest is not None and t > s.latest:
            if s.waiting > 0:
                # Waiting time with no answer is evidence the line slowed down, and against it having sped up.
                expected = self._rates(s.latest)[0] * (t - s.latest)
                exposure = SHIFT * expected / s.dispersion
                s.slower_evidence = max(0.0, s.slower_evidence + exposure)
                s.faster_evidence = max(0.0, s.faster_evidence - exposure)
                s.block_expected += expected
            s.counts = self._counts_at(t)
        if s.latest is None or t > s.latest:
            s.latest = float(t)

    def _count_answer(self) -> None:
        s = self.state
        s.counts.answers += 1.0
        s.counts.recent_answers += 1.0
        self._count_block()
        # Quasi-likelihood: clumped answers are worth less evidence each.
        d = s.dispersion
        s.slower_evidence = max(0.0, s.slower_evidence + math.log(1.0 - SHIFT) / d)
        s.faster_evidence = max(0.0, s.faster_evidence + math.log(1.0 + SHIFT) / d)
        if max(s.slower_evidence, s.faster_evidence) > ALARM:
            # The line changed (agents left or came back): restart the long run from the recent window.
            s.counts.answers, s.counts.busy_seconds = s.counts.recent_answers, s.counts.recent_busy_seconds
            s.slower_evidence, s.faster_evidence, s.trusted = 0.0, 0.0, False
        r0 = self._prior_rate()
        z = _poisson_z(s.counts.answers, s.counts.busy_seconds, r0) / math.sqrt(d)
        if s.trusted and abs(z) > DISTRUST_Z:
            s.trusted = False
        elif not s.trusted and abs(z) < REAGREE_Z and r0 * s.counts.busy_seconds >= REAGREE_COUNT:
            s.trusted = True

    def _count_block(self) -> None:
        s = self.state
        s.block_seen += 1.0
        expected, seen = s.block_expected, s.block_seen
        if expected >= DISPERSION_BLOCK:
            spread = (seen - expected) ** 2 / expected
            s.dispersion = min(max(s.dispersion + ERROR_SMOOTHING * (spread - s.dispersion), 1.0), DISPERSION_MAX)
            s.block_expected, s.block_seen = 0.0, 0.0

    def _counts_at(self, t: float) -> DecayedCounts:
        # Decayed counts projected to t: a count is worth f after dt; dt seconds of exposure are worth tau * (1 - f).
        s, c = self.state, self.state.counts
        if s.latest is None or t <= s.latest:
            return replace(c)
        dt, waiting = t - s.latest, 1.0 if s.waiting > 0 else 0.0
        answers, busy = _decay(c.answers, c.busy_seconds, dt, self.config.window, waiting)
        recent_answers, recent_busy = _decay(c.recent_answers, c.recent_busy_seconds, dt, self.config.recent, waiting)
        hang_ups, held = _decay(c.hang_ups, c.held_seconds, dt, self.config.window, float(s.waiting))
        return DecayedCounts(answers, busy, recent_answers, recent_busy, hang_ups, held)

    def _prior_rate(self) -> float:
        agents = self.state.agents_hint or self.config.agents
        return max(agents, 1) / max(self.config.handle_time, 1.0)

    def _rates(self, t: float) -> tuple[float, float, bool]:
        """Observed service throughput (answers/s while someone waits), hang-up hazard per waiting caller, history."""
        c = self._counts_at(t)
        r0 = self._prior_rate()
        prior = PRIOR_ANSWERS if self.state.trusted else 1.0
        rate = (c.answers + prior) / (c.busy_seconds + prior / r0)
        hazard = c.hang_ups / (c.held_seconds + PRIOR_HOLD)
        return rate, hazard, c.answers + c.hang_ups >= 1.0

    def _predict(self, place: int, t: float) -> tuple[list[float], float, float, str]:
        """(each predictor's mean, blended mean, gamma shape, basis) for the wait of the caller at `place`."""
        rate, hazard, history = self._rates(t)
        observed, var = _stages(place, rate, hazard)
        shape = max(observed * observed / var, 1.0) if var > 0 else 1.0
        configured = _stages(place, self._prior_rate(), hazard)[0]
        means = [configured, observed]
        if not history:
            return means, configured, shape, Basis.CONFIGURED.value
        errors = self.state.predictor_errors
        if None in errors:
            return means, observed, shape, Basis.OBSERVED.value
        # Inverse squared error: the predictor that has been closer lately counts more, but a rate counted from few
        # answers (relative variance disp / answers) is uncertain before its measured error can show it.
        answers = self._counts_at(t).answers + (PRIOR_ANSWERS if self.state.trusted else 1.0)
        sampling = observed * observed * self.state.dispersion / answers
        weights = [1.0 / (e * e + v + 1e-9) for e, v in zip(errors, (0.0, sampling), strict=True)]
        mean = sum(w * m for w, m in zip(weights, means, strict=True)) / sum(weights)
        # The range holds that uncertainty too: the stages' spread at this mean, plus the rate's share of it.
        share = weights[1] / sum(weights)
        spread = mean * mean / shape + share * share * sampling
        return means, mean, max(mean * mean / spread, 1.0), _PREDICTORS[weights.index(max(weights))].value

    def _distribution(self, place: int, mean: float, shape: float, basis: str, free_agent: bool) -> Estimate:
        # Clamped so that low <= seconds <= high whatever the learners did.
        z_lo, z_hi = min(self.state.range_quantiles[0], 0.0), max(self.state.range_quantiles[1], 0.0)
        if place == 1:
            # A caller joining at place 1 may find a free agent (no wait); otherwise one exponential stage.
            p0 = min(max(self.state.free_agent_share, 0.0), 0.99) if free_agent else 0.0

            def q(level: float) -> float:
                return 0.0 if level <= p0 else -mean * math.log(1.0 - (level - p0) / (1.0 - p0))

            return Estimate(q(0.5), q(_phi(z_lo)), q(_phi(z_hi)), basis)
        lo, mid, hi = (_wh_quantile(mean, shape, z) for z in (z_lo, 0.0, z_hi))
        return Estimate(mid, lo, hi, basis)

    def _record(self, t: float, place: int) -> None:
        announcements = self.state.announcements
        if len(announcements) >= self.config.max_records:
            # Nobody waits this long: a record this old is from a lost event.
            announcements[:] = [a for a in announcements if a.joined_at >= t - 2.0 * self.config.window]
        if len(announcements) >= self.config.max_records:
            # Keep the oldest: they are answered first, so scores keep flowing during a long queue.
            return
        means, mean, shape, _ = self._predict(place, t)
        configured, observed = (round(m, 1) for m in means)
        announcements.append(Announcement(round(t, 3), place, configured, observed, round(mean, 1), round(shape, 2)))

    def _match(self, t_join: float) -> Announcement | None:
        announcements = self.state.announcements
        best = min(range(len(announcements)), key=lambda i: abs(announcements[i].joined_at - t_join), default=None)
        if best is None or abs(announcements[best].joined_at - t_join) > MATCH_TOLERANCE:
            return None
        return announcements.pop(best)

    def _score(self, announcement: Announcement, waited: float, censored: bool = False) -> None:
        """Learn from one announcement's outcome: predictor errors, free-agent share, the quantiles of the range.

        A caller who hung up (`censored`) would have waited at least `waited`: they were above any quantile below
        that, and we learn nothing about the others.
        """
        s = self.state
        if announcement.place == 1:
            answered_at_once = 1.0 if waited <= IMMEDIATE and not censored else 0.0
            s.free_agent_share += ERROR_SMOOTHING * (answered_at_once - s.free_agent_share)
            return
        errors = s.predictor_errors
        if not censored:
            for i, m in enumerate(announcement.means):
                e = abs(waited - m)
                errors[i] = e if errors[i] is None else errors[i] + ERROR_SMOOTHING * (e - errors[i])
        z = _wh_score(max(announcement.mean, 1.0), max(announcement.shape, 1.0), waited)
        quantiles = s.range_quantiles
        for i, level in enumerate(LEVELS):
            if z >= quantiles[i]:
                quantiles[i] += QUANTILE_STEP * level
            elif not censored:
                quantiles[i] -= QUANTILE_STEP * (1.0 - level)


def _decay(count: float, exposure: float, dt: float, tau: float, per_second: float) -> tuple[float, float]:
    """A count and its exposure dt seconds on: the count worth f, the exposure f plus what dt added at per_second."""
    tau = max(tau, 1.0)
    f = math.exp(-dt / tau)
    return count * f, exposure * f + per_second * tau * (1.0 - f)
