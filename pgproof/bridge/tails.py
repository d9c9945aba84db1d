"""Certified bounds on what truncating an infinite series leaves out (infinite horizon).

On an infinite-horizon instance (:mod:`.infinite`) the evaluator sums R(τ) and every
Σ_{t=a}^{∞} f_t over the enumerated steps only.  :func:`truncation_error` bounds
|true value − computed value| of a whole expression: each series' kept terms' own errors
plus the sum of the bounds (:mod:`.bounds`) of the terms left out, propagated through

    +  (errors add),   ·  (|Π a − Π â| ≤ Π (M + e) − Π M),   x^n,   E (the same bound),
    Σ over a finite range (term by term),   ∇_θ (the gradient bounds of what is left out).

An infinite series under a log or a division, or in a product with another under ∇, is not
bounded here, and the comparison is then not evaluated (:class:`~.values.NotEvaluable`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sympy import Add, Basic, Mul, Pow, Sum

from pgproof.kernel.objects import Expectation, Grad, Return
from pgproof.kernel.state_objects import ActionSum
from pgproof.kernel.visitation import StateSum
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import show

from .bounds import Bounds, term_assignments
from .infinite import last_term, series_lower
from .instance import Instance
from .values import NotEvaluable

__all__ = ["has_tail", "truncation_error"]


def has_tail(expr: Basic, instance: Instance) -> bool:
    """Whether evaluating ``expr`` truncates something (a series, or R(τ) of infinite τ)."""
    if not instance.infinite:
        return False
    return bool(expr.atoms(InfiniteSum)) or bool(expr.atoms(Return))


def truncation_error(
    expr: Basic, instance: Instance, notation: Notation, env: Mapping[str, int]
) -> float:
    """A bound on |value of ``expr`` − its value with every series truncated| (0 on a finite
    instance, or with nothing truncated)."""
    if not has_tail(expr, instance):
        return 0.0
    return _Errors(Bounds(instance, notation, env)).error(expr)


class _Errors:
    def __init__(self, bounds: Bounds) -> None:
        self.b = bounds
        self.instance = bounds.instance

    def error(self, expr: Basic) -> float:
        """|true − truncated| for ``expr`` (concrete: no active series index)."""
        if not has_tail(expr, self.instance):
            return 0.0
        b = self.b
        if isinstance(expr, Return):
            steps = self.instance.steps
            return b.r_max * b.gamma**steps / (1.0 - b.gamma)
        if isinstance(expr, Add):
            return sum(self.error(a) for a in expr.args)
        if isinstance(expr, Mul):
            sizes = [b.magnitude(a).value() for a in expr.args]
            errors = [self.error(a) for a in expr.args]
            widened = [m + e for m, e in zip(sizes, errors, strict=True)]
            return float(np.prod(widened) - np.prod(sizes))
        if isinstance(expr, Pow) and expr.exp.is_Integer and int(expr.exp) >= 1:
            size, error = b.magnitude(expr.base).value(), self.error(expr.base)
            return (size + error) ** int(expr.exp) - size ** int(expr.exp)
        if isinstance(expr, Expectation):
            return self.error(expr.expr)
        if isinstance(expr, (StateSum, ActionSum)):  # Σ over finitely many: term by term
            return self.b._count(expr) * self.error(expr.expr)
        if isinstance(expr, Sum):
            return self._each_term(expr, self.error)
        if isinstance(expr, InfiniteSum):
            return self._series(expr, self.error, b.magnitude)
        if isinstance(expr, Grad):
            return self.gradient_error(expr.expr)
        raise NotEvaluable(
            f"an infinite sum inside {show(expr)} is truncated, and what that changes is not "
            "bounded here (only through +, ·, powers, E, ∇, Σ_t, Σ_s and Σ_a)"
        )

    def gradient_error(self, expr: Basic) -> float:
        """|∂_k true − ∂_k truncated| for ``expr`` (every coordinate k)."""
        b = self.b
        theta = b.notation.theta
        if not has_tail(expr, self.instance) or theta not in expr.free_symbols:
            return 0.0
        if isinstance(expr, Add):
            return sum(self.gradient_error(a) for a in expr.args)
        if isinstance(expr, Mul):
            tails = [a for a in expr.args if has_tail(a, self.instance)]
            if len(tails) != 1:
                raise NotEvaluable(f"∇_θ {show(expr)}: a product of truncated series")
            (x,) = tails
            rest = Mul(*(a for a in expr.args if a is not x))
            return b.gradient(rest).value() * self.error(x) + b.magnitude(
                rest
            ).value() * self.gradient_error(x)
        if isinstance(expr, Expectation):
            return sum(self._expectation_gradient_error(t) for t in b._spread(expr))
        if isinstance(expr, (StateSum, ActionSum)):
            return b._count(expr) * self.gradient_error(expr.expr)
        if isinstance(expr, Sum):
            return self._each_term(expr, self.gradient_error)
        if isinstance(expr, InfiniteSum):
            return self._series(expr, self.gradient_error, b.gradient)
        raise NotEvaluable(f"∇_θ {show(expr)}: what truncating its series changes is not bounded")

    def _expectation_gradient_error(self, term: Basic) -> float:
        if not has_tail(term, self.instance):
            return 0.0
        if isinstance(term, Expectation):
            raise NotEvaluable(
                f"∇_θ {show(term)}: what truncating its series changes is not bounded"
            )
        return self.gradient_error(term)

    def _each_term(self, expr: Sum, of) -> float:
        b = self.b
        saved = dict(b.env)
        total = 0.0
        try:
            for term_env in term_assignments(expr, b.env):
                b.env = {**saved, **term_env}
                total += of(expr.function)
        finally:
            b.env = saved
        return total

    def _series(self, expr: InfiniteSum, each, bound_of) -> float:
        """The kept terms' own errors, plus the bound of the terms left out."""
        b = self.b
        body, index = expr.function, expr.index
        lower = series_lower(expr, b.env)
        last = last_term(expr, self.instance, b.env)
        saved = dict(b.env)
        total = 0.0
        try:
            for t in range(lower, last + 1):
                b.env = {**saved, index.name: t}
                total += each(body)
        finally:
            b.env = saved
        start = max(last + 1, lower)
        return total + bound_of(body, (index, start)).series(b.gamma)
