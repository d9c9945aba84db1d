"""Derived rules: family results that carry a derivation from the primitive rules.

A derived rule is registered like any rule (its function rewrites in one step), and its
registration names its derivations, ``@rule(..., derivation=("baseline.trajectory", …))``:
one ``*.pgproof.toml`` file of this folder per form of the rule (:mod:`.forms` says which
form a step uses), each a derivation that the checker accepts with every step ✓, and whose
last line states the form in general:

    score_has_zero_mean.trajectory   E_{τ∼p_θ}[∇_θ log p_θ(τ)] = 0
        from ∫ p_θ(τ) dτ = 1: ∇_θ of both sides, ∇ under ∫, the log-derivative trick
    score_has_zero_mean.action       E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s)] = 0
        from Σ_{a'} π_θ(a'|s) = 1 in the same way (∇ under the finite Σ_{a'})
    score_has_zero_mean.per_step     E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t)] = 0
        the law of (s_t, a_t) is Pr(s_t = s) π_θ(a|s) (state_action_marginal), and for each
        state Σ_a ∇_θ π_θ(a|s) = ∇_θ Σ_a π_θ(a|s) = ∇_θ 1 = 0 (sum_of_zeros for Σ_s 0)
    score_has_zero_mean.per_step_sum E_{τ∼p_θ}[Σ_{t=1}^{T} ∇_θ log π_θ(a_t|s_t)] = 0
        E through the sum (expectation_of_sum), then the per-step form
    baseline.trajectory              E_{τ∼p_θ}[∇_θ log p_θ(τ) b] = b E_{τ∼p_θ}[∇_θ log p_θ(τ)]
                                     = 0   (b free of τ; score_has_zero_mean's trajectory form)
    baseline.action                  E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s) b(s)] = 0, likewise
    baseline.per_step                E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t) b(s_t)] = 0, as for the
                                     score, b(s) coming out of Σ_a
    baseline.per_step_sum            E_{τ∼p_θ}[Σ_{t=1}^{T} ∇_θ log π_θ(a_t|s_t) b(s_t)] = 0

The per-step sums are written with the limits 1..T; expectation_of_sum moves E through any
Σ_t whose limits are free of τ, the same way.  ``FORMS`` lists the forms in the order they
are derived: a derivation may cite primitive rules, and a derived rule only in forms that
are derived earlier in ``FORMS`` (read off each citing step, :mod:`.forms`), never in the
form it derives, so no derived rule rests on a circle.

Not derived (they stay primitive), and what is missing:

* baseline with b a function of earlier steps too (b(s_{t−1}, a_{t−1}, s_t): the form
  ``per_step_history``), and causality, which rests on it (each term h_{t'}, t' < t, is
  such a b): state_action_marginal gives the law of one step (s_t, a_t) only; the law of a
  history, E[f(s_1..s_t, a_1..a_t)] = E[f(s_1..s_t, a_1..a_{t−1}, a') with a' ∼ π_θ(·|s_t)],
  the factorisation p_θ(τ) = p(s_1) Π_t π_θ(a_t|s_t) p(s_{t+1}|s_t, a_t) read one step at a
  time, is no primitive rule (the tower property reaches E[b E[∇_θ log π_θ(a_t|s_t) | s_1..
  s_t, a_1..a_{t−1}]], but nothing says that inner expectation is over a' ∼ π_θ(·|s_t)).
  Causality also needs Σ_t Σ_{t'} split into t' < t and t' ≥ t, which no primitive rule
  does for symbolic limits.
* markov_property, E[X | …, s_u, a_u] = E[X | s_u, a_u]: a property of the trajectory
  process itself, read off the same factorisation; deriving it would need conditional
  densities as objects, which the checker does not have.
* the Q-form E[Σ_t ∇_θ log π_θ(a_t|s_t) Q^π(s_t, a_t)] is not one rule: the bundled example
  010 derives it from causality, iterated_expectation (the tower property, a primitive of
  probability), markov_property and the definition of Q^π, so it rests on what causality
  and markov_property rest on.

:func:`check_rule` checks a derived rule's derivations in general form (``pgproof check
--strict`` and the test suite use it); the result is cached per process: it depends on the
files only.  ``pgproof check --strict`` also expands each step citing a derived rule at the
step (:mod:`.expand`): the form's general redex (the left side of its last line) is matched
against the subterm the step rewrote, its schematic names (the free symbols b, s, t, T, θ,
the declared function b(·), and the names of the state and the action) instantiated by the
step's terms and its bound τ, a', t matched up to renaming; every line of the derivation
is instantiated by capture-avoiding substitution and checked again (derived steps inside
expanded in turn), and the instantiated conclusion must rewrite the step's subterm into
its claim.  So the rule's own function is not trusted under ``--strict``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..symbolic.report import DerivationReport, StepReport


@dataclass(frozen=True)
class DerivedForm:
    """One form of a derived rule: its derivation file ``name``.pgproof.toml and, in the
    derivation's notation, the LaTeX of the equation ``lhs = rhs`` its last line states."""

    name: str
    rule: str
    lhs: str
    rhs: str

    def __post_init__(self) -> None:
        # --strict rewrites the matched subterm by 0 (expand.expand_step): a form with
        # another right side would need the rewrite by its instantiated right side
        if self.rhs != "0":
            raise ValueError(f"derived form {self.name}: its right side must be 0")


#: the forms in the order they are derived (a derivation cites only forms derived before it)
FORMS: tuple[DerivedForm, ...] = (
    DerivedForm(
        "score_has_zero_mean.trajectory",
        "score_has_zero_mean",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\nabla_{\theta} \log p_{\theta}(\tau)\right]",
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
        "score_has_zero_mean.per_step",
        "score_has_zero_mean",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t})\right]",
        "0",
    ),
    DerivedForm(
        "score_has_zero_mean.per_step_sum",
        "score_has_zero_mean",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\sum_{t=1}^{T} \nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t})\right]",
        "0",
    ),
    DerivedForm(
        "baseline.trajectory",
        "baseline",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\nabla_{\theta} \log p_{\theta}(\tau) b\right]",
        "0",
    ),
    DerivedForm(
        "baseline.action",
        "baseline",
        r"E_{a' \sim \pi_{\theta}(\cdot \mid s)}"
        r"\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s) b(s)\right]",
        "0",
    ),
    DerivedForm(
        "baseline.per_step",
        "baseline",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t}) b(s_{t})\right]",
        "0",
    ),
    DerivedForm(
        "baseline.per_step_sum",
        "baseline",
        r"E_{\tau \sim p_{\theta}(\tau)}"
        r"\left[\sum_{t=1}^{T} \nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t})"
        r" b(s_{t})\right]",
        "0",
    ),
)

#: family results that stay primitive rules, and why (the module docstring says more)
NOT_DERIVED: dict[str, str] = {
    "causality": "no primitive gives the law of a_t given a history of earlier steps, nor "
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


def step_rules(step: StepReport) -> tuple[str, ...]:
    """The registered names of the rules a step rests on: the author's (aliases resolved),
    or those the checker inferred; a name that is not registered is left out."""
    from ..symbolic.rules import UnknownRule, lookup

    out: list[str] = []
    for name in step.inferred if step.inferred is not None else step.step.rules:
        with suppress(UnknownRule):
            out.append(lookup(name).name)
    return tuple(out)


def cited_rules(report: DerivationReport) -> tuple[str, ...]:
    """The registered names of the rules the derivation's steps rest on, in step order."""
    out: list[str] = []
    for s in report.steps:
        out.extend(name for name in step_rules(s) if name not in out)
    return tuple(out)


def order_problems(derived_form: DerivedForm, report: DerivationReport) -> list[str]:
    """What a derivation of ``derived_form`` cites that is not derived before it: a derived
    rule in a form later in ``FORMS`` (or in no derived form), or the form it derives."""
    from ..symbolic.rules import REGISTRY
    from .forms import step_forms

    position = FORMS.index(derived_form) if derived_form in FORMS else len(FORMS)
    before = {f.name for f in FORMS[:position]}
    problems = []
    for s in report.steps:
        for name in step_rules(s):
            rule = REGISTRY[name]
            if not rule.derived:
                continue
            forms = step_forms(s, rule, report.derivation.notation) or ("unrecognised",)
            for f in forms:
                if f"{name}.{f}" == derived_form.name:
                    problems.append(f"step {s.index} cites {name} in the form it derives, {f}")
                elif f"{name}.{f}" not in before:
                    problems.append(
                        f"step {s.index} cites {name} in its {f} form, not derived before it"
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
    problems += order_problems(derived_form, report)
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
