"""Terms whose bound names clash with free ones, for the differential tests of the rules.

A rule that rewrites under a binder by name (``xreplace``, ``subs``) or picks a "fresh" name
that is not fresh gets such terms wrong.  :func:`clash` turns a random expression into one
with clashing names, in three moves:

* a *clash context* around it (:func:`clash_contexts`): a sibling that mentions a free time
  index t or trajectory τ (so an inner Σ_t or E_τ binds a name that is free beside it, and
  the step has a free step t), a sibling Σ_t, E_τ (E_{a'} about one state) binding a name
  free beside it, or an outer Σ_t, Σ_{t'}, E_τ (Σ_a about one state) that binds names the
  expression mentions or binds again inside it (shadowing);
* *capture-free renamings* (:func:`rebind`): the variable v of a binder B v. f renamed to a
  name w that is free elsewhere in the whole expression, or bound by an enclosing binder:

      B v. f   ↦   B w. f[v := w]            when w is not free in f

  (:func:`pgproof.kernel.binders.substitute`, the kernel's capture-avoiding substitution;
  w of v's class and assumptions), which is alpha-equivalent: the meaning is kept;
* sometimes, in a time sum Σ_{u=a}^{b} f, an inner sum binding a name that a or b mention
  (:func:`trap`): putting a for u in f must rename it, not let it capture a's name.

The contexts and the trap make a new expression (the rule's redex is still in it); the
renamings keep its meaning.

:func:`clashing_names` says which bound names of an expression are also free in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

from hypothesis import strategies as st
from sympy import Basic, Sum, Symbol

from pgproof.kernel.binders import bound_variables, declaration_of, fresh_symbol, substitute
from pgproof.kernel.state_objects import ActionExpectation, ActionSum
from pgproof.symbolic.names import fixed_order
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.traversal import replace_at

Path = tuple[int, ...]
Context = Callable[[Basic], Basic]

#: renamings tried per expression (each to a name free elsewhere or bound around it)
ROUNDS = 2


def binders(expr: Basic, path: Path = (), around: tuple[Basic, ...] = ()) -> Iterator[tuple]:
    """(path, node, variables bound by the binders around it) for every binder of ``expr``
    that :func:`rebind` can rename, in pre-order."""
    if expr.is_Atom or not expr.args:
        return
    found = declaration_of(type(expr))
    inside = around
    if found is not None and found.binds:
        if found.limits or (found.variable is not None and len(found.variable) == 1):
            yield path, expr, around
        inside = (*around, *bound_variables(expr))
    for k, arg in enumerate(expr.args):
        yield from binders(arg, (*path, k), inside)


def _compatible(old: Basic, new: Basic) -> bool:
    return (
        old != new
        and type(old) is type(new)
        and isinstance(new, Symbol)
        and new.assumptions0 == old.assumptions0
    )


def rebind(node: Basic, new: Symbol) -> Basic | None:
    """``node`` = B v. f with its (outermost) variable renamed: B new. f[v := new]; None when
    ``new`` is free in the scope (renaming would capture it) or is not of v's kind."""
    found = declaration_of(type(node))
    if found is None:
        return None
    if found.limits:
        function, limits = node.args[0], [limit.args for limit in node.args[1:]]
        if any(len(limit) != 3 for limit in limits):
            return None
        *inner, (variable, low, high) = limits
        scoped = node.func(function, *inner) if inner else function
        if not _compatible(variable, new) or new in scoped.free_symbols:
            return None
        scoped = substitute(scoped, variable, new)
        if inner:
            return node.func(scoped.args[0], *scoped.args[1:], (new, low, high))
        return node.func(scoped, (new, low, high))
    if found.variable is None or len(found.variable) != 1:
        return None
    (k,) = found.variable
    variable, args = node.args[k], list(node.args)
    if not _compatible(variable, new) or any(new in args[j].free_symbols for j in found.scope):
        return None
    for j in found.scope:
        args[j] = substitute(args[j], variable, new)
    args[k] = new
    return node.func(*args)


def renamings(expr: Basic) -> list[tuple[Path, Basic]]:
    """Every capture-free renaming of one binder of ``expr`` to a name that clashes: free
    in ``expr``, or bound by a binder around it (shadowing); as (path, renamed binder)."""
    free = expr.free_symbols
    out = []
    for path, node, around in binders(expr):
        for name in fixed_order(set(free) | set(around)):
            renamed = rebind(node, name)
            if renamed is not None:
                out.append((path, renamed))
    return out


@st.composite
def renamed(draw, expr: Basic, rounds: int = ROUNDS) -> Basic:
    """``expr`` after up to ``rounds`` drawn clashing renamings (alpha-equivalent to it)."""
    for _ in range(draw(st.integers(0, rounds))):
        options = renamings(expr)
        if not options:
            break
        path, node = draw(st.sampled_from(options))
        expr = replace_at(expr, path, node)
    return expr


def primed_time(n: Notation) -> Symbol:
    """t' of the notation's time index t (same assumptions)."""
    return fresh_symbol(n.t, {n.t.name})


@cache
def clash_contexts(n: Notation) -> st.SearchStrategy[Context]:
    """Contexts that mention or bind the names a redex binds (module docstring); most make
    a bound name clash with a free one whatever the redex is."""
    if n.scope == "state":
        a, s = n.action_symbol(), n.state_symbol()
        pi = n.policy_at(a, s)
        mean_of_pi = ActionExpectation(pi, a, pi)  # E_{a∼π}[π(a|s)], a bound beside a free
        options: list[Context] = [
            lambda h: h * pi,
            lambda h: h * pi + mean_of_pi,
            lambda h: h + pi * mean_of_pi,
        ]
        if n.policy_class != "gaussian":
            options += [
                lambda h: ActionSum(h * pi, a) * pi,
                lambda h: h * pi + ActionSum(pi, a),
            ]
        return st.sampled_from(options)
    t, tp = n.t, primed_time(n)
    _, first, last = n.time_range()
    rewards = Sum(n.r(t), n.time_range())
    return st.sampled_from(
        [
            lambda h: h * n.r(t) + rewards,
            lambda h: h * n.r(t) * rewards,
            lambda h: h * n.R() + n.expectation(n.R()),
            lambda h: h + n.density_of() * n.expectation(n.R()),
            lambda h: Sum(h * n.r(t), n.time_range()) * n.r(t),
            lambda h: Sum(h * n.r(tp), (tp, first, last)) * n.r(t),
            lambda h: n.expectation(h * n.R()) + n.density_of(),
        ]
    )


def time_sums(expr: Basic, path: Path = ()) -> Iterator[tuple[Path, Basic]]:
    """(path, Σ_{u=a}^{b} f) for every time sum of one limit in ``expr``, in pre-order."""
    if isinstance(expr, Sum) and len(expr.limits) == 1:
        yield path, expr
    for k, arg in enumerate(expr.args):
        yield from time_sums(arg, (*path, k))


def trap(node: Sum, n: Notation) -> Basic:
    """Σ_{u=a}^{b} f  ↦  Σ_{u=a}^{b} f · Σ_{w} r(s_w, a_w) r(s_u, a_u), w a name free in a or
    b where there is one (else t): a rule that puts a for u in the summand without renaming
    the inner w captures a's w."""
    (u, low, high), f = node.limits[0], node.function
    names = [w for w in fixed_order(low.free_symbols | high.free_symbols) if w != u]
    w = next((v for v in names if _compatible(u, v)), n.t if n.t != u else primed_time(n))
    _, first, last = n.time_range()
    inner = Sum(n.r(w) * n.r(u), (w, first, last))
    return Sum(f * inner, (u, low, high))


@st.composite
def clash(draw, expr: Basic, n: Notation) -> Basic:
    """``expr`` in a drawn clash context, then renamed to clash (module docstring); in the
    trajectory notations, sometimes a time sum's summand gets an inner sum binding a name
    its limits mention (:func:`trap`)."""
    if n.scope != "state" and draw(st.integers(0, 2)) == 0:
        sums = list(time_sums(expr))
        if sums:
            path, node = draw(st.sampled_from(sums))
            expr = replace_at(expr, path, trap(node, n))
    return draw(renamed(draw(clash_contexts(n))(expr)))


def clashing_names(expr: Basic) -> set[str]:
    """Names bound somewhere in ``expr`` that are also free in it."""
    free = {s.name for s in expr.free_symbols}
    bound = {v.name for _, node, _ in binders(expr) for v in bound_variables(node)}
    return bound & free


def shadowed(expr: Basic) -> bool:
    """Whether a binder of ``expr`` binds a name already bound around it."""
    return any(set(bound_variables(node)) & set(around) for _, node, around in binders(expr))


__all__ = [
    "binders",
    "clash",
    "clash_contexts",
    "clashing_names",
    "primed_time",
    "rebind",
    "renamed",
    "renamings",
    "shadowed",
    "time_sums",
    "trap",
]
