"""A step is compared wherever both sides are defined; the undefined part is reported.

a_{t+1} has no value at t = T (it lies past the trajectory): the sides are compared at the
other t, and only a step with nothing comparable anywhere is "not evaluated".
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sympy import Sum

from pgproof.bridge.compare import compare_on
from pgproof.bridge.instance import enumerate_instance
from pgproof.bridge.report import CONFIRMED, NOT_EVALUATED, REFUTED, TRUE_NOT_PROVED
from pgproof.bridge.steps import verify_step_numerically
from pgproof.bridge.values import NotEvaluable
from pgproof.files import load_derivation
from pgproof.kernel.objects import Equation, Ratio
from pgproof.numeric.mdp import random_mdp
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.notation import Notation

N = Notation()
t = N.t
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inst():
    rng = np.random.default_rng(11)
    return enumerate_instance(random_mdp(2, 2, 3, rng), rng.standard_normal((2, 2)), 1)


def one(expr):
    """expr · π(a_{t+1}|s_{t+1}) / π(a_{t+1}|s_{t+1}): equal to expr, undefined at t = T."""
    return expr * Ratio(N.pi(t + 1), N.pi(t + 1))


def test_a_correct_claim_is_compared_where_defined(inst) -> None:
    outcome = compare_on(N.r(t), one(N.r(t)), inst, N)
    assert outcome.agree and outcome.evaluated
    assert "the right side at t=3" in outcome.partial
    assert "outside the trajectory" in outcome.partial
    assert "t=1" not in outcome.partial and "t=2" not in outcome.partial


def test_a_wrong_claim_is_refused_where_defined(inst) -> None:
    wrong = N.r(t) * Ratio(N.pi(t + 1), N.pi(t))
    outcome = compare_on(N.r(t), wrong, inst, N)
    assert not outcome.agree and outcome.assignment.get("t") in (1, 2)
    # wrong at t = 2 only, where a_{t+1} is still defined: found
    only_at_2 = one(N.r(t) + (t - 1) * (t - 3))
    outcome = compare_on(N.r(t), only_at_2, inst, N)
    assert not outcome.agree and outcome.assignment == {"t": 2}


def test_bound_names_that_clash_with_the_free_one(inst) -> None:
    """Σ_{t=1}^{T} r_t binds its own t; the free t of the factor is another one."""
    total = Sum(N.r(t), (t, 1, N.T))
    assert compare_on(total, one(total), inst, N).agree
    captured = one(N.T * N.r(t))  # the free t read as if the sum's t: wrong
    assert not compare_on(total, captured, inst, N).agree


def test_nothing_comparable_is_not_evaluated(inst) -> None:
    with pytest.raises(NotEvaluable, match="outside the trajectory"):
        compare_on(N.r(N.T + 1), N.r(N.T + 1), inst, N)
    with pytest.raises(NotEvaluable, match="outside the trajectory"):
        compare_on(N.r(t), N.r(t + 3), inst, N)  # a_{t+3}: past T for every t of 1..3


@pytest.fixture(scope="module")
def step():
    path = ROOT / "pgproof" / "examples" / "000_deriving_policy_gradient.pgproof.toml"
    report = check_derivation(load_derivation(path))
    return report.steps[6], report.derivation.notation


def _claim(step, left, right):
    """The step rewritten to compare ``left`` with ``right`` (its left side kept)."""
    good, _ = step
    keep = good.claim.lhs
    return dataclasses.replace(good, source=Equation(keep, left), claim=Equation(keep, right))


def test_a_step_is_confirmed_where_defined_and_says_where_not(step) -> None:
    good, n = step
    tn = n.t
    right = n.r(tn) * Ratio(n.pi(tn + 1), n.pi(tn + 1))
    # the first three trials of this stream have one step only (t = T = 1): nothing there
    result = verify_step_numerically(_claim(step, n.r(tn), right), n, trials=5)
    assert result.verdict == (CONFIRMED if good.accepted else TRUE_NOT_PROVED)
    assert result.trials == 2
    assert "trial 1, seed 0" in result.partial and "trial 5, seed 0: " in result.partial
    assert "the right side at t=" in result.partial and "outside the trajectory" in result.partial
    assert "not evaluated:" in "\n".join(result.text_lines())
    assert result.to_json()["not_evaluated_at"] == result.partial


def test_a_wrong_step_defined_in_part_gets_a_witness(step) -> None:
    _, n = step
    tn = n.t
    wrong = n.r(tn) * Ratio(n.pi(tn + 1), n.pi(tn))
    result = verify_step_numerically(_claim(step, n.r(tn), wrong), n, trials=5)
    assert result.verdict in (REFUTED, "CHECKER BUG") and result.witness is not None


def test_a_step_undefined_everywhere_is_not_evaluated(step) -> None:
    _, n = step
    beyond = n.r(n.T + 1)
    result = verify_step_numerically(_claim(step, beyond, beyond * 2), n, trials=2)
    assert result.verdict == NOT_EVALUATED and "outside the trajectory" in result.reason
