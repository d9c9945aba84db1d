"""Exact tabular value functions, visitation and policy-gradient identities.

Notation as in the textbooks (Sutton & Barto ch. 3, 13; CS285 lecture 5; Spinning Up,
"Intro to Policy Optimization").  A policy is given by its probabilities ``pi``: an array
[T, S, A] of π_k(a|s) for a finite horizon, or [S, A] for a stationary policy.

Index convention.  Every array here is **0-based by step k = 0..T-1** (Spinning Up).  In
CS285 the first time index is 1, so textbook step t is array row k = t - first with
``first = 1``; :meth:`FiniteHorizonValues.at` does that mapping.  Discount exponents count
steps since the first one, γ^k = γ^{t-first}, so the formulas below hold for both.

Finite horizon T with discount γ ∈ [0, 1] (the return of :mod:`pgproof.numeric.mdp`,
R(τ) = Σ_{k=0}^{T-1} γ^k r(s_k, a_k)), with P_k[s, s'] = Σ_a π_k(a|s) P(s'|s,a) and
r_k^π(s) = Σ_a π_k(a|s) r(s,a):

    V_T = 0,   Q_k(s,a) = r(s,a) + γ Σ_{s'} P(s'|s,a) V_{k+1}(s'),
    V_k(s) = Σ_a π_k(a|s) Q_k(s,a),   A_k = Q_k - V_k,
    Q_k(s,a) = E[Σ_{j=k}^{T-1} γ^{j-k} r(s_j, a_j) | s_k = s, a_k = a]   (reward to go),
    d_0 = ρ,   d_{k+1} = d_k P_k,   d_k(s) = Pr(s_k = s),
    d^π(s) = Σ_{k=0}^{T-1} γ^k d_k(s)   (unnormalised; mass Σ_k γ^k),
    J = ρ · V_0 = Σ_k γ^k d_k · r_k^π,
    ∇J = Σ_{k=0}^{T-1} γ^k Σ_s d_k(s) Σ_a ∇_θ π_k(a|s) Q_k(s,a).

Infinite horizon, stationary π, γ ∈ [0, 1) (Sutton & Barto eq. 13.5 with discounting):

    V^π = (I - γ P_π)^{-1} r_π,   Q^π = r + γ P V^π,   A^π = Q^π - V^π,
    d^π = ρᵀ (I - γ P_π)^{-1} = Σ_k γ^k Pr(s_k = ·)   (unnormalised; mass 1/(1-γ)),
    J = ρ · V^π = d^π · r_π,   ∇J = Σ_s d^π(s) Σ_a ∇_θ π(a|s) Q^π(s,a);

the normalised state distribution is (1 - γ) d^π.  For the tabular softmax
π(a|s) = softmax_a θ[s, a] the Jacobian is block diagonal over states,

    ∂π(a|s) / ∂θ[s, b] = π(a|s) (1[a = b] - π(b|s))   (zero for θ of another state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import softmax

#: Tolerance on "π(·|s) is a probability vector".
_TOLERANCE = 1e-9


def _discount(mdp: TabularMDP, discount: float | None, infinite: bool) -> float:
    gamma = float(mdp.discount if discount is None else discount)
    if not np.isfinite(gamma) or gamma < 0.0 or gamma > 1.0:
        raise ValueError(f"discount γ must lie in [0, 1], got {gamma}")
    if infinite and gamma >= 1.0:
        raise ValueError(
            f"the infinite-horizon quantities need discount γ < 1, got γ = {gamma} "
            "(I - γ P_π is singular at γ = 1)"
        )
    return gamma


def _policy_table(mdp: TabularMDP, pi: object, stationary_only: bool = False) -> np.ndarray:
    """π as a float64 [T, S, A] array (or [S, A] when ``stationary_only``), checked."""
    table = np.asarray(pi, dtype=np.float64)
    cells = (mdp.n_states, mdp.n_actions)
    if stationary_only:
        if table.shape != cells:
            raise ValueError(
                f"pi has shape {list(table.shape)}, expected a stationary policy [S, A] = "
                f"{list(cells)}"
            )
    elif table.shape == cells:
        table = np.broadcast_to(table, (mdp.horizon, *cells))
    elif table.shape != (mdp.horizon, *cells):
        raise ValueError(
            f"pi has shape {list(table.shape)}, expected [T, S, A] = "
            f"{[mdp.horizon, *cells]} or [S, A] = {list(cells)}"
        )
    if not np.all(np.isfinite(table)) or table.min() < 0.0:
        raise ValueError("pi must hold finite, non-negative probabilities")
    worst = float(np.abs(table.sum(axis=-1) - 1.0).max())
    if worst > _TOLERANCE:
        raise ValueError(f"every row pi[..., s, :] must sum to 1 (off by up to {worst:.3g})")
    return table


def discount_weights(gamma: float, horizon: int) -> np.ndarray:
    """γ^k for k = 0..T-1 (= γ^{t-1} for the 1-based t = 1..T), shape [T]; 0^0 = 1."""
    return float(gamma) ** np.arange(horizon, dtype=np.float64)


def state_distributions(mdp: TabularMDP, pi: object) -> np.ndarray:
    """d_k(s) = Pr(s_k = s) for k = 0..T-1 (row k; each row sums to 1), shape [T, S]."""
    return _distributions(mdp, _policy_table(mdp, pi))


def _distributions(mdp: TabularMDP, table: np.ndarray) -> np.ndarray:
    """:func:`state_distributions` of a checked policy table [T, S, A]."""
    kernels = np.einsum("ksa,sat->kst", table, mdp.transition)  # P_k[s, s']
    rows = np.empty((mdp.horizon, mdp.n_states))
    rows[0] = mdp.initial
    for k in range(mdp.horizon - 1):
        rows[k + 1] = rows[k] @ kernels[k]
    return rows


def discounted_visitation(
    mdp: TabularMDP, pi: object, discount: float | None = None, normalized: bool = False
) -> np.ndarray:
    """Finite-horizon d^π(s) = Σ_{k=0}^{T-1} γ^k d_k(s), shape [S].

    Unnormalised by default (total mass Σ_k γ^k = (1-γ^T)/(1-γ), or T at γ = 1); with
    ``normalized=True`` it is divided by that mass, a probability vector over states.
    """
    gamma = _discount(mdp, discount, infinite=False)
    weights = discount_weights(gamma, mdp.horizon)
    visitation = weights @ state_distributions(mdp, pi)
    return visitation / weights.sum() if normalized else visitation


@dataclass(frozen=True, eq=False)
class FiniteHorizonValues:
    """V_k [T, S], Q_k and A_k [T, S, A], d_k [T, S], all 0-based by step k = 0..T-1."""

    values: np.ndarray
    q_values: np.ndarray
    advantages: np.ndarray
    distributions: np.ndarray
    discount: float

    @property
    def horizon(self) -> int:
        return int(self.values.shape[0])

    @property
    def objective(self) -> float:
        """J = ρ · V_0 (d_0 = ρ)."""
        return float(self.distributions[0] @ self.values[0])

    @property
    def visitation(self) -> np.ndarray:
        """Unnormalised d^π(s) = Σ_k γ^k d_k(s), shape [S]."""
        return discount_weights(self.discount, self.horizon) @ self.distributions

    def index(self, t: int, first: int = 0) -> int:
        """Array row k = t - first of textbook step t (first = 1: CS285, 0: Spinning Up)."""
        if first not in (0, 1):
            raise ValueError(f"first must be 0 or 1, got {first!r}")
        k = int(t) - first
        if not 0 <= k < self.horizon:
            raise ValueError(
                f"step t = {t} is outside {first}..{first + self.horizon - 1} (first = {first})"
            )
        return k

    def at(self, t: int, first: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(V_t [S], Q_t [S, A], A_t [S, A], d_t [S]) at textbook step t."""
        k = self.index(t, first)
        return self.values[k], self.q_values[k], self.advantages[k], self.distributions[k]


def finite_horizon_values(
    mdp: TabularMDP, pi: object, discount: float | None = None
) -> FiniteHorizonValues:
    """V, Q, A and d_k of π on ``mdp`` over its horizon (γ = ``mdp.discount`` by default)."""
    gamma = _discount(mdp, discount, infinite=False)
    table = _policy_table(mdp, pi)
    horizon, n_states = mdp.horizon, mdp.n_states
    values = np.empty((horizon, n_states))
    q_values = np.empty((horizon, n_states, mdp.n_actions))
    following = np.zeros(n_states)  # V_T = 0
    for k in range(horizon - 1, -1, -1):
        q_values[k] = mdp.reward + gamma * (mdp.transition @ following)
        values[k] = np.einsum("sa,sa->s", table[k], q_values[k])
        following = values[k]
    advantages = q_values - values[..., None]
    distributions = _distributions(mdp, table)
    return FiniteHorizonValues(values, q_values, advantages, distributions, gamma)


@dataclass(frozen=True, eq=False)
class InfiniteHorizonValues:
    """V^π [S], Q^π and A^π [S, A], unnormalised d^π [S] (mass 1/(1-γ)), J = ρ · V^π."""

    values: np.ndarray
    q_values: np.ndarray
    advantages: np.ndarray
    visitation: np.ndarray
    objective: float
    discount: float

    @property
    def normalized_visitation(self) -> np.ndarray:
        """(1 - γ) d^π, a probability vector over states."""
        return (1.0 - self.discount) * self.visitation


def infinite_horizon_values(
    mdp: TabularMDP, pi: object, discount: float | None = None
) -> InfiniteHorizonValues:
    """Discounted infinite-horizon quantities of a stationary π [S, A] (``mdp.horizon``
    is ignored; γ = ``mdp.discount`` by default and must be < 1)."""
    gamma = _discount(mdp, discount, infinite=True)
    table = _policy_table(mdp, pi, stationary_only=True)
    kernel = np.einsum("sa,sat->st", table, mdp.transition)  # P_π
    reward_pi = np.einsum("sa,sa->s", table, mdp.reward)  # r_π
    system = np.eye(mdp.n_states) - gamma * kernel
    values = np.linalg.solve(system, reward_pi)
    visitation = np.linalg.solve(system.T, mdp.initial)  # ρᵀ (I - γ P_π)^{-1}
    q_values = mdp.reward + gamma * (mdp.transition @ values)
    advantages = q_values - values[:, None]
    objective = float(mdp.initial @ values)
    return InfiniteHorizonValues(values, q_values, advantages, visitation, objective, gamma)


def softmax_jacobian(theta: object) -> np.ndarray:
    """∂π(a|s)/∂θ[s, b] = π(a|s)(1[a = b] - π(b|s)) as [..., S, A, A] (indices s, a, b).

    θ is [S, A] or [T, S, A]; the entries for θ of another state (or step) are zero and
    are not stored.
    """
    logits = np.asarray(theta, dtype=np.float64)
    if logits.ndim not in (2, 3) or not np.all(np.isfinite(logits)):
        raise ValueError(f"theta must be a finite [S, A] or [T, S, A] array, got {logits.shape}")
    pi = softmax(logits)
    eye = np.eye(pi.shape[-1])
    return pi[..., :, None] * (eye - pi[..., None, :])


def policy_gradient_sum(
    theta: object, distributions: object, q_values: object, weights: object = None
) -> np.ndarray:
    """Σ_k w_k Σ_s d_k(s) Σ_a ∇_θ π_k(a|s) Q_k(s,a) for the tabular softmax, shape of θ.

    ``distributions`` [T, S] and ``q_values`` [T, S, A] (or [S] and [S, A]: T = 1);
    ``weights`` w_k [T] default to 1.  θ [S, A] is shared by all steps (gradient summed
    over k); θ [T, S, A] is one table per step (row k of the gradient is term k alone).
    This is the policy-gradient theorem's right-hand side with w_k = γ^k; other weights
    (1, γ^{k+1}) give the wrong formulas the tests reject.
    """
    theta = np.asarray(theta, dtype=np.float64)
    d = np.asarray(distributions, dtype=np.float64)
    q = np.asarray(q_values, dtype=np.float64)
    if d.ndim == 1 and q.ndim == 2:
        d, q = d[None], q[None]
    if d.ndim != 2 or q.shape != (*d.shape, theta.shape[-1]) or theta.shape[-2] != d.shape[1]:
        raise ValueError(
            f"shapes do not fit: theta {list(theta.shape)}, distributions {list(d.shape)}, "
            f"q_values {list(q.shape)} (need [T, S], [T, S, A] with θ [S, A] or [T, S, A])"
        )
    if theta.ndim == 3 and theta.shape[0] != d.shape[0]:
        raise ValueError(f"theta has {theta.shape[0]} steps, distributions {d.shape[0]}")
    w = np.ones(d.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (d.shape[0],):
        raise ValueError(f"weights has shape {list(w.shape)}, expected [{d.shape[0]}]")
    # W[k, s, a] = w_k d_k(s) Q_k(s, a); gradient[s, b] = Σ_a W[s, a] ∂π(a|s)/∂θ[s, b]
    table = (w[:, None] * d)[..., None] * q
    if theta.ndim == 2:
        return np.einsum("sa,sab->sb", table.sum(axis=0), softmax_jacobian(theta))
    return np.einsum("ksa,ksab->ksb", table, softmax_jacobian(theta))


def finite_horizon_policy_gradient(
    mdp: TabularMDP, theta: object, discount: float | None = None
) -> np.ndarray:
    """∇J = Σ_{k=0}^{T-1} γ^k Σ_s d_k(s) Σ_a ∇_θ π_k(a|s) Q_k(s,a), softmax θ [S, A] or [T, S, A].

    Same convention as :func:`pgproof.numeric.dp.exact_gradient_dp` (R = Σ_k γ^k r_k).
    """
    gamma = _discount(mdp, discount, infinite=False)
    theta = np.asarray(theta, dtype=np.float64)
    cells = (mdp.n_states, mdp.n_actions)
    if theta.shape not in (cells, (mdp.horizon, *cells)):
        raise ValueError(
            f"theta has shape {list(theta.shape)}, expected [S, A] = {list(cells)} or "
            f"[T, S, A] = {[mdp.horizon, *cells]}"
        )
    solution = finite_horizon_values(mdp, softmax(theta), gamma)
    weights = discount_weights(gamma, mdp.horizon)
    return policy_gradient_sum(theta, solution.distributions, solution.q_values, weights)


def infinite_horizon_policy_gradient(
    mdp: TabularMDP, theta: object, discount: float | None = None
) -> np.ndarray:
    """∇J = Σ_s d^π(s) Σ_a ∇_θ π(a|s) Q^π(s,a) (unnormalised d^π), softmax θ [S, A]."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (mdp.n_states, mdp.n_actions):
        raise ValueError(
            f"theta has shape {list(theta.shape)}, expected [S, A] = "
            f"{[mdp.n_states, mdp.n_actions]}"
        )
    solution = infinite_horizon_values(mdp, softmax(theta), discount)
    return policy_gradient_sum(theta, solution.visitation, solution.q_values)
