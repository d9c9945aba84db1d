"""Rules about the score ∇_θ log π_θ: normalisation, zero mean, baselines, causality.

    ∫ p_θ(τ) dτ = 1,   Σ_τ p_θ(τ) = 1,   E_{τ∼p_θ}[1] = 1                (normalization)
    E_{τ∼p_θ}[∇_θ log p_θ(τ)] = 0,   E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t)] = 0  (score_has_zero_mean)
    E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t) b] = 0   b a function of s_1..s_t, a_1..a_{t−1} only
                                                                          (baseline)
    E_{τ∼p_θ}[Σ_t ∇_θ log π_θ(a_t|s_t) Σ_{t'=t₀}^{T} h_{t'}]
        = E_{τ∼p_θ}[Σ_t ∇_θ log π_θ(a_t|s_t) Σ_{t'=t}^{T} h_{t'}]
                  h_{t'} a function of s_1..s_{t'}, a_1..a_{t'} only         (causality)

Why the last three hold: given the history up to s_t, a_t ∼ π_θ(·|s_t), and
E_{a∼π_θ(·|s)}[∇_θ log π_θ(a|s)] = Σ_a ∇_θ π_θ(a|s) = ∇_θ Σ_a π_θ(a|s) = ∇_θ 1 = 0; a factor
fixed by that history (b, or a reward h_{t'} with t' < t) comes out of the inner expectation
(the law of iterated expectations).  Each side condition is read off the expression: the
times of the states and actions a factor mentions, and whether it mentions τ otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sympy import Basic, Dummy, Mul, Product, S, Sum, Symbol, log

from pgproof.kernel.binders import all_names, fresh_symbol, substitute
from pgproof.kernel.objects import (
    Action,
    Expectation,
    Grad,
    Policy,
    State,
    TrajectoryAggregate,
    TrajectoryDensity,
)
from pgproof.kernel.state_objects import ActionExpectation, ActionSum

from ..names import fixed_order
from ..refusal import Refusal
from ..series import InfiniteSum
from ..text import show
from .actions import normalization_over_actions, zero_mean_over_actions
from .base import Context, rule

INTERCHANGE = (
    "∇_θ and Σ_a (or ∫ dτ) may be interchanged in Σ_a ∇_θ π_θ(a|s) = ∇_θ Σ_a π_θ(a|s): "
    "π_θ is differentiable in θ (finitely many actions, or dominated convergence)"
)


def _sampling_density(node: Expectation, ctx: Context, rule_name: str) -> None:
    """The expectation must be over τ ∼ p_θ(τ), the notation's trajectory density."""
    wanted = ctx.notation.density_of(node.variable)
    if node.density != wanted:
        raise Refusal(
            node,
            f"{rule_name} needs τ drawn from {show(wanted)}, the density whose score this is; "
            f"here τ ∼ {show(node.density)}",
            condition="sampling_density",
        )


def _score(expr: Basic, ctx: Context, tau: Basic) -> Basic | None:
    """The time t if ``expr`` is ∇_θ log π_θ(a_t|s_t) of τ; τ itself if ∇_θ log p_θ(τ)."""
    if not (isinstance(expr, Grad) and isinstance(expr.expr, log)):
        return None
    inner, theta = expr.expr.args[0], expr.variable
    if theta != ctx.theta:
        return None
    if isinstance(inner, Policy) and inner.theta == theta:
        action = inner.args[1]
        if isinstance(action, Action) and action.trajectory == tau:
            return action.time
    if isinstance(inner, TrajectoryDensity) and inner == ctx.notation.density_of(tau):
        return tau
    return None


def _split_score(body: Basic, ctx: Context, tau: Basic) -> tuple[Basic, Basic] | None:
    """(time or τ, the other factors) when ``body`` is one score times other factors."""
    factors = list(Mul.make_args(body))
    found = [(f, _score(f, ctx, tau)) for f in factors]
    scores = [(f, when) for f, when in found if when is not None]
    if len(scores) != 1:
        return None
    factor, when = scores[0]
    factors.remove(factor)
    return when, Mul(*factors)


def time_sum_layers(body: Basic, tau: Basic) -> tuple[Basic, list[Sum]]:
    """The summand under the Σ layers around ``body`` whose limits are free of τ, and those
    layers, outermost first (E[Σ_t f_t] = Σ_t E[f_t] for them)."""
    layers: list[Sum] = []
    while isinstance(body, Sum) and not any(tau in lim.free_symbols for lim in body.limits):
        layers.append(body)
        body = body.function
    return body, layers


class Footprint(NamedTuple):
    """The states and actions of τ an expression mentions, and what else ties it to τ.

    ``ranges`` holds, for an index bound inside the expression (renamed to a fresh symbol),
    the range it runs over: the time of s_{t'} under Σ_{t'=t}^{T} lies in [t, T]."""

    states: list[State]
    actions: list[Action]
    whole: Basic | None
    ranges: dict[Basic, tuple[Basic, Basic]]

    def earliest(self, time: Basic) -> Basic | None:
        return _extreme(time, self.ranges, lowest=True)

    def latest(self, time: Basic) -> Basic | None:
        return _extreme(time, self.ranges, lowest=False)


def footprint(expr: Basic, tau: Basic) -> Footprint:
    """The states and actions of τ in ``expr``, and a subterm mentioning τ otherwise (or None).

    A state or action is an atom of the trajectory at one time; anything else with τ free
    (R(τ), p_θ(τ), a sampled τ^(i) aside) depends on the whole trajectory."""
    states: list[State] = []
    actions: list[Action] = []
    replaced: dict[Basic, Basic] = {}
    ranges: dict[Basic, tuple[Basic, Basic]] = {}
    expr = _rename_bound(expr, ranges)
    for atom in fixed_order(expr.atoms(State, Action)):
        if atom.trajectory == tau:
            (states if isinstance(atom, State) else actions).append(atom)
            replaced[atom] = Dummy()
    rest = expr.xreplace(replaced)
    whole = None
    if tau in rest.free_symbols:
        whole = _witness(rest, tau)
    return Footprint(states, actions, whole, ranges)


def _rename_bound(expr: Basic, ranges: dict[Basic, tuple[Basic, Basic]]) -> Basic:
    """Every index bound by a Σ/∏ (finite or to ∞) inside ``expr`` renamed to a fresh symbol,
    its range kept (recorded in ``ranges``).

    Σ_{t=1}^{T} b(s_t) beside a score of a_t mentions s_t with another t: renamed, its states
    are at a time in 1..T, which no side condition confuses with the score's t.  A renaming
    reaches only what the binder scopes over: its body and the limits of indices bound
    inside it (Σ_{t=1}^{T} Σ_{t'=t}^{T}: t' ∈ [t, T] with the renamed t), never a sibling
    (in (Σ_{t'=1}^{t+1} h_{t'}) (Σ_{t=1}^{1} g_t), t' ∈ [1, t + 1] with the free t)."""
    if not expr.args:
        return expr
    if isinstance(expr, InfiniteSum):
        body, index, lower = expr.args
        lower = _rename_bound(lower, ranges)
        dummy = Dummy(index.name, **index.assumptions0)
        body = _scoped(body, {index: dummy}, ranges)
        ranges[dummy] = (lower, S.Infinity)
        return InfiniteSum(body, dummy, lower)
    if isinstance(expr, (Sum, Product)):
        # Sum(f, (i, a, b), (j, c, d)) is Σ_j Σ_i f: the limits run innermost first, and
        # the bounds a, b of i may name the outer j, never the other way round
        fresh: dict[Basic, Basic] = {}  # the indices in scope, outermost first
        limits = list(expr.limits)
        for k in reversed(range(len(limits))):
            index, low, high = limits[k].args
            low, high = (_scoped(bound, fresh, ranges) for bound in (low, high))
            dummy = Dummy(index.name, **index.assumptions0)
            limits[k] = limits[k].func(dummy, low, high)
            ranges[dummy] = (low, high)
            fresh = {**fresh, index: dummy}  # an inner index of the same name shadows
        return expr.func(_scoped(expr.function, fresh, ranges), *limits)
    args = tuple(_rename_bound(a, ranges) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr


def _scoped(
    expr: Basic, fresh: dict[Basic, Basic], ranges: dict[Basic, tuple[Basic, Basic]]
) -> Basic:
    """``expr``, which lies in the scope of the indices ``fresh`` renames, renamed: its own
    bound indices (:func:`_rename_bound`, their ranges in ``ranges``) and then the free
    occurrences of ``fresh``'s indices, in it and in the ranges of the indices bound in it."""
    inner: dict[Basic, tuple[Basic, Basic]] = {}
    expr = _rename_bound(expr, inner)
    for dummy, (low, high) in inner.items():
        ranges[dummy] = (low.xreplace(fresh), high.xreplace(fresh))
    return expr.xreplace(fresh)


def _extreme(time: Basic, ranges: dict[Basic, tuple[Basic, Basic]], lowest: bool) -> Basic | None:
    """The least (or greatest) value of ``time`` over the ranges of its bound indices, when it
    is linear in each with a coefficient of known sign; None otherwise."""
    for _ in range(len(ranges) + 1):
        inside = [d for d in ranges if d in time.free_symbols]
        if not inside:
            return time
        index = inside[0]
        slope = time.diff(index)
        if index in slope.free_symbols or slope.is_zero is None:
            return None
        if slope.is_zero:
            continue
        low, high = ranges[index]
        up = bool(slope.is_positive)
        if not up and not slope.is_negative:
            return None
        time = time.xreplace({index: low if up == lowest else high})
    return None


def _witness(expr: Basic, tau: Basic) -> Basic:
    for arg in expr.args:
        if tau in arg.free_symbols and arg != tau:
            return _witness(arg, tau)
    return expr


def _not_after(later: Basic, time: Basic | None, strictly: bool) -> bool:
    """time ≤ later (or time < later when ``strictly``), provably for every integer value."""
    if time is None:
        return False
    gap = later - time - (1 if strictly else 0)
    return bool(gap.is_nonnegative)


def _require_fixed_before(factor: Basic, time: Basic, tau: Basic, what: str) -> None:
    """``factor`` is a function of s_first..s_t and a_first..a_{t−1} only."""
    states, actions, whole, _ = found = footprint(factor, tau)
    if whole is not None:
        raise Refusal(
            factor,
            f"{what} {show(factor)} depends on the whole trajectory {show(tau)} through "
            f"{show(whole)}, not only on the steps before the action {show(time)}",
            condition="depends_on_later_steps",
        )
    for action in sorted(actions, key=str):
        if not _not_after(time, found.latest(action.time), strictly=True):
            same = (action.time - time).expand() == 0
            when = "the action of the score's own step" if same else "an action not before it"
            raise Refusal(
                factor,
                f"{what} {show(factor)} depends on the action {show(action)}, {when}: "
                f"E[∇_θ log π_θ(a_t|s_t) · b] = 0 needs b fixed before a_t is drawn "
                f"(a function of s_t and earlier steps only)",
                condition="depends_on_action",
            )
    for state in sorted(states, key=str):
        if not _not_after(time, found.latest(state.time), strictly=False):
            raise Refusal(
                factor,
                f"{what} {show(factor)} depends on the state {show(state)}, which is not "
                "before the score's action (it may follow from it)",
                condition="depends_on_later_steps",
            )


# --------------------------------------------------------------------------- normalisation


@rule(
    "normalization", aliases=("normalisation", "density_integrates_to_one", "total_probability"),
    label="probabilities sum to 1",
    phrases=(
        "normalization", "normalisation", "probabilities sum to one", "density integrates to one",
        "integrates to one", "sums to one", "total probability",
    ),
    priority=160,
)
def normalization(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∫ p_θ(τ) dτ = 1,  Σ_τ p_θ(τ) = 1,  E_{τ∼p_θ}[1] = 1   (p_θ a probability density);
    Σ_a π_θ(a|s) = 1,  E_{a∼π_θ(·|s)}[1] = 1."""
    if isinstance(node, (ActionSum, ActionExpectation)):
        return normalization_over_actions(node, ctx)
    if isinstance(node, TrajectoryAggregate):
        if node.expr == ctx.notation.density_of(node.variable):
            return [S.One]
        return None
    if isinstance(node, Expectation) and node.expr == S.One:
        _sampling_density(node, ctx, "normalization")
        return [S.One]
    return None


# --------------------------------------------------------------------------- zero mean


def _score_redex(node: Basic, ctx: Context, rule_name: str) -> tuple[Basic, Basic] | None:
    """(time or τ, the other factors) for E_{τ∼p_θ}[(Σ_t) score · factors], else None."""
    if not isinstance(node, Expectation):
        return None
    inner, _ = time_sum_layers(node.expr, node.variable)
    split = _split_score(inner, ctx, node.variable)
    if split is not None:
        _sampling_density(node, ctx, rule_name)
    return split


@rule(
    "score_has_zero_mean",
    aliases=("expected_score_is_zero", "expected_grad_log_prob"),
    derivation=(
        "score_has_zero_mean.trajectory",
        "score_has_zero_mean.action",
        "score_has_zero_mean.per_step",
        "score_has_zero_mean.per_step_sum",
    ),
    label="score has mean 0",
    phrases=(
        "score has zero mean", "expected score is zero", "expectation of the score is zero",
        "expected grad log prob is zero", "eglp",
    ),
    priority=170,
)
def score_has_zero_mean(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[∇_θ log p_θ(τ)] = 0,  E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t)] = 0,
     E_{a∼π_θ(·|s)}[∇_θ log π_θ(a|s)] = 0   (∇_θ ∫ p_θ = ∇_θ 1: ∇ and ∫ interchangeable, stated)."""
    if isinstance(node, ActionExpectation):
        return zero_mean_over_actions(node, ctx, "score_has_zero_mean")
    split = _score_redex(node, ctx, "score_has_zero_mean")
    if split is None:
        return None
    if split[1] != S.One:
        raise Refusal(
            node,
            f"the score is multiplied by {show(split[1])}: E[∇_θ log π · f] is not 0 in "
            "general (for a factor fixed before the action, use the rule baseline)",
            condition="not_score_alone",
        )
    ctx.assume(INTERCHANGE)
    return [S.Zero]


@rule(
    "baseline",
    aliases=("baseline_has_zero_mean", "baseline_subtraction"),
    derivation=(
        "baseline.trajectory",
        "baseline.action",
        "baseline.per_step",
        "baseline.per_step_sum",
    ),
    label="baseline has mean 0",
    phrases=(
        "subtract a baseline", "baseline subtraction", "baseline does not change the gradient",
        "control variate", "baseline has zero mean",
    ),
    priority=180,
)
def baseline(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t) b] = 0 when b depends on s_first..s_t, a_first..a_{t−1}
    only (not on a_t or later steps);  E_{τ∼p_θ}[∇_θ log p_θ(τ) b] = 0 when b is free of τ;
    E_{a∼π_θ(·|s)}[∇_θ log π_θ(a|s) b] = 0 when b is free of a."""
    if isinstance(node, ActionExpectation):
        return zero_mean_over_actions(node, ctx, "baseline")
    split = _score_redex(node, ctx, "baseline")
    if split is None:
        return None
    (when, factor), tau = split, node.variable
    if when == tau:
        if tau in factor.free_symbols:
            raise Refusal(
                factor,
                f"the baseline {show(factor)} depends on the trajectory {show(tau)}: with the "
                "score of the whole trajectory, b must be free of τ",
                condition="depends_on_trajectory",
            )
    else:
        _require_fixed_before(factor, when, tau, "the baseline")
    ctx.assume(INTERCHANGE)
    return [S.Zero]


# --------------------------------------------------------------------------- causality


def _score_sum(expr: Basic, ctx: Context, tau: Basic) -> tuple[Basic, tuple, Basic] | None:
    """(g_t, (t, lo, hi), rest) for expr = Σ_{t=lo}^{hi} g_t · rest_t, g_t a (scaled) score."""
    if not (isinstance(expr, Sum) and len(expr.limits) == 1):
        return None
    limit = expr.limits[0]
    if any(tau in part.free_symbols for part in limit):
        return None
    factors = list(Mul.make_args(expr.function))
    for factor in factors:
        when = _score(factor, ctx, tau)
        if when is not None and when != tau and (when - limit[0]).expand() == 0:
            others = list(factors)
            others.remove(factor)
            return factor, limit, Mul(*others)
    return None


def _fresh(index: Symbol, *within: Basic) -> Symbol:
    """A primed ``index`` whose name occurs nowhere in ``within``, free or bound (a name
    bound elsewhere in the node would read as that index, and one free in a limit would
    be captured)."""
    return fresh_symbol(index, all_names(*within))


def _causal(
    score: Basic, limit: tuple, rewards: Sum, tau: Basic, scale: Basic, node: Basic
) -> Basic:
    """Σ_{t} g_t · scale · Σ_{u=t}^{hi'} h_u, after checking the side conditions (``node``:
    the expectation rewritten, whose names a renamed u avoids)."""
    t, low, high = limit
    (u, low2, high2), body = rewards.limits[0], rewards.function
    if u == t:
        fresh = _fresh(u, node, t)
        body, u = substitute(body, u, fresh), fresh
    if not (low - low2).is_nonnegative:
        raise Refusal(
            rewards,
            f"the sum {show(rewards)} starts after the scores' first step {show(low)}: "
            "causality drops only the terms before each score's step",
            condition="range",
        )
    if not (high2 + 1 - high).is_nonnegative:
        raise Refusal(
            rewards,
            f"the sum {show(rewards)} ends before the scores' last step {show(high)}",
            condition="range",
        )
    _require_fixed_by(body, u, tau)
    return Sum(score * scale * Sum(body, (u, t, high2)), limit)


def _require_fixed_by(body: Basic, u: Basic, tau: Basic) -> None:
    """h_u depends on s_first..s_u and a_first..a_u only (so it is fixed before a_t, u < t)."""
    states, actions, whole, _ = found = footprint(body, tau)
    if whole is not None:
        raise Refusal(
            body,
            f"the term {show(body)} depends on the whole trajectory {show(tau)} through "
            f"{show(whole)}: causality needs each term to depend on its own step and earlier ones",
            condition="depends_on_later_steps",
        )
    for atom in sorted([*states, *actions], key=str):
        if not _not_after(u, found.latest(atom.time), strictly=False):
            raise Refusal(
                body,
                f"the term {show(body)} of step {show(u)} depends on {show(atom)}, a later "
                "step: dropping it for an earlier score would drop a correlated term",
                condition="depends_on_later_steps",
            )


@rule(
    "causality", aliases=("reward_to_go", "causality_trick"),
    label="causality (reward to go)",
    phrases=(
        "causality", "reward to go", "rewards to go", "future rewards only",
        "past rewards do not matter", "policy cannot affect past rewards",
    ),
    priority=190,
)
def causality(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[Σ_t ∇_θ log π_θ(a_t|s_t) Σ_{t'=t₀}^{T} h_{t'}] = E_{τ∼p_θ}[Σ_t ∇_θ log π_θ(a_t|s_t)
    Σ_{t'=t}^{T} h_{t'}]   (t₀ ≤ first t; h_{t'} a function of steps ≤ t': the terms t' < t
    have zero mean against the score, as in baseline)."""
    if not isinstance(node, Expectation):
        return None
    body, tau = node.expr, node.variable
    out: list[Basic] = []
    factors = list(Mul.make_args(body))
    for k, factor in enumerate(factors):
        found = _score_sum(factor, ctx, tau)
        if found is None:
            continue
        score, limit, rest = found
        others = factors[:k] + factors[k + 1 :]
        # (Σ_t g_t)(Σ_{t'} h_{t'}) · c   or   Σ_t g_t (Σ_{t'} h_{t'}) · c_t
        for j, other in enumerate(others):
            if isinstance(other, Sum) and len(other.limits) == 1 and rest == S.One:
                scale = Mul(*(others[:j] + others[j + 1 :]))
                if tau in scale.free_symbols or limit[0] in scale.free_symbols:
                    continue
                if limit[0] in other.free_symbols:  # a free t there is not the scores' t
                    continue
                _sampling_density(node, ctx, "causality")
                out.append(scale * _causal(score, limit, other, tau, S.One, node))
        outside = Mul(*others)
        if tau in outside.free_symbols or limit[0] in outside.free_symbols:
            continue  # a factor of the whole trajectory outside Σ_t: not causality's form
        for inner in Mul.make_args(rest):
            if isinstance(inner, Sum) and len(inner.limits) == 1:
                scale = Mul(*(f for f in Mul.make_args(rest) if f != inner))
                if tau in scale.free_symbols:
                    continue
                _sampling_density(node, ctx, "causality")
                out.append(outside * _causal(score, limit, inner, tau, scale, node))
    return [Expectation(new, tau, node.density) for new in out] or None
