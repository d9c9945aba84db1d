"""Where an expression is defined: what its logs, divisions and fractional powers need.

    log x        needs x > 0
    x / y, y^-k  needs y ≠ 0
    x^(p/q)      needs x ≥ 0

Used by ``algebra`` (both sides of a step must need the same, or what one needs more must
be known: π_θ > 0 on the support, a positive constant) and by the LaTeX reader (SymPy
must not cancel, while building a formula, a term that is not known to be defined).
"""

from __future__ import annotations

from collections.abc import Callable

from sympy import Basic, Pow, log, preorder_traversal

from pgproof.kernel.objects import Ratio
from pgproof.present.str_printer import sstr

from .refusal import Refusal
from .text import show

Condition = tuple[str, Basic]


def condition_order(condition: Condition) -> str:
    """The key conditions are sorted by: ``str((kind, x))``, x in SymPy's str form with
    pgproof's objects known (:func:`pgproof.present.sstr`), so that the condition reported
    first is the same on every run."""
    kind, arg = condition
    return "(%r, %s)" % (kind, sstr(arg))


def domain_conditions(expr: Basic) -> set[Condition]:
    """What ``expr`` needs to be defined: (``positive``, x) for log x, (``nonzero``, x) for
    a division by x, (``nonnegative``, x) for a fractional power of x."""
    out: set[Condition] = set()
    for node in preorder_traversal(expr):
        if isinstance(node, log):
            out.add(("positive", node.args[0]))
        elif isinstance(node, Ratio):
            out.add(("nonzero", node.denominator))
        elif isinstance(node, Pow):
            if node.exp.is_negative is not False:
                out.add(("nonzero", node.base))
            if node.exp.is_integer is not True:
                out.add(("nonnegative", node.base))
    return out


_HOLDS: dict[str, Callable[[Basic], bool | None]] = {
    "positive": lambda x: x.is_positive,
    "nonzero": lambda x: x.is_nonzero or x.is_positive,
    "nonnegative": lambda x: x.is_nonnegative,
}


def check_same_domain(ours: Basic, theirs: Basic) -> None:
    """Refuse when one side needs a condition the other does not and it is not known."""
    changed = domain_conditions(ours) ^ domain_conditions(theirs)
    for kind, arg in sorted(changed, key=condition_order):
        if not holds((kind, arg)):
            raise Refusal(
                arg,
                f"{show(arg)} must be {kind} for the two sides to mean the same thing, "
                "and it is not known to be",
                condition="domain",
            )


def holds(condition: Condition) -> bool:
    """The condition is known to hold (from the assumptions of what it is about)."""
    kind, arg = condition
    return bool(_HOLDS[kind](arg))
