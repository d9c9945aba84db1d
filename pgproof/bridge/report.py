"""Numeric verdicts of a derivation's steps: the result types, with their text and JSON.

Text: one line per step (✓ confirmed, ✗ refuted with its witness, ? not evaluated,
≟ true but not proved, and a loud ``!!! CHECKER BUG`` line for an accepted step or side
condition that is numerically false), then a summary line.  JSON: per step a ``numeric``
object, and a ``witness`` object when there is one (see :meth:`.witness.Witness.to_json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sympy import Basic

from pgproof.symbolic.text import show

from .compare import RTOL
from .witness import Witness

CONFIRMED = "confirmed"
CHECKER_BUG = "CHECKER BUG"
REFUTED = "refuted"
TRUE_NOT_PROVED = "true but not proved"
NOT_EVALUATED = "not evaluated"
NOT_COMPARED = "not compared"


@dataclass
class SideCondition:
    """Is a term the author claims free of θ really free of it?"""

    term: Basic
    verdict: str  # "θ-free" | "depends on θ" | NOT_EVALUATED
    reason: str = ""
    witness: Witness | None = None

    def text_lines(self, accepted: bool) -> list[str]:
        head = f"        side condition: {show(self.term)} is free of θ — "
        if self.verdict == "θ-free":
            return [head + "numerically confirmed"]
        if self.verdict == NOT_EVALUATED:
            return [head + f"not evaluated: {self.reason}"]
        loud = "!!! CHECKER BUG: an accepted step's side condition is false; " if accepted else ""
        lines = [head + loud + "FALSE, it depends on θ"]
        if self.witness is not None:
            lines += _indent(self.witness.text(), "          ")
        return lines

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "term": show(self.term),
            "verdict": self.verdict,
            "reason": self.reason,
        }
        if self.witness is not None:
            out["witness"] = self.witness.to_json()
        return out


@dataclass
class NumericStep:
    """One step's numeric verdict; ``compared`` holds the two expressions compared."""

    index: int
    accepted: bool
    verdict: str
    compared: tuple[Basic, Basic]
    estimate: bool = False
    #: trials on which the sides were compared, out of ``requested``
    trials: int = 0
    reason: str = ""
    witness: Witness | None = None
    side_conditions: list[SideCondition] = field(default_factory=list)
    requested: int = 0
    #: the largest bound on what truncating infinite series changed (infinite horizon)
    slack: float = 0.0
    #: what a trial draws: "MDPs", or "problems" for a formula about one state
    problems: str = "MDPs"
    #: the symbolic check left the step undecided (a budget was spent first)
    undecided: bool = False
    #: where a side had no value (which side, term, trial and t): compared everywhere else
    partial: str = ""

    @property
    def loud(self) -> bool:
        """A soundness failure of the checker (an accepted step or side condition is false)."""
        bad_side = self.accepted and any(c.verdict == "depends on θ" for c in self.side_conditions)
        return self.verdict == CHECKER_BUG or bad_side

    def text_lines(self) -> list[str]:
        return step_text(self)

    def to_json(self) -> dict[str, Any]:
        """The ``numeric`` object of one step (its witness goes beside it, see witness_json);
        ``truncation_slack`` only where infinite series were truncated."""
        out = {
            "verdict": self.verdict,
            "checker_bug": self.loud,
            "trials": self.trials,
            "requested_trials": self.requested,
            "estimate": self.estimate,
            "compared": [show(e) for e in self.compared],
            "reason": self.reason,
            "side_conditions": [c.to_json() for c in self.side_conditions],
        }
        if self.partial:
            out["not_evaluated_at"] = self.partial
        if self.slack > 0:
            out["truncation_slack"] = self.slack
        return out

    def witness_json(self) -> dict[str, Any] | None:
        """The step's witness, or the first side-condition witness."""
        if self.witness is not None:
            return self.witness.to_json()
        for cond in self.side_conditions:
            if cond.witness is not None:
                return cond.witness.to_json()
        return None


@dataclass
class NumericReport:
    """Numeric verdicts for every step of one derivation."""

    steps: list[NumericStep]
    trials: int
    seed: int
    #: how the instances were drawn, when it is not the default (a discount, horizon ∞)
    notes: list[str] = field(default_factory=list)
    #: what a trial draws: "MDPs", or "problems" for formulas about one state
    problems: str = "MDPs"

    @property
    def checker_bugs(self) -> list[NumericStep]:
        return [s for s in self.steps if s.loud]

    def text(self) -> str:
        return numeric_text(self)

    def add_to_json(self, data: dict[str, Any]) -> dict[str, Any]:
        """Each step of a derivation's JSON gets a ``numeric`` object (and its ``witness``)."""
        for step, result in zip(data["steps"], self.steps, strict=True):
            step["numeric"] = result.to_json()
            witness = result.witness_json()
            if witness is not None:
                step["witness"] = witness
        data["numeric"] = {
            "trials": self.trials,
            "seed": self.seed,
            "checker_bugs": [s.index for s in self.checker_bugs],
        }
        if self.notes:
            data["numeric"]["notes"] = list(self.notes)
        return data


MARKS = {
    CONFIRMED: "✓",
    REFUTED: "✗",
    TRUE_NOT_PROVED: "≟",
    NOT_EVALUATED: "?",
    NOT_COMPARED: "-",
    CHECKER_BUG: "!!!",
}


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines()]


def step_text(step: NumericStep) -> list[str]:
    mark = MARKS[step.verdict]
    how = " in expectation over the samples" if step.estimate else ""
    out_of = step.requested or step.trials
    if step.verdict == CONFIRMED:
        equal = f"equal on {step.trials} of {out_of} {step.problems}{how}"
        line = f"    {mark} step {step.index}: {equal}"
        if step.trials < out_of:
            line += f" (the others not compared: {step.reason or 'the source does not hold'})"
    elif step.verdict == CHECKER_BUG:
        line = (
            f"    {mark} step {step.index}: CHECKER BUG — accepted, but the two sides differ"
            f" numerically{how}"
        )
    elif step.verdict == REFUTED and step.accepted:
        line = f"    {mark} step {step.index}: numerically false{how}, as {step.reason}"
    elif step.verdict == REFUTED and step.undecided:
        line = f"    {mark} step {step.index}: undecided symbolically, and numerically false{how}"
    elif step.verdict == REFUTED:
        line = f"    {mark} step {step.index}: refused, and numerically false{how}"
    elif step.verdict == TRUE_NOT_PROVED and step.undecided:
        line = (
            f"    {mark} step {step.index}: undecided symbolically; equal on {step.trials} of "
            f"{out_of} {step.problems}{how}"
        )
    elif step.verdict == TRUE_NOT_PROVED:
        line = (
            f"    {mark} step {step.index}: true but not proved by this rule (equal on "
            f"{step.trials} of {out_of} {step.problems}{how}: a rule is missing or misapplied)"
        )
    elif step.verdict == NOT_EVALUATED:
        line = f"    {mark} step {step.index}: not evaluated: {step.reason}"
    else:
        line = f"    {mark} step {step.index}: not compared: {step.reason}"
    lines = [line]
    if step.partial and step.verdict != NOT_EVALUATED:
        lines.append(
            f"        compared where both sides are defined; not evaluated: {step.partial}"
        )
    if step.verdict != CONFIRMED:
        left, right = step.compared
        lines.append(f"        compared: {show(left)}  vs  {show(right)}")
    if step.witness is not None:
        lines += _indent(step.witness.text(), "        ")
    for cond in step.side_conditions:
        lines += cond.text_lines(step.accepted)
    return lines


def numeric_text(report: NumericReport) -> str:
    lines = [
        f"  numeric check ({report.trials} random {report.problems} per step, seed {report.seed}, "
        f"tolerance {RTOL:g}·max(1, |values|)):"
    ]
    lines += [f"    {note}" for note in report.notes]
    slack = max((s.slack for s in report.steps), default=0.0)
    if slack > 0:
        lines.append(
            f"    the tails the truncated series leave out are at most {slack:.1g} here, "
            "counted against the tolerance"
        )
    for step in report.steps:
        lines += step_text(step)
    bugs = report.checker_bugs
    if bugs:
        which = ", ".join(str(s.index) for s in bugs)
        lines.append(
            f"  !!! CHECKER BUG: step(s) {which} accepted symbolically but numerically false"
        )
    return "\n".join(lines)
