"""Text and JSON for the numeric part of ``pgproof check --numeric``.

Text: one line per step (✓ confirmed, ✗ refuted with its witness, ? not evaluated,
≟ true but not proved, and a loud ``!!! CHECKER BUG`` line for an accepted step or side
condition that is numerically false), then a summary line.  JSON: per step a ``numeric``
object, and a ``witness`` object when there is one (see :meth:`.witness.Witness.to_json`).
"""

from __future__ import annotations

from typing import Any

from .compare import RTOL
from .steps import (
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


def _side_text(cond: SideCondition, accepted: bool) -> list[str]:
    head = f"        side condition: {cond.term} is free of θ — "
    if cond.verdict == "θ-free":
        return [head + "numerically confirmed"]
    if cond.verdict == NOT_EVALUATED:
        return [head + f"not evaluated: {cond.reason}"]
    loud = "!!! CHECKER BUG: an accepted step's side condition is false; " if accepted else ""
    lines = [head + loud + "FALSE, it depends on θ"]
    if cond.witness is not None:
        lines += _indent(cond.witness.text(), "          ")
    return lines


def step_text(step: NumericStep) -> list[str]:
    mark = MARKS[step.verdict]
    how = " in expectation over the samples" if step.estimate else ""
    if step.verdict == CONFIRMED:
        line = f"    {mark} step {step.index}: equal on {step.trials} of {step.trials} MDPs{how}"
    elif step.verdict == CHECKER_BUG:
        line = (
            f"    {mark} step {step.index}: CHECKER BUG — accepted, but the two sides differ"
            f" numerically{how}"
        )
    elif step.verdict == REFUTED:
        line = f"    {mark} step {step.index}: refused, and numerically false{how}"
    elif step.verdict == TRUE_NOT_PROVED:
        line = (
            f"    {mark} step {step.index}: true but not proved by this rule (equal on "
            f"{step.trials} MDPs{how}: a rule is missing or misapplied)"
        )
    elif step.verdict == NOT_EVALUATED:
        line = f"    {mark} step {step.index}: not evaluated: {step.reason}"
    else:
        line = f"    {mark} step {step.index}: not compared: {step.reason}"
    lines = [line]
    if step.verdict != CONFIRMED:
        lines.append(f"        compared: {step.compared[0]}  vs  {step.compared[1]}")
    if step.witness is not None:
        lines += _indent(step.witness.text(), "        ")
    for cond in step.side_conditions:
        lines += _side_text(cond, step.accepted)
    return lines


def numeric_text(report: NumericReport) -> str:
    lines = [
        f"  numeric check ({report.trials} random MDPs per step, seed {report.seed}, "
        f"tolerance {RTOL:g}·max(1, |values|)):"
    ]
    for step in report.steps:
        lines += step_text(step)
    bugs = report.checker_bugs
    if bugs:
        which = ", ".join(str(s.index) for s in bugs)
        lines.append(
            f"  !!! CHECKER BUG: step(s) {which} accepted symbolically but numerically false"
        )
    return "\n".join(lines)


def _side_json(cond: SideCondition) -> dict[str, Any]:
    out: dict[str, Any] = {"term": cond.term, "verdict": cond.verdict, "reason": cond.reason}
    if cond.witness is not None:
        out["witness"] = cond.witness.to_json()
    return out


def step_json(step: NumericStep) -> dict[str, Any]:
    """The ``numeric`` object of one step (its witness goes beside it, see numeric_json)."""
    return {
        "verdict": step.verdict,
        "checker_bug": step.loud,
        "trials": step.trials,
        "estimate": step.estimate,
        "compared": list(step.compared),
        "reason": step.reason,
        "side_conditions": [_side_json(c) for c in step.side_conditions],
    }


def witness_json(step: NumericStep) -> dict[str, Any] | None:
    """The step's witness, or the first side-condition witness."""
    if step.witness is not None:
        return step.witness.to_json()
    for cond in step.side_conditions:
        if cond.witness is not None:
            return cond.witness.to_json()
    return None
