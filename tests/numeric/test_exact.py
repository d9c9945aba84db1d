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
