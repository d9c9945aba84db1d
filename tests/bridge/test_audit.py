"""The soundness audit: accepted mutants of correct steps must be numerically equal."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgproof.bridge.audit as audit
from pgproof.bridge.audit import AuditSummary, audit_mutant, audited_steps, step_mutants
from pgproof.bridge.mutations import mutants, policy_to_dynamics, remove_initial
from pgproof.symbolic.report import StepReport

SEEDS = [
    "000_deriving_policy_gradient",
    "001_policy_gradient_unfinished",
    "002_policy_gradient_theorem_hf",
]


@st.composite
def seed_mutants(draw, checked):
    name = draw(st.sampled_from(SEEDS))
    report = checked[name]
    index = draw(st.sampled_from(audited_steps(report)))
    candidates = step_mutants(report, index)
    return report, index, draw(st.sampled_from(candidates))


def test_accepted_mutants_are_numerically_equal(checked) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(seed_mutants(checked))
    def prop(case) -> None:
        report, index, mutant = case
        result = audit_mutant(report, index, mutant, trials=2)
        assert not result.accepted_but_wrong, result

    prop()


def test_the_audit_fails_for_an_unsound_checker(checked, monkeypatch) -> None:
    def accept_everything(derivation, index, source, claim, claims) -> StepReport:
        step = derivation.steps[index - 1]
        return StepReport(index, step, claim, source, status="accepted")

    monkeypatch.setattr(audit, "check_step", accept_everything)
    report = checked["000_deriving_policy_gradient"]
    flips = [m for m in step_mutants(report, 7) if m.kind == "flip sign"]
    result = audit_mutant(report, 7, flips[0], trials=2)
    assert result.accepted and result.accepted_but_wrong
    assert AuditSummary.of([result]).accepted_but_wrong == 1


def test_operators_cover_the_issue_list(checked) -> None:
    report = checked["000_deriving_policy_gradient"]
    notation = report.derivation.notation
    kinds = {m.kind for k in audited_steps(report) for m in step_mutants(report, k)}
    assert kinds == {
        "index range",
        "drop factor",
        "duplicate factor",
        "flip sign",
        "swap s_t/s_t+1",
        "policy→dynamics",
        "remove p(s_1)",
        "move ∇",
    }
    (dyn,) = policy_to_dynamics(notation.pi(), notation)
    assert dyn == notation.p()
    assert remove_initial(notation.p0(), notation) == [1]
    density = notation.trajectory_density()
    assert density not in [m.expr for m in mutants(density, notation)]
