"""The canonical form is remembered per (expression, step range): a remembered form gives
what computing it again gives, refusals included, and costs the same work."""

from __future__ import annotations

import pytest

from pgproof.budget import WorkExhausted, work_budget, work_spent
from pgproof.latex.parser import parse_expression
from pgproof.symbolic import canonical as module
from pgproof.symbolic.canonical import StepRange, canonical
from pgproof.symbolic.refusal import Refusal

from .helpers import N


def _parse(text: str):
    return parse_expression(text, N)


@pytest.fixture(autouse=True)
def _empty_memo():
    module._MEMO.clear()
    yield
    module._MEMO.clear()


def _cost(expr) -> tuple[object, int]:
    before = work_spent()
    out = canonical(expr)
    return out, work_spent() - before


def test_a_remembered_form_is_the_form_and_costs_the_same_work() -> None:
    expr = _parse(r"\sum_{t'=1}^{T} 3 r(s_{t'}, a_{t'}) + \sum_{t=1}^{T} 2 r(s_t, a_t)")
    first, units = _cost(expr)
    assert (expr, None) in module._MEMO
    again, units_again = _cost(expr)
    assert again == first and units_again == units > 0
    module._MEMO.clear()
    assert canonical(expr) == first


def test_alpha_equivalent_sums_meet_and_a_clash_with_a_free_name_stays_apart() -> None:
    """Σ_{t'} r_{t'} and Σ_u r_u are the same sum; Σ_{t'} r_t (t free) is not Σ_t r_t,
    however the memo was filled before."""
    bound = _parse(r"\sum_{t'=1}^{T} r(s_{t'}, a_{t'})")
    renamed = _parse(r"\sum_{t''=1}^{T} r(s_{t''}, a_{t''})")
    captured = _parse(r"\sum_{t'=1}^{T} r(s_t, a_t)")
    plain = _parse(r"\sum_{t=1}^{T} r(s_t, a_t)")
    for order in ((bound, renamed, captured, plain), (plain, captured, renamed, bound)):
        module._MEMO.clear()
        forms = {id(e): canonical(e) for e in order}
        assert forms[id(bound)] == forms[id(renamed)]
        assert forms[id(captured)] != forms[id(plain)]


def test_a_refusal_is_remembered_and_raised_afresh() -> None:
    reversed_sum = _parse(r"\sum_{t=3}^{1} r(s_t, a_t)")
    with pytest.raises(Refusal) as first:
        canonical(reversed_sum)
    assert first.value.condition == "reversed_range"
    first.value.rule = "someone else's"  # a caller may name the rule on its refusal
    before = work_spent()
    with pytest.raises(Refusal) as again:
        canonical(reversed_sum)
    assert again.value is not first.value
    assert (again.value.condition, again.value.reason) == ("reversed_range", first.value.reason)
    assert again.value.rule is None
    assert work_spent() >= before


def test_the_step_range_words_are_added_again_when_remembered() -> None:
    """Σ_{t'=t}^{T} is ordered only because t is a step (t ≤ T): each step that relies on
    it says so, whether the form was computed for it or remembered from another step."""
    later = _parse(r"\sum_{t'=t}^{T} r(s_{t'}, a_{t'})")
    words = N.step_assumption()
    with pytest.raises(Refusal):  # without the step range the limits are not ordered
        canonical(later)
    for _ in range(2):
        said: list[str] = []
        canonical(later, StepRange(N.t, N.first, N.T, words, said))
        assert said == [words]
    assert len([key for key in module._MEMO if key[0] == later]) == 2  # with and without
    needless: list[str] = []  # a sum whose limits are ordered anyway says nothing
    canonical(
        _parse(r"\sum_{t'=1}^{T} r(s_{t'}, a_{t'})"), StepRange(N.t, N.first, N.T, words, needless)
    )
    assert needless == []


def test_a_work_budget_runs_out_at_the_same_count_when_remembered() -> None:
    expr = _parse(r"\sum_{t'=1}^{T} 3 r(s_{t'}, a_{t'}) + \sum_{t=1}^{T} 2 r(s_t, a_t)")
    module._MEMO.clear()
    _, units = _cost(expr)
    for budget in (units - 1, units // 2, 1):
        for memo in ("computed", "remembered"):
            if memo == "computed":
                module._MEMO.clear()
            start = work_spent()
            with pytest.raises(WorkExhausted), work_budget(budget):
                canonical(expr)
            assert work_spent() - start == budget + 1, (budget, memo)
            if memo == "computed":
                canonical(expr)  # remember it (no budget) for the next round
    with work_budget(units):  # exactly enough, remembered
        canonical(expr)
