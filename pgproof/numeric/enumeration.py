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


def iter_trajectories(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    limit: int | None = None,
) -> Iterator[TrajectoryChunk]:
    """Yield every trajectory with its probability, ``chunk_size`` at a time."""
    theta = check_problem(mdp, policy, theta)
    count = check_enumerable(mdp, limit)
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    pi = policy.probs(theta, horizon)
    for start in range(0, count, chunk_size):
        code = np.arange(start, min(start + chunk_size, count), dtype=np.int64)
        n = code.size
        states = np.empty((n, horizon + 1), dtype=np.intp)
        actions = np.empty((n, horizon), dtype=np.intp)
        code, states[:, horizon] = np.divmod(code, n_states)
        for t in range(horizon - 1, -1, -1):
            code, actions[:, t] = np.divmod(code, n_actions)
            code, states[:, t] = np.divmod(code, n_states)
        prob = mdp.initial[states[:, 0]].copy()
        for t in range(horizon):
            s, a = states[:, t], actions[:, t]
            prob *= pi[t, s, a]
            prob *= mdp.transition[s, a, states[:, t + 1]]
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
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size):
        weight = chunk.prob * (chunk.to_batch(mdp).rewards @ mdp.discounts)
        index = chunk.states[:, :-1] * n_actions + chunk.actions + offsets
        table += np.bincount(
            index.ravel(), weights=np.repeat(weight, horizon), minlength=steps * cells
        )
    return policy.score_vjp(theta, horizon, table.reshape(steps, n_states, n_actions))
