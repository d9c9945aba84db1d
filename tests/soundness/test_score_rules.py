"""The score rules (normalization, score_has_zero_mean, baseline, causality) and declared
functions, refereed adversarially: each rule accepts its correct forms and refuses wrong
claims with the failed condition named.

Every case is a one-step derivation file written to ``tmp_path`` and checked through the
public API (``pgproof.check``); a few are also evaluated numerically on random MDPs
(``pgproof.verify_steps``) to show that a claim marked wrong here really is wrong, and that
a claim marked right really is right.

The cases of ``WRONG_BUT_ACCEPTED`` and ``RIGHT_BUT_REFUSED`` are checker bugs found while
writing these tests (a wrong claim accepted, a right one refused for a reason that is not
the mathematics), fixed since: they stay here so that none comes back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pgproof
from pgproof import DerivationFileError

from .conftest import failures, first_verdict, only_step, write_steps

NOTATION = r"""
[notation]
state = "s"
action = "a"
constants = ['\beta', '\gamma']
state_functions = ["b"]
state_action_functions = ["c"]
policy_state_functions = ["V"]
policy_state_action_functions = ["Q"]
"""

E = r"E_{\tau \sim p_\theta(\tau)}"
#: the score of step t, and of the whole trajectory
G = r"\nabla_\theta \log \pi_\theta(a_t|s_t)"
GP = r"\nabla_\theta \log p_\theta(\tau)"
R = "r(s_{t'}, a_{t'})"  # the reward of step t'


def ex(body: str) -> str:
    return E + r"\left[" + body + r"\right]"


def rewards(h: str, low: str, high: str = "T", index: str = "t'") -> str:
    return r"\left(\sum_{" + index + "=" + low + "}^{" + high + "} " + h + r"\right)"


def full(h: str = R, low: str = "1", high: str = "T", before: str = "") -> str:
    """E[before (Σ_t ∇log π(a_t|s_t)) (Σ_{t'=low}^{high} h)]: scores times all the terms."""
    scores = r"\left(\sum_{t=1}^{T} " + G + r"\right)"
    return ex(before + scores + rewards(h, low, high))


def inside(h: str = R, low: str = "1", high: str = "T", before: str = "") -> str:
    """E[before Σ_t ∇log π(a_t|s_t) (Σ_{t'=low}^{high} h)]: the terms inside the Σ_t."""
    return ex(before + r"\sum_{t=1}^{T} " + G + " " + rewards(h, low, high))


def to_go(h: str = R, low: str = "t", high: str = "T", before: str = "", index: str = "t'") -> str:
    """E[before Σ_t ∇log π(a_t|s_t) (Σ_{t'=t}^{high} h)]: the reward to go."""
    return ex(before + r"\sum_{t=1}^{T} " + G + " " + rewards(h, low, high, index))


def write(tmp_path: Path, formula: str, by: str | tuple[str, ...], notation: str) -> Path:
    return write_steps(tmp_path, [(formula, by)], notation, "score rules")


def check(
    tmp_path: Path, formula: str, by: str | tuple[str, ...], notation: str = NOTATION
) -> pgproof.StepReport:
    """The checker's report on the one step ``formula``, justified by ``by``."""
    return only_step(write(tmp_path, formula, by, notation))


def assert_accepted(step: pgproof.StepReport) -> None:
    assert step.status == "accepted", step.reasons
    assert step.failures == []


def assert_refused(step: pgproof.StepReport, rule: str | None, condition: str | None) -> None:
    """Refused; with ``rule`` and ``condition`` given, for that reason among others."""
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    if rule is not None:
        assert (rule, condition) in failures(step), step.reasons


def numeric_verdict(tmp_path: Path, formula: str, by: str) -> str:
    """The numeric verdict on the step (3 random MDPs, seeded)."""
    return first_verdict(write(tmp_path, formula, by, NOTATION))


INTERCHANGE = "∇_θ and Σ_a (or ∫ dτ) may be interchanged"


# ===================================================================== correct forms


ACCEPTED = [
    # normalization
    ("integral", r"\int p_\theta(\tau) d\tau = 1", "normalization"),
    ("sum over trajectories", r"\sum_\tau p_\theta(\tau) = 1", "normalization"),
    ("expectation of one", E + "[1] = 1", "normalization"),
    ("expectation of one under the policy", r"E_{\tau \sim \pi_\theta}[1] = 1", "normalization"),
    ("alias", r"\int p_\theta(\tau) d\tau = 1", "total_probability"),
    (
        "inside a gradient",
        r"\nabla_\theta \int p_\theta(\tau) d\tau = \nabla_\theta 1",
        "normalization",
    ),
    # score_has_zero_mean
    ("trajectory score", E + "[" + GP + "] = 0", "score_has_zero_mean"),
    ("step score", E + "[" + G + "] = 0", "score_has_zero_mean"),
    ("step score, alias", E + "[" + G + "] = 0", "expected_grad_log_prob"),
    ("sum of step scores", ex(r"\sum_{t=1}^{T} " + G) + " = 0", "score_has_zero_mean"),
    ("under the policy", r"E_{\tau \sim \pi_\theta}[" + G + "] = 0", "score_has_zero_mean"),
    # baseline
    ("b(s_t)", E + "[" + G + " b(s_t)] = 0", "baseline"),
    ("constant", E + "[" + G + r" \beta] = 0", "baseline"),
    ("summed b(s_t)", ex(r"\sum_{t=1}^{T} " + G + " b(s_t)") + " = 0", "baseline"),
    ("V^pi(s_t)", ex(r"\sum_{t=1}^{T} " + G + r" V^{\pi}(s_t)") + " = 0", "baseline"),
    ("V^{pi_theta}(s_t)", E + "[" + G + r" V^{\pi_\theta}(s_t)] = 0", "baseline"),
    ("grad V^pi(s_t)", E + "[" + G + r" \nabla_\theta V^{\pi}(s_t)] = 0", "baseline"),
    ("b(s_{t-1})", E + "[" + G + " b(s_{t-1})] = 0", "baseline"),
    ("c of the previous step", E + "[" + G + " c(s_{t-1}, a_{t-1})] = 0", "baseline"),
    ("Q^pi of the previous step", E + "[" + G + r" Q^{\pi}(s_{t-1}, a_{t-1})] = 0", "baseline"),
    ("previous reward", E + "[" + G + " r(s_{t-1}, a_{t-1})] = 0", "baseline"),
    (
        "previous dynamics",
        E + "[" + G + r" p(s_{t}|s_{t-1}, a_{t-1})] = 0",
        "baseline",
    ),
    (
        "a later score times an earlier state",
        E + r"[\nabla_\theta \log \pi_\theta(a_{t+1}|s_{t+1}) b(s_t)] = 0",
        "baseline",
    ),
    ("trajectory score, J(theta)", E + "[" + GP + r" J(\theta)] = 0", "baseline"),
    (
        "after linearity",
        E + "[" + G + r" (r(\tau) - b(s_t))] = " + E + "[" + G + r" r(\tau)]",
        ("linearity_of_expectation", "baseline"),
    ),
    # causality
    ("rewards to go", full() + " = " + to_go(), "causality"),
    ("alias reward_to_go", full() + " = " + to_go(), "reward_to_go"),
    ("rewards inside the sum", inside() + " = " + to_go(), "causality"),
    ("rewards from step 0", full(low="0") + " = " + to_go(), "causality"),
    ("rewards to T+1", full(high="T+1") + " = " + to_go(high="T+1"), "causality"),
    ("a constant factor", full(before=r"\beta ") + " = " + to_go(before=r"\beta "), "causality"),
    (
        "c(s_t', a_t')",
        full("c(s_{t'}, a_{t'})") + " = " + to_go("c(s_{t'}, a_{t'})"),
        "causality",
    ),
    (
        "Q^pi(s_t', a_t')",
        full(r"Q^{\pi}(s_{t'}, a_{t'})") + " = " + to_go(r"Q^{\pi}(s_{t'}, a_{t'})"),
        "causality",
    ),
    ("b(s_t')", full("b(s_{t'})") + " = " + to_go("b(s_{t'})"), "causality"),
    (
        "the reward of step t'-1",
        full("r(s_{t'-1}, a_{t'-1})") + " = " + to_go("r(s_{t'-1}, a_{t'-1})"),
        "causality",
    ),
    (
        # the scores are also terms of their own step: E[g_t g_t'] = 0 for t' < t
        "scores as the terms",
        inside(r"\nabla_\theta \log \pi_\theta(a_{t'}|s_{t'})")
        + " = "
        + to_go(r"\nabla_\theta \log \pi_\theta(a_{t'}|s_{t'})"),
        "causality",
    ),
]


@pytest.mark.parametrize(("formula", "by"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_correct_forms_are_accepted(tmp_path: Path, formula: str, by) -> None:
    assert_accepted(check(tmp_path, formula, by))


@pytest.mark.parametrize(
    ("formula", "by"),
    [
        (E + "[" + G + "] = 0", "score_has_zero_mean"),
        (E + "[" + G + " b(s_t)] = 0", "baseline"),
    ],
)
def test_the_interchange_of_grad_and_sum_is_stated(tmp_path: Path, formula: str, by) -> None:
    step = check(tmp_path, formula, by)
    assert_accepted(step)
    assert any(INTERCHANGE in a for a in step.assumptions), step.assumptions


def test_the_worked_examples_are_numerically_true(tmp_path: Path) -> None:
    assert numeric_verdict(tmp_path, full() + " = " + to_go(), "causality") == "confirmed"
    # (b(s_t), not V^π(s_t): the numeric side gives V^π no value: "not evaluated")
    formula = ex(r"\sum_{t=1}^{T} " + G + " b(s_t)") + " = 0"
    assert numeric_verdict(tmp_path, formula, "baseline") == "confirmed"


# ===================================================================== wrong claims


REFUSED = [
    # normalization: only the density itself integrates to one
    (
        "integral of the gradient",
        r"\int \nabla_\theta p_\theta(\tau) d\tau = 1",
        "normalization",
        "does_not_apply",
    ),
    (
        "integral of density times reward",
        r"\int p_\theta(\tau) r(\tau) d\tau = 1",
        "normalization",
        "does_not_apply",
    ),
    ("expected reward", E + r"[r(\tau)] = 1", "normalization", "does_not_apply"),
    ("squared density", r"\int p_\theta(\tau)^2 d\tau = 1", "normalization", "does_not_apply"),
    (
        "integral of the policy",
        r"\int \pi_\theta(a_t|s_t) d\tau = 1",
        "normalization",
        "does_not_apply",
    ),
    ("integral is zero", r"\int p_\theta(\tau) d\tau = 0", "normalization", "claim_differs"),
    (
        "gradient of the integral is zero at once",
        r"\nabla_\theta \int p_\theta(\tau) d\tau = 0",
        "normalization",
        "claim_differs",
    ),
    # score_has_zero_mean: the score alone, and a score
    (
        "trajectory score times reward",
        E + "[" + GP + r" r(\tau)] = 0",
        "score_has_zero_mean",
        "not_score_alone",
    ),
    (
        "step score times return",
        E + "[" + G + r" r(\tau)] = 0",
        "score_has_zero_mean",
        "not_score_alone",
    ),
    (
        "step score times its reward",
        E + "[" + G + " r(s_t, a_t)] = 0",
        "score_has_zero_mean",
        "not_score_alone",
    ),
    (
        "gradient of the policy, no log",
        E + r"[\nabla_\theta \pi_\theta(a_t|s_t)] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    (
        "log-policy, no gradient",
        E + r"[\log \pi_\theta(a_t|s_t)] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    (
        "squared score",
        E + r"[(\nabla_\theta \log \pi_\theta(a_t|s_t))^2] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    (
        "score times itself",
        E + "[" + G + " " + G + "] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    (
        # true (a θ-free density), but not by this rule: log p(s_1) is no score
        "initial distribution",
        E + r"[\nabla_\theta \log p(s_1)] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    (
        "dynamics",
        E + r"[\nabla_\theta \log p(s_{t+1}|s_t, a_t)] = 0",
        "score_has_zero_mean",
        "does_not_apply",
    ),
    ("mean one", E + "[" + G + "] = 1", "score_has_zero_mean", "claim_differs"),
    # baseline: b fixed before a_t is drawn
    ("c(s_t, a_t)", E + "[" + G + " c(s_t, a_t)] = 0", "baseline", "depends_on_action"),
    ("Q^pi(s_t, a_t)", E + "[" + G + r" Q^{\pi}(s_t, a_t)] = 0", "baseline", "depends_on_action"),
    (
        "advantage",
        E + "[" + G + r" (Q^{\pi}(s_t, a_t) - V^{\pi}(s_t))] = 0",
        "baseline",
        "depends_on_action",
    ),
    ("r(s_t, a_t)", E + "[" + G + " r(s_t, a_t)] = 0", "baseline", "depends_on_action"),
    (
        "grad Q^pi(s_t, a_t)",
        E + "[" + G + r" \nabla_\theta Q^{\pi}(s_t, a_t)] = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "the policy itself",
        E + "[" + G + r" \pi_\theta(a_t|s_t)] = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "the log-policy",
        E + "[" + G + r" \log \pi_\theta(a_t|s_t)] = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "the next dynamics",
        E + "[" + G + r" p(s_{t+1}|s_t, a_t)] = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "the next action",
        E + "[" + G + " c(s_{t+1}, a_{t+1})] = 0",
        "baseline",
        "depends_on_action",
    ),
    ("b(s_{t+1})", E + "[" + G + " b(s_{t+1})] = 0", "baseline", "depends_on_later_steps"),
    ("b(s_T)", E + "[" + G + " b(s_T)] = 0", "baseline", "depends_on_later_steps"),
    (
        "b(s_t) + b(s_{t+1})",
        E + "[" + G + " (b(s_t) + b(s_{t+1}))] = 0",
        "baseline",
        "depends_on_later_steps",
    ),
    (
        "b(s_t) - r(s_t, a_t)",
        E + "[" + G + " (b(s_t) - r(s_t, a_t))] = 0",
        "baseline",
        "depends_on_action",
    ),
    ("the return", E + "[" + G + r" r(\tau)] = 0", "baseline", "depends_on_later_steps"),
    (
        "the density",
        E + "[" + G + r" p_\theta(\tau)] = 0",
        "baseline",
        "depends_on_later_steps",
    ),
    (
        "the sum of the rewards",
        E + "[" + G + r" \sum_{t=1}^{T} r(s_t, a_t)] = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "summed scores times the sum of the rewards",
        ex(r"\sum_{t=1}^{T} " + G + " " + rewards(R, "1")) + " = 0",
        "baseline",
        "depends_on_action",
    ),
    (
        "an earlier score, a later state",
        E + r"[\nabla_\theta \log \pi_\theta(a_{t-1}|s_{t-1}) b(s_t)] = 0",
        "baseline",
        "depends_on_later_steps",
    ),
    (
        "trajectory score times the return",
        E + "[" + GP + r" r(\tau)] = 0",
        "baseline",
        "depends_on_trajectory",
    ),
    (
        "trajectory score times a late state",
        E + "[" + GP + " b(s_T)] = 0",
        "baseline",
        "depends_on_trajectory",
    ),
    ("mean one", E + "[" + G + " b(s_t)] = 1", "baseline", "claim_differs"),
    (
        "after linearity, b(s_{t+1})",
        E + "[" + G + r" (r(\tau) - b(s_{t+1}))] = " + E + "[" + G + r" r(\tau)]",
        ("linearity_of_expectation", "baseline"),
        "depends_on_later_steps",
    ),
    (
        "after linearity, r(s_t, a_t)",
        E + "[" + G + r" (r(\tau) - r(s_t, a_t))] = " + E + "[" + G + r" r(\tau)]",
        ("linearity_of_expectation", "baseline"),
        "depends_on_action",
    ),
    # causality: the dropped terms must be fixed before each score's action
    (
        "terms of the next step",
        full("r(s_{t'+1}, a_{t'+1})") + " = " + to_go("r(s_{t'+1}, a_{t'+1})"),
        "causality",
        "depends_on_later_steps",
    ),
    (
        "terms of the next state",
        full("b(s_{t'+1})") + " = " + to_go("b(s_{t'+1})"),
        "causality",
        "depends_on_later_steps",
    ),
    (
        "terms with the return",
        full(r"\left(" + R + r" + r(\tau)\right)")
        + " = "
        + to_go(r"\left(" + R + r" + r(\tau)\right)"),
        "causality",
        "depends_on_later_steps",
    ),
    (
        "terms with the density",
        full(R + r" p_\theta(\tau)")
        + " = "
        + ex(r"\sum_{t=1}^{T} " + G + r" p_\theta(\tau) " + rewards(R, "t")),
        "causality",
        "depends_on_later_steps",
    ),
    ("keeps the previous step", full() + " = " + to_go(low="t-1"), "causality", "claim_differs"),
    ("keeps every step", full() + " = " + inside(), "causality", "claim_differs"),
    (
        "drops the current step (to T+1)",
        full(high="T+1") + " = " + to_go(low="t+1", high="T+1"),
        "causality",
        "claim_differs",
    ),
    (
        # the terms start at 1, after the score of step 0
        "terms start after the first score",
        ex(r"\left(\sum_{t=0}^{T} " + G + r"\right)" + rewards(R, "1"))
        + " = "
        + ex(r"\sum_{t=0}^{T} " + G + " " + rewards(R, "t")),
        "causality",
        "range",
    ),
    (
        # the scores run to T+2, the terms end at T: Σ_{t'=t}^{T} would be reversed
        "terms end before the last score",
        ex(r"\left(\sum_{t=1}^{T+2} " + G + r"\right)" + rewards(R, "1")) + " = 0",
        "causality",
        "range",
    ),
    (
        # a factor τ-dependent outside: the rule does not see it as a constant
        "the return times both sums",
        full(before=r"r(\tau) ") + " = " + to_go(before=r"r(\tau) "),
        "causality",
        "does_not_apply",
    ),
]


@pytest.mark.parametrize(
    ("formula", "by", "condition"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_wrong_claims_are_refused(tmp_path: Path, formula: str, by, condition: str) -> None:
    rule = by if isinstance(by, str) else by[-1]  # the rule that refuses: the last cited
    assert_refused(check(tmp_path, formula, by), rule, condition)


def test_dropping_the_current_reward_is_refused(tmp_path: Path) -> None:
    # Σ_{t'=t+1}^{T}: the rule keeps the current reward; the claim is refused (its range
    # t+1 ≤ T+1 is not provable alone, and the rule gives Σ_{t'=t}^{T} anyway)
    assert_refused(check(tmp_path, full() + " = " + to_go(low="t+1"), "causality"), None, None)


def test_rewards_starting_after_the_scores_are_refused(tmp_path: Path) -> None:
    step = check(tmp_path, full(low="2") + " = " + to_go(), "causality")
    assert_refused(step, None, None)


# ----------------------------------------------- the expectation must be over p_θ(τ)


@pytest.mark.parametrize(
    "distribution",
    [r"q(\tau)", r"p(\tau)", r"p_\phi(\tau)", r"\pi_\phi"],
)
def test_another_sampling_distribution_is_not_read(tmp_path: Path, distribution: str) -> None:
    formula = r"E_{\tau \sim " + distribution + "}[" + G + "] = 0"
    with pytest.raises(DerivationFileError, match="expectation must be over the trajectory"):
        check(tmp_path, formula, "score_has_zero_mean")


# ===================================================================== declared functions


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (r"V(s_t)", r"V is declared a function of the policy: write it V\^\{\\pi\}"),
        (r"V^{\mu}(s_t)", r"V is declared a function of the policy"),
        (r"Q(s_t, a_t)", r"Q is declared a function of the policy"),
        (r"b^{\pi}(s_t)", r"b is declared without a superscript: b\^\{\\pi\} depends on"),
        (r"c^{\pi}(s_t, a_t)", r"c is declared without a superscript"),
        (r"b_t(s_t)", r"b takes no subscript"),
        (r"b(s_t, a_t)", r"b is declared a function of \(s_t\), but here it has 2 argument"),
        (r"b(s_t; a_t)", r"but here it has 2 argument"),
        (r"c(s_t)", r"c is declared a function of \(s_t, a_t\), but here it has 1 argument"),
        (r"Q^{\pi}(s_t)", r"Q is declared a function of \(s_t, a_t\), but here it has 1"),
        (r"V^{\pi}(s_t, a_t)", r"V is declared a function of \(s_t\), but here it has 2"),
        (r"b(a_t)", r"the state argument of b must be a state, got a_t"),
        (r"c(a_t, s_t)", r"the state argument of c must be a state"),
        (r"b(\tau)", r"the state argument of b must be a state"),
        (r"b(r(s_t, a_t))", r"the state argument of b must be a state"),
        (r"c(s_t, a_{t+1})", r"c's arguments must be of the same step"),
        (r"c(s_{t-1}, a_t)", r"c's arguments must be of the same step"),
        (r"b", r"b needs its arguments"),
    ],
)
def test_a_declared_function_is_written_as_declared(tmp_path: Path, term: str, message) -> None:
    with pytest.raises(DerivationFileError, match=message):
        check(tmp_path, E + "[" + G + " " + term + "] = 0", "baseline")


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        ('state_functions = ["b"]\nstate_action_functions = ["b"]', "declared twice"),
        ('state_functions = ["b"]\npolicy_state_functions = ["b"]', "declared twice"),
        ("constants = ['b']\nstate_functions = [\"b\"]", "already the constant b"),
        ('state_functions = ["s"]', "already the state"),
        ('state_functions = ["t"]', "already the time index"),
        ("state_functions = ['\\theta']", "already the parameter"),
        ('state_functions = ["E"]', "already the expectation"),
    ],
)
def test_a_declared_name_is_its_own(tmp_path: Path, declarations: str, message: str) -> None:
    notation = '\n[notation]\nstate = "s"\naction = "a"\n' + declarations + "\n"
    with pytest.raises(DerivationFileError, match=message):
        check(tmp_path, r"\int p_\theta(\tau) d\tau = 1", "normalization", notation)


def test_a_declared_function_cannot_take_the_policys_name(tmp_path: Path) -> None:
    notation = '\n[notation]\nstate = "s"\naction = "a"\nstate_functions = [\'\\pi\']\n'
    with pytest.raises(DerivationFileError):
        check(tmp_path, r"\nabla_\theta \pi(s_t) = 0", "drop_zero_gradient", notation)


def test_only_fixed_declared_functions_have_a_zero_gradient(tmp_path: Path) -> None:
    assert_accepted(check(tmp_path, r"\nabla_\theta b(s_t) = 0", "drop_zero_gradient"))
    assert_accepted(check(tmp_path, r"\nabla_\theta c(s_t, a_t) = 0", "drop_zero_gradient"))
    step = check(tmp_path, r"\nabla_\theta V^{\pi}(s_t) = 0", "drop_zero_gradient")
    assert_refused(step, "drop_zero_gradient", "does_not_apply")
    step = check(tmp_path, r"\nabla_\theta Q^{\pi}(s_t, a_t) = 0", "drop_zero_gradient")
    assert_refused(step, "drop_zero_gradient", "does_not_apply")


# ===================================================================== bugs found
#
# Wrong claims the checker ACCEPTS (each shown numerically false below), and right claims
# it refuses for a reason that is not the mathematics (each shown numerically true).

#: causality keeps a τ-dependent factor outside Σ_t (form Σ_t g_t (Σ_t' h_t')): it does not
#: check the factors of the expectation's body outside the score sum, so the dropped terms
#: E[X g_t h_t'] (t' < t) are taken as zero although X depends on later steps
OUTSIDE_RETURN = inside(before=r"r(\tau) ") + " = " + to_go(before=r"r(\tau) ")
OUTSIDE_STATE = inside(before="b(s_T) ") + " = " + to_go(before="b(s_T) ")

#: footprint() reads the times of the states in b as if they were the score's t, but the
#: inner Σ_{t=1}^{T} rebinds t: b = Σ_{t=1}^{T} b(s_t) depends on every state
SHADOWED_BASELINE = ex(r"\sum_{t=1}^{T} " + G + " " + rewards("b(s_t)", "1", index="t")) + " = 0"
SHADOWED_BASELINE_FREE_T = E + "[" + G + r" \sum_{t=1}^{T} b(s_t)] = 0"
SHADOWED_BASELINE_PRODUCT = E + "[" + G + r" \prod_{t=1}^{T} b(s_t)] = 0"

#: the same in causality: h_t' = r(s_t', a_t') + Σ_{t'=1}^{T} b(s_t') depends on every state
SHADOWED_TERM = r"\left(" + R + r" + \sum_{t'=1}^{T} b(s_{t'})\right)"
SHADOWED_CAUSALITY = full(SHADOWED_TERM) + " = " + to_go(SHADOWED_TERM)

#: _causal wraps the terms' sum in Σ_t without checking that t is not free in it: the free
#: t of the left side (E[(Σ_t g_t)(Σ_t' (t + t') r_t')], t a fixed index) is captured by
#: the scores' Σ_t on the right
CAPTURED_T = full("(t + t') " + R) + " = " + to_go("(t + t'') r(s_{t''}, a_{t''})", index="t''")

WRONG_BUT_ACCEPTED = [
    ("causality: the return outside the score sum", OUTSIDE_RETURN, "causality"),
    ("causality: b(s_T) outside the score sum", OUTSIDE_STATE, "causality"),
    ("baseline: an inner sum rebinding t", SHADOWED_BASELINE, "baseline"),
    ("baseline: an inner sum rebinding a free t", SHADOWED_BASELINE_FREE_T, "baseline"),
    ("baseline: an inner product rebinding t", SHADOWED_BASELINE_PRODUCT, "baseline"),
    ("causality: a term with a sum rebinding t'", SHADOWED_CAUSALITY, "causality"),
    ("causality: a free t captured by the scores' sum", CAPTURED_T, "causality"),
]


@pytest.mark.parametrize(
    ("formula", "by"),
    [c[1:] for c in WRONG_BUT_ACCEPTED],
    ids=[c[0] for c in WRONG_BUT_ACCEPTED],
)
def test_wrong_claims_once_accepted_are_refused(tmp_path: Path, formula: str, by: str) -> None:
    assert_refused(check(tmp_path, formula, by), None, None)


@pytest.mark.parametrize(
    "formula",
    [OUTSIDE_RETURN, SHADOWED_BASELINE, SHADOWED_CAUSALITY, CAPTURED_T],
    ids=["outside return", "shadowed baseline", "shadowed causality", "captured t"],
)
def test_those_claims_are_numerically_false(tmp_path: Path, formula: str) -> None:
    by = "baseline" if formula == SHADOWED_BASELINE else "causality"
    # "CHECKER BUG" while the step is accepted, "refuted" once it is refused
    assert numeric_verdict(tmp_path, formula, by) in {"CHECKER BUG", "refuted"}


#: the discounted reward to go, written as anyone writes it: causality renames t' to t''
#: whenever t occurs in the terms, and bound names are compared literally (claim_differs:
#: "causality gives Σ_{t''=t}^{T} ... where the claim has Σ_{t'=t}^{T} ...")
DISCOUNT = r"\gamma^{t'-t} " + R
DISCOUNTED_TO_GO = inside(DISCOUNT) + " = " + to_go(DISCOUNT)

#: a constant inside the terms' sum: the canonical form pulls β out of Σ_{t'=t}^{T} and then
#: checks that inner sum's range without the enclosing Σ_t (t ≤ T + 1 unprovable alone):
#: "the claim itself: Σ_{t'=t}^{T}: the limits are not provably ordered"
CONSTANT_INSIDE = full(r"\beta " + R) + " = " + to_go(r"\beta " + R)
CONSTANT_OUTSIDE = full(r"\beta " + R) + " = " + to_go(before=r"\beta ")

RIGHT_BUT_REFUSED = [
    ("discounted reward to go", DISCOUNTED_TO_GO),
    ("a constant inside the terms", CONSTANT_INSIDE),
    ("a constant taken out of the terms", CONSTANT_OUTSIDE),
]


@pytest.mark.parametrize(
    "formula", [c[1] for c in RIGHT_BUT_REFUSED], ids=[c[0] for c in RIGHT_BUT_REFUSED]
)
def test_right_claims_once_refused_are_accepted(tmp_path: Path, formula: str) -> None:
    assert_accepted(check(tmp_path, formula, "causality"))


def test_the_discounted_reward_to_go_is_numerically_true(tmp_path: Path) -> None:
    verdict = numeric_verdict(tmp_path, DISCOUNTED_TO_GO, "causality")
    assert verdict in {"true but not proved", "confirmed"}
