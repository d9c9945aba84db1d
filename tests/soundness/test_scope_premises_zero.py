"""Three soundness mechanisms (issue 20), each with wrong claims that were accepted, now
refused, beside their correct twins:

* Scope: renaming a bound index (the footprint of baseline, causality, markov_property)
  rewrote the recorded ranges of *sibling* sums.  In (Σ_{t'=1}^{t+1} b(s_{t'})) ·
  (Σ_{t=1}^{1} b(s_t)) the free t of the first sum's limit was read as the second sum's
  bound t ∈ [1, 1], so s_{t'} looked to end at step 2: factors that see a later state, the
  current action or the past were accepted.  The inner index is named t while t is free.
* Premises: the ``using`` step inference chose for an uncited step was no premise of it, so
  a substitution of a refused step was a plain ✓.
* E[0] = 0: not provable when cited, and when inferred turned into E[0] ≈ 0 (a Monte Carlo
  "estimate").  An ``=`` claim about no samples stays ``=``, or is refused with the reason.

Every wrong claim is shown wrong on random MDPs (exact evaluation by enumeration,
:mod:`pgproof.bridge`), and every twin right, so that the tests pin the mathematics, not the
checker's current words.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from sympy import Sum, Symbol

import pgproof
from pgproof.bridge.compare import compare_on
from pgproof.bridge.state_problem import draw_problem
from pgproof.symbolic import checker
from pgproof.symbolic.inference import search
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.render import render
from pgproof.symbolic.rules.score import _fresh, footprint
from pgproof.symbolic.step_check import compared_sides

from .conftest import failures, first_verdict, numeric, only_step, write_steps

NOTATION = r"""
[notation]
state = "s"
action = "a"
constants = ['\beta']
state_functions = ["b"]
state_action_functions = ["c"]
"""
#: steps counted from 0: s_0 is the first state
NOTATION_FROM_0 = NOTATION.replace('action = "a"', 'action = "a"\nfirst_index = 0')

E = r"E_{\tau \sim p_\theta(\tau)}"


def ex(body: str) -> str:
    return E + r"\left[" + body + r"\right]"


def score(time: str) -> str:
    """∇_θ log π_θ(a_time | s_time)."""
    return r"\nabla_\theta \log \pi_\theta(a_{" + time + "}|s_{" + time + "})"


def check(
    tmp_path: Path, formula: str, by: str | tuple[str, ...], notation: str = NOTATION
) -> pgproof.StepReport:
    return only_step(write_steps(tmp_path, [(formula, by)], notation, "scope"))


def assert_refused(step: pgproof.StepReport, rule: str, condition: str) -> None:
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    assert (rule, condition) in failures(step), step.reasons


def assert_accepted(step: pgproof.StepReport) -> None:
    assert step.status == "accepted", step.reasons


def agreements(
    tmp_path: Path, formula: str, by: str, notation: str = NOTATION, horizon: int = 3
) -> list[bool]:
    """Whether the step's two sides agree, on each of 4 random MDPs with at least
    ``horizon`` steps (seeded; every value of a free t compared, exact enumeration)."""
    report = pgproof.check(write_steps(tmp_path, [(formula, by)], notation, "numeric"))
    step = report.steps[0]
    left, right, _ = compared_sides(step.source, step.claim)
    n = report.derivation.notation
    rng = np.random.default_rng(20)
    out: list[bool] = []
    for _ in range(200):
        inst = draw_problem(rng, n, 3000, "regression", True)
        if inst.steps < horizon:
            continue
        outcome = compare_on(left, right, inst, n)
        assert outcome.evaluated and not outcome.undefined, outcome.undefined
        out.append(outcome.agree)
        if len(out) == 4:
            return out
    raise AssertionError("too few MDPs with enough steps were drawn")


# ===================================================================== scope

#: the inner sum rebinds t, which the other sum's limit uses free
SIBLING = r"\sum_{t=1}^{1} b(s_t)"

SCOPE = [
    # (id, wrong claim, its correct twin, rule, the condition the wrong one fails)
    (
        "baseline: a state after the score's action, beside a sum rebinding t",
        ex(score("2") + r" \left(1 + \sum_{t'=1}^{t+1} b(s_{t'})\right) " + SIBLING) + " = 0",
        ex(score("2") + r" \left(1 + \sum_{t'=1}^{2} b(s_{t'})\right) " + SIBLING) + " = 0",
        "baseline",
        "depends_on_later_steps",
    ),
    (
        "baseline: the score's own action, beside a sum rebinding t",
        ex(score("2") + r" \left(1 + \sum_{t'=1}^{t} c(s_{t'}, a_{t'})\right) " + SIBLING) + " = 0",
        ex(score("2") + r" \left(1 + \sum_{t'=1}^{1} c(s_{t'}, a_{t'})\right) " + SIBLING) + " = 0",
        "baseline",
        "depends_on_action",
    ),
]


@pytest.mark.parametrize(
    ("wrong", "twin", "rule", "condition"), [c[1:] for c in SCOPE], ids=[c[0] for c in SCOPE]
)
def test_a_sibling_sum_does_not_move_a_range(
    tmp_path: Path, wrong: str, twin: str, rule: str, condition: str
) -> None:
    assert_refused(check(tmp_path, wrong, rule), rule, condition)
    assert_accepted(check(tmp_path, twin, rule))
    assert not all(agreements(tmp_path, wrong, rule))  # the wrong claim is false
    assert all(agreements(tmp_path, twin, rule))  # the twin is true


#: X depends on r(s_t', a_t') for t' from the free t on, and on every b(s_t)
MARKOV_X = r"\left(1 + \sum_{t'=t}^{T} r(s_{t'}, a_{t'})\right) \sum_{t=1}^{T} b(s_t)"
#: the rewards of steps 1..t instead: steps ≥ 1 whatever t (the free t in the limit still)
MARKOV_TWIN = r"\left(1 + \sum_{t'=1}^{t} r(s_{t'}, a_{t'})\right) \sum_{t=1}^{T} b(s_t)"


def forget(x: str) -> str:
    """E[x | s_0, s_1] = E[x | s_1]."""
    return r"E\left[" + x + r" \mid s_0, s_1\right] = E\left[" + x + r" \mid s_1\right]"


def test_markov_property_does_not_forget_a_past_step_a_sibling_sum_hid(tmp_path: Path) -> None:
    # with the bug, Σ_{t=1}^{T} renamed t in Σ_{t'=t}^{T} too: t' looked ≥ 1, but the free
    # t may be 0, and r(s_0, a_0) is not forgotten given s_1
    wrong, twin = forget(MARKOV_X), forget(MARKOV_TWIN)
    step = check(tmp_path, wrong, "markov_property", NOTATION_FROM_0)
    assert_refused(step, "markov_property", "depends_on_earlier_steps")
    assert_accepted(check(tmp_path, twin, "markov_property", NOTATION_FROM_0))
    assert not all(agreements(tmp_path, wrong, "markov_property", NOTATION_FROM_0, 1))
    assert all(agreements(tmp_path, twin, "markov_property", NOTATION_FROM_0, 1))


N = Notation(state="s", action="a")
t, T, tau = N.t, N.T, N.tau
t1 = Symbol("t'", integer=True)


def _range_of(expr, name: str) -> tuple:
    """The recorded range of the bound index named ``name`` in ``footprint(expr)``."""
    (found,) = [r for d, r in footprint(expr, tau).ranges.items() if d.name == name]
    return found


def test_a_renaming_changes_only_the_ranges_it_scopes_over() -> None:
    rewards = Sum(N.r(t1), (t1, 1, t + 1))  # t free in its limit
    sibling = Sum(N.r(t), (t, 1, 1))  # rebinds t
    for expr in (rewards**2 * sibling, (1 + rewards) * sibling, sibling * rewards):
        assert _range_of(expr, "t'") == (1, t + 1), expr
    # nested: the inner limit names the outer index, which is renamed with it
    nested = footprint(Sum(Sum(N.r(t1), (t1, t, T)), (t, 1, T)), tau).ranges
    (outer,) = [d for d in nested if d.name == "t"]
    (inner,) = [d for d in nested if d.name == "t'"]
    assert nested[outer] == (1, T) and nested[inner] == (outer, T)
    # one Sum, two limits (innermost first): the outer t' ∈ [t, T] has the free t
    two_limits = Sum(N.r(t1) * N.r(t), (t, 1, 1), (t1, t, T))
    assert _range_of(two_limits, "t'") == (t, T)


def test_a_fresh_index_avoids_names_bound_anywhere_in_the_node() -> None:
    node = Sum(N.r(t1), (t1, 1, T)) * N.r(t)  # t' is bound here, t free
    fresh = _fresh(t, node)
    assert fresh.name not in {"t", "t'"}
    assert fresh.name == "t''" and fresh.is_integer


# ===================================================================== premises

WRONG_PREMISE = r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta p_\theta(\tau) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)'
by = "log_derivative_trick"
from = "self"

[[step]]
formula = '\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau'
by = ["definition", "expectation_to_integral", "grad_under_integral"]
from = "self"

[[step]]
# no by, no using: inference finds "substitute using step 1"
formula = '= \int -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) r(\tau) d\tau'

[[step]]
formula = '= \int -r(\tau) p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) d\tau'
"""

#: the same with step 1 right (and the sign carried through)
RIGHT_PREMISE = WRONG_PREMISE.replace("= -p_", "= p_").replace(r"\int -", r"\int ")


def test_an_inferred_substitution_rests_on_the_step_it_uses(check_text) -> None:
    report = check_text(WRONG_PREMISE)
    assert [s.verdict for s in report.steps] == [
        "rejected",
        "accepted",
        "conditional",
        "conditional",
    ]
    step3 = report.steps[2]
    assert step3.inferred == ("substitute",) and step3.inferred_using == 1
    assert step3.rests_on == [1] and report.steps[3].rests_on == [1]
    assert step3.mark == "(✓)" and "rests on refused step 1" in step3.text()
    data = report.to_json()["steps"]
    assert [s["status"] for s in data] == ["rejected", "accepted", "conditional", "conditional"]
    assert data[2]["rests_on"] == [1] and data[2]["inferred_using"] == 1
    assert "Rests on refused step (1)" in render(report)


def test_the_premise_of_an_inferred_substitution_is_numerically_its_own_failure(
    check_text,
) -> None:
    # step 3 is false on random MDPs (it carries step 1's sign), and that is not a checker
    # bug: it rests on the refused step 1
    result = numeric(check_text(WRONG_PREMISE), trials=3)
    assert result.checker_bugs == []
    assert (
        result.steps[2].verdict == "refuted" and "rests on refused step 1" in result.steps[2].reason
    )


def test_an_inferred_substitution_of_a_right_step_is_plainly_accepted(check_text) -> None:
    report = check_text(RIGHT_PREMISE)
    assert [s.verdict for s in report.steps] == ["accepted"] * 4
    assert all(s.rests_on == [] and s.mark == "✓" for s in report.steps)
    assert [s.verdict for s in numeric(report, trials=3).steps] == ["confirmed"] * 4


#: step 1 wrong by a clash: the inner Σ_{t=1}^{T} rebinds the score's free t, so the
#: "baseline" depends on every state; step 2 substitutes it, uncited
CLASHING_PREMISE = r"""
[notation]
state = "s"
action = "a"
state_functions = ["b"]

[[step]]
formula = 'E_{\tau \sim p_\theta(\tau)}\left[\nabla_\theta \log \pi_\theta(a_t|s_t) \sum_{t=1}^{T} b(s_t)\right] = 0'
by = "baseline"
from = "self"

[[step]]
formula = 'J(\theta) + E_{\tau \sim p_\theta(\tau)}\left[\nabla_\theta \log \pi_\theta(a_t|s_t) \sum_{t=1}^{T} b(s_t)\right] = J(\theta) + 0'
from = "self"
"""


def test_a_substitution_of_a_step_refused_for_a_clash_rests_on_it(check_text) -> None:
    report = check_text(CLASHING_PREMISE)
    first, second = report.steps
    assert first.verdict == "rejected"
    assert ("baseline", "depends_on_later_steps") in failures(first), first.reasons
    assert second.verdict == "conditional" and second.rests_on == [1], second.text()
    assert second.inferred_using == 1
    result = numeric(report, trials=3)
    assert result.steps[0].verdict == "refuted" and result.checker_bugs == []


# ===================================================================== E[0] = 0

ZERO = [
    # (id, claim, rules)
    ("E[0] = 0", E + "[0] = 0", "linearity_of_expectation"),
    ("E[0] = 0, alias", E + "[0] = 0", "expectation_linearity"),
    ("E[0] = 0 under the policy", r"E_{\tau \sim \pi_\theta}[0] = 0", "linearity_of_expectation"),
    ("E[0 | s_t] = 0", r"E\left[0 \mid s_t\right] = 0", "linearity_of_expectation"),
    ("inside a sum", r"J(\theta) + " + E + r"[0] = J(\theta)", "linearity_of_expectation"),
    ("E[β] = β", E + r"[\beta] = \beta", ("linearity_of_expectation", "normalization")),
    (
        # the constant has a bound t' and the free t in its limit
        "E[Σ_{t'=1}^{t} β] = Σ_{t'=1}^{t} β",
        ex(r"\sum_{t'=1}^{t} \beta") + r" = \sum_{t'=1}^{t} \beta",
        ("linearity_of_expectation", "normalization"),
    ),
]


@pytest.mark.parametrize(("formula", "by"), [c[1:] for c in ZERO], ids=[c[0] for c in ZERO])
def test_the_expectation_of_a_constant_is_proved_when_cited(tmp_path: Path, formula, by) -> None:
    rules = by if isinstance(by, str) else list(by)
    path = write_steps(tmp_path, [(formula, rules)], NOTATION, "zero")
    step = pgproof.check(path).steps[0]
    assert step.status == "accepted", step.reasons
    assert step.relation == "="  # an equality, not an estimate


ZERO_WRONG = [
    # (id, wrong claim, rules, condition)
    ("E[0] = 1", E + "[0] = 1", "linearity_of_expectation", "claim_differs"),
    ("E[1] = 0", E + "[1] = 0", "linearity_of_expectation", "does_not_apply"),
    (
        "E[β] = 0",
        E + r"[\beta] = 0",
        ("linearity_of_expectation", "normalization"),
        "claim_differs",
    ),
    (
        "E[b(s_t)] = b(s_t)",
        E + "[b(s_t)] = b(s_t)",
        ("linearity_of_expectation", "normalization"),
        "does_not_apply",
    ),
    (
        # the summand's t is bound; the free t of the claim's right side is not it
        "E[Σ_{t=1}^{T} b(s_t)] = Σ_{t=1}^{T} b(s_t)",
        ex(r"\sum_{t=1}^{T} b(s_t)") + r" = \sum_{t=1}^{T} b(s_t)",
        ("linearity_of_expectation", "normalization"),
        "does_not_apply",
    ),
]


@pytest.mark.parametrize(
    ("formula", "by", "condition"), [c[1:] for c in ZERO_WRONG], ids=[c[0] for c in ZERO_WRONG]
)
def test_wrong_expectations_of_constants_are_refused(
    tmp_path: Path, formula, by, condition: str
) -> None:
    rules = by if isinstance(by, str) else list(by)
    step = only_step(write_steps(tmp_path, [(formula, rules)], NOTATION, "zero"))
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    assert condition in {c for _, c in failures(step)}, step.reasons
    assert not all(agreements(tmp_path, formula, rules, horizon=1))  # and really wrong


def test_the_cited_twins_are_numerically_true(tmp_path: Path) -> None:
    for formula in (
        E + "[0] = 0",
        E + r"[\beta] = \beta",
        ex(r"\sum_{t'=1}^{t} \beta") + r" = \sum_{t'=1}^{t} \beta",
    ):
        assert all(
            agreements(tmp_path, formula, ["linearity_of_expectation", "normalization"], horizon=1)
        )


#: one state s, actions a' ∼ π_θ(·|s)
OVER_ACTIONS = r"""
[notation]
scope = "state"
state = "s"
action = "a"
policy_class = "linear_softmax"
state_functions = ["b"]
"""
A = r"E_{a' \sim \pi_\theta(\cdot \mid s)}"


def test_expectations_over_actions_of_constants(tmp_path: Path) -> None:
    zero = check(tmp_path, A + "[0] = 0", "linearity_of_expectation", OVER_ACTIONS)
    assert_accepted(zero)
    rules = ("linearity_of_expectation", "normalization")
    assert_accepted(check(tmp_path, A + r"\left[b(s)\right] = b(s)", rules, OVER_ACTIONS))
    wrong = A + r"\left[b(s)\right] = 0"
    step = check(tmp_path, wrong, rules, OVER_ACTIONS)
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    path = write_steps(tmp_path, [(wrong, rules)], OVER_ACTIONS, "zero")
    assert first_verdict(path) == "refuted"


@pytest.mark.parametrize(
    "formula",
    [E + "[0] = 0", E + r"[\beta] = \beta", r"J(\theta) + " + E + r"[0] = J(\theta)"],
    ids=["E[0] = 0", "E[β] = β", "J + E[0] = J"],
)
def test_an_inferred_equality_stays_an_equality(tmp_path: Path, formula: str) -> None:
    step = check(tmp_path, formula, ())
    assert step.status == "accepted", step.reasons
    assert step.inferred is not None and "monte_carlo_estimate" not in step.inferred
    assert step.relation == "=" and not step.estimate
    assert "estimate" not in step.text()
    path = write_steps(tmp_path, [(formula, ())], NOTATION, "zero")
    assert pgproof.check(path).to_json()["steps"][0]["relation"] == "="


def test_an_equality_only_an_estimate_reaches_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # without linearity_of_expectation and sum_of_zeros (E[0] = ∫ p·0 dτ = ∫ 0 dτ = 0), only
    # E[0] ≈ (1/m) Σ_i 0 = 0 reaches E[0] = 0: the claim says =, and it is refused, never
    # turned into E[0] ≈ 0
    narrowed = functools.partial(search, skip=("linearity_of_expectation", "sum_of_zeros"))
    monkeypatch.setattr(checker, "search", narrowed)
    step = check(tmp_path, E + "[0] = 0", ())
    assert step.status == "rejected" and step.relation == "="
    assert ("inference", "estimate_not_equality") in failures(step), step.reasons
    assert "monte_carlo_estimate" in step.reason and "≈" in step.reason


def test_a_claim_about_samples_is_still_read_as_the_estimate(tmp_path: Path) -> None:
    # E[r(τ)] = (1/m) Σ_i r(τ^(i)) can only mean the estimate: inferred as ≈, said so
    formula = E + r"[r(\tau)] = \frac{1}{m} \sum_{i=1}^{m} r(\tau^{(i)})"
    step = check(tmp_path, formula, ())
    assert step.status == "accepted" and step.inferred == ("monte_carlo_estimate",)
    assert step.relation == "≈" and "the right side estimates the left" in step.text()
