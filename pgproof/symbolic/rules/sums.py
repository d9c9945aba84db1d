"""Rules for the range of a finite sum over steps.

    Σ_{u=a}^{b} f(u) = f(a) + Σ_{u=a+1}^{b} f(u)      a ≤ b            (split_first_term)

The side condition is read off the limits: proved when b − a ≥ 0 for every value of the
symbols; when it holds only because the author's time index t is a step of the trajectory
(first ≤ t ≤ T, which is how pgproof reads a free t, numerically too), that is said in the
step's report as an assumption.
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic, Sum

from ..canonical import nonnegative_for_steps
from ..refusal import Refusal
from ..text import show
from ..traversal import substitute_free
from .base import Context, rule


def nonempty(low: Basic, high: Basic, ctx: Context) -> bool:
    """a ≤ b provably, or provably once the free time index t is a step (stated): the same
    reading of a free t as the canonical form's check of limits (:class:`.canonical.StepRange`)."""
    return nonnegative_for_steps(high - low, ctx.steps)


@rule("split_first_term", aliases=("peel_first_term", "first_term_out"))
def split_first_term(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_{u=a}^{b} f(u) = f(a) + Σ_{u=a+1}^{b} f(u)   (a ≤ b: proved, or from t being a step
    of the trajectory, first ≤ t ≤ T, stated)."""
    if not (isinstance(node, Sum) and len(node.limits) == 1):
        return None
    index, low, high = node.limits[0]
    if not nonempty(low, high, ctx):
        raise Refusal(
            node,
            f"{show(node)} may be empty ({show(low)} ≤ {show(high)} is not known): it has no "
            "first term to take out",
            condition="empty_range",
        )
    first = substitute_free(node.function, index, low)
    return [first + Sum(node.function, (index, low + 1, high))]
