"""Checking one step: apply its rules to its source and compare with its claim.

A step is accepted only if some result of applying its rules, in order, is the claimed
equation up to canonical form (:mod:`.canonical`), and the step does not change where
what it rewrites is defined (:mod:`.domain`).  Otherwise the report names the rule, what
the rules give, the smallest subterm where that differs from the claim, and the failed
side condition (a code and words).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sympy import Basic, Pow, preorder_traversal

from pgproof.kernel.objects import Approximation, Equation

from .canonical import canonical, size, smallest_difference
from .domain import condition_order, domain_conditions, holds
from .errors import DerivationError
from .refusal import Refusal
from .report import Failure, StepReport
from .rules import Context, Rule, apply_rule, lookup
from .rules.apply import MAX_CANDIDATES
from .series import check_infinite_trajectories
from .text import show

if TYPE_CHECKING:
    from .claims import Claims as Derivation  # a Derivation's data (no display)
    from .claims import Step


def earlier_step(ref: object, k: int, step: Step, what: str) -> int:
    if not isinstance(ref, int) or not 1 <= ref < k:
        raise DerivationError(
            f"{what} must name an earlier step (1..{k - 1}), not {ref!r}", k, step.line
        )
    return ref


def _safe_canonical(expr: Basic, ctx: Context) -> Basic | None:
    try:
        return canonical(expr, ctx.steps)
    except Refusal:
        return None


#: the rule of a failure of the claim itself (not of any rule)
CLAIM = "claim"


def failure_of(refusal: Refusal, default_rule: str) -> Failure:
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


def rewrite(
    rule: Rule,
    frontier: list[Equation],
    claim: Equation,
    ctx: Context,
    by_estimate: bool,
    refusals: list[Refusal],
) -> list[Equation]:
    """Every equation ``rule`` makes of one in ``frontier`` (its refusals appended).

    Once an equation's left side is the claim's, only its right side is rewritten; an
    estimate (the rule's, or a substitution of an estimate) makes the relation ≈."""
    produced: list[Equation] = []
    estimate = rule.estimate or (rule.by_reference and by_estimate)
    for expr in frontier:
        relation = Approximation if (estimate or expr.is_estimate) else Equation
        if expr.lhs == claim.lhs and not rule.root_only:
            attempt = apply_rule(expr.rhs, rule, ctx, estimate=estimate)
            candidates = [relation(expr.lhs, c) for c in attempt.candidates]
        else:
            attempt = apply_rule(expr, rule, ctx, estimate=estimate)
            candidates = [relation(*c.args) for c in attempt.candidates]
        refusals.extend(attempt.refusals)
        produced.extend(c for c in candidates if c not in produced)
    return produced[:MAX_CANDIDATES]


def step_context(
    derivation: Derivation, index: int, claim: Equation, claims: list[Equation]
) -> Context:
    """What the step's rules may read: the notation, the claim, ``using``, terms, factor."""
    step = derivation.steps[index - 1]
    reference = None
    if step.reference is not None:
        reference = claims[earlier_step(step.reference, index, step, "reference") - 1]
    return Context(derivation.notation, claim, reference, step.terms, step.factor)


def check_step(
    derivation: Derivation, index: int, source: Equation, claim: Equation, claims: list[Equation]
) -> StepReport:
    step = derivation.steps[index - 1]
    rules = [lookup(name) for name in step.rules]
    ctx = step_context(derivation, index, claim, claims)
    report = StepReport(index=index, step=step, claim=claim, source=source)
    by_estimate = ctx.reference is not None and ctx.reference.is_estimate

    try:
        wanted = canonical(claim, ctx.steps)
        check_infinite_trajectories(claim, derivation.notation.infinite_horizon)
    except Refusal as refusal:
        failure = Failure(CLAIM, refusal.condition, f"the claim itself: {refusal.reason}")
        return report.reject([failure], None)
    try:
        for rule in rules:
            if rule.check_arguments is not None:
                rule.check_arguments(ctx)
    except Refusal as refusal:
        return report.reject([failure_of(refusal, rule.name)], None)

    source_diff = smallest_difference(_safe_canonical(source, ctx) or source, wanted)
    region = source_diff[0] if source_diff is not None else None
    frontier: list[Basic] = [source]
    refusals: list[Refusal] = []
    for rule in rules:
        if not rule.valid_on_estimate and any(e.is_estimate for e in frontier):
            words = (
                f"{rule.name}: not valid on an estimate (≈): the two sides are equal only "
                "in expectation over samples drawn from p_θ, so ∇ or log of both sides "
                "is not an estimate of ∇ or log of the other"
            )
            return report.reject([Failure(rule.name, "not_valid_on_estimate", words)], None)
        produced = rewrite(rule, frontier, claim, ctx, by_estimate, refusals)
        if not produced:
            found = _relevant(refusals, region) or _relevant(refusals, None)
            failures = [failure_of(r, rule.name) for r in found]
            words = (
                f"{rule.name} does not apply to {show(frontier[0])}: it needs the form "
                f"{rule.formula}"
            )
            return report.reject(failures or [Failure(rule.name, "does_not_apply", words)], None)
        frontier = produced[:MAX_CANDIDATES]
    report.assumptions = list(ctx.assumptions)

    best: tuple[int, Basic, tuple[Basic, Basic] | None] | None = None
    for candidate in frontier:
        got = _safe_canonical(candidate, ctx)
        if got is None:
            continue
        if got == wanted:
            lost = _undefined_difference(source, claim)
            if lost is not None:
                return report.reject([lost], candidate)
            report.assumptions = list(ctx.assumptions)
            report.status = "accepted"
            report.produced = candidate
            return report
        diff = whole_powers(got, wanted, smallest_difference(got, wanted))
        weight = size(diff[0]) + size(diff[1]) if diff else 0
        if best is None or weight < best[0]:
            best = (weight, candidate, diff)

    failures = [failure_of(r, names_of(step)) for r in _relevant(refusals, region)]
    names = names_of(step)
    if best is not None and best[2] is not None:
        ours, theirs = best[2]
        words = f"{names} gives {show(ours)} where the claim has {show(theirs)}"
        failures.append(Failure(names, "claim_differs", words))
        return report.reject(failures, best[1], best[2])
    words = f"{names} does not produce the claim"
    return report.reject(failures or [Failure(names, "claim_differs", words)], None)


def whole_powers(
    got: Basic, wanted: Basic, diff: tuple[Basic, Basic] | None
) -> tuple[Basic, Basic] | None:
    """A difference inside exponents shown as the two powers: γ^{t − 1} against γ^{t} (not
    t − 1 against t), γ^{t' − 1} against γ^{t' − t} (not −1 against −t): powers of the same
    base, one in each expression, whose exponents differ by exactly that difference."""
    if diff is None:
        return diff
    ours, theirs = diff
    mine = [p for p in preorder_traversal(got) if isinstance(p, Pow) and p.exp.has(ours)]
    other = [p for p in preorder_traversal(wanted) if isinstance(p, Pow) and p.exp.has(theirs)]
    for power in mine:
        for match in other:
            if match.base == power.base and power.exp.xreplace({ours: theirs}) == match.exp:
                return power, match
    return diff


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
    for kind, arg in sorted(changed, key=condition_order):
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
