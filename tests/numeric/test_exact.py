"""Three exact routes to ∇J agree: enumeration, dynamic programming, finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp, solve
from pgproof.numeric.enumeration import (
    MAX_TRAJECTORIES,
    TooManyTrajectories,
    exact_gradient_enumeration,
    exact_objective,
    iter_trajectories,
    trajectory_count,
)
from pgproof.numeric.finite_differences import finite_difference_gradient
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import TabularSoftmax
from pgproof.strategies import problems

EXACT = 1e-10


@settings(max_examples=60, deadline=None)
@given(problems(max_states=3, max_actions=3, max_horizon=3, min_discount=0.5))
def test_enumeration_dp_and_finite_differences_agree(problem):
    mdp, policy, theta = problem
    by_enumeration = exact_gradient_enumeration(mdp, policy, theta)
    by_dp = exact_gradient_dp(mdp, policy, theta)
    by_differences = finite_difference_gradient(mdp, policy, theta, h=1e-3, order=4)
    assert by_enumeration.shape == policy.param_shape
    np.testing.assert_allclose(by_dp, by_enumeration, rtol=0, atol=EXACT)
    np.testing.assert_allclose(by_differences, by_enumeration, rtol=0, atol=EXACT)
    assert abs(exact_objective(mdp, policy, theta) - exact_objective_dp(mdp, policy, theta)) < EXACT


def test_second_order_differences_of_enumeration_agree_to_1e8(problem):
    mdp, policy, theta = problem
    by_differences = finite_difference_gradient(mdp, policy, theta, objective=exact_objective)
    np.testing.assert_allclose(
        by_differences, exact_gradient_dp(mdp, policy, theta), rtol=0, atol=1e-8
    )


def test_trajectory_probabilities_sum_to_one_over_all_trajectories(problem):
    mdp, policy, theta = problem
    chunks = list(iter_trajectories(mdp, policy, theta, chunk_size=50))
    assert sum(chunk.prob.size for chunk in chunks) == trajectory_count(mdp)
    assert abs(sum(chunk.prob.sum() for chunk in chunks) - 1.0) < EXACT
    everything = np.concatenate([chunk.states for chunk in chunks])
    assert len(np.unique(everything, axis=0)) == mdp.n_states ** (mdp.horizon + 1)


def test_dp_visitation_and_values_match_enumeration(problem):
    mdp, policy, theta = problem
    solution = solve(mdp, policy, theta)
    visitation = np.zeros_like(solution.visitation)
    for chunk in iter_trajectories(mdp, policy, theta):
        for t in range(mdp.horizon + 1):
            visitation[t] += np.bincount(chunk.states[:, t], chunk.prob, minlength=mdp.n_states)
    np.testing.assert_allclose(solution.visitation, visitation, atol=EXACT)
    assert abs(solution.objective - exact_objective(mdp, policy, theta)) < EXACT


def test_score_matches_differences_of_log_probabilities(problem):
    mdp, policy, theta = problem
    score = policy.score(theta, mdp.horizon)
    assert score.shape == (mdp.horizon, mdp.n_states, mdp.n_actions, *policy.param_shape)
    h = 1e-6
    for i in range(theta.size):
        step = np.zeros(theta.size)
        step[i] = h
        up = np.log(policy.probs(theta + step.reshape(theta.shape), mdp.horizon))
        down = np.log(policy.probs(theta - step.reshape(theta.shape), mdp.horizon))
        column = score.reshape(*score.shape[:3], -1)[..., i]
        np.testing.assert_allclose(column, (up - down) / (2 * h), atol=1e-8)


def test_too_many_trajectories_is_refused_up_front_with_count_and_advice():
    mdp = random_mdp(10, 4, 12, np.random.default_rng(0))
    policy = TabularSoftmax(10, 4)
    theta = np.zeros((10, 4))
    assert trajectory_count(mdp) > MAX_TRAJECTORIES
    with pytest.raises(TooManyTrajectories, match=r"10\^13·4\^12 = 1\.68e\+20 .*exact_gradient_dp"):
        exact_gradient_enumeration(mdp, policy, theta)
    # the DP route serves the same MDP
    assert exact_gradient_dp(mdp, policy, theta).shape == (10, 4)


def test_dp_handles_mdps_far_too_large_to_enumerate():
    rng = np.random.default_rng(1)
    mdp = random_mdp(40, 5, 30, rng, discount=0.95)
    policy = TabularSoftmax(40, 5)
    theta = policy.random_theta(rng)
    gradient = exact_gradient_dp(mdp, policy, theta)
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0, atol=EXACT)  # softmax invariance
    coordinate = np.zeros_like(theta)
    coordinate[3, 2] = 1e-3
    difference = (
        -exact_objective_dp(mdp, policy, theta + 2 * coordinate)
        + 8 * exact_objective_dp(mdp, policy, theta + coordinate)
        - 8 * exact_objective_dp(mdp, policy, theta - coordinate)
        + exact_objective_dp(mdp, policy, theta - 2 * coordinate)
    ) / (12 * 1e-3)
    assert abs(difference - gradient[3, 2]) < 1e-9


# ---------------------------------------------------------------- fast routes, every path

KINDS = ["tabular", "time_dependent", "linear"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("discount", [1.0, 0.7])
@pytest.mark.parametrize("levels", [0, 1, 2, 10])
def test_dp_agrees_with_enumeration_for_every_doubling_level(
    problem_factory, monkeypatch, kind, discount, levels
):
    """Row by row, in blocks of 2 or 4 rows, or by pure doubling: the same ∇J and J."""
    import pgproof.numeric.dp as dp

    monkeypatch.setattr(dp, "_doubling_levels", lambda *args: levels)
    for shape in [(3, 2, 1), (2, 3, 4), (3, 2, 5)]:
        mdp, policy, theta = problem_factory(kind, seed=5, shape=shape, discount=discount)
        expected = exact_gradient_enumeration(mdp, policy, theta)
        objective = exact_objective(mdp, policy, theta)
        np.testing.assert_allclose(exact_gradient_dp(mdp, policy, theta), expected, atol=EXACT)
        value, gradient = dp.exact_value_and_gradient_dp(mdp, policy, theta)
        np.testing.assert_allclose(gradient, expected, atol=EXACT)
        assert abs(value - objective) < EXACT
        assert abs(exact_objective_dp(mdp, policy, theta) - objective) < EXACT


@pytest.mark.parametrize("kind", KINDS)
def test_dp_without_the_cached_augmented_transition_agrees(problem_factory, monkeypatch, kind):
    """Large MDPs form M, r^π and occ·r + γPX separately; small ones from [γP, r]."""
    import pgproof.numeric.dp as dp

    mdp, policy, theta = problem_factory(kind, seed=8, shape=(3, 3, 4), discount=0.8)
    cached = exact_gradient_dp(mdp, policy, theta)
    monkeypatch.setattr(dp, "AUGMENT_LIMIT", 0)
    uncached = exact_gradient_dp(mdp, policy, theta)
    np.testing.assert_allclose(uncached, cached, atol=EXACT)
    np.testing.assert_allclose(uncached, exact_gradient_enumeration(mdp, policy, theta), atol=EXACT)


def test_time_dependent_dp_in_blocks_of_steps_agrees(problem_factory, monkeypatch):
    """M_t built a few steps at a time (memory budget) gives the same answer."""
    import pgproof.numeric.dp as dp

    mdp, policy, theta = problem_factory("time_dependent", seed=3, shape=(3, 2, 5), discount=0.9)
    whole = exact_gradient_dp(mdp, policy, theta)
    monkeypatch.setattr(dp, "KERNEL_BUDGET", 2 * 9)  # two steps of 3x3 kernels per block
    np.testing.assert_allclose(exact_gradient_dp(mdp, policy, theta), whole, atol=EXACT)
    assert abs(exact_objective_dp(mdp, policy, theta) - exact_objective(mdp, policy, theta)) < EXACT


def test_dp_softmax_is_stable_when_rows_are_far_apart(problem_factory):
    """Logits 10⁴ apart between rows: per-row shifts take over, π stays exact."""
    from pgproof.numeric.dp import policy_probs

    mdp, policy, theta = problem_factory("tabular", seed=4, shape=(3, 2, 3))
    theta = theta + np.array([[1e4], [0.0], [-1e4]])
    shifted = theta - theta.max(axis=1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(policy_probs(policy, theta, mdp.horizon)[0], expected, atol=1e-15)
    np.testing.assert_allclose(
        exact_gradient_dp(mdp, policy, theta),
        exact_gradient_enumeration(mdp, policy, theta),
        atol=EXACT,
    )


def test_dp_checks_theta_like_the_policy_does(problem):
    from pgproof.numeric.mdp import MDPError

    mdp, policy, theta = problem
    as_list = exact_gradient_dp(mdp, policy, theta.tolist())
    np.testing.assert_allclose(as_list, exact_gradient_dp(mdp, policy, theta), atol=0)
    bad = theta.copy()
    bad.flat[1] = np.nan
    with pytest.raises(MDPError, match="all entries must be finite"):
        exact_gradient_dp(mdp, policy, bad)
    with pytest.raises(MDPError, match="shape"):
        exact_objective_dp(mdp, policy, np.zeros(7))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunk_size", [1, 7, 40, 1 << 16])
def test_tree_enumeration_is_independent_of_the_chunking(problem_factory, kind, chunk_size):
    """Split level and group size change nothing: same ∇J and J as DP."""
    mdp, policy, theta = problem_factory(kind, seed=6, shape=(2, 3, 3), discount=0.85)
    gradient = exact_gradient_enumeration(mdp, policy, theta, chunk_size=chunk_size)
    np.testing.assert_allclose(gradient, exact_gradient_dp(mdp, policy, theta), atol=EXACT)
    objective = exact_objective(mdp, policy, theta, chunk_size=chunk_size)
    assert abs(objective - exact_objective_dp(mdp, policy, theta)) < EXACT


def test_tree_enumeration_matches_the_explicit_sum_over_trajectories(problem):
    """Σ_τ p(τ) R(τ) Σ_t ∇log π over the chunks of iter_trajectories, written out."""
    mdp, policy, theta = problem
    score = policy.score(theta, mdp.horizon)
    expected = np.zeros(policy.param_shape)
    objective = 0.0
    steps = np.arange(mdp.horizon)
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size=16):
        states, actions = chunk.states[:, :-1], chunk.actions
        weight = chunk.prob * (mdp.reward[states, actions] @ mdp.discounts)
        expected += np.tensordot(weight, score[steps, states, actions].sum(axis=1), axes=1)
        objective += weight.sum()
    np.testing.assert_allclose(exact_gradient_enumeration(mdp, policy, theta), expected, atol=EXACT)
    assert abs(exact_objective(mdp, policy, theta) - objective) < EXACT
