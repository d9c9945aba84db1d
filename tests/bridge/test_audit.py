"""The soundness audit: no accepted mutant of a correct derivation is numerically false.

The bounded audit below is the CI run of ``benchmarks/soundness_audit.py``: at least 1000
mutants of the seeds' accepted steps, every family represented (claim, relation, rules,
links, θ-free terms, notation), 2 random MDPs each, in about 15 s of CPU (60 s is the limit).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest
from sympy import Integer, Sum, log

from pgproof.bridge.judge import EQUAL, NOT_EVALUATED, WRONG, judge_claim
from pgproof.files import load_derivation
from pgproof.kernel import objects
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import StepReport

from ..extras import require_extra

require_extra("audit")  # before the audit's imports: a skip naming the extra, not an ImportError

import pgproof.audit.audit as audit  # noqa: E402
from pgproof.audit.audit import (  # noqa: E402
    AuditSummary,
    all_mutants,
    audit_mutant,
    audited_steps,
    expression_step_mutants,
    minimal_derivation,
    reproducer,
)
from pgproof.audit.mutations import (  # noqa: E402
    FAMILIES,
    OPERATORS,
    StepMutant,
    mutants,
    policy_to_dynamics,
    remove_initial,
    reversed_range,
    shifted_range,
    step_mutants,
)

SEEDS = [
    "000_deriving_policy_gradient",
    "001_policy_gradient_unfinished",
    "002_policy_gradient_theorem_hf",
]
#: the CI audit: at least this many mutants, in well under 60 s
CI_MUTANTS = 1050


@pytest.fixture(scope="module")
def seeds(checked):
    return [checked[name] for name in SEEDS]


def test_the_bounded_audit_finds_no_accepted_but_wrong_mutant(seeds) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    results = audit.audit(seeds, trials=2, seed=0, limit=CI_MUTANTS)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = AuditSummary.of(results)
    assert summary.tried >= 1000
    assert {r.family for r in results} >= set(FAMILIES) - {"relation"}
    bad = [r for r in results if r.accepted_but_wrong]
    assert not bad, "\n\n".join(
        f"{r.file} step {r.step} [{r.family}: {r.kind}] {r.mutant}\n  {r.reason}\n{r.reproducer}"
        for r in bad[:5]
    )
    crashes = [r for r in results if r.unusable.startswith("CRASH")]
    assert not crashes, crashes[:3]
    judged = summary.tried - summary.unusable
    assert summary.not_evaluated <= 0.2 * judged, summary
    assert summary.wrong >= 0.2 * judged  # many mutants are false: the audit has teeth
    # CPU time: the wall-clock time also counts whatever else the machine runs
    assert cpu < 60, f"the CI audit took {cpu:.1f} s of CPU ({elapsed:.1f} s wall clock)"


def test_the_audit_fails_for_an_unsound_checker(checked, monkeypatch) -> None:
    def accept_everything(derivation, index, source, claim, claims) -> StepReport:
        step = derivation.steps[index - 1]
        return StepReport(index, step, claim, source, status="accepted")

    monkeypatch.setattr(audit, "check_step", accept_everything)
    report = checked["000_deriving_policy_gradient"]
    flips = [m for m in expression_step_mutants(report, 7) if m.kind == "flip sign"]
    result = audit_mutant(report, flips[0], trials=2, index=7)
    assert result.accepted and result.accepted_but_wrong
    assert AuditSummary.of([result]).accepted_but_wrong == 1
    assert "formula" in result.reproducer and "substitute" in result.reproducer


def test_a_step_resting_on_a_refused_step_is_not_counted_as_established(checked) -> None:
    """The 'refused source' mutants: step j mutated and refused, step k follows from it."""
    report = checked["000_deriving_policy_gradient"]
    chosen = [
        m for m in step_mutants(report, ("link",)) if m.kind == "refused source" and m.step == 8
    ]
    assert chosen
    results = [audit_mutant(report, m, trials=2) for m in chosen]
    assert all(r.uses_refused for r in results)
    assert any(r.numeric == WRONG for r in results)
    assert not any(r.accepted_but_wrong for r in results)


def test_every_family_and_operator_is_generated(seeds) -> None:
    kinds = Counter((m.family, m.kind) for _, m in all_mutants(seeds))
    assert {family for family, _ in kinds} >= set(FAMILIES) - {"relation"}
    assert {kind for family, kind in kinds if family == "expression"} == set(OPERATORS)
    expected = {
        ("rule", "rule swapped"),
        ("rule", "rule dropped"),
        ("rule", "re-derived"),
        ("rule", "estimate chain"),
        ("link", "from → other step"),
        ("link", "using → other step"),
        ("link", "refused source"),
        ("terms", "θ-dependent term"),
        ("notation", "first_index"),
        ("notation", "trajectory_space"),
        ("notation", "constant named like θ"),
    }
    assert expected <= set(kinds)
    if hasattr(objects, "Approximation"):
        assert kinds[("relation", "= ↔ ≈")] == sum(len(audited_steps(r)) for r in seeds)


def test_expression_operators(checked) -> None:
    report = checked["000_deriving_policy_gradient"]
    notation = report.derivation.notation
    (dyn,) = policy_to_dynamics(notation.pi(), notation)
    assert dyn == notation.p()
    assert remove_initial(notation.p0(), notation) == [1]
    density = notation.trajectory_density()
    assert density not in [m.expr for m in mutants(density, notation)]
    product = density.args[1]
    t, a, b = product.limits[0]
    assert reversed_range(product, notation)[0].limits[0] == (t, b, a)
    assert {x.limits[0] for x in shifted_range(product, notation)} == {
        (t, a + 1, b + 1),
        (t, a - 1, b - 1),
    }


def test_theta_dependent_terms_are_refused_and_numerically_wrong(checked) -> None:
    report = checked["002_policy_gradient_theorem_hf"]
    results = [audit_mutant(report, m, trials=2) for m in step_mutants(report, ("terms",))]
    assert results
    assert all(not r.accepted and r.numeric == WRONG for r in results)
    assert all("claimed free of θ" in r.reason for r in results)


def test_a_constant_named_like_the_parameter_is_unusable(checked) -> None:
    report = checked["000_deriving_policy_gradient"]
    chosen = [m for m in step_mutants(report, ("notation",)) if m.kind == "constant named like θ"]
    assert chosen
    result = audit_mutant(report, chosen[0], trials=2)
    assert result.status == "unusable", result


def test_minimal_derivation_keeps_what_a_step_uses(checked) -> None:
    d = checked["000_deriving_policy_gradient"].derivation
    minimal, k = minimal_derivation(d, 8)  # 8 ← 7 ← 6 (from 3) ← 3 ← 2 ← 1, and 7 uses 5 ← 4
    assert k == len(minimal.steps) == 8
    minimal, k = minimal_derivation(d, 5)  # 5 continues 4, which starts from itself
    assert (k, len(minimal.steps)) == (2, 2)
    assert minimal.steps[1].source == "previous"
    minimal, k = minimal_derivation(d, 13)  # 13 ← 12 (using 10 ← 9) ← 11 (from 8) ← …
    assert k == len(minimal.steps)


def test_a_reproducer_reads_back_as_the_mutant(checked, tmp_path) -> None:
    report = checked["000_deriving_policy_gradient"]
    mutant: StepMutant = next(
        m for m in step_mutants(report, ("link",)) if m.kind == "refused source" and m.step == 8
    )
    symbolic, where, _ = audit._symbolic(report, mutant)
    text = reproducer(where, symbolic, mutant)
    path = tmp_path / "case.pgproof.toml"
    path.write_text(text, encoding="utf-8")
    back = audit.check_derivation(load_derivation(path))
    assert back.steps[-1].claim == symbolic.claim


def test_the_judge_is_strict_about_undefined_sides_and_reversed_ranges() -> None:
    n = Notation(state="s", action="a")
    r = n.r(n.first)
    # the log of a negative number is undefined: on both sides, that is not agreement; on
    # one side only, it is a difference
    both = judge_claim(log(r - 5), 2 * log(r - 5) - log(r - 5), n, trials=2)
    assert both.verdict == NOT_EVALUATED and both.undefined > 0
    assert judge_claim(log(r), log(r**2) / 2, n, trials=2).verdict == WRONG
    # a reversed range is empty, not SymPy's Karr convention Σ_{3}^{1} f = −f(2)
    reversed_sum = Sum(n.r(), (n.t, Integer(3), Integer(1)))
    assert judge_claim(reversed_sum, Integer(0), n, trials=2).verdict == EQUAL
    assert judge_claim(reversed_sum, -n.r(2), n, trials=2).verdict == WRONG


def test_an_expression_mutant_is_judged_against_its_own_step(checked) -> None:
    report = checked["002_policy_gradient_theorem_hf"]
    k = 7  # an estimate (≈): compared in expectation over the samples
    m = next(m for m in expression_step_mutants(report, k) if m.kind == "flip sign")
    result = audit_mutant(report, m, trials=2, index=k)
    assert not result.accepted and result.numeric == WRONG
    kept = audit_mutant(report, replace(m, expr=report.steps[k - 1].claim.rhs), 2, index=k)
    assert kept.accepted and kept.numeric == EQUAL


def test_the_judge_does_not_compare_two_overflowed_sides() -> None:
    """e^{1000}·J against 2·e^{1000}·J or J: a side is ∞ in floating point (∞ − ∞ is nan, ∞
    is within a relative tolerance of anything), so the judge cannot tell: not evaluated,
    neither a false WRONG nor a false equal; finite claims stay compared."""
    from sympy import exp

    n = Notation(state="s", action="a")
    huge = exp(Integer(1000))
    both = judge_claim(huge * n.J(), 2 * huge * n.J(), n, trials=2)
    assert both.verdict == NOT_EVALUATED and both.undefined > 0
    assert judge_claim(huge * n.J(), n.J(), n, trials=2).verdict == NOT_EVALUATED
    assert judge_claim(2 * n.J(), n.J() + n.J(), n, trials=2).verdict == EQUAL
    assert judge_claim(2 * n.J(), n.J(), n, trials=2).verdict == WRONG
