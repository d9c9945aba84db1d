"""Compile a derivation's sample estimate into a numeric estimator, and test its bias.

A sample estimate is written

    ĝ = (1/m) Σ_{i=1}^{m} f(τ^{(i)})      (``SampleMean(f, i, m)``, or ``Ratio(1, m)·Σ_i f``
                                           as parsed, also as one multi-limit Σ_t Σ_i),

or as a single-sample term f(τ^{(i)}) with i free.  The per-trajectory estimate f is
extracted from the symbolic form and evaluated by :mod:`.evaluate` on a sampled batch
(:class:`pgproof.numeric.trajectories.Batch`): the batch's m trajectories form the axis of
τ^{(i)}, so nothing is hand-written per derivation.  The result has the signature of
:mod:`pgproof.numeric.estimators` — ``(batch, mdp, policy, θ) -> [m, S, A]`` — and is
tested for unbiasedness with :func:`pgproof.numeric.bias_test.test_estimator_bias` (Hotelling's T²
of E[ĝ] = ∇J(θ), plus the exact bias by enumeration).
"""

from __future__ import annotations

import numpy as np
from sympy import Basic, Integer, Mul, Pow, Sum

from pgproof.numeric.bias_test import BiasTestResult, test_estimator_bias
from pgproof.numeric.enumeration import exact_gradient_enumeration
from pgproof.numeric.estimators import Estimator
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, TabularSoftmax
from pgproof.numeric.trajectories import Batch
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.objects import Ratio, SampleMean
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.text import show

from .evaluate import Evaluator, trajectory_axis
from .instance import batch_instance, draw_instance
from .values import GRAD


class CompileError(ValueError):
    """The expression is not a sample estimate pgproof can compile."""


def _is_inverse_count(factor: Basic, m: Basic) -> bool:
    if isinstance(factor, Ratio):
        return factor.numerator == Integer(1) and factor.denominator == m
    return isinstance(factor, Pow) and factor.base == m and factor.exp == Integer(-1)


def _rename(expr: Basic, index: Basic, notation: Notation) -> Basic:
    return expr if index == notation.i else expr.xreplace({index: notation.i})


def per_sample_term(expr: Basic, notation: Notation) -> Basic:
    """f(τ^{(i)}) of ĝ = (1/m) Σ_{i=1}^{m} f(τ^{(i)}) (i free in the result)."""
    m = notation.m
    if isinstance(expr, SampleMean):
        body, index, count = expr.args
        if count != m:
            raise CompileError(f"the sample mean runs over {show(count)}, not {show(m)}")
        return _rename(body, index, notation)
    if isinstance(expr, Mul):
        factors = list(expr.args)
        inverse = [f for f in factors if _is_inverse_count(f, m)]
        sums = [f for f in factors if isinstance(f, Sum)]
        if len(inverse) == 1 and len(sums) == 1 and len(factors) == 2:
            (total,) = sums
            *inner, (index, low, high) = total.limits
            if low != Integer(1) or high != m:
                raise CompileError(f"the outer sum of {show(total)} does not run over i = 1..m")
            body = Sum(total.function, *inner) if inner else total.function
            return _rename(body, index, notation)
    if m in expr.free_symbols:
        raise CompileError(f"{show(expr)} is not of the form (1/m) Σ_(i=1)^m f(τ^(i))")
    if notation.i not in expr.free_symbols:
        raise CompileError(f"{show(expr)} does not depend on a sampled trajectory τ^(i)")
    return expr


def compile_estimator(expr: Basic, notation: Notation, name: str = "compiled") -> Estimator:
    """The per-trajectory estimator f(τ_i) of the sample estimate ``expr``."""
    term = per_sample_term(expr, notation)
    axis = trajectory_axis(notation.sample(), {})

    def estimate(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
        if not isinstance(policy, TabularSoftmax):
            raise CompileError("compiled estimators use the tabular softmax policy θ[S, A]")
        instance = batch_instance(mdp, theta, notation.first_index, batch)
        value = Evaluator(instance, notation).evaluate(term)
        extra = set(value.axes) - {axis, GRAD}
        if extra:
            raise CompileError(f"{show(term)} depends on {', '.join(sorted(extra))}")
        data = value.data
        for wanted in (axis, GRAD):  # broadcast a missing axis
            if wanted not in value.axes:
                data = data[..., None]
        order = [*(a for a in value.axes), *(a for a in (axis, GRAD) if a not in value.axes)]
        data = np.transpose(data, [order.index(axis), order.index(GRAD)])
        data = np.broadcast_to(data, (batch.size, policy.n_params))
        return np.array(data).reshape(batch.size, *policy.param_shape)

    formula = f"{show(expr)}  per sample: {show(term)}"
    return Estimator(name, estimate, expected_unbiased=True, formula=formula)


def final_estimate(report: DerivationReport) -> Basic:
    """The right side of the derivation's last estimate step (relation ≈)."""
    for step in reversed(report.steps):
        if step.estimate:
            return step.claim.rhs
    raise CompileError(f"{report.derivation.title}: no step is a sample estimate")


def test_sample_estimate_bias(
    expr: Basic,
    notation: Notation,
    rng: np.random.Generator,
    m: int = 4_000,
    alpha: float = 0.01,
    max_trajectories: int = 3_000,
) -> BiasTestResult:
    """Compile ``expr`` and test E[ĝ] = ∇J(θ) on a random MDP (sampled and exactly)."""
    estimator = compile_estimator(expr, notation)
    instance = draw_instance(rng, notation.first_index, max_trajectories)
    mdp, theta, policy = instance.mdp, instance.theta, instance.policy
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    return test_estimator_bias(estimator, mdp, policy, theta, gradient, m=m, rng=rng, alpha=alpha)


test_sample_estimate_bias.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
