"""Check every step of a checked derivation numerically, and its side conditions.

Which two expressions a step compares.  A step turns its source equation into its claim:

1. a step from itself (source ``lhs = lhs``): the claim's lhs against its rhs;
2. the left side kept (the rule rewrote the right side): source rhs against claim rhs;
3. the right side kept: source lhs against claim lhs;
4. both sides changed (∇ or log of both sides): the claim's lhs against its rhs, on the
   instances where the source equation holds (an earlier wrong step is not this one's).

Comparing the rewritten side with its previous form isolates the step's own rule, so a
correct step after a wrong one is not blamed.  A step whose own rule is an estimate
(E ≈ sample mean) is compared in expectation over the samples (:mod:`.compare`).

Verdicts, over ``trials`` random instances (``numpy.random.default_rng([seed, step])``;
odd trials have S, A ≥ 2, even ones S, A in 1..3, see :func:`.instance.draw_instance`):

    confirmed             accepted, and equal on every trial
    CHECKER BUG           accepted, but the sides differ: a bug in the symbolic checker
    refuted               refused, and a witness shows the sides differ
    true but not proved   refused, yet equal on every trial: a rule is missing or misapplied
    not evaluated         a side has no numeric meaning (the reason says why) on every trial
    not compared          (case 4) the source equation itself fails on every trial

A step is compared wherever it is defined: at the assignments (t, m) and on the trials
where both sides have a value; the part where one has none (a_{t+1} at t = T) is reported
with the verdict (``NumericStep.partial``: which side, which term, where), and the step
is not evaluated only when nothing at all could be compared.

Side conditions.  The terms a step claims free of θ (``terms`` of drop_zero_gradient) are
checked by evaluating ∇_θ of each: a nonzero value is a witness (state, action or
trajectory and t, θ, and the coordinate where it is nonzero).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sympy import Basic, S

from pgproof.budget import (
    BudgetExceeded,
    WorkExhausted,
    time_budget,
    work_budget,
)
from pgproof.kernel.objects import Grad
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import DerivationReport, StepReport
from pgproof.symbolic.rules import lookup
from pgproof.symbolic.step_check import compared_sides
from pgproof.symbolic.text import show

from .compare import compare_on
from .infinite import DISCOUNT_MAX, MAX_STEPS, WIDE_DISCOUNT_MAX
from .report import (
    CHECKER_BUG,
    CONFIRMED,
    NOT_COMPARED,
    NOT_EVALUATED,
    REFUTED,
    TRUE_NOT_PROVED,
    NumericReport,
    NumericStep,
    SideCondition,
)
from .state_problem import draw_problem, per_state
from .values import NotEvaluable
from .witness import Witness, write_witness

#: largest enumeration for one trajectory axis, and when two sample axes τ^(1), τ^(2) occur
MAX_TRAJECTORIES = 3_000
#: the work budget of one step's numeric check, per trial: a unit for each node evaluated
#: (:mod:`pgproof.budget`); the bundled derivations need at most a few per cent of it
NUMERIC_WORK = 200_000
#: the safety net of one step's numeric check, per trial, in seconds of wall-clock time
NUMERIC_SECONDS = 30.0
MAX_TRAJECTORIES_PAIRS = 300


def own_estimate(report: StepReport) -> bool:
    return any(lookup(name).estimate for name in report.step.rules)


def in_expectation(report: StepReport, conditional: bool) -> bool:
    """Whether the step's two compared sides are equal only in expectation over samples:
    its own rule is an estimate, it substitutes an estimate (≈ from an = source), or it
    compares the two sides of an estimate claim (a step from itself, or case 4)."""
    claim, source = report.claim, report.source
    if not claim.is_estimate:
        return False
    own_sides = source.lhs == source.rhs or conditional
    return own_estimate(report) or not source.is_estimate or own_sides


def _budget(exprs: list[Basic], sample_count: str) -> int:
    names = {s.name for e in exprs for s in e.free_symbols}
    return MAX_TRAJECTORIES_PAIRS if sample_count in names else MAX_TRAJECTORIES


def verify_step_numerically(
    report: StepReport, notation, trials: int = 5, seed: int = 0
) -> NumericStep:
    """Numeric verdict for one checked step (side conditions included)."""
    left, right, conditional = compared_sides(report.source, report.claim)
    estimate = in_expectation(report, conditional)
    result = NumericStep(report.index, report.accepted, NOT_COMPARED, (left, right), estimate)
    result.requested = trials
    result.problems = "problems" if per_state(notation) else "MDPs"
    result.undecided = report.undecided
    rng = np.random.default_rng([seed, report.index])
    budget = _budget([left, right, report.source.lhs, report.source.rhs], notation.sample_count)
    source = report.source
    undefined = ""
    #: the first reason a trial could not be evaluated at all, and the parts left out
    failed: NotEvaluable | None = None
    gaps: list[str] = []
    try:
        for trial in range(1, trials + 1):
            label = f"trial {trial}, seed {seed}"
            inst = draw_problem(rng, notation, budget, label, trial % 2 == 1)
            try:
                if conditional:
                    held = compare_on(source.lhs, source.rhs, inst, notation, source.is_estimate)
                    if not (held.agree and held.evaluated):
                        continue
                outcome = compare_on(left, right, inst, notation, estimate)
            except NotEvaluable as exc:  # nothing compared on this trial
                failed = failed or exc
                gaps.append(f"{label} ({inst.describe()}): {exc}")
                continue
            if outcome.partial:
                gaps.append(f"{label}: {outcome.partial}")
            if not outcome.evaluated:
                undefined = outcome.undefined
                continue
            result.trials += 1
            result.slack = max(result.slack, outcome.slack)
            if not outcome.agree:
                kind = "step"
                result.witness = Witness.build(
                    kind, inst, show(left), show(right), outcome, notation.time_index
                )
                break
        if failed is not None and result.trials == 0 and result.witness is None:
            raise failed
    except NotEvaluable as exc:
        result.verdict, result.reason = NOT_EVALUATED, str(exc)
    else:
        result.partial = "; ".join(gaps)
        if result.witness is not None:
            # a step resting on a refused step may fail with its premise: not the checker's
            bug = report.accepted and not report.conditional
            result.verdict = CHECKER_BUG if bug else REFUTED
            if report.conditional:
                which = ", ".join(map(str, report.rests_on))
                kind = "undecided" if report.rests_on == report.rests_on_undecided else "refused"
                result.reason = f"it rests on {kind} step {which}"
        elif result.trials:
            result.verdict = CONFIRMED if report.accepted else TRUE_NOT_PROVED
        elif undefined:
            result.verdict = NOT_EVALUATED
            result.reason = f"undefined on every trial: {undefined}"
        else:
            result.reason = "the source equation is itself numerically false on every trial"
    if result.witness is None and undefined and result.trials:
        result.reason = undefined
    result.side_conditions = [
        verify_theta_free(term, notation, trials, seed, report.index * 100 + j)
        for j, term in enumerate(report.step.terms, start=1)
    ]
    return result


def verify_theta_free(
    term: Basic, notation, trials: int = 5, seed: int = 0, stream: int = 0
) -> SideCondition:
    """Is ∇_θ term zero on random instances?  A witness when it is not."""
    inner = term.expr if isinstance(term, Grad) else term
    gradient = Grad(inner, notation.theta)
    condition = SideCondition(inner, "θ-free")
    rng = np.random.default_rng([seed, stream])
    evaluated = 0
    try:
        for trial in range(1, trials + 1):
            label = f"trial {trial}, seed {seed}"
            inst = draw_problem(rng, notation, MAX_TRAJECTORIES, label, trial % 2 == 1)
            outcome = compare_on(gradient, S.Zero, inst, notation)
            if not outcome.evaluated:
                continue
            evaluated += 1
            if not outcome.agree:
                condition.verdict = "depends on θ"
                condition.witness = Witness.build(
                    "side condition", inst, show(gradient), "0", outcome, notation.time_index
                )
                break
    except NotEvaluable as exc:
        condition.verdict, condition.reason = NOT_EVALUATED, str(exc)
    else:
        if evaluated == 0:
            condition.verdict = NOT_EVALUATED
            condition.reason = "∇_θ of the term is undefined on every trial"
    return condition


def verify_steps_numerically(
    report: DerivationReport,
    trials: int = 5,
    seed: int = 0,
    witness_dir: str | Path | None = None,
    *,
    work: int | None = NUMERIC_WORK,
    timeout: float | None = NUMERIC_SECONDS,
) -> NumericReport:
    """Numeric verdicts for every step of ``report`` (witness MDPs written on request), each
    step within ``work`` units of work per trial (:mod:`pgproof.budget`; None: no limit),
    and ``timeout`` seconds per trial as a safety net; past either, the step is not
    evaluated."""
    notation = report.derivation.notation
    steps = []
    for step in report.steps:
        try:
            with (
                time_budget(None if timeout is None else timeout * trials),
                work_budget(None if work is None else work * trials),
            ):
                steps.append(verify_step_numerically(step, notation, trials, seed))
        except (BudgetExceeded, WorkExhausted) as exceeded:
            left, right, _ = compared_sides(step.source, step.claim)
            result = NumericStep(step.index, step.accepted, NOT_EVALUATED, (left, right))
            result.reason, result.requested = str(exceeded), trials
            steps.append(result)
    if witness_dir is not None:
        stem = Path(report.derivation.file or "derivation").name.removesuffix(".pgproof.toml")
        for step in steps:
            if step.witness is not None:
                write_witness(step.witness, witness_dir, f"{stem}.step{step.index}")
            for j, cond in enumerate(step.side_conditions, start=1):
                if cond.witness is not None:
                    write_witness(cond.witness, witness_dir, f"{stem}.step{step.index}.term{j}")
    problems = "problems" if per_state(notation) else "MDPs"
    return NumericReport(steps, trials, seed, notes=instance_notes(notation), problems=problems)


def instance_notes(notation: Notation) -> list[str]:
    """How the instances differ from the default draw: a discount, an infinite horizon."""
    if notation.infinite_horizon:
        return [
            f"horizon ∞: γ uniform in (0, {DISCOUNT_MAX:g}) on odd trials (S = A = 2, up to "
            f"{MAX_STEPS} steps enumerated), in (0, {WIDE_DISCOUNT_MAX:g}) on even ones (as "
            "many steps as certify the tails, on the richest shape that fits); the first "
            "steps of every trajectory enumerated, J(θ) exact (a linear solve); R(τ) "
            "and every Σ_{t}^{∞} summed over those steps, their tails bounded from "
            "|r| ≤ r_{max} and γ"
        ]
    if notation.discount:
        return ["γ uniform in (0, 1) per MDP"]
    return []
