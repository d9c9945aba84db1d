"""Objects of formulas about one state: s, a, Σ_{a'}, E_{a'∼π_θ(·|s)}, θ^⊤φ, N(x; μ, σ²), μ_θ(s).

Score functions are statements about one state s and one action a, with no trajectory
and no time index (∇_θ log π_θ(a|s) = φ(s, a) − E_{a'∼π_θ(·|s)}[φ(s, a')]).  The objects
here are unevaluated SymPy expressions like those of :mod:`.objects`:

    s, a, a'                    StateSymbol, ActionSymbol: symbols (a bound action is a
                                symbol bound by Σ_{a'} or E_{a'}); a Gaussian policy's
                                actions are real (``real=True``)
    Σ_{a'} f(a')                ActionSum(f, a'): over the finite action set
    E_{a'∼π_θ(·|s)}[f(a')]      ActionExpectation(f, a', π_θ(a'|s)): the policy at the
                                bound action is the distribution
    θ^⊤x                        Inner(θ, x): an inner product, a scalar
    N(x; μ, v)                  GaussianDensity(x, μ, v): the normal density, v > 0;
                                ``doit()`` gives exp(−(x − μ)²/(2v)) / √(2π v)
    μ_θ(s), h_θ(s, a)           ParametrisedFunction: a declared function of θ (marks (θ,))
    φ(s, a)                     FeatureVector: declared θ-free features, a vector in θ's space

Vectors.  θ ∈ R^d.  The symbolic engine reads θ as one coordinate (as :class:`Grad` does):
θ^⊤x is kept whole, never rewritten as a product θ·x, and the rule
``grad_of_inner_product`` says ∇_θ θ^⊤x = x, which holds coordinate by coordinate
(∂(θ^⊤x)/∂θ_k = x_k).  A feature vector φ(s, a) is read the same way, coordinate by
coordinate: numerically it is a value on the gradient axis (see
:mod:`pgproof.bridge.state_evaluate`).

Bound actions.  Σ_{a'} f(a') and Σ_{b} f(b) are the same sum: ActionSum and
ActionExpectation compare equal up to the name of their bound action (their hashable
content renames it, as SymPy's ``Lambda`` does), so an author may name a bound action as
they like and a rule may pick a fresh name.
"""

from __future__ import annotations

from sympy import Basic, Symbol, Tuple, exp, pi, sqrt
from sympy.core.logic import fuzzy_and
from sympy.printing.precedence import PRECEDENCE

from .binders import Declaration, primed
from .objects import DeclaredFunction, PGExpr, _Operator

__all__ = [
    "ActionExpectation",
    "ActionSum",
    "ActionSymbol",
    "FeatureVector",
    "GaussianDensity",
    "Inner",
    "ParametrisedFunction",
    "StateSymbol",
    "fresh_action",
]


# --------------------------------------------------------------------------- variables


class StateSymbol(Symbol):
    """s: one state, without a time index (a formula about one state)."""


class ActionSymbol(Symbol):
    """a, a', a'': one action without a time index; free, or bound by Σ_{a'} or E_{a'}."""


def fresh_action(like: ActionSymbol, avoid: Basic) -> ActionSymbol:
    """``like`` with primes added until its name is not a free symbol name of ``avoid``."""
    taken = {s.name for s in avoid.free_symbols} | {s.name for s in avoid.atoms(ActionSymbol)}
    return ActionSymbol(primed(like.name, taken), **like.assumptions0)


# --------------------------------------------------------------------------- binders


class _BoundAction(_Operator):
    """A body binding one action: ``args[0]`` the body, ``args[1]`` the action, then the rest.

    Equal up to the name of the bound action (alpha-equivalence): the hashable content has
    the action replaced by a canonical symbol that clashes with no free symbol."""

    #: printed as a prefix: bracketed as the base of a power
    precedence = PRECEDENCE["Mul"]

    @property
    def bound_symbols(self) -> list[Basic]:
        return [self.args[1]]

    #: the action is bound in the body (and in the distribution, for E_{a'})
    declaration = Declaration(body=(0,), variable=(1,), scope=(0,), opaque=(1,))

    def _hashable_content(self) -> tuple:
        names = self.canonical_variables
        return tuple(arg.xreplace(names) for arg in self.args)


class _BoundSum(_BoundAction):
    """Σ_x f(x): ``args[0]`` summed over the finitely many values of the bound ``args[1]``,
    written without limits (Σ_{a'} here, Σ_s in :mod:`.visitation`)."""

    def _eval_is_real(self) -> bool | None:
        return True if self.args[0].is_real else None


class ActionSum(_BoundSum):
    """Σ_{a'} f(a'): ``ActionSum(f, a')``, over the finite action set (never empty)."""

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_positive else None


class ActionExpectation(_BoundAction):
    """E_{a'∼π_θ(·|s)}[f(a')]: ``ActionExpectation(f, a', π_θ(a'|s))``.

    The third argument is the distribution written at the bound action (the policy, whose
    action argument is the bound a'); it is printed π_θ(·|s).  Like
    :class:`.objects.Expectation` it never turns E[c] into c by itself."""

    declaration = Declaration(body=(0,), variable=(1,), scope=(0, 2), opaque=(1, 2))

    @property
    def density(self) -> Basic:
        return self.args[2]


# --------------------------------------------------------------------------- vectors


class Inner(PGExpr):
    """x^⊤y: ``Inner(x, y)``, the inner product of two vectors of θ's space (a real number).

    Kept whole: it is never rewritten as the product x·y (see the module docstring)."""

    declaration = Declaration(body=(), leaf=True)
    is_real = True


class FeatureVector(DeclaredFunction):
    """φ(s, a): declared features, free of θ, a vector of θ's space (read coordinate by
    coordinate).  ``FeatureVector(name, Tuple(), *arguments)``."""

    is_real = True


class ParametrisedFunction(DeclaredFunction):
    """μ_θ(s), h_θ(s, a): a declared real function that depends on θ directly, written with
    θ as its subscript.  ``ParametrisedFunction(name, Tuple(θ), *arguments)``."""

    is_real = True

    @property
    def theta(self) -> Basic:
        return self.args[1].args[0]


def parametrised(name: str, theta: Symbol, *arguments: Basic) -> ParametrisedFunction:
    return ParametrisedFunction(name, Tuple(theta), *arguments)


# --------------------------------------------------------------------------- densities


class GaussianDensity(PGExpr):
    """N(x; μ, v): ``GaussianDensity(x, mean, variance)``, the normal density at x (v > 0).

    Positive when v is known positive and x, μ are real.  ``doit()`` (and the rule
    ``definition``) gives exp(−(x − μ)²/(2v)) / √(2π v)."""

    @property
    def point(self) -> Basic:
        return self.args[0]

    @property
    def mean(self) -> Basic:
        return self.args[1]

    @property
    def variance(self) -> Basic:
        return self.args[2]

    def _eval_is_positive(self) -> bool | None:
        x, mean, variance = self.args
        return fuzzy_and([variance.is_positive, x.is_extended_real, mean.is_extended_real])

    def formula(self) -> Basic:
        """exp(−(x − μ)²/(2v)) / √(2π v), with SymPy's own operations."""
        x, mean, variance = self.args
        return exp(-((x - mean) ** 2) / (2 * variance)) / sqrt(2 * pi * variance)

    def doit(self, **hints) -> Basic:
        if hints.get("deep", True):
            return GaussianDensity(*(a.doit(**hints) for a in self.args)).formula()
        return self.formula()
