r"""Strict LaTeX -> SymPy for policy-gradient derivations.

Public API::

    parse_formula(text, notation)    -> list[Expr | None]   # the '='-separated parts
    parse_expression(text, notation) -> Expr                # exactly one part
    LatexError(ValueError)           # .message, .column (1-based), .text

Reading is in three stages, none of which evaluates the input: a linear pre-scan
(length <= 20,000 characters, bracket nesting <= 50, every ``\command`` known),
an LALR(1) parse with Lark's contextual lexer (``grammar.lark``), and a builder
that constructs pgproof objects with their constructors.

Conventions (each is tested in tests/latex):

* **Parts.** ``a = b = c`` gives ``[a, b, c]``; a continuation line ``= b`` gives
  ``[None, b]``.  ``&``, ``\\``, ``\displaystyle``, spacing (``\, \; \! \quad
  \qquad``), ``\color{..}`` switches, ``\definecolor``, delimiter sizes (``\left
  \right \big \Bigl ...``, including ``\left.``) are presentation and dropped;
  ``\textcolor{c}{X}`` is ``X``.  One trailing ``.`` or ``,`` is allowed.
* **Products.** Juxtaposition and ``\cdot`` multiply.  A name directly followed
  by ``(...)`` or ``[...]`` is an application (``p(x)``, ``E[x]``); for a plain
  symbol (a constant, T, m) the application is a product.  Braces do not print,
  so a braced *sum* used as a factor (``{a+b}c``, also through ``\textcolor``)
  is refused rather than read one way or the other.
* **Operators.** ``\nabla_\theta`` (or bare ``\nabla``) and ``\log``/``log``/``\ln``
  (always the natural log) apply to the next factor: ``\nabla \log p r`` is
  ``Grad(log p)·r``; to a bracket group if one follows; and to a following big
  operator as a whole (``\nabla \sum_t f g`` is ``Grad(Sum(f g))``).  A gradient
  with respect to anything but the parameter is an error.
* **Big operators.** The body of ``\sum``/``\prod`` is the rest of the
  multiplicative term.  When the next ``+``/``-`` term has the operator's index
  free (seed 000: ``\sum_{t=1}^{T} \log\pi(a_t|s_t) + \log p(s_{t+1}|s_t,a_t)``),
  it belongs to the body too; a term without the index free ends the body.  The
  same holds for ``\sum_\tau`` with τ.  ``\sum_t`` without bounds runs over the
  notation's first_index..horizon; ``\sum_i`` over the sample index from 1 to m
  (``\frac{1}{m}\sum_i`` is ``Ratio(1, m)·Sum``, not ``SampleMean``).
  ``\int ... d\tau`` takes everything up to the differential.
* **Expectations.** ``E``/``\mathbb{E}`` with subscript ``\tau \sim D``, ``D``,
  ``\tau`` or none, and ``\underset{\tau\sim D}{E}``: D must be the density in
  any spelling or the policy ``\pi_\theta`` (shorthand for the trajectory
  distribution); all give ``notation.expectation(body)``.
* **Names.** Only the notation's names and declared constants; presentation is
  normalised (``\mathbf{s}`` = ``\boldsymbol{s}`` = ``s``).  ``\pi(a|s)`` without
  θ is still the policy, ``p(\tau)`` without θ still the density.  The initial
  distribution keeps the time the author wrote (``corr(s_0)`` is the
  distribution of s_0 even when the notation counts from 1).  Time subscripts
  are integer expressions in t (or a bound t'), the horizon and the sample
  index.  ``s_t^{(i)}``/``s^{(i)}_t`` is the state of the i-th sample.  ``r_t``
  is ``r(s_t, a_t)``.  A run of letters is one name (``corr``); if it is not a
  name but every letter is a declared plain symbol, it is their product.
* **Numbers.** Integers only; powers with literal exponents above 1000, or
  integer powers over 100,000 bits, are refused before SymPy evaluates them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources

from lark import Lark
from lark.exceptions import UnexpectedInput
from sympy import Expr

from pgproof.symbolic.notation import Notation

from .builder import Builder
from .errors import LatexError, from_lark
from .prescan import prescan
from .tree import tree_depth

__all__ = ["Formula", "parse_formula", "parse_expression", "LatexError", "MAX_TREE_DEPTH"]

#: Deepest parse tree read (bracket nesting is bounded separately by the pre-scan).
MAX_TREE_DEPTH = 400


def _cache_file() -> str | bool:
    """Where Lark keeps the built LALR tables: a private folder of this user's, else nowhere.

    Lark checks the file's hash of grammar, options and versions before it unpickles it;
    the folder must be this user's alone (mode 0700), so nobody else can plant a file there.
    """
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(root, "pgproof")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return False
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        return False
    return os.path.join(folder, "latex-grammar.lark-cache")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("pgproof.latex").joinpath("grammar.lark").read_text("utf-8")
    # a cached parser loads in ~10 ms instead of ~200 ms for building the tables
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        cache=_cache_file(),
    )


class Formula(list):
    """The '='-separated parts of a formula, and ``readings``: how pgproof read what the
    formula leaves out (``\\sum_t`` without limits), to be shown in the report."""

    readings: tuple[str, ...] = ()


def parse_formula(text: str, notation: Notation) -> Formula:
    """The '='-separated parts of a formula, in order (``[None, rhs]`` for ``= rhs``)."""
    prescan(text)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise from_lark(err, text) from None
    if tree_depth(tree) > MAX_TREE_DEPTH:
        raise LatexError("the formula is nested too deeply", 1, text)
    builder = Builder(text, notation)
    try:
        parts = Formula(builder.formula(tree))
    except RecursionError:
        raise LatexError("the formula is nested too deeply", 1, text) from None
    parts.readings = tuple(builder.readings)
    return parts


def parse_expression(text: str, notation: Notation) -> Expr:
    """Exactly one expression (no '=')."""
    parts = parse_formula(text, notation)
    if len(parts) != 1 or parts[0] is None:
        column = text.find("=") + 1 or 1
        raise LatexError("expected a single expression, without '='", column, text)
    return parts[0]
