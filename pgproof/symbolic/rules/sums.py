"""Rules for the range of a finite sum over steps, and sums of zeros.

    Σ_{u=a}^{b} f(u) = f(a) + Σ_{u=a+1}^{b} f(u)      a ≤ b            (split_first_term)
    Σ_u 0 = 0,  Σ_{u=a}^{∞} 0 = 0,  Σ_s 0 = 0,  Σ_{a'} 0 = 0,  Σ_τ 0 = ∫ 0 dτ = 0
                                                                        (sum_of_zeros)

The side condition is read off the limits: proved when b − a ≥ 0 for every value of the
symbols; when it holds only because the author's time index t is a step of the trajectory
(first ≤ t ≤ T, which is how pgproof reads a free t, numerically too), that is said in the
step's report as an assumption.
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic, S, Sum

from pgproof.kernel.binders import substitute
from pgproof.kernel.objects import TrajectoryAggregate
from pgproof.kernel.state_objects import _BoundSum

from ..canonical import nonnegative_for_steps
from ..refusal import Refusal
from ..series import InfiniteSum
from ..text import show
from .base import Context, rule


def nonempty(low: Basic, high: Basic, ctx: Context) -> bool:
    """a ≤ b provably, or provably once the free time index t is a step (stated): the same
    reading of a free t as the canonical form's check of limits (:class:`.canonical.StepRange`)."""
    return nonnegative_for_steps(high - low, ctx.steps)


@rule(
    "split_first_term", aliases=("peel_first_term", "first_term_out"),
    label="first term split off",
    phrases=(
        "split off the first term", "peel off the first term", "take out the first term",
        "first term", "separate the first term",
    ),
    priority=200,
)
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
    first = substitute(node.function, index, low)
    return [first + Sum(node.function, (index, low + 1, high))]


@rule(
    "sum_of_zeros", aliases=("sum_of_zero", "zero_sum"),
    label="a sum of zeros is 0",
    phrases=("sum of zeros", "sum of zero terms", "every term is zero", "summing zeros"),
    priority=900,
)
def sum_of_zeros(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_{u=a}^{b} 0 = 0,  Σ_{u=a}^{∞} 0 = 0,  Σ_s 0 = 0,  Σ_{a'} 0 = 0,  Σ_τ 0 = ∫ 0 dτ = 0
    (every term is 0: the sum is 0 whatever the range)."""
    if isinstance(node, Sum):
        body = node.function
    elif isinstance(node, (InfiniteSum, _BoundSum, TrajectoryAggregate)):
        body = node.args[0]
    else:
        return None
    return [S.Zero] if body == S.Zero else None
