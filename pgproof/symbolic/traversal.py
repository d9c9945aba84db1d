"""One walk over pgproof's expressions, shared by the rules, the mutations and the canonical form.

What it knows is which arguments of an object are *bodies that bind an index*:

    Σ_{t=a}^{b} f, ∏_{t=a}^{b} f   the summand f (not the limits)
    Σ_{t=a}^{∞} f                  the summand f (not the index or the lower limit)
    E_{τ∼p}[f], ∫ f dτ, Σ_τ f      the body f (not the density or the variable)
    E_{τ∼p}[f | s_t, a_t]          the body f (not the density or what is given)
    ∇_θ f                          f (not θ)
    (1/m) Σ_{i=1}^{m} f            f (not i or m)

and which objects are leaves for rewriting (π_θ(a|s), p(s'|s,a), r(s,a), R(τ), p_θ(τ),
J(θ), s_t, a_t, τ^(i), a declared function b(s_t), θ^⊤φ: rules treat them whole, though
their arguments are expressions).

* :func:`positions` — pre-order (path, node) pairs, descending by a ``children`` function:
  :func:`rewritable_children` (the rules: bodies only, leaves whole),
  :func:`linear_children` (estimate rules: only where the expression is linear in the
  node, so an unbiased estimate of the node gives one of the whole), or
  :func:`mutable_children` (the mutations: also inside π, p and r, not inside s_t, a_t, τ^(i));
* :func:`replace_at` — the expression with the node at a path replaced;
* :func:`bottom_up` — rebuild every node from its rebuilt arguments, then apply a function,
  like ``sympy.strategies.traverse.bottom_up``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sympy import Add, Basic, Mul, Sum

from pgproof.budget import charge
from pgproof.kernel.binders import declaration_of
from pgproof.kernel.objects import (
    Equation,
    Expectation,
    SampledTrajectory,
    SampleMean,
    TrajectoryAggregate,
)

Path = tuple[int, ...]
Children = Callable[[Basic], tuple[int, ...]]


def rewritable_children(node: Basic) -> tuple[int, ...]:
    """The arguments rules may rewrite, as the node's class declares them: a binder's body;
    none of a leaf; all of the rest."""
    if node.is_Atom:
        return ()
    found = declaration_of(type(node))
    if found is not None and found.leaf:
        return ()
    if found is None or found.body is None:
        return tuple(range(len(node.args)))
    return found.body


def is_random(expr: Basic) -> bool:
    """Whether ``expr`` is (or may become, by an estimate) a function of sampled trajectories."""
    return bool(expr.atoms(Expectation, SampleMean, SampledTrajectory, TrajectoryAggregate))


def linear_children(node: Basic) -> tuple[int, ...]:
    """The arguments in which ``node`` is linear (E[c·X + Y] = c·E[X] + E[Y]):

    both sides of an equation; every term of a sum; the one random factor of a product
    whose other factors are deterministic; the summand of a finite Σ_t with deterministic
    limits.  Nothing else: not under ∇ (the samples' law depends on θ), log, powers, ∏,
    E[·] or a product of two random factors (E[X·Y] ≠ E[X]·E[Y] on the same samples).
    """
    if isinstance(node, (Equation, Add)):
        return tuple(range(len(node.args)))
    if isinstance(node, Mul):
        random = [k for k, factor in enumerate(node.args) if is_random(factor)]
        return tuple(random) if len(random) == 1 else ()
    if isinstance(node, Sum):
        limits_random = any(is_random(x) for limit in node.limits for x in limit[1:])
        return () if limits_random else (0,)
    return ()


def mutable_children(node: Basic) -> tuple[int, ...]:
    """The arguments mutations may change: a Σ/∏'s summand (its limits have their own
    mutation), every argument its class does not declare opaque (not the bound variable
    of Σ_{a'} or E_{a'}, not what a conditional expectation is given, not the name and
    marks of a declared function), nothing inside s_t, a_t, τ^(i)."""
    if node.is_Atom:
        return ()
    found = declaration_of(type(node))
    if found is None:
        return ()
    if found.limits:
        return (0,)
    return tuple(k for k in range(len(node.args)) if k not in found.opaque)


def positions(
    expr: Basic, children: Children = rewritable_children, path: Path = ()
) -> Iterator[tuple[Path, Basic]]:
    """Pre-order (path, node) pairs over the nodes that ``children`` leads to (a unit of
    work each)."""
    charge()
    yield path, expr
    for i in children(expr):
        yield from positions(expr.args[i], children, (*path, i))


def replace_at(expr: Basic, path: Path, new: Basic) -> Basic:
    """``expr`` with the node at ``path`` replaced by ``new`` (rebuilt with ``func(*args)``)."""
    if not path:
        return new
    i, rest = path[0], path[1:]
    args = list(expr.args)
    args[i] = replace_at(args[i], rest, new)
    return expr.func(*args)


def bottom_up(expr: Basic, function: Callable[[Basic], Basic]) -> Basic:
    """Apply ``function`` to every node, arguments first (atoms are passed through; a unit
    of work for each other node)."""
    if expr.is_Atom or not expr.args:
        return expr
    charge()
    args = tuple(bottom_up(a, function) for a in expr.args)
    node = expr.func(*args) if args != expr.args else expr
    return function(node)
