"""Algebra: rearrangements SymPy can prove, and multiplying by p/p.

a = b   accepted only if SymPy proves a − b = 0 (``simplify``), with ∇, E,
        ∫, Σ_τ and the distributions treated as opaque symbols — calculus
        needs its own named rule — and only where both sides mean the same
        thing: a log, a division or a fractional power that one side has and
        the other has not needs its argument positive, nonzero or nonnegative
        by what is known of it (π_θ > 0 on the support, a declared positive
        constant), never by SymPy's ``force``;
f = (p/p) f   for p ≠ 0 (the factor is shown, not cancelled).

A factor free of a bound action comes out of Σ_{a'} and E_{a'∼π_θ(·|s)} before SymPy
compares (Σ_{a'} c f(a') = c Σ_{a'} f(a'), as the canonical form does for Σ_t): moving a
normaliser into a sum over actions is algebra.
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Add, Basic, Function, Mul, Pow, Product, S, Sum, expand, simplify

from pgproof.budget import MAX_RANGE, SizeLimit, charge
from pgproof.kernel.objects import (
    ConditionalExpectation,
    DeclaredFunction,
    Equation,
    Expectation,
    Grad,
    Ratio,
    TrajectoryAggregate,
)
from pgproof.kernel.state_objects import ActionExpectation, ActionSum

from ..canonical import StepRange, canonical, is_nonzero, size
from ..domain import check_same_domain
from ..names import fixed_order
from ..refusal import Refusal
from ..text import show
from ..traversal import bottom_up
from .base import Context, rule

_OPAQUE = (
    Grad,
    Expectation,
    ConditionalExpectation,
    DeclaredFunction,
    TrajectoryAggregate,
    ActionSum,
    ActionExpectation,
)
#: the most terms algebra lets SymPy expand an expression into
MAX_EXPANSION = 10_000
#: units of work charged for each term ``expand`` would make (a count cannot stop SymPy
#: once it has started, so the work is charged before the call)
EXPAND_UNITS = 200
#: units of work charged for each node of an expression handed to SymPy's ``simplify``,
#: times one more than the Σ/∏ in it (SymPy tries to evaluate each), times (D − 1)² for
#: an integer power D > 2 in it (SymPy factors polynomials of that degree): measured on
#: the bundle, about 1-4 ms a node, more with every Σ; ∏ (T+t)^1000 takes minutes
SIMPLIFY_UNITS = 60


def opaque(expr: Basic, table: dict[Basic, Basic]) -> Basic:
    """Replace ∇, E, E[·|G], ∫/Σ_τ and declared functions by undefined functions of their
    free symbols.

    SymPy's ``simplify`` would otherwise evaluate ∇ through ``doit()`` and do
    calculus. Keeping the free symbols as arguments keeps the dependence on
    summation indices (Σ_t of an opaque term must not become T times it).
    """
    if isinstance(expr, _OPAQUE) or _long_range(expr):
        if expr not in table:
            args = sorted(expr.free_symbols, key=str)
            table[expr] = Function(f"_opaque{len(table)}")(*args)
        return table[expr]
    if expr.is_Atom or not expr.args:
        return expr
    args = tuple(opaque(a, table) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr


def factors_out_of_actions(expr: Basic) -> Basic:
    """Σ_{a'} c f(a') → c Σ_{a'} f(a') and E_{a'}[c f(a')] → c E_{a'}[f(a')], c free of a'."""

    def settle(node: Basic) -> Basic:
        if not isinstance(node, (ActionSum, ActionExpectation)):
            return node
        action = node.variable
        factors = Mul.make_args(node.expr)
        outside = [f for f in factors if action not in f.free_symbols]
        if not outside:
            return node
        inside = [f for f in factors if action in f.free_symbols]
        return Mul(*outside) * node.func(Mul(*inside), *node.args[1:])

    return bottom_up(expr, settle)


def _long_range(expr: Basic) -> bool:
    """A Σ/∏ over more than MAX_RANGE concrete terms (∏_{t=1}^{10^100} 2): kept opaque, as
    SymPy would evaluate it term by term or as a number of 10^100 digits."""
    if not isinstance(expr, (Sum, Product)):
        return False
    for _, low, high in expr.limits:
        length = high - low + 1
        if length.is_Integer and int(length) > MAX_RANGE:
            return True
        if any(n.is_Integer and abs(int(n)) > MAX_RANGE for n in (low, high)):
            return True
    return False


def expansion_size(expr: Basic) -> int:
    """How many terms ``expand`` would produce, at most (a product of sums multiplies)."""
    if isinstance(expr, Add):
        return sum(expansion_size(a) for a in expr.args)
    if isinstance(expr, Mul):
        size = 1
        for factor in expr.args:
            size *= expansion_size(factor)
            if size > MAX_EXPANSION:
                return size
        return size
    if isinstance(expr, Pow) and expr.exp.is_Integer and int(expr.exp) > 1:
        base = expansion_size(expr.base)
        return base ** min(int(expr.exp), 64) if base > 1 else 1
    return 1


def provably_equal(
    a: Basic, b: Basic, *, thorough: bool = True, steps: StepRange | None = None
) -> bool:
    """SymPy proves a − b = 0 (a False is "not proved", never "unequal").

    The work of ``expand`` and ``simplify`` is charged before each is called
    (:data:`EXPAND_UNITS`, :func:`simplify_cost`): an expression whose simplification the
    budget cannot afford (a power of degree 1000), or whose expansion would pass
    MAX_EXPANSION terms (a product of 400 sums: :class:`SizeLimit`), leaves the step
    undecided.  Not ``thorough``, only canonical forms and
    ``expand`` are tried (no ``simplify``: a quick look)."""
    a, b = factors_out_of_actions(canonical(a, steps)), factors_out_of_actions(canonical(b, steps))
    if a == b:
        return True
    table: dict[Basic, Basic] = {}
    difference = opaque(a, table) - opaque(b, table)
    if difference == S.Zero:
        return True
    terms = expansion_size(difference)
    if terms > MAX_EXPANSION:  # whatever the budget: a size limit
        raise SizeLimit(
            f"expanding it would make {terms:,} terms or more, more than the "
            f"{MAX_EXPANSION:,} pgproof lets SymPy make"
        )
    charge(EXPAND_UNITS * terms)
    if expand(difference) == S.Zero:
        return True
    if not thorough:
        return False
    charge(simplify_cost(difference))
    return simplify(difference) == S.Zero


def simplify_cost(expr: Basic) -> int:
    """The units of work charged for ``simplify(expr)`` (see :data:`SIMPLIFY_UNITS`)."""
    degree = max(
        (abs(int(p.exp)) for p in expr.atoms(Pow) if p.exp.is_Integer), default=1
    )
    sums = len(expr.atoms(Sum, Product))
    return SIMPLIFY_UNITS * size(expr) * (1 + sums) * max(1, degree - 1) ** 2


@rule(
    "algebra", aliases=("simplify", "rearrange", "simplification"), root_only=True,
    label="algebra",
    phrases=(
        "algebra", "simplify", "simplification", "simplifying", "rearrange", "rearranging",
        "cancel", "cancelling", "collect terms", "expand", "multiply out", "arithmetic", "reorder",
        "commute",
    ),
    priority=230,
)
def algebra(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = b when SymPy proves a − b = 0 (opaque ∇, E, ∫, Σ_τ; the same domain both sides)."""
    claim = ctx.claim
    if claim is None or not isinstance(node, Equation):
        return None
    for ours, theirs in zip(node.args, claim.args, strict=True):
        check_same_domain(ours, theirs)
        if not provably_equal(ours, theirs, thorough=ctx.thorough, steps=ctx.steps):
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
    for ratio in fixed_order(ctx.claim.atoms(Ratio)):
        if ratio.numerator == ratio.denominator:
            return ratio.numerator
    return None


@rule(
    "multiply_divide", aliases=("multiply_and_divide", "multiply_by_one"), everywhere=False,
    label="multiplied and divided",
    phrases=(
        "multiply and divide", "multiply by one", "multiply by p over p", "p over p",
        "multiply every term", "which is possible since it s 1",
    ),
    priority=900,
)
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


@rule(
    "restate", aliases=("recall", "same"), root_only=True,
    label="restated",
    phrases=(
        "restate", "as before", "repeat", "recall", "same as above",
    ),
    priority=900,
    inferred=False,  # the empty chain: the search tries it first
)
def restate(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = a: the step repeats an earlier one."""
    return [node]
