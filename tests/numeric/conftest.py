"""Shared fixtures for the numeric tests: small problems built from fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest

from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import LinearSoftmax, TabularSoftmax, TimeDependentSoftmax


def make_problem(kind: str, seed: int, shape=(3, 2, 3), discount: float = 1.0):
    """A random (mdp, policy, theta) of the given policy kind from a fixed seed."""
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon = shape
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount)
    if kind == "tabular":
        policy = TabularSoftmax(n_states, n_actions)
    elif kind == "time_dependent":
        policy = TimeDependentSoftmax(n_states, n_actions, horizon)
    else:
        policy = LinearSoftmax(rng.standard_normal((n_states, n_actions, 2)))
    return mdp, policy, policy.random_theta(rng)


@pytest.fixture(params=["tabular", "time_dependent", "linear"])
def problem(request):
    return make_problem(request.param, seed=11, discount=0.9)


@pytest.fixture
def problem_factory():
    """The :func:`make_problem` builder, for tests that need several problems."""
    return make_problem
