"""Algebra: rearrangements SymPy can prove, and multiplying by p/p.

a = b   accepted only if SymPy proves a − b = 0 (``simplify``), with ∇, E,
        ∫, Σ_τ and the distributions treated as opaque symbols — calculus
        needs its own named rule — and only where both sides mean the same
        thing: a log, a division or a fractional power that one side has and
        the other has not needs its argument positive, nonzero or nonnegative
        by what is known of it (π_θ > 0 on the support, a declared positive
        constant), never by SymPy's ``force``;
f = (p/p) f   for p ≠ 0 (the factor is shown, not cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic, Function, S, expand, simplify

from ..canonical import canonical, is_nonzero
from ..domain import check_same_domain
from ..objects import Equation, Expectation, Grad, Ratio, TrajectoryAggregate
from ..refusal import Refusal
from ..text import show
from .base import Context, rule

_OPAQUE = (Grad, Expectation, TrajectoryAggregate)


def opaque(expr: Basic, table: dict[Basic, Basic]) -> Basic:
    """Replace ∇, E and ∫/Σ_τ by undefined functions of their free symbols.

    SymPy's ``simplify`` would otherwise evaluate ∇ through ``doit()`` and do
    calculus. Keeping the free symbols as arguments keeps the dependence on
    summation indices (Σ_t of an opaque term must not become T times it).
    """
    if isinstance(expr, _OPAQUE):
        if expr not in table:
            args = sorted(expr.free_symbols, key=str)
            table[expr] = Function(f"_opaque{len(table)}")(*args)
        return table[expr]
    if expr.is_Atom or not expr.args:
        return expr
    args = tuple(opaque(a, table) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr


def provably_equal(a: Basic, b: Basic) -> bool:
    """SymPy proves a − b = 0 (a False is "not proved", never "unequal")."""
    a, b = canonical(a), canonical(b)
    if a == b:
        return True
    table: dict[Basic, Basic] = {}
    difference = opaque(a, table) - opaque(b, table)
    if expand(difference) == S.Zero:
        return True
    return simplify(difference) == S.Zero


@rule("algebra", aliases=("simplify", "rearrange", "simplification"), root_only=True)
def algebra(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = b when SymPy proves a − b = 0 (opaque ∇, E, ∫, Σ_τ; the same domain both sides)."""
    claim = ctx.claim
    if claim is None or not isinstance(node, Equation):
        return None
    for ours, theirs in zip(node.args, claim.args, strict=True):
        check_same_domain(ours, theirs)
        if not provably_equal(ours, theirs):
            raise Refusal(
                theirs,
                f"SymPy cannot prove {show(ours)} = {show(theirs)}",
                condition="not_proved",
            )
    return [node.func(*claim.args)]  # the relation (= or ≈) is the source's


def _factor(ctx: Context) -> Basic | None:
    """The factor to multiply and divide by: given, or read off a p/p in the claim."""
    if ctx.factor is not None:
        return ctx.factor
    if ctx.claim is None:
        return None
    for ratio in ctx.claim.atoms(Ratio):
        if ratio.numerator == ratio.denominator:
            return ratio.numerator
    return None


@rule("multiply_divide", aliases=("multiply_and_divide", "multiply_by_one"), everywhere=False)
def multiply_divide(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """f = (p/p) f   for p ≠ 0."""
    if isinstance(node, Equation):
        return None
    p = _factor(ctx)
    if p is None:
        return None
    if not is_nonzero(p):
        raise Refusal(
            p,
            f"multiplying and dividing by {show(p)} needs {show(p)} ≠ 0: it is not known to be"
            " nonzero",
            condition="not_nonzero",
        )
    return [Ratio(p, p) * node]


@rule("restate", aliases=("recall", "same"), root_only=True)
def restate(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = a: the step repeats an earlier one."""
    return [node]
