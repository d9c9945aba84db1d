"""Infinite sums over time: Σ_{t=a}^{∞} f_t, as their own object.

An infinite-horizon return is the series R(τ) = Σ_{t=first}^{∞} γ^{t−first} r(s_t, a_t).
It is not a SymPy ``Sum``: every rule written for finite sums (∇ into Σ, E into Σ, Σ split
or merged, causality, …) matches ``Sum`` only, so none of them moves anything through an
infinite sum by accident.  The rules that do (``grad_of_sum``, ``expectation_of_sum``)
handle :class:`InfiniteSum` on purpose: only when its terms carry the discount γ^{t+c}, and
with the assumption that makes the interchange valid stated in the step's report
(:data:`INTERCHANGE_GRADIENT`, :data:`INTERCHANGE_EXPECTATION`).

``InfiniteSum(function, index, lower)`` keeps the upper limit ∞ (SymPy's ``oo``) out of its
arguments, so the ordered-limits check of :mod:`.canonical` (which reads Σ/∏ limits) is not
involved: Σ_{t=a}^{∞} is ordered for every finite a.  The index is bound.
"""

from __future__ import annotations

from sympy import Basic, Dummy, Mul, Pow, S

from pgproof.kernel.objects import (
    Action,
    Expectation,
    State,
    TrajectoryAggregate,
    TrajectoryDensity,
)
from pgproof.kernel.series import InfiniteSum
from pgproof.kernel.visitation import StateProbability

from .refusal import Refusal
from .text import show

__all__ = [
    "INTERCHANGE_EXPECTATION",
    "INTERCHANGE_GRADIENT",
    "InfiniteSum",
    "check_infinite_trajectories",
    "interchange",
    "discount_exponent",
    "discount_factor",
    "require_discounted",
]

INTERCHANGE_EXPECTATION = (
    "E and Σ_{%s}^{∞} may be interchanged: 0 < γ < 1 and the terms' other factors are bounded "
    "by some M (|r| ≤ r_{max}: finitely many states and actions), so the series is dominated "
    "by Σ_t γ^t M = M/(1 − γ) (dominated convergence)"
)
INTERCHANGE_GRADIENT = (
    "∇_θ and Σ_{%s}^{∞} may be interchanged: 0 < γ < 1 and the rewards and scores are bounded "
    "(|r| ≤ r_{max}, |∇_θ log π_θ| ≤ G), so the series of gradients, with terms O(t γ^t), "
    "converges uniformly in θ (Weierstrass M-test)"
)


def interchange(template: str, series: InfiniteSum) -> str:
    """The assumption ``template`` about this series (Σ_{t=0}^{∞} named as written)."""
    return template % f"{show(series.index)}={show(series.lower)}"


def discount_factor(term: Basic, gamma: Basic | None, index: Basic) -> tuple[Basic, Basic] | None:
    """(γ^{t+c}, c) when ``term`` has the factor γ^{t+c} (t the index, c free of it), else
    None: the factor that makes Σ_t γ^{t+c} f_t converge for bounded f_t and 0 < γ < 1."""
    if gamma is None:
        return None
    for factor in Mul.make_args(term):
        base, exponent = (factor.base, factor.exp) if isinstance(factor, Pow) else (factor, S.One)
        if base != gamma:
            continue
        shift = (exponent - index).expand()
        if index not in shift.free_symbols:
            return factor, shift
    return None


def discount_exponent(term: Basic, gamma: Basic | None, index: Basic) -> Basic | None:
    """c when ``term`` has the factor γ^{t+c} (t the index, c free of it), else None."""
    found = discount_factor(term, gamma, index)
    return None if found is None else found[1]


def require_discounted(series: InfiniteSum, gamma: Basic | None, what: str) -> None:
    """Refuse moving ``what`` (∇_θ, E) through ``series`` unless its terms are γ^{t+c} times
    factors that depend on t only through the states and actions of their steps (bounded:
    finitely many states and actions), so that the series converges geometrically."""
    t, a = show(series.index), show(series.lower)
    found = discount_factor(series.function, gamma, series.index)
    if found is None:
        factor = f"γ^{{{t}+c}}" if gamma is None else f"{show(gamma)}^{{{t}+c}}"
        why = "" if gamma is not None else " (this notation has no discount)"
        raise Refusal(
            series,
            f"{what} moves into Σ_{{{t}={a}}}^{{∞}} only when its terms carry the discount "
            f"{factor}{why}: {show(series.function)} does not, and without 0 < γ < 1 the "
            "series need not converge, nor may the two be interchanged",
            condition="not_discounted",
        )
    factors = list(Mul.make_args(series.function))
    factors.remove(found[0])
    rest = Mul(*factors)
    steps = {atom: Dummy() for atom in rest.atoms(State, Action)}
    if series.index in rest.xreplace(steps).free_symbols:
        raise Refusal(
            series,
            f"{what} moves into Σ_{{{t}={a}}}^{{∞}} only when the terms' other factors are "
            f"bounded: {show(rest)} depends on {t} otherwise than through the states and "
            f"actions of its steps (it may grow with {t})",
            condition="not_bounded",
        )


def check_infinite_trajectories(expr: Basic, infinite_horizon: bool) -> None:
    """With an infinite horizon, p_θ(τ) is only the law of E_{τ∼p_θ}[…]: a claim may not use
    it as a value, nor integrate or sum over τ (raises :class:`Refusal`).

    Every infinite trajectory has probability 0 and no density of its own (the laws of two
    policies are mutually singular on infinite paths), so ∫ p_θ(τ) f(τ) dτ, ∇_θ log p_θ(τ)
    and the log-derivative trick on it have no meaning there."""
    if not infinite_horizon:
        return
    if isinstance(expr, Expectation):
        check_infinite_trajectories(expr.expr, infinite_horizon)
        return
    if isinstance(expr, StateProbability):  # Pr(s_t = s): p_θ is the law it is taken under
        return
    if isinstance(expr, TrajectoryAggregate):
        raise Refusal(
            expr,
            f"{show(expr)} sums or integrates over infinite trajectories, each of probability "
            "0: with horizon ∞ write E_{τ∼p_θ}[…] instead",
            condition="infinite_trajectory",
        )
    if isinstance(expr, TrajectoryDensity):
        raise Refusal(
            expr,
            f"{show(expr)} has no value for an infinite trajectory (each has probability 0, "
            "and no density): with horizon ∞ it is only the law of E_{τ∼p_θ}[…]",
            condition="infinite_trajectory",
        )
    for arg in expr.args:
        check_infinite_trajectories(arg, infinite_horizon)
