"""The bounds that make the finite-sample test valid hold for every trajectory.

Checked by enumeration on random problems of every policy class, with negative rewards,
discounting, T = 1: every built-in estimator's weights lie within their derived bounds,
and every coordinate of every per-trajectory estimate within its derived coordinate bounds;
the control variates have mean zero, and ĝ minus them stays within its derived bounds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pgproof.numeric.bounds import declared_bounds, score_weighted_bounds
from pgproof.numeric.control_variates import (
    CONTROLS,
    control_bounds,
    control_values,
    controlled_bounds,
    fit_coefficients,
    residual_variance,
)
from pgproof.numeric.enumeration import exact_gradient_enumeration, iter_trajectories
from pgproof.numeric.estimators import ESTIMATORS, Estimator
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.moments import (
    exact_controlled_ranges,
    exact_summaries_with_controls,
    exact_summary,
)
from pgproof.numeric.policies import LinearSoftmax, TabularSoftmax, TimeDependentSoftmax

TOLERANCE = 1e-12


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    discount=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    low=st.floats(-3.0, 0.5),
    kind=st.sampled_from(["tabular", "time", "linear"]),
    scale=st.sampled_from([0.5, 2.0, 6.0]),
)
def test_estimates_lie_within_their_derived_bounds(seed, shape, discount, low, kind, scale):
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon = shape
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount, min_reward=low, max_reward=1.0)
    policy = {
        "tabular": TabularSoftmax(n_states, n_actions),
        "time": TimeDependentSoftmax(n_states, n_actions, horizon),
        "linear": LinearSoftmax(rng.standard_normal((n_states, n_actions, 2))),
    }[kind]
    theta = policy.random_theta(rng, scale)
    for name, estimator in ESTIMATORS.items():
        lo, hi = declared_bounds(estimator, mdp, policy, theta)
        w_lo, w_hi = estimator.weights.bounds(mdp, policy, theta)
        for chunk in iter_trajectories(mdp, policy, theta):
            batch = chunk.to_batch(mdp)
            values = estimator(batch, mdp, policy, theta)
            assert np.all(values >= lo - TOLERANCE) and np.all(values <= hi + TOLERANCE), name
            w = estimator.weights.rule(batch, mdp, policy, theta)
            w = np.broadcast_to(w.reshape(batch.size, -1), (batch.size, horizon))
            assert np.all(w >= w_lo - TOLERANCE) and np.all(w <= w_hi + TOLERANCE), name


def test_bounds_are_tight_for_reinforce_on_a_one_step_problem():
    # T = 1, one state: ĝ[a] = r(a) (1[a_1 = a] - π(a)); the derived bound is the exact range
    # up to the reward interval's corners
    rng = np.random.default_rng(3)
    mdp = random_mdp(1, 3, 1, rng)
    policy = TabularSoftmax(1, 3)
    theta = policy.random_theta(rng)
    lo, hi = declared_bounds(ESTIMATORS["reinforce"], mdp, policy, theta)
    _, _, low, high = exact_summary(ESTIMATORS["reinforce"], mdp, policy, theta)
    assert np.all(lo <= low + TOLERANCE) and np.all(high <= hi + TOLERANCE)
    pi = np.exp(theta) / np.exp(theta).sum()
    r_max = mdp.reward.max()
    np.testing.assert_allclose(hi, (1 - pi) * r_max)
    np.testing.assert_allclose(lo, -pi * r_max)


def test_other_estimators_declare_or_have_none():
    rng = np.random.default_rng(4)
    mdp = random_mdp(2, 2, 2, rng)
    policy = TabularSoftmax(2, 2)
    theta = policy.random_theta(rng)
    bare = Estimator("bare", ESTIMATORS["reinforce"].function, True)
    assert declared_bounds(bare, mdp, policy, theta) is None
    declared = Estimator(
        "declared", ESTIMATORS["reinforce"].function, True, bounds=lambda *_: (-1.0, 2.0)
    )
    lo, hi = declared_bounds(declared, mdp, policy, theta)
    assert lo.shape == (2, 2) and np.all(lo == -1.0) and np.all(hi == 2.0)
    generic = score_weighted_bounds(np.zeros(2), np.ones(2), mdp, policy, theta)
    assert generic[0].shape == (2, 2)


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    discount=st.sampled_from([0.5, 1.0]),
    kind=st.sampled_from(["tabular", "time", "linear"]),
)
def test_control_variates_have_mean_zero_and_stay_within_their_bounds(seed, shape, discount, kind):
    # E[h_k] = 0 exactly (the score has mean 0 given the state), and ĝ - β·h stays within
    # the bounds derived from those of ĝ and h, for any β (here random), on every trajectory
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon = shape
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount, min_reward=-1.0)
    policy = {
        "tabular": TabularSoftmax(n_states, n_actions),
        "time": TimeDependentSoftmax(n_states, n_actions, horizon),
        "linear": LinearSoftmax(rng.standard_normal((n_states, n_actions, 2))),
    }[kind]
    theta = policy.random_theta(rng)
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    estimator = ESTIMATORS["reinforce"]
    (summary,) = exact_summaries_with_controls(
        [estimator], mdp, policy, theta, gradient, control_values
    )
    assert np.max(np.abs(summary.control_mean), initial=0.0) < 1e-12
    c_low, c_high = control_bounds(mdp, policy, theta)
    assert np.all(c_low <= summary.control_low + TOLERANCE)
    assert np.all(summary.control_high <= c_high + TOLERANCE)
    beta = rng.normal(size=(policy.n_params, len(CONTROLS)))
    lo, hi = (np.ravel(b) for b in declared_bounds(estimator, mdp, policy, theta))
    y_lo, y_hi = controlled_bounds(lo, hi, beta, c_low, c_high)
    ((low, high),) = exact_controlled_ranges(
        [estimator], [beta], mdp, policy, theta, control_values
    )
    assert np.all(y_lo <= low + 1e-9) and np.all(high <= y_hi + 1e-9)
    # the fitted coefficients do not raise the variance
    fitted = fit_coefficients(summary.cross, summary.gram)
    variance = np.diag(summary.covariance)
    reduced = residual_variance(variance, summary.cross, summary.gram, fitted)
    assert np.all(reduced <= variance + 1e-12)
