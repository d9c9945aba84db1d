"""The batched DP (many θ at once) agrees with the single-θ DP, row by row, on every path."""

from __future__ import annotations

import numpy as np
import pytest

import pgproof.numeric.dp as dp
from pgproof.numeric.dp import (
    exact_gradient_dp,
    exact_gradient_dp_batch,
    exact_objective_dp,
    exact_objective_dp_batch,
)
from pgproof.numeric.enumeration import exact_gradient_enumeration
from pgproof.numeric.mdp import MDPError
from pgproof.numeric.policies import Policy, TabularSoftmax

EXACT = 1e-10
KINDS = ["tabular", "time_dependent", "linear"]


def thetas_around(theta: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return theta + rng.standard_normal((count, *theta.shape))


def assert_rows_match_single(mdp, policy, thetas) -> None:
    gradients = exact_gradient_dp_batch(mdp, policy, thetas)
    objectives = exact_objective_dp_batch(mdp, policy, thetas)
    assert gradients.shape == (len(thetas), *policy.param_shape)
    assert objectives.shape == (len(thetas),)
    for theta, gradient, objective in zip(thetas, gradients, objectives, strict=True):
        np.testing.assert_allclose(gradient, exact_gradient_dp(mdp, policy, theta), atol=EXACT)
        assert abs(objective - exact_objective_dp(mdp, policy, theta)) < EXACT


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("discount", [1.0, 0.6])
@pytest.mark.parametrize("shape", [(3, 2, 1), (2, 3, 4), (4, 2, 6)])
def test_batch_rows_equal_single_calls(problem_factory, kind, discount, shape):
    mdp, policy, theta = problem_factory(kind, seed=2, shape=shape, discount=discount)
    assert_rows_match_single(mdp, policy, thetas_around(theta, 5))


@pytest.mark.parametrize("levels", [0, 1, 3])
def test_batch_rows_equal_single_calls_for_every_doubling_level(
    problem_factory, monkeypatch, levels
):
    mdp, policy, theta = problem_factory("tabular", seed=9, shape=(3, 2, 7), discount=0.9)
    thetas = thetas_around(theta, 4)
    expected = np.stack([exact_gradient_enumeration(mdp, policy, t) for t in thetas])
    monkeypatch.setattr(dp, "_doubling_levels", lambda *args: levels)
    np.testing.assert_allclose(exact_gradient_dp_batch(mdp, policy, thetas), expected, atol=EXACT)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_split_into_groups_and_blocks_of_steps(problem_factory, monkeypatch, kind):
    """A tiny memory budget: one θ per group, one step per block of M_t."""
    mdp, policy, theta = problem_factory(kind, seed=4, shape=(3, 2, 4), discount=0.8)
    thetas = thetas_around(theta, 3)
    whole = exact_gradient_dp_batch(mdp, policy, thetas)
    monkeypatch.setattr(dp, "KERNEL_BUDGET", 1)
    monkeypatch.setattr(dp, "CACHE_BUDGET", 1)
    assert dp._group_size(mdp, policy) == 1
    np.testing.assert_allclose(exact_gradient_dp_batch(mdp, policy, thetas), whole, atol=EXACT)
    assert_rows_match_single(mdp, policy, thetas)


def test_batch_without_the_cached_augmented_transition(problem_factory, monkeypatch):
    mdp, policy, theta = problem_factory("linear", seed=1, shape=(3, 3, 3), discount=0.95)
    thetas = thetas_around(theta, 3)
    cached = exact_gradient_dp_batch(mdp, policy, thetas)
    monkeypatch.setattr(dp, "AUGMENT_LIMIT", 0)
    np.testing.assert_allclose(exact_gradient_dp_batch(mdp, policy, thetas), cached, atol=EXACT)


class ShiftedSoftmax(Policy):
    """A policy pgproof has no fast path for: softmax of θ[s, a] + s·a (through score_vjp)."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states, self.n_actions = n_states, n_actions
        self.param_shape = (n_states, n_actions)
        self.inner = TabularSoftmax(n_states, n_actions)
        self.shift = np.outer(np.arange(n_states), np.arange(n_actions)).astype(float)

    def logits(self, theta, horizon):
        return (np.asarray(theta, dtype=np.float64) + self.shift)[None]

    def score_vjp(self, theta, horizon, weights):
        return self.inner.score_vjp(np.asarray(theta) + self.shift, horizon, weights)


def test_a_policy_without_a_fast_path_goes_through_score_vjp(problem_factory):
    mdp, _, _ = problem_factory("tabular", seed=12, shape=(3, 2, 3), discount=0.9)
    policy = ShiftedSoftmax(3, 2)
    thetas = thetas_around(np.zeros((3, 2)), 3)
    for theta in thetas:
        np.testing.assert_allclose(
            exact_gradient_dp(mdp, policy, theta),
            exact_gradient_enumeration(mdp, policy, theta),
            atol=EXACT,
        )
    assert_rows_match_single(mdp, policy, thetas)


def test_empty_batch_and_bad_batches(problem):
    mdp, policy, theta = problem
    empty = np.empty((0, *policy.param_shape))
    assert exact_gradient_dp_batch(mdp, policy, empty).shape == empty.shape
    assert exact_objective_dp_batch(mdp, policy, empty).shape == (0,)
    with pytest.raises(MDPError, match=r"expected \[B, \*param_shape\]"):
        exact_gradient_dp_batch(mdp, policy, theta)  # a single θ is not a batch
    bad = thetas_around(theta, 2)
    bad[1].flat[0] = np.inf
    with pytest.raises(MDPError, match=r"thetas\[1\]\[0\].* is inf"):
        exact_objective_dp_batch(mdp, policy, bad)
    with pytest.raises(MDPError, match="rectangular"):
        exact_gradient_dp_batch(mdp, policy, [[1.0], [1.0, 2.0]])


def test_batch_accepts_lists(problem):
    mdp, policy, theta = problem
    thetas = thetas_around(theta, 2)
    np.testing.assert_allclose(
        exact_gradient_dp_batch(mdp, policy, thetas.tolist()),
        exact_gradient_dp_batch(mdp, policy, thetas),
        atol=0,
    )


def test_blas_is_pinned_to_one_thread_inside_and_restored_after():
    from threadpoolctl import threadpool_info

    from pgproof.numeric.threads import blas_libraries, one_blas_thread, pinned

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    original = [library.get_num_threads() for library in blas_libraries()]
    for library in blas_libraries():
        library.set_num_threads(2)
    try:
        with one_blas_thread:
            with one_blas_thread:  # nested use is free
                assert set(blas_threads()) == {1}
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {2}
        assert pinned(10, 10) is not one_blas_thread  # too small for OpenBLAS to thread
        assert pinned(100 * 100) is one_blas_thread
    finally:
        for library, threads in zip(blas_libraries(), original, strict=True):
            library.set_num_threads(threads)


def test_dp_pins_blas_for_large_problems_only(problem_factory):
    from pgproof.numeric.threads import one_blas_thread

    small, _, _ = problem_factory("tabular", seed=0, shape=(3, 2, 3))
    large, _, _ = problem_factory("tabular", seed=0, shape=(120, 2, 3))
    assert dp._pin(small) is not one_blas_thread
    assert dp._pin(large) is one_blas_thread
