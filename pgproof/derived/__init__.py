"""Derived rules: family results that carry a derivation from the primitive rules.

A derived rule is registered like any rule (its function rewrites in one step), and its
registration names its derivations, ``@rule(..., derivation=("baseline.trajectory", …))``:
one ``*.pgproof.toml`` file of this folder per form of the rule, each a derivation that the
checker accepts, with every step ✓, and whose last line states the form in general:

    score_has_zero_mean.trajectory   E_{τ∼p_θ}[∇_θ log p_θ(τ)] = 0
        from ∫ p_θ(τ) dτ = 1: ∇_θ of both sides, ∇ under ∫, the log-derivative trick
    score_has_zero_mean.action       E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s)] = 0
        from Σ_{a'} π_θ(a'|s) = 1 in the same way (∇ under the finite Σ_{a'})
    baseline.trajectory              E_{τ∼p_θ}[∇_θ log p_θ(τ) b] = b E_{τ∼p_θ}[∇_θ log p_θ(τ)]
                                     = 0   (b free of τ; score_has_zero_mean, derived first)
    baseline.action                  E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s) b(s)] = 0, likewise

``FORMS`` lists them in the order they are derived: a derivation may cite primitive rules,
and a derived rule only when every form of it is derived earlier in ``FORMS`` (never itself),
so no derived rule rests on a circle.

Not derived (they stay primitive rules), and what is missing:

* the per-step forms E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t)] = 0 and E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t)
  b] = 0 with b a function of s_1..s_t, a_1..a_{t−1} (of score_has_zero_mean and baseline),
  and causality, which rests on them (each term h_{t'}, t' < t, is such a b): the tower
  property (``iterated_expectation``) reaches E_{τ∼p_θ}[b E[∇_θ log π_θ(a_t|s_t) | s_1..s_t,
  a_1..a_{t−1}]], but no primitive rule says what the conditional law of a_t is, E[f(a_t) |
  s_1..s_t, a_1..a_{t−1}] = E_{a'∼π_θ(·|s_t)}[f(a')] (the factorisation of p_θ(τ)), which
  would turn it into the action form derived here.  Causality also needs Σ_t Σ_{t'} split
  into t' < t and t' ≥ t, which no primitive rule does for symbolic limits.
* markov_property, E[X | …, s_u, a_u] = E[X | s_u, a_u]: a property of the trajectory
  process itself, primitive in the model (it is read off p_θ(τ) = p(s_1) Π_t π_θ(a_t|s_t)
  p(s_{t+1}|s_t, a_t)); deriving it would need conditional densities as objects, which the
  checker does not have.
* the Q-form E[Σ_t ∇_θ log π_θ(a_t|s_t) Q^π(s_t, a_t)] is not one rule: it is derived in the
  bundled example 010 from causality, iterated_expectation, markov_property and the
  definition of Q^π, so it inherits what causality and markov_property rest on.

:func:`check_rule` checks a derived rule's derivations (``pgproof check --strict`` and the
test suite use it); the result is cached per process: it depends on the files only.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..symbolic.report import DerivationReport


@dataclass(frozen=True)
class DerivedForm:
    """One form of a derived rule: its derivation file ``name``.pgproof.toml and, in the
    derivation's notation, the LaTeX of the equation ``lhs = rhs`` its last line states."""

    name: str
    rule: str
    lhs: str
    rhs: str


#: the forms in the order they are derived (a derivation cites only rules derived before it)
FORMS: tuple[DerivedForm, ...] = (
    DerivedForm(
        "score_has_zero_mean.trajectory",
        "score_has_zero_mean",
        r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau)\right]",
        "0",
    ),
    DerivedForm(
        "score_has_zero_mean.action",
        "score_has_zero_mean",
        r"E_{a' \sim \pi_{\theta}(\cdot \mid s)}"
        r"\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s)\right]",
        "0",
    ),
    DerivedForm(
        "baseline.trajectory",
        "baseline",
        r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau) b\right]",
        "0",
    ),
    DerivedForm(
        "baseline.action",
        "baseline",
        r"E_{a' \sim \pi_{\theta}(\cdot \mid s)}"
        r"\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s) b(s)\right]",
        "0",
    ),
)

#: family results that stay primitive rules, and why (the module docstring says more)
NOT_DERIVED: dict[str, str] = {
    "causality": "no primitive gives the law of a_t given the history (π_θ(·|s_t)), nor "
    "splits Σ_t Σ_{t'} at t' = t",
    "markov_property": "a property of the trajectory process, primitive in the model",
    "iterated_expectation": "the tower property, a primitive of probability",
}


def form(name: str) -> DerivedForm:
    """The form called ``name`` (``KeyError`` if there is none)."""
    for f in FORMS:
        if f.name == name:
            return f
    raise KeyError(name)


def derivation_path(name: str) -> Path:
    """The bundled derivation file of the form ``name``."""
    return Path(str(resources.files("pgproof.derived") / f"{name}.pgproof.toml"))


@dataclass(frozen=True)
class FormCheck:
    """A form's derivation checked: every step ✓, the last line the form's equation, and
    every derived rule it cites derived before it (``problems`` lists what fails)."""

    form: DerivedForm
    report: DerivationReport | None
    cites: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def steps(self) -> int:
        """How many steps the derivation has (0 when it could not be read)."""
        return 0 if self.report is None else len(self.report.steps)


def cited_rules(report: DerivationReport) -> tuple[str, ...]:
    """The registered names of the rules the derivation's steps rest on, in step order."""
    from ..symbolic.rules import UnknownRule, lookup

    out: list[str] = []
    for s in report.steps:
        for name in s.inferred if s.inferred is not None else s.step.rules:
            with suppress(UnknownRule):
                name = lookup(name).name
            if name not in out:
                out.append(name)
    return tuple(out)


def order_problems(derived_form: DerivedForm, cites: tuple[str, ...]) -> list[str]:
    """What a derivation of ``derived_form`` cites that is not derived before it."""
    from ..symbolic.rules import REGISTRY

    position = FORMS.index(derived_form) if derived_form in FORMS else len(FORMS)
    before = {f.name for f in FORMS[:position]}
    problems = []
    for name in cites:
        rule = REGISTRY.get(name)
        if name == derived_form.rule:
            problems.append(f"cites the rule {name} it derives")
        elif rule is not None and rule.derived and not set(rule.derivation) <= before:
            later = ", ".join(d for d in rule.derivation if d not in before)
            problems.append(
                f"cites the derived rule {name}, whose form {later} is not derived before it"
            )
    return problems


def check_form(derived_form: DerivedForm, path: Path | None = None) -> FormCheck:
    """Check the derivation of ``derived_form`` (from ``path``, default the bundled file)."""
    from ..files import DerivationFileError, load_derivation
    from ..latex.parser import LatexError, parse_expression
    from ..symbolic.checker import check_derivation
    from ..symbolic.derivation import DerivationError

    path = derivation_path(derived_form.name) if path is None else path
    try:
        report = check_derivation(load_derivation(path))
    except (DerivationFileError, DerivationError, OSError) as exc:
        return FormCheck(derived_form, None, (), (f"unreadable: {exc}",))
    problems = [
        f"step {s.index} is {s.verdict}, not accepted"
        for s in report.steps
        if s.verdict != "accepted"
    ]
    cites = cited_rules(report)
    problems += order_problems(derived_form, cites)
    try:
        lhs = parse_expression(derived_form.lhs, report.derivation.notation)
        rhs = parse_expression(derived_form.rhs, report.derivation.notation)
    except LatexError as exc:
        problems.append(f"the form's equation does not read: {exc.message}")
    else:
        last = report.steps[-1].claim
        if (last.lhs, last.rhs) != (lhs, rhs) or last.is_estimate:
            problems.append("its last line does not state the rule's form")
    return FormCheck(derived_form, report, cites, tuple(problems))


@cache
def check_rule(name: str) -> tuple[FormCheck, ...]:
    """The derivations of the registered rule ``name`` checked, one per form (() for a
    primitive rule)."""
    from ..symbolic.rules import lookup

    return tuple(check_form(form(d)) for d in lookup(name).derivation)
