"""Streaming: sparse reductions equal dense ones, seeds per batch, memory independent of m."""

from __future__ import annotations

import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from pgproof.numeric.bias_test import run_bias_tests
from pgproof.numeric.dp import exact_gradient_dp
from pgproof.numeric.estimators import ESTIMATORS, Estimator, EstimatorError, ScoreWeights
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax
from pgproof.numeric.streaming import (
    EstimatorSpec,
    Job,
    Stream,
    StreamProblem,
    batch_seed,
    plan_batches,
    run_job,
)


def problem(kind: str, shape, seed: int = 0, discount: float = 0.9) -> StreamProblem:
    rng = np.random.default_rng(seed)
    n_states, n_actions, horizon = shape
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount, min_reward=-1.0)
    if kind == "tabular":
        policy = TabularSoftmax(n_states, n_actions)
    else:
        policy = TimeDependentSoftmax(n_states, n_actions, horizon)
    return StreamProblem(mdp, policy, policy.random_theta(rng))


@pytest.mark.parametrize(
    ("kind", "shape"),
    [
        ("tabular", (3, 2, 6)),  # narrow key spaces: dense per-trajectory tables
        ("tabular", (12, 5, 3)),  # wide: sorted rows, repeats corrected
        ("tabular", (1, 1, 4)),
        ("time", (4, 3, 5)),
    ],
)
def test_sparse_reductions_equal_the_dense_estimates(kind, shape):
    prob = problem(kind, shape)
    specs = [EstimatorSpec(name) for name in ESTIMATORS]
    specs += [EstimatorSpec(f"{n}/dense", e, dense=True) for n, e in ESTIMATORS.items()]
    for stats in run_job(Job(prob, prob.token(), tuple(specs), 3, (), 0, (100, 333))):
        for name in ESTIMATORS:
            sparse, dense = stats[name], stats[f"{name}/dense"]
            # Σ ĝ² is formed from sums of W² terms that cancel (e.g. to exactly 0 with one
            # action): round-off relative to those terms, ~1e-14 of n (T r_max)^2
            scale = max(1.0, float(np.abs(dense.m2).max()))
            np.testing.assert_allclose(sparse.mean, dense.mean, atol=1e-12, err_msg=name)
            np.testing.assert_allclose(sparse.m2, dense.m2, atol=1e-8 * scale, err_msg=name)


def test_batch_seeds_are_the_children_spawn_gives():
    root = np.random.SeedSequence(1234)
    children = np.random.SeedSequence(1234).spawn(5)
    for index, child in enumerate(children):
        mine = batch_seed(root, index)
        assert mine.spawn_key == child.spawn_key
        assert np.array_equal(mine.generate_state(4), child.generate_state(4))


def test_results_do_not_depend_on_grouping_or_executor():
    prob = problem("tabular", (4, 3, 5))
    specs = [EstimatorSpec("reinforce"), EstimatorSpec("state_baseline")]
    sizes = plan_batches(60_000, 5)
    seed = np.random.SeedSequence(9)
    serial = list(Stream(prob, specs, seed).batches(sizes))
    with ThreadPoolExecutor(2) as pool:
        for steps in (1, 1 << 14, 1 << 30):  # one batch per job, a few, all in one
            pooled = list(Stream(prob, specs, seed, pool, job_steps=steps).batches(sizes))
            for a, b in zip(serial, pooled, strict=True):
                for key in ("reinforce", "state_baseline"):
                    assert np.array_equal(a[key].mean, b[key].mean)
                    assert np.array_equal(a[key].m2, b[key].m2)
    later = list(Stream(prob, specs, seed).batches(sizes[3:], first=3))
    assert np.array_equal(later[0]["reinforce"].mean, serial[3]["reinforce"].mean)


def test_fixed_and_auto_runs():
    prob = problem("tabular", (3, 2, 4), discount=1.0)
    mdp, policy, theta = prob.mdp, prob.policy, prob.theta
    gradient = exact_gradient_dp(mdp, policy, theta)
    estimators = [ESTIMATORS["reinforce"], ESTIMATORS["action_baseline"]]
    fixed = run_bias_tests(estimators, mdp, policy, theta, gradient, samples=5000, seed=1)
    assert [r.comparison.n_samples for r in fixed.results] == [5000, 5000]
    tolerance = 0.2 * np.abs(gradient).max()
    auto = run_bias_tests(
        estimators, mdp, policy, theta, gradient, samples="auto", seed=1,
        tolerance=tolerance, max_samples=2_000_000,
    )  # fmt: skip
    good, bug = auto.results
    assert bug.verdict == "biased" and good.verdict == "unbiased"
    assert bug.comparison.n_samples < good.comparison.n_samples <= 2_000_000
    assert good.comparison.excluded_bias <= tolerance
    with pytest.raises(ValueError, match="needs a tolerance"):
        run_bias_tests(estimators, mdp, policy, theta, gradient, samples="auto")


def _peak(function) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_samples():
    prob = problem("tabular", (10, 4, 20))
    mdp, policy, theta = prob.mdp, prob.policy, prob.theta
    gradient = exact_gradient_dp(mdp, policy, theta)
    estimators = [ESTIMATORS["reinforce"], ESTIMATORS["reward_to_go"]]

    def run(m):
        return lambda: run_bias_tests(
            estimators, mdp, policy, theta, gradient, samples=m, exact=False
        )

    small, large = _peak(run(100_000)), _peak(run(1_000_000))
    assert large < 1.3 * small, (small, large)
    assert large < 300 * 2**20


def test_a_weight_outside_its_bounds_is_refused():
    prob = problem("tabular", (3, 2, 3))
    mdp, policy, theta = prob.mdp, prob.policy, prob.theta
    honest = ESTIMATORS["reinforce"]
    wrong = Estimator(
        "wrong",
        honest.function,
        True,
        weights=ScoreWeights(honest.weights.rule, lambda *_: (np.zeros(3), np.full(3, 0.01))),
    )
    with pytest.raises(EstimatorError, match="outside its derived bounds"):
        run_bias_tests([wrong], mdp, policy, theta, exact_gradient_dp(mdp, policy, theta))
