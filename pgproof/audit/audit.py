"""The soundness audit: mutate correct derivations, and check every mutant numerically.

For an accepted step k of a checked derivation, a mutant (:mod:`.mutations`) changes its
claim, its relation, its rules, its links, the terms it claims free of θ, or the notation
it is read in.  The checker judges the mutant — a changed claim alone against step k's own
source (``check_step``), any other change as a derivation checked whole
(``check_derivation``) after cutting it down to step k and the steps it uses — and the
numeric judge (:func:`pgproof.bridge.judge.judge_claim`) evaluates the claim on random
MDPs.  The property audited is

    accepted symbolically  ⇒  numerically true          (no accepted-but-wrong mutant).

Outcomes per mutant:

* symbolic: ``accepted`` (established: accepted, and resting on no refused step),
  ``refused`` — counting ``conditional`` ones, which the checker's rules accept but which
  rest on a refused step and are shown as such, (✓) —, or ``unusable`` (the checker or the
  reader refuses it as input: ``DerivationError``, ``LatexError``, a file error; a crash is
  recorded as unusable with ``CRASH`` in its reason and listed);
* numeric (not for unusable ones): ``wrong`` — the claim's sides differ (in expectation over
  the samples for ≈), or a term claimed free of θ depends on θ, or, for an accepted
  mutant, ``check --numeric`` (:func:`pgproof.bridge.steps.verify_step_numerically`)
  reports a checker bug; ``equal``; ``not evaluated`` (no numeric meaning, or undefined on
  every trial).

An accepted-but-wrong mutant comes with a minimal reproducer: a derivation file holding
the judged step and only the steps it uses (:func:`reproducer`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace

import numpy as np
from sympy import Basic

from pgproof.bridge.judge import EQUAL, NOT_EVALUATED, WRONG, judge_claim
from pgproof.bridge.steps import verify_step_numerically, verify_theta_free
from pgproof.files import DerivationFileError
from pgproof.kernel.objects import Equation, Policy, TrajectoryDensity
from pgproof.latex.parser import LatexError
from pgproof.present.latex_printer import PGLatexPrinter
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.errors import DerivationError
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import DerivationReport, StepReport
from pgproof.symbolic.rules import UnknownRule
from pgproof.symbolic.step_check import check_step
from pgproof.symbolic.text import show

from .mutations import Mutant, StepMutant, accepted_steps, dump_toml, mutants, step_mutants

__all__ = [
    "AuditResult",
    "AuditSummary",
    "audit",
    "audit_mutant",
    "audited_steps",
    "minimal_derivation",
    "reproducer",
    "step_mutants",
]

#: errors that make a mutant unusable input (refused before any rule is applied)
UNUSABLE = (DerivationError, DerivationFileError, LatexError, UnknownRule)


@dataclass
class AuditResult:
    file: str
    step: int
    kind: str
    mutant: str
    accepted: bool
    numeric: str  # "wrong" | "equal" | "not evaluated" | "" (unusable: not judged)
    reason: str = ""
    family: str = "expression"
    #: why the mutant is unusable input (empty when it was checked)
    unusable: str = ""
    #: the checker's reasons for refusing it
    refusal: str = ""
    #: ``check --numeric``'s verdict (accepted mutants only)
    project: str = ""
    #: the mutated text was read exactly as the original (notation family)
    silent: bool = False
    #: accepted by its rules but resting on a refused step (shown as conditional, (✓))
    conditional: bool = False
    #: the judged step uses (transitively) a step the checker refused
    uses_refused: bool = False
    #: a derivation file reproducing an accepted-but-wrong mutant
    reproducer: str = ""

    @property
    def accepted_but_wrong(self) -> bool:
        return self.accepted and self.numeric == WRONG

    @property
    def status(self) -> str:
        if self.unusable:
            return "unusable"
        return "accepted" if self.accepted else "conditional" if self.conditional else "refused"


def audited_steps(report: DerivationReport) -> list[int]:
    """The steps to mutate: the accepted ones (a mutant of a refused step says little)."""
    return accepted_steps(report)


def expression_step_mutants(report: DerivationReport, index: int) -> list[Mutant]:
    """Expression mutants of step ``index``'s claimed right side."""
    step = report.steps[index - 1]
    return mutants(step.claim.rhs, report.derivation.notation)


# ------------------------------------------------------------------ minimal derivations


def _used(step: Step, k: int) -> list[int]:
    """The steps step k needs: its source, its reference, and the previous step when it
    continues the previous left side (``= rhs`` not ``from`` a numbered step)."""
    out = []
    numbered = isinstance(step.source, int) and not isinstance(step.source, bool)
    if numbered:
        out.append(step.source)
    elif k > 1 and (step.source == "previous" or step.lhs is None):
        out.append(k - 1)
    if isinstance(step.reference, int) and not isinstance(step.reference, bool):
        out.append(step.reference)
    return out


def minimal_derivation(derivation: Derivation, k: int) -> tuple[Derivation, int]:
    """Step ``k`` and the steps it uses (transitively: ``from``, the previous step,
    ``using``), renumbered; and step k's number there.  A reference out of range is kept
    as it is (the checker refuses it)."""
    needed = {k}
    todo = [k]
    while todo:
        j = todo.pop()
        for used in _used(derivation.steps[j - 1], j):
            if 1 <= used < j and used not in needed:
                needed.add(used)
                todo.append(used)
    order = sorted(needed)
    number = {old: new for new, old in enumerate(order, start=1)}

    def renumber(ref: object) -> object:
        return number.get(ref, ref) if isinstance(ref, int) and not isinstance(ref, bool) else ref

    steps = []
    for old in order:
        step = derivation.steps[old - 1]
        # "previous" (and a continued left side) stays right: old − 1 is in the closure,
        # hence just before it
        steps.append(
            replace(step, source=renumber(step.source), reference=renumber(step.reference))
        )
    minimal = replace(derivation, steps=tuple(steps), expected=None)
    return minimal, number[k]


_CHECKED: dict[Derivation, DerivationReport | Exception] = {}


def _check_whole(derivation: Derivation) -> DerivationReport:
    if derivation not in _CHECKED:
        try:
            _CHECKED[derivation] = check_derivation(derivation)
        except Exception as exc:  # noqa: BLE001 - recorded, re-raised below
            _CHECKED[derivation] = exc
    got = _CHECKED[derivation]
    if isinstance(got, Exception):
        raise got
    return got


# ------------------------------------------------------------------ one mutant


def _symbolic(report: DerivationReport, mutant: StepMutant) -> tuple[StepReport, Derivation, bool]:
    """The checker's report on the mutated step, the derivation it sits in, and whether
    it uses a step the checker refused."""
    derivation = report.derivation
    if mutant.claim is not None:
        original = report.steps[mutant.step - 1]
        claims = [s.claim for s in report.steps]
        claims[mutant.step - 1] = mutant.claim
        symbolic = check_step(derivation, mutant.step, original.source, mutant.claim, claims)
        if original.estimate and not hasattr(type(mutant.claim), "is_estimate"):
            # a checker whose claims do not carry their relation marks a step ≈ afterwards
            # (check_derivation), from the estimates it uses: the original step's mark holds
            symbolic.estimate = True
        step = replace(original.step, lhs=mutant.claim.lhs, rhs=mutant.claim.rhs)
        steps = list(derivation.steps)
        steps[mutant.step - 1] = step
        return symbolic, replace(derivation, steps=tuple(steps[: mutant.step])), False
    assert mutant.derivation is not None
    minimal, target = minimal_derivation(mutant.derivation, mutant.target)
    checked = _check_whole(minimal)
    judged = checked.steps[target - 1]
    uses_refused = any(not s.accepted for s in checked.steps[: target - 1])
    return judged, minimal, uses_refused or bool(getattr(judged, "rests_on", ()))


def established(report: StepReport) -> bool:
    """Accepted and not resting on a refused step (a *conditional* step is shown as
    established only if its refused premise is)."""
    return report.accepted and not getattr(report, "conditional", False)


_THETA_FREE: dict[tuple, str] = {}


def _theta_free(term: Basic, notation: Notation, trials: int, seed: int) -> str:
    key = (term, notation, trials, seed)
    if key not in _THETA_FREE:
        cond = verify_theta_free(term, notation, trials, seed, stream=10_000)
        witness = cond.witness.text().splitlines()[-1].strip() if cond.witness else ""
        _THETA_FREE[key] = "" if cond.verdict != "depends on θ" else witness or "depends on θ"
    return _THETA_FREE[key]


def judge_step(
    symbolic: StepReport, notation: Notation, stream: int, trials: int, seed: int
) -> tuple[str, str, str]:
    """(numeric outcome, why, check --numeric's verdict) of one checked step."""
    claim = symbolic.claim
    judgement = judge_claim(claim.lhs, claim.rhs, notation, symbolic.estimate, trials, seed, stream)
    outcome, reason = judgement.verdict, judgement.reason
    if outcome == WRONG:
        reason = f"the claim is false: {reason}"
    for term in symbolic.step.terms:
        bad = _theta_free(term, notation, trials, seed)
        if bad:
            outcome, reason = WRONG, f"{show(term)} is claimed free of θ but is not: {bad}"
            break
    project = ""
    if established(symbolic):
        numeric = verify_step_numerically(symbolic, notation, trials, seed)
        project = numeric.verdict + (" (loud)" if numeric.loud else "")
        if numeric.loud and outcome != WRONG:
            witness = numeric.witness.text().splitlines()[-1].strip() if numeric.witness else ""
            outcome, reason = WRONG, f"check --numeric: {numeric.verdict} {witness}".strip()
    return outcome, reason, project


def audit_mutant(
    report: DerivationReport,
    mutant: StepMutant | Mutant,
    trials: int = 3,
    seed: int = 0,
    index: int | None = None,
) -> AuditResult:
    """Check one mutant symbolically and numerically (an expression :class:`Mutant` of step
    ``index`` is accepted too)."""
    if isinstance(mutant, Mutant):
        assert index is not None, "an expression mutant needs its step index"
        claim = report.steps[index - 1].claim
        mutant = StepMutant(
            "expression",
            mutant.kind,
            index,
            show(mutant.expr),
            claim=claim.func(claim.lhs, mutant.expr),
        )
    derivation = report.derivation
    base = AuditResult(
        derivation.file or derivation.title,
        mutant.step,
        mutant.kind,
        mutant.description,
        accepted=False,
        numeric="",
        family=mutant.family,
        silent=mutant.silent,
    )
    if mutant.error:
        return replace(base, unusable=mutant.error)
    try:
        symbolic, where, uses_refused = _symbolic(report, mutant)
    except UNUSABLE as exc:
        return replace(base, unusable=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash of the checker is a finding
        return replace(base, unusable=f"CRASH {type(exc).__name__}: {exc}")
    notation = where.notation
    outcome, reason, project = judge_step(symbolic, notation, mutant.step, trials, seed)
    result = replace(
        base,
        accepted=established(symbolic),
        conditional=symbolic.accepted and not established(symbolic),
        numeric=outcome,
        reason=reason,
        refusal="" if established(symbolic) else symbolic.reason,
        project=project,
        uses_refused=uses_refused,
    )
    if result.accepted_but_wrong:
        result.reproducer = reproducer(where, symbolic, mutant)
    return result


# ------------------------------------------------------------------ reproducers


class _Printer(PGLatexPrinter):
    """pgproof's LaTeX printer, with the body of ∇ always in brackets: the reader applies
    ``\\nabla`` to the next factor only, so ``\\nabla \\frac{1}{m} \\sum …`` would read
    as (∇ 1/m)·Σ."""

    def _print_Grad(self, expr: Basic) -> str:
        body, variable = expr.args
        inner = self._print(body)
        if not (body.is_Atom or isinstance(body, TrajectoryDensity | Policy)):
            inner = r"\left(" + inner + r"\right)"
        return r"\nabla_{%s} %s" % (self._print(variable), inner)


def _latex(expr: Basic) -> str:
    return _Printer().doprint(expr)


def _notation_table(notation: Notation) -> dict[str, object]:
    default = Notation()
    out: dict[str, object] = {}
    for f in fields(Notation):
        value = getattr(notation, f.name)
        if value != getattr(default, f.name):
            out[f.name.rstrip("_")] = list(value) if isinstance(value, tuple) else value
    return out


def reproducer(
    derivation: Derivation, symbolic: StepReport, mutant: StepMutant | None = None
) -> str:
    """A derivation file (TOML) with the judged step ``symbolic.index`` of ``derivation``
    and only the steps it uses.

    Every formula is written with its left side, as SymPy's LaTeX printer writes it; the
    relation of a step is what the checker derives (a ``= ↔ ≈`` mutant is noted).
    """
    minimal, k = minimal_derivation(derivation, symbolic.index)
    try:
        claims = [s.claim for s in check_derivation(minimal).steps]
    except UNUSABLE:
        claims = [Equation(s.lhs, s.rhs) for s in minimal.steps]
    claims[k - 1] = symbolic.claim
    steps = []
    for step, claim in zip(minimal.steps, claims, strict=True):
        table: dict[str, object] = {
            "formula": f"{_latex(claim.lhs)} = {_latex(claim.rhs)}",
            "by": list(step.rules),
        }
        if step.source != "previous":
            table["from"] = step.source
        if step.reference is not None:
            table["using"] = step.reference
        if step.terms:
            table["terms"] = [_latex(t) for t in step.terms]
        if step.factor is not None:
            table["factor"] = _latex(step.factor)
        steps.append(table)
    title = "soundness audit: accepted but numerically wrong"
    if mutant is not None:
        title += f" ({mutant.family}: {mutant.kind})"
    data: dict[str, object] = {
        "title": title,
        "source": "pgproof soundness audit",
        "notation": _notation_table(minimal.notation),
        "step": steps,
    }
    lines = [f"# step {j}: {show(c)}" for j, c in enumerate(claims, 1)]
    text = "\n".join(lines) + "\n" + dump_toml(data)
    if not _reads_back(text, claims):
        text = "# the LaTeX below does not read back exactly as the claims above\n" + text
    return text


def _reads_back(text: str, claims: list[Basic]) -> bool:
    """The file ``text`` is read and checked into the same claims (relations aside)."""
    import tempfile
    from pathlib import Path

    from pgproof.files import load_derivation

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reproducer.pgproof.toml"
        path.write_text(text, encoding="utf-8")
        try:
            back = check_derivation(load_derivation(path))
        except UNUSABLE:
            return False
    if len(back.steps) != len(claims):
        return False
    return all(_same(c, s.claim) for c, s in zip(claims, back.steps, strict=True))


def _same(a: Basic, b: Basic) -> bool:
    """Equal up to the canonical form the checker compares by (relations aside)."""
    from pgproof.symbolic.canonical import canonical
    from pgproof.symbolic.refusal import Refusal

    a, b = Equation(*a.args), Equation(*b.args)
    try:
        return a == b or canonical(a) == canonical(b)
    except Refusal:
        return False


# ------------------------------------------------------------------ the audit


def all_mutants(
    reports: Iterable[DerivationReport], families: tuple[str, ...] | None = None
) -> list[tuple[DerivationReport, StepMutant]]:
    return [(r, m) for r in reports for m in step_mutants(r, families)]


def sample(
    chosen: list[tuple[DerivationReport, StepMutant]], limit: int, seed: int = 0
) -> list[tuple[DerivationReport, StepMutant]]:
    """At most ``limit`` mutants, shared out evenly among the kinds (a kind with fewer
    mutants than its share gives all of them, the rest go to the others), in a fixed order
    for a given seed."""
    if len(chosen) <= limit:
        return chosen
    by_kind: dict[str, list[int]] = defaultdict(list)
    for k, (_, m) in enumerate(chosen):
        by_kind[f"{m.family}/{m.kind}"].append(k)
    quota: dict[str, int] = {}
    left, kinds = limit, sorted(by_kind, key=lambda kind: len(by_kind[kind]))
    for n, kind in enumerate(kinds):
        quota[kind] = min(len(by_kind[kind]), left // (len(kinds) - n))
        left -= quota[kind]
    rng = np.random.default_rng(seed)
    keep: list[int] = []
    for kind, positions in by_kind.items():
        keep.extend(rng.choice(positions, quota[kind], replace=False).tolist())
    return [chosen[k] for k in sorted(keep)]


def audit(
    reports: Iterable[DerivationReport],
    trials: int = 3,
    seed: int = 0,
    families: tuple[str, ...] | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[AuditResult]:
    """Audit every mutant of the accepted steps of ``reports`` (or a sample of ``limit``)."""
    chosen = all_mutants(reports, families)
    if limit is not None:
        chosen = sample(chosen, limit, seed)
    results = []
    for n, (report, mutant) in enumerate(chosen, start=1):
        results.append(audit_mutant(report, mutant, trials, seed))
        if progress is not None:
            progress(n, len(chosen))
    return results


@dataclass
class AuditSummary:
    tried: int
    wrong: int
    wrong_refused: int
    accepted_but_wrong: int
    equal_accepted: int
    equal_refused: int
    not_evaluated: int
    unusable: int = 0
    refused: int = 0
    accepted: int = 0
    #: of the refused: accepted by their rules but resting on a refused step
    conditional: int = 0

    @classmethod
    def of(cls, results: list[AuditResult]) -> AuditSummary:
        c = Counter((r.accepted, r.numeric) for r in results if not r.unusable)
        return cls(
            tried=len(results),
            wrong=c[(True, WRONG)] + c[(False, WRONG)],
            wrong_refused=c[(False, WRONG)],
            accepted_but_wrong=c[(True, WRONG)],
            equal_accepted=c[(True, EQUAL)],
            equal_refused=c[(False, EQUAL)],
            not_evaluated=c[(True, NOT_EVALUATED)] + c[(False, NOT_EVALUATED)],
            unusable=sum(1 for r in results if r.unusable),
            refused=sum(1 for r in results if not r.unusable and not r.accepted),
            accepted=sum(1 for r in results if r.accepted),
            conditional=sum(1 for r in results if r.conditional),
        )
