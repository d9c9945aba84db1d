"""Exact J(θ) and ∇J(θ) by dynamic programming: the policy-gradient theorem.

With M_t[s, s'] = Σ_a π_t(a|s) P(s'|s,a) and r_t^π(s) = Σ_a π_t(a|s) r(s,a) (steps are
0-based below, t = 0..T-1, so γ^t is the 1-based γ^{t-1}):

    forward   d_0 = ρ,               d_{t+1} = d_t M_t                    (state visitation)
    backward  V_T = 0,               V_t = r_t^π + γ M_t V_{t+1}
              Q_t(s, a) = r(s, a) + γ Σ_{s'} P(s'|s,a) V_{t+1}(s')
    value     J(θ) = Σ_s ρ(s) V_0(s) = Σ_t γ^t d_t · r_t^π
    gradient  ∇J(θ) = Σ_t γ^t Σ_{s,a} d_t(s) π_t(a|s) Q_t(s,a) ∇_θ log π_t(a|s).

Time-invariant policies (M_t = M, G = γM).  With the augmented kernel and vectors

    K = [[G, r^π], [0, 1]],   [w_t, c_t] = [ρ, 0] K^t,   K^j [0, 1]ᵀ = [V_{T-j}, 1]ᵀ,

the rows w_t = γ^t d_t are a Krylov sequence (and c_t = Σ_{i<t} w_i · r^π, so J = c_T), and
so are all the values (no separate "+ r^π" step).  The sum over t is taken before Q is
formed: one [S, T] × [T, S+1] product of the forward rows with the value rows in reverse
time order gives [X, occ], X = Σ_t w_tᵀ V_{t+1} and occ = Σ_t w_t, and then

    Σ_t w_t(s) Q_t(s,a) = occ(s) r(s,a) + γ Σ_{s'} P(s'|s,a) X[s, s']

is one product with [γP, r] (cached per MDP, like K's first S rows = π·[γP, r]).  Both
sequences use one chain of powers: with K^b known, rows s..s+b-1 are rows s-b..s-1 times
K^b (resp. (K^b)ᵀ).  b = 1 is the plain loop of 2T matrix-vector products into
preallocated rows; larger b = 2^L costs L squarings, and pure doubling (rows k..2k-1 from
rows 0..k-1, ⌈log₂ T⌉ rounds) wins when S is small and the per-call overhead dominates.
:func:`_doubling_levels` picks L from a measured cost model.  For S ≥ 16 with
numba installed (``pgproof[fast]``), :mod:`pgproof.numeric.fused` runs both recursions in
one compiled sweep that reads K once per step instead (about 1.5× faster at S = 200),
θ by θ for a batch.

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

import functools
import math
import weakref
from dataclasses import dataclass

import numpy as np

from pgproof.numeric import fused
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
#: Most float64 entries of a batch group's work arrays for time-invariant policies (2 MB;
#: the development machine has 1 MB of L2 per core and 32 MB of L3).  Measured there:
#: groups of 8 θ at S=100, A=5, T=100 take 202 µs/θ and all 64 at once 296 µs/θ; at
#: S = 20 groups of 46 lose nothing against 64.
CACHE_BUDGET = 1 << 18
#: Cost model for :func:`_doubling_levels` (seconds; measured on an AMD EPYC, 1 thread):
#: one NumPy product call, one multiply-add inside a matrix product, and one matrix
#: entry per row of a [rows, S] × [S, S] product (a matrix-vector product streams S²).
_CALL, _FMA = 0.7e-6, 0.04e-9
_ROW_ENTRY = {1: 0.09e-9, 2: 0.064e-9, 4: 0.046e-9}
#: MDPs with at most this many transition entries keep [γP, r] cached (see
#: :func:`_augmented_transition`), so that M and r^π, and later occ·r + γ P X, each take
#: one product.
AUGMENT_LIMIT = 1 << 22
_AUGMENTED: weakref.WeakKeyDictionary[TabularMDP, np.ndarray] = weakref.WeakKeyDictionary()


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
    """softmax over the last axis (a new array).

    Shifted by the overall maximum (one reduction instead of one per row, which is slow
    for short rows): nothing overflows, and each row's sum is at least exp(row max - max).
    A row whose sum falls below 1e-200 would lose precision, so then every row is shifted
    by its own maximum instead.
    """
    probs = logits - logits.max()
    np.exp(probs, out=probs)
    sums = np.dot(probs, np.ones(probs.shape[-1]))
    if not sums.min() >= 1e-200:
        probs = logits - logits.max(axis=-1, keepdims=True)
        np.exp(probs, out=probs)
        sums = probs.sum(axis=-1)
    probs /= sums[..., None]
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
        shape = (*theta.shape[:-1], 1, policy.n_states, policy.n_actions)
        return _softmax(np.dot(theta, _features(policy).T).reshape(shape))
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
        totals = np.dot(weights, np.ones(weights.shape[-1]))  # Σ_b W (short rows: BLAS)
        weights -= totals[..., None] * pi
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


def _entry_cost(rows: int) -> float:
    """Seconds per matrix entry per row of a [rows, S] × [S, S] product (measured)."""
    return _ROW_ENTRY.get(rows, _FMA)


@functools.lru_cache(maxsize=256)
def _doubling_levels(n_states: int, steps: int, batch: int = 1) -> int:
    """How many times to square K before stepping in blocks of 2^levels rows (cost model).

    Levels L: L squarings (S³ multiply-adds each), then ⌈steps / 2^L⌉ block products
    [2^L, S] × [S, S] per recursion; L = 0 is the plain loop of matrix-vector products,
    L = ⌈log₂ steps⌉ pure doubling.  Costs are :data:`_CALL` (per call, the loop's
    ``ndarray.dot`` being cheaper), :data:`_ROW_ENTRY` and :data:`_FMA`.
    """
    cells = batch * n_states * n_states
    costs = []
    for levels in range(max(steps - 1, 1).bit_length() + 1):
        block = min(1 << levels, steps)
        calls = 2 * -(-steps // block)
        call = _CALL if levels or batch > 1 else _CALL / 2
        work = levels * cells * n_states * _FMA + 2 * steps * cells * _entry_cost(block)
        costs.append((calls + 3 * levels) * call + work)
    return int(np.argmin(costs))


def _augmented_transition(mdp: TabularMDP) -> np.ndarray | None:
    """[γ P(·|s,a), r(s,a)] as an [S, A, S+1] array, cached per MDP (None when too large)."""
    if mdp.transition.size > AUGMENT_LIMIT:
        return None
    augmented = _AUGMENTED.get(mdp)
    if augmented is None:
        augmented = np.concatenate([mdp.discount * mdp.transition, mdp.reward[..., None]], -1)
        augmented.setflags(write=False)
        _AUGMENTED[mdp] = augmented
    return augmented


def _state_kernel(pi: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """M[..., s, s'] = Σ_a π(a|s) P(s'|s,a) for pi [..., S, A]: per s one [B, A] × [A, S]."""
    if pi.ndim == 2:
        return np.matmul(pi[:, None, :], transition)[:, 0]
    flat = pi.reshape(-1, *pi.shape[-2:])
    kernel = np.matmul(flat.transpose(1, 0, 2), transition).transpose(1, 0, 2)
    return np.ascontiguousarray(kernel).reshape(*pi.shape[:-1], pi.shape[-2])


def _kernel(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """K = [[γ M, r^π], [0, 1]] for pi [(B,) S, A], shape [(B,) S+1, S+1]."""
    n_states = mdp.n_states
    kernel = np.empty((*pi.shape[:-2], n_states + 1, n_states + 1))
    augmented = _augmented_transition(mdp)
    if augmented is None:
        kernel[..., :n_states, :n_states] = _state_kernel(pi * mdp.discount, mdp.transition)
        kernel[..., :n_states, n_states] = np.einsum("...sa,sa->...s", pi, mdp.reward)
    elif pi.ndim == 2:
        np.matmul(pi[:, None, :], augmented, out=kernel[:n_states, None, :])
    else:
        rows = np.matmul(pi.transpose(1, 0, 2), augmented)  # [S, B, S+1]: P read once
        kernel[:, :n_states] = rows.transpose(1, 0, 2)
    kernel[..., n_states, :n_states] = 0.0
    kernel[..., n_states, n_states] = 1.0
    return kernel


def _rows_by_loop(forward: np.ndarray, backward: np.ndarray | None, kernel: np.ndarray) -> None:
    """forward[t] = forward[t-1] K and backward[t] = K backward[t-1], one product per row.

    For one θ these are matrix-vector products into preallocated rows through the
    ``ndarray.dot`` method (half the call overhead of ``np.dot(..., out=...)``).
    """
    if forward.ndim == 2:
        ahead = list(forward)
        if backward is None:
            for previous, row in zip(ahead[:-1], ahead[1:], strict=True):
                previous.dot(kernel, row)
            return
        behind, apply = list(backward), kernel.dot
        pairs = zip(ahead[:-1], ahead[1:], behind[:-1], behind[1:], strict=True)
        for previous, row, later, value in pairs:
            previous.dot(kernel, row)
            apply(later, value)
        return
    transposed = kernel.swapaxes(-1, -2)
    for t in range(1, forward.shape[-2]):
        np.matmul(forward[:, t - 1 : t], kernel, out=forward[:, t : t + 1])
        if backward is not None:
            np.matmul(backward[:, t - 1 : t], transposed, out=backward[:, t : t + 1])


def _product(left: np.ndarray, right: np.ndarray, out: np.ndarray) -> None:
    """out = left @ right (``ndarray.dot`` for one θ, ``np.matmul`` for a batch)."""
    if left.ndim == 2:
        left.dot(right, out)
    else:
        np.matmul(left, right, out=out)


def _rows_by_blocks(
    forward: np.ndarray, backward: np.ndarray | None, kernel: np.ndarray, levels: int
) -> None:
    """The same rows with ``levels`` squarings: with b = 2^levels and K^b known,

        rows k..2k-1 = rows 0..k-1 × K^k   (k = 1, 2, ..., b/2: doubling, squaring K^k),
        rows s..s+b-1 = rows s-b..s-1 × K^b  (s = b, 2b, ...: blocks of b rows),

    where backward rows use (K^k)ᵀ, so one chain of powers serves both recursions.
    """
    steps, power, k = forward.shape[-2], kernel, 1
    block = min(1 << levels, steps)
    while k < block:
        count = min(k, steps - k)
        _product(forward[..., :count, :], power, forward[..., k : k + count, :])
        if backward is not None:
            transposed = power.swapaxes(-1, -2)
            _product(backward[..., :count, :], transposed, backward[..., k : k + count, :])
        k *= 2
        if k < steps:
            power = power.dot(power) if power.ndim == 2 else np.matmul(power, power)
    transposed = power.swapaxes(-1, -2)
    for start in range(block, steps, block):
        count = min(block, steps - start)
        source, target = slice(start - block, start - block + count), slice(start, start + count)
        _product(forward[..., source, :], power, forward[..., target, :])
        if backward is not None:
            _product(backward[..., source, :], transposed, backward[..., target, :])


def _krylov_rows(
    mdp: TabularMDP, kernel: np.ndarray, steps: int, backward: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows [w_t, c_t] = [ρ, 0] K^t and (if ``backward``) rows K^t e = [V_{T-t}, 1], t < steps."""
    n_states, batch = mdp.n_states, kernel.shape[:-2]
    sweep = backward and fused.use_fused(n_states)
    levels = 0 if sweep else _doubling_levels(n_states, steps, math.prod(batch))
    rows = np.empty((2 if backward else 1, *batch, steps, n_states + 1))
    # the loop for one θ and the fused sweep store the forward rows last-first (rows[0]
    # reversed along time is in time order), so that :func:`_invariant` pairs them with
    # the backward rows without a copy
    last_first = sweep or not (levels or batch)
    forward = rows[0, ..., ::-1, :] if last_first else rows[0]
    forward[..., 0, :n_states] = mdp.initial  # [ρ, 0]
    forward[..., 0, n_states] = 0.0
    values = None
    if backward:
        values = rows[1]
        values[..., 0, :] = 0.0
        values[..., 0, n_states] = 1.0  # e = [0, ..., 0, 1]
    if sweep:  # both recursions, K read once per step, θ by θ
        width = n_states + 1
        flat = (kernel.reshape(-1, width, width), rows.reshape(2, -1, steps, width))
        for one_kernel, ahead, behind in zip(flat[0], *flat[1], strict=True):
            fused.krylov_pair(one_kernel, ahead, behind)
    elif levels:
        _rows_by_blocks(forward, values, kernel, levels)
    else:
        _rows_by_loop(forward, values, kernel)
    return forward, values


def _summed_q(mdp: TabularMDP, cross: np.ndarray) -> np.ndarray:
    """Σ_t w_t(s) Q_t(s,a) = occ(s) r(s,a) + γ Σ_{s'} P(s'|s,a) X[s,s'], shape [..., S, A].

    ``cross`` [..., S, S+1] is [X, occ]; one product with [γP, r] gives both terms.
    """
    n_states = mdp.n_states
    augmented = _augmented_transition(mdp)
    matrix = mdp.transition if augmented is None else augmented
    part = cross if augmented is not None else cross[..., :n_states]
    if cross.ndim == 2:
        summed = np.matmul(matrix, part[:, :, None])[..., 0]
    else:  # per s one [A, S] × [S, B] product: P read once for the batch
        summed = np.matmul(matrix, part.transpose(1, 2, 0)).transpose(2, 0, 1)
    if augmented is None:
        summed *= mdp.discount
        summed += cross[..., n_states, None] * mdp.reward
    return summed


def _invariant(
    mdp: TabularMDP, pi: np.ndarray, gradient: bool, objective: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """J (if ``objective``) and (if ``gradient``) W[s,a] = π(a|s) Σ_t w_t(s) Q_t(s,a).

    ``pi`` is [(B,) S, A].  With K = [[G, r^π], [0, 1]] the rows [w_t, c_t] = [ρ, 0] K^t
    carry c_t = Σ_{i<t} w_i · r^π, so J = c_T, and the rows K^j e = [V_{T-j}, 1] give every
    value without a cumulative sum.  One product of the forward rows with the backward rows
    in reverse time order yields [X, occ] (the constant 1 column of the backward rows sums
    w_t into occ).
    """
    horizon, n_states = mdp.horizon, mdp.n_states
    kernel = _kernel(mdp, pi)
    if not gradient:
        forward, _ = _krylov_rows(mdp, kernel, horizon + 1, backward=False)
        return forward[..., horizon, n_states], None
    forward, values = _krylov_rows(mdp, kernel, horizon, backward=True)
    value = None
    if objective:  # J = c_{T-1} + w_{T-1} · r^π
        last = forward[..., horizon - 1, :]
        reward_pi = kernel[..., :n_states, n_states]
        value = last[..., n_states] + np.einsum("...s,...s->...", last[..., :n_states], reward_pi)
    # Σ_t w_tᵀ [V_{t+1}, 1] with V_T = 0: values[j] = [V_{T-j}, 1] pairs with w_{T-1-j}
    if forward.strides[-2] < 0:
        cross = np.matmul(forward[..., ::-1, :n_states].swapaxes(-1, -2), values)
    else:
        reverse = values[..., ::-1, :].copy()
        cross = np.matmul(forward[..., :n_states].swapaxes(-1, -2), reverse)
    summed = _summed_q(mdp, cross)
    summed *= pi
    return value, summed


# ---------------------------------------------------------------- time-dependent kernel


def _block_length(batch: int, horizon: int, n_states: int) -> int:
    """Steps per block of G_t so that a block holds at most :data:`KERNEL_BUDGET` entries."""
    return min(horizon, max(1, KERNEL_BUDGET // (batch * n_states * n_states)))


def _kernel_blocks(pi_gamma: np.ndarray, transition: np.ndarray, reverse: bool):
    """Yield (t0, G[:, t0:t0+L]) for G_t = γ M_t from pi_gamma [B, T, S, A], in blocks of L."""
    batch, horizon, n_states = pi_gamma.shape[:3]
    block = _block_length(batch, horizon, n_states)
    starts = range(0, horizon, block)
    for t0 in reversed(starts) if reverse else starts:
        yield t0, _state_kernel(pi_gamma[:, t0 : t0 + block], transition)


def _backward_values(
    blocks, reward_pi: np.ndarray, batch: int, horizon: int, n_states: int
) -> np.ndarray:
    """V_t = r_t^π + G_t V_{t+1} from V_T = 0, shape [B, T+1, S] (blocks in reverse order)."""
    values = np.empty((batch, horizon + 1, n_states))
    values[:, horizon] = 0.0
    for t0, kernels in blocks:
        for t in range(t0 + kernels.shape[1] - 1, t0 - 1, -1):
            np.matmul(kernels[:, t - t0], values[:, t + 1, :, None], out=values[:, t, :, None])
            values[:, t] += reward_pi[:, t]
    return values


def _forward_rows(blocks, initial: np.ndarray, batch: int, horizon: int) -> np.ndarray:
    """w_0 = ρ, w_{t+1} = w_t G_t, shape [B, T, S] (blocks in time order)."""
    forward = np.empty((batch, horizon, initial.shape[0]))
    forward[:, 0] = initial
    for t0, kernels in blocks:
        for t in range(t0, min(t0 + kernels.shape[1], horizon - 1)):
            np.matmul(forward[:, t : t + 1], kernels[:, t - t0], out=forward[:, t + 1 : t + 2])
    return forward


def _varying(
    mdp: TabularMDP, pi: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """J [B] and W[b, t, s, a] = γ^t d_t(s) π_t(a|s) Q_t(s,a) for pi [B, T, S, A].

    Forward rows w_{t+1} = w_t G_t, backward V_t = r_t^π + G_t V_{t+1} (G_t = γ M_t), and
    Q_t = r + γ P V_{t+1} for all t in one [T, S] × [S, S·A] product.  When all G_t fit
    the budget they are built once; otherwise each sweep rebuilds them block by block.
    """
    batch, horizon, n_states, n_actions = pi.shape
    gamma, transition = mdp.discount, mdp.transition
    pi_gamma = pi * gamma if gamma != 1.0 else pi
    reward_pi = np.einsum("btsa,sa->bts", pi, mdp.reward)
    single = _block_length(batch, horizon, n_states) == horizon
    kernels = [(0, _state_kernel(pi_gamma, transition))] if single else None
    blocks = kernels or _kernel_blocks(pi_gamma, transition, reverse=True)
    values = _backward_values(blocks, reward_pi, batch, horizon, n_states)
    objective = values[:, 0] @ mdp.initial
    if not gradient:
        return objective, None
    blocks = kernels or _kernel_blocks(pi_gamma, transition, reverse=False)
    forward = _forward_rows(blocks, mdp.initial, batch, horizon)
    flat = transition.reshape(n_states * n_actions, n_states)
    weights = np.matmul(values[:, 1:], flat.T).reshape(pi.shape)
    if gamma != 1.0:
        weights *= gamma
    weights += mdp.reward
    weights *= pi
    weights *= forward[..., None]
    return objective, weights


# ------------------------------------------------------------------------- public API


def _pin(mdp: TabularMDP, batch: int = 1):
    """BLAS pinned to one thread unless the problem is too small to be threaded anyway."""
    n_states = mdp.n_states
    cells = n_states * n_states
    return pinned(cells, cells * max(mdp.horizon, n_states, batch, mdp.n_actions))


def _weights(
    mdp: TabularMDP, policy: Policy, pi: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """J [B] and the score weights [B, T', S, A] for pi [B, T', S, A]."""
    if policy.time_invariant:
        objective, weights = _invariant(mdp, pi[:, 0], gradient)
        return objective, None if weights is None else weights[:, None]
    return _varying(mdp, pi, gradient)


def _group_size(mdp: TabularMDP, policy: Policy) -> int:
    """θ per group of a batch: a group's work arrays stay within :data:`KERNEL_BUDGET`,
    and for time-invariant policies within :data:`CACHE_BUDGET` (they are swept T times)."""
    n_states, horizon = mdp.n_states, mdp.horizon
    per_theta = 4 * n_states * (n_states + horizon)
    if not policy.time_invariant:
        return max(1, KERNEL_BUDGET // max(per_theta, n_states * n_states * horizon))
    return max(1, CACHE_BUDGET // per_theta)


def _batch(
    mdp: TabularMDP, policy: Policy, thetas: object, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """J(θ_b) [B] and (if ``gradient``) ∇J(θ_b) [B, *param_shape] for a batch of θ."""
    thetas = _thetas(mdp, policy, thetas)
    count, horizon = thetas.shape[0], mdp.horizon
    objective = np.empty(count)
    gradients = np.empty(thetas.shape) if gradient else None
    step = _group_size(mdp, policy)
    with _pin(mdp, min(count, step)):
        for start in range(0, count, step):
            group = thetas[start : start + step]
            pi = policy_probs(policy, group, horizon)
            objective[start : start + step], weights = _weights(mdp, policy, pi, gradient)
            if gradient:
                scores = contract_score(policy, group, horizon, pi, weights)
                gradients[start : start + step] = scores
    return objective, gradients


def exact_objective_dp(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> float:
    """J(θ) = Σ_t γ^t d_t · r^π_t (= ρ · V_0)."""
    theta = _theta(mdp, policy, theta)
    with _pin(mdp):
        pi = policy_probs(policy, theta, mdp.horizon)
        if policy.time_invariant:
            return float(_invariant(mdp, pi[0], False)[0])
        return float(_varying(mdp, pi[None], False)[0][0])


def exact_gradient_dp(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
    """∇J(θ) by the policy-gradient theorem, shape ``policy.param_shape``."""
    return _value_and_gradient(mdp, policy, theta, objective=False)[1]


def exact_value_and_gradient_dp(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray
) -> tuple[float, np.ndarray]:
    """(J(θ), ∇J(θ)) from one pass of both recursions."""
    value, gradient = _value_and_gradient(mdp, policy, theta, objective=True)
    return float(value), gradient


def _value_and_gradient(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray, objective: bool
) -> tuple[np.ndarray | None, np.ndarray]:
    theta = _theta(mdp, policy, theta)
    horizon = mdp.horizon
    with _pin(mdp):
        pi = policy_probs(policy, theta, horizon)
        if policy.time_invariant:
            value, weights = _invariant(mdp, pi[0], True, objective)
            weights = weights[None]
        else:
            value, weights = _varying(mdp, pi[None], True)
            value, weights = value[0], weights[0]
        return value, contract_score(policy, theta, horizon, pi, weights)


def exact_objective_dp_batch(mdp: TabularMDP, policy: Policy, thetas: np.ndarray) -> np.ndarray:
    """J(θ_b) for every θ_b in ``thetas`` [B, *param_shape], shape [B]."""
    return _batch(mdp, policy, thetas, gradient=False)[0]


def exact_gradient_dp_batch(mdp: TabularMDP, policy: Policy, thetas: np.ndarray) -> np.ndarray:
    """∇J(θ_b) for every θ_b in ``thetas`` [B, *param_shape], shape [B, *param_shape].

    Agrees with :func:`exact_gradient_dp` row by row; the per-call overhead (and, for
    time-invariant policies, every read of P) is shared by the whole batch.
    """
    return _batch(mdp, policy, thetas, gradient=True)[1]


# ---------------------------------------------------------------------- full solution


def _recursions(
    mdp: TabularMDP, kernels: np.ndarray, reward_pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Visitation d_t [T+1, S] (forward) and values V_t [T+1, S] (backward, V_T = 0)."""
    horizon, gamma = mdp.horizon, mdp.discount
    step = 0 if len(kernels) == 1 else 1
    visitation = np.empty((horizon + 1, mdp.n_states))
    visitation[0] = mdp.initial
    values = np.zeros((horizon + 1, mdp.n_states))
    for t in range(horizon):
        visitation[t].dot(kernels[t * step], visitation[t + 1])
    for t in range(horizon - 1, -1, -1):
        values[t] = reward_pi[t * step] + gamma * (kernels[t * step] @ values[t + 1])
    return visitation, values


def solve(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> DPSolution:
    """Run both recursions and return every intermediate table (π_t repeated over t)."""
    theta = _theta(mdp, policy, theta)
    n_states = mdp.n_states
    with _pin(mdp):
        pi = policy_probs(policy, theta, mdp.horizon)
        kernels = _state_kernel(pi, mdp.transition)
        reward_pi = np.einsum("tsa,sa->ts", pi, mdp.reward)
        visitation, values = _recursions(mdp, kernels, reward_pi)
        continuation = values[1:] @ mdp.transition.reshape(-1, n_states).T
    q_values = mdp.reward + mdp.discount * continuation.reshape(mdp.horizon, n_states, -1)
    pi = np.broadcast_to(pi, q_values.shape)
    return DPSolution(pi, visitation, values, q_values, float(mdp.initial @ values[0]))
