"""The soundness audit: mutate correct steps, and check every accepted mutant numerically.

For a step k of a checked derivation, a mutant replaces the claim's right side by one of
:func:`.mutations.mutants`; the symbolic checker re-checks step k alone against its own
source (:func:`pgproof.symbolic.checker.check_step`), and :func:`.steps.verify_step_numerically`
compares the mutant with the source on random MDPs.  The property audited is

    accepted symbolically  ⇒  numerically equal          (no accepted-but-wrong mutant).

Outcomes per mutant: ``wrong`` (a numeric witness), ``equal`` (numerically harmless),
``not evaluated``; crossed with ``accepted`` / ``refused``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from pgproof.symbolic.checker import check_step
from pgproof.symbolic.derivation import Derivation
from pgproof.symbolic.objects import Equation
from pgproof.symbolic.report import DerivationReport, StepReport
from pgproof.symbolic.text import show

from .mutations import Mutant, mutants
from .steps import CHECKER_BUG, NOT_COMPARED, NOT_EVALUATED, REFUTED, verify_step_numerically


@dataclass
class AuditResult:
    file: str
    step: int
    kind: str
    mutant: str
    accepted: bool
    numeric: str  # "wrong" | "equal" | "not evaluated"
    reason: str = ""

    @property
    def accepted_but_wrong(self) -> bool:
        return self.accepted and self.numeric == "wrong"


def step_mutants(report: DerivationReport, index: int) -> list[Mutant]:
    """Mutants of step ``index``'s claimed right side."""
    step = report.steps[index - 1]
    return mutants(step.claim.rhs, report.derivation.notation)


def audit_mutant(
    report: DerivationReport, index: int, mutant: Mutant, trials: int = 3, seed: int = 0
) -> AuditResult:
    """Check one mutant of step ``index`` symbolically and numerically."""
    derivation: Derivation = report.derivation
    original: StepReport = report.steps[index - 1]
    claim = Equation(original.claim.lhs, mutant.expr)
    claims = [s.claim for s in report.steps]
    claims[index - 1] = claim
    symbolic = check_step(derivation, index, original.source, claim, claims)
    numeric = verify_step_numerically(symbolic, derivation.notation, trials, seed)
    if numeric.verdict in (REFUTED, CHECKER_BUG):
        outcome = "wrong"
    elif numeric.verdict in (NOT_EVALUATED, NOT_COMPARED):
        outcome = "not evaluated"
    else:
        outcome = "equal"
    return AuditResult(
        derivation.file or derivation.title,
        index,
        mutant.kind,
        show(mutant.expr),
        symbolic.accepted,
        outcome,
        numeric.reason,
    )


def audited_steps(report: DerivationReport) -> list[int]:
    """The steps to mutate: the accepted ones (a mutant of a refused step says little)."""
    return [s.index for s in report.steps if s.accepted]


def all_mutants(reports: list[DerivationReport]) -> Iterator[tuple[DerivationReport, int, Mutant]]:
    for report in reports:
        for index in audited_steps(report):
            for mutant in step_mutants(report, index):
                yield report, index, mutant


@dataclass
class AuditSummary:
    tried: int
    wrong: int
    wrong_refused: int
    accepted_but_wrong: int
    equal_accepted: int
    equal_refused: int
    not_evaluated: int

    @classmethod
    def of(cls, results: list[AuditResult]) -> AuditSummary:
        c = Counter((r.accepted, r.numeric) for r in results)
        return cls(
            tried=len(results),
            wrong=c[(True, "wrong")] + c[(False, "wrong")],
            wrong_refused=c[(False, "wrong")],
            accepted_but_wrong=c[(True, "wrong")],
            equal_accepted=c[(True, "equal")],
            equal_refused=c[(False, "equal")],
            not_evaluated=c[(True, "not evaluated")] + c[(False, "not evaluated")],
        )
