"""Compiled sample estimates: the seed's ĝ is unbiased, a wrong one is not."""

from __future__ import annotations

import numpy as np
import pytest

from pgproof.bridge.estimator import (
    CompileError,
    compile_estimator,
    final_estimate,
    per_sample_term,
    test_sample_estimate_bias,
)
from pgproof.bridge.instance import draw_instance
from pgproof.kernel.objects import SampleMean
from pgproof.latex.parser import parse_expression
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.sampling import sample_trajectories

SEED_002 = "002_policy_gradient_theorem_hf"
IMMEDIATE = (
    r"\frac{1}{m} \sum_{i=1}^{m} \sum_{t=0}^{H} "
    r"\nabla_\theta \log \pi_\theta(a_t^{(i)}|s_t^{(i)}) r(s_t^{(i)}, a_t^{(i)})"
)


def test_seed_002_estimate_matches_reinforce_on_a_batch(checked) -> None:
    report = checked[SEED_002]
    notation = report.derivation.notation
    estimator = compile_estimator(final_estimate(report).rhs, notation)
    inst = draw_instance(np.random.default_rng(5), 0, 3000, generic=True)
    batch = sample_trajectories(inst.mdp, inst.policy, inst.theta, 50, np.random.default_rng(6))
    ours = estimator(batch, inst.mdp, inst.policy, inst.theta)
    theirs = ESTIMATORS["reinforce"](batch, inst.mdp, inst.policy, inst.theta)
    np.testing.assert_allclose(ours, theirs, atol=1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_seed_002_estimate_is_unbiased(checked, seed) -> None:
    report = checked[SEED_002]
    result = test_sample_estimate_bias(
        final_estimate(report), report.derivation.notation, np.random.default_rng(seed), m=3000
    )
    assert result.sampled.comparison.verdict == "unbiased"
    assert result.exactly_unbiased and result.max_exact_bias < 1e-8


def test_immediate_reward_estimate_is_biased(checked) -> None:
    report = checked[SEED_002]
    notation = report.derivation.notation
    claim = final_estimate(report).func(
        final_estimate(report).lhs, parse_expression(IMMEDIATE, notation)
    )
    result = test_sample_estimate_bias(claim, notation, np.random.default_rng(1), m=3000)
    assert result.exactly_unbiased is False
    assert result.sampled.comparison.verdict == "biased"


def test_per_sample_term_forms(checked) -> None:
    notation = checked[SEED_002].derivation.notation
    f = notation.R(notation.sample())
    assert per_sample_term(SampleMean(f, notation.i, notation.m), notation) == f
    assert per_sample_term(f, notation) == f  # a single-sample estimate
    with pytest.raises(CompileError, match="sampled trajectory"):
        per_sample_term(notation.R(), notation)
    with pytest.raises(CompileError, match="1/m"):
        per_sample_term(notation.m * f, notation)


def test_final_estimate_needs_an_estimate_step(checked) -> None:
    with pytest.raises(CompileError, match="no step is a sample estimate"):
        final_estimate(checked["000_deriving_policy_gradient"])
