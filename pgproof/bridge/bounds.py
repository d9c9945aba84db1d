"""Bounds on sizes and gradients of expressions, to bound what truncating a series leaves out.

:mod:`.tails` uses them on an infinite-horizon instance (:mod:`.infinite`).  Every bound is
read from the instance's numbers and the expression's structure, never from computed values:

    |r| ≤ r_max,  |b(s)|, |φ(s,a)| ≤ the max of their tables,  0 < π_θ, p, ρ ≤ 1,
    |∂_k π_θ(a|s)| ≤ 1 and |∂_k log π_θ(a|s)| ≤ 1   (tabular softmax: ∂ log π = 1[a=b] − π),
    |E_{τ∼p_θ}[h]| ≤ sup |h|,   |∂_k E_{τ∼p_θ}[h]| ≤ sup |h| · n(h) + sup |∂_k h|,
        n(h) = the number of actions up to h's last step (each brings one score ∂_k log π),
    |J(θ)|, |R(τ)| ≤ r_max / (1 − γ),   |∂_k J(θ)| ≤ r_max / (1 − γ)²,
    V^π, Q^π, A^π, d^π and their gradients likewise (``_value_bound``),
    0 ≤ Pr(s_t = s) ≤ 1, |∂_k Pr(s_t = s)| ≤ t − first,   |Σ_s f| ≤ S sup |f|, |Σ_a f| ≤ A sup |f|,
    Σ_{t=L}^{∞} γ^{t+c} f_t ≤ Σ_{u≥0} P(u) γ^{g u} for a bound |f_{L+u}| ≤ P(u) γ^{(g−1) u}.

A bound is a :class:`Bound` P(u) γ^{g u} in the offset u ≥ 0 of the series index being
bounded (a constant outside a series); what has no bound here raises
:class:`~.values.NotEvaluable`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sympy import Add, Basic, Integer, Mul, Number, Pow, Sum, Symbol, log

from pgproof.kernel.objects import (
    Action,
    DeclaredFunction,
    Dynamics,
    Expectation,
    Grad,
    InitialDistribution,
    Objective,
    Policy,
    Return,
    Reward,
    State,
    TrajectoryDensity,
)
from pgproof.kernel.state_objects import ActionSum
from pgproof.kernel.visitation import StateProbability, StateSum
from pgproof.numeric.policies import softmax
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum, discount_exponent
from pgproof.symbolic.text import show

from .instance import Instance
from .values import NotEvaluable

__all__ = ["Bound", "Bounds", "polynomial_geometric_sum", "term_assignments"]


@dataclass(frozen=True)
class Bound:
    """|f| ≤ P(u) γ^{g u}: ``poly`` the coefficients of P (constant first), ``geo`` g."""

    poly: tuple[float, ...] = (0.0,)
    geo: int = 0

    @staticmethod
    def const(value: float) -> Bound:
        return Bound((abs(float(value)),), 0)

    def __add__(self, other: Bound) -> Bound:
        if not any(other.poly):  # 0 (of any decay) changes nothing
            return self
        if not any(self.poly):
            return other
        size = max(len(self.poly), len(other.poly))
        a = np.pad(self.poly, (0, size - len(self.poly)))
        b = np.pad(other.poly, (0, size - len(other.poly)))
        return Bound(tuple(a + b), min(self.geo, other.geo))

    def __mul__(self, other: Bound) -> Bound:
        return Bound(tuple(np.convolve(self.poly, other.poly)), self.geo + other.geo)

    def value(self) -> float:
        """The bound at u = 0 (outside a series: the bound itself)."""
        return float(self.poly[0])

    def series(self, gamma: float) -> float:
        """Σ_{u≥0} P(u) γ^{g u} (needs g ≥ 1: the terms decay geometrically)."""
        if not any(self.poly):
            return 0.0
        if self.geo < 1:
            raise NotEvaluable("the terms of an infinite sum do not decay (no factor γ^t)")
        return polynomial_geometric_sum(self.poly, gamma**self.geo)


def polynomial_geometric_sum(poly: tuple[float, ...], x: float) -> float:
    """Σ_{u≥0} P(u) x^u for 0 ≤ x < 1 and P with coefficients ≥ 0: the terms summed until
    the rest, bounded by the geometric series of ratio ((u+1)/u)^deg(P) · x, is negligible
    (and then added: an upper bound)."""
    degree = len(poly) - 1
    coefficients = np.asarray(poly[::-1], dtype=np.float64)
    total, u = 0.0, 0
    while u <= 100_000:
        total += float(np.polyval(coefficients, u)) * x**u
        u += 1
        if u > degree:  # for v ≥ u ≥ 1: P(v + 1) x^{v+1} ≤ ((u+1)/u)^deg x · P(v) x^v
            ratio = ((u + 1) / u) ** degree * x
            if ratio < 1.0:
                rest = float(np.polyval(coefficients, u)) * x**u / (1.0 - ratio)
                if rest <= 1e-18 * total or rest < 1e-300:
                    return total + rest
    raise NotEvaluable("an infinite sum's bound does not converge")  # pragma: no cover


class Bounds:
    """Bounds of expressions on one infinite-horizon instance, for one assignment ``env``."""

    def __init__(self, instance: Instance, notation: Notation, env: Mapping[str, int]) -> None:
        self.instance = instance
        self.notation = notation
        self.env = dict(env)
        self.gamma = float(instance.mdp.discount)
        self.gamma_symbol = notation.gamma
        self.r_max = float(np.max(np.abs(instance.mdp.reward)))
        if not 0.0 < self.gamma < 1.0:
            raise NotEvaluable("an infinite series needs 0 < γ < 1")

    # ------------------------------------------------------------------ sizes

    def magnitude(self, expr: Basic, active: tuple[Symbol, int] | None = None) -> Bound:
        """A bound on |expr| (in u = t − a when ``active`` is the series index (t, a))."""
        if isinstance(expr, Number):
            return Bound.const(float(expr))
        if isinstance(expr, Symbol):
            return self._symbol(expr, active)
        if isinstance(expr, Add):
            return _total(self.magnitude(a, active) for a in expr.args)
        if isinstance(expr, Mul):
            return _product(self.magnitude(a, active) for a in expr.args)
        if isinstance(expr, Pow):
            return self._power(expr, active)
        if isinstance(expr, Reward):
            return Bound.const(self.r_max)
        if isinstance(expr, StateProbability):  # a probability
            return Bound.const(1.0)
        if isinstance(expr, (StateSum, ActionSum)):
            return _product([Bound.const(self._count(expr)), self.magnitude(expr.expr, active)])
        if isinstance(expr, DeclaredFunction) and self._value_bound(expr) is not None:
            return Bound.const(self._value_bound(expr)[0])
        if isinstance(expr, DeclaredFunction):
            table = self.instance.functions.get(expr.name.name)
            if table is None:
                raise NotEvaluable(f"{show(expr)} has no numeric bound")
            return Bound.const(float(np.max(np.abs(table), initial=0.0)))
        if isinstance(expr, (Policy, Dynamics, InitialDistribution, TrajectoryDensity)):
            return Bound.const(1.0)
        if isinstance(expr, log) and isinstance(expr.args[0], (Policy, Dynamics)):
            return Bound.const(self._log_bound(expr.args[0]))
        if isinstance(expr, (Return, Objective)):
            return Bound.const(self.r_max / (1.0 - self.gamma))
        if isinstance(expr, Expectation):  # |E[h]| ≤ sup |h|, term by term
            return _total(
                self.magnitude(term.expr if isinstance(term, Expectation) else term, active)
                for term in self._spread(expr)
            )
        if isinstance(expr, Grad):
            return self.gradient(expr.expr, active)
        if isinstance(expr, Sum):
            return self._finite_sum(expr, active, self.magnitude)
        if isinstance(expr, InfiniteSum):
            return self._series(expr, active, self.magnitude)
        raise NotEvaluable(f"no bound is known for {show(expr)} (to bound an infinite sum's tail)")

    def gradient(self, expr: Basic, active: tuple[Symbol, int] | None = None) -> Bound:
        """A bound on |∂_k expr| for every coordinate k of θ."""
        theta = self.notation.theta
        if theta not in expr.free_symbols:
            return Bound.const(0.0)
        if isinstance(expr, Add):
            return _total(self.gradient(a, active) for a in expr.args)
        if isinstance(expr, Mul):
            terms = []
            for k, factor in enumerate(expr.args):
                others = [self.magnitude(f, active) for j, f in enumerate(expr.args) if j != k]
                terms.append(_product([self.gradient(factor, active), *others]))
            return _total(terms)
        if isinstance(expr, Pow) and expr.exp.is_Integer and int(expr.exp) >= 1:
            n = int(expr.exp)
            base = self.magnitude(expr.base, active)
            return _product([Bound.const(n), *[base] * (n - 1), self.gradient(expr.base, active)])
        if isinstance(expr, Policy) or (isinstance(expr, log) and isinstance(expr.args[0], Policy)):
            return Bound.const(1.0)
        if isinstance(expr, Objective):
            return Bound.const(self.r_max / (1.0 - self.gamma) ** 2)
        if isinstance(expr, StateProbability):  # Pr(s_t = s) = E[1{s_t = s}]: one score per action
            return self._actions(expr.step, active)
        if isinstance(expr, (StateSum, ActionSum)):
            return _product([Bound.const(self._count(expr)), self.gradient(expr.expr, active)])
        if isinstance(expr, DeclaredFunction) and self._value_bound(expr) is not None:
            return Bound.const(self._value_bound(expr)[1])
        if isinstance(expr, Expectation):
            return _total(self._expectation_gradient(term, active) for term in self._spread(expr))
        if isinstance(expr, Sum):
            return self._finite_sum(expr, active, self.gradient)
        if isinstance(expr, InfiniteSum):
            return self._series(expr, active, self.gradient)
        raise NotEvaluable(f"no bound is known for ∇_θ {show(expr)} (to bound a tail)")

    def _count(self, expr: Basic) -> int:
        mdp = self.instance.mdp
        return mdp.n_states if isinstance(expr, StateSum) else mdp.n_actions

    def _value_bound(self, expr: DeclaredFunction) -> tuple[float, float] | None:
        """(|f|, |∂_k f|) for V^π, Q^π, A^π and d^π (infinite horizon, tabular softmax):
        |V|, |Q| ≤ r_max/(1 − γ);  |∂V| ≤ r_max/(1 − γ)² (as J from one state),
        |∂Q| = γ|∂ E[V(s')]| ≤ γ r_max/(1 − γ)²;  A = Q − V;  d^π = Σ_t γ^t Pr(s_t = s):
        |d| ≤ 1/(1 − γ), |∂d| ≤ Σ_t γ^t t = γ/(1 − γ)²."""
        meaning = self.notation.value_meaning(expr.name.name)
        g, r = self.gamma, self.r_max
        bounds = {
            "state_value": (r / (1 - g), r / (1 - g) ** 2),
            "action_value": (r / (1 - g), g * r / (1 - g) ** 2),
            "advantage": (2 * r / (1 - g), (1 + g) * r / (1 - g) ** 2),
            "visitation": (1 / (1 - g), g / (1 - g) ** 2),
        }
        return bounds.get(meaning) if self.instance.infinite else None

    def _log_bound(self, inner: Basic) -> float:
        """|log π_θ(a|s)| ≤ −log min π_θ + 0.01 (θ moves by at most 1e-3 for ∇, and log
        softmax changes by at most 2 per unit of θ), |log p(s'|s,a)| ≤ −log min p."""
        if isinstance(inner, Policy):
            smallest = float(np.min(softmax(np.asarray(self.instance.theta, dtype=float))))
            return -float(np.log(smallest)) + 0.01
        smallest = float(np.min(self.instance.mdp.transition))
        if smallest <= 0.0:
            raise NotEvaluable("log of a transition probability 0 has no bound")
        return -float(np.log(smallest))

    def _symbol(self, expr: Symbol, active: tuple[Symbol, int] | None) -> Bound:
        if expr == self.gamma_symbol:
            return Bound.const(self.gamma)
        if active is not None and expr == active[0]:
            return Bound((float(abs(active[1])), 1.0), 0)  # |a + u| ≤ |a| + u
        if expr.name in self.env:
            return Bound.const(self.env[expr.name])
        if expr.name in self.instance.constants:
            return Bound.const(self.instance.constants[expr.name])
        raise NotEvaluable(f"{show(expr)} has no numeric bound")

    def _power(self, expr: Pow, active: tuple[Symbol, int] | None) -> Bound:
        base, exponent = expr.args
        if base == self.gamma_symbol:
            exponent = exponent.xreplace(self._values(exponent))
            if active is not None and active[0] in exponent.free_symbols:
                index, low = active
                slope = exponent.diff(index)
                rest = (exponent - slope * index).expand()
                if slope.is_Integer and int(slope) >= 0 and rest.is_Integer:
                    return Bound((self.gamma ** (int(slope) * low + int(rest)),), int(slope))
            elif exponent.is_Integer:
                return Bound.const(self.gamma ** int(exponent))
            if exponent.is_nonnegative:
                return Bound.const(1.0)
            raise NotEvaluable(f"{show(expr)}: the exponent is not known to be ≥ 0")
        if exponent.is_Integer and int(exponent) >= 0:
            return _product([self.magnitude(base, active)] * int(exponent))
        raise NotEvaluable(f"no bound is known for {show(expr)} (to bound a tail)")

    def _values(self, expr: Basic) -> dict[Basic, Basic]:
        return {s: Integer(self.env[s.name]) for s in expr.free_symbols if s.name in self.env}

    def _spread(self, expr: Expectation) -> list[Basic]:
        """E[f + g] → E[f], E[g];  E[c f] → c E[f] (c free of τ);  E[Σ_{t}^{∞} f_t] → Σ E[f_t];
        E[R(τ)] → E[Σ_t γ^{t−first} r_t]: the same value (bounded terms), easier to bound."""
        body, tau, density = expr.args
        if isinstance(body, Return) and body.trajectory == tau:
            body = self.notation.return_expansion(tau)
        if isinstance(body, Add):
            return [t for a in body.args for t in self._spread(Expectation(a, tau, density))]
        if isinstance(body, Mul):
            fixed = [f for f in body.args if tau not in f.free_symbols]
            if fixed:
                rest = Mul(*(f for f in body.args if tau in f.free_symbols))
                return [Mul(*fixed) * t for t in self._spread(Expectation(rest, tau, density))]
        if isinstance(body, InfiniteSum) and tau not in body.lower.free_symbols:
            return [InfiniteSum(Expectation(body.function, tau, density), *body.args[1:])]
        return [Expectation(body, tau, density)]

    def _expectation_gradient(self, term: Basic, active: tuple[Symbol, int] | None) -> Bound:
        if not isinstance(term, Expectation):
            return self.gradient(term, active)
        body, tau, density = term.args
        if density != self.notation.density_of(tau):
            raise NotEvaluable(f"no bound is known for ∇_θ {show(term)}")
        return self.magnitude(body, active) * self._actions(body, active) + self.gradient(
            body, active
        )

    def _actions(self, body: Basic, active: tuple[Symbol, int] | None) -> Bound:
        """n(h): how many actions h's steps include, first..its last step (a polynomial in u)."""
        count = Bound.const(0.0)
        first = self.notation.first_index
        if _whole_trajectory(body) or body.atoms(InfiniteSum):
            raise NotEvaluable(f"no bound is known for ∇_θ E[{show(body)}]")
        for atom in body.atoms(State, Action):
            time = atom.time.xreplace(self._values(atom.time))
            last = time if isinstance(atom, Action) else time - 1
            steps = last - first + 1
            if active is not None and active[0] in steps.free_symbols:
                index, low = active
                slope, rest = steps.diff(index), (steps - steps.diff(index) * index).expand()
                if not (slope.is_Integer and rest.is_Integer and int(slope) >= 0):
                    raise NotEvaluable(f"the time of {show(atom)} is not t plus a number")
                constant = max(int(slope) * low + int(rest), 0)
                candidate = Bound((float(constant), float(slope)), 0)
            elif steps.is_Integer:
                candidate = Bound.const(max(int(steps), 0))
            else:
                raise NotEvaluable(f"the time of {show(atom)} has no value")
            count = _larger(count, candidate)
        return count

    def _finite_sum(self, expr: Sum, active, of) -> Bound:
        total = Bound.const(0.0)
        inner = expr.function
        for _index, low, high in reversed(expr.limits):
            values = {**self._values(low), **self._values(high)}
            low, high = low.xreplace(values), high.xreplace(values)
            if not (low.is_Integer and high.is_Integer):
                raise NotEvaluable(f"{show(expr)}: its limits have no values (to bound a tail)")
            if int(high) < int(low) - 1:
                raise NotEvaluable(f"{show(expr)}: a reversed range")
        # the terms one by one (concrete limits), each bounded with its index's value
        saved = dict(self.env)
        try:
            for term_env in term_assignments(expr, self.env):
                self.env = {**saved, **term_env}
                total = total + of(inner, active)
        finally:
            self.env = saved
        return total

    def _series(self, expr: InfiniteSum, active, of) -> Bound:
        """Σ_{t=L}^{∞} f_t: with L = a + c (a number or the active index plus a number)."""
        body, index, lower = expr.args
        lower = lower.xreplace(self._values(lower))
        shift = discount_exponent(body, self.gamma_symbol, index)
        if shift is None:
            raise NotEvaluable(f"{show(expr)}: its terms have no discount γ^t to bound its tail")
        if active is not None and active[0] in lower.free_symbols:
            outer, low = active
            offset = (lower - outer).expand()
            if not offset.is_Integer:
                raise NotEvaluable(f"{show(expr)}: its lower limit is not t plus a number")
            start = low + int(offset)
            terms = of(body, (index, start))
            if len(terms.poly) > 1:  # its terms grow with their time: L moves with u
                raise NotEvaluable(f"{show(expr)}: no bound for its tail inside another series")
            return Bound((terms.series(self.gamma),), 1)  # from L = t + offset on: γ^{u} · …
        if not lower.is_Integer:
            raise NotEvaluable(f"{show(expr)}: its lower limit has no value")
        return Bound.const(of(body, (index, int(lower))).series(self.gamma))


def term_assignments(expr: Sum, env: Mapping[str, int]):
    """Every assignment of a finite sum's indices (concrete limits), innermost last."""
    assignments: list[dict[str, int]] = [{}]
    for index, low, high in reversed(expr.limits):
        nxt = []
        for partial in assignments:
            values = {**env, **partial}
            lo = low.xreplace({s: Integer(values[s.name]) for s in low.free_symbols})
            hi = high.xreplace({s: Integer(values[s.name]) for s in high.free_symbols})
            nxt += [{**partial, index.name: k} for k in range(int(lo), int(hi) + 1)]
        assignments = nxt
    return assignments


def _whole_trajectory(body: Basic) -> bool:
    return bool(body.atoms(Return, TrajectoryDensity, Objective))


def _total(bounds) -> Bound:
    total = Bound.const(0.0)
    for bound in bounds:
        total = total + bound
    return total


def _product(bounds) -> Bound:
    total = Bound.const(1.0)
    for bound in bounds:
        total = total * bound
    return total


def _larger(a: Bound, b: Bound) -> Bound:
    """max(a, b) ≤ a + b, kept as the larger when both are polynomials of one decay."""
    return a + b
