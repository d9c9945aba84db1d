"""Exact mean and covariance of a per-trajectory estimator, by enumeration.

For an estimator ĝ(τ) with values in R^d (flattened ``param_shape``),

    E[ĝ]   = Σ_τ p_θ(τ) ĝ(τ),
    Cov[ĝ] = Σ_τ p_θ(τ) (ĝ(τ) - E[ĝ]) (ĝ(τ) - E[ĝ])ᵀ,

summed over every trajectory with p_θ(τ) > 0 (two passes, so the covariance is not
formed as E[ĝĝᵀ] - E[ĝ]E[ĝ]ᵀ and does not lose precision).  Enumerated chunks are handed
to the estimator as ordinary batches, so any vectorised estimator works unchanged.  The
bias E[ĝ] - ∇J(θ) is then exact: a nonzero value however small is a real bias.
:func:`exact_summary` also returns the exact range min_τ ĝ(τ), max_τ ĝ(τ) over the
trajectories of positive probability: valid bounds for a finite-sample test of an estimator
that declares none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from pgproof.numeric.control_variates import subtract_controls
from pgproof.numeric.enumeration import (
    DEFAULT_CHUNK_SIZE,
    exact_gradient_enumeration,
    iter_trajectories,
)
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy
from pgproof.numeric.trajectories import Batch

EstimatorFn = Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]


def _weighted_values(
    estimator_fn: EstimatorFn, mdp: TabularMDP, policy: Policy, theta: np.ndarray, chunk_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(p_θ(τ) [n], ĝ(τ) [n, d]) over the positive-probability trajectories, chunk by chunk."""
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        keep = chunk.prob > 0
        if not keep.any():
            continue
        batch = Batch(chunk.states[keep], chunk.actions[keep], chunk.to_batch(mdp).rewards[keep])
        values = np.asarray(estimator_fn(batch, mdp, policy, theta), dtype=np.float64)
        yield chunk.prob[keep], values.reshape(batch.size, -1)


def exact_moments(
    estimator_fn: EstimatorFn,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """(E[ĝ] with shape ``param_shape``, Cov[ĝ] with shape [d, d]) by enumeration."""
    theta = np.asarray(theta, dtype=np.float64)
    d = policy.n_params
    mean = np.zeros(d)
    for prob, values in _weighted_values(estimator_fn, mdp, policy, theta, chunk_size):
        mean += prob @ values
    covariance = np.zeros((d, d))
    for prob, values in _weighted_values(estimator_fn, mdp, policy, theta, chunk_size):
        centred = values - mean
        covariance += centred.T @ (prob[:, None] * centred)
    return mean.reshape(policy.param_shape), covariance


def exact_summaries(
    estimator_fns: list[EstimatorFn],
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    centre: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(E[ĝ], Cov[ĝ] [d, d], min ĝ, max ĝ) of several estimators in one enumeration.

    One pass, with the moments taken about ``centre`` (∇J: the mean of an unbiased
    estimator, and close to that of a biased one), so Cov = E[(ĝ-c)(ĝ-c)ᵀ] - (μ-c)(μ-c)ᵀ
    loses no precision to cancellation.  Mean and range have ``param_shape``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    d = policy.n_params
    centre = np.asarray(centre, dtype=np.float64).reshape(d)
    k = len(estimator_fns)
    shift = np.zeros((k, d))
    second = np.zeros((k, d, d))
    low = np.full((k, d), np.inf)
    high = np.full((k, d), -np.inf)
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        keep = chunk.prob > 0
        if not keep.any():
            continue
        prob = chunk.prob[keep]
        batch = Batch(chunk.states[keep], chunk.actions[keep], chunk.to_batch(mdp).rewards[keep])
        for j, estimator_fn in enumerate(estimator_fns):
            values = np.asarray(estimator_fn(batch, mdp, policy, theta), dtype=np.float64)
            values = values.reshape(batch.size, d)
            np.minimum(low[j], values.min(axis=0), out=low[j])
            np.maximum(high[j], values.max(axis=0), out=high[j])
            values -= centre
            shift[j] += prob @ values
            second[j] += values.T @ (prob[:, None] * values)
    shape = policy.param_shape
    out = []
    for j in range(k):
        covariance = second[j] - np.outer(shift[j], shift[j])
        mean = centre + shift[j]
        out.append((mean.reshape(shape), covariance, low[j].reshape(shape), high[j].reshape(shape)))
    return out


@dataclass(frozen=True, eq=False)
class ExactSummary:
    """One estimator's exact moments and range, with those of the control variates.

    ``mean``, ``low``, ``high`` have ``param_shape``; ``covariance`` is [d, d].  With
    controls h_k ([n, d, K] per batch, :mod:`pgproof.numeric.control_variates`):
    ``cross`` [d, K] = Cov(ĝ_j, h_jk), ``gram`` [d, K, K] = Cov(h_jk, h_jl), ``control_mean``
    [d, K] (exactly 0 in theory: a check), ``control_low``/``control_high`` [d, K].
    """

    mean: np.ndarray
    covariance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    cross: np.ndarray | None = None
    gram: np.ndarray | None = None
    control_mean: np.ndarray | None = None
    control_low: np.ndarray | None = None
    control_high: np.ndarray | None = None

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.mean, self.covariance, self.low, self.high


ControlFn = Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]


def exact_summaries_with_controls(
    estimator_fns: list[EstimatorFn],
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    centre: np.ndarray,
    controls: ControlFn,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[ExactSummary]:
    """:func:`exact_summaries` plus the controls' moments and range, in the same pass."""
    theta = np.asarray(theta, dtype=np.float64)
    d = policy.n_params
    centre_flat = np.asarray(centre, dtype=np.float64).reshape(d)
    k = len(estimator_fns)
    shift = np.zeros((k, d))
    second = np.zeros((k, d, d))
    low = np.full((k, d), np.inf)
    high = np.full((k, d), -np.inf)
    cross = None
    control_sum = gram = control_low = control_high = None
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        keep = chunk.prob > 0
        if not keep.any():
            continue
        prob = chunk.prob[keep]
        batch = Batch(chunk.states[keep], chunk.actions[keep], chunk.to_batch(mdp).rewards[keep])
        h = np.asarray(controls(batch, mdp, policy, theta), dtype=np.float64)  # [n, d, K]
        if gram is None:
            n_controls = h.shape[-1]
            cross = np.zeros((k, d, n_controls))
            control_sum = np.zeros((d, n_controls))
            gram = np.zeros((d, n_controls, n_controls))
            control_low = np.full((d, n_controls), np.inf)
            control_high = np.full((d, n_controls), -np.inf)
        by_coordinate = h.transpose(1, 2, 0)  # [d, K, n]
        control_sum += np.tensordot(prob, h, axes=(0, 0))
        gram += np.matmul(by_coordinate * prob, by_coordinate.transpose(0, 2, 1))
        np.minimum(control_low, h.min(axis=0), out=control_low)
        np.maximum(control_high, h.max(axis=0), out=control_high)
        for j, estimator_fn in enumerate(estimator_fns):
            values = np.asarray(estimator_fn(batch, mdp, policy, theta), dtype=np.float64)
            values = values.reshape(batch.size, d)
            np.minimum(low[j], values.min(axis=0), out=low[j])
            np.maximum(high[j], values.max(axis=0), out=high[j])
            values -= centre_flat
            shift[j] += prob @ values
            second[j] += values.T @ (prob[:, None] * values)
            weighted = (values * prob[:, None]).T[:, :, None]  # [d, n, 1]
            cross[j] += np.matmul(by_coordinate, weighted)[:, :, 0]
    shape = policy.param_shape
    assert gram is not None and cross is not None and control_sum is not None
    control_gram = gram - np.einsum("dk,dl->dkl", control_sum, control_sum)
    out = []
    for j in range(k):
        covariance = second[j] - np.outer(shift[j], shift[j])
        mean = centre_flat + shift[j]
        out.append(
            ExactSummary(
                mean.reshape(shape),
                covariance,
                low[j].reshape(shape),
                high[j].reshape(shape),
                cross[j] - shift[j][:, None] * control_sum,
                control_gram,
                control_sum,
                control_low,
                control_high,
            )
        )
    return out


def exact_controlled_ranges(
    estimator_fns: list[EstimatorFn],
    betas: list[np.ndarray],
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    controls: ControlFn,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """min and max over the trajectories of positive probability of y = ĝ - Σ_k β_k h_k,
    for each estimator and its coefficients β [d, K] (flat [d] each)."""
    theta = np.asarray(theta, dtype=np.float64)
    d = policy.n_params
    low = np.full((len(estimator_fns), d), np.inf)
    high = np.full((len(estimator_fns), d), -np.inf)
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        keep = chunk.prob > 0
        if not keep.any():
            continue
        batch = Batch(chunk.states[keep], chunk.actions[keep], chunk.to_batch(mdp).rewards[keep])
        h = np.asarray(controls(batch, mdp, policy, theta), dtype=np.float64)
        for j, (estimator_fn, beta) in enumerate(zip(estimator_fns, betas, strict=True)):
            values = np.asarray(estimator_fn(batch, mdp, policy, theta), dtype=np.float64)
            values = subtract_controls(values.reshape(batch.size, d), h, beta)
            np.minimum(low[j], values.min(axis=0), out=low[j])
            np.maximum(high[j], values.max(axis=0), out=high[j])
    return [(low[j], high[j]) for j in range(len(estimator_fns))]


def exact_summary(
    estimator_fn: EstimatorFn,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(E[ĝ], Cov[ĝ], min ĝ, max ĝ) by enumeration (centre: ∇J if not given)."""
    if centre is None:
        centre = exact_gradient_enumeration(mdp, policy, theta)
    return exact_summaries([estimator_fn], mdp, policy, theta, centre)[0]


def exact_bias(
    estimator_fn: EstimatorFn,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    gradient: np.ndarray | None = None,
) -> np.ndarray:
    """E[ĝ] - ∇J(θ), exactly (∇J by enumeration unless ``gradient`` is given)."""
    mean, _ = exact_moments(estimator_fn, mdp, policy, theta)
    if gradient is None:
        gradient = exact_gradient_enumeration(mdp, policy, theta)
    return mean - gradient


def bias_tolerance(gradient: np.ndarray, horizon: int) -> float:
    """Round-off scale below which an exact bias counts as zero: 1e-10 · max(1, |∇J|_∞) · T."""
    return 1e-10 * max(1.0, float(np.max(np.abs(gradient), initial=0.0))) * horizon
