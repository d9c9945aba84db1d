"""Canonical form for comparing a rule's result with an author's claim.

Two expressions are "the same step" when their canonical forms are equal.
Every transformation here preserves equality, so comparing canonical forms is
sound; each one that needs a side condition checks it:

* ``Ratio(a, b)`` → ``a/b`` (SymPy may then cancel), only if b ≠ 0 is proved;
* ``Cancelled(x)`` (a struck-out term) → 0, only if x is provably zero;
* ``SampleMean(f, i, m)`` → ``Σ_{i=1}^{m} f / m``;
* ``Σ_t c·f`` → ``c·Σ_t f`` when c does not contain t (index-free factors);
* ``∇_θ (c·f)`` → ``c·∇_θ f`` when c does not contain θ;

and it refuses any Σ/∏ whose limits are not provably ordered (:func:`check_ordered_limits`).

It also finds the smallest subterm where two expressions differ, for reports.
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import Add, Basic, Mul, Poly, Product, S, Sum

from .objects import Cancelled, Equation, Grad, Ratio, SampleMean
from .refusal import Refusal
from .text import show
from .traversal import bottom_up


def is_provably_zero(expr: Basic) -> bool:
    """True when expr is 0, ∇_θ f with f free of θ, or a sum/product forcing zero."""
    if expr == S.Zero:
        return True
    if isinstance(expr, Grad):
        return expr.variable not in expr.expr.free_symbols or is_provably_zero(expr.expr)
    if isinstance(expr, Add):
        return all(is_provably_zero(a) for a in expr.args)
    if isinstance(expr, Mul):
        return any(is_provably_zero(a) for a in expr.args)
    if isinstance(expr, Cancelled):
        return is_provably_zero(expr.expr)
    return False


def is_nonzero(expr: Basic) -> bool:
    return bool(expr.is_nonzero) or bool(expr.is_positive)


def _split_factors(expr: Basic, keep: Callable[[Basic], bool]) -> tuple[Basic, Basic]:
    """Split a product into (factors satisfying ``keep``, the rest)."""
    factors = Mul.make_args(expr)
    out = [f for f in factors if keep(f)]
    rest = [f for f in factors if not keep(f)]
    return Mul(*out), Mul(*rest)


def _canonical_node(node: Basic) -> Basic:
    if isinstance(node, Ratio):
        if not is_nonzero(node.denominator):
            raise Refusal(
                node,
                f"cannot divide by {show(node.denominator)}: it is not known to be nonzero",
                condition="not_nonzero",
            )
        return node.numerator / node.denominator
    if isinstance(node, Cancelled):
        if not is_provably_zero(node.expr):
            raise Refusal(
                node, f"the struck-out term {show(node.expr)} is not zero", condition="not_zero"
            )
        return S.Zero
    if isinstance(node, SampleMean):
        return node.doit()
    if isinstance(node, Sum):
        return _sum_canonical(node)
    if isinstance(node, Grad):
        theta = node.variable
        outside, inside = _split_factors(node.expr, lambda f: theta not in f.free_symbols)
        if outside != S.One and inside != S.One:
            return outside * Grad(inside, theta)
    return node


def _sum_canonical(node: Sum) -> Basic:
    """Σ over each limit, innermost first, with factors free of its index taken out.

    SymPy flattens ``Sum(Sum(f, t), i)`` into ``Sum(f, t, i)``; rebuilding one
    limit at a time makes nested and flattened sums compare equal.
    """
    value = node.function
    for limit in node.limits:
        index = limit[0]
        outside, inside = _split_factors(value, lambda f, i=index: i not in f.free_symbols)
        value = outside * Sum(inside, limit)
    return value


def _settle(node: Basic) -> Basic:
    """Rewrite a node whose arguments are canonical until it stops changing."""
    new = _canonical_node(node)
    while new != node:
        node = new
        if node.is_Atom:
            break
        args = tuple(canonical(a) for a in node.args)
        node = node.func(*args) if args != node.args else node
        new = _canonical_node(node)
    return node


def _nonnegative(d: Basic, ranges: list[tuple[Basic, Basic, Basic]]) -> bool:
    """d ≥ 0 for every value of the enclosing indices (innermost last in ``ranges``).

    Proved from the symbols' assumptions, or, for d linear in an enclosing index, at both
    ends of its range (recursively outwards)."""
    if d.is_nonnegative:
        return True
    for k in range(len(ranges) - 1, -1, -1):
        index, low, high = ranges[k]
        if index in d.free_symbols:
            if not d.is_polynomial(index) or Poly(d, index).degree() > 1:
                return False
            outer = ranges[:k]
            return _nonnegative(d.subs(index, low), outer) and _nonnegative(
                d.subs(index, high), outer
            )
    return False


def check_ordered_limits(expr: Basic, ranges: list | None = None) -> None:
    """Every Σ/∏_{t=a}^{b} in ``expr`` has a ≤ b + 1, provably (raises :class:`Refusal`).

    A reader reads Σ_{t=3}^{1} as empty; SymPy reads it by Karr's convention as
    −Σ_{t=2}^{2}.  pgproof uses neither: a sum or product whose limits are not provably
    ordered is refused (b = a − 1 is the empty sum, and is ordered)."""
    ranges = [] if ranges is None else ranges
    if isinstance(expr, (Sum, Product)):
        inner = list(ranges)
        for index, low, high in reversed(expr.limits):  # SymPy lists the innermost first
            if not _nonnegative(high - low + 1, inner):
                symbol = "Σ" if isinstance(expr, Sum) else "∏"
                raise Refusal(
                    expr,
                    f"{symbol}_{{{show(index)}={show(low)}}}^{{{show(high)}}}: the limits are "
                    f"not provably ordered ({show(low)} ≤ {show(high)} + 1); a reversed range "
                    "has no agreed meaning (empty to a reader, Karr's convention to SymPy)",
                    condition="reversed_range",
                )
            inner.append((index, low, high))
        check_ordered_limits(expr.function, inner)
        return
    for arg in expr.args:
        check_ordered_limits(arg, ranges)


def canonical(expr: Basic) -> Basic:
    """Bottom-up canonical form (raises :class:`Refusal` when a side condition fails)."""
    check_ordered_limits(expr)
    return bottom_up(expr, _settle)


def size(expr: Basic) -> int:
    return 1 + sum(size(a) for a in expr.args)


def smallest_difference(a: Basic, b: Basic) -> tuple[Basic, Basic] | None:
    """The smallest pair of subterms (of a, of b) outside of which a and b agree.

    Descends while both have the same head and differ in exactly one argument
    (for sums and products the arguments are matched as multisets). Returns
    None when a == b.
    """
    if a == b:
        return None
    if isinstance(a, Equation) and isinstance(b, Equation):
        diffs = [(x, y) for x, y in zip(a.args, b.args, strict=True) if x != y]
        if len(diffs) == 1:
            return smallest_difference(*diffs[0])
        return a, b
    if a.func != b.func or not a.args or not b.args:
        return a, b
    if isinstance(a, (Add, Mul)):
        left = list(a.args)
        right = list(b.args)
        for x in a.args:
            if x in right:
                right.remove(x)
                left.remove(x)
        if len(left) == 1 and len(right) == 1:
            return smallest_difference(left[0], right[0])
        return a.func(*left) if left else a.func.identity, b.func(*right) if right else (
            b.func.identity
        )
    if len(a.args) != len(b.args):
        return a, b
    diffs = [(x, y) for x, y in zip(a.args, b.args, strict=True) if x != y]
    if len(diffs) == 1:
        return smallest_difference(*diffs[0])
    return a, b
