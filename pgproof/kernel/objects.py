"""SymPy expression objects for the policy-gradient derivation.

The trajectory density of a finite-horizon MDP is

    p_θ(τ) = p(s_1) ∏_{t=1}^{T} π_θ(a_t | s_t) p(s_{t+1} | s_t, a_t),

and the objective is J(θ) = E_{τ∼p_θ}[R(τ)] with R(τ) = Σ_t r(s_t, a_t).

Every class here is an unevaluated SymPy ``Expr``: ``__new__`` stores its
arguments and never rewrites them, so each step of a derivation stays
visible; ``expr == expr.func(*expr.args)`` holds; ``free_symbols`` is derived
from the arguments (bound variables removed), so *whether a term depends on θ
is read off the term itself*.  The objects do not print themselves: printing lives in
:mod:`pgproof.present` (one ``_print_<Class>`` per class in its printers).

Display names ("π", "P", "corr", ...) are carried as ``Str`` arguments: they
are atoms without free symbols, so they never create a dependency.

Positivity is a stated modelling assumption: densities and policies are
evaluated on the support over which τ ranges, where they are positive. Rules
read it through SymPy's assumption system (``is_positive``).
"""

from __future__ import annotations

from sympy import Basic, Expr, Integer, Sum
from sympy.core.symbol import Str
from sympy.core.sympify import _sympify
from sympy.printing.precedence import PRECEDENCE

from .binders import Declaration
from .binders import free_symbols as _free_symbols

__all__ = [
    "Action",
    "Cancelled",
    "ConditionalExpectation",
    "DeclaredFunction",
    "Equation",
    "Expectation",
    "Grad",
    "InitialDistribution",
    "Dynamics",
    "Objective",
    "Policy",
    "Ratio",
    "Return",
    "Reward",
    "SampleMean",
    "SampledTrajectory",
    "State",
    "TrajectoryAggregate",
    "TrajectoryDensity",
    "TrajectoryIntegral",
    "TrajectorySum",
    "as_name",
]


def as_name(name: str | Str) -> Str:
    """A display name as a SymPy atom without free symbols."""
    return name if isinstance(name, Str) else Str(name)


def _args(*args: object) -> tuple[Basic, ...]:
    # A str is a display name (an inert Str atom, never parsed); _sympify is strict:
    # it converts numbers and SymPy objects and refuses strings.
    return tuple(
        a if isinstance(a, Basic) else as_name(a) if isinstance(a, str) else _sympify(a)
        for a in args
    )


class PGExpr(Expr):
    """Base: an unevaluated commutative scalar expression.

    Each class declares once what it binds and what rules may rewrite
    (:class:`pgproof.kernel.binders.Declaration`); its free symbols follow from that."""

    is_commutative = True
    declaration = Declaration()

    @property
    def free_symbols(self) -> set[Basic]:
        return _free_symbols(self)

    def __new__(cls, *args: object) -> PGExpr:
        return Expr.__new__(cls, *_args(*args))


# --------------------------------------------------------------------------- trajectories


class SampledTrajectory(PGExpr):
    """τ^{(i)}: the i-th sampled trajectory.  ``SampledTrajectory(tau, i)``."""

    declaration = Declaration(body=(), leaf=True, opaque=(0, 1))

    @property
    def trajectory(self) -> Basic:
        return self.args[0]

    @property
    def sample_index(self) -> Basic:
        return self.args[1]


class _TrajectoryVariable(PGExpr):
    """s_t or a_t of trajectory τ: ``State(name, tau, t)``."""

    declaration = Declaration(body=(), leaf=True, opaque=(0, 1, 2))

    @property
    def name(self) -> Str:
        return self.args[0]

    @property
    def trajectory(self) -> Basic:
        return self.args[1]

    @property
    def time(self) -> Basic:
        return self.args[2]


class State(_TrajectoryVariable):
    """The state s_t of a trajectory."""


class Action(_TrajectoryVariable):
    """The action a_t of a trajectory."""


# --------------------------------------------------------------------------- distributions


class Policy(PGExpr):
    """π_θ(a | s): ``Policy(name, action, state, theta)``; depends on θ."""

    declaration = Declaration(body=(), leaf=True)

    is_positive = True

    @property
    def theta(self) -> Basic:
        return self.args[3]


class Dynamics(PGExpr):
    """p(s' | s, a): ``Dynamics(name, next_state, state, action)``; no θ."""

    declaration = Declaration(body=(), leaf=True)

    is_positive = True


class InitialDistribution(PGExpr):
    """p(s_1) (also written μ(s_0)): ``InitialDistribution(name, state)``; no θ."""

    declaration = Declaration(body=(), leaf=True)

    is_positive = True


class Reward(PGExpr):
    """r(s_t, a_t): ``Reward(name, state, action)``; real, no θ."""

    declaration = Declaration(body=(), leaf=True)

    is_extended_real = True


class Return(PGExpr):
    """R(τ) = Σ_t r(s_t, a_t): ``Return(name, trajectory)``."""

    declaration = Declaration(body=(), leaf=True)

    is_extended_real = True

    @property
    def trajectory(self) -> Basic:
        return self.args[1]


class DeclaredFunction(PGExpr):
    """b(s_t), φ(s_t, a_t), V^π(s_t), Q^π(s_t, a_t): a function the author declares.

    ``DeclaredFunction(name, marks, *arguments)``: ``arguments`` are states and actions of
    one step; ``marks`` is a ``Tuple`` of what else it depends on: ``(θ,)`` for a function
    of the policy (V^π, Q^π, A^π depend on θ through π_θ), empty for a fixed function such
    as a baseline b(s).  So whether it depends on θ is read off its free symbols, like every
    other object here, and comes from its declaration, never from a guess.
    """

    declaration = Declaration(body=(), leaf=True, opaque=(0, 1))

    @property
    def name(self) -> Str:
        return self.args[0]

    @property
    def marks(self) -> Basic:
        return self.args[1]

    @property
    def arguments(self) -> tuple[Basic, ...]:
        return self.args[2:]

    @property
    def depends_on_policy(self) -> bool:
        return len(self.args[1].args) > 0

    @property
    def policy_name(self) -> Basic:
        """The policy's display name (the second mark), or θ when it has none."""
        marks = self.args[1].args
        return marks[1] if len(marks) > 1 else marks[0]


#: How a trajectory density is written: p_θ(τ), P(τ | π_θ) or P(τ; θ).
DENSITY_STYLES = ("subscript", "given_policy", "semicolon")


class TrajectoryDensity(PGExpr):
    """p_θ(τ): ``TrajectoryDensity(name, trajectory, theta, style, policy_name)``."""

    declaration = Declaration(body=(), leaf=True)

    is_positive = True

    def __new__(cls, name, trajectory, theta, style="subscript", policy_name=r"\pi"):
        style = as_name(style)
        if style.name not in DENSITY_STYLES:
            raise ValueError(f"density style must be one of {DENSITY_STYLES}, not {style.name!r}")
        return PGExpr.__new__(cls, as_name(name), trajectory, theta, style, as_name(policy_name))

    @property
    def trajectory(self) -> Basic:
        return self.args[1]

    @property
    def theta(self) -> Basic:
        return self.args[2]


class Objective(PGExpr):
    """J(θ) = E_{τ∼p_θ}[R(τ)]: ``Objective(name, theta, style, policy_name)``."""

    declaration = Declaration(body=(), leaf=True)

    def __new__(cls, name, theta, style="theta", policy_name=r"\pi"):
        return PGExpr.__new__(cls, as_name(name), theta, as_name(style), as_name(policy_name))

    @property
    def theta(self) -> Basic:
        return self.args[1]


# --------------------------------------------------------------------------- operators


class _Operator(PGExpr):
    """An operator applied to a body: ``args[0]`` is the body, ``args[1]`` its variable."""

    @property
    def expr(self) -> Basic:
        return self.args[0]

    @property
    def variable(self) -> Basic:
        return self.args[1]


class Grad(_Operator):
    """∇_θ f, kept unevaluated; ``doit()`` differentiates (θ treated as a coordinate)."""

    #: printed as a prefix (∇_θ f, ∫ f dτ, Σ_i f): bracketed as the base of a power
    precedence = PRECEDENCE["Mul"]

    declaration = Declaration(body=(0,))

    def doit(self, **hints) -> Basic:
        expr = self.args[0].doit(**hints) if hints.get("deep", True) else self.args[0]
        return expr.diff(self.args[1])


class Expectation(_Operator):
    """E_{τ∼p}[f(τ)]: ``Expectation(expr, trajectory, density)``.

    Unlike ``sympy.stats.Expectation`` it never turns E[c] into c: that is a
    step a derivation has to take by a rule.
    """

    @property
    def density(self) -> Basic:
        return self.args[2]

    #: τ is bound in the body and in the density p(τ)
    declaration = Declaration(body=(0,), variable=(1,), scope=(0, 2))


class ConditionalExpectation(_Operator):
    """E_{τ∼p}[f(τ) | s_t, a_t]: ``ConditionalExpectation(expr, trajectory, density, given)``.

    ``given`` is a ``Tuple`` of states and actions of τ.  The value is a random variable: a
    function of the given states and actions, so its free symbols are those of ``given``
    (τ, t) besides the body's own (τ bound there) and the density's.  Not a subclass of
    :class:`Expectation`: no rule about E[·] applies to it unless it says so.
    """

    @property
    def density(self) -> Basic:
        return self.args[2]

    @property
    def given(self) -> tuple[Basic, ...]:
        return self.args[3].args

    #: τ is bound in the body and the density, not in what is given
    declaration = Declaration(body=(0,), variable=(1,), scope=(0, 2), opaque=(1, 2, 3))


class TrajectoryAggregate(_Operator):
    """Base of ∫ f dτ and Σ_τ f: ``cls(expr, trajectory)``; τ is bound."""

    #: printed as a prefix (∇_θ f, ∫ f dτ, Σ_i f): bracketed as the base of a power
    precedence = PRECEDENCE["Mul"]

    declaration = Declaration(body=(0,), variable=(1,), scope=(0,))


class TrajectoryIntegral(TrajectoryAggregate):
    """∫ f(τ) dτ over the (continuous) trajectory space."""


class TrajectorySum(TrajectoryAggregate):
    """Σ_τ f(τ) over the (discrete) trajectory space."""


class SampleMean(PGExpr):
    """(1/m) Σ_{i=1}^{m} f(τ^{(i)}): ``SampleMean(expr, i, m)``; ``doit()`` gives the sum."""

    #: printed as a prefix (∇_θ f, ∫ f dτ, Σ_i f): bracketed as the base of a power
    precedence = PRECEDENCE["Mul"]

    #: i is bound in the body, not in the count m
    declaration = Declaration(body=(0,), variable=(1,), scope=(0,))

    def doit(self, **hints) -> Basic:
        expr, index, count = self.args
        return Sum(expr, (index, Integer(1), count)) / count


class Ratio(PGExpr):
    """An unevaluated fraction a/b as the author wrote it (P/P stays visible).

    ``doit()`` divides; canonical comparison checks that b is nonzero.
    """

    @property
    def numerator(self) -> Basic:
        return self.args[0]

    @property
    def denominator(self) -> Basic:
        return self.args[1]

    def doit(self, **hints) -> Basic:
        num, den = self.args
        if hints.get("deep", True):
            num, den = num.doit(**hints), den.doit(**hints)
        return num / den

    def _eval_is_positive(self) -> bool | None:
        """a/b > 0 when a and b are both known positive (or both negative)."""
        num, den = self.args
        if (num.is_positive and den.is_positive) or (num.is_negative and den.is_negative):
            return True
        return None

    def _eval_is_real(self) -> bool | None:
        """a/b is real when a and b are real and b is known nonzero."""
        num, den = self.args
        if num.is_real and den.is_real and (den.is_nonzero or den.is_positive):
            return True
        return None


class Cancelled(PGExpr):
    r"""A term struck out by the author (``\cancel{...}``): a claim that it is zero."""

    @property
    def expr(self) -> Basic:
        return self.args[0]


class Equation(Basic):
    """``lhs = rhs`` kept as a pair (SymPy's ``Eq`` may evaluate to True)."""

    #: the relation as printed
    symbol = "="

    def __new__(cls, lhs: object, rhs: object) -> Equation:
        return Basic.__new__(cls, *_args(lhs, rhs))

    @property
    def lhs(self) -> Basic:
        return self.args[0]

    @property
    def rhs(self) -> Basic:
        return self.args[1]

    @property
    def is_estimate(self) -> bool:
        return False


class Approximation(Equation):
    """``lhs ≈ rhs``: one side is an unbiased sample estimate of the other.

    Over the sampled trajectories τ^(1..m) ∼ p_θ i.i.d., E[lhs] = E[rhs] (a side free of
    samples is its own expectation).  Rewriting a side by an identity keeps the relation;
    differentiating or taking logs of both sides does not (the samples' distribution
    depends on θ, and log E ≠ E log), so such rules are refused on ≈.
    """

    symbol = "≈"

    @property
    def is_estimate(self) -> bool:
        return True
