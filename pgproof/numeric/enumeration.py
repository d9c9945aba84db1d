"""Exact J(θ) and ∇J(θ) by enumerating every trajectory.

With p_θ(τ) = ρ(s_1) Π_t π_θ,t(a_t|s_t) P(s_{t+1}|s_t,a_t) over all S^{T+1} A^T trajectories,

    J(θ)  = Σ_τ p_θ(τ) R(τ),
    ∇J(θ) = Σ_τ p_θ(τ) R(τ) Σ_{t=1}^{T} ∇_θ log π_θ,t(a_t | s_t)      (log-derivative trick).

Trajectory k is decoded from its mixed-radix digits (s_1, a_1, s_2, ..., a_T, s_{T+1}),
vectorised over chunks of ``chunk_size`` indices so memory stays O(chunk_size · T).  The
gradient is accumulated as a table W[t, s, a] = Σ_τ p_θ(τ) R(τ) 1[s_t = s, a_t = a] and
contracted once with the score (``Policy.score_vjp``).  Counts above ``MAX_TRAJECTORIES``
are refused up front with :class:`TooManyTrajectories`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem
from pgproof.numeric.trajectories import TrajectoryChunk

#: Largest number of trajectories the enumeration routes accept.
MAX_TRAJECTORIES = 20_000_000
#: Default number of trajectories decoded at once.
DEFAULT_CHUNK_SIZE = 1 << 16


class TooManyTrajectories(ValueError):
    """Enumeration was asked for more trajectories than the limit allows."""


def trajectory_count(mdp: TabularMDP) -> int:
    """S^{T+1} · A^T, the number of trajectories (including zero-probability ones)."""
    return mdp.n_states ** (mdp.horizon + 1) * mdp.n_actions**mdp.horizon


def check_enumerable(mdp: TabularMDP, limit: int | None = None) -> int:
    """Return the trajectory count, or raise :class:`TooManyTrajectories` above ``limit``."""
    limit = MAX_TRAJECTORIES if limit is None else limit
    count = trajectory_count(mdp)
    if count > limit:
        raise TooManyTrajectories(
            f"enumerating S^(T+1)·A^T = {mdp.n_states}^{mdp.horizon + 1}·"
            f"{mdp.n_actions}^{mdp.horizon} = {count:.3g} trajectories exceeds the limit of "
            f"{limit:,}; use the dynamic-programming route (exact_gradient_dp), which is "
            f"polynomial in S, A and T, or sample trajectories instead"
        )
    return count


def _digit_patterns(radices: list[int], size: int) -> np.ndarray:
    """Mixed-radix digits (least significant first) of 0..size-1, shape [len(radices), size]."""
    code = np.arange(size, dtype=np.int64)
    digits = np.empty((len(radices), size), dtype=np.intp)
    for j, radix in enumerate(radices):
        code, digits[j] = np.divmod(code, radix)
    return digits


def iter_trajectories(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    limit: int | None = None,
) -> Iterator[TrajectoryChunk]:
    """Yield every trajectory with its probability, about ``chunk_size`` at a time.

    Chunks are blocks of the lowest mixed-radix digits (s_{T+1}, a_T, s_T, ...), so their
    digit pattern is decoded once and only the constant high digits change per chunk.
    """
    theta = check_problem(mdp, policy, theta)
    count = check_enumerable(mdp, limit)
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    pi = policy.probs(theta, horizon)
    # q_t[(s·A + a)·S + s'] = π_t(a|s) P(s'|s,a), flattened for a single take per step
    joint = (pi[:, :, :, None] * mdp.transition).reshape(horizon, -1)
    radices = [n_states] + [n_actions, n_states] * horizon  # least significant first
    low, block = 0, 1
    while low < len(radices) and block * radices[low] <= max(chunk_size, radices[0]):
        block *= radices[low]
        low += 1
    pattern = _digit_patterns(radices[:low], block)
    for high_code in range(count // block):
        # time-major storage (contiguous per step), handed out as [n, T+1] / [n, T] views
        states = np.empty((horizon + 1, block), dtype=np.intp).T
        actions = np.empty((horizon, block), dtype=np.intp).T
        code = high_code
        for j in range(len(radices)):
            # digit j is s_{T+1-j/2} for even j and a_{T-(j-1)/2} for odd j (1-based t)
            target = states[:, horizon - j // 2] if j % 2 == 0 else actions[:, horizon - 1 - j // 2]
            if j < low:
                target[:] = pattern[j]
            else:
                code, digit = divmod(code, radices[j])
                target[:] = digit
        prob = mdp.initial[states[:, 0]]
        for t in range(horizon):
            cell = (states[:, t] * n_actions + actions[:, t]) * n_states + states[:, t + 1]
            prob *= joint[t].take(cell)
        yield TrajectoryChunk(states, actions, prob)


def exact_objective(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> float:
    """J(θ) = Σ_τ p_θ(τ) R(τ) by enumeration."""
    total = 0.0
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        total += float(chunk.prob @ (chunk.to_batch(mdp).rewards @ mdp.discounts))
    return total


def exact_gradient_enumeration(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> np.ndarray:
    """∇J(θ) = Σ_τ p_θ(τ) R(τ) Σ_t ∇ log π_θ,t(a_t|s_t) by enumeration, shape param_shape."""
    theta = check_problem(mdp, policy, theta)
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    steps = 1 if policy.time_invariant else horizon
    cells = n_states * n_actions
    offsets = 0 if policy.time_invariant else np.arange(horizon) * cells
    table = np.zeros(steps * cells)
    flat_reward = mdp.reward.ravel()
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        cell = chunk.states[:, :-1] * n_actions + chunk.actions  # s_t·A + a_t, [n, T]
        weight = chunk.prob * (flat_reward.take(cell) @ mdp.discounts)
        table += np.bincount(
            (cell + offsets).ravel(), weights=np.repeat(weight, horizon), minlength=steps * cells
        )
    return policy.score_vjp(theta, horizon, table.reshape(steps, n_states, n_actions))
