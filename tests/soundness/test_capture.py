"""Capture: a rule that substitutes under a binder never lets the binder catch a free name.

Issue 20's mechanism: ``substitute_free`` respected shadowing but not capture, so a rule that
put ``t`` (or a fresh ``t'``) where an inner Σ_t (or Σ_{t'}) binds it turned γ^{t'−t} into 1,
and split_first_term and causality accepted the captured result and refused the right one.
Each case: the right claim accepted, the captured twin refused (and numerically wrong).
"""

from __future__ import annotations

from pathlib import Path

from sympy import Integer, Symbol

from pgproof.bridge.report import REFUTED
from pgproof.kernel.binders import substitute
from pgproof.kernel.objects import Action, Reward, State

from .conftest import numeric, write_steps

NOTATION = """
[notation]
state = "s"
action = "a"
discount = '\\gamma'
"""

#: Σ_{t'=t}^{T} (r_{t'} + Σ_{t=1}^{T} γ^{t'−t} r_t): the first term puts t where Σ_t binds t
SPLIT_SOURCE = (
    r"\sum_{t'=t}^{T} \left( r(s_{t'}, a_{t'}) + \sum_{t=1}^{T} \gamma^{t'-t} r(s_t, a_t) \right)"
)
SPLIT_REST = (
    r"\sum_{t'=t+1}^{T} \left( r(s_{t'}, a_{t'}) + \sum_{t=1}^{T} \gamma^{t'-t} r(s_t, a_t) \right)"
)
SPLIT_RIGHT = (
    SPLIT_SOURCE
    + r" = r(s_t, a_t) + \sum_{t''=1}^{T} \gamma^{t-t''} r(s_{t''}, a_{t''}) + "
    + SPLIT_REST
)
SPLIT_CAPTURED = (
    SPLIT_SOURCE + r" = r(s_t, a_t) + \sum_{t''=1}^{T} r(s_{t''}, a_{t''}) + " + SPLIT_REST
)

SCORE = r"\nabla_\theta \log \pi_\theta(a_t \mid s_t)"
#: the rewards' index is renamed t' for the scores' t, where an inner Σ_{t'} binds t'
CAUSAL_SOURCE = (
    r"E_{\tau \sim p_\theta(\tau)}\left[\sum_{t=1}^{T} " + SCORE + r" \sum_{t=1}^{T} \left( "
    r"r(s_t, a_t) \sum_{t'=1}^{T} \gamma^{t'-t} \right)\right]"
)
CAUSAL_RIGHT = (
    CAUSAL_SOURCE
    + r" = E_{\tau \sim p_\theta(\tau)}\left[\sum_{t=1}^{T} "
    + SCORE
    + r" \sum_{t'=t}^{T} \left( r(s_{t'}, a_{t'}) \sum_{t''=1}^{T} \gamma^{t''-t'} \right)\right]"
)
CAUSAL_CAPTURED = (
    CAUSAL_SOURCE
    + r" = E_{\tau \sim p_\theta(\tau)}\left[\sum_{t=1}^{T} "
    + SCORE
    + r" \sum_{t'=t}^{T} \left( r(s_{t'}, a_{t'}) \sum_{t''=1}^{T} 1 \right)\right]"
)


def _check(tmp_path: Path, formula: str, rule: str):
    import pgproof

    path = write_steps(tmp_path, [(formula, rule)], NOTATION, "capture")
    return pgproof.check(path)


def test_split_first_term_renames_the_inner_index_instead_of_capturing(tmp_path: Path) -> None:
    right = _check(tmp_path, SPLIT_RIGHT, "split_first_term")
    assert [s.status for s in right.steps] == ["accepted"]
    captured = _check(tmp_path, SPLIT_CAPTURED, "split_first_term")
    assert [s.status for s in captured.steps] == ["rejected"]
    failure = captured.steps[0].failures[-1]
    assert failure.condition == "claim_differs"
    assert "γ^{t - t'}" in failure.text  # what the rule gives: the discount kept


def test_causality_renames_the_inner_index_instead_of_capturing(tmp_path: Path) -> None:
    right = _check(tmp_path, CAUSAL_RIGHT, "causality")
    assert [s.status for s in right.steps] == ["accepted"]
    captured = _check(tmp_path, CAUSAL_CAPTURED, "causality")
    assert [s.status for s in captured.steps] == ["rejected"]


def test_the_captured_claims_are_numerically_wrong(tmp_path: Path) -> None:
    """The refused twins are not a matter of form: on random MDPs they are false."""
    for formula in (SPLIT_CAPTURED, CAUSAL_CAPTURED):
        report = _check(tmp_path, formula, "restate")
        verdicts = numeric(report, trials=3, seed=1).steps
        assert [v.verdict for v in verdicts] == [REFUTED], formula


t, t1, t2, T = (
    Symbol("t", integer=True),
    Symbol("t'", integer=True),
    Symbol("t''", integer=True),
    Symbol("T", integer=True),
)
tau = Symbol("tau")


def r(time):
    return Reward("r", State("s", tau, time), Action("a", tau, time))


def test_substitution_renames_a_binder_that_would_capture() -> None:
    from sympy import Sum

    inner = Sum(r(t) * t1, (t, Integer(1), T))  # Σ_t r_t·t'
    out = substitute(inner, t1, t)  # t' := t must not become Σ_t r_t·t
    (index, low, high) = out.limits[0]
    assert index != t and low == 1 and high == T
    assert out.function == r(index) * t
    # shadowing: t bound inside is not the t replaced
    assert substitute(Sum(r(t), (t, Integer(1), T)), t, t1) == Sum(r(t), (t, Integer(1), T))
    # a bound name never replaced, a limit outside its own scope is
    assert substitute(Sum(r(t), (t, t, T)), t, t1) == Sum(r(t), (t, t1, T))
    # a bound outside its index's scope: Σ_{t'=1}^{t} r_{t'} [t := t'] runs to the free t'
    # under another index name, never Σ_{t'=1}^{t'}
    out = substitute(Sum(r(t1), (t1, Integer(1), t)), t, t1)
    (index, low, high) = out.limits[0]
    assert index != t1 and high == t1 and out.function == r(index)
