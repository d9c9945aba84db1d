"""A concrete problem for formulas about one state: states, actions, θ ∈ R^d, and the policy.

Score functions (∇_θ log π_θ(a|s) = …) hold at every state s and action a; they are checked
on every state and action at once.  A :class:`StateInstance` has no trajectories: a free s
is the axis of all S states, a free a the axis of all A actions (of a finite class) or of a
few real actions (of a Gaussian policy), and a bound a' of Σ_{a'} or E_{a'∼π_θ(·|s)} an axis
summed over (see :mod:`.state_evaluate`).  Per policy class (``policy_class``):

    tabular          θ [S, A],  π_θ(a|s) = softmax_a θ[s, a]
    linear_softmax   θ [d], features φ [S, A, d],  π_θ(a|s) = softmax_a θ^⊤φ(s, a)
    gaussian         the bandit of :mod:`pgproof.numeric.gaussian`: θ [d], φ(s) [S, d],
                     μ_θ(s) = φ(s)^⊤θ, σ > 0,  π_θ(a|s) = N(a; μ_θ(s), σ²), a ∈ R;
                     E over a' by Gauss–Hermite quadrature (exact for polynomials in a' of
                     degree < 2·QUADRATURE_NODES, and to round-off for the smooth rest)

Drawn per trial (:func:`draw_state_instance`): S, A, d in 1..3 (2..3 for ``generic`` draws,
where many wrong claims are not accidentally true), φ uniform in [−1, 1), θ and the bandit's
features N(0, 1), σ uniform in [0.5, 2), a few real actions N(0, 2²); a table uniform in
[−1, 1) for each declared θ-free function (b(s) [S], c(s, a) [S, A]) and constant, and for
each declared function of θ (μ_θ(s) other than the Gaussian mean) the smooth function
tanh(ψ(s)^⊤θ) with ψ uniform in [−1, 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from pgproof.numeric.gaussian import GaussianBandit, normal_quadrature, random_gaussian_bandit
from pgproof.numeric.policies import softmax
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.policy_classes import FINITE_ACTIONS
from pgproof.symbolic.text import plain_name

from .infinite import draw_for
from .instance import Instance
from .values import NotEvaluable

__all__ = [
    "QUADRATURE_NODES",
    "StateInstance",
    "draw_problem",
    "draw_state_instance",
    "per_state",
]

#: Gauss–Hermite nodes for E over a Gaussian policy's actions
QUADRATURE_NODES = 24
#: the most states, actions, features drawn
MAX_SIZE = 3
#: real actions at which a free action of a Gaussian policy is read
ACTION_POINTS = 4


@dataclass(frozen=True, eq=False)
class StateInstance:
    """States, actions, θ and the policy class's parameters (see the module docstring)."""

    #: no trajectories, so no infinite series to truncate (see :class:`.instance.Instance`)
    infinite: ClassVar[bool] = False

    policy_class: str
    theta: np.ndarray
    n_states: int
    n_actions: int
    #: linear softmax: φ [S, A, d]
    features: np.ndarray | None = None
    #: Gaussian: the bandit (φ(s) [S, d], σ) and the real actions a free a is read at
    bandit: GaussianBandit | None = None
    action_points: np.ndarray | None = None
    label: str = ""
    constants: Mapping[str, float] = field(default_factory=dict)
    functions: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: ψ of each declared function of θ: f_θ(s[, a]) = tanh(ψ(s[, a])^⊤θ)
    parameter_tables: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: the axis of the free action (its real values are shown in a Gaussian witness)
    action_axis: str = "a"
    first: int = 0
    enumerated: bool = False

    @property
    def horizon_value(self) -> int:
        return 0

    @property
    def continuous(self) -> bool:
        return self.bandit is not None

    # ------------------------------------------------------------------ the policy

    def policy_table(self, theta: np.ndarray) -> np.ndarray:
        """π_θ(a|s) [S, A] of a finite class."""
        if self.policy_class == "tabular":
            return softmax(theta)
        if self.policy_class == "linear_softmax":
            return softmax(self.features @ theta)
        raise NotEvaluable("a Gaussian policy has no table of action probabilities")

    def mean(self, theta: np.ndarray) -> np.ndarray:
        """μ_θ(s) = φ(s)^⊤θ [S] of the Gaussian class."""
        if self.bandit is None:
            raise NotEvaluable(f"a {self.policy_class} policy has no mean μ_θ(s)")
        return self.bandit.features @ theta

    @property
    def sigma(self) -> float:
        if self.bandit is None:
            raise NotEvaluable(f"a {self.policy_class} policy has no standard deviation σ")
        return self.bandit.sigma

    def quadrature(self) -> tuple[np.ndarray, np.ndarray]:
        return normal_quadrature(QUADRATURE_NODES)

    # ------------------------------------------------------------------ no trajectories

    def _none(self, what: str) -> NotEvaluable:
        return NotEvaluable(
            f"{what}: a formula about one state is evaluated at every state and action, "
            'with no trajectory (scope = "state", or a policy class other than tabular)'
        )

    @property
    def states(self) -> np.ndarray:
        raise self._none("s_t")

    @property
    def actions(self) -> np.ndarray:
        raise self._none("a_t")

    @property
    def mdp(self):
        raise self._none("the MDP")

    @property
    def n_trajectories(self) -> int:
        raise self._none("the trajectories")

    def probabilities(self, theta: np.ndarray | None = None) -> np.ndarray:
        raise self._none("an estimate over sampled trajectories")

    # ------------------------------------------------------------------ reports

    def describe(self) -> str:
        d = int(np.size(self.theta)) if self.policy_class != "tabular" else None
        if self.continuous:
            return f"Gaussian policy, S={self.n_states}, d={d}, σ={self.sigma:.3g}"
        size = f"S={self.n_states}, A={self.n_actions}"
        return f"{self.policy_class} policy, {size}" + (f", d={d}" if d else "")

    def axis_value(self, axis: str, k: int) -> str | None:
        """How the point k of a state or action axis is shown (None for other axes)."""
        if "@" in axis:
            return None
        if self.continuous and axis == self.action_axis:
            return f"{axis}={self.action_points[k]:.4g}"
        return f"{axis}={k}"

    def to_dict(self) -> dict:
        """The problem as JSON: what a witness needs to be replayed."""
        out: dict = {
            "problem": "one state",
            "policy_class": self.policy_class,
            "theta": self.theta.tolist(),
            "n_states": self.n_states,
            "n_actions": self.n_actions,
            "constants": dict(self.constants),
            "functions": {k: v.tolist() for k, v in self.functions.items()},
            "parameter_tables": {k: v.tolist() for k, v in self.parameter_tables.items()},
        }
        if self.features is not None:
            out["features"] = self.features.tolist()
        if self.bandit is not None:
            out["features"] = self.bandit.features.tolist()
            out["sigma"] = self.bandit.sigma
            out["action_points"] = self.action_points.tolist()
        return out


def per_state(notation: Notation) -> bool:
    """Whether ``notation``'s formulas are checked on a :class:`StateInstance`."""
    return notation.scope == "state" or notation.policy_class != "tabular"


def draw_state_instance(
    rng: np.random.Generator, notation: Notation, label: str = "", generic: bool = False
) -> StateInstance:
    """A random problem for ``notation`` (see the module docstring)."""
    low = 2 if generic else 1
    cls = notation.policy_class
    n_states = int(rng.integers(low, MAX_SIZE + 1))
    n_actions = int(rng.integers(low, MAX_SIZE + 1)) if cls in FINITE_ACTIONS else ACTION_POINTS
    d = int(rng.integers(low, MAX_SIZE + 1))
    features = bandit = points = None
    if cls == "tabular":
        theta = rng.standard_normal((n_states, n_actions))
    elif cls == "linear_softmax":
        features = rng.uniform(-1.0, 1.0, (n_states, n_actions, d))
        theta = rng.standard_normal(d)
    else:
        sigma = float(rng.uniform(0.5, 2.0))
        bandit = random_gaussian_bandit(rng, n_states=n_states, n_features=d, sigma=sigma)
        theta = rng.standard_normal(d)
        points = rng.normal(0.0, 2.0, ACTION_POINTS)
    constants = {name: float(rng.uniform(-1.0, 1.0)) for name in notation.constants}
    if bandit is not None:
        constants[notation.policy_std] = bandit.sigma
    functions = {}
    for name, arity in notation.fixed_functions():
        if name == notation.features and cls == "linear_softmax":
            continue
        if arity == 1 or cls in FINITE_ACTIONS:
            functions[name] = rng.uniform(-1.0, 1.0, (n_states, n_actions)[:arity])
    tables = {}
    for name, kinds in notation.parameter_functions().items():
        if cls == "gaussian" and name == notation.policy_mean:
            continue
        if len(kinds) == 1 or cls in FINITE_ACTIONS:
            shape = (n_states, n_actions)[: len(kinds)] + (int(np.size(theta)),)
            tables[name] = rng.uniform(-1.0, 1.0, shape)
    return StateInstance(
        cls,
        theta,
        n_states,
        n_actions,
        features,
        bandit,
        points,
        label,
        constants,
        functions,
        tables,
        plain_name(notation.action),
    )


def draw_problem(
    rng: np.random.Generator,
    notation: Notation,
    max_trajectories: int,
    label: str = "",
    generic: bool = False,
) -> Instance | StateInstance:
    """A random problem for ``notation``: an MDP with every trajectory
    (:func:`.instance.draw_instance`), or a :class:`StateInstance` for formulas about one
    state (:func:`per_state`)."""
    if per_state(notation):
        return draw_state_instance(rng, notation, label, generic)
    return draw_for(notation, rng, max_trajectories, label, generic)
