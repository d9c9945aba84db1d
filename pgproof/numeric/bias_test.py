"""Test one estimator for bias against the exact gradient, by sampling and (when feasible) exactly.

For an estimator ĝ and m sampled trajectories τ_i ~ p_θ:

    sampled   ḡ = (1/m) Σ_i ĝ(τ_i), its standard error and variance, and the verdict of
              :func:`pgproof.numeric.stats.compare_with_exact` against ∇J(θ) at level α;
    exact     E[ĝ], Cov[ĝ] and the bias E[ĝ] - ∇J(θ) by enumeration
              (:mod:`pgproof.numeric.moments`), skipped when there are too many trajectories.

The check passes when the sampled verdict matches what the estimator is expected to be
("unbiased" for unbiased estimators and any user function, "biased" otherwise).

This module owns the result's text (:meth:`BiasTestResult.text_lines`) and JSON
(:meth:`BiasTestResult.to_json`), used by ``pgproof verify`` and by the final-estimate
check of ``pgproof check --numeric`` alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pgproof.numeric.enumeration import MAX_TRAJECTORIES, trajectory_count
from pgproof.numeric.estimators import Estimator
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.moments import bias_tolerance, exact_moments
from pgproof.numeric.policies import Policy
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.stats import ComparisonResult, compare_with_exact
from pgproof.numeric.trajectories import Batch

#: Exact moments enumerate at most this many trajectories (they cost more than J alone).
MAX_MOMENT_TRAJECTORIES = min(MAX_TRAJECTORIES, 2_000_000)


@dataclass(frozen=True, eq=False)
class BiasTestResult:
    """Everything known about one estimator's bias on one problem."""

    name: str
    expected_unbiased: bool
    comparison: ComparisonResult
    exact_mean: np.ndarray | None
    exact_bias: np.ndarray | None
    exact_covariance: np.ndarray | None
    bias_tolerance: float

    @property
    def expected_verdict(self) -> str:
        return "unbiased" if self.expected_unbiased else "biased"

    @property
    def as_expected(self) -> bool:
        return self.comparison.verdict == self.expected_verdict

    @property
    def exactly_unbiased(self) -> bool | None:
        """Whether |E[ĝ] - ∇J|_∞ is at round-off level (None when not enumerable)."""
        if self.exact_bias is None:
            return None
        return bool(np.max(np.abs(self.exact_bias)) <= self.bias_tolerance)

    @property
    def max_exact_bias(self) -> float | None:
        """max |E[ĝ] - ∇J| over coordinates (None when not enumerable)."""
        return None if self.exact_bias is None else float(np.max(np.abs(self.exact_bias)))

    def to_json(self) -> dict[str, Any]:
        result = self.comparison
        exact = self.exact_bias is not None
        return {
            "estimator": self.name,
            "samples": result.n_samples,
            "alpha": result.alpha,
            "mean": result.mean.tolist(),
            "stderr": result.stderr.tolist(),
            "variance": result.variance.tolist(),
            "total_variance": result.total_variance,
            "method": result.method,
            "p_value": result.p_value,
            "verdict": result.verdict,
            "expected": self.expected_verdict,
            "as_expected": self.as_expected,
            "exact_bias": self.exact_bias.tolist() if exact else None,
            "max_exact_bias": self.max_exact_bias,
            "exact_total_variance": float(np.trace(self.exact_covariance)) if exact else None,
            "exactly_unbiased": self.exactly_unbiased,
        }

    #: header of :meth:`text_lines`'s first line
    TABLE_HEADER = (
        f"{'estimator':27} {'expected':9} {'verdict':9} {'p-value':>9} {'variance':>10}"
        f" {'|exact bias|':>12}  result"
    )

    def text_lines(self) -> list[str]:
        """A table row (see ``TABLE_HEADER``), then the sampled mean and standard error."""
        result = self.comparison
        bias = "n/a" if self.max_exact_bias is None else f"{self.max_exact_bias:.2e}"
        return [
            f"{self.name:27} {self.expected_verdict:9} {result.verdict:9} {result.p_value:9.3g} "
            f"{result.total_variance:10.4g} {bias:>12}  {'ok' if self.as_expected else 'FAIL'}",
            f"    mean   {format_array(result.mean.ravel())}",
            f"    stderr {format_array(result.stderr.ravel())}",
        ]

    def summary(self) -> str:
        """One sentence: the sampled test and the exact bias."""
        result = self.comparison
        exact = (
            "exact |bias| not computed (too many trajectories)"
            if self.max_exact_bias is None
            else f"exact |bias| = {self.max_exact_bias:.2g} (by enumeration)"
        )
        return (
            f"m = {result.n_samples}, Hotelling p = {result.p_value:.3g} at α = {result.alpha}"
            f" → {result.verdict}; {exact}"
        )


def format_array(array: np.ndarray) -> str:
    """A short, aligned printout of a vector or table."""
    return np.array2string(
        array, formatter={"float_kind": lambda x: f"{x: .6g}"}, threshold=24, edgeitems=3
    )


def as_estimator(estimator: Estimator | Callable, name: str | None = None) -> Estimator:
    """Wrap a plain function ``(batch, mdp, policy, theta) -> [m, *param_shape]``."""
    if isinstance(estimator, Estimator):
        return estimator
    label = name or getattr(estimator, "__name__", "user_estimator")
    return Estimator(label, estimator, expected_unbiased=True, formula=f"user function {label}")


def test_estimator_bias(
    estimator: Estimator | Callable,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    gradient: np.ndarray,
    *,
    batch: Batch | None = None,
    m: int = 10_000,
    rng: np.random.Generator | None = None,
    alpha: float = 0.01,
    exact: bool = True,
    progress: bool = False,
) -> BiasTestResult:
    """Sample (or reuse ``batch``), compare with ``gradient`` = ∇J(θ), add exact moments.

    Pass the same ``batch`` to several checks to compare estimators on common trajectories.
    """
    estimator = as_estimator(estimator)
    if batch is None:
        if rng is None:
            raise ValueError("pass a seeded numpy Generator as rng (or a batch)")
        batch = sample_trajectories(mdp, policy, theta, m, rng, progress=progress)
    comparison = compare_with_exact(estimator(batch, mdp, policy, theta), gradient, alpha)
    mean = bias = covariance = None
    if exact and trajectory_count(mdp) <= MAX_MOMENT_TRAJECTORIES:
        mean, covariance = exact_moments(estimator, mdp, policy, theta)
        bias = mean - gradient
    return BiasTestResult(
        name=estimator.name,
        expected_unbiased=estimator.is_expected_unbiased(mdp),
        comparison=comparison,
        exact_mean=mean,
        exact_bias=bias,
        exact_covariance=covariance,
        bias_tolerance=bias_tolerance(gradient, mdp.horizon),
    )


test_estimator_bias.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
