"""Exact mean and covariance of a per-trajectory estimator, by enumeration.

For an estimator ĝ(τ) with values in R^d (flattened ``param_shape``),

    E[ĝ]   = Σ_τ p_θ(τ) ĝ(τ),
    Cov[ĝ] = Σ_τ p_θ(τ) (ĝ(τ) - E[ĝ]) (ĝ(τ) - E[ĝ])ᵀ,

summed over every trajectory with p_θ(τ) > 0 (two passes, so the covariance is not
formed as E[ĝĝᵀ] - E[ĝ]E[ĝ]ᵀ and does not lose precision).  Enumerated chunks are handed
to the estimator as ordinary batches, so any vectorised estimator works unchanged.  The
bias E[ĝ] - ∇J(θ) is then exact: a nonzero value however small is a real bias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

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
