"""The wait estimator, driven by a fake clock: event streams in, estimates and the words a caller hears out."""

from __future__ import annotations

import json
import math
import random

import pytest

from queueing.estimator import (
    Basis,
    Estimate,
    EstimatorConfig,
    SpokenKind,
    SpokenWait,
    WaitEstimator,
    spoken_range,
)


class FakeClock:
    """Seconds since an arbitrary epoch; moves only when told."""

    def __init__(self, start: float = 1_700_000_000.0):
        self.t = start

    def tick(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def steady_line(est: WaitEstimator, clock: FakeClock, *, ahead: int, every: float, minutes: float) -> None:
    """A line that holds `ahead` callers: one joins and the head is answered every `every` seconds."""
    for _ in range(ahead):
        est.joined(clock.t)
    for _ in range(int(minutes * 60 / every)):
        clock.tick(every)
        est.joined(clock.t)
        est.answered(clock.t, ahead * every)


def test_no_history_falls_back_to_agents_times_handle_time():
    est = WaitEstimator(EstimatorConfig(agents=3, handle_time=300))
    e = est.estimate(6, FakeClock().t)
    # 6 places x 300 s / 3 agents = 600 s; the point is the median, a little under the mean.
    assert e.seconds == pytest.approx(600, rel=0.1)
    assert e.low < 600 < e.high
    assert e.basis == Basis.CONFIGURED


def test_estimate_tracks_a_steady_stream_of_answered_callers():
    # Configured for a much slower line than the real one: the estimator has to learn it from the events.
    est, clock = WaitEstimator(EstimatorConfig(agents=2, handle_time=300)), FakeClock()
    steady_line(est, clock, ahead=10, every=30, minutes=90)
    e = est.estimate(11, clock.t)
    assert e.seconds == pytest.approx(11 * 30, rel=0.15)
    assert e.low < 300 < e.high
    assert e.basis == Basis.OBSERVED


def test_place_1_is_told_less_than_place_10():
    est, clock = WaitEstimator(EstimatorConfig(agents=10, handle_time=240)), FakeClock()
    steady_line(est, clock, ahead=5, every=24, minutes=30)
    first, tenth = est.estimate(1, clock.t), est.estimate(10, clock.t)
    assert first.seconds < tenth.seconds
    assert first.high < tenth.high


def test_a_surge_of_callers_raises_the_estimate_at_once():
    est, clock = WaitEstimator(EstimatorConfig(agents=10, handle_time=240)), FakeClock()
    steady_line(est, clock, ahead=3, every=24, minutes=60)
    before = est.estimate(est.to_state()["q"] + 1, clock.t).seconds
    for _ in range(5):  # five callers join within a few seconds
        est.joined(clock.tick(1))
    after = est.estimate(est.to_state()["q"] + 1, clock.t).seconds
    assert after > before + 4 * 20


def test_a_slower_line_raises_the_estimate_for_the_same_place():
    est, clock = WaitEstimator(EstimatorConfig(agents=10, handle_time=300)), FakeClock()
    steady_line(est, clock, ahead=10, every=30, minutes=120)
    before = est.estimate(10, clock.t).seconds
    # Half the agents go: answers come every 60 s, and those answered have waited longer and longer.
    for n in range(30):
        clock.tick(60)
        est.joined(clock.t)
        est.answered(clock.t, 300 + 30 * n)
    assert est.estimate(10, clock.t).seconds > 1.2 * before


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_answers_in_clumps_at_the_configured_rate_are_not_taken_for_a_change_of_line(seed):
    # Long, variable calls: agents come free eight at a time, at random, one answer per 24 s on average, exactly as
    # configured. Counted as if they were Poisson the clumps look like the line stopping and racing by turns.
    est, clock, rng = WaitEstimator(EstimatorConfig(agents=10, handle_time=240)), FakeClock(), random.Random(seed)
    for _ in range(20):
        est.joined(clock.t)
    told = []
    for n in range(300):
        clock.tick(rng.expovariate(1 / (8 * 24)))
        for _ in range(8):
            est.joined(clock.t)
            est.answered(clock.t, 480)
        if n >= 75:  # after the first hour or so
            told.append(est.estimate(20, clock.t + 1).seconds)
    assert est.to_state()["disp"] > 2
    assert all(abs(seconds / 472 - 1) < 0.25 for seconds in told)  # 472 s: the configured median at place 20


def test_callers_ahead_hanging_up_shorten_the_wait():
    plain, quitters = (WaitEstimator(EstimatorConfig(agents=10, handle_time=300)) for _ in range(2))
    clock = FakeClock()
    for _ in range(20):
        plain.joined(clock.t)
        quitters.joined(clock.t)
    for _ in range(120):
        clock.tick(30)
        for est in (plain, quitters):
            est.joined(clock.t)
            est.answered(clock.t, 600)
        quitters.joined(clock.t)
        quitters.abandoned(clock.t, 200)
    assert quitters.estimate(20, clock.t).seconds < 0.9 * plain.estimate(20, clock.t).seconds


def test_callers_who_leave_for_a_voice_message_are_not_counted_as_hang_ups():
    plain, leavers, quitters = (WaitEstimator(EstimatorConfig(agents=10, handle_time=300)) for _ in range(3))
    clock = FakeClock()
    for est in (plain, leavers, quitters):
        for _ in range(20):
            est.joined(clock.t)
    for _ in range(120):
        clock.tick(30)
        for est in (plain, leavers, quitters):
            est.joined(clock.t)
            est.answered(clock.t, 600)
        for est in (leavers, quitters):
            est.joined(clock.t)
        leavers.left(clock.t, 200)
        quitters.abandoned(clock.t, 200)
    assert leavers.to_state()["abn"] == 0 and quitters.to_state()["abn"] > 0
    assert leavers.to_state()["q"] == plain.to_state()["q"]
    assert leavers.estimate(20, clock.t).seconds == pytest.approx(plain.estimate(20, clock.t).seconds, rel=0.02)
    assert quitters.estimate(20, clock.t).seconds < 0.9 * leavers.estimate(20, clock.t).seconds


def test_agents_active_hint_moves_the_fallback():
    est = WaitEstimator(EstimatorConfig(agents=10, handle_time=300))
    t = FakeClock().t
    full = est.estimate(10, t).seconds
    est.agents_active(5)
    assert est.estimate(10, t).seconds == pytest.approx(2 * full, rel=0.01)
    est.agents_active(None)
    assert est.estimate(10, t).seconds == pytest.approx(full, rel=0.01)


def test_a_caller_who_already_waited_at_place_1_is_not_promised_a_free_agent():
    est, clock = WaitEstimator(EstimatorConfig(agents=10, handle_time=240)), FakeClock()
    for _ in range(50):  # callers who join an empty line are answered at once
        est.joined(clock.tick(60))
        est.answered(clock.t, 0)
    assert est.estimate(1, clock.t).seconds == 0
    assert est.estimate(1, clock.t, waited_so_far=90).seconds > 0


def test_estimate_does_not_change_the_state():
    est, clock = WaitEstimator(EstimatorConfig(agents=4, handle_time=200)), FakeClock()
    steady_line(est, clock, ahead=4, every=50, minutes=20)
    before = json.dumps(est.to_state(), sort_keys=True)
    est.estimate(7, clock.tick(500), waited_so_far=30)
    assert json.dumps(est.to_state(), sort_keys=True) == before


def test_state_round_trips_through_json():
    config = EstimatorConfig(agents=6, handle_time=240)
    est, clock = WaitEstimator(config), FakeClock()
    steady_line(est, clock, ahead=8, every=40, minutes=45)
    est.abandoned(clock.tick(5), 100)
    copy = WaitEstimator.from_state(json.loads(json.dumps(est.to_state())), config)
    for place in (1, 3, 9, 30):
        assert copy.estimate(place, clock.t + 20) == est.estimate(place, clock.t + 20)
    copy.joined(clock.tick(3))
    est.joined(clock.t)
    assert copy.to_state() == est.to_state()


def test_state_stays_bounded_after_100k_events():
    config = EstimatorConfig(agents=10, handle_time=240)
    est, clock, rng = WaitEstimator(config), FakeClock(), random.Random(311)
    waiting: list[float] = []
    for _ in range(100_000):
        clock.tick(rng.expovariate(1 / 10))
        roll = rng.random()
        if roll < 0.5 or not waiting:
            est.joined(clock.t)
            waiting.append(clock.t)
        elif roll < 0.9:
            est.answered(clock.t, clock.t - waiting.pop(0))
        elif roll < 0.97:
            est.abandoned(clock.t, clock.t - waiting.pop(rng.randrange(len(waiting))))
        else:
            waiting.pop(0)  # an event we never hear about
    state = est.to_state()
    assert len(state["rec"]) <= config.max_records
    assert len(json.dumps(state)) < 16_000
    assert math.isfinite(est.estimate(len(waiting) + 1, clock.t).seconds)


def test_state_stays_bounded_when_answers_are_never_heard():
    config = EstimatorConfig(agents=10, handle_time=240, max_records=50)
    est, clock = WaitEstimator(config), FakeClock()
    for _ in range(5_000):
        est.joined(clock.tick(5))
    assert len(est.to_state()["rec"]) <= 50
    est.observe_queue(clock.tick(1), 0)  # Twilio says the queue is empty after all
    assert est.to_state()["q"] == 0 and est.to_state()["rec"] == []


def said(median: float, low: float, high: float) -> SpokenWait:
    return spoken_range(Estimate(median, low, high, "observed"))


def test_under_a_minute_is_said_in_steps_of_seconds_nearest_the_median():
    assert said(0, 0, 12) == SpokenWait(SpokenKind.SECONDS, 5)  # "just a few seconds"
    assert said(14, 2, 40) == SpokenWait(SpokenKind.SECONDS, 15)
    assert said(31, 18, 44) == SpokenWait(SpokenKind.SECONDS, 30)
    assert said(41, 33, 58) == SpokenWait(SpokenKind.SECONDS, 45)
    # 30 seconds would not cover 3 to 58 s: "less than a minute" says the same middle, honestly wider.
    assert said(30, 3, 58) == SpokenWait(SpokenKind.UNDER_A_MINUTE)


def test_less_than_a_minute_is_promised_only_when_the_high_end_is_within_a_minute():
    assert said(20, 0, 60).within_a_minute
    assert not said(20, 0, 61).within_a_minute
    assert not said(5, 0, float("nan")).within_a_minute


@pytest.mark.parametrize("high", [20, 45, 60, 61, 90, 130, 170, 230])
def test_a_14_second_wait_is_never_up_to_3_minutes(high):
    words = said(14, 0, high)
    assert words.midpoint <= 60
    assert not (words.kind is SpokenKind.RANGE and words.high >= 3), words


def test_short_waits_are_about_whole_minutes_and_longer_ones_a_range_centred_on_the_median():
    assert said(45, 5, 61) == SpokenWait(SpokenKind.ABOUT, 1)  # "about a minute"
    assert said(120, 70, 170) == SpokenWait(SpokenKind.ABOUT, 2)
    assert said(300, 250, 410) == SpokenWait(SpokenKind.RANGE, low=3, high=7)
    assert said(330, 250, 410) == SpokenWait(SpokenKind.RANGE, low=4, high=7)  # 5.5 minutes, on the half minute
    assert said(960, 756, 1176) == SpokenWait(SpokenKind.RANGE, low=12, high=20)
    assert said(100, 20, 300) == SpokenWait(SpokenKind.RANGE, low=0, high=3)  # "up to 3 minutes": middle 1.5
    assert said(600, 600, 600) == SpokenWait(SpokenKind.RANGE, low=9, high=11)  # a number with no spread


def test_midpoint_and_span_of_each_kind():
    cases = [
        (SpokenWait(SpokenKind.SECONDS, 5), 5, (0, 20)),
        (SpokenWait(SpokenKind.SECONDS, 30), 30, (15, 45)),
        (SpokenWait(SpokenKind.UNDER_A_MINUTE), 30, (0, 60)),
        (SpokenWait(SpokenKind.ABOUT, 2), 120, (60, 180)),
        (SpokenWait(SpokenKind.RANGE, low=4, high=7), 330, (240, 420)),
        (SpokenWait(SpokenKind.RANGE, low=0, high=3), 90, (0, 180)),
    ]
    for words, midpoint, span in cases:
        assert (words.midpoint, words.span) == (midpoint, span)


def test_spoken_waits_from_real_estimates():
    est, clock = WaitEstimator(EstimatorConfig(agents=10, handle_time=240)), FakeClock()
    steady_line(est, clock, ahead=6, every=24, minutes=60)
    for place in range(1, 200):
        e = est.estimate(place, clock.t)
        words = spoken_range(e)
        assert words.within_a_minute == (e.high <= 60)
        if e.seconds >= 45:
            # The middle of what is said is the median to the half minute...
            assert abs(words.midpoint - e.seconds) <= 15
        if words.kind is SpokenKind.RANGE and words.low > 0:
            # ...and a range covers the estimator's own.
            assert words.span[0] <= e.low and e.high <= words.span[1]
    assert spoken_range(est.estimate(1, clock.t)).within_a_minute
    assert spoken_range(est.estimate(30, clock.t)).kind is SpokenKind.RANGE


@pytest.mark.parametrize("position", [0, -3, 10**9, 2.7, float("nan"), float("inf"), None, "4"])
def test_garbage_positions_do_not_crash(position):
    est = WaitEstimator(EstimatorConfig(agents=3, handle_time=300))
    e = est.estimate(position, FakeClock().t)
    assert math.isfinite(e.seconds) and 0 <= e.low <= e.seconds <= e.high


def test_garbage_events_do_not_crash():
    est, clock = WaitEstimator(EstimatorConfig(agents=3, handle_time=300)), FakeClock()
    est.answered(clock.tick(10), -50)  # an answer nobody joined for, with a negative wait
    est.abandoned(clock.t, -1)
    est.left(float("inf"), 10)
    est.joined(float("nan"))
    est.answered(clock.t, float("inf"))
    est.joined(clock.t - 3600)  # another process, with a clock an hour behind
    est.answered(clock.t - 7200, 30)
    est.observe_queue(clock.t, -4)
    est.agents_active(-2)
    est.joined(clock.tick(5), position=0)
    for place in (1, 2, 50):
        e = est.estimate(place, clock.t, waited_so_far=-20)
        assert math.isfinite(e.seconds) and e.low <= e.seconds <= e.high
    json.dumps(est.to_state())


@pytest.mark.parametrize(
    "state",
    [None, {}, {"v": 99}, {"v": 1, "q": "x", "rec": [[1, 2]], "zq": [0], "trust": "yes"}, {"v": 1, "err": ["a", 3]}],
)
def test_a_broken_state_starts_fresh(state):
    config = EstimatorConfig(agents=3, handle_time=300)
    est = WaitEstimator.from_state(state, config)
    assert est.estimate(6, 0.0) == WaitEstimator(config).estimate(6, 0.0)
