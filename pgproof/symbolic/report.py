"""Reports of a symbolic check, per step (✓/✗ with reasons) and per derivation (verdict).

This module owns their text (:meth:`DerivationReport.text`) and JSON
(:meth:`DerivationReport.to_json`); the command line only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sympy import Basic

from pgproof.kernel.objects import Equation

from .text import show

if TYPE_CHECKING:
    from .claims import Claims as Derivation  # a Derivation's data (no display)
    from .claims import Step


#: the mark of each verdict, in every format
MARKS = {"accepted": "✓", "conditional": "(✓)", "rejected": "✗", "undecided": "?"}


@dataclass(frozen=True)
class Failure:
    """Why a step was refused: the rule, the failed condition (a code), the words."""

    rule: str
    condition: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "condition": self.condition, "reason": self.text}


@dataclass
class StepReport:
    """The checker's verdict on one step: ``status`` (accepted, rejected, or undecided: a
    budget was spent before either could be said), the rules' ``failures``, what they
    ``produced`` and where it ``difference``-s from the claim, the ``assumptions`` it rests
    on and the refused or undecided steps it ``rests_on``."""

    index: int
    step: Step
    claim: Equation
    source: Equation
    status: str = "rejected"
    produced: Basic | None = None
    difference: tuple[Basic, Basic] | None = None
    failures: list[Failure] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    #: refused or undecided earlier steps this one builds on (``from``/``using``, transitively)
    rests_on: list[int] = field(default_factory=list)
    #: those of ``rests_on`` that are undecided (not refused)
    rests_on_undecided: list[int] = field(default_factory=list)
    #: the rules the checker found, when the author named none (None: the author's rules)
    inferred: tuple[str, ...] | None = None
    #: the step an inferred substitution uses, when the author did not say (``using``)
    inferred_using: int | None = None
    #: for a step refused as cited: rules that would justify it, found by the search
    alternative: tuple[str, ...] | None = None

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def undecided(self) -> bool:
        """A budget was spent before the step could be accepted or refused."""
        return self.status == "undecided"

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    @property
    def conditional(self) -> bool:
        """Accepted by its rule, but built on a refused or undecided step: established only
        if that is."""
        return self.accepted and bool(self.rests_on)

    @property
    def verdict(self) -> str:
        """``accepted``, ``rejected``, ``undecided``, or ``conditional`` (accepted, resting on
        a refused or undecided step)."""
        return "conditional" if self.conditional else self.status

    @property
    def mark(self) -> str:
        """✓, (✓) for a conditional step, ✗ refused, ? undecided."""
        return MARKS[self.verdict]

    @property
    def estimate(self) -> bool:
        """The claim is an estimate (≈): its sides are equal in expectation over samples."""
        return self.claim.is_estimate

    @property
    def relation(self) -> str:
        return self.claim.symbol

    @property
    def reasons(self) -> list[str]:
        return [f.text for f in self.failures]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def undecide(self, failures: list[Failure]) -> StepReport:
        """Neither accepted nor refused: a budget was spent first (``failures`` say which)."""
        self.status = "undecided"
        self.failures = failures
        self.produced = None
        self.difference = None
        return self

    def reject(
        self,
        failures: list[Failure],
        produced: Basic | None,
        difference: tuple[Basic, Basic] | None = None,
    ) -> StepReport:
        self.status = "rejected"
        self.failures = failures
        self.produced = produced
        self.difference = difference
        return self

    def __repr__(self) -> str:
        rules = ", ".join(self.step.rules)
        return f"<StepReport {self.mark} step {self.index}: {self.verdict} [{rules}]>"

    def to_json(self) -> dict[str, Any]:
        """The step as the JSON of ``pgproof check --json``."""
        return {
            "index": self.index,
            "line": self.step.line,
            "rule": ", ".join(self.step.rules),
            "rules": list(self.step.rules),
            "status": self.verdict,
            "rests_on": self.rests_on,
            "rests_on_undecided": self.rests_on_undecided,
            "relation": self.relation,
            "claim": f"{show(self.claim.lhs)} {self.relation} {show(self.claim.rhs)}",
            "reason": self.reason if not self.accepted else "",
            "failures": [f.to_json() for f in self.failures],
            "assumptions": self.assumptions,
            "readings": list(self.step.readings),
            "inferred": None if self.inferred is None else list(self.inferred),
            "inferred_using": self.inferred_using,
            "alternative": None if self.alternative is None else list(self.alternative),
        }

    def text(self) -> str:
        """Two or more lines: the verdict with the claim, then reasons and notes."""
        mark = self.mark
        rules = ", ".join(self.step.rules) or "restate"
        if self.inferred is not None:
            rules = "inferred: " + (", ".join(self.inferred) or "restate")
            if self.inferred_using is not None:
                rules += f" using step {self.inferred_using}"
        elif not self.step.rules and not self.accepted:
            rules = "no rule cited"
        where = f" (line {self.step.line})" if self.step.line else ""
        claim = f"{show(self.claim.lhs)} {self.relation} {show(self.claim.rhs)}"
        lines = [f"  {mark} step {self.index}{where} [{rules}]  {claim}"]
        if self.conditional:
            refused = [k for k in self.rests_on if k not in self.rests_on_undecided]
            if refused:
                which = ", ".join(map(str, refused))
                lines.append(
                    f"      rests on refused step {which}: the rule holds, the premise does not"
                )
            if self.rests_on_undecided:
                which = ", ".join(map(str, self.rests_on_undecided))
                lines.append(
                    f"      rests on undecided step {which}: the rule holds, the premise is not"
                    " established"
                )
        if self.estimate and self.accepted:
            lines.append("      estimate: the right side estimates the left, it does not equal it")
        if not self.accepted:
            if self.produced is not None:
                lines.append(f"      the rules give: {show(self.produced)}")
            if self.difference is not None:
                ours, theirs = self.difference
                lines.append(f"      differs at: {show(ours)}  ≠  {show(theirs)}")
            lines.extend(f"      reason: {reason}" for reason in self.reasons)
            if self.alternative:
                lines.append(
                    f"      refused as cited; {', '.join(self.alternative)} would justify it"
                )
        lines.extend(f"      assumes: {a}" for a in self.assumptions)
        lines.extend(f"      reads: {r}" for r in self.step.readings)
        return "\n".join(lines)


@dataclass
class DerivationReport:
    """The checker's verdict on a derivation: one :class:`StepReport` per step.

    ``text()`` and ``to_json()`` are what ``pgproof check`` prints; the checker returns a
    :class:`pgproof.symbolic.notebook.NotebookReport`, which Jupyter shows as HTML or
    LaTeX; :func:`pgproof.render` gives LaTeX for a document.  The renderers read this
    class, so it does not import them.
    """

    derivation: Derivation
    steps: list[StepReport]

    @property
    def verdict(self) -> str:
        """``accepted`` when every step is; ``rejected`` when a step is refused; else
        ``undecided`` (no step refused, one or more undecided)."""
        if all(s.accepted for s in self.steps):
            return "accepted"
        return "rejected" if any(s.rejected for s in self.steps) else "undecided"

    @property
    def first_rejection(self) -> StepReport | None:
        """The first refused step, or None."""
        return next((s for s in self.steps if s.rejected), None)

    @property
    def first_undecided(self) -> StepReport | None:
        """The first undecided step, or None."""
        return next((s for s in self.steps if s.undecided), None)

    def __repr__(self) -> str:
        first = self.first_rejection or self.first_undecided
        where = f" at step {first.index}" if first is not None else ""
        return (
            f"<DerivationReport {self.derivation.title!r}: {self.verdict}{where} of "
            f"{len(self.steps)} steps, {self.outcome}>"
        )

    @property
    def outcome(self) -> str:
        """``as expected``; ``NOT as expected`` (a decided step contradicts the file's
        expectation); or ``undecided`` (an undecided step leaves it open)."""
        expected = self.derivation.expected
        first = self.first_rejection
        undecided = self.first_undecided
        if expected is None:
            if first is not None:
                return "NOT as expected"
            return "as expected" if undecided is None else "undecided"
        if first is not None and first.index == expected.step:
            if not any(expected.matches(f.rule, f.condition, f.text) for f in first.failures):
                return "NOT as expected"
            if undecided is not None and undecided.index < expected.step:
                return "undecided"  # the undecided step may be the first refused one
            return "as expected"
        if (
            undecided is not None
            and undecided.index <= expected.step
            and (first is None or first.index > undecided.index)
        ):
            return "undecided"  # the expected refusal may be the undecided step
        return "NOT as expected"

    @property
    def as_expected(self) -> bool:
        """Accepted and expected to be, or refused at the expected step for the expected reason."""
        return self.outcome == "as expected"

    @property
    def expectation(self) -> str:
        expected = self.derivation.expected
        if expected is None:
            return "expected: accepted"
        return f"expected: rejected at step {expected.step} ({expected.describe()})"

    def to_json(self) -> dict[str, Any]:
        """What ``pgproof check --json`` prints for this derivation."""
        d = self.derivation
        expected: dict[str, Any] = {"verdict": "accepted"}
        if d.expected is not None:
            expected = {
                "verdict": "rejected",
                "step": d.expected.step,
                "rule": d.expected.rule,
                "condition": d.expected.condition,
                "reason": d.expected.reason,
            }
        return {
            "file": d.file,
            "title": d.title,
            "source": d.source,
            "unfinished": d.unfinished,
            "verdict": self.verdict,
            "expected": expected,
            "as_expected": self.as_expected,
            "outcome": self.outcome,
            "steps": [s.to_json() for s in self.steps],
        }

    def text(self) -> str:
        """What ``pgproof check`` prints for this derivation."""
        d = self.derivation
        head = f"{d.title}" + (f"  [{d.file}]" if d.file else "")
        lines = [head, f"  source: {d.source}"]
        lines.extend(step.text() for step in self.steps)
        verdict = self.verdict.upper()
        if d.unfinished:
            verdict += " (the write-up is unfinished)"
        status = {"NOT as expected": "NOT AS EXPECTED", "undecided": "not decided"}.get(
            self.outcome, self.outcome
        )
        lines.append(f"  verdict: {verdict} — {self.expectation}: {status}")
        return "\n".join(lines)
