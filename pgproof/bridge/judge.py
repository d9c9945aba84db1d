"""The soundness audit's numeric judge: is a claimed equation true on random MDPs?

``check --numeric`` (:mod:`.steps`) compares what one step rewrote with its source, so a
correct rule after a wrong step is not blamed.  The audit asks a different question of an
*accepted* step: is the claim the reader sees true?  :func:`judge_claim` compares the two
sides of a claim (in expectation over the samples τ^(i) when the claim is an estimate ≈),
on the same random instances as ``check --numeric``, and is stricter in two places, so
that it does not share the evaluator's known weak spots:

* **undefined is not agreement.**  An assignment where both sides are undefined (the log
  of a negative reward on both sides) is not compared; an instance where no assignment is
  compared does not count as a trial; no trial compared → ``not evaluated``.  One side
  defined and the other not is a difference (``wrong``).
* **overflow is not agreement.**  An assignment where a side left floating point (±inf or
  nan: exp of a large number) is not compared either: ∞ − ∞ is nan (a false difference),
  and ∞ is within any relative tolerance of ∞ or of a finite number (a false agreement).
* **exponents are exact.**  x^{−p/p} with p > 0 is x^{−1} (a rule may insert p/p in an
  exponent; in floating point it is not exactly an integer, and a negative x would make
  the power undefined).
* **a reversed range is empty.**  Σ_{t=a}^{b} with b < a is 0 and ∏ is 1 (the reading of
  every write-up), not SymPy's Karr convention Σ_{a}^{b} = −Σ_{b+1}^{a−1}: ranges whose
  limits are concrete once t, m and the horizon have their values are rewritten first
  (a limit that depends on an enclosing sum's index is left to the evaluator).

Verdicts: ``wrong`` (with a one-line witness), ``equal``, ``not evaluated`` (with why).
Results are cached per (left, right, estimate, notation, stream, trials, seed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sympy import Basic, Pow, Product, S, Sum

from pgproof.kernel.objects import Ratio, SampleMean
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import show
from pgproof.symbolic.traversal import bottom_up

from .compare import (
    assignments,
    compare_sides,
    free_integers,
    undecided,
)
from .evaluate import Evaluator
from .instance import Instance
from .state_evaluate import evaluator_for
from .state_problem import draw_problem
from .steps import MAX_TRAJECTORIES, MAX_TRAJECTORIES_PAIRS
from .values import NotEvaluable, Undefined, Value, integer_values

WRONG = "wrong"
EQUAL = "equal"
NOT_EVALUATED = "not evaluated"


@dataclass(frozen=True)
class Judgement:
    verdict: str  # WRONG | EQUAL | NOT_EVALUATED
    reason: str = ""
    #: trials compared (an instance with at least one assignment where both sides exist)
    trials: int = 0
    #: assignments skipped because both sides were undefined
    undefined: int = 0


def empty_reversed(expr: Basic, values: Mapping[str, int]) -> Basic:
    """``expr`` with every Σ/∏ whose concrete range is reversed (b < a) made empty."""
    if expr.is_Atom or not expr.args:
        return expr
    if isinstance(expr, (Sum, Product)):
        bound = {index.name for index, _, _ in expr.limits}
        inner = {k: v for k, v in values.items() if k not in bound}
        limits = []
        for index, low, high in expr.limits:
            a = low.xreplace(integer_values(low, inner))
            b = high.xreplace(integer_values(high, inner))
            if a.is_Integer and b.is_Integer and b < a - 1:
                return S.Zero if isinstance(expr, Sum) else S.One
            limits.append((index, a, b))
        body = empty_reversed(expr.function, inner)
        return expr.func(body, *limits)
    if isinstance(expr, SampleMean):
        body, index, count = expr.args
        inner = {k: v for k, v in values.items() if k != index.name}
        return expr.func(empty_reversed(body, inner), index, count)
    if isinstance(expr, InfiniteSum):  # Σ_{t=a}^{∞} is never reversed; its t is bound
        body, index, lower = expr.args
        inner = {k: v for k, v in values.items() if k != index.name}
        return expr.func(empty_reversed(body, inner), index, lower)
    args = tuple(empty_reversed(a, values) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr


def exact_exponents(expr: Basic) -> Basic:
    """Exponents made exact where they are integers once a/a (a > 0) is 1: x^{-p/p} is
    x^{-1}, which floating point would make a non-integer power of a negative x."""

    def settle(node: Basic) -> Basic:
        if not isinstance(node, Pow) or node.exp.is_Integer:
            return node
        exponent = node.exp.replace(
            lambda r: (
                isinstance(r, Ratio)
                and r.numerator == r.denominator
                and bool(r.denominator.is_positive)
            ),
            lambda r: S.One,
        )
        return Pow(node.base, exponent) if exponent.is_Integer else node

    return bottom_up(expr, settle)


def _value(evaluator: Evaluator, expr: Basic, env: dict[str, int]) -> Value | Undefined:
    try:
        return evaluator.evaluate(exact_exponents(empty_reversed(expr, env)), env)
    except Undefined as exc:
        return exc


def _overflowed(value: Value | Undefined) -> bool:
    """A value that left floating point (±inf or nan somewhere): e.g. exp of a large x."""
    return isinstance(value, Value) and not bool(np.isfinite(value.data).all())


def _budget(exprs: list[Basic], notation: Notation) -> int:
    names = {s.name for e in exprs for s in e.free_symbols}
    return MAX_TRAJECTORIES_PAIRS if notation.sample_count in names else MAX_TRAJECTORIES


def compare_strictly(
    left: Basic, right: Basic, instance: Instance, notation: Notation, estimate: bool
) -> tuple[str, str, int]:
    """(verdict on this instance, witness text, assignments with both sides undefined).

    The verdict is WRONG, EQUAL, or NOT_EVALUATED when every assignment was undefined on
    both sides.  Raises :class:`NotEvaluable` when a side has no numeric meaning.
    """
    evaluator = evaluator_for(instance, notation)
    free = free_integers([left, right], notation)
    compared, undefined = 0, 0
    for env in assignments(free, instance, notation):
        env = {**env, notation.horizon: instance.horizon_value}
        a, b = _value(evaluator, left, env), _value(evaluator, right, env)
        if isinstance(a, Undefined) and isinstance(b, Undefined):
            undefined += 1
            continue
        if _overflowed(a) or _overflowed(b):  # a side that is not a float says nothing
            undefined += 1
            continue
        where = f"{instance.label}, {instance.describe()}"
        shown = {k: v for k, v in env.items() if k != notation.horizon}
        if shown:
            where += ", " + ", ".join(f"{k}={v}" for k, v in shown.items())
        if isinstance(a, Undefined) or isinstance(b, Undefined):
            side, exc = ("left", a) if isinstance(a, Undefined) else ("right", b)
            return WRONG, f"{where}: only the {side} side is undefined ({exc})", undefined
        outcome = compare_sides(a, b, (left, right), instance, notation, env, estimate)
        if undecided(outcome):  # within what truncated series may change: not compared
            undefined += 1
            continue
        if not outcome.agree:
            how = " in expectation over the samples" if estimate else ""
            return (
                WRONG,
                f"{where}: {outcome.left:.6g} ≠ {outcome.right:.6g}{how} "
                f"(difference {outcome.difference:.3g})",
                undefined,
            )
        compared += 1
    return (EQUAL if compared else NOT_EVALUATED), "", undefined


_CACHE: dict[tuple, Judgement] = {}


def judge_claim(
    left: Basic,
    right: Basic,
    notation: Notation,
    estimate: bool = False,
    trials: int = 3,
    seed: int = 0,
    stream: int = 0,
) -> Judgement:
    """Strict numeric verdict on ``left = right`` (``≈`` when ``estimate``): see module doc.

    Instances are drawn as ``check --numeric`` draws them for step ``stream``
    (``default_rng([seed, stream])``, odd trials with S, A ≥ 2).
    """
    key = (left, right, estimate, notation, stream, trials, seed)
    if key in _CACHE:
        return _CACHE[key]
    rng = np.random.default_rng([seed, stream])
    budget = _budget([left, right], notation)
    compared = undefined = 0
    result: Judgement | None = None
    try:
        for trial in range(1, trials + 1):
            label = f"trial {trial}, seed {seed}"
            inst = draw_problem(rng, notation, budget, label, trial % 2 == 1)
            verdict, witness, skipped = compare_strictly(left, right, inst, notation, estimate)
            undefined += skipped
            if verdict == WRONG:
                result = Judgement(WRONG, witness, compared + 1, undefined)
                break
            compared += verdict == EQUAL
    except NotEvaluable as exc:
        result = Judgement(NOT_EVALUATED, str(exc), compared, undefined)
    if result is None:
        if compared:
            result = Judgement(EQUAL, "", compared, undefined)
        else:
            why = f"both sides are undefined on every trial ({show(left)})"
            result = Judgement(NOT_EVALUATED, why, 0, undefined)
    _CACHE[key] = result
    return result


def clear_cache() -> None:
    _CACHE.clear()
