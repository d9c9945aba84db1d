"""The checker: every step of a derivation, each against its own claimed source.

Resolves each step's source and claim (continuations, ``from``, the relation = or ≈),
checks each step (:mod:`.step_check`, or :mod:`.inference` when the author names no
rule), within a work budget per step (:mod:`pgproof.budget`: units of work, never the
clock; a step that cannot be decided within it is *undecided*, never refused), with
wall-clock safety nets per step and per derivation, and marks the steps that rest on a
refused or undecided one.  Every step is checked against its own claimed source, so one wrong step
does not hide the next.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from pgproof.budget import (
    DERIVATION_SECONDS,
    STEP_SECONDS,
    STEP_WORK,
    BudgetExceeded,
    Undecided,
    WorkExhausted,
    time_budget,
    work_budget,
)
from pgproof.kernel.objects import (
    Approximation,
    Equation,
    Grad,
    Objective,
    Policy,
    TrajectoryDensity,
)

from .errors import DerivationError
from .inference import MAX_DEPTH, SEARCH_WORK, search
from .names import fixed_order
from .notebook import NotebookReport
from .refusal import Refusal
from .report import Failure, StepReport
from .rules import REGISTRY, lookup
from .step_check import check_step, earlier_step, failure_of, names_of, step_context
from .text import show

if TYPE_CHECKING:
    from .claims import Claims as Derivation  # a Derivation's data (no display)
    from .claims import Step


def _resolve(
    derivation: Derivation, inferred: dict[int, Derivation] | None = None
) -> list[tuple[Equation, Equation]]:
    """(source, claim) equations of each step, with continuation lhs filled in.

    A claim is an estimate (:class:`Approximation`, ≈) when its own rules include an
    estimate, or it rewrites an estimate (its source), or it substitutes one (``using``).
    A step that cites no rule counts as the step the search found for it (``inferred``:
    the derivation with that step's rules, and ``using``, filled in), if any.
    """
    inferred = inferred or {}
    claims: list[Equation] = []
    pairs: list[tuple[Equation, Equation]] = []
    for k, step in enumerate(derivation.steps, start=1):
        if k in inferred:
            step = inferred[k].steps[k - 1]
        lhs = step.lhs
        if lhs is None:  # "= rhs" continues its source's left side
            if not claims:
                raise DerivationError("the first step needs a left-hand side", k, step.line)
            lhs = claims[-1].lhs
            if isinstance(step.source, int) and not isinstance(step.source, bool):
                lhs = claims[earlier_step(step.source, k, step, "from") - 1].lhs
        source = _source(step, k, claims, Equation(lhs, step.rhs))
        rules = [lookup(name) for name in step.rules]
        estimate = any(r.estimate for r in rules) or source.is_estimate
        if step.reference is not None and any(r.by_reference for r in rules):
            used = claims[earlier_step(step.reference, k, step, "using") - 1]
            estimate = estimate or used.is_estimate
        claim = (Approximation if estimate else Equation)(lhs, step.rhs)
        _same_parameter(derivation, claim, k, step)
        claims.append(claim)
        pairs.append((source, claim))
    return pairs


def _same_parameter(derivation: Derivation, claim: Equation, k: int, step: Step) -> None:
    """Every ∇ and every π_θ must use the notation's θ: θ-dependence is read from it."""
    theta = derivation.notation.theta
    for node in fixed_order(claim.atoms(Grad, Policy, TrajectoryDensity, Objective)):
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
    return claims[earlier_step(step.source, k, step, "from") - 1]


def check_derivation(
    derivation: Derivation,
    *,
    work: int | None = STEP_WORK,
    timeout: float | None = STEP_SECONDS,
    total: float | None = DERIVATION_SECONDS,
) -> NotebookReport:
    """Check every step of ``derivation``, each within ``work`` units of work (None: no
    limit; :mod:`pgproof.budget`).  A step that cannot be decided within its budget is
    *undecided*, with that reason; so is a step that runs past the safety nets, ``timeout``
    seconds of wall-clock time per step and ``total`` per derivation (None: none), after
    which the remaining steps are left unchecked (undecided)."""
    found: dict[int, Derivation] = {}
    pairs = _resolve(derivation)
    claims = [claim for _, claim in pairs]
    reports: list[StepReport] = []
    deadline = None if total is None else time.monotonic() + total
    for index in range(1, len(pairs) + 1):
        source, claim = pairs[index - 1]
        step = derivation.steps[index - 1]
        seconds, by_total = timeout, False
        if deadline is not None:
            left = deadline - time.monotonic()
            by_total = seconds is None or left < seconds
            seconds = left if by_total else seconds
        if seconds is not None and seconds <= 0:
            report = StepReport(index=index, step=step, claim=claim, source=source)
            words = f"not checked: the derivation's safety net of {total:g} s is spent"
            reports.append(report.undecide([Failure(names_of(step), "budget", words)]))
            continue
        try:
            with time_budget(seconds), work_budget(work):
                report = _check_or_infer(derivation, index, source, claim, claims, work)
        except WorkExhausted as exhausted:
            words = f"{exhausted} (the step's work budget; raise it with --work-budget)"
            report = StepReport(index=index, step=step, claim=claim, source=source)
            report.undecide([Failure(names_of(step), "budget", words)])
        except Undecided as stopped:  # the safety net, or a size limit
            words = str(stopped)
            if isinstance(stopped, BudgetExceeded) and by_total:
                words = f"could not be decided within the derivation's safety net of {total:g} s"
            elif not isinstance(stopped, BudgetExceeded):
                words = f"could not be decided: {words}"
            report = StepReport(index=index, step=step, claim=claim, source=source)
            report.undecide([Failure(names_of(step), "budget", words)])
        reports.append(report)
        if report.inferred is not None and report.claim != claim:  # an inferred estimate (≈)
            found[index] = _cite(derivation, index, report.inferred, report.inferred_using)
            pairs = _resolve(derivation, found)
            claims = [c for _, c in pairs]
    _mark_premises(derivation, reports)
    return NotebookReport(derivation, reports)


def _search_work(work: int | None, share: int) -> int | None:
    """The work budget of a search: ``1/share`` of the step's (None: no limit either)."""
    return None if work is None else max(1, work // share)


def _check_or_infer(
    derivation: Derivation,
    index: int,
    source: Equation,
    claim: Equation,
    claims: list[Equation],
    work: int | None = STEP_WORK,
) -> StepReport:
    """The step checked with its cited rules; with none cited, with the rules the search
    finds (marked inferred); when the cited ones fail, the search's alternative, if any,
    is named beside the refusal (the step stays refused as cited).  A search that spends
    its budget before it has tried every chain, and finds none, leaves the step undecided."""
    step = derivation.steps[index - 1]
    if step.rules:
        report = check_step(derivation, index, source, claim, claims)
        if not report.accepted and not _is_budget(report):
            try:  # advice only: the refusal is decided, whatever the advice costs
                found = search(
                    derivation, index, source, claim, claims,
                    work=_search_work(work, ALTERNATIVE_SHARE), **ALTERNATIVE_SEARCH,
                )  # fmt: skip
            except Undecided:
                return report
            if found.chain:
                report.alternative = found.chain
        return report
    # a first look, then the substitutions, then (if the first look stopped early) the
    # whole search: a step that one substitution justifies is not made to wait for it
    found = search(derivation, index, source, claim, claims, work=_search_work(work, GLANCE_SHARE))
    using, glance_cut, cut = None, found.cut, ""
    estimate_only = found.estimate_only  # a chain that gives ≈ where the claim says =
    # a substitution the author did not say the source of: of an earlier step one of whose
    # sides occurs inside the side this step rewrites (the latest first)
    side = source.rhs if source.lhs == claim.lhs else source.lhs
    sources = [
        j
        for j in range(index - 1, 0, -1)
        if side not in claims[j - 1].args
        and any(side.has(s) for s in claims[j - 1].args)
    ]
    for earlier in sources[:USING_TRIED]:
        if found.chain is not None or step.reference is not None:
            break
        with_using = _cite(derivation, index, (), earlier)
        found = search(
            with_using, index, source, claim, claims,
            work=_search_work(work, USING_SHARE), **USING_SEARCH,
        )  # fmt: skip
        using = earlier if found.chain is not None else None
        cut = cut or found.cut
        estimate_only = estimate_only or found.estimate_only
    if found.chain is None and glance_cut:
        found = search(
            derivation, index, source, claim, claims, work=_search_work(work, SEARCH_SHARE)
        )
        cut = cut or found.cut
        estimate_only = estimate_only or found.estimate_only
    if found.chain is not None:
        candidate = _cite(derivation, index, found.chain, using)
        claim = found.claim if found.claim is not None else claim
        report = check_step(candidate, index, source, claim, claims)
        report.step = step  # the author's step: what was found is in ``inferred``
        report.inferred, report.inferred_using = found.chain, using
        return report
    report = StepReport(index=index, step=step, claim=claim, source=source)
    arguments = _argument_failures(derivation, index, claim, claims)
    failures = list(arguments)
    if estimate_only is not None:
        failures.append(_only_an_estimate(estimate_only, claim))
    for refusal in found.refusals or []:  # what the rules of the right form needed
        failure = failure_of(refusal, "inference")
        if failure not in failures and len(failures) < 3:
            failures.append(failure)
    untried = f"no chain of up to {MAX_DEPTH} rules was found " + CUT_WORDS.get(cut, "").format(
        tried=found.expanded
    )
    if cut and not arguments:
        # chains were left untried, and the step's own arguments fail nothing: undecided
        return report.undecide([*failures, Failure("inference", "budget", untried)])
    if cut:  # refused for its own arguments (above), whatever rules would justify it
        words = f"its own arguments fail; {untried}"
    else:
        words = (
            f"no rule, nor chain of up to {MAX_DEPTH} rules, justifies it "
            f"({found.expanded} equations tried)"
        )
    if found.closest is not None:
        ours, theirs = found.closest
        words += f"; the closest gives {show(ours)} where the claim has {show(theirs)}"
    return report.reject([*failures, Failure("inference", "no_justification", words)], None)


def _only_an_estimate(chain: tuple[str, ...], claim: Equation) -> Failure:
    """Why an estimate chain does not justify a claim written = about no samples."""
    rules = ", ".join(chain)
    words = (
        f"only an estimate reaches it: {rules} gives {show(claim.lhs)} ≈ {show(claim.rhs)}, "
        "and the claim says = (an equality, about no samples): an estimate does not prove it "
        "(cite the rules, by = …, to claim the estimate)"
    )
    return Failure("inference", "estimate_not_equality", words)


def _argument_failures(
    derivation: Derivation, index: int, claim: Equation, claims: list[Equation]
) -> list[Failure]:
    """What the step's own arguments fail (terms claimed θ-free that are not, …), for any
    rule that reads them: reasons that hold whatever rules would justify the step."""
    ctx = step_context(derivation, index, claim, claims)
    out = []
    for rule in REGISTRY.values():
        if rule.check_arguments is None:
            continue
        try:
            rule.check_arguments(ctx)
        except Refusal as refusal:
            out.append(failure_of(refusal, rule.name))
    return out


#: the main search gets 1/SEARCH_SHARE of the step's work budget (the default: SEARCH_WORK)
SEARCH_SHARE = STEP_WORK // SEARCH_WORK
#: the first look of a search, before the substitutions are tried: 1/GLANCE_SHARE
GLANCE_SHARE = 10 * SEARCH_SHARE
#: the search for another justification of a refused cited step: short, it only advises
ALTERNATIVE_SEARCH = {
    "max_depth": 1,
    "max_expansions": 1,
    "thorough": False,  # algebra by canonical form and expand only, not SymPy's simplify
}
#: its share of the step's work budget
ALTERNATIVE_SHARE = 10 * SEARCH_SHARE


def _is_budget(report: StepReport) -> bool:
    return any(f.condition == "budget" for f in report.failures)


#: why a search left chains untried, in words (see :attr:`.inference.Inference.cut`)
CUT_WORDS = {
    "budget": "before the search's work budget was spent ({tried} equations tried): cite the "
    "rules (by = …), or raise --work-budget",
    "size": "before an equation too large to compare stopped the search ({tried} equations "
    "tried): cite the rules (by = …)",
    "expansions": "within the search's {tried} equations: cite the rules (by = …)",
}

#: how many earlier steps the search tries as the source of a substitution
USING_TRIED = 4
#: that search: substitution and a step more, briefly
USING_SEARCH = {"max_depth": 2, "max_expansions": 20}
#: its share of the step's work budget (each of the USING_TRIED searches): the main search
#: and all of these fit in the step's budget three times over
USING_SHARE = 20


def _cite(
    derivation: Derivation, index: int, chain: tuple[str, ...], using: int | None = None
) -> Derivation:
    """``derivation`` with step ``index`` citing ``chain`` (and ``using``, when given)."""
    step = replace(derivation.steps[index - 1], rules=chain)
    return derivation.with_step(index, step if using is None else replace(step, reference=using))


def premises(step: Step, index: int, inferred_using: int | None = None) -> list[tuple[int, str]]:
    """The earlier steps a step builds on, with the link: its source (previous or ``from``,
    link ``"from"``) and ``using``: the author's, or the one inference chose for a step that
    names none (``inferred_using``; a substitution of a refused step rests on it as much)."""
    used: list[tuple[int, str]] = []
    if step.source == "previous" and index > 1:
        used.append((index - 1, "from"))
    elif isinstance(step.source, int) and not isinstance(step.source, bool):
        used.append((step.source, "from"))
    reference = step.reference if step.reference is not None else inferred_using
    if reference is not None:
        used.append((reference, "using"))
    return used


def _mark_premises(derivation: Derivation, reports: list[StepReport]) -> None:
    """An accepted step that builds on a refused or undecided step (or on one that does)
    rests on it: its rule holds, its premise is not established.  The premises are the
    author's links and the ``using`` inference found."""
    for k, report in enumerate(reports, start=1):
        unsettled: set[int] = set()
        for j, _ in premises(derivation.steps[k - 1], k, report.inferred_using):
            premise = reports[j - 1]
            unsettled |= {j} if not premise.accepted else set(premise.rests_on)
        report.rests_on = sorted(unsettled)
        report.rests_on_undecided = [j for j in report.rests_on if reports[j - 1].undecided]
