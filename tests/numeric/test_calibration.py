"""The calibration benchmark's fast subset: false-alarm rates of the bias test on hard cases,
and the vectorised engine of the benchmark against ``run_bias_tests``.

Every case repeats the test REPS times on fresh samples of an exactly unbiased estimator at
α = 0.05, with the design ``pgproof verify`` uses (control variates, α split by
difficulty, tolerance 5 % of |∇J|_∞); the upper end of the 95% Clopper–Pearson interval of
the false-alarm rate must be ≤ 1.5 α.  The test holds its level by construction, so this
fails only if the implementation does not (fixed seeds: the run is deterministic).  The
measurements over ≥ 500 repetitions of every case, the samples against the oracle and the
power curves are printed by ``benchmarks/calibration.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from pgproof.numeric.bias_test import run_bias_tests
from pgproof.numeric.control_variates import control_values
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
REPS = 200


@pytest.mark.parametrize("case", calibration.FAST, ids=lambda c: f"{c.name}, m={c.m}")
def test_false_alarm_rate_is_at_most_one_and_a_half_alpha(case):
    prepared = calibration.prepare(case, alpha=ALPHA)
    assert prepared.exact_bias is not None and prepared.exact_bias < 1e-9  # truly unbiased
    outcome = calibration.repeat_test(prepared, case.m, REPS, ALPHA, seed=11, with_hotelling=False)
    low, high = outcome.interval()
    assert high <= 1.5 * ALPHA, (case.name, outcome.alarms)


def test_hotelling_declines_the_cases_that_break_it():
    # peaked θ at m = 10000 (the 0.097 false alarms): the rarest pair is expected
    # ~6 times, so Hotelling must not decide
    case = calibration.Case("peaked", calibration.peaked_theta, 10_000)
    prepared = calibration.prepare(case, alpha=ALPHA)
    outcome = calibration.repeat_test(prepared, 10_000, 20, ALPHA, seed=3)
    assert outcome.hotelling_applied == 0


@pytest.mark.parametrize("index", [0, 1])
def test_the_vectorised_engine_matches_run_bias_tests(index):
    case = calibration.FAST[index]
    prepared = calibration.prepare(case, alpha=ALPHA)
    assert prepared.design.controlled.any()  # the control variates are part of the test
    mdp, policy, theta = prepared.mdp, prepared.policy, prepared.theta
    reps, m, d = 3, 500, policy.n_params
    batch = sample_trajectories(mdp, policy, theta, reps * m, np.random.default_rng(0))
    values = ESTIMATORS["reinforce"](batch, mdp, policy, theta).reshape(reps, m, d)
    controls = control_values(batch, mdp, policy, theta).reshape(reps, m, d, -1)
    sequence = calibration.sequences(prepared, values, controls, ALPHA)
    for r in range(reps):
        rows = slice(r * m, (r + 1) * m)
        sub = Batch(batch.states[rows], batch.actions[rows], batch.rewards[rows])
        run = run_bias_tests(
            [ESTIMATORS["reinforce"]], mdp, policy, theta, prepared.gradient, batch=sub,
            alpha=ALPHA, tolerance=prepared.tolerance,
        )  # fmt: skip
        result = run.results[0].comparison
        np.testing.assert_allclose(
            result.lower.ravel(), sequence.lower[r * d : (r + 1) * d], rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(
            result.upper.ravel(), sequence.upper[r * d : (r + 1) * d], rtol=1e-9, atol=1e-12
        )
        excluded = sequence.excludes_target()[r * d : (r + 1) * d].any()
        assert excluded == (result.verdict == "biased")


def test_the_oracle_needs_fewer_samples_with_a_wider_tolerance_and_more_with_more_noise():
    covariance = np.diag([1.0, 0.25])
    base = np.median(calibration.oracle_samples(covariance, 0.01, 0.01, draws=4000))
    assert np.median(calibration.oracle_samples(covariance, 0.02, 0.01, draws=4000)) < base / 3
    assert np.median(calibration.oracle_samples(4 * covariance, 0.01, 0.01, draws=4000)) > 3 * base
    # z_{α/4} = 2.81 plus the median of |Z|: (2.81 + 0.67)² / 0.01² ≈ 121,000 for σ = 1
    assert 1.0e5 < base < 1.5e5
    assert calibration.oracle_power(np.zeros(2), covariance, 100, 0.01) < 0.02
    assert calibration.oracle_power(np.array([0.5, 0.0]), covariance, 100, 0.01) > 0.95
