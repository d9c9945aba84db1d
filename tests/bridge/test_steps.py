"""Numeric verdicts of steps: seeds confirmed, false claims refuted, checker bugs loud."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sympy import Integer

from pgproof.bridge.steps import (
    CHECKER_BUG,
    CONFIRMED,
    NOT_EVALUATED,
    REFUTED,
    TRUE_NOT_PROVED,
    compared_sides,
    verify_step_numerically,
    verify_steps_numerically,
)
from pgproof.bridge.witness import write_witness
from pgproof.kernel.objects import Equation
from pgproof.numeric.io import load_mdp_json
from pgproof.symbolic.text import show

#: wrong-step files whose refused step is numerically false (a witness must be found)
NUMERICALLY_FALSE = [
    "001_literal_missing_gradient",
    "dropped_policy_term",
    "dropped_policy_term_silently",
    "integral_without_density",
    "log_derivative_of_reward",
    "missing_initial_factor",
    "sign_error",
    "wrong_factor_log_derivative",
    "score_times_return_has_zero_mean",
    "baseline_depends_on_action",
    "reward_to_go_without_current_reward",
    "discount_off_by_one",
    "infinite_horizon_discount_exponent",
    "softmax_score_without_expectation",
    "gaussian_score_over_sigma",
    "visitation_without_policy_weight",
    "value_instead_of_q",
    "markov_forgets_the_current_reward",
]
#: ... and those that mention a state outside the trajectory (s_0 with T counted from 1)
OUTSIDE_THE_TRAJECTORY = ["001_literal_initial_state", "wrong_index_range"]


BEYOND_THE_SEEDS = [
    "003_expected_grad_log_prob",
    "004_baselines",
    "005_reward_to_go",
    "006_discounted_policy_gradient",
    "007_infinite_horizon_discounted",
    "008_softmax_score",
    "009_gaussian_score",
    "010_q_and_advantage",
    "011_bellman_markov",
    "012_state_visitation",
]


@pytest.mark.parametrize("name", BEYOND_THE_SEEDS)
def test_every_step_beyond_the_seeds_is_confirmed(checked, name) -> None:
    """The score, baseline, causality and discount steps hold on random MDPs (b, b(s), γ
    drawn per trial; horizon ∞ with its series' tails bounded); the score functions of 008
    and 009 on random problems about one state (features φ [S, A, d] and θ ∈ R^d drawn per
    trial; the Gaussian bandit of numeric.gaussian)."""
    report = verify_steps_numerically(checked[name], trials=3, seed=0)
    assert checked[name].first_rejection is None
    assert {s.verdict for s in report.steps} == {CONFIRMED}
    assert not report.checker_bugs


def test_a_declared_baseline_is_a_random_table_per_trial() -> None:
    """b(s) takes the values of a table drawn per trial; a baseline b(s_t, a_t) is refuted."""
    from pgproof.bridge.evaluate import Evaluator
    from pgproof.bridge.instance import draw_instance
    from pgproof.latex.parser import parse_expression
    from pgproof.symbolic.notation import Notation

    notation = Notation(state="s", action="a", state_functions=("b",))
    rng = np.random.default_rng(3)
    inst = draw_instance(rng, 1, 500, "t", True, (), notation.fixed_functions())
    table = inst.functions["b"]
    assert table.shape == (inst.mdp.n_states,)
    value = Evaluator(inst, notation).evaluate(parse_expression("b(s_1)", notation))
    assert np.allclose(value.data, table[inst.states[:, 0]])


@pytest.mark.parametrize("name", ["000_deriving_policy_gradient", "002_policy_gradient_theorem_hf"])
def test_every_accepted_step_of_the_seeds_is_confirmed(checked, name) -> None:
    report = verify_steps_numerically(checked[name], trials=3, seed=0)
    verdicts = {s.index: s.verdict for s in report.steps}
    assert verdicts == {s.index: CONFIRMED for s in checked[name].steps}
    assert not report.checker_bugs
    sides = [c for s in report.steps for c in s.side_conditions]
    assert sides and all(c.verdict == "θ-free" for c in sides)


def test_seed_002_sample_estimate_is_compared_in_expectation(checked) -> None:
    step7 = verify_steps_numerically(checked["002_policy_gradient_theorem_hf"], trials=2).steps[6]
    assert step7.estimate and step7.verdict == CONFIRMED


def test_seed_001_false_side_condition_has_a_witness(checked) -> None:
    report = verify_steps_numerically(checked["001_policy_gradient_unfinished"], trials=3, seed=0)
    step = report.steps[11]
    assert step.index == 12 and step.verdict == TRUE_NOT_PROVED
    corr, policy = step.side_conditions
    assert corr.verdict == "θ-free"
    assert policy.verdict == "depends on θ" and "π_θ(a_t|s_t)" in show(policy.term)
    w = policy.witness
    assert w is not None and w.coordinate is not None
    assert abs(w.outcome.left) > 1e-3 and w.outcome.right == 0.0
    assert "t" in w.outcome.assignment
    data = step.witness_json()
    assert data["kind"] == "side condition" and data["mdp"]["theta"]
    assert "≠ 0" in report.text()


@pytest.mark.parametrize("name", NUMERICALLY_FALSE)
def test_wrong_steps_are_refuted_with_a_witness(checked, name) -> None:
    report = checked[name]
    index = report.derivation.expected.step
    result = verify_steps_numerically(report, trials=5, seed=0).steps[index - 1]
    assert result.verdict == REFUTED
    w = result.witness
    assert w is not None
    assert w.outcome.undefined or abs(w.outcome.left - w.outcome.right) > w.outcome.tolerance


@pytest.mark.parametrize("name", OUTSIDE_THE_TRAJECTORY)
def test_states_outside_the_trajectory_are_reported_not_evaluated(checked, name) -> None:
    report = checked[name]
    index = report.derivation.expected.step
    result = verify_steps_numerically(report, trials=2).steps[index - 1]
    assert result.verdict == NOT_EVALUATED and "outside the trajectory" in result.reason


def test_an_accepted_but_false_step_is_reported_loudly(checked) -> None:
    good = checked["000_deriving_policy_gradient"].steps[6]  # ∇J = ∫ p ∇log p r dτ
    assert good.accepted
    wrong = dataclasses.replace(good, claim=Equation(good.claim.lhs, -good.claim.rhs))
    notation = checked["000_deriving_policy_gradient"].derivation.notation
    result = verify_step_numerically(wrong, notation, trials=3)
    assert result.verdict == CHECKER_BUG and result.loud and result.witness is not None


def test_an_accepted_false_side_condition_is_loud(checked) -> None:
    report = checked["000_deriving_policy_gradient"]
    step13 = report.steps[12]
    pi_term = report.derivation.notation.pi()
    bad = dataclasses.replace(step13, step=dataclasses.replace(step13.step, terms=(pi_term,)))
    result = verify_step_numerically(bad, report.derivation.notation, trials=3)
    assert result.verdict == CONFIRMED and result.loud


def test_compared_sidess() -> None:
    a, b, c, d = (Integer(k) for k in range(4))
    assert compared_sides(Equation(a, a), Equation(a, b)) == (a, b, False)
    assert compared_sides(Equation(a, b), Equation(a, c)) == (b, c, False)
    assert compared_sides(Equation(a, b), Equation(c, b)) == (a, c, False)
    assert compared_sides(Equation(a, b), Equation(c, d)) == (c, d, True)


def test_witness_file_replays(checked, tmp_path) -> None:
    report = checked["sign_error"]
    result = verify_steps_numerically(report, trials=2, witness_dir=tmp_path)
    w = result.steps[0].witness
    assert w is not None and w.file is not None
    mdp, theta = load_mdp_json(w.file)
    assert (theta == w.instance.theta).all() and mdp.horizon == w.instance.steps
    again = write_witness(w, tmp_path, "again")
    assert again.read_text() == (tmp_path / "sign_error.step1.json").read_text()
