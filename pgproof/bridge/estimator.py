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

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sympy import Add, Basic, Integer, Mul, Pow, Sum

from pgproof.kernel.objects import Equation, Ratio, SampleMean
from pgproof.numeric.bias_test import BiasTestResult, test_estimator_bias
from pgproof.numeric.estimators import Estimator
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, TabularSoftmax
from pgproof.numeric.trajectories import Batch
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.text import show

from .compare import expected_over_samples, tolerance
from .evaluate import Evaluator, trajectory_axis
from .infinite import draw_for
from .instance import batch_instance
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
    """f(τ^{(i)}) of ĝ = (1/m) Σ_{i=1}^{m} f(τ^{(i)}) (i free in the result).

    A sum of such means and of terms free of the samples, c + (1/m) Σ_i f(τ^(i)), is the
    mean of c + f(τ^(i)) (c is its own sample mean)."""
    m = notation.m
    if isinstance(expr, Add):
        sampled = [a for a in expr.args if m in a.free_symbols or notation.i in a.free_symbols]
        fixed = [a for a in expr.args if a not in sampled]
        if sampled and fixed:
            return Add(*(per_sample_term(a, notation) for a in sampled), *fixed)
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


def compile_estimator(
    expr: Basic,
    notation: Notation,
    name: str = "compiled",
    constants: Mapping[str, float] | None = None,
    functions: Mapping[str, np.ndarray] | None = None,
) -> Estimator:
    """The per-trajectory estimator f(τ_i) of the sample estimate ``expr`` (with these values
    of the notation's constants and tables of its declared functions)."""
    term = per_sample_term(expr, notation)
    axis = trajectory_axis(notation.sample(), {})

    def estimate(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
        if not isinstance(policy, TabularSoftmax):
            raise CompileError("compiled estimators use the tabular softmax policy θ[S, A]")
        instance = batch_instance(mdp, theta, notation.first_index, batch, constants, functions)
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


def final_estimate(report: DerivationReport) -> Equation:
    """The claim ``lhs ≈ rhs`` of the derivation's last estimate step."""
    for step in reversed(report.steps):
        if step.estimate:
            return step.claim
    raise CompileError(f"{report.derivation.title}: no step is a sample estimate")


@dataclass
class EstimateBias:
    """A sample estimate ``lhs ≈ (1/m) Σ_i f(τ^(i))`` tested on one random MDP.

    ``target`` is the value of the claim's own left side, ``exact_mean`` E[f(τ^(i))] by
    enumeration; ``sampled`` is the sampled bias test against ``target`` (run when the
    estimate has θ's shape, as gradients do).
    """

    claim: Equation
    target: np.ndarray
    exact_mean: np.ndarray
    sampled: BiasTestResult | None

    @property
    def exact_bias(self) -> np.ndarray:
        return self.exact_mean - self.target

    @property
    def max_exact_bias(self) -> float:
        return float(np.max(np.abs(self.exact_bias), initial=0.0))

    @property
    def exactly_unbiased(self) -> bool:
        """|E[f] − lhs| within the numeric tolerance (:data:`.compare.RTOL`, relative)."""
        return self.max_exact_bias <= tolerance(self.exact_mean, self.target)


def _plain(value, shape: tuple[int, ...]) -> np.ndarray:
    """An evaluated value as an array: θ's shape along GRAD, else a scalar [1]."""
    if set(value.axes) - {GRAD}:
        raise CompileError(f"the value depends on {', '.join(sorted(set(value.axes) - {GRAD}))}")
    if GRAD in value.axes:
        return np.asarray(value.data, dtype=np.float64).reshape(shape)
    return np.asarray(value.data, dtype=np.float64).reshape(1)


def test_sample_estimate_bias(
    claim: Equation,
    notation: Notation,
    rng: np.random.Generator,
    m: int = 4_000,
    alpha: float = 0.01,
    max_trajectories: int = 3_000,
) -> EstimateBias:
    """Test ``claim`` = lhs ≈ ĝ on a random MDP: E[ĝ] against the claim's own left side,
    exactly (by enumeration) and by sampling m trajectories."""
    if notation.infinite_horizon:
        raise CompileError(
            "an estimate over infinite trajectories is not compiled: a sampled trajectory "
            "would be infinite (truncating it would make a biased estimator)"
        )
    instance = draw_for(notation, rng, max_trajectories)
    mdp, theta, policy = instance.mdp, instance.theta, instance.policy
    estimator = compile_estimator(
        claim.rhs, notation, constants=instance.constants, functions=instance.functions
    )
    evaluator = Evaluator(instance, notation)
    target = _plain(evaluator.evaluate(claim.lhs), policy.param_shape)
    term = per_sample_term(claim.rhs, notation)
    per_sample = evaluator.evaluate(term)
    expected = expected_over_samples(per_sample, instance.probabilities())
    exact_mean = _plain(expected, policy.param_shape)
    if exact_mean.shape != target.shape:
        raise CompileError(
            f"{show(claim.lhs)} and the estimate {show(claim.rhs)} have different shapes"
        )
    sampled = None
    if target.shape == policy.param_shape:
        sampled = test_estimator_bias(
            estimator, mdp, policy, theta, target, m=m, rng=rng, alpha=alpha
        )
    return EstimateBias(claim, target, exact_mean, sampled)


test_sample_estimate_bias.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
