"""An author's notation, and the definitions it implies.

A write-up names its own symbols: π_θ or π, p(s_{t+1}|s_t,a_t) or
P(s_{t+1}|s_t,a_t), p(s_1) or μ(s_0), a horizon T counted from 1 or H counted
from 0. ``Notation`` records those choices and builds the objects of
:mod:`pgproof.kernel.objects` with them, together with the three definitions
every derivation rests on:

    p_θ(τ) = p(s_first) ∏_{t=first}^{T} π_θ(a_t | s_t) p(s_{t+1} | s_t, a_t)   (trajectory_density)
    R(τ)   = Σ_{t=first}^{T} γ^{t−first} r(s_t, a_t)                          (return_expansion)
    J(θ)   = E_{τ∼p_θ}[R(τ)]                                                  (objective_definition)

The discount γ is there only when the notation names one (``discount = '\\gamma'``): γ^{t−1}
with t = 1..T (CS285), γ^t with t = 0..H (Spinning Up); without it R(τ) = Σ_t r(s_t, a_t).
An infinite horizon is written ``horizon = '\\infty'``: T is then ∞, R(τ) is the series
Σ_{t=first}^{∞} γ^{t−first} r(s_t, a_t) (:class:`.series.InfiniteSum`), it needs a discount,
and p_θ(τ) has no product form (every infinite trajectory has probability 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sympy import Basic, Expr, Integer, Product, S, Sum, Symbol, Tuple

from pgproof.kernel.objects import (
    DENSITY_STYLES,
    Action,
    ConditionalExpectation,
    DeclaredFunction,
    Dynamics,
    Expectation,
    InitialDistribution,
    Objective,
    Policy,
    Return,
    Reward,
    SampledTrajectory,
    State,
    TrajectoryAggregate,
    TrajectoryDensity,
    TrajectoryIntegral,
    TrajectorySum,
    as_name,
)
from pgproof.kernel.state_objects import (
    ActionSymbol,
    FeatureVector,
    ParametrisedFunction,
    StateSymbol,
)
from pgproof.kernel.visitation import StateProbability
from pgproof.safety import UnsafeLatex, check_latex

from .names import canonical, primed
from .policy_keys import POLICY_CLASSES, SCOPES
from .series import InfiniteSum

TRAJECTORY_SPACES = ("continuous", "discrete")
EXPECTATION_NAME = "E"
#: how a notation writes an infinite horizon (``horizon = '\\infty'``), presentation-free
INFINITE_HORIZON = "\\infty"
OBJECTIVE_STYLES = ("theta", "policy")

#: roles played by a plain symbol: each needs a name of its own
SYMBOL_ROLES = (
    ("trajectory", "the trajectory"),
    ("parameter", "the parameter"),
    ("time_index", "the time index"),
    ("horizon", "the horizon"),
    ("sample_index", "the sample index"),
    ("sample_count", "the sample count"),
    ("state", "the state"),
    ("action", "the action"),
)
#: roles played by a function head (several may share one name, told apart by their
#: arguments, as p(τ), p(s_1) and p(s_{t+1}|s_t,a_t) in seed 000)
HEAD_ROLES = (
    ("policy", "the policy"),
    ("dynamics", "the dynamics"),
    ("initial", "the initial distribution"),
    ("reward", "the reward"),
    ("return_", "the return"),
    ("density", "the trajectory density"),
    ("objective", "the objective"),
)


@dataclass(frozen=True)
class Notation:
    """The symbols an author uses.  Names are SymPy symbol names or LaTeX heads."""

    trajectory: str = "tau"
    parameter: str = "theta"
    time_index: str = "t"
    horizon: str = "T"
    first_index: int = 1
    state: str = r"\mathbf{s}"
    action: str = r"\mathbf{a}"
    policy: str = r"\pi"
    dynamics: str = "p"
    initial: str = "p"
    reward: str = "r"
    return_: str = "r"
    density: str = "p"
    density_style: str = "subscript"
    objective: str = "J"
    objective_style: str = "theta"
    trajectory_space: str = "continuous"
    sample_index: str = "i"
    sample_count: str = "m"
    #: other heads an author also uses for the trajectory density (001 writes p_{π_θ}(τ)
    #: beside P(τ|π_θ)).
    density_aliases: tuple[str, ...] = ()
    #: plain constants the author uses (a baseline b, a discount γ): free of θ and τ.
    constants: tuple[str, ...] = ()
    #: functions the author declares, by what they take: b(s_t) (a state), φ(s_t, a_t) (a
    #: state and an action); the policy_ ones depend on θ through π_θ and are written with
    #: the policy as a superscript: V^π(s_t), Q^π(s_t, a_t), A^π(s_t, a_t).
    state_functions: tuple[str, ...] = ()
    #: the policy's value functions, by the name the author gives them (written V^π(s_t),
    #: Q^π(s_t, a_t), A^π(s_t, a_t)), with their definitions (see value_definition)
    state_value: str = ""
    action_value: str = ""
    advantage: str = ""
    #: the discounted state visitation, written d^π(s) of a state s bound by Σ_s:
    #: d^π(s) = Σ_{t=first}^{T} γ^{t−first} Pr(s_t = s), unnormalised (see value_definition)
    visitation: str = ""
    state_action_functions: tuple[str, ...] = ()
    policy_state_functions: tuple[str, ...] = ()
    policy_state_action_functions: tuple[str, ...] = ()
    #: the discount factor's name (``'\\gamma'``); empty: the return is not discounted.
    #: γ is a positive constant (free of θ and τ), γ < 1 is what the numeric check draws.
    discount: str = ""
    #: what the formulas are about: "trajectory" (s_t, a_t of τ) or "state" (one state s and
    #: one action a, without a time index: ∇_θ log π_θ(a|s); see :mod:`.policy_classes`)
    scope: str = "trajectory"
    #: the class of π_θ: "tabular" (softmax of θ[s, a]), "linear_softmax"
    #: (exp(θ^⊤φ(s,a)) / Σ_{a'} exp(θ^⊤φ(s,a'))) or "gaussian" (N(a; μ_θ(s), σ²))
    policy_class: str = "tabular"
    #: the linear-softmax class's features φ(s, a): a vector of θ's space, free of θ
    features: str = r"\phi"
    #: the Gaussian class's mean μ_θ(s) (depends on θ) and standard deviation σ (> 0, θ-free)
    policy_mean: str = r"\mu"
    policy_std: str = r"\sigma"
    #: functions that depend on θ directly, written with θ as subscript: μ_θ(s), h_θ(s, a)
    parameter_state_functions: tuple[str, ...] = ()
    parameter_state_action_functions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_choices(self)
        self._check_names()
        if self.objective_style not in OBJECTIVE_STYLES:
            raise ValueError(
                f"objective_style must be one of {OBJECTIVE_STYLES}, not {self.objective_style!r}"
            )
        if self.density_style not in DENSITY_STYLES:
            raise ValueError(
                f"density_style must be one of {DENSITY_STYLES}, not {self.density_style!r}"
            )
        if self.trajectory_space not in TRAJECTORY_SPACES:
            raise ValueError(
                f"trajectory_space must be one of {TRAJECTORY_SPACES}, "
                f"not {self.trajectory_space!r}"
            )
        if self.first_index not in (0, 1):
            raise ValueError(f"first_index must be 0 or 1, not {self.first_index!r}")
        if self.infinite_horizon and not self.discount:
            raise ValueError(
                "an infinite horizon (horizon = '\\infty') needs a discount "
                "(discount = '\\gamma'): without γ < 1, Σ_t r(s_t, a_t) need not converge"
            )

    def _check_names(self) -> None:
        """No empty name; every plain symbol (θ, τ, t, T, i, m, s, a, each constant) has a
        name of its own, used by no other symbol and by no function head, and not E.

        A constant named θ would be a second θ that prints the same: ∇_θ θ = 0 would
        follow.  Names are compared presentation-free (``\\theta`` is ``theta``)."""
        owner: dict[str, str] = {EXPECTATION_NAME: "the expectation E"}
        symbols = [
            (getattr(self, field), what)
            for field, what in SYMBOL_ROLES
            if not (field == "horizon" and self.infinite_horizon)  # ∞ is not a symbol
        ]
        symbols += [(c, f"the constant {c}") for c in self.constants]
        if self.discount:
            symbols.append((self.discount, "the discount"))
        symbols += class_symbols(self)
        heads = [(getattr(self, field), what) for field, what in HEAD_ROLES]
        heads += [(alias, "a density alias") for alias in self.density_aliases]
        heads += [(f, "a declared function") for f in self.declared_functions()]
        heads += [(f, "a declared function") for f in self.parameter_functions()]
        for name, what in symbols + heads:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"{what} needs a non-empty name, not {name!r}")
            try:  # a name is printed into LaTeX: only allowlisted tokens
                check_latex(name)
            except UnsafeLatex as unsafe:
                raise ValueError(f"the name {name!r} of {what}: {unsafe.message}") from None
        for name, what in symbols:
            key = canonical(name)
            if key in owner:
                raise ValueError(
                    f"the name {name!r} of {what} is already {owner[key]}: "
                    "every symbol needs a name of its own"
                )
            owner[key] = what
        declared = {canonical(f) for f in (*self.declared_functions(), *self.parameter_functions())}
        for name, what in heads:
            key = canonical(name)
            if key in declared and what != "a declared function":
                raise ValueError(
                    f"the name {name!r} of {what} is also a declared function: a declared "
                    "function needs a name of its own"
                )
            if key in owner:
                raise ValueError(
                    f"the name {name!r} of {what} is already {owner[key]}: "
                    "a function's name cannot also be a symbol's"
                )

    # ------------------------------------------------------------------ symbols

    @property
    def theta(self) -> Symbol:
        return Symbol(self.parameter)

    @property
    def tau(self) -> Symbol:
        return Symbol(self.trajectory)

    @property
    def t(self) -> Symbol:
        return Symbol(self.time_index, integer=True)

    @property
    def T(self) -> Symbol:  # noqa: N802 - the math's name
        """The horizon symbol (T, H), or ∞ (SymPy's ``oo``) for an infinite horizon."""
        if self.infinite_horizon:
            return S.Infinity
        return Symbol(self.horizon, integer=True, nonnegative=True)

    @property
    def infinite_horizon(self) -> bool:
        """Whether the horizon is ∞ (``horizon = '\\infty'``)."""
        return canonical(self.horizon) == INFINITE_HORIZON

    @property
    def gamma(self) -> Symbol | None:
        """The discount γ (a positive symbol), or None when the return is not discounted."""
        return Symbol(self.discount, positive=True) if self.discount else None

    @property
    def first(self) -> Integer:
        return Integer(self.first_index)

    @property
    def i(self) -> Symbol:
        return Symbol(self.sample_index, integer=True, positive=True)

    @property
    def m(self) -> Symbol:
        return Symbol(self.sample_count, integer=True, positive=True)

    def declared_functions(self) -> dict[str, tuple[tuple[str, ...], bool]]:
        """name -> (the kinds of its arguments, whether it depends on θ through π_θ)."""
        out: dict[str, tuple[tuple[str, ...], bool]] = {}
        standard = (
            ((self.state_value, self.visitation), ("state",), True),
            ((self.action_value, self.advantage), ("state", "action"), True),
        )
        for names, kinds, policy in (
            *((tuple(n for n in names if n), kinds, p) for names, kinds, p in standard),
            (self.state_functions, ("state",), False),
            (self.state_action_functions, ("state", "action"), False),
            (self.policy_state_functions, ("state",), True),
            (self.policy_state_action_functions, ("state", "action"), True),
        ):
            for name in names:
                if name in out:
                    raise ValueError(f"the function {name!r} is declared twice")
                out[name] = (kinds, policy)
        for name, kinds in class_functions(self).items():
            if name in out:
                raise ValueError(
                    f"the function {name!r} is declared twice: it is already the policy "
                    f"class's {self.policy_class} features"
                )
            out[name] = (kinds, False)
        return out

    def step_assumption(self) -> str:
        """What reading a free time index as a step of the trajectory assumes, in words."""
        t = self.time_index
        return (
            f"{t} is a step of the trajectory: {self.first_index} ≤ {t} ≤ {self.horizon} "
            f"(how pgproof reads a free {t}, numerically too)"
        )

    def value_meaning(self, name: str) -> str | None:
        """"state_value", "action_value", "advantage" or "visitation" for those functions'
        names."""
        for meaning in ("state_value", "action_value", "advantage", "visitation"):
            if name and getattr(self, meaning) == name:
                return meaning
        return None

    def reward_to_go(self, t: Basic, traj: Basic | None = None) -> Expr:
        """Σ_{t'=t}^{T} γ^{t'−t} r(s_{t'}, a_{t'}): the rewards from step t on, discounted
        from t (γ only with a discount; T may be ∞)."""
        taken = {getattr(x, "name", None) for x in t.free_symbols}
        later = Symbol(primed(self.time_index + "'", taken), integer=True)
        body = self.r(later, traj)
        if self.gamma is not None:
            body = self.gamma ** (later - t) * body
        if self.infinite_horizon:
            return InfiniteSum(body, later, t)
        return Sum(body, (later, t, self.T))

    def value_definition(self, function: DeclaredFunction) -> Basic | None:
        """The definition of V^π(s_t), Q^π(s_t, a_t) or A^π(s_t, a_t) in this notation:

            V^π(s_t) = E_{τ∼p_θ}[Σ_{t'=t}^{T} γ^{t'−t} r(s_{t'}, a_{t'}) | s_t]
            Q^π(s_t, a_t) = E_{τ∼p_θ}[Σ_{t'=t}^{T} γ^{t'−t} r(s_{t'}, a_{t'}) | s_t, a_t]
            A^π(s_t, a_t) = Q^π(s_t, a_t) − V^π(s_t)

        (the Markov property makes them functions of s_t and a_t alone), and of the
        visitation of a plain state s (:meth:`visitation_definition`); None for others, and
        for V^π(s), Q^π(s, a) of a plain state (stationary with an infinite horizon, but
        their conditional expectation needs a step to be given)."""
        meaning = self.value_meaning(function.name.name)
        if meaning is None or function != self.function(function.name.name, *function.arguments):
            return None
        state = function.arguments[0]
        if meaning == "visitation":
            return self.visitation_definition(state) if isinstance(state, StateSymbol) else None
        if not isinstance(state, State):
            return None
        if meaning == "advantage":
            if not (self.action_value and self.state_value):
                return None
            q = self.function(self.action_value, *function.arguments)
            return q - self.function(self.state_value, state)
        rewards = self.reward_to_go(state.time, state.trajectory)
        return self.conditional_expectation(rewards, *function.arguments)

    def state_probability(self, step: State, state: Basic) -> StateProbability:
        """Pr(s_t = s) under τ ∼ p_θ (``step`` is s_t of τ)."""
        return StateProbability(step, state, self.density_of(step.trajectory))

    def visitation_definition(self, state: Basic) -> Expr:
        """Σ_{t=first}^{T} γ^{t−first} Pr(s_t = s): the unnormalised discounted visitation of
        ``state`` (γ only with a discount; T may be ∞).  Its total over the states is
        Σ_t γ^{t−first}: 1/(1 − γ) with an infinite horizon (Sutton & Barto's μ and the
        normalised d^π are (1 − γ) times it)."""
        body = self.discount_factor() * self.state_probability(self.s(self.t), state)
        if self.infinite_horizon:
            return InfiniteSum(body, self.t, self.first)
        return Sum(body, self.time_range())

    def parameter_functions(self) -> dict[str, tuple[str, ...]]:
        """name -> the kinds of its arguments, of the functions that depend on θ directly
        (μ_θ(s), h_θ(s, a); the Gaussian class's mean among them)."""
        return parameter_functions(self)

    def fixed_functions(self) -> tuple[tuple[str, int], ...]:
        """(name, number of arguments) of the declared functions free of θ (b, φ)."""
        return tuple(
            (name, len(kinds))
            for name, (kinds, policy) in self.declared_functions().items()
            if not policy
        )

    def function(self, name: str, *arguments: Basic) -> DeclaredFunction:
        """The declared function ``name`` applied to states and actions of one step."""
        if name in self.parameter_functions():
            return ParametrisedFunction(name, Tuple(self.theta), *arguments)
        if name in class_functions(self):
            return FeatureVector(name, Tuple(), *arguments)
        kinds, policy = self.declared_functions()[name]
        marks = Tuple(self.theta, as_name(self.policy)) if policy else Tuple()
        return DeclaredFunction(name, marks, *arguments)

    def constant(self, name: str) -> Symbol:
        if name not in self.constants:
            raise KeyError(f"{name!r} is not a constant of this notation")
        return Symbol(name)

    # ------------------------------------------------------------------ one state

    @property
    def continuous_actions(self) -> bool:
        """Whether the policy class's actions are real numbers (Gaussian), not a finite set."""
        return self.policy_class == "gaussian"

    @property
    def sigma(self) -> Symbol:
        """The Gaussian class's standard deviation σ, positive."""
        return Symbol(self.policy_std, positive=True)

    def state_symbol(self) -> StateSymbol:
        """s: one state, without a time index."""
        return StateSymbol(self.state)

    def action_symbol(self, primes: int = 0) -> ActionSymbol:
        """a, a', a'', …: one action (real for a Gaussian policy)."""
        real = {"real": True} if self.continuous_actions else {}
        return ActionSymbol(self.action + "'" * primes, **real)

    def policy_at(self, action: Basic, state: Basic) -> Policy:
        """π_θ(a|s) of one state and one action."""
        return Policy(self.policy, action, state, self.theta)

    def sample(self, index: Basic | None = None) -> SampledTrajectory:
        """τ^{(i)}."""
        return SampledTrajectory(self.tau, self.i if index is None else index)

    # ------------------------------------------------------------------ objects

    def _traj(self, traj: Basic | None) -> Basic:
        return self.tau if traj is None else traj

    def s(self, t: Basic | int, traj: Basic | None = None) -> State:
        return State(self.state, self._traj(traj), t)

    def a(self, t: Basic | int, traj: Basic | None = None) -> Action:
        return Action(self.action, self._traj(traj), t)

    def pi(self, t: Basic | int | None = None, traj: Basic | None = None) -> Policy:
        t = self.t if t is None else t
        return Policy(self.policy, self.a(t, traj), self.s(t, traj), self.theta)

    def p(self, t: Basic | int | None = None, traj: Basic | None = None) -> Dynamics:
        t = self.t if t is None else t
        return Dynamics(self.dynamics, self.s(t + 1, traj), self.s(t, traj), self.a(t, traj))

    def p0(self, traj: Basic | None = None) -> InitialDistribution:
        return InitialDistribution(self.initial, self.s(self.first, traj))

    def r(self, t: Basic | int | None = None, traj: Basic | None = None) -> Reward:
        t = self.t if t is None else t
        return Reward(self.reward, self.s(t, traj), self.a(t, traj))

    def R(self, traj: Basic | None = None) -> Return:  # noqa: N802
        return Return(self.return_, self._traj(traj))

    def density_of(self, traj: Basic | None = None) -> TrajectoryDensity:
        return TrajectoryDensity(
            self.density, self._traj(traj), self.theta, self.density_style, self.policy
        )

    def J(self) -> Objective:  # noqa: N802
        return Objective(self.objective, self.theta, self.objective_style, self.policy)

    def time_range(self) -> tuple[Symbol, Integer, Symbol]:
        return (self.t, self.first, self.T)

    def aggregate(self, expr: Basic, traj: Basic | None = None) -> TrajectoryAggregate:
        """∫ expr dτ or Σ_τ expr, by the trajectory space."""
        cls = TrajectoryIntegral if self.trajectory_space == "continuous" else TrajectorySum
        return cls(expr, self._traj(traj))

    def expectation(self, expr: Basic) -> Expectation:
        return Expectation(expr, self.tau, self.density_of())

    def conditional_expectation(self, expr: Basic, *given: Basic) -> ConditionalExpectation:
        """E_{τ∼p_θ}[expr | given...]; the given states and actions are a set, kept in the
        order of :func:`ordered` (E[X | a_t, s_t] is E[X | s_t, a_t])."""
        return ConditionalExpectation(expr, self.tau, self.density_of(), Tuple(*ordered(given)))

    # ------------------------------------------------------------------ definitions

    def trajectory_density(self, traj: Basic | None = None) -> Expr:
        """p(s_first) ∏_{t=first}^{T} π_θ(a_t|s_t) p(s_{t+1}|s_t,a_t) (finite horizon only)."""
        if self.infinite_horizon:
            raise ValueError(
                "p_θ(τ) of an infinite trajectory is no product of its steps "
                "(the product would be 0 for every trajectory)"
            )
        step = self.pi(self.t, traj) * self.p(self.t, traj)
        return self.p0(traj) * Product(step, self.time_range())

    def discount_factor(self, time: Basic | None = None) -> Expr:
        """γ^{t−first}, the weight of the reward at ``time`` (1 without a discount)."""
        gamma = self.gamma
        if gamma is None:
            return Integer(1)
        return gamma ** ((self.t if time is None else time) - self.first)

    def return_expansion(self, traj: Basic | None = None) -> Expr:
        """Σ_{t=first}^{T} γ^{t−first} r(s_t, a_t) (γ only with a discount; T may be ∞)."""
        body = self.discount_factor() * self.r(self.t, traj)
        if self.infinite_horizon:
            return InfiniteSum(body, self.t, self.first)
        return Sum(body, self.time_range())

    def objective_definition(self) -> Expectation:
        """E_{τ∼p_θ}[R(τ)]."""
        return self.expectation(self.R())


def ordered(variables: Iterable[Basic]) -> tuple[Basic, ...]:
    """States and actions in one fixed order: by time, a state before the action of its step."""
    return tuple(sorted(variables, key=lambda v: (str(v.time), isinstance(v, Action), str(v))))


# ------------------------------------------------------------ the policy class's keys


def check_choices(n: Notation) -> None:
    """``scope`` and ``policy_class`` are among their choices (ValueError otherwise)."""
    if n.scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {n.scope!r}")
    if n.policy_class not in POLICY_CLASSES:
        raise ValueError(f"policy_class must be one of {POLICY_CLASSES}, not {n.policy_class!r}")


def class_functions(n: Notation) -> dict[str, tuple[str, ...]]:
    """The θ-free functions the policy class declares: the linear softmax's features."""
    if n.policy_class == "linear_softmax":
        return {n.features: ("state", "action")}
    return {}


def class_symbols(n: Notation) -> list[tuple[str, str]]:
    """The plain symbols the policy class declares: the Gaussian's σ."""
    if n.policy_class == "gaussian":
        return [(n.policy_std, "the Gaussian policy's standard deviation")]
    return []


def parameter_functions(n: Notation) -> dict[str, tuple[str, ...]]:
    """name -> the kinds of its arguments, of the functions that depend on θ directly."""
    out: dict[str, tuple[str, ...]] = {}
    declared = [(name, ("state",)) for name in n.parameter_state_functions]
    declared += [(name, ("state", "action")) for name in n.parameter_state_action_functions]
    if n.policy_class == "gaussian":
        declared.append((n.policy_mean, ("state",)))
    others = n.declared_functions()
    for name, kinds in declared:
        if name in out or name in others:
            mean = n.policy_class == "gaussian" and name == n.policy_mean
            also = ": it is the Gaussian policy's mean μ_θ(s)" if mean else ""
            raise ValueError(f"the function {name!r} is declared twice{also}")
        out[name] = kinds
    return out
