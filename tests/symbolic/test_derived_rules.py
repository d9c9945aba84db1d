"""Derived rules: each bundled derivation is accepted with every step ✓, its last line states
the rule's form, it cites no derived rule before that rule is derived; and ``check --strict``
checks what a step citing a derived rule rests on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgproof import derived
from pgproof.cli import main
from pgproof.derived import FORMS, NOT_DERIVED, DerivedForm, check_form, check_rule
from pgproof.derived.forms import step_forms
from pgproof.latex.parser import parse_expression
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.rules import REGISTRY

DERIVED_RULES = sorted(name for name, r in REGISTRY.items() if r.derived)


def test_score_has_zero_mean_and_baseline_are_derived() -> None:
    assert {"score_has_zero_mean", "baseline"} <= set(DERIVED_RULES)


@pytest.mark.parametrize("name", DERIVED_RULES)
def test_a_derived_rule_names_exactly_its_bundled_forms(name: str) -> None:
    assert REGISTRY[name].derivation == tuple(f.name for f in FORMS if f.rule == name)
    for f in REGISTRY[name].derivation:
        assert derived.derivation_path(f).is_file()


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_every_bundled_derivation_is_accepted_with_every_step(form: DerivedForm) -> None:
    checked = check_form(form)
    assert checked.problems == ()
    assert checked.report is not None and checked.report.verdict == "accepted"
    assert checked.steps >= 3
    assert all(s.verdict == "accepted" and not s.rests_on for s in checked.report.steps)


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_the_last_line_states_the_form_and_the_rule_rewrites_it(form: DerivedForm) -> None:
    report = check_form(form).report
    assert report is not None
    notation = report.derivation.notation
    lhs, rhs = parse_expression(form.lhs, notation), parse_expression(form.rhs, notation)
    last = report.steps[-1].claim
    assert (last.lhs, last.rhs) == (lhs, rhs)
    # the form is what the rule itself rewrites in one step
    one = Derivation("one step", "test", notation, (Step(rhs, (form.rule,), lhs, "self"),))
    assert check_derivation(one).verdict == "accepted"


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_no_derivation_cites_a_form_derived_after_it(form: DerivedForm) -> None:
    checked = check_form(form)
    assert checked.report is not None
    before = {f.name for f in FORMS[: FORMS.index(form)]}
    notation = checked.report.derivation.notation
    for s in checked.report.steps:
        for name in s.step.rules:
            rule = REGISTRY[name]
            if rule.derived:
                used = step_forms(s, rule, notation)
                assert used and {f"{name}.{f}" for f in used} <= before, (form.name, s.index)


def test_score_has_zero_mean_and_baseline_cover_their_forms() -> None:
    assert {f.name.split(".")[1] for f in FORMS if f.rule == "baseline"} == {
        "trajectory",
        "action",
        "per_step",
        "per_step_sum",
    }
    assert len([f for f in FORMS if f.rule == "score_has_zero_mean"]) == 4


WRONG_LAST_LINE = r"""
title = "wrong"
source = "test"
status = "complete"

[notation]
state = 's'
action = 'a'

[[step]]
formula = '\int p_{\theta}(\tau) d\tau = 1'
by = "normalization"
from = "self"
"""

CIRCULAR = r"""
title = "circular"
source = "test"
status = "complete"

[notation]
state = 's'
action = 'a'

[[step]]
formula = 'E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau)\right] = 0'
by = "score_has_zero_mean"
from = "self"
"""

LATER = r"""
title = "cites a rule derived later"
source = "test"
status = "complete"

[notation]
state = 's'
action = 'a'
constants = ["b"]

[[step]]
formula = 'E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau) b\right] = 0'
by = "baseline"
from = "self"
"""

REFUSED_STEP = r"""
title = "refused"
source = "test"
status = "complete"

[notation]
state = 's'
action = 'a'

[[step]]
formula = '\int p_{\theta}(\tau) d\tau = 1'
by = "normalization"
from = "self"

[[step]]
formula = 'E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau)\right] = 0'
by = "log_derivative_trick"
from = "self"
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (WRONG_LAST_LINE, "its last line does not state the rule's form"),
        (CIRCULAR, "step 1 cites score_has_zero_mean in the form it derives, trajectory"),
        (LATER, "step 1 cites baseline in its trajectory form, not derived before it"),
        (REFUSED_STEP, "step 2 is rejected, not accepted"),
    ],
)
def test_a_wrong_derivation_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "d.pgproof.toml"
    path.write_text(text, encoding="utf-8")
    checked = check_form(FORMS[0], path)
    assert not checked.accepted and problem in checked.problems


def test_not_derived_rules_are_primitive_and_say_why() -> None:
    for name, why in NOT_DERIVED.items():
        assert name in REGISTRY and not REGISTRY[name].derived and why
    assert "iterated_expectation" in (derived.__doc__ or "")
    assert "markov_property" in (derived.__doc__ or "")


def _write(tmp_path: Path, body: str, declare: str = 'constants = ["b"]') -> str:
    path = tmp_path / "step.pgproof.toml"
    path.write_text(
        'title = "t"\nsource = "test"\nstatus = "complete"\n\n[notation]\n'
        f"state = 's'\naction = 'a'\n{declare}\n\n[[step]]\n"
        f"formula = '''{body}'''\nby = \"baseline\"\nfrom = \"self\"\n",
        encoding="utf-8",
    )
    return str(path)


GOOD = r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau) b\right] = 0"
#: the baseline r(τ) depends on the trajectory: E[∇ log p_θ(τ) r(τ)] = ∇J(θ), not 0
WRONG = (
    r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau) r(\tau)\right] = 0"
)


def test_strict_establishes_a_correct_step_on_the_derivations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--strict", _write(tmp_path, GOOD)]) == 0
    out = capsys.readouterr().out
    assert "strict: step 1 cites the derived rule baseline: established" in out
    assert "baseline.trajectory ✓ (3 steps, every step ✓)" in out
    assert "expanded into 9 primitive steps at the step" in out


def test_strict_refuses_a_wrong_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--strict", "--json", _write(tmp_path, WRONG)]) == 1
    data = json.loads(capsys.readouterr().out)["derivations"][0]
    assert data["steps"][0]["status"] == "rejected"
    note = data["strict"][0]
    assert note["rule"] == "baseline" and not note["accepted"]
    assert not note["established_by_derivations"]


def test_strict_refuses_a_step_whose_rule_has_a_refused_derivation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule accepts the step; under --strict it is not established when the rule's
    derivation is refused (here: replaced by one whose last line is not the rule's form)."""
    broken = tmp_path / "broken.pgproof.toml"
    broken.write_text(WRONG_LAST_LINE, encoding="utf-8")
    real = derived.derivation_path
    monkeypatch.setattr(
        derived,
        "derivation_path",
        lambda name: broken if name == "baseline.trajectory" else real(name),
    )
    check_rule.cache_clear()
    try:
        path = _write(tmp_path, GOOD)
        assert main(["check", path]) == 0  # without --strict: the rule alone
        capsys.readouterr()
        assert main(["check", "--strict", path]) == 1
        captured = capsys.readouterr()
        assert "NOT established" in captured.out and "baseline.trajectory ✗" in captured.out
        assert "whose derivation is refused" in captured.err
    finally:
        check_rule.cache_clear()


def test_strict_says_when_a_step_uses_a_form_that_is_not_derived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A baseline of the previous state, b(s_{t−1}): the rule accepts it (it is fixed
    before a_t), but no derivation covers a baseline of earlier steps: under --strict the
    step cannot be expanded, so it is not established."""
    body = (
        r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t}) "
        r"b(s_{t-1})\right] = 0"
    )
    path = _write(tmp_path, body, declare='state_functions = ["b"]')
    assert main(["check", path]) == 0
    capsys.readouterr()
    assert main(["check", "--strict", path]) == 1
    out = capsys.readouterr().out
    assert "✓ step 1" in out
    assert (
        "step 1 cites the derived rule baseline: NOT established: it cannot be expanded into "
        "primitive steps at the step (its per_step_history form is not derived)" in out
    )
    assert main(["check", "--strict", "--json", path]) == 1
    note = json.loads(capsys.readouterr().out)["derivations"][0]["strict"][0]
    assert note["accepted"] and not note["established_by_derivations"]
    assert note["underived_forms"] == ["per_step_history"]


def test_strict_names_the_derived_form_a_step_uses(capsys: pytest.CaptureFixture[str]) -> None:
    """004 cites baseline for E[Σ_t ∇ log π_θ(a_t|s_t) V(s_t)] = 0: the per-step sum."""
    example = Path(derived.__file__).parent.parent / "examples" / "004_baselines.pgproof.toml"
    assert main(["check", "--strict", str(example)]) == 0
    out = capsys.readouterr().out
    assert "step 4 cites the derived rule baseline: established" in out
    assert "in the form baseline.per_step_sum" in out


def test_strict_reports_an_underived_family_rule(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(derived.__file__).parent.parent / "examples" / "005_reward_to_go.pgproof.toml"
    assert main(["check", "--strict", str(example)]) == 0
    assert "step 1 rests on causality, a primitive rule, not derived" in capsys.readouterr().out


def test_strict_is_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "--strict" in out and "derived rule" in out


def _write_action_step(tmp_path: Path, body: str) -> str:
    path = tmp_path / "action.pgproof.toml"
    path.write_text(
        'title = "t"\nsource = "test"\nstatus = "complete"\n\n[notation]\nscope = "state"\n'
        'state = "s"\naction = "a"\nstate_action_functions = ["f"]\n\n[[step]]\n'
        f"formula = '''{body}'''\nby = \"baseline\"\nfrom = \"self\"\n",
        encoding="utf-8",
    )
    return str(path)


#: the bound action is named a, like the free action of the notation, and f(s, a) is a
#: function of the bound one: E_a[∇ log π_θ(a|s) f(s, a)] is not 0
CAPTURED = (
    r"E_{a \sim \pi_{\theta}(\cdot \mid s)}\left[\nabla_{\theta} \log \pi_{\theta}(a \mid s) "
    r"f(s, a)\right] = 0"
)
#: the bound action is a'; f(s, a) is of the free action a, a baseline for E over a'
FREE = (
    r"E_{a' \sim \pi_{\theta}(\cdot \mid s)}\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s) "
    r"f(s, a)\right] = 0"
)


def test_strict_with_a_bound_action_named_like_the_free_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--strict", _write_action_step(tmp_path, CAPTURED)]) == 1
    out = capsys.readouterr().out
    assert "✗ step 1" in out and "depends on the action a the score is about" in out
    assert "step 1 cites the derived rule baseline: refused by the rule at the step" in out
    assert main(["check", "--strict", _write_action_step(tmp_path, FREE)]) == 0
    out = capsys.readouterr().out
    assert "✓ step 1" in out
    assert "step 1 cites the derived rule baseline: established" in out


def test_rules_lists_the_derivations_of_a_derived_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    block = out.split("\nbaseline\n")[1].split("\ncausality\n")[0]
    assert "derived from the primitive rules: baseline.trajectory" in block
    assert "derived from" not in out.split("\ncausality\n")[1].split("\nchain_rule\n")[0]
