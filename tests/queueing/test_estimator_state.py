"""The wait estimator's state: dataclasses in memory, the same short-keyed JSON dict in Redis as before."""

from __future__ import annotations

import json

from queueing.estimator import EstimatorConfig, WaitEstimator
from queueing.estimator_state import EstimatorState

# The pool estimator's state as Redis held it before the state was dataclasses (agents:ewt); it must load unchanged.
STORED = {
    "v": 1,
    "t": 1700000600.0,
    "q": 3,
    "ans": 12.5,
    "busy": 900.25,
    "ans_r": 4.0,
    "busy_r": 300.0,
    "abn": 1.5,
    "held": 2000.0,
    "cusum": [0.4, 0.0],
    "disp": 1.8,
    "blk": [3.5, 4.0],
    "trust": False,
    "agents": 4,
    "p0": 0.3,
    "err": [40.2, None],
    "zq": [-1.1, 1.4],
    "rec": [[1700000500.0, 2, 120.0, 110.5, 112.0, 3.2], [1700000550.0, 3, 180.0, 170.0, 171.0, 4.1]],
}


def test_a_state_stored_before_the_dataclasses_loads_with_its_keys_and_values():
    est = WaitEstimator.from_state(json.loads(json.dumps(STORED)), EstimatorConfig(agents=10, handle_time=240))
    assert est.to_state() == STORED
    assert list(est.to_state()) == list(STORED)  # the same keys in the same order: the same document in Redis
    state = est.state
    assert (state.waiting, state.counts.hang_ups, state.agents_hint, state.trusted) == (3, 1.5, 4, False)
    assert state.announcements[1].place == 3 and state.announcements[1].means == [180.0, 170.0]


def test_a_fresh_state_is_stored_as_before():
    assert EstimatorState().to_dict() == {
        "v": 1,
        "t": None,
        "q": 0,
        "ans": 0.0,
        "busy": 0.0,
        "ans_r": 0.0,
        "busy_r": 0.0,
        "abn": 0.0,
        "held": 0.0,
        "cusum": [0.0, 0.0],
        "disp": 1.0,
        "blk": [0.0, 0.0],
        "trust": True,
        "agents": None,
        "p0": 0.5,
        "err": [None, None],
        "zq": [-1.2816, 1.2816],
        "rec": [],
    }
