"""The bounds that make the finite-sample test valid hold for every trajectory.

Checked by enumeration on random problems of every policy class, with negative rewards,
discounting, T = 1: every built-in estimator's weights lie within their derived bounds,
and every coordinate of every per-trajectory estimate within its derived coordinate bounds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pgproof.numeric.bounds import declared_bounds, score_weighted_bounds
from pgproof.numeric.enumeration import iter_trajectories
from pgproof.numeric.estimators import ESTIMATORS, Estimator
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.moments import exact_summary
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
