"""A concrete problem for the evaluator: a tabular MDP, θ, and a table of trajectories.

Mapping the notation to arrays.  A notation has a horizon symbol (T or H) and a first
index (1 or 0); the number of steps is

    steps = horizon − first + 1,      i.e. T = steps (first = 1),  H = steps − 1 (first = 0),

and the numeric MDP's ``horizon`` is ``steps``.  Trajectory arrays are 0-based:
``states[:, k]`` is s_{first+k} (k = 0..steps, the last one being s_{T+1}, resp. s_{H+1})
and ``actions[:, k]`` is a_{first+k} (k = 0..steps−1), matching the density

    p_θ(τ) = p(s_first) ∏_{t=first}^{horizon} π_θ(a_t|s_t) p(s_{t+1}|s_t, a_t)

that :func:`pgproof.numeric.enumeration.iter_trajectories` enumerates.  The policy is the
tabular softmax π_θ(a|s) = softmax_a θ[s, a] with θ of shape [S, A]; the return is
discounted by the MDP's γ (1 unless the notation names a discount, then drawn per
instance).  An enumerated instance holds every trajectory (so ∫ dτ, Σ_τ and E_τ are exact
sums); a batch instance holds sampled ones (compiled estimators) and refuses to integrate
over τ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from pgproof.numeric.enumeration import iter_trajectories, trajectory_count
from pgproof.numeric.mdp import TabularMDP, random_mdp
from pgproof.numeric.policies import TabularSoftmax, softmax
from pgproof.numeric.trajectories import Batch

#: Shapes drawn for random instances: S, A in 1..MAX_SIZE, steps in 1..MAX_STEPS.
MAX_SIZE = 3
MAX_STEPS = 3


@dataclass(frozen=True, eq=False)
class Instance:
    """An MDP, θ [S, A], the notation's first index, and trajectories [N, steps+1]/[N, steps]."""

    mdp: TabularMDP
    theta: np.ndarray
    first: int
    states: np.ndarray
    actions: np.ndarray
    enumerated: bool = True
    #: how it was drawn (for messages): e.g. "trial 2".
    label: str = ""
    #: a value for each of the notation's constants (a baseline b, γ), drawn per instance
    constants: Mapping[str, float] = field(default_factory=dict)
    #: a table for each of the notation's declared fixed functions (b(s) [S], φ(s,a) [S, A])
    functions: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: an infinite-horizon instance: the trajectories are the first ``steps`` steps of
    #: infinite ones (their prefixes, with their probabilities), see :mod:`.infinite`
    infinite: bool = False

    @property
    def steps(self) -> int:
        return self.mdp.horizon

    @property
    def horizon_value(self) -> int:
        """The value of the notation's horizon symbol: steps + first − 1."""
        return self.steps + self.first - 1

    @property
    def n_trajectories(self) -> int:
        return int(self.states.shape[0])

    @property
    def policy(self) -> TabularSoftmax:
        return TabularSoftmax(self.mdp.n_states, self.mdp.n_actions)

    def probabilities(self, theta: np.ndarray | None = None) -> np.ndarray:
        """p_θ(τ) of every trajectory in the table, [N]."""
        theta = self.theta if theta is None else theta
        pi = softmax(np.asarray(theta, dtype=np.float64))
        s, a = self.states, self.actions
        prob = self.mdp.initial[s[:, 0]].copy()
        for k in range(self.steps):
            prob *= pi[s[:, k], a[:, k]] * self.mdp.transition[s[:, k], a[:, k], s[:, k + 1]]
        return prob

    def describe(self) -> str:
        text = f"S={self.mdp.n_states}, A={self.mdp.n_actions}, steps={self.steps}"
        if self.infinite:
            text = (
                f"S={self.mdp.n_states}, A={self.mdp.n_actions}, horizon ∞ "
                f"({self.steps} steps enumerated)"
            )
        if self.mdp.discount != 1.0:
            text += f", γ={self.mdp.discount:.4g}"
        return text


def enumerate_instance(
    mdp: TabularMDP,
    theta: np.ndarray,
    first: int,
    label: str = "",
    constants: Mapping[str, float] | None = None,
    functions: Mapping[str, np.ndarray] | None = None,
) -> Instance:
    """Every trajectory of ``mdp`` (S^{steps+1} A^{steps} of them)."""
    theta = np.asarray(theta, dtype=np.float64)
    policy = TabularSoftmax(mdp.n_states, mdp.n_actions)
    chunks = list(iter_trajectories(mdp, policy, theta))
    states = np.concatenate([np.asarray(c.states) for c in chunks])
    actions = np.concatenate([np.asarray(c.actions) for c in chunks])
    extra = dict(constants or {}), dict(functions or {})
    return Instance(mdp, theta, first, states, actions, True, label, *extra)


def batch_instance(
    mdp: TabularMDP,
    theta: np.ndarray,
    first: int,
    batch: Batch,
    constants: Mapping[str, float] | None = None,
    functions: Mapping[str, np.ndarray] | None = None,
) -> Instance:
    """The sampled trajectories of ``batch`` as the trajectory table."""
    theta = np.asarray(theta, dtype=np.float64)
    states, actions = batch.states, batch.actions
    return Instance(
        mdp, theta, first, states, actions, False, "", dict(constants or {}), dict(functions or {})
    )


def draw_instance(
    rng: np.random.Generator,
    first: int,
    max_trajectories: int,
    label: str = "",
    generic: bool = False,
    constants: tuple[str, ...] = (),
    functions: tuple[tuple[str, int], ...] = (),
    discount: str = "",
) -> Instance:
    """A random small problem: S, A in 1..3, steps in 1..3, at most ``max_trajectories``.

    ``generic`` draws S and A from 2..3 only: with one state p(s_1) = 1 and with one action
    π_θ = 1, so many wrong claims are true there (callers alternate both kinds of draws).
    ρ and P(·|s,a) are flat-Dirichlet draws (so every trajectory has positive probability),
    r(s,a) is uniform in [−1, 1) (negative rewards exercise positivity side conditions),
    θ has N(0, 1) entries, each of ``constants`` a value uniform in [−1, 1) (drawn last, so
    the MDP and θ do not depend on them), then a table for each of ``functions`` ((name,
    number of arguments): b(s) [S], φ(s, a) [S, A]) with entries uniform in [−1, 1), and
    last, when the notation has a ``discount`` (its name), γ uniform in (0, 1): the MDP's
    discount and the value of γ in formulas (R(τ) = Σ_t γ^{t−first} r(s_t, a_t)).
    Shapes are redrawn until the enumeration is small enough.
    """
    while True:
        low = 2 if generic else 1
        n_states = int(rng.integers(low, MAX_SIZE + 1))
        n_actions = int(rng.integers(low, MAX_SIZE + 1))
        steps = int(rng.integers(1, MAX_STEPS + 1))
        count = n_states ** (steps + 1) * n_actions**steps
        if count <= max_trajectories:
            break
    mdp, theta, values, tables = draw_parameters(
        rng, n_states, n_actions, steps, constants, functions
    )
    if discount:
        mdp = replace(mdp, discount=draw_discount(rng, 1.0))
        values[discount] = mdp.discount
    assert trajectory_count(mdp) == count
    return enumerate_instance(mdp, theta, first, label, values, tables)


def draw_parameters(
    rng: np.random.Generator,
    n_states: int,
    n_actions: int,
    steps: int,
    constants: tuple[str, ...],
    functions: tuple[tuple[str, int], ...],
) -> tuple[TabularMDP, np.ndarray, dict[str, float], dict[str, np.ndarray]]:
    """The random numbers of a problem of these shapes, in this order: the MDP (γ = 1,
    rewards uniform in [−1, 1)), θ ~ N(0, 1), each constant uniform in [−1, 1), then a table
    for each declared function (b(s) [S], φ(s, a) [S, A]) with entries uniform in [−1, 1)."""
    mdp = random_mdp(n_states, n_actions, steps, rng, min_reward=-1.0, max_reward=1.0)
    theta = rng.standard_normal((n_states, n_actions))
    values = {name: float(rng.uniform(-1.0, 1.0)) for name in constants}
    shapes = {1: (n_states,), 2: (n_states, n_actions)}
    tables = {name: rng.uniform(-1.0, 1.0, shapes[arity]) for name, arity in functions}
    return mdp, theta, values, tables


def draw_discount(rng: np.random.Generator, upper: float) -> float:
    """γ uniform in (0, upper), never 0 (nor ``upper``: a half-open draw, redrawn at 0)."""
    while True:
        gamma = float(rng.uniform(0.0, upper))
        if 0.0 < gamma < upper:
            return gamma
