"""The public Hypothesis strategies: valid objects, draw-time argument errors, shrinking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis.errors import InvalidArgument

from pgproof.numeric.policies import TabularSoftmax
from pgproof.strategies import mdps, policies, problems, thetas


@settings(max_examples=40, deadline=None)
@given(problems(max_states=4, max_actions=3, max_horizon=4, min_discount=0.3))
def test_drawn_problems_are_valid_and_within_bounds(problem):
    mdp, policy, theta = problem
    assert 1 <= mdp.n_states <= 4 and 1 <= mdp.n_actions <= 3 and 1 <= mdp.horizon <= 4
    assert 0.3 <= mdp.discount <= 1.0
    np.testing.assert_allclose(mdp.transition.sum(axis=-1), 1.0)
    assert np.all(mdp.transition > 0)  # softmax of bounded logits: never filtered, never zero
    assert theta.shape == policy.param_shape and np.all(np.abs(theta) <= 2.0)
    np.testing.assert_allclose(policy.probs(theta, mdp.horizon).sum(axis=-1), 1.0)


def lazy_example(strategy):
    return find(strategy, lambda value: True)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (lambda: mdps(min_states=3, max_states=2), "max_states=2 must be at least min_states=3"),
        (lambda: mdps(min_actions=0), "min_actions=0 must be at least 1"),
        (lambda: mdps(max_horizon=2.5), "max_horizon=2.5 must be an integer"),
        (lambda: mdps(min_discount=0.9, max_discount=0.5), "min_discount <= max_discount"),
        (lambda: mdps(min_reward=1.0, max_reward=0.0), "min_reward <= max_reward"),
        (lambda: policies("not an mdp"), "mdp must be a TabularMDP"),
        (lambda: thetas(None), "policy must be a Policy"),
        (lambda: problems(kinds=("neural",)), "kinds must be a non-empty subset"),
    ],
)
def test_bad_arguments_raise_invalid_argument_when_drawn(strategy, message):
    lazy = strategy()  # building the strategy does not raise ...
    with pytest.raises(InvalidArgument, match=message):
        lazy_example(lazy)  # ... drawing from it does


def test_shrinks_to_the_smallest_simplest_problem():
    mdp, policy, theta = find(problems(), lambda problem: True)
    assert (mdp.n_states, mdp.n_actions, mdp.horizon, mdp.discount) == (1, 1, 1, 1.0)
    assert isinstance(policy, TabularSoftmax)
    assert np.all(theta == 0) and np.all(mdp.reward == 0)


def test_shrinking_keeps_the_failing_feature_and_minimises_the_rest():
    mdp = find(mdps(max_states=4, max_actions=4), lambda mdp: mdp.n_actions >= 3)
    assert (mdp.n_states, mdp.n_actions, mdp.horizon) == (1, 3, 1)
    np.testing.assert_allclose(mdp.transition, 1.0)
