"""Sampling on Dask's distributed scheduler gives the numbers of a serial run.

A real ``distributed.LocalCluster`` with two worker processes (the optional extra
``distributed``, installed in CI): batches are seeded by SeedSequence children and merged
in order, so the confidence intervals are identical to the last bit.  Skipped on a bare
``pip install '.[test]'``, but not in CI: CI installs the extra and sets
PGPROOF_REQUIRE_EXTRAS, so there a missing ``distributed`` fails, and this test is how we
know the distributed path works.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from pgproof.commands.verify import add_parser
from pgproof.numeric.bias_test import run_bias_tests
from pgproof.numeric.dp import exact_gradient_dp
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import TabularSoftmax

from ..extras import require_extra

pytestmark = pytest.mark.extra("distributed")

NAMES = ("reinforce", "state_baseline", "discount_off_by_one")


@pytest.fixture(scope="module")
def executor():
    distributed = require_extra("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


def test_a_local_cluster_gives_the_serial_numbers(executor):
    rng = np.random.default_rng(5)
    mdp = random_mdp(5, 3, 8, rng, discount=0.9)
    policy = TabularSoftmax(5, 3)
    theta = policy.random_theta(rng)
    gradient = exact_gradient_dp(mdp, policy, theta)
    estimators = [ESTIMATORS[name] for name in NAMES]
    kwargs = {"samples": 100_000, "seed": 42, "exact": False}
    serial = run_bias_tests(estimators, mdp, policy, theta, gradient, **kwargs)
    dask = run_bias_tests(estimators, mdp, policy, theta, gradient, executor=executor, **kwargs)
    tolerance = {"tolerance": 0.1 * float(np.abs(gradient).max()), "max_samples": 300_000}
    auto_serial = run_bias_tests(
        estimators, mdp, policy, theta, gradient, samples="auto", seed=7, exact=False,
        **tolerance,
    )  # fmt: skip
    auto_dask = run_bias_tests(
        estimators, mdp, policy, theta, gradient, samples="auto", seed=7, exact=False,
        executor=executor, **tolerance,
    )  # fmt: skip
    for one, other in ((serial, dask), (auto_serial, auto_dask)):
        for a, b in zip(one.results, other.results, strict=True):
            assert a.verdict == b.verdict
            assert a.comparison.n_samples == b.comparison.n_samples
            assert np.array_equal(a.comparison.mean, b.comparison.mean)
            assert np.array_equal(a.comparison.lower, b.comparison.lower)
            assert np.array_equal(a.comparison.upper, b.comparison.upper)


def test_verify_on_dask_prints_the_serial_report(capsys):
    def report(*extra: str) -> dict:
        parser = argparse.ArgumentParser(prog="pgproof")
        add_parser(parser.add_subparsers())
        argv = ["verify", "--states", "3", "--actions", "2", "--horizon", "4", "--seed", "3",
                "--samples", "30000", "--json", *extra]  # fmt: skip
        args = parser.parse_args(argv)
        args.func(args)
        return json.loads(capsys.readouterr().out)

    serial = report()
    dask = report("--executor", "dask", "--workers", "2")
    assert dask["executor"].startswith("dask")
    assert serial["estimators"] == dask["estimators"]
