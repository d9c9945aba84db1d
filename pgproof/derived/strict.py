"""``pgproof check --strict``: what a step citing a derived rule rests on.

A step that cites a derived rule R is checked by R at the step, as without ``--strict``;
``--strict`` then checks every derivation of R from the primitives (each step ✓, the last
line R's form, nothing derived later cited: :func:`pgproof.derived.check_rule`), and the
step is established only if they all are.  The derivations are not instantiated at the
step: the step rests on R's general forms, derived once, not on primitive steps re-played
with the step's terms.  Which form the step uses is read off the redexes the rule rewrites
in the step's sides: E_{a'∼π_θ(·|s)}[…] is the action form, E_{τ∼p_θ}[…] with the score
∇_θ log p_θ(τ) the trajectory form, and E_{τ∼p_θ}[(Σ_t) ∇_θ log π_θ(a_t|s_t) …] the
per-step form, which is not derived: a step using it rests on that form as a primitive,
and says so.  A step citing a family result that is not derived (causality,
markov_property) is reported as resting on that primitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import NOT_DERIVED, FormCheck, check_rule

if TYPE_CHECKING:
    from sympy import Basic

    from ..symbolic.notation import Notation
    from ..symbolic.report import DerivationReport, StepReport
    from ..symbolic.rules import Rule


@dataclass(frozen=True)
class StrictNote:
    """One step's derived (or underived family) rule and its derivations checked."""

    step: int
    rule: str
    accepted: bool
    checks: tuple[FormCheck, ...]
    #: the forms of the rule the step's redexes are of, derived or not (``per_step``)
    forms: tuple[str, ...] = ()

    @property
    def underived_forms(self) -> tuple[str, ...]:
        """The forms the step uses that have no derivation (they rest on the rule itself)."""
        if not self.forms:
            return ("unrecognised",)
        derived = {c.form.name for c in self.checks}
        return tuple(f for f in self.forms if f"{self.rule}.{f}" not in derived)

    @property
    def broken(self) -> bool:
        """The rule accepted the step but a derivation of the rule is refused."""
        return self.accepted and any(not c.accepted for c in self.checks)

    def text(self) -> str:
        if self.checks and self.underived_forms and self.accepted and not self.broken:
            which = ", ".join(self.underived_forms)
            return (
                f"  strict: step {self.step} cites the derived rule {self.rule} in its {which} "
                f"form, which is not derived: the step rests on {self.rule} itself as a "
                "primitive (not expanded)"
            )
        if not self.checks:
            why = NOT_DERIVED.get(self.rule, "")
            return (
                f"  strict: step {self.step} rests on {self.rule}, a primitive rule, not derived"
                + (f" ({why})" if why else "")
            )
        forms = "; ".join(
            f"{c.form.name} {'✓' if c.accepted else '✗'} ({c.steps} steps"
            + (f": {', '.join(c.problems)})" if c.problems else ", every step ✓)")
            for c in self.checks
        )
        head = f"  strict: step {self.step} cites the derived rule {self.rule}"
        if not self.accepted:
            return f"{head}: refused by the rule at the step (derivations checked: {forms})"
        if self.broken:
            return f"{head}: NOT established: a derivation of the rule is refused: {forms}"
        return (
            f"{head}: established: accepted by the rule, whose derivations are accepted; "
            f"derivations checked: {forms}; the step rests on them (not instantiated at the step)"
        )

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "rule": self.rule,
            "derived": bool(self.checks),
            "established": self.accepted and not self.broken,
            "forms": list(self.forms),
            "underived_forms": list(self.underived_forms),
            "derivations": [
                {
                    "name": c.form.name,
                    "accepted": c.accepted,
                    "steps": c.steps,
                    "problems": list(c.problems),
                }
                for c in self.checks
            ],
        }


def _rules_of(step: StepReport) -> tuple[str, ...]:
    from ..symbolic.rules import UnknownRule, lookup

    out = []
    for name in step.inferred if step.inferred is not None else step.step.rules:
        try:
            out.append(lookup(name).name)
        except UnknownRule:
            continue
    return tuple(out)


def form_of(node: Basic) -> str:
    """The form of a score rule's redex: ``action`` (E over a'∼π_θ(·|s)), ``trajectory``
    (the score ∇_θ log p_θ(τ) under E_{τ∼p_θ}) or ``per_step`` (a score ∇_θ log π_θ(a_t|s_t)
    under E_{τ∼p_θ}, inside Σ_t or not)."""
    from sympy import Mul, log

    from ..symbolic.objects import Expectation, Grad, TrajectoryDensity
    from ..symbolic.rules.score import time_sum_layers
    from ..symbolic.state_objects import ActionExpectation

    if isinstance(node, ActionExpectation):
        return "action"
    if isinstance(node, Expectation):
        inner, _ = time_sum_layers(node.expr, node.variable)
        for factor in Mul.make_args(inner):
            if (
                isinstance(factor, Grad)
                and isinstance(factor.expr, log)
                and isinstance(factor.expr.args[0], TrajectoryDensity)
            ):
                return "trajectory"
    return "per_step"


def redex_forms(step: StepReport, rule: Rule, notation: Notation) -> tuple[str, ...]:
    """The forms of the subterms of the step's sides (before and after) that ``rule``
    rewrites, in a fixed order (preorder, left side first)."""
    from sympy import preorder_traversal

    from ..symbolic.refusal import Refusal
    from ..symbolic.rules import Context

    ctx = Context(notation, claim=step.claim)
    found: list[str] = []
    for side in (step.source.lhs, step.source.rhs, step.claim.lhs, step.claim.rhs):
        for node in preorder_traversal(side):
            try:
                rewrites = rule.rewrites(node, ctx)
            except Refusal:
                continue
            if rewrites and form_of(node) not in found:
                found.append(form_of(node))
    return tuple(found)


def strict_notes(report: DerivationReport) -> list[StrictNote]:
    """A note for each step citing a derived rule or an underived family result."""
    from ..symbolic.rules import lookup

    notes = []
    for s in report.steps:
        for name in _rules_of(s):
            rule = lookup(name)
            if rule.derived:
                forms = redex_forms(s, rule, report.derivation.notation)
                notes.append(StrictNote(s.index, name, s.accepted, check_rule(name), forms))
            elif name in NOT_DERIVED:
                notes.append(StrictNote(s.index, name, s.accepted, ()))
    return notes
