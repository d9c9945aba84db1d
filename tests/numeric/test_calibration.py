"""The calibration benchmark's fast subset: false-alarm rates of the bias test on hard cases.

Every case repeats the test 1000 times on fresh samples of an exactly unbiased estimator
at α = 0.05; the upper end of the 95% Clopper–Pearson interval of the false-alarm rate
must be ≤ 1.5 α.  The finite-sample test holds its level by construction, so this fails
only if the implementation does not (fixed seeds: the run is deterministic).  The full
tables (every case, and the power table) are printed by ``benchmarks/calibration.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from pgproof.numeric.bias_test import run_bias_tests
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.trajectories import Batch

ROOT = Path(__file__).resolve().parents[2]
_NAME = "pgproof_benchmark_calibration"
_spec = importlib.util.spec_from_file_location(_NAME, ROOT / "benchmarks" / "calibration.py")
calibration = importlib.util.module_from_spec(_spec)
sys.modules[_NAME] = calibration  # dataclasses look their module up while being built
_spec.loader.exec_module(calibration)

ALPHA = 0.05
REPS = 1000


@pytest.mark.parametrize("case", calibration.FAST, ids=lambda c: f"{c.name}, m={c.m}")
def test_false_alarm_rate_is_at_most_one_and_a_half_alpha(case):
    prepared = calibration.prepare(case)
    assert prepared.exact_bias is not None and prepared.exact_bias < 1e-9  # truly unbiased
    outcome = calibration.repeat_test(prepared, case.estimator, case.m, REPS, ALPHA, seed=11)
    low, high = outcome.interval()
    assert high <= 1.5 * ALPHA, (case.name, outcome.alarms)


def test_hotelling_declines_the_cases_that_break_it():
    # peaked θ at m = 10000 (the 0.097 false alarms): the rarest pair is expected
    # ~6 times, so Hotelling must not decide
    case = calibration.Case("peaked", calibration.peaked_theta, 10_000)
    prepared = calibration.prepare(case)
    outcome = calibration.repeat_test(prepared, "reinforce", 10_000, 20, ALPHA, seed=3)
    assert outcome.hotelling_applied == 0


def test_the_vectorised_engine_matches_run_bias_tests():
    case = calibration.FAST[0]
    prepared = calibration.prepare(case)
    mdp, policy, theta = prepared.mdp, prepared.policy, prepared.theta
    reps, m, d = 3, 500, policy.n_params
    batch = sample_trajectories(mdp, policy, theta, reps * m, np.random.default_rng(0))
    values = ESTIMATORS["reinforce"](batch, mdp, policy, theta).reshape(reps, m, d)
    sequence, _ = calibration.sequences(prepared, values, ALPHA)
    for r in range(reps):
        rows = slice(r * m, (r + 1) * m)
        sub = Batch(batch.states[rows], batch.actions[rows], batch.rewards[rows])
        run = run_bias_tests(
            [ESTIMATORS["reinforce"]], mdp, policy, theta, prepared.gradient, batch=sub,
            alpha=ALPHA,
        )  # fmt: skip
        result = run.results[0].comparison
        np.testing.assert_allclose(
            result.lower.ravel(), sequence.lower[r * d : (r + 1) * d], rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            result.upper.ravel(), sequence.upper[r * d : (r + 1) * d], rtol=1e-9, atol=1e-12
        )
