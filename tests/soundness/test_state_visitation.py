"""The state-visitation form: Pr(s_t = s), Σ_s, d^π(s), and the rules state_action_marginal
and swap_sums, refereed adversarially.  Each accepts its correct forms and refuses wrong
claims with the failed condition named; a few claims are also evaluated numerically on
random MDPs (``pgproof.verify_steps``: Pr(s_t = s) and d^π by dynamic programming, Q^π
exact, the series' tails bounded) to show that a claim marked wrong here really is wrong,
and that the visitation form really is ∇J.

Every case is a derivation file written to ``tmp_path`` and checked through the public API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pgproof
from pgproof import DerivationFileError
from pgproof.bridge.report import CONFIRMED, REFUTED, TRUE_NOT_PROVED

from .conftest import failures, first_verdict, only_step, write_steps

#: infinite horizon, discounted, Spinning Up's notation (t = 0..∞)
INFINITE = r"""
[notation]
horizon = '\infty'
first_index = 0
discount = '\gamma'
state = "s"
action = "a"
density = "P"
density_style = "given_policy"
objective_style = "policy"
action_value = "Q"
state_value = "V"
visitation = "d"
"""

#: finite horizon (t = 1..T), discounted, a θ-free c(s_t, a_t) and the value functions
FINITE = r"""
[notation]
discount = '\gamma'
state = "s"
action = "a"
state_action_functions = ["c"]
action_value = "Q"
visitation = "d"
"""

E = r"E_{\tau \sim \pi_\theta}"
EF = r"E_{\tau \sim p_\theta(\tau)}"
SCORE = r"\nabla_\theta \log \pi_\theta(a_t \mid s_t)"
PLAIN_SCORE = r"\nabla_\theta \log \pi_\theta(a \mid s)"
POLICY = r"\pi_\theta(a \mid s)"
GRAD_POLICY = r"\nabla_\theta \pi_\theta(a \mid s)"
Q_STEP = r"Q^{\pi}(s_t, a_t)"
Q_PLAIN = r"Q^{\pi}(s, a)"
PR = r"\Pr(s_t = s)"
GAMMA_NEXT = r"\gamma^{t+1}"

MARGINAL = "state_action_marginal"
SWAP = "swap_sums"
DEFINITION = "definition"


def write(tmp_path: Path, steps: list[tuple[str, str | tuple[str, ...]]], notation: str) -> Path:
    return write_steps(tmp_path, steps, notation, "state visitation")


def check(tmp_path: Path, formula: str, by: str, notation: str = INFINITE):
    return only_step(write(tmp_path, [(formula, by)], notation))


def numeric_verdict(tmp_path: Path, formula: str, by: str, notation: str = INFINITE) -> str:
    return first_verdict(write(tmp_path, [(formula, by)], notation))


def marginal(f_step: str, f_plain: str, time: str = "t") -> str:
    """E[f(s_t, a_t)] = Σ_s Pr(s_t = s) Σ_a π_θ(a|s) f(s, a)."""
    pr = PR.replace("s_t", f"s_{{{time}}}")
    return rf"{E}\left[{f_step}\right] = \sum_{{s}} {pr} \sum_{{a}} {POLICY} {f_plain}"


def series(body: str, discount: str = r"\gamma^{t}") -> str:
    return rf"\sum_{{t=0}}^{{\infty}} {discount} {body}"


# ===================================================================== correct forms

ACCEPTED = [
    (
        "marginal: score times Q",
        marginal(SCORE + " " + Q_STEP, PLAIN_SCORE + " " + Q_PLAIN),
        MARGINAL,
    ),
    ("marginal: Q alone", marginal(Q_STEP, Q_PLAIN), MARGINAL),
    ("marginal: at a fixed step", marginal(r"Q^{\pi}(s_3, a_3)", Q_PLAIN, "3"), MARGINAL),
    (
        "marginal: a function of the state alone",
        rf"{E}\left[V^{{\pi}}(s_t)\right] = \sum_{{s}} {PR} V^{{\pi}}(s)",
        MARGINAL,
    ),
    (
        "marginal: under the discounted series",
        series(rf"{E}\left[{SCORE} {Q_STEP}\right]")
        + " = "
        + series(rf"\sum_{{s}} {PR} \sum_{{a}} {POLICY} {PLAIN_SCORE} {Q_PLAIN}"),
        MARGINAL,
    ),
    (
        "swap: Σ_t inside Σ_s, discounted",
        series(rf"\sum_{{s}} {PR} \sum_{{a}} {GRAD_POLICY} {Q_PLAIN}")
        + rf" = \sum_{{s}} \left({series(PR)}\right) \sum_{{a}} {GRAD_POLICY} {Q_PLAIN}",
        SWAP,
    ),
    (
        "definition of d^π, folded",
        rf"\sum_{{s}} \left({series(PR)}\right) V^{{\pi}}(s) = \sum_{{s}} d^{{\pi}}(s) V^{{\pi}}(s)",
        DEFINITION,
    ),
    (
        "definition of d^π, unfolded",
        rf"\sum_{{s}} d^{{\pi}}(s) V^{{\pi}}(s) = \sum_{{s}} \left({series(PR)}\right) V^{{\pi}}(s)",
        DEFINITION,
    ),
]


@pytest.mark.parametrize(("name", "formula", "by"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_correct_forms_are_accepted(tmp_path, name, formula, by) -> None:
    step = check(tmp_path, formula, by)
    assert step.status == "accepted", step.reasons
    assert step.failures == []


def test_the_swap_states_its_assumption(tmp_path) -> None:
    formula = ACCEPTED[5][1]
    step = check(tmp_path, formula, SWAP)
    assert any("finitely many states" in a for a in step.assumptions), step.assumptions


FINITE_ACCEPTED = [
    (
        "finite: a θ-free function of the step",
        rf"{EF}\left[{SCORE} c(s_t, a_t)\right] = \sum_{{s}} {PR} \sum_{{a}} {POLICY} "
        rf"{PLAIN_SCORE} c(s, a)",
        MARGINAL,
    ),
    (
        "finite: Σ_{t=1}^{T} inside Σ_s",
        rf"\sum_{{t=1}}^{{T}} \gamma^{{t-1}} \sum_{{s}} {PR} \sum_{{a}} {GRAD_POLICY} c(s, a) = "
        rf"\sum_{{s}} \left(\sum_{{t=1}}^{{T}} \gamma^{{t-1}} {PR}\right) \sum_{{a}} "
        rf"{GRAD_POLICY} c(s, a)",
        SWAP,
    ),
    (
        "finite: d^π = Σ_{t=1}^{T} γ^{t−1} Pr(s_t = s)",
        rf"\sum_{{s}} d^{{\pi}}(s) \sum_{{a}} c(s, a) = \sum_{{s}} \left(\sum_{{t=1}}^{{T}} "
        rf"\gamma^{{t-1}} {PR}\right) \sum_{{a}} c(s, a)",
        DEFINITION,
    ),
]


@pytest.mark.parametrize(
    ("name", "formula", "by"), FINITE_ACCEPTED, ids=[c[0] for c in FINITE_ACCEPTED]
)
def test_correct_finite_horizon_forms_are_accepted(tmp_path, name, formula, by) -> None:
    step = check(tmp_path, formula, by, FINITE)
    assert step.status == "accepted", step.reasons
    assert (
        pgproof.verify_steps(
            pgproof.check(write(tmp_path, [(formula, by)], FINITE)), trials=2, seed=0
        )
        .steps[0]
        .verdict
        == CONFIRMED
    )


# ===================================================================== wrong claims

REFUSED = [
    (
        "marginal of a function of a_{t+1}",
        rf"{E}\left[{SCORE} Q^{{\pi}}(s_{{t+1}}, a_{{t+1}})\right] = \sum_{{s}} {PR} "
        rf"\sum_{{a}} {POLICY} {PLAIN_SCORE} {Q_PLAIN}",
        MARGINAL,
        "not_one_step",
    ),
    (
        "marginal of the whole return",
        rf"{E}\left[{SCORE} r(\tau)\right] = \sum_{{s}} {PR} \sum_{{a}} {POLICY} {PLAIN_SCORE} "
        r"r(\tau)",
        MARGINAL,
        "not_one_step",
    ),
    (
        "marginal with the policy's weight dropped",
        rf"{E}\left[{SCORE} {Q_STEP}\right] = \sum_{{s}} {PR} \sum_{{a}} {PLAIN_SCORE} {Q_PLAIN}",
        MARGINAL,
        "claim_differs",
    ),
    (
        "swap that drops the discount (the undiscounted visitation)",
        series(rf"\sum_{{s}} {PR} \sum_{{a}} {GRAD_POLICY} {Q_PLAIN}")
        + rf" = \sum_{{s}} \left(\sum_{{t=0}}^{{\infty}} {PR}\right) \sum_{{a}} {GRAD_POLICY} "
        + Q_PLAIN,
        SWAP,
        "claim_differs",
    ),
    (
        "swap of an undiscounted infinite series",
        rf"\sum_{{t=0}}^{{\infty}} \sum_{{s}} {PR} V^{{\pi}}(s) = \sum_{{s}} "
        rf"\left(\sum_{{t=0}}^{{\infty}} {PR}\right) V^{{\pi}}(s)",
        SWAP,
        "not_discounted",
    ),
    (
        "d^π with γ^{t+1}",
        rf"\sum_{{s}} \left({series(PR, GAMMA_NEXT)}\right) V^{{\pi}}(s) = \sum_{{s}} "
        r"d^{\pi}(s) V^{\pi}(s)",
        DEFINITION,
        None,
    ),
    (
        "d^π without the discount",
        rf"\sum_{{s}} \left(\sum_{{t=0}}^{{\infty}} {PR}\right) V^{{\pi}}(s) = \sum_{{s}} "
        r"d^{\pi}(s) V^{\pi}(s)",
        DEFINITION,
        None,
    ),
]


def refused(name: str) -> str:
    """The formula of the wrong claim whose name starts with ``name``."""
    return next(c[1] for c in REFUSED if c[0].startswith(name))


@pytest.mark.parametrize(
    ("name", "formula", "by", "condition"), REFUSED, ids=[c[0] for c in REFUSED]
)
def test_wrong_claims_are_refused(tmp_path, name, formula, by, condition) -> None:
    step = check(tmp_path, formula, by)
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    if condition is not None:
        assert (by, condition) in failures(step), step.reasons


def test_finite_horizon_q_is_not_made_stationary(tmp_path) -> None:
    """With a finite horizon Q^π(s_t, a_t) depends on t: no plain Q^π(s, a) from it."""
    formula = (
        rf"{EF}\left[{SCORE} {Q_STEP}\right] = \sum_{{s}} {PR} \sum_{{a}} {POLICY} "
        rf"{PLAIN_SCORE} {Q_PLAIN}"
    )
    step = check(tmp_path, formula, MARGINAL, FINITE)
    assert (MARGINAL, "time_dependent") in failures(step), step.reasons


def test_a_conditional_expectation_is_not_marginalised(tmp_path) -> None:
    """E[X | s_t, a_t] is a function of (s_t, a_t), but not written as one of plain s, a."""
    formula = (
        rf"{EF}\left[{SCORE} E\left[\sum_{{t'=1}}^{{T}} r(s_{{t'}}, a_{{t'}}) \mid s_t, "
        rf"a_t\right]\right] = \sum_{{s}} {PR} \sum_{{a}} {POLICY} {PLAIN_SCORE} c(s, a)"
    )
    step = check(tmp_path, formula, MARGINAL, FINITE)
    assert (MARGINAL, "conditional_expectation") in failures(step), step.reasons


def test_the_reasons_name_what_is_wrong(tmp_path) -> None:
    dropped = check(tmp_path, refused("marginal with the policy's weight dropped"), MARGINAL)
    assert "π_θ(a|s)" in " ".join(dropped.reasons)
    undiscounted = check(tmp_path, refused("swap that drops the discount"), SWAP)
    assert "γ^{t}" in " ".join(undiscounted.reasons)


# ===================================================================== reading

UNREADABLE = [
    (r"d^{\pi}(s) = 1", "a sum that binds it"),
    (r"\sum_{s} \Pr(s = s_t) = 1", r"\Pr(s_t = s)"),
    (r"\sum_{s} \Pr(a_t = s) = 1", r"\Pr(s_t = s)"),
    (r"\sum_{s=1}^{3} d^{\pi}(s) = 1", "without limits"),
    (r"\sum_{s} \sum_{s} d^{\pi}(s) = 1", "again"),
    (r"\sum_{s} d(s) = 1", r"d^{\pi}(...)"),
    (r"\sum_{s} d^{\pi}(s') = 1", "only defined inside a sum over it"),
]


@pytest.mark.parametrize(("formula", "words"), UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_unreadable_forms_are_refused_with_how_to_write_them(tmp_path, formula, words) -> None:
    path = write(tmp_path, [(formula, DEFINITION)], INFINITE)
    with pytest.raises(DerivationFileError) as error:
        pgproof.load(path)
    assert words in str(error.value)


# ===================================================================== numerically


def test_the_visitation_form_is_the_policy_gradient(tmp_path) -> None:
    """∇J(π_θ) = Σ_s d^π(s) Σ_a ∇π_θ(a|s) Q^π(s, a) on random MDPs: true (the theorem), though
    not a rule's step (so 'true but not proved')."""
    formula = (
        rf"\nabla_\theta J(\pi_\theta) = \sum_{{s}} d^{{\pi}}(s) \sum_{{a}} {GRAD_POLICY} "
        + Q_PLAIN
    )
    assert numeric_verdict(tmp_path, formula, MARGINAL) == TRUE_NOT_PROVED


@pytest.mark.parametrize("name", ["marginal with the policy's weight dropped", "d^π with γ^{t+1}"])
def test_wrong_claims_are_numerically_false(tmp_path, name) -> None:
    """The dropped π_θ(a|s) and a d^π with γ^{t+1} are false on random MDPs (so is d^π
    without γ, but that series has no tail bound, and is not evaluated)."""
    _, formula, by, _ = next(c for c in REFUSED if c[0] == name)
    assert numeric_verdict(tmp_path, formula, by) == REFUTED


def test_a_state_probability_inside_is_a_number_not_a_step(tmp_path) -> None:
    """In E[Q^π(s_t, a_t) Pr(s_0 = s)] (inside Σ_s), Pr(s_0 = s) is a number: its s_0 is bound
    there, so the integrand is a function of step t alone, and Pr stays as written."""
    formula = (
        rf"\sum_{{s}} {E}\left[{Q_STEP} \Pr(s_0 = s)\right] = \sum_{{s}} \sum_{{s'}} "
        rf"\Pr(s_t = s') \sum_{{a}} \pi_\theta(a \mid s') Q^{{\pi}}(s', a) \Pr(s_0 = s)"
    )
    step = check(tmp_path, formula, MARGINAL)
    assert step.status == "accepted", step.reasons
    report = pgproof.check(write(tmp_path, [(formula, MARGINAL)], INFINITE))
    assert pgproof.verify_steps(report, trials=2, seed=0).steps[0].verdict == CONFIRMED
