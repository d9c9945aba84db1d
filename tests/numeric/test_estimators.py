"""Estimators: exact bias from exact moments, sampled verdicts on fixed seeds, user functions.

Statistical assertions use fixed seeds (deterministic) at a stated false-alarm rate:
each comparison of an unbiased estimator fails with probability ALPHA under a fresh seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from pgproof.numeric.bias_test import test_estimator_bias
from pgproof.numeric.enumeration import exact_gradient_enumeration
from pgproof.numeric.estimators import (
    ESTIMATORS,
    Estimator,
    EstimatorError,
    register_estimator,
    resolve_estimator,
)
from pgproof.numeric.moments import bias_tolerance, exact_bias, exact_moments
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.trajectories import total_return
from pgproof.strategies import problems

ALPHA = 0.01
UNBIASED = [name for name, e in ESTIMATORS.items() if e.expected_unbiased]
CONVENTION_BUGS = ["action_baseline", "reward_to_go_skip_current"]
DISCOUNT_BUGS = ["discount_confusion", "discount_off_by_one"]


@settings(max_examples=25, deadline=None)
@given(problems(max_states=3, max_actions=3, max_horizon=3, min_discount=0.5))
def test_unbiased_estimators_and_baselines_have_the_exact_gradient_as_mean(problem):
    mdp, policy, theta = problem
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    tolerance = bias_tolerance(gradient, mdp.horizon)
    for name in UNBIASED:
        mean, covariance = exact_moments(ESTIMATORS[name], mdp, policy, theta)
        np.testing.assert_allclose(mean, gradient, rtol=0, atol=tolerance, err_msg=name)
        assert np.all(np.linalg.eigvalsh(covariance) > -1e-12)


@pytest.mark.parametrize("name", CONVENTION_BUGS + DISCOUNT_BUGS)
def test_convention_bugs_are_exactly_biased(problem, name):
    mdp, policy, theta = problem  # γ = 0.9, T = 3
    bias = exact_bias(ESTIMATORS[name], mdp, policy, theta)
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    assert np.max(np.abs(bias)) > 1e3 * bias_tolerance(gradient, mdp.horizon)
    assert not ESTIMATORS[name].is_expected_unbiased(mdp)


@pytest.mark.parametrize("name", DISCOUNT_BUGS)
def test_discount_bugs_are_exactly_unbiased_without_discounting(problem_factory, name):
    mdp, policy, theta = problem_factory("tabular", seed=8, discount=1.0)
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    bias = exact_bias(ESTIMATORS[name], mdp, policy, theta, gradient)
    assert np.max(np.abs(bias)) <= bias_tolerance(gradient, mdp.horizon)
    assert ESTIMATORS[name].is_expected_unbiased(mdp)


def test_tiny_bias_is_still_visible_exactly(problem):
    mdp, policy, theta = problem
    gradient = exact_gradient_enumeration(mdp, policy, theta)

    def slightly_biased(batch, mdp, policy, theta):
        return ESTIMATORS["reinforce"](batch, mdp, policy, theta) + 1e-7

    bias = exact_bias(slightly_biased, mdp, policy, theta, gradient)
    np.testing.assert_allclose(bias, 1e-7, rtol=1e-6)
    assert bias_tolerance(gradient, mdp.horizon) < 1e-7


def test_variance_reduction_is_visible_in_exact_covariances(problem):
    mdp, policy, theta = problem
    trace = {
        name: np.trace(exact_moments(ESTIMATORS[name], mdp, policy, theta)[1])
        for name in ("reinforce", "reward_to_go", "state_baseline")
    }
    assert trace["state_baseline"] < trace["reward_to_go"] < trace["reinforce"]


@pytest.mark.parametrize("seed", [0, 1])
def test_sampled_verdicts_pass_unbiased_and_catch_biased(problem, seed):
    mdp, policy, theta = problem
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    batch = sample_trajectories(mdp, policy, theta, 20_000, np.random.default_rng(seed))
    for name, estimator in ESTIMATORS.items():
        check = test_estimator_bias(
            estimator, mdp, policy, theta, gradient, batch=batch, alpha=ALPHA
        )
        if name in UNBIASED:
            assert check.comparison.verdict == "unbiased", (name, check.comparison.p_value)
            assert check.exactly_unbiased
        if name in CONVENTION_BUGS:
            assert check.comparison.verdict == "biased", (name, check.comparison.p_value)
            assert not check.exactly_unbiased
        assert check.comparison.variance.shape == policy.param_shape


def test_sample_mean_estimates_are_close_to_the_exact_mean(problem):
    mdp, policy, theta = problem
    estimator = ESTIMATORS["state_baseline"]
    mean, covariance = exact_moments(estimator, mdp, policy, theta)
    batch = sample_trajectories(mdp, policy, theta, 20_000, np.random.default_rng(4))
    estimates = estimator(batch, mdp, policy, theta).reshape(batch.size, -1)
    # variance estimate within 20 % of the exact one (fixed seed; loose on purpose)
    np.testing.assert_allclose(estimates.var(axis=0).sum(), np.trace(covariance), rtol=0.2)


def test_user_function_is_checked_as_an_unbiased_claim(problem):
    mdp, policy, theta = problem
    gradient = exact_gradient_enumeration(mdp, policy, theta)

    def doubled_return(batch, mdp, policy, theta):
        weights = 2.0 * total_return(batch, mdp)
        return policy.score_sum(theta, batch.states, batch.actions, weights)

    check = test_estimator_bias(
        doubled_return, mdp, policy, theta, gradient, m=20_000, rng=np.random.default_rng(5)
    )
    assert check.name == "doubled_return" and check.expected_unbiased
    np.testing.assert_allclose(check.exact_bias, gradient, atol=1e-12)
    assert check.comparison.verdict == "biased" and not check.as_expected


def test_estimator_output_shape_is_checked(problem):
    mdp, policy, theta = problem
    batch = sample_trajectories(mdp, policy, theta, 10, np.random.default_rng(0))
    wrong = Estimator("wrong", lambda b, *_: np.zeros((b.size, 1)), expected_unbiased=True)
    with pytest.raises(EstimatorError, match=r"returned shape \[10, 1\], expected"):
        wrong(batch, mdp, policy, theta)


def test_registry_lookup_and_user_loading(tmp_path):
    assert resolve_estimator("reinforce") is ESTIMATORS["reinforce"]
    with pytest.raises(EstimatorError, match="unknown estimator 'nope'"):
        resolve_estimator("nope")
    with pytest.raises(EstimatorError, match="already registered"):
        register_estimator(ESTIMATORS["reinforce"])
    module = tmp_path / "mine.py"
    module.write_text("def zero(batch, mdp, policy, theta):\n    return 0\n")
    loaded = resolve_estimator(f"{module}:zero")
    assert loaded.expected_unbiased and loaded.name.endswith("mine.py:zero")
    with pytest.raises(EstimatorError, match="has no function 'missing'"):
        resolve_estimator(f"{module}:missing")


@pytest.mark.parametrize("discount", [1.0, 0.9, 0.0])
def test_time_major_returns_equal_the_trajectory_helpers(discount):
    from pgproof.numeric import trajectories
    from pgproof.numeric.estimators import return_from, reward_to_go
    from pgproof.numeric.mdp import random_mdp
    from pgproof.numeric.policies import TabularSoftmax
    from pgproof.numeric.trajectories import Batch

    rng = np.random.default_rng(2)
    mdp = random_mdp(3, 2, 6, rng, discount, min_reward=-1.0)
    policy = TabularSoftmax(3, 2)
    batch = sample_trajectories(mdp, policy, policy.random_theta(rng), 300, rng)
    row_major = Batch(
        *(np.ascontiguousarray(a) for a in (batch.states, batch.actions, batch.rewards))
    )
    for b in (batch, row_major):  # sampled batches are time-major, enumerated ones are not
        np.testing.assert_allclose(
            reward_to_go(b, mdp), trajectories.reward_to_go(b, mdp), atol=1e-13
        )
        np.testing.assert_allclose(
            return_from(b, mdp), trajectories.return_from(b, mdp), atol=1e-13
        )


def test_every_builtin_declares_its_weights_and_their_bounds(problem):
    mdp, policy, theta = problem
    batch = sample_trajectories(mdp, policy, theta, 50, np.random.default_rng(1))
    for name, estimator in ESTIMATORS.items():
        assert estimator.weights is not None, name
        w = np.asarray(estimator.weights.rule(batch, mdp, policy, theta))
        expected = (batch.size,) if estimator.weights.per_trajectory else (batch.size, mdp.horizon)
        assert w.shape == expected, name
        low, high = estimator.weights.bounds(mdp, policy, theta)
        assert low.shape == high.shape == (mdp.horizon,) and np.all(low <= high), name
        np.testing.assert_allclose(
            estimator(batch, mdp, policy, theta),
            policy.score_sum(theta, batch.states, batch.actions, w),
        )


@pytest.mark.parametrize("per_step", [False, True])
@pytest.mark.parametrize("time_major", [False, True])
def test_time_dependent_score_sum_equals_the_general_scatter(per_step, time_major):
    """The direct rows [t, s_it, :] of θ_t's score equal the general bincount route."""
    from pgproof.numeric.policies import Policy, TimeDependentSoftmax

    rng = np.random.default_rng(17)
    m, horizon = 300, 6
    policy = TimeDependentSoftmax(4, 3, horizon)
    theta = policy.random_theta(rng, scale=2.0)
    states = rng.integers(0, 4, (m, horizon + 1))
    actions = rng.integers(0, 3, (m, horizon))
    weights = rng.standard_normal((m, horizon) if per_step else m)
    expected = Policy.score_sum(policy, theta, states, actions, weights)
    if time_major:
        states, actions = np.asfortranarray(states), np.asfortranarray(actions)
    direct = policy.score_sum(theta, states, actions, weights)
    assert direct.shape == (m, *policy.param_shape)
    np.testing.assert_allclose(direct, expected, rtol=0, atol=1e-14)
    assert np.count_nonzero(np.abs(expected).sum(axis=-1)) == m * horizon
    for broadcast in (2.5, rng.standard_normal(horizon)[None], weights.reshape(m, -1)[:, :1]):
        np.testing.assert_allclose(
            policy.score_sum(theta, states, actions, broadcast),
            Policy.score_sum(policy, theta, states, actions, broadcast),
            rtol=0,
            atol=1e-14,
        )


def test_time_dependent_score_sum_refuses_indices_outside_the_table():
    from pgproof.numeric.policies import TimeDependentSoftmax

    policy = TimeDependentSoftmax(3, 2, 2)
    theta = np.zeros(policy.param_shape)
    states, actions, weights = np.zeros((2, 3), int), np.zeros((2, 2), int), np.ones(2)
    for bad_states, bad_actions in [(-1, 0), (3, 0), (0, -1), (0, 2)]:
        s, a = states.copy(), actions.copy()
        s[1, 1], a[0, 1] = bad_states, bad_actions
        with pytest.raises(ValueError, match="indices"):
            policy.score_sum(theta, s, a, weights)
