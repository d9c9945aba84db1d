"""Canonical form for comparing a rule's result with an author's claim.

Two expressions are "the same step" when their canonical forms are equal.
Every transformation here preserves equality, so comparing canonical forms is
sound; each one that needs a side condition checks it:

* ``Ratio(a, b)`` → ``a/b`` (SymPy may then cancel), only if b ≠ 0 is proved;
* ``Cancelled(x)`` (a struck-out term) → 0, only if x is provably zero;
* ``SampleMean(f, i, m)`` → ``Σ_{i=1}^{m} f / m``;
* ``Σ_t c·f`` → ``c·Σ_t f`` when c does not contain t (index-free factors);
* ``∇_θ (c·f)`` → ``c·∇_θ f`` when c does not contain θ;
* ``E_τ[c·f]`` → ``c·E_τ[f]`` and ``∫ c·f dτ`` → ``c·∫ f dτ`` when c does not contain τ;

and it refuses any Σ/∏ whose limits are not provably ordered (:func:`check_ordered_limits`).

Last, it names the bound index of every Σ/∏ canonically (:func:`rename_bound`), so that
Σ_{t=1}^{T} r(s_t,a_t) and Σ_{t'=1}^{T} r(s_{t'},a_{t'}) have the same canonical form.
The names stay readable (the canonical forms appear in reports): the index of each Σ/∏,
outermost first, gets the first of t, t', t'', … (its own name without primes, then
primed) that is neither free in that Σ/∏ (in its summand or its limits) nor bound inside
it by another binder (E_τ, Σ_{a'}, …).  So Σ_{t'} r_t, with t free, keeps t' and stays
different from Σ_t r_t; Σ_{t'=t}^{T} inside Σ_t keeps t'.

It also finds the smallest subterm where two expressions differ, for reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from sympy import Add, Basic, Mul, Poly, Product, S, Sum, Symbol

from pgproof.kernel.binders import Path, declaration_of
from pgproof.kernel.binders import at as _at
from pgproof.kernel.objects import (
    Cancelled,
    Equation,
    Expectation,
    Grad,
    Ratio,
    SampleMean,
    TrajectoryAggregate,
)
from pgproof.kernel.work import charge_each, work_spent

from .names import primed
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
    if isinstance(node, (Expectation, TrajectoryAggregate)):  # E_τ[c f] = c E_τ[f], ∫ c f dτ
        tau = node.variable
        outside, inside = _split_factors(node.expr, lambda f: tau not in f.free_symbols)
        if outside != S.One and inside != S.One:
            return outside * node.func(inside, *node.args[1:])
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
        args = tuple(bottom_up(a, _settle) for a in node.args)
        node = node.func(*args) if args != node.args else node
        new = _canonical_node(node)
    return node


def _nonnegative(d: Basic, ranges: list[tuple[Basic, Basic, Basic]]) -> bool:
    """d ≥ 0 for every value of the enclosing indices (innermost last in ``ranges``).

    Proved from the symbols' assumptions, or, for d linear in an enclosing index, at the end
    of its range where d is least (recursively outwards): at the lower end when d grows
    with the index, the upper end when it falls, both when the slope's sign is unknown.  An
    enclosing range with no values leaves nothing to check, so each range is taken as
    nonempty there."""
    if d.is_nonnegative:
        return True
    for k in range(len(ranges) - 1, -1, -1):
        index, low, high = ranges[k]
        if index in d.free_symbols:
            if not d.is_polynomial(index) or Poly(d, index).degree() > 1:
                return False
            outer = ranges[:k]
            slope = d.diff(index)
            ends = [low] if slope.is_nonnegative else [high] if slope.is_nonpositive else []
            return all(_nonnegative(d.subs(index, end), outer) for end in ends or [low, high])
    return False


@dataclass(frozen=True, eq=False)
class StepRange:
    """The author's free time index read as a step of the trajectory, first ≤ t ≤ last (how
    pgproof reads a free t, numerically too).  A proof that needs it adds ``words`` to
    ``notes`` (the step's report says so)."""

    index: Basic
    first: Basic
    last: Basic
    words: str
    notes: list[str] = field(default_factory=list)

    def used(self) -> None:
        if self.words not in self.notes:
            self.notes.append(self.words)


def nonnegative_for_steps(d: Basic, steps: StepRange | None = None) -> bool:
    """d ≥ 0 for every value of its symbols, or (said in ``steps.notes``) for every step the
    free time index may be."""
    return _ordered(d, [], steps)


def _ordered(d: Basic, ranges: list[tuple[Basic, Basic, Basic]], steps: StepRange | None) -> bool:
    """d ≥ 0 for every value of the enclosing indices, or for every step t (stated)."""
    if _nonnegative(d, ranges):
        return True
    if steps is None or steps.index not in d.free_symbols:
        return False
    if not _nonnegative(d, [(steps.index, steps.first, steps.last), *ranges]):
        return False
    steps.used()
    return True


def check_ordered_limits(
    expr: Basic, ranges: list | None = None, steps: StepRange | None = None
) -> None:
    """Every Σ/∏_{t=a}^{b} in ``expr`` has a ≤ b + 1, provably (raises :class:`Refusal`).

    A reader reads Σ_{t=3}^{1} as empty; SymPy reads it by Karr's convention as
    −Σ_{t=2}^{2}.  pgproof uses neither: a sum or product whose limits are not provably
    ordered is refused (b = a − 1 is the empty sum, and is ordered)."""
    ranges = [] if ranges is None else ranges
    if isinstance(expr, (Sum, Product)):
        inner = list(ranges)
        for index, low, high in reversed(expr.limits):  # SymPy lists the innermost first
            if not _ordered(high - low + 1, inner, steps):
                symbol = "Σ" if isinstance(expr, Sum) else "∏"
                raise Refusal(
                    expr,
                    f"{symbol}_{{{show(index)}={show(low)}}}^{{{show(high)}}}: the limits are "
                    f"not provably ordered ({show(low)} ≤ {show(high)} + 1); a reversed range "
                    "has no agreed meaning (empty to a reader, Karr's convention to SymPy)",
                    condition="reversed_range",
                )
            inner.append((index, low, high))
        check_ordered_limits(expr.function, inner, steps)
        return
    for arg in expr.args:
        check_ordered_limits(arg, ranges, steps)


def _canonical_unnamed(expr: Basic, steps: StepRange | None) -> Basic:
    """The canonical form with the bound indices as written.

    The limits are checked as written, and again once rewritten if a sample mean became a
    Σ, each time in the context of the enclosing Σ/∏: a subterm checked on its own would
    refuse Σ_{t'=t}^{T} for want of the range of t."""
    check_ordered_limits(expr, steps=steps)
    out = bottom_up(expr, _settle)
    if out != expr and expr.has(SampleMean):
        check_ordered_limits(out, steps=steps)
    return out


#: rounds of renaming and settling again (renaming may make terms alike: Σ_t + Σ_{t'} = 2Σ_t)
_MAX_ROUNDS = 3


#: canonical forms this process computed: (expr, step range) -> (form or refusal, whether
#: the step range was used, units of work).  The same expression recurs across a step's
#: candidates, a search and the derivations of one run; a hit replays what the computation
#: did (the work, as if charged one unit at a time as it was, and the step range's words),
#: so a verdict is the same whether or not an earlier computation is remembered.
_MEMO: dict[tuple[Basic, tuple[Basic, Basic, Basic] | None], tuple[Basic | Refusal, bool, int]] = {}
#: at most this many entries (then the memo starts again: a long session stays small)
_MEMO_SIZE = 4096


def canonical(expr: Basic, steps: StepRange | None = None) -> Basic:
    """Bottom-up canonical form, bound indices named canonically (raises :class:`Refusal`
    when a side condition fails).  ``steps``: the free time index is a step (limits ordered
    only for steps count as ordered, and say so in ``steps.notes``).  Remembered per
    (expression, step range): see _MEMO."""
    key = (expr, None if steps is None else (steps.index, steps.first, steps.last))
    hit = _MEMO.get(key)
    if hit is None:
        # a probe of the same range (its own notes) tells whether this computation needs it
        probe = None
        if steps is not None:
            probe = StepRange(steps.index, steps.first, steps.last, steps.words)
        spent = work_spent()
        try:
            form: Basic | Refusal = _computed(expr, probe)
        except Refusal as refusal:
            form = refusal
        hit = (form, probe is not None and bool(probe.notes), work_spent() - spent)
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = hit
    else:
        charge_each(hit[2])
    form, used, _units = hit
    if used and steps is not None:
        steps.used()
    if isinstance(form, Refusal):
        raise Refusal(form.subterm, form.reason, form.rule, condition=form.condition)
    return form


def _computed(expr: Basic, steps: StepRange | None) -> Basic:
    out = _canonical_unnamed(expr, steps)
    for _ in range(_MAX_ROUNDS):
        renamed = rename_bound(out)
        if renamed == out:
            break
        out = bottom_up(renamed, _settle)
        if out == renamed:
            break
    return out


# --------------------------------------------------------------------------- bound indices
#
# Renaming a bound index is sound when it is capture-free: the new name is not free in the
# Σ/∏ (so no free symbol becomes bound) and is not the variable of another binder inside it
# (E, ∫, Σ_{a'}, …: the index would become theirs).  An expression with a binder whose
# scopes this module does not know is left as written.  The indices are renamed
# simultaneously (t ↦ t', t' ↦ t'' at once), outermost first, each from what is free in
# its Σ/∏ and around it (:class:`_Renamer`), so alpha-equivalent expressions are named
# alike; the renaming is a bijection on each scope, so expressions that are not
# alpha-equivalent stay apart.

#: how the names of a renamed index are made: its family's base name (then primed)
Family = Callable[[Symbol], str]


def readable(index: Symbol) -> str:
    """t, t', t'' are one family (base t): the index is renamed within it."""
    return index.name.rstrip("'") or index.name


def anonymous(index: Symbol) -> str:
    """One family for every index (whatever its name); not a name LaTeX gives."""
    return "_"


class _Foreign(Exception):
    """A binder this module does not know: names are left as written."""


def _unknown_binder(cls: type) -> bool:
    """Whether ``cls`` binds symbols in a way no declaration states (∫ dx, λ, d/dx): its
    scopes are unknown, so no index of an expression containing one is renamed."""
    return declaration_of(cls) is None


def _kept_binder(node: Basic) -> tuple[Path, tuple[int, ...]] | None:
    """The path to the variable of a binder whose variable is not renamed (every declared
    binder but Σ/∏), and the arguments in its scope."""
    found = declaration_of(type(node))
    if found is None or found.limits or found.variable is None:
        return None
    if _at(node, found.variable) is None:
        return None
    return found.variable, found.scope


def _survey(expr: Basic) -> bool:
    """Whether ``expr`` has a Σ/∏ to rename (raises :class:`_Foreign` for a binder this
    module does not know)."""
    found = False
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.is_Atom:
            continue
        if isinstance(node, (Sum, Product)):
            if any(len(limit) != 3 for limit in node.limits):
                raise _Foreign
            found = True
        elif _unknown_binder(type(node)):
            raise _Foreign
        stack.extend(node.args)
    return found


def _kept_inside(node: Basic) -> frozenset[str]:
    """The names of the variables of the kept binders in ``node``: no index around them may
    be renamed to one."""
    names: set[str] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if node.is_Atom:
            continue
        kept = _kept_binder(node)
        if kept is not None:
            var = _at(node, kept[0])
            if var is not None:
                names.add(getattr(var, "name", str(var)))
        stack.extend(node.args)
    return frozenset(names)


def _fresh(index: Symbol, taken: set[str], family: Family) -> Symbol:
    """The first name of ``index``'s family not in ``taken``, with ``index``'s assumptions."""
    return Symbol(primed(family(index), taken), **index.assumptions0)


def _names(symbols: set[Basic], env: Mapping[Basic, Basic]) -> frozenset[str]:
    return frozenset(getattr(env.get(s, s), "name", "") for s in symbols)


class _Renamer:
    """Renames top-down.  ``env`` maps the indices in scope to their new symbols.  ``near``
    holds names a reader sees around a node: the indices and variables of the binders around
    it, and what is free in its term (the nearest side of an equation or term of a sum
    around it).  No index is renamed to one of them either: the renaming is sound without
    them, they keep the forms readable (r_t·Σ_{t'=1}^{T} 1, Σ_t (g_t + Σ_{t'=1}^{T} r_{t'})
    and E[Σ_{t'} r_{t'} | s_t] keep t'), and another term or side does not change them."""

    def __init__(self, family: Family) -> None:
        self.family = family

    def __call__(
        self, node: Basic, env: Mapping[Basic, Basic], near: frozenset[str], term: bool
    ) -> Basic:
        if node.is_Atom:
            return env.get(node, node) if isinstance(node, Symbol) else node
        split = isinstance(node, (Add, Equation))
        if term and not split:
            near = near | _names(node.free_symbols, env)
        if isinstance(node, (Sum, Product)):
            return self.limits(node, env, near)
        kept = _kept_binder(node)
        if kept is None:
            args = tuple(self(a, env, near, split) for a in node.args)
        else:  # its variable is its own inside its scope
            path, scope = kept
            var = _at(node, path)
            inner = {k: v for k, v in env.items() if k != var}
            near_inner = near | _names({var}, {})
            args = tuple(
                a
                if (k,) == path
                else self(a, inner, near_inner, False)
                if k in scope
                else self(a, env, near, False)
                for k, a in enumerate(node.args)
            )
        return node.func(*args) if args != node.args else node

    def limits(
        self, node: Sum | Product, env: Mapping[Basic, Basic], near: frozenset[str]
    ) -> Basic:
        """Σ_{t_k} … Σ_{t_0} f (SymPy lists the innermost limit first), outermost first."""
        function, limits = node.function, node.limits
        free = set(function.free_symbols)
        scopes = []  # free symbols of Σ over limits[0..j] of f, for each j
        for index, low, high in limits:
            free.discard(index)
            free |= low.free_symbols | high.free_symbols
            scopes.append(set(free))
        kept = _kept_inside(node)
        new_limits: list[tuple[Basic, Basic, Basic]] = [None] * len(limits)  # type: ignore[list-item]
        for j in range(len(limits) - 1, -1, -1):
            index, low, high = limits[j]
            new = _fresh(index, _names(scopes[j], env) | kept | near, self.family)
            new_limits[j] = (new, self(low, env, near, False), self(high, env, near, False))
            env = {**env, index: new}
            near = near | {new.name}
        body = self(function, env, near, False)
        if body == function and tuple(new_limits) == limits:
            return node
        return node.func(body, *new_limits)


def rename_bound(expr: Basic, family: Family = readable) -> Basic:
    """``expr`` with the index of every Σ/∏ named canonically (alpha-equivalent expressions
    give equal results, others do not): outermost first, the first name of the index's
    ``family`` that is neither free in that Σ/∏ nor the variable of another binder inside
    it (τ of E, ∫, Σ_τ; i of a sample mean; …), with the index's assumptions.  The variables
    of the other binders are kept.  Expressions with a binder this module does not know
    (∫ dx, λ) are returned as they are."""
    return _rename_bound(expr, family)


@lru_cache(maxsize=1024)  # the checker and the search canonicalise the same terms again
def _rename_bound(expr: Basic, family: Family) -> Basic:
    try:
        if not _survey(expr):
            return expr
    except _Foreign:
        return expr
    return _Renamer(family)(expr, {}, frozenset(), True)


def alpha_equal(a: Basic, b: Basic) -> bool:
    """a and b are equal up to the names of the Σ/∏ indices, whatever their names
    (Σ_u Σ_v g(u,v) and Σ_t Σ_{t'} g(t,t')); :func:`canonical` renames only within a
    family of names (t, t', t''), which is all the notation lets an author write."""
    return a == b or rename_bound(a, anonymous) == rename_bound(b, anonymous)


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
