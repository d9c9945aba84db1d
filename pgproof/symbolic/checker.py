"""The checker: apply each step's rules to its source and compare with the claim.

A step is accepted only if some result of applying its rules, in order, is
the claimed equation up to canonical form (:mod:`.canonical`). Otherwise the
report names the step, the rule, the claim, what the rule gives, the smallest
subterm where they differ, and the failed side condition in words. Every step
is checked against its own claimed source, so one wrong step does not hide
the next.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sympy import Basic

from pgproof.budget import DERIVATION_SECONDS, STEP_SECONDS, BudgetExceeded, time_budget

from .canonical import canonical, size, smallest_difference
from .domain import domain_conditions, holds
from .errors import DerivationError
from .objects import Approximation, Equation, Grad, Objective, Policy, TrajectoryDensity
from .refusal import Refusal
from .report import DerivationReport, Failure, StepReport
from .rules import Context, apply_rule, lookup
from .rules.apply import MAX_CANDIDATES
from .text import show

if TYPE_CHECKING:
    from .derivation import Derivation, Step


def _resolve(derivation: Derivation) -> list[tuple[Equation, Equation]]:
    """(source, claim) equations of each step, with continuation lhs filled in.

    A claim is an estimate (:class:`Approximation`, ≈) when its own rules include an
    estimate, or it rewrites an estimate (its source), or it substitutes one (``using``).
    """
    claims: list[Equation] = []
    pairs: list[tuple[Equation, Equation]] = []
    for k, step in enumerate(derivation.steps, start=1):
        lhs = step.lhs
        if lhs is None:  # "= rhs" continues its source's left side
            if not claims:
                raise DerivationError("the first step needs a left-hand side", k, step.line)
            lhs = claims[-1].lhs
            if isinstance(step.source, int) and not isinstance(step.source, bool):
                lhs = claims[_earlier(step.source, k, step, "from") - 1].lhs
        source = _source(step, k, claims, Equation(lhs, step.rhs))
        rules = [lookup(name) for name in step.rules]
        estimate = any(r.estimate for r in rules) or source.is_estimate
        if step.reference is not None and any(r.by_reference for r in rules):
            used = claims[_earlier(step.reference, k, step, "using") - 1]
            estimate = estimate or used.is_estimate
        claim = (Approximation if estimate else Equation)(lhs, step.rhs)
        _same_parameter(derivation, claim, k, step)
        claims.append(claim)
        pairs.append((source, claim))
    return pairs


def _same_parameter(derivation: Derivation, claim: Equation, k: int, step: Step) -> None:
    """Every ∇ and every π_θ must use the notation's θ: θ-dependence is read from it."""
    theta = derivation.notation.theta
    for node in claim.atoms(Grad, Policy, TrajectoryDensity, Objective):
        used = node.variable if isinstance(node, Grad) else node.theta
        if used != theta:
            raise DerivationError(
                f"{show(node)} uses the parameter {used!r}, but this notation's parameter is "
                f"{theta!r} (a different SymPy symbol, e.g. with other assumptions)",
                k,
                step.line,
            )


def _source(step: Step, k: int, claims: list[Equation], claim: Equation) -> Equation:
    if step.source == "self" or (step.source == "previous" and not claims):
        return Equation(claim.lhs, claim.lhs)
    if step.source == "previous":
        return claims[-1]
    return claims[_earlier(step.source, k, step, "from") - 1]


def _earlier(ref: object, k: int, step: Step, what: str) -> int:
    if not isinstance(ref, int) or not 1 <= ref < k:
        raise DerivationError(
            f"{what} must name an earlier step (1..{k - 1}), not {ref!r}", k, step.line
        )
    return ref


def _safe_canonical(expr: Basic) -> Basic | None:
    try:
        return canonical(expr)
    except Refusal:
        return None


#: the rule of a failure of the claim itself (not of any rule)
CLAIM = "claim"


def _failure(refusal: Refusal, default_rule: str) -> Failure:
    rule = refusal.rule or default_rule
    return Failure(rule, refusal.condition, f"{rule}: {refusal.reason}")


def _relevant(refusals: list[Refusal], region: Basic | None) -> list[Refusal]:
    out: list[Refusal] = []
    for refusal in refusals:
        sub = refusal.subterm
        relevant = sub is None or region is None or region.has(sub) or sub.has(region)
        if relevant and all(r.reason != refusal.reason for r in out):
            out.append(refusal)
    return out


def check_step(
    derivation: Derivation, index: int, source: Equation, claim: Equation, claims: list[Equation]
) -> StepReport:
    step = derivation.steps[index - 1]
    rules = [lookup(name) for name in step.rules]
    reference = None
    if step.reference is not None:
        reference = claims[_earlier(step.reference, index, step, "reference") - 1]
    ctx = Context(derivation.notation, claim, reference, step.terms, step.factor)
    report = StepReport(index=index, step=step, claim=claim, source=source)
    by_estimate = reference is not None and reference.is_estimate

    try:
        wanted = canonical(claim)
    except Refusal as refusal:
        failure = Failure(CLAIM, refusal.condition, f"the claim itself: {refusal.reason}")
        return report.reject([failure], None)
    try:
        for rule in rules:
            if rule.check_arguments is not None:
                rule.check_arguments(ctx)
    except Refusal as refusal:
        return report.reject([_failure(refusal, rule.name)], None)

    source_diff = smallest_difference(_safe_canonical(source) or source, wanted)
    region = source_diff[0] if source_diff is not None else None
    frontier: list[Basic] = [source]
    refusals: list[Refusal] = []
    for rule in rules:
        produced: list[Basic] = []
        if not rule.valid_on_estimate and any(e.is_estimate for e in frontier):
            words = (
                f"{rule.name}: not valid on an estimate (≈): the two sides are equal only "
                "in expectation over samples drawn from p_θ, so ∇ or log of both sides "
                "is not an estimate of ∇ or log of the other"
            )
            return report.reject([Failure(rule.name, "not_valid_on_estimate", words)], None)
        estimate = rule.estimate or (rule.by_reference and by_estimate)
        for expr in frontier:
            relation = Approximation if (estimate or expr.is_estimate) else Equation
            # Once the left side is the claimed one, only the right side is rewritten.
            if expr.lhs == claim.lhs and not rule.root_only:
                attempt = apply_rule(expr.rhs, rule, ctx, estimate=estimate)
                candidates = [relation(expr.lhs, c) for c in attempt.candidates]
            else:
                attempt = apply_rule(expr, rule, ctx, estimate=estimate)
                candidates = [relation(*c.args) for c in attempt.candidates]
            refusals.extend(attempt.refusals)
            produced.extend(c for c in candidates if c not in produced)
        if not produced:
            found = _relevant(refusals, region) or _relevant(refusals, None)
            failures = [_failure(r, rule.name) for r in found]
            words = f"{rule.name} does not apply to {show(frontier[0])}"
            return report.reject(failures or [Failure(rule.name, "does_not_apply", words)], None)
        frontier = produced[:MAX_CANDIDATES]
    report.assumptions = list(ctx.assumptions)

    best: tuple[int, Basic, tuple[Basic, Basic] | None] | None = None
    for candidate in frontier:
        got = _safe_canonical(candidate)
        if got is None:
            continue
        if got == wanted:
            lost = _undefined_difference(source, claim)
            if lost is not None:
                return report.reject([lost], candidate)
            report.status = "accepted"
            report.produced = candidate
            return report
        diff = smallest_difference(got, wanted)
        weight = size(diff[0]) + size(diff[1]) if diff else 0
        if best is None or weight < best[0]:
            best = (weight, candidate, diff)

    failures = [_failure(r, names_of(step)) for r in _relevant(refusals, region)]
    names = names_of(step)
    if best is not None and best[2] is not None:
        ours, theirs = best[2]
        words = f"{names} gives {show(ours)} where the claim has {show(theirs)}"
        failures.append(Failure(names, "claim_differs", words))
        return report.reject(failures, best[1], best[2])
    words = f"{names} does not produce the claim"
    return report.reject(failures or [Failure(names, "claim_differs", words)], None)


def compared_sides(source: Equation, claim: Equation) -> tuple[Basic, Basic, bool]:
    """(left, right, conditional): the two expressions a step claims equal.

    From itself (source ``lhs = lhs``): the claim's two sides; the left side kept: the
    source's right side and the claim's; the right side kept: the two left sides; both
    changed (∇ or log of both sides): the claim's two sides, given the source (conditional).
    """
    if source.lhs == source.rhs:
        return claim.lhs, claim.rhs, False
    if source.lhs == claim.lhs:
        return source.rhs, claim.rhs, False
    if source.rhs == claim.rhs:
        return source.lhs, claim.lhs, False
    return claim.lhs, claim.rhs, True


def _undefined_difference(source: Equation, claim: Equation) -> Failure | None:
    """A step may not change where what it rewrites is defined: a log, division or power
    that one of the two compared sides has and the other has not needs its condition known
    (0·∇log r = 0 would otherwise swallow a term undefined where r ≤ 0)."""
    left, right, _ = compared_sides(source, claim)
    changed = domain_conditions(left) ^ domain_conditions(right)
    for kind, arg in sorted(changed, key=str):
        if not holds((kind, arg)):
            words = (
                f"the step changes where the equation is defined: {show(arg)} must be {kind} "
                "on one side and is not known to be"
            )
            return Failure(CLAIM, "domain", words)
    return None


def names_of(step: Step) -> str:
    """The rules a step cites, as one name (``restating`` for none)."""
    return ", ".join(step.rules) or "restating"


def check_derivation(
    derivation: Derivation,
    *,
    timeout: float | None = STEP_SECONDS,
    total: float | None = DERIVATION_SECONDS,
) -> DerivationReport:
    """Check every step of ``derivation``, each within ``timeout`` seconds and all within
    ``total`` (None: no limit); a step that cannot be decided in time is refused, with that
    reason, and once ``total`` is spent the remaining steps are refused unchecked."""
    pairs = _resolve(derivation)
    claims = [claim for _, claim in pairs]
    reports: list[StepReport] = []
    deadline = None if total is None else time.monotonic() + total
    for index, (source, claim) in enumerate(pairs, start=1):
        step = derivation.steps[index - 1]
        budget, by_total = timeout, False
        if deadline is not None:
            left = deadline - time.monotonic()
            by_total = budget is None or left < budget
            budget = left if by_total else budget
        if budget is not None and budget <= 0:
            report = StepReport(index=index, step=step, claim=claim, source=source)
            words = f"not checked: the derivation's budget of {total:g} s is spent"
            reports.append(report.reject([Failure(names_of(step), "budget", words)], None))
            continue
        try:
            with time_budget(budget):
                report = check_step(derivation, index, source, claim, claims)
        except BudgetExceeded as exceeded:
            words = str(exceeded)
            if by_total:
                words = f"could not be decided within the derivation's budget of {total:g} s"
            report = StepReport(index=index, step=step, claim=claim, source=source)
            report.reject([Failure(names_of(step), "budget", words)], None)
        reports.append(report)
    _mark_premises(derivation, reports)
    return DerivationReport(derivation, reports)


def premises(step: Step, index: int) -> list[int]:
    """The earlier steps a step builds on: its source (previous or ``from``) and ``using``."""
    used: list[int] = []
    if step.source == "previous" and index > 1:
        used.append(index - 1)
    elif isinstance(step.source, int) and not isinstance(step.source, bool):
        used.append(step.source)
    if step.reference is not None:
        used.append(step.reference)
    return used


def _mark_premises(derivation: Derivation, reports: list[StepReport]) -> None:
    """An accepted step that builds on a refused step (or on one that does) rests on it:
    its rule holds, its premise does not."""
    for k, report in enumerate(reports, start=1):
        refused: set[int] = set()
        for j in premises(derivation.steps[k - 1], k):
            premise = reports[j - 1]
            refused |= {j} if not premise.accepted else set(premise.rests_on)
        report.rests_on = sorted(refused)
