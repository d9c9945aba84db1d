"""Binders: one declaration per expression class, and the one substitution every rule uses.

An expression class says once what it is (:class:`Declaration`), as its class attribute
``declaration``; SymPy's own Σ and ∏ are declared here (:data:`FOREIGN`).  Everything that
walks expressions reads these declarations and nothing else:

    body      the arguments rules rewrite (a binder's mathematical body; every argument of a
              plain node; none of a leaf)
    variable  the path to the variable it binds (``(1,)``: ``args[1]``), or None
    scope     the arguments in which that variable is bound
    leaf      rules rewrite it only whole (π_θ(a|s), r(s,a), s_t, …), though substitution
              enters it (a time index inside s_t is still a free symbol of π_θ(a_t|s_t))
    opaque    arguments that are names or marks (no mutation enters them)

From the declarations follow the free symbols of every node (:func:`free_symbols`) and a
capture-avoiding substitution (:func:`substitute`):

    x[y := e]                 = e if x is y, else x                       (x a symbol)
    (B v. f)[y := e]          = B v. f                                    if v is y
                              = B v'. f[v := v'][y := e]                  if v is free in e
                              = B v. f[y := e]                            otherwise

where v' is a name that occurs nowhere in f or e (free or bound), so no free symbol of e is
ever captured by a binder of f, and a symbol bound in f is never replaced.  Σ_{t=a}^{b} f
lists its limits innermost first (SymPy's convention): the limit variable of each binds the
summand and the bounds of the limits listed before it (not its own bounds; it is renamed
too when ``e`` would bring its name into them, so no sum reads as running to its own index).

A class that computes its own ``free_symbols`` without a declaration binds in a way this
module does not know: substitution raises :class:`UnknownBinder` rather than guess.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

from sympy import Atom, Basic, Product, Sum, Symbol

__all__ = [
    "Declaration",
    "FOREIGN",
    "UnknownBinder",
    "all_names",
    "at",
    "bound_variables",
    "declaration_of",
    "fresh_symbol",
    "free_symbols",
    "primed",
    "substitute",
]

Path = tuple[int, ...]


@dataclass(frozen=True)
class Declaration:
    """What an expression class is, for every walk over expressions (module docstring).

    ``body=None`` means every argument; ``limits`` marks SymPy's Σ/∏ form
    ``(function, (t, a, b), …)``.
    """

    body: tuple[int, ...] | None = None
    variable: Path | None = None
    scope: tuple[int, ...] = ()
    leaf: bool = False
    opaque: tuple[int, ...] = ()
    limits: bool = False

    def __post_init__(self) -> None:
        if (self.variable is None) != (not self.scope) and not self.limits:
            raise ValueError("a binder declares both its variable and its scope")

    @property
    def binds(self) -> bool:
        return self.limits or self.variable is not None


#: a plain node: every argument is a term, nothing is bound
PLAIN = Declaration()
#: SymPy's Σ and ∏: the function, then limits (t, a, b), innermost first
LIMITS = Declaration(body=(0,), limits=True)
#: SymPy classes pgproof declares (its own classes declare themselves)
FOREIGN: dict[type, Declaration] = {Sum: LIMITS, Product: LIMITS}


class UnknownBinder(Exception):
    """A node whose class binds symbols in a way no declaration states."""

    def __init__(self, node: Basic) -> None:
        super().__init__(f"{type(node).__name__} binds symbols in an undeclared way")
        self.node = node


@cache
def declaration_of(cls: type) -> Declaration | None:
    """The declaration of ``cls``: its own or its nearest ancestor's (or :data:`FOREIGN`);
    PLAIN for an atom or a SymPy class that binds nothing; None for a class that computes
    its own free symbols without declaring what it binds (its scopes are unknown)."""
    if issubclass(cls, Atom):
        return PLAIN
    for klass in cls.__mro__:
        if klass in FOREIGN:
            return FOREIGN[klass]
        own = klass.__dict__.get("declaration")
        if isinstance(own, Declaration):
            return own
        if "free_symbols" in klass.__dict__:
            return PLAIN if klass is Basic else None
    return PLAIN


def _declared(node: Basic) -> Declaration:
    found = declaration_of(type(node))
    if found is None:
        raise UnknownBinder(node)
    return found


def at(node: Basic, path: Path) -> Basic | None:
    """The argument of ``node`` at ``path`` (None when there is none: then nothing is bound)."""
    for k in path:
        if k >= len(node.args):
            return None
        node = node.args[k]
    return node


def bound_variables(node: Basic) -> tuple[Basic, ...]:
    """The variables ``node`` itself binds (not those of binders inside it)."""
    found = _declared(node)
    if found.limits:
        return tuple(limit[0] for limit in node.limits)
    variable = None if found.variable is None else at(node, found.variable)
    return () if variable is None else (variable,)


def free_symbols(node: Basic) -> set[Basic]:
    """The free symbols of ``node``, from its declaration: its arguments' free symbols, less
    the variable it binds in the arguments of its scope (and the variable's own argument)."""
    found = _declared(node)
    if found.limits:
        free = set(node.args[0].free_symbols)
        for limit in node.args[1:]:
            variable, *bounds = limit.args
            free.discard(variable)
            for bound in bounds:
                free |= bound.free_symbols
        return free
    free: set[Basic] = set()
    variable = None if found.variable is None else at(node, found.variable)
    for k, arg in enumerate(node.args):
        if variable is not None and (k,) == found.variable:
            continue
        inside = arg.free_symbols
        if variable is not None and k in found.scope:
            inside = inside - {variable}
        free |= inside
    return free


def all_names(*exprs: Basic) -> set[str]:
    """The names of every symbol in ``exprs``, free or bound: a fresh name avoids them all."""
    names: set[str] = set()
    for expr in exprs:
        names |= {s.name for s in expr.atoms(Symbol)}
    return names


def primed(name: str, taken: Collection[str]) -> str:
    """``name``, else ``name'``, ``name''``, …: the first not in ``taken``."""
    while name in taken:
        name += "'"
    return name


def fresh_symbol(like: Symbol, taken: set[str] | frozenset[str]) -> Symbol:
    """A symbol of ``like``'s class and assumptions whose name is not in ``taken``."""
    return type(like)(primed(like.name + "'", taken), **like.assumptions0)


def substitute(expr: Basic, old: Basic, new: Basic) -> Basic:
    """``expr[old := new]``, capture-avoiding (module docstring).  ``old`` is a symbol."""
    if old not in expr.free_symbols:
        return expr
    if not expr.args:
        return new if expr == old else expr
    found = _declared(expr)
    if found.limits:
        return _substitute_limits(expr, old, new)
    if found.variable is None:
        return expr.func(*(substitute(a, old, new) for a in expr.args))
    variable = at(expr, found.variable)
    if variable is None:
        return expr.func(*(substitute(a, old, new) for a in expr.args))
    args = list(expr.args)
    outside = [k for k in range(len(args)) if k not in found.scope and (k,) != found.variable]
    if variable == old:  # shadowed: only the arguments outside the scope see old
        for k in outside:
            args[k] = substitute(args[k], old, new)
        return expr.func(*args)
    if variable in new.free_symbols and any(old in args[k].free_symbols for k in found.scope):
        fresh = fresh_symbol(variable, all_names(expr, new))
        for k in found.scope:
            args[k] = substitute(args[k], variable, fresh)
        if len(found.variable) == 1:
            args[found.variable[0]] = fresh
    for k in range(len(args)):
        if (k,) != found.variable:
            args[k] = substitute(args[k], old, new)
    return expr.func(*args)


def _substitute_limits(expr: Basic, old: Basic, new: Basic) -> Basic:
    """Σ_{t_n} … Σ_{t_1} f [old := new], outermost limit first."""
    function, limits = expr.args[0], [limit.args for limit in expr.args[1:]]
    if any(len(limit) != 3 for limit in limits):
        raise UnknownBinder(expr)
    kind = expr.func

    def inside(function: Basic, limits: list[tuple]) -> tuple[Basic, list[tuple]]:
        if not limits:
            return substitute(function, old, new), []
        *inner, (variable, low, high) = limits
        in_bounds = old in low.free_symbols | high.free_symbols
        low, high = substitute(low, old, new), substitute(high, old, new)
        if variable == old:
            return function, [*inner, (variable, low, high)]
        scoped = kind(function, *inner) if inner else function
        # renamed also when only the bounds meet ``new``: Σ_{t'=1}^{t'} would be correct (a
        # bound is outside its own index's scope) but reads as a sum up to its own index
        if variable in new.free_symbols and (old in scoped.free_symbols or in_bounds):
            fresh = fresh_symbol(variable, all_names(expr, new))
            scoped = substitute(scoped, variable, fresh)
            if inner:
                function, inner = scoped.args[0], [limit.args for limit in scoped.args[1:]]
            else:
                function = scoped
            variable = fresh
        function, inner = inside(function, inner)
        return function, [*inner, (variable, low, high)]

    function, limits = inside(function, limits)
    return kind(function, *limits)
