"""Differentiable policies π_θ,t(a | s) and their score ∇_θ log π_θ,t(a | s).

Every policy here is a softmax over logits that are linear in θ,

    π_θ,t(a | s) = exp(z_t(s, a)) / Σ_b exp(z_t(s, b)),   z_t(s, a) = <φ_t(s, a), θ>,

whose score is the centred feature

    ∇_θ log π_θ,t(a | s) = φ_t(s, a) - Σ_b π_θ,t(b | s) φ_t(s, b).

Signatures (all policies): ``probs(theta, horizon) -> [T, S, A]`` and
``score(theta, horizon) -> [T, S, A, *param_shape]``; they take the horizon because a
time-invariant policy simply repeats over t = 1..T.  The full score tensor is large
(T·S·A·|θ|), so the exact and sampling code uses the vector-Jacobian product

    score_vjp(W) = Σ_{t,s,a} W[..., t, s, a] ∇_θ log π_θ,t(a | s),

which every subclass implements in O(T·S·A·|θ|/S) or better, and
``score_sum`` = Σ_t w[i, t] ∇_θ log π_θ,t(a_it | s_it) per trajectory i.
"""

from __future__ import annotations

import numpy as np

from pgproof.numeric.mdp import MDPError, TabularMDP, as_float_array


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class Policy:
    """Base class: subclasses set the attributes below and implement ``logits``/``score_vjp``."""

    n_states: int
    n_actions: int
    param_shape: tuple[int, ...]
    #: True when π_θ,t does not depend on t (probs/score are repeated over the horizon).
    time_invariant: bool = True

    @property
    def n_params(self) -> int:
        return int(np.prod(self.param_shape))

    def check_theta(self, theta: object) -> np.ndarray:
        """Return θ as a finite float array of shape ``param_shape`` or raise MDPError."""
        return as_float_array("theta", theta, self.param_shape)

    def check_horizon(self, horizon: int) -> None:
        """Raise MDPError when this policy cannot act for ``horizon`` steps."""

    def logits(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        """z_t(s, a), shape [T, S, A] (or [1, S, A] for time-invariant policies)."""
        raise NotImplementedError

    def probs(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        """π_θ,t(a | s) for t = 1..T, shape [T, S, A]."""
        pi = softmax(self.logits(np.asarray(theta, dtype=np.float64), horizon))
        return np.broadcast_to(pi, (horizon, self.n_states, self.n_actions))

    def score_vjp(self, theta: np.ndarray, horizon: int, weights: np.ndarray) -> np.ndarray:
        """Σ_{t,s,a} W[..., t, s, a] ∇_θ log π_θ,t(a|s): weights [..., T', S, A] -> [..., θ].

        T' is the horizon, or 1 for a time-invariant policy whose weights were summed over t.
        """
        raise NotImplementedError

    def score(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        """∇_θ log π_θ,t(a | s), shape [T, S, A, *param_shape] (small problems only)."""
        steps = 1 if self.time_invariant else horizon
        n = steps * self.n_states * self.n_actions
        identity = np.eye(n).reshape(n, steps, self.n_states, self.n_actions)
        table = self.score_vjp(theta, horizon, identity)
        table = table.reshape(steps, self.n_states, self.n_actions, *self.param_shape)
        return np.broadcast_to(table, (horizon, *table.shape[1:]))

    def score_sum(
        self,
        theta: np.ndarray,
        states: np.ndarray,
        actions: np.ndarray,
        weights: np.ndarray,
    ) -> np.ndarray:
        """Σ_t w[i, t] ∇_θ log π_θ,t(a_it | s_it), shape [m, *param_shape].

        ``states`` [m, T+1] (or [m, T]), ``actions`` [m, T]; ``weights`` is [m, T], or [m] for
        a per-trajectory weight w_i = w[i, t] (REINFORCE), which skips the weighted scatter.
        The weights are scattered into per-trajectory tables W[i, t, s, a] with one
        ``bincount`` (collapsing t for time-invariant policies), then :meth:`score_vjp`.
        """
        m, horizon = actions.shape
        cells = self.n_states * self.n_actions
        steps = 1 if self.time_invariant else horizon
        index = states[:, :horizon] * self.n_actions
        index += actions
        if not self.time_invariant:
            index += np.arange(horizon) * cells
        index += (np.arange(m) * (steps * cells))[:, None]
        # bincount ignores order, so flatten in memory order (batches may be time-major).
        order = "F" if index.flags.f_contiguous and not index.flags.c_contiguous else "C"
        weights = np.asarray(weights, dtype=np.float64)
        per_trajectory = weights.ndim == 1
        flat_weights = None if per_trajectory else np.broadcast_to(weights, (m, horizon))
        table = np.bincount(
            index.ravel(order=order),
            weights=None if flat_weights is None else flat_weights.ravel(order=order),
            minlength=m * steps * cells,
        ).reshape(m, steps, self.n_states, self.n_actions)
        result = self.score_vjp(theta, horizon, table)
        if per_trajectory:
            result *= weights.reshape((m,) + (1,) * len(self.param_shape))
        return result

    def random_theta(self, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
        """θ with independent N(0, scale²) entries."""
        return scale * rng.standard_normal(self.param_shape)


class TabularSoftmax(Policy):
    """π_θ(a|s) = softmax_a θ[s, a], time-invariant; θ has shape [S, A]."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states, self.n_actions = int(n_states), int(n_actions)
        self.param_shape = (self.n_states, self.n_actions)

    def logits(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        return np.asarray(theta, dtype=np.float64)[None]

    def score_vjp(self, theta: np.ndarray, horizon: int, weights: np.ndarray) -> np.ndarray:
        # ∇_θ[s,a] log π(b|s') = δ_{ss'} (δ_{ab} - π(a|s)), summed against W over t.
        pi = softmax(np.asarray(theta, dtype=np.float64))
        summed = weights.sum(axis=-3)
        return summed - summed.sum(axis=-1, keepdims=True) * pi

    def __repr__(self) -> str:
        return f"TabularSoftmax(n_states={self.n_states}, n_actions={self.n_actions})"


class TimeDependentSoftmax(Policy):
    """π_θ,t(a|s) = softmax_a θ[t, s, a]; θ has shape [T, S, A] for a fixed horizon T."""

    time_invariant = False

    def __init__(self, n_states: int, n_actions: int, horizon: int) -> None:
        self.n_states, self.n_actions = int(n_states), int(n_actions)
        self.horizon = int(horizon)
        self.param_shape = (self.horizon, self.n_states, self.n_actions)

    def check_horizon(self, horizon: int) -> None:
        if horizon != self.horizon:
            raise MDPError(f"policy was built for horizon {self.horizon}, MDP has {horizon}")

    def logits(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        self.check_horizon(horizon)
        return np.asarray(theta, dtype=np.float64)

    def score_vjp(self, theta: np.ndarray, horizon: int, weights: np.ndarray) -> np.ndarray:
        pi = softmax(self.logits(theta, horizon))
        return weights - weights.sum(axis=-1, keepdims=True) * pi

    def score_sum(
        self,
        theta: np.ndarray,
        states: np.ndarray,
        actions: np.ndarray,
        weights: np.ndarray,
    ) -> np.ndarray:
        """Σ_t w[i, t] ∇_θ log π_θ,t(a_it | s_it), shape [m, T, S, A], written directly.

        Each step t has its own parameters θ[t], so trajectory i's gradient is nonzero only
        in the rows [t, s_it, :], where it is w[i, t] (e_{a_it} − π_t(·|s_it)): those m·T
        rows are computed and placed into zeros, instead of scattering the weights into a
        dense table and forming table − (Σ_a table) π over all m·T·S·A entries.
        """
        m, horizon = actions.shape
        pi = softmax(self.logits(theta, horizon))
        visited = states[:, :horizon]
        trajectories, steps = np.arange(m)[:, None], np.arange(horizon)
        if m and not (
            0 <= visited.min() <= visited.max() < self.n_states
            and 0 <= actions.min() <= actions.max() < self.n_actions
        ):
            raise ValueError("states and actions must be indices into the policy's table")
        weights = np.asarray(weights, dtype=np.float64)  # [m] per trajectory, else → [m, T]
        weights = np.broadcast_to(weights[:, None] if weights.ndim == 1 else weights, (m, horizon))
        rows = pi[steps, visited]  # π_t(·|s_it), [m, T, A]
        np.negative(rows, out=rows)
        rows[trajectories, steps, actions] += 1.0
        rows *= weights[..., None]
        result = np.zeros((m, horizon, self.n_states, self.n_actions))
        result[trajectories, steps, visited] = rows
        return result

    def __repr__(self) -> str:
        return (
            f"TimeDependentSoftmax(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"horizon={self.horizon})"
        )


class LinearSoftmax(Policy):
    """π_θ(a|s) = softmax_a <φ(s, a), θ> with fixed features φ of shape [S, A, d]; θ ∈ R^d."""

    def __init__(self, features: np.ndarray) -> None:
        features = as_float_array("features", features)
        if features.ndim != 3:
            raise MDPError(f"features must have shape [S, A, d], got {list(features.shape)}")
        features.setflags(write=False)
        self.features = features
        self.n_states, self.n_actions, n_features = features.shape
        self.param_shape = (int(n_features),)

    def logits(self, theta: np.ndarray, horizon: int) -> np.ndarray:
        return (self.features @ np.asarray(theta, dtype=np.float64))[None]

    def score_vjp(self, theta: np.ndarray, horizon: int, weights: np.ndarray) -> np.ndarray:
        pi = softmax(self.logits(theta, horizon)[0])
        mean_feature = np.einsum("sa,sad->sd", pi, self.features)
        summed = weights.sum(axis=-3)
        flat = summed.reshape(*summed.shape[:-2], -1)
        cells = self.n_states * self.n_actions
        direct = flat @ self.features.reshape(cells, -1)
        return direct - summed.sum(axis=-1) @ mean_feature

    def __repr__(self) -> str:
        return f"LinearSoftmax(features of shape {list(self.features.shape)})"


def policy_for_theta(theta: np.ndarray, n_states: int, n_actions: int, horizon: int) -> Policy:
    """Pick the tabular policy whose θ shape matches: [S, A] or [T, S, A]."""
    shape = np.shape(theta)
    if shape == (n_states, n_actions):
        return TabularSoftmax(n_states, n_actions)
    if shape == (horizon, n_states, n_actions):
        return TimeDependentSoftmax(n_states, n_actions, horizon)
    raise MDPError(
        f"theta has shape {list(shape)}, expected [S, A] = {[n_states, n_actions]} "
        f"or [T, S, A] = {[horizon, n_states, n_actions]}"
    )


def check_problem(mdp: TabularMDP, policy: Policy, theta: object) -> np.ndarray:
    """Check that ``policy`` fits ``mdp`` and return θ as a float array of its shape."""
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    if (policy.n_states, policy.n_actions) != (n_states, n_actions):
        raise MDPError(
            f"policy is for S={policy.n_states}, A={policy.n_actions} but the MDP has "
            f"S={n_states}, A={n_actions}"
        )
    policy.check_horizon(horizon)
    return policy.check_theta(theta)
