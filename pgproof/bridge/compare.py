"""Compare two expressions numerically on one instance.

Tolerance.  Two values a, b (arrays over the same named axes) agree when

    max |a − b|  ≤  RTOL · max(1, max|a|, max|b|),     RTOL = 1e-6.

∇_θ is exact (forward-mode jets, :mod:`.evaluate`, :mod:`.state_evaluate`): the sides
agree to round-off (≈ 1e-13), far below RTOL; a real difference between two different
expressions on a random MDP is of the order of the values themselves (1e-3 … 1), well
above it.

Free symbols.  Free integer symbols are assigned concrete values and every assignment is
compared: the time index t runs over first..horizon, the sample count m over {1, 2};
a free sample index i stays free and becomes the axis τ^(i), compared pointwise for every
enumerated τ^(i), as a free τ is.  Any other free symbol makes the pair not evaluable.

Estimates.  When ``estimate`` is set (the step's own rule is an estimate, e.g. E ≈ sample
mean), the *expected value* over the sampled trajectories τ^(1), τ^(2), τ^(i)… (i.i.d.
from p_θ) is compared: Σ over each sample axis weighted by p_θ.

Partly defined steps.  A side may have no value at some assignments only: a_{t+1} at
t = T lies past the trajectory.  The sides are compared at every assignment where both
are evaluated, and the part that is not (which side, which term, at which t) is reported
in ``Outcome.partial``; only when no assignment could be compared is the pair not
evaluable (the first reason is raised, as for a term with no numeric meaning at all).

Truncated series.  On an infinite-horizon instance a side may be computed with its series
cut where the enumerated steps end; :func:`.tails.truncation_error` bounds what that
changes (the *slack*, both sides added).  The sides agree when the difference plus the
slack is within the tolerance, differ when the difference minus the slack exceeds it, and
are not compared on that instance otherwise (never counted as agreement).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from sympy import Basic

from pgproof.kernel.state_objects import ActionSymbol, StateSymbol
from pgproof.symbolic.notation import Notation

from .evaluate import is_sample_axis
from .instance import Instance
from .state_evaluate import evaluator_for
from .values import NotEvaluable, Undefined, Value, align

RTOL = 1e-6
#: values of a free sample count m
SAMPLE_COUNTS = (1, 2)


@dataclass
class Outcome:
    """The comparison of two sides on one instance, for one assignment of free symbols."""

    agree: bool
    assignment: dict[str, int] = field(default_factory=dict)
    #: the largest difference and where: axis -> index; the two numbers there.
    difference: float = 0.0
    tolerance: float = 0.0
    location: dict[str, int] = field(default_factory=dict)
    left: float | None = None
    right: float | None = None
    #: when a side is undefined on this instance (log of x ≤ 0, …): which and why.
    undefined: str = ""
    #: False when no assignment could be compared (both sides undefined at every one):
    #: such an instance says nothing, it is never counted as agreement
    evaluated: bool = True
    #: assignments skipped because both sides were undefined there
    skipped: int = 0
    #: the bound on what truncating infinite series changes, both sides (0 when nothing was)
    slack: float = 0.0
    #: the assignments where a side has no numeric value (which side, which term, where),
    #: compared everywhere else; empty when every assignment was evaluated
    partial: str = ""


def tolerance(a: np.ndarray, b: np.ndarray) -> float:
    scale = max(1.0, float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return RTOL * scale


def compare_values(a: Value, b: Value, slack: float = 0.0) -> Outcome:
    """Agreement of two values within :data:`RTOL`, with the worst location (with a
    ``slack``: the difference plus the slack within the tolerance)."""
    axes, (x, y) = align([a, b])
    x, y = np.broadcast_arrays(x, y)
    tol = tolerance(x, y)
    gap = np.abs(x - y)
    if gap.size == 0:
        return Outcome(True, tolerance=tol, slack=slack)
    worst = np.unravel_index(int(np.argmax(gap)), gap.shape)
    location = {axis: int(k) for axis, k in zip(axes, worst, strict=True)}
    return Outcome(
        bool(gap[worst] + slack <= tol),
        difference=float(gap[worst]),
        tolerance=tol,
        location=location,
        left=float(x[worst]),
        right=float(y[worst]),
        slack=slack,
    )


def undecided(outcome: Outcome) -> bool:
    """The sides disagree only within the slack: neither equal nor provably different."""
    return not outcome.agree and outcome.difference - outcome.slack <= outcome.tolerance


def undecided_reason(outcome: Outcome) -> str:
    return (
        f"the sides differ by {outcome.difference:.2g}, within what truncating the infinite "
        f"sums may change ({outcome.slack:.2g})"
    )


def slack_of(left: Basic, right: Basic, instance: Instance, notation: Notation, env) -> float:
    """What truncating the infinite series of both sides may change (0 on a finite instance,
    and on a problem about one state, which has no series over time)."""
    if not instance.infinite:
        return 0.0
    from .tails import truncation_error

    return truncation_error(left, instance, notation, env) + truncation_error(
        right, instance, notation, env
    )


def expected_over_samples(value: Value, prob: np.ndarray) -> Value:
    """E over every sample axis τ^(k) with i.i.d. weights p_θ."""
    weights = Value(prob, ("",))
    for axis in [a for a in value.axes if is_sample_axis(a)]:
        value = value.reduce(axis, Value(weights.data, (axis,)))
    return value


def free_integers(exprs: list[Basic], notation: Notation) -> list[str]:
    """Names of the free integer symbols to assign (t, m); others are not evaluable.

    A state s or action a of a formula about one state is an axis of the instance, not an
    integer to assign; σ of a Gaussian policy is drawn per instance, as constants are."""
    names = sorted(
        {
            s.name
            for e in exprs
            for s in e.free_symbols
            if not isinstance(s, (StateSymbol, ActionSymbol))
        }
    )
    ignored = {notation.trajectory, notation.parameter, notation.sample_index, notation.horizon}
    ignored |= set(notation.constants)  # drawn per instance (Instance.constants)
    if notation.discount:
        ignored.add(notation.discount)  # γ, drawn per instance too
    if notation.policy_class == "gaussian":
        ignored.add(notation.policy_std)
    free = [n for n in names if n not in ignored]
    for name in free:
        if name not in (notation.sample_count, notation.time_index):
            raise NotEvaluable(f"{name} is a free symbol with no numeric value")
    return free


def assignments(free: list[str], instance: Instance, notation: Notation) -> Iterator[dict]:
    """Every assignment: t over first..horizon (on an infinite-horizon instance, over its
    first :data:`.infinite.MAX_TIMES` steps), m over :data:`SAMPLE_COUNTS`."""
    last = instance.horizon_value
    if getattr(instance, "infinite", False):
        from .infinite import MAX_TIMES

        last = min(last, instance.first + MAX_TIMES - 1)
    times = tuple(range(instance.first, last + 1))
    ranges = [SAMPLE_COUNTS if n == notation.sample_count else times for n in free]
    for combo in product(*ranges):
        yield dict(zip(free, combo, strict=True))


def compare_sides(
    a: Value,
    b: Value,
    sides: tuple[Basic, Basic],
    instance: Instance,
    notation: Notation,
    env: dict,
    estimate: bool,
) -> Outcome:
    """Values ``a`` and ``b`` of the two ``sides`` at ``env``, compared within the slack the
    truncated series of the sides allow (in expectation over the samples if ``estimate``)."""
    if estimate:
        prob = instance.probabilities()
        a, b = expected_over_samples(a, prob), expected_over_samples(b, prob)
    return compare_values(a, b, slack_of(*sides, instance, notation, env))


def compare_on(
    left: Basic,
    right: Basic,
    instance: Instance,
    notation: Notation,
    estimate: bool = False,
) -> Outcome:
    """Compare ``left`` and ``right`` on ``instance`` for every assignment; the first
    disagreement (or undefined side) is returned, else an agreeing outcome.  Assignments
    where both sides are undefined are skipped, never agreement: when every one is, the
    outcome has ``evaluated=False``.

    Raises :class:`NotEvaluable` when either side has no numeric meaning.
    """
    evaluator = evaluator_for(instance, notation)
    free = free_integers([left, right], notation)
    last: Outcome | None = None
    skipped, why, slack = 0, "", 0.0
    missing: list[tuple[dict, str, NotEvaluable]] = []  # (assignment, side, why) not evaluated
    for env in assignments(free, instance, notation):
        a, b = _side(evaluator, left, env), _side(evaluator, right, env)
        gaps = [(side, v) for side, v in (("left", a), ("right", b)) if isinstance(v, NotEvaluable)]
        if gaps:
            missing += [(env, side, exc) for side, exc in gaps]
            continue
        if isinstance(a, Undefined) and isinstance(b, Undefined):
            skipped, why = skipped + 1, f"both sides are undefined ({a}; {b})"
            continue
        if isinstance(a, Undefined) or isinstance(b, Undefined):
            which, exc = ("left", a) if isinstance(a, Undefined) else ("right", b)
            return Outcome(
                False,
                env,
                undefined=f"the {which} side: {exc}",
                skipped=skipped,
                partial=partial_text(missing),
            )
        try:
            outcome = compare_sides(a, b, (left, right), instance, notation, env, estimate)
        except NotEvaluable as exc:  # what truncating a series changes is not bounded here
            missing.append((env, "both", exc))
            continue
        outcome.assignment = env
        outcome.skipped = skipped
        outcome.partial = partial_text(missing)
        if undecided(outcome):
            reason = undecided_reason(outcome)
            return Outcome(True, env, evaluated=False, undefined=reason, slack=outcome.slack)
        if not outcome.agree:
            return outcome
        last, slack = outcome, max(slack, outcome.slack)
    if last is None and missing:  # nothing compared, and a side had no value: not evaluable
        raise missing[0][2]
    if last is None:  # nothing was compared: not an agreement
        return Outcome(True, evaluated=False, undefined=why, skipped=skipped)
    last.skipped, last.slack, last.partial = skipped, slack, partial_text(missing)
    return last


def _side(evaluator, expr: Basic, env: dict) -> Value | Undefined | NotEvaluable:
    """The value of one side at ``env``, or why it has none there."""
    try:
        return evaluator.evaluate(expr, env)
    except (Undefined, NotEvaluable) as exc:
        return exc


#: at most this many not-evaluated assignments are spelled out in ``Outcome.partial``
SHOWN_GAPS = 3


def partial_text(missing: list[tuple[dict, str, NotEvaluable]]) -> str:
    """Where a side was not evaluated: "the right side at t=3: a_{t+1} at time 4 is outside
    the trajectory (…)", the first :data:`SHOWN_GAPS` in the order of the assignments."""
    if not missing:
        return ""
    parts = []
    for env, side, exc in missing[:SHOWN_GAPS]:
        where = ", ".join(f"{k}={v}" for k, v in env.items()) or "every point"
        whose = "both sides" if side == "both" else f"the {side} side"
        parts.append(f"{whose} at {where}: {exc}")
    more = len(missing) - SHOWN_GAPS
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
