"""Check one estimator against the exact gradient, by sampling and (when feasible) exactly.

For an estimator ĝ and m sampled trajectories τ_i ~ p_θ:

    sampled   ḡ = (1/m) Σ_i ĝ(τ_i), its standard error and variance, and the verdict of
              :func:`pgproof.numeric.stats.compare_with_exact` against ∇J(θ) at level α;
    exact     E[ĝ], Cov[ĝ] and the bias E[ĝ] - ∇J(θ) by enumeration
              (:mod:`pgproof.numeric.moments`), skipped when there are too many trajectories.

The check passes when the sampled verdict matches what the estimator is expected to be
("unbiased" for unbiased estimators and any user function, "biased" otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
class EstimatorCheck:
    """Everything known about one estimator on one problem."""

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


def as_estimator(estimator: Estimator | Callable, name: str | None = None) -> Estimator:
    """Wrap a plain function ``(batch, mdp, policy, theta) -> [m, *param_shape]``."""
    if isinstance(estimator, Estimator):
        return estimator
    label = name or getattr(estimator, "__name__", "user_estimator")
    return Estimator(label, estimator, expected_unbiased=True, formula=f"user function {label}")


def check_estimator(
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
) -> EstimatorCheck:
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
    return EstimatorCheck(
        name=estimator.name,
        expected_unbiased=estimator.is_expected_unbiased(mdp),
        comparison=comparison,
        exact_mean=mean,
        exact_bias=bias,
        exact_covariance=covariance,
        bias_tolerance=bias_tolerance(gradient, mdp.horizon),
    )
