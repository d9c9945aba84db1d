"""Exact J(θ) and ∇J(θ) by dynamic programming: the policy-gradient theorem.

With M_t[s, s'] = Σ_a π_t(a|s) P(s'|s,a) and r_t^π(s) = Σ_a π_t(a|s) r(s,a):

    forward   d_1 = ρ,               d_{t+1} = d_t M_t                    (state visitation)
    backward  V_{T+1} = 0,           V_t = r_t^π + γ M_t V_{t+1}
              Q_t(s, a) = r(s, a) + γ Σ_{s'} P(s'|s,a) V_{t+1}(s')
    value     J(θ) = Σ_s ρ(s) V_1(s)
    gradient  ∇J(θ) = Σ_{t=1}^{T} γ^{t-1} Σ_{s,a} d_t(s) π_t(a|s) Q_t(s,a) ∇_θ log π_t(a|s).

Cost: building M_t is O(S²A) (once for a time-invariant policy, T times otherwise), the
two recursions are O(T S²), all Q_t come from one [S·A, S] × [S, T] matrix product
(O(T S² A)), and the final contraction with the score is ``Policy.score_vjp``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem


@dataclass(frozen=True, eq=False)
class DPSolution:
    """Per-step quantities: pi [T,S,A], visitation [T+1,S], values [T+1,S], q_values [T,S,A]."""

    pi: np.ndarray
    visitation: np.ndarray
    values: np.ndarray
    q_values: np.ndarray
    objective: float


def _state_kernels(mdp: TabularMDP, pi: np.ndarray, time_invariant: bool) -> np.ndarray:
    """M_t[s, s'] = Σ_a π_t(a|s) P(s'|s,a): shape [1, S, S] or [T, S, S]."""
    if time_invariant:
        return np.matmul(pi[0][:, None, :], mdp.transition)[:, 0][None]
    # batched over s: [S, T, A] @ [S, A, S'] -> [S, T, S']
    return np.matmul(pi.transpose(1, 0, 2), mdp.transition).transpose(1, 0, 2)


def _policy_tables(
    mdp: TabularMDP, policy: Policy, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """π_t [T', S, A], M_t [T', S, S] and r_t^π [T', S] with T' = 1 for time-invariant policies."""
    theta = check_problem(mdp, policy, theta)
    pi = policy.probs(theta, mdp.horizon)
    pi = np.ascontiguousarray(pi[:1] if policy.time_invariant else pi)
    kernels = _state_kernels(mdp, pi, policy.time_invariant)
    return pi, kernels, np.einsum("tsa,sa->ts", pi, mdp.reward)


def _recursions(
    mdp: TabularMDP, kernels: np.ndarray, reward_pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Visitation d_t [T+1, S] (forward) and values V_t [T+1, S] (backward, V_{T+1} = 0)."""
    horizon, gamma = mdp.horizon, mdp.discount
    step = 0 if len(kernels) == 1 else 1
    visitation = np.empty((horizon + 1, mdp.n_states))
    visitation[0] = mdp.initial
    values = np.zeros((horizon + 1, mdp.n_states))
    for t in range(horizon):
        visitation[t + 1] = visitation[t] @ kernels[t * step]
    for t in range(horizon - 1, -1, -1):
        values[t] = reward_pi[t * step] + gamma * (kernels[t * step] @ values[t + 1])
    return visitation, values


def solve(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> DPSolution:
    """Run both recursions and return every intermediate table (π_t repeated over t)."""
    pi, kernels, reward_pi = _policy_tables(mdp, policy, theta)
    visitation, values = _recursions(mdp, kernels, reward_pi)
    continuation = values[1:] @ mdp.transition.reshape(-1, mdp.n_states).T
    q_values = mdp.reward + mdp.discount * continuation.reshape(mdp.horizon, mdp.n_states, -1)
    pi = np.broadcast_to(pi, q_values.shape)
    return DPSolution(pi, visitation, values, q_values, float(mdp.initial @ values[0]))


def exact_objective_dp(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> float:
    """J(θ) = ρ · V_1 by the backward recursion only."""
    _, kernels, reward_pi = _policy_tables(mdp, policy, theta)
    step = 0 if len(kernels) == 1 else 1
    value = np.zeros(mdp.n_states)
    for t in range(mdp.horizon - 1, -1, -1):
        value = reward_pi[t * step] + mdp.discount * (kernels[t * step] @ value)
    return float(mdp.initial @ value)


def exact_gradient_dp(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
    """∇J(θ) by the policy-gradient theorem, shape ``policy.param_shape``.

    For a time-invariant policy the sum over t is taken before forming Q: with
    w_t(s) = γ^{t-1} d_t(s),

        Σ_t w_t(s) Q_t(s,a) = (Σ_t w_t(s)) r(s,a) + γ Σ_{s'} P(s'|s,a) X[s, s'],
        X[s, s'] = Σ_t w_t(s) V_{t+1}(s'),

    an [S, T] × [T, S] product instead of the [S·A, S] × [S, T] one.
    """
    pi, kernels, reward_pi = _policy_tables(mdp, policy, theta)
    visitation, values = _recursions(mdp, kernels, reward_pi)
    occupancy = visitation[:-1] * mdp.discounts[:, None]
    gamma = mdp.discount
    if policy.time_invariant:
        cross = occupancy.T @ values[1:]
        summed_q = occupancy.sum(axis=0)[:, None] * mdp.reward
        summed_q += gamma * np.einsum("sax,sx->sa", mdp.transition, cross)
        weights = (pi[0] * summed_q)[None]
    else:
        continuation = values[1:] @ mdp.transition.reshape(-1, mdp.n_states).T
        q_values = mdp.reward + gamma * continuation.reshape(mdp.horizon, mdp.n_states, -1)
        weights = occupancy[:, :, None] * pi * q_values
    return policy.score_vjp(np.asarray(theta, dtype=np.float64), mdp.horizon, weights)
