"""Bounds lo_j ≤ ĝ_j(τ) ≤ hi_j on every coordinate of a per-trajectory estimate.

A finite-sample test of E[ĝ] needs them (:mod:`pgproof.numeric.betting`); they follow
from the rewards, the horizon and the policy class, never from the samples.

Score-function estimators ĝ = Σ_{t=1}^{T} w_t ∇_θ log π_θ,t(a_t|s_t) with weight bounds
w_lo,t ≤ w_t ≤ w_hi,t (:class:`pgproof.numeric.estimators.ScoreWeights`; every built-in
weight is affine in the rewards, so r_min ≤ r ≤ r_max bounds it).  Step t adds w_t · c_t
to coordinate j, where c_t = ∂_j log π_θ,t(a_t|s_t) ranges over a known set C_t,j, hence

    lo_j = Σ_t min{w c : w ∈ [w_lo,t, w_hi,t], c ∈ C_t,j},   hi_j = Σ_t max{…}.

* Tabular softmax θ[s, a]:  ∂_{θ[s,a]} log π(b|s') = 1[s'=s] (1[b=a] - π(a|s)), so
  C_j = {0, -π(a|s), 1 - π(a|s)} ⊂ [-1, 1]: |ĝ_sa| ≤ Σ_t max|w_t| · max(π(a|s), 1 - π(a|s)).
* Time-dependent softmax θ[t, s, a]: only step t touches coordinate (t, s, a), same set.
* Linear softmax θ ∈ R^d: C_j = {φ_j(s, a) - Σ_b π(b|s) φ_j(s, b)} over all (s, a).
* Any other policy: the score table ``policy.score`` (small problems only).

For REINFORCE with rewards in [0, 1] and γ = 1 this gives |ĝ_sa| ≤ T² max(π, 1-π) ≤ T²
(w_t = R ≤ T at each of T steps): the bound the research notes state as
T · max|r| · max‖∇ log π‖ per step, tightened coordinate by coordinate.

Other estimators: bounds they declare (``Estimator.bounds``), else, when the MDP can be
enumerated, the exact range of ĝ over every trajectory of positive probability
(:func:`pgproof.numeric.moments.exact_summary`), else none (no finite-sample test).
"""

from __future__ import annotations

import numpy as np

from pgproof.numeric.estimators import Estimator, EstimatorError
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import (
    LinearSoftmax,
    Policy,
    TabularSoftmax,
    TimeDependentSoftmax,
    softmax,
)

#: the score table of a generic policy is formed only up to this many entries
MAX_SCORE_TABLE = 4_000_000


def _interval_product(
    w_lo: np.ndarray, w_hi: np.ndarray, c_lo: np.ndarray, c_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """[min, max] of w·c for w ∈ [w_lo, w_hi], c ∈ [c_lo, c_hi] (broadcast)."""
    products = np.stack(np.broadcast_arrays(w_lo * c_lo, w_lo * c_hi, w_hi * c_lo, w_hi * c_hi))
    return products.min(axis=0), products.max(axis=0)


def _softmax_steps(pi: np.ndarray, w_lo: np.ndarray, w_hi: np.ndarray):
    """Per-step [min, max] of w·c over c ∈ {0, -π, 1-π} (broadcast over the table pi)."""
    shape = (-1,) + (1,) * pi.ndim
    w_lo, w_hi = w_lo.reshape(shape), w_hi.reshape(shape)
    low = np.minimum(np.minimum((1.0 - pi) * w_lo, -pi * w_hi), 0.0)
    high = np.maximum(np.maximum((1.0 - pi) * w_hi, -pi * w_lo), 0.0)
    return low, high


def score_weighted_bounds(
    w_lo: np.ndarray, w_hi: np.ndarray, mdp: TabularMDP, policy: Policy, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounds (lo, hi), each of ``policy.param_shape``, of Σ_t w_t ∇ log π_t(a_t|s_t)."""
    w_lo = np.asarray(w_lo, dtype=np.float64).reshape(-1)
    w_hi = np.asarray(w_hi, dtype=np.float64).reshape(-1)
    horizon = mdp.horizon
    if w_lo.shape != (horizon,) or w_hi.shape != (horizon,):
        raise EstimatorError(f"weight bounds must have shape [T] = [{horizon}]")
    if isinstance(policy, TabularSoftmax):
        pi = softmax(np.asarray(theta, dtype=np.float64))
        low = np.zeros_like(pi)
        high = np.zeros_like(pi)
        for start in range(0, horizon, 4096):
            block = slice(start, start + 4096)
            step_low, step_high = _softmax_steps(pi, w_lo[block], w_hi[block])
            low += step_low.sum(axis=0)
            high += step_high.sum(axis=0)
        return low, high
    if isinstance(policy, TimeDependentSoftmax):
        pi = softmax(np.asarray(theta, dtype=np.float64))  # [T, S, A]
        low = np.minimum(np.minimum((1.0 - pi) * w_lo[:, None, None], -pi * w_hi[:, None, None]), 0)
        high = np.maximum(
            np.maximum((1.0 - pi) * w_hi[:, None, None], -pi * w_lo[:, None, None]), 0
        )
        return low, high
    if isinstance(policy, LinearSoftmax):
        pi = softmax(policy.logits(theta, horizon)[0])  # [S, A]
        mean_feature = np.einsum("sa,sad->sd", pi, policy.features)
        score = policy.features - mean_feature[:, None, :]  # [S, A, d]
        c_lo = score.min(axis=(0, 1))
        c_hi = score.max(axis=(0, 1))
        step_low, step_high = _interval_product(w_lo[:, None], w_hi[:, None], c_lo, c_hi)
        return step_low.sum(axis=0), step_high.sum(axis=0)
    steps = 1 if policy.time_invariant else horizon
    if steps * mdp.n_states * mdp.n_actions * policy.n_params > MAX_SCORE_TABLE:
        return None
    score = np.asarray(policy.score(theta, horizon))[:steps]  # [T', S, A, *shape]
    flat = score.reshape(steps, mdp.n_states * mdp.n_actions, -1)
    c_lo = np.minimum(flat.min(axis=1), 0.0)  # the score need not reach 0; 0 is harmless
    c_hi = np.maximum(flat.max(axis=1), 0.0)
    if steps == 1:
        c_lo = np.broadcast_to(c_lo, (horizon, c_lo.shape[1]))
        c_hi = np.broadcast_to(c_hi, (horizon, c_hi.shape[1]))
    step_low, step_high = _interval_product(w_lo[:, None], w_hi[:, None], c_lo, c_hi)
    shape = policy.param_shape
    return step_low.sum(axis=0).reshape(shape), step_high.sum(axis=0).reshape(shape)


def declared_bounds(
    estimator: Estimator, mdp: TabularMDP, policy: Policy, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounds that follow from the estimator's definition (None when it declares none)."""
    if estimator.bounds is not None:
        low, high = estimator.bounds(mdp, policy, theta)
        low = np.broadcast_to(np.asarray(low, dtype=np.float64), policy.param_shape)
        high = np.broadcast_to(np.asarray(high, dtype=np.float64), policy.param_shape)
        return low.copy(), high.copy()
    if estimator.weights is None:
        return None
    w_lo, w_hi = estimator.weights.bounds(mdp, policy, theta)
    return score_weighted_bounds(w_lo, w_hi, mdp, policy, theta)
