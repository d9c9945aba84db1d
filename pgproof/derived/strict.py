"""``pgproof check --strict``: a step citing a derived rule, expanded into primitive steps.

A step that cites a derived rule R is checked by R at the step, as without ``--strict``;
``--strict`` then checks every derivation of R from the primitives in general form (each
step ✓, the last line R's form, nothing derived later cited: :func:`pgproof.derived.
check_rule`), and *expands the step*: for each subterm R rewrote, a derivation of R is
instantiated at that subterm and checked, and rewriting the subterms by the instantiated
conclusions must give the step's claim (:mod:`.expand`).  The step is established only if
all of this holds: "expanded into N primitive steps at the step"; R's own function only
says which subterms it rewrote.  Which forms the step uses is read off those subterms
(:mod:`.forms`); a step using a form that has no derivation (a baseline of earlier steps,
b(s_{t−1}, a_{t−1})) cannot be expanded, and is NOT established under ``--strict``.
A step citing a family result that is not derived (causality, markov_property) is
reported as resting on that primitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import NOT_DERIVED, FormCheck, check_rule, step_rules
from .expand import Expansion, expand_step
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
    #: the step's redexes of the rule expanded at the step (:mod:`.expand`)
    expansions: tuple[Expansion, ...] = ()

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
    def primitive_steps(self) -> int:
        """How many primitive steps the step's expansion has."""
        return sum(e.primitive for e in self.expansions)

    @property
    def expanded(self) -> bool:
        """Every redex of the rule at the step expanded into accepted primitive steps."""
        return bool(self.expansions) and all(e.established for e in self.expansions)

    @property
    def not_expanded(self) -> bool:
        """The rule accepted the step, but its expansion at the step is refused."""
        return self.accepted and bool(self.checks) and not self.broken and not self.expanded

    @property
    def established(self) -> bool:
        """Accepted, every derivation of the rule accepted, and expanded at the step."""
        return self.accepted and bool(self.checks) and not self.broken and self.expanded

    @property
    def broken(self) -> bool:
        """The rule accepted the step but a derivation of the rule is refused."""
        return self.accepted and any(not c.accepted for c in self.checks)

    def text(self) -> str:
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
        if not self.expanded:
            why = "; ".join(e.problem for e in self.expansions if e.problem)
            under = ", ".join(self.underived_forms)
            return (
                f"{head}: NOT established: it cannot be expanded into primitive steps at the "
                "step" + (f" (its {under} form is not derived)" if under else "") + f": {why}"
            )
        used = ", ".join(e.form for e in self.expansions)
        return (
            f"{head}: established: expanded into {self.primitive_steps} primitive steps at "
            f"the step (in the form {used}: its derivation instantiated at the step, every "
            f"step ✓); "
            f"derivations in general form: {forms}"
        )

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "rule": self.rule,
            "derived": bool(self.checks),
            "accepted": self.accepted,
            "established_by_derivations": self.established,
            "expanded": self.expanded,
            "primitive_steps": self.primitive_steps,
            "expansions": [
                {"form": e.form, "primitive_steps": e.primitive, "problem": e.problem}
                for e in self.expansions
            ],
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
        expanded: tuple | None = None  # every derived rule of the step, expanded once
        for name in step_rules(s):
            rule = lookup(name)
            if rule.derived:
                forms = step_forms(s, rule, report.derivation.notation)
                if expanded is None:
                    expanded = tuple(expand_step(s, report.derivation.notation) or ())
                expansions = tuple(e for e in expanded if _of(e, name))
                notes.append(
                    StrictNote(s.index, name, s.accepted, check_rule(name), forms, expansions)
                )
            elif name in NOT_DERIVED:
                notes.append(StrictNote(s.index, name, s.accepted, ()))
    return notes


def _of(expansion: Expansion, rule: str) -> bool:
    """The expansion is of a redex of ``rule`` (its form ``rule.…``, or ``rule`` itself)."""
    return expansion.form == rule or expansion.form.startswith(f"{rule}.")
