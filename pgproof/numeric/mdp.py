"""Finite-horizon tabular MDPs.

A :class:`TabularMDP` is the tuple (ρ, P, r, T, γ):

* ``initial`` ρ[s]            -- distribution of s_1,
* ``transition`` P[s, a, s']  -- P(s_{t+1} = s' | s_t = s, a_t = a),
* ``reward`` r[s, a]          -- reward collected at every step t = 1..T,
* ``horizon`` T               -- number of actions per trajectory,
* ``discount`` γ              -- the return is R(τ) = Σ_{t=1}^{T} γ^{t-1} r(s_t, a_t).

A trajectory τ = (s_1, a_1, ..., s_T, a_T, s_{T+1}) has T+1 states and T actions, and

    p_θ(τ) = ρ(s_1) Π_{t=1}^{T} π_θ,t(a_t | s_t) P(s_{t+1} | s_t, a_t),

so the final transition is part of the trajectory and p_θ sums to 1 over all
S^{T+1} A^T trajectories.  Construction validates every field and raises
:class:`MDPError` naming the offending entry (which row, by how much).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

#: Absolute tolerance on "sums to 1" and "non-negative" checks.
PROBABILITY_TOLERANCE = 1e-9


class MDPError(ValueError):
    """An MDP (or a file describing one) is unusable; the message says why."""


def as_float_array(name: str, value: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Convert ``value`` to a finite float64 array, checking its shape if given.

    Only numbers are numbers: strings ("0.9") and booleans are refused, not converted."""
    raw = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    kind = getattr(raw, "dtype", None)
    if kind is not None and kind.kind in "USb":
        raise MDPError(f"{name} must hold numbers, not {kind.name} values")
    if kind is not None and kind.kind == "O":
        for index, item in np.ndenumerate(raw):
            if isinstance(item, (str, bytes, bool, np.bool_)) or item is None:
                where = "".join(f"[{i}]" for i in index)
                raise MDPError(f"{name}{where} must be a number, not {item!r}")
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise MDPError(f"{name} is not a rectangular array of numbers ({error})") from None
    if shape is not None and array.shape != shape:
        raise MDPError(f"{name} has shape {list(array.shape)}, expected {list(shape)}")
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = "".join(f"[{i}]" for i in bad[0])
        raise MDPError(f"{name}{where} is {array[tuple(bad[0])]}; all entries must be finite")
    return array


def check_distribution(name: str, array: np.ndarray) -> None:
    """Check that every row (last axis) of ``array`` is a probability vector (no entry
    below 0, however slightly: pgproof's exact methods assume none)."""
    negative = np.argwhere(array < 0.0)
    if negative.size:
        index = tuple(negative[0])
        where = "".join(f"[{i}]" for i in index)
        raise MDPError(f"{name}{where} = {array[index]:.6g} is negative")
    sums = np.atleast_1d(array.sum(axis=-1))
    off = np.argwhere(np.abs(sums - 1.0) > PROBABILITY_TOLERANCE)
    if off.size:
        row = tuple(off[0])
        where = "" if array.ndim == 1 else "".join(f"[{i}]" for i in row)
        total = float(sums[row])
        raise MDPError(f"{name}{where} sums to {total:.12g}, not 1 (off by {total - 1.0:+.3g})")


def check_horizon(value: object) -> int:
    """Return ``value`` as a positive ``int`` or raise :class:`MDPError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise MDPError(f"horizon must be a positive integer, got {value!r}")
    if value < 1:
        raise MDPError(f"horizon must be a positive integer, got {value!r}")
    return int(value)


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A validated finite-horizon tabular MDP (arrays are read-only float64 copies)."""

    initial: np.ndarray
    transition: np.ndarray
    reward: np.ndarray
    horizon: int
    discount: float = 1.0

    def __post_init__(self) -> None:
        initial = as_float_array("initial", self.initial)
        if initial.ndim != 1 or initial.size == 0:
            raise MDPError(
                f"initial must be a non-empty vector [S], got shape {list(initial.shape)}"
            )
        n_states = initial.shape[0]
        transition = as_float_array("transition", self.transition)
        if transition.ndim != 3 or transition.shape[0] != n_states or transition.shape[1] == 0:
            raise MDPError(
                f"transition has shape {list(transition.shape)}, expected [S, A, S] with "
                f"S = {n_states} (the length of initial)"
            )
        n_actions = transition.shape[1]
        if transition.shape[2] != n_states:
            raise MDPError(
                f"transition has shape {list(transition.shape)}, expected "
                f"{[n_states, n_actions, n_states]}"
            )
        reward = as_float_array("reward", self.reward, (n_states, n_actions))
        check_distribution("initial", initial)
        check_distribution("transition", transition)
        horizon = check_horizon(self.horizon)
        discount = as_float_array("discount", self.discount, ())
        if not 0.0 <= float(discount) <= 1.0:
            raise MDPError(f"discount must lie in [0, 1], got {float(discount)}")
        for name, array in (("initial", initial), ("transition", transition), ("reward", reward)):
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "horizon", horizon)
        object.__setattr__(self, "discount", float(discount))

    @property
    def n_states(self) -> int:
        return int(self.initial.shape[0])

    @property
    def n_actions(self) -> int:
        return int(self.transition.shape[1])

    @property
    def discounts(self) -> np.ndarray:
        """The weights γ^{t-1} for t = 1..T, shape [T]."""
        return self.discount ** np.arange(self.horizon, dtype=np.float64)

    def __repr__(self) -> str:
        return (
            f"TabularMDP(S={self.n_states}, A={self.n_actions}, T={self.horizon}, "
            f"discount={self.discount})"
        )


def random_mdp(
    n_states: int,
    n_actions: int,
    horizon: int,
    rng: np.random.Generator,
    discount: float = 1.0,
    *,
    min_reward: float = 0.0,
    max_reward: float = 1.0,
) -> TabularMDP:
    """pgproof's one random-MDP generator, from a seeded Generator.

    ρ and every P(·|s,a) are flat-Dirichlet draws (so every trajectory has positive
    probability) and r(s,a) is uniform in [min_reward, max_reward).  Hypothesis tests draw
    MDPs with :func:`pgproof.strategies.mdps` instead, which shrinks towards small ones.
    """
    if n_states < 1 or n_actions < 1:
        raise MDPError(f"need at least one state and one action, got S={n_states}, A={n_actions}")
    if not min_reward <= max_reward:
        raise MDPError(f"need min_reward <= max_reward, got {min_reward} > {max_reward}")
    initial = rng.dirichlet(np.ones(n_states))
    transition = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    reward = min_reward + (max_reward - min_reward) * rng.random((n_states, n_actions))
    return TabularMDP(initial, transition, reward, horizon, discount)
