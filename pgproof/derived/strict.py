"""``pgproof check --strict``: what a step citing a derived rule rests on.

A step that cites a derived rule R is checked by R at the step, as without ``--strict``;
``--strict`` then checks every derivation of R from the primitives (each step ✓, the last
line R's form, nothing derived later cited: :func:`pgproof.derived.check_rule`), and the
step is established only if they all are.  The derivations are not instantiated at the
step: the step rests on R's general forms, derived once, not on primitive steps re-played
with the step's terms.  Which forms the step uses is read off the subterms the rule
rewrites (:mod:`.forms`); a step using a form that has no derivation (a baseline of earlier
steps, b(s_{t−1}, a_{t−1})) rests on the rule itself as a primitive there, and says so.
A step citing a family result that is not derived (causality, markov_property) is
reported as resting on that primitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import NOT_DERIVED, FormCheck, check_rule, step_rules
from .forms import step_forms

if TYPE_CHECKING:
    from ..symbolic.report import DerivationReport


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
        """The forms the step uses that have no derivation (they rest on the rule itself);
        () for a rule that is not derived at all."""
        if not self.checks:
            return ()
        if not self.forms:
            return ("unrecognised",)
        derived = {c.form.name for c in self.checks}
        return tuple(f for f in self.forms if f"{self.rule}.{f}" not in derived)

    @property
    def established(self) -> bool:
        """Accepted by the rule in derived forms only, whose derivations are all accepted."""
        return self.accepted and bool(self.checks) and not self.broken and not self.underived_forms

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
        used = ", ".join(f"{self.rule}.{f}" for f in self.forms)
        return (
            f"{head}: established: accepted by the rule in the form {used}, and every "
            f"derivation of the rule is accepted: {forms}; the step rests on them (checked in "
            "general form, not instantiated at the step)"
        )

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "rule": self.rule,
            "derived": bool(self.checks),
            "accepted": self.accepted,
            "established_by_derivations": self.established,
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


def strict_notes(report: DerivationReport) -> list[StrictNote]:
    """A note for each step citing a derived rule or an underived family result."""
    from ..symbolic.rules import lookup

    notes = []
    for s in report.steps:
        for name in step_rules(s):
            rule = lookup(name)
            if rule.derived:
                forms = step_forms(s, rule, report.derivation.notation)
                notes.append(StrictNote(s.index, name, s.accepted, check_rule(name), forms))
            elif name in NOT_DERIVED:
                notes.append(StrictNote(s.index, name, s.accepted, ()))
    return notes
