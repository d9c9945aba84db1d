"""Exact J(θ) and ∇J(θ) by dynamic programming: the policy-gradient theorem.

With M_t[s, s'] = Σ_a π_t(a|s) P(s'|s,a) and r_t^π(s) = Σ_a π_t(a|s) r(s,a) (steps are
0-based below, t = 0..T-1, so γ^t is the 1-based γ^{t-1}):

    forward   d_0 = ρ,               d_{t+1} = d_t M_t                    (state visitation)
    backward  V_T = 0,               V_t = r_t^π + γ M_t V_{t+1}
              Q_t(s, a) = r(s, a) + γ Σ_{s'} P(s'|s,a) V_{t+1}(s')
    value     J(θ) = Σ_s ρ(s) V_0(s) = Σ_t γ^t d_t · r_t^π
    gradient  ∇J(θ) = Σ_t γ^t Σ_{s,a} d_t(s) π_t(a|s) Q_t(s,a) ∇_θ log π_t(a|s).

Time-invariant policies (M_t = M, G = γM).  The discounted visitations are a Krylov
sequence w_t = γ^t d_t = ρ G^t, and so are the values: with h_j = G^j r^π,

    V_{T-n} = Σ_{j<n} h_j     (a cumulative sum of h_0..h_{T-2}),

so the sum over t is taken before Q is formed: with occ = Σ_t w_t and
X = Σ_{t=0}^{T-2} w_tᵀ V_{t+1} (an [S, T] × [T, S] product),

    Σ_t w_t(s) Q_t(s,a) = occ(s) r(s,a) + γ Σ_{s'} P(s'|s,a) X[s, s'].

Both sequences are built either step by step (2T matrix-vector products into preallocated
rows) or, when S is small and per-call overhead dominates, by doubling: with G^k known,
rows k..2k-1 are rows 0..k-1 times G^k (resp. (G^k)ᵀ), and G^{2k} = G^k G^k, i.e.
⌈log₂ T⌉ rounds of three matrix products.  :func:`_use_doubling` picks the cheaper one.

Time-dependent policies run the recursions with M_t, built in blocks of steps
(``[S, T_b, A] × [S, A, S]`` per block, memory bounded by :data:`KERNEL_BUDGET`), and
Q_t for all t from one [T, S] × [S, S·A] product.

For the built-in softmax policies the score contraction is done here, from the π already
computed: with W[t, s, a] = w_t(s) π_t(a|s) Q_t(s,a),

    Σ_{t,s,a} W[t,s,a] ∇_θ log π_t(a|s) = Σ_{t,s,a} (W[t,s,a] - π_t(a|s) Σ_b W[t,s,b]) φ_t(s,a),

(φ = one-hot for the tabular policies, the features for :class:`LinearSoftmax`); other
policies go through ``Policy.score_vjp``.  The ``*_batch`` functions take many θ at once
(leading axis), sharing the per-call overhead; every kernel runs with BLAS pinned to one
thread (:mod:`pgproof.numeric.threads`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pgproof.numeric.mdp import MDPError, TabularMDP
from pgproof.numeric.policies import (
    LinearSoftmax,
    Policy,
    TabularSoftmax,
    TimeDependentSoftmax,
    check_problem,
)
from pgproof.numeric.threads import pinned

#: Most float64 entries of M_t (time-dependent policies) or of the per-θ work arrays
#: (batches) held at once; larger problems are processed in blocks.
KERNEL_BUDGET = 1 << 24
#: Cost model for :func:`_use_doubling` (seconds; measured on an AMD EPYC, 1 thread):
#: one NumPy call, one matrix entry streamed by a matrix-vector product, one
#: multiply-add inside a matrix product.
_CALL, _ENTRY, _FMA = 0.6e-6, 0.09e-9, 0.04e-9


@dataclass(frozen=True, eq=False)
class DPSolution:
    """Per-step quantities: pi [T,S,A], visitation [T+1,S], values [T+1,S], q_values [T,S,A]."""

    pi: np.ndarray
    visitation: np.ndarray
    values: np.ndarray
    q_values: np.ndarray
    objective: float


# ----------------------------------------------------------------------------- θ and π


def _theta(mdp: TabularMDP, policy: Policy, theta: object) -> np.ndarray:
    """θ checked against ``mdp`` and ``policy``; a finite float64 array is used as is."""
    if (
        type(theta) is np.ndarray
        and theta.dtype == np.float64
        and theta.shape == policy.param_shape
        and policy.n_states == mdp.n_states
        and policy.n_actions == mdp.n_actions
        and math.isfinite(theta.sum())
    ):
        policy.check_horizon(mdp.horizon)
        return theta
    return check_problem(mdp, policy, theta)


def _thetas(mdp: TabularMDP, policy: Policy, thetas: object) -> np.ndarray:
    """A batch θ_b of shape [B, *param_shape], checked like :func:`_theta`."""
    try:
        array = np.asarray(thetas, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MDPError(f"thetas is not a rectangular array of numbers ({error})") from None
    if array.ndim != 1 + len(policy.param_shape) or array.shape[1:] != policy.param_shape:
        raise MDPError(
            f"thetas has shape {list(array.shape)}, expected [B, *param_shape] = "
            f"{['B', *policy.param_shape]}"
        )
    if array.shape[0]:
        check_problem(mdp, policy, np.zeros(policy.param_shape))
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = "".join(f"[{i}]" for i in bad[0])
        raise MDPError(f"thetas{where} is {array[tuple(bad[0])]}; all entries must be finite")
    return array


def _softmax(logits: np.ndarray) -> np.ndarray:
    """softmax over the last axis (a new array)."""
    probs = logits - logits.max(axis=-1, keepdims=True)
    np.exp(probs, out=probs)
    probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def _features(policy: LinearSoftmax) -> np.ndarray:
    """φ as an [S·A, d] matrix."""
    return policy.features.reshape(-1, policy.param_shape[0])


def policy_probs(policy: Policy, theta: np.ndarray, horizon: int) -> np.ndarray:
    """π_t(a|s) as a contiguous [..., T', S, A] array (T' = 1 if time-invariant).

    ``theta`` may carry leading batch axes.  The built-in softmax policies are computed
    here in one pass; others through ``Policy.probs``.
    """
    kind = type(policy)
    if kind is TabularSoftmax:
        return _softmax(theta)[..., None, :, :]
    if kind is TimeDependentSoftmax:
        return _softmax(theta)
    if kind is LinearSoftmax:
        logits = np.dot(theta, _features(policy).T)
        shape = (*theta.shape[:-1], 1, policy.n_states, policy.n_actions)
        return _softmax(logits).reshape(shape)
    steps = 1 if policy.time_invariant else horizon
    batch = theta.shape[: theta.ndim - len(policy.param_shape)]
    rows = [policy.probs(row, horizon)[:steps] for row in theta.reshape(-1, *policy.param_shape)]
    return np.ascontiguousarray(np.stack(rows).reshape(*batch, *rows[0].shape))


def contract_score(
    policy: Policy, theta: np.ndarray, horizon: int, pi: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Σ_{t,s,a} W[..., t, s, a] ∇_θ log π_t(a|s) for weights [..., T', S, A] -> [..., θ].

    ``pi`` is :func:`policy_probs` at the same θ; ``weights`` is overwritten.
    """
    kind = type(policy)
    if kind in (TabularSoftmax, TimeDependentSoftmax, LinearSoftmax):
        weights -= weights.sum(axis=-1, keepdims=True) * pi  # W - π Σ_b W
        if kind is TimeDependentSoftmax:
            return weights
        table = weights[..., 0, :, :]
        if kind is TabularSoftmax:
            return table
        return np.dot(table.reshape(*table.shape[:-2], -1), _features(policy))
    if theta.ndim == len(policy.param_shape):
        return policy.score_vjp(theta, horizon, weights)
    return np.stack(
        [policy.score_vjp(row, horizon, w) for row, w in zip(theta, weights, strict=True)]
    )


# --------------------------------------------------------------- time-invariant kernel


def _use_doubling(n_states: int, horizon: int, batch: int = 1) -> bool:
    """True when building the Krylov rows by doubling is predicted to beat the loop.

    Loop: 2(T-1) matrix-vector calls streaming S² entries each.  Doubling: ⌈log₂ T⌉
    rounds of three calls and one S³ squaring, plus the 2T S² multiply-adds of the rows.
    """
    if horizon <= 2:
        return False
    cells = batch * n_states * n_states
    loop = 2 * (horizon - 1) * (_CALL + cells * _ENTRY)
    rounds = (horizon - 1).bit_length()
    doubling = rounds * (3 * _CALL + cells * n_states * _FMA) + 2 * horizon * cells * _FMA
    return doubling < loop


def _rows_by_loop(forward: np.ndarray, backward: np.ndarray, kernel: np.ndarray) -> None:
    """forward[t+1] = forward[t] G and backward[j+1] = G backward[j], in place."""
    n_forward, n_backward = forward.shape[-2], backward.shape[-2]
    if forward.ndim == 2:
        dot = np.dot
        for t in range(1, min(n_forward, n_backward)):
            dot(forward[t - 1], kernel, out=forward[t])
            dot(kernel, backward[t - 1], out=backward[t])
        for t in range(max(n_backward, 1), n_forward):
            dot(forward[t - 1], kernel, out=forward[t])
        for t in range(max(n_forward, 1), n_backward):
            dot(kernel, backward[t - 1], out=backward[t])
        return
    matmul, transposed = np.matmul, kernel.swapaxes(-1, -2)
    for t in range(1, n_forward):
        matmul(forward[:, t - 1 : t], kernel, out=forward[:, t : t + 1])
    for t in range(1, n_backward):
        matmul(backward[:, t - 1 : t], transposed, out=backward[:, t : t + 1])


def _rows_by_doubling(forward: np.ndarray, backward: np.ndarray, kernel: np.ndarray) -> None:
    """The same rows in ⌈log₂ n⌉ rounds: rows k..2k-1 = rows 0..k-1 × G^k (resp. (G^k)ᵀ)."""
    n_forward, n_backward = forward.shape[-2], backward.shape[-2]
    longest, power, k = max(n_forward, n_backward), kernel, 1
    while k < longest:
        count = min(k, n_forward - k)
        if count > 0:
            np.matmul(forward[..., :count, :], power, out=forward[..., k : k + count, :])
        count = min(k, n_backward - k)
        if count > 0:
            transposed = power.swapaxes(-1, -2)
            np.matmul(backward[..., :count, :], transposed, out=backward[..., k : k + count, :])
        k *= 2
        if k < longest:
            power = np.matmul(power, power)


def _krylov_rows(
    start: np.ndarray, kernel: np.ndarray, reward_pi: np.ndarray, horizon: int, backward: bool
) -> tuple[np.ndarray, np.ndarray]:
    """w_t = ρ G^t for t < T, shape [..., T, S]; h_j = G^j r^π for j < T-1 (if ``backward``)."""
    batch, n_states = start.shape[:-1], start.shape[-1]
    forward = np.empty((*batch, horizon, n_states))
    forward[..., 0, :] = start
    rows = horizon - 1 if backward else 0
    values = np.empty((*batch, max(rows, 1), n_states))
    values[..., 0, :] = reward_pi
    values = values[..., :rows, :]
    size = int(np.prod(batch, dtype=np.int64))
    if _use_doubling(n_states, horizon, size):
        _rows_by_doubling(forward, values, kernel)
    else:
        _rows_by_loop(forward, values, kernel)
    return forward, values


def _next_values(krylov: np.ndarray) -> np.ndarray:
    """V_{t+1} for t = 0..T-2 from h_0..h_{T-2}: V_{t+1} = Σ_{j ≤ T-2-t} h_j (reversed cumsum)."""
    result = np.empty_like(krylov)
    np.cumsum(krylov, axis=-2, out=result[..., ::-1, :])
    return result


def _cross(occupancy_rows: np.ndarray, next_values: np.ndarray) -> np.ndarray:
    """X[s, s'] = Σ_{t ≤ T-2} w_t(s) V_{t+1}(s'), an [S, T-1] × [T-1, S] product."""
    rows = next_values.shape[-2]
    return np.matmul(occupancy_rows[..., :rows, :].swapaxes(-1, -2), next_values)


def _transition_contract(transition: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """Σ_{s'} P(s'|s,a) X[..., s, s'], shape [..., S, A] (P read once for the whole batch)."""
    if cross.ndim == 2:
        return np.matmul(transition, cross[:, :, None])[..., 0]
    return np.matmul(transition, cross.transpose(1, 2, 0)).transpose(2, 0, 1)


def _state_kernel(pi: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """M[..., s, s'] = Σ_a π(a|s) P(s'|s,a) for pi [..., S, A]: per s one [B, A] × [A, S]."""
    if pi.ndim == 2:
        return np.matmul(pi[:, None, :], transition)[:, 0]
    flat = pi.reshape(-1, *pi.shape[-2:])
    kernel = np.matmul(flat.transpose(1, 0, 2), transition).transpose(1, 0, 2)
    return np.ascontiguousarray(kernel).reshape(*pi.shape[:-1], pi.shape[-2])


def _invariant(
    mdp: TabularMDP, pi: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """J and (if ``gradient``) Σ_t w_t(s) π(a|s) Q_t(s,a) for pi [..., S, A] -> [...], [..., S, A].

    occ = Σ_t w_t; J = occ · r^π; the weights are π ⊙ (occ r + γ Σ_{s'} P X).
    """
    gamma, transition = mdp.discount, mdp.transition
    kernel = _state_kernel(pi * gamma if gamma != 1.0 else pi, transition)
    reward_pi = np.einsum("...sa,sa->...s", pi, mdp.reward)
    forward, krylov = _krylov_rows(mdp.initial, kernel, reward_pi, mdp.horizon, gradient)
    occupancy = forward.sum(axis=-2)
    objective = np.einsum("...s,...s->...", occupancy, reward_pi)
    if not gradient:
        return objective, None
    summed_q = _transition_contract(transition, _cross(forward, _next_values(krylov)))
    if gamma != 1.0:
        summed_q *= gamma
    summed_q += occupancy[..., None] * mdp.reward
    summed_q *= pi
    return objective, summed_q
