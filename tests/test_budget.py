"""Budgets: work budgets count units and stop at the same place every time; time budgets
(the safety net) stop work that runs too long, nest, and leave no timer behind; a step
that spends either is undecided, never refused."""

from __future__ import annotations

import signal
import time

import pytest

from pgproof.budget import (
    BudgetExceeded,
    WorkExhausted,
    charge,
    spent_by,
    time_budget,
    work_budget,
    work_spent,
)


def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_work_past_the_budget_is_stopped() -> None:
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"within 0.2 s"), time_budget(0.2):
        spin(5)
    assert time.monotonic() - start < 1.0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_work_within_the_budget_finishes() -> None:
    with time_budget(2.0):
        spin(0.01)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_inner_budget_never_extends_the_outer_one() -> None:
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"within 0.2 s"), time_budget(0.2), time_budget(10):
        spin(5)
    assert time.monotonic() - start < 1.0


def test_the_outer_budget_is_rearmed_after_an_inner_one() -> None:
    with pytest.raises(BudgetExceeded), time_budget(0.3):  # noqa: SIM117 - the order matters
        with time_budget(0.1):
            spin(0.01)
        spin(5)


def test_no_budget_means_no_timer() -> None:
    with time_budget(None):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(ValueError, match="positive"), time_budget(0):
        pass


SLOW_STEP = r"""
[[step]]
formula = '\prod_{t=1}^{T} (T+t)^{1000} = 5'
by = "algebra"
from = "self"
"""


def test_the_derivation_safety_net_leaves_later_steps_undecided(tmp_path) -> None:
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation

    path = tmp_path / "slow.pgproof.toml"
    path.write_text('title = "t"\nsource = "s"\n' + SLOW_STEP * 3, encoding="utf-8")
    start = time.monotonic()
    report = check_derivation(load_derivation(path), work=None, timeout=None, total=0.5)
    assert time.monotonic() - start < 3.0
    assert [s.status for s in report.steps] == ["undecided"] * 3
    assert report.verdict == "undecided" and report.outcome == "undecided"
    assert "within the derivation's safety net of 0.5 s" in report.steps[0].reason
    assert all("safety net of 0.5 s is spent" in s.reason for s in report.steps[1:])
    assert [f.condition for s in report.steps for f in s.failures] == ["budget"] * 3


# --------------------------------------------------------------------------- work budgets


def test_a_work_budget_stops_at_the_same_unit_every_time() -> None:
    def run() -> int:
        done = 0
        with pytest.raises(WorkExhausted, match=r"within 1,000 units of work"):  # noqa: SIM117
            with work_budget(1000):
                while True:
                    charge(7)
                    done += 1
        return done

    assert run() == run() == 1000 // 7  # the charge that passes 1,000 raises


def test_work_within_the_budget_finishes_and_is_measured() -> None:
    before = work_spent()
    with work_budget(100) as budget:
        charge(60)
        assert budget.spent == 60
    assert work_spent() - before == 60
    charge(10**9)  # no budget open: counting only


def test_the_outermost_spent_budget_is_named() -> None:
    with pytest.raises(WorkExhausted) as info, work_budget(50) as outer:  # noqa: SIM117
        with work_budget(1000) as inner:
            charge(60)  # spends the outer budget; the inner has room
    assert info.value.budget is outer and not spent_by(info.value, inner)
    with work_budget(1000) as outer:
        try:
            with work_budget(10) as inner:
                charge(20)
        except WorkExhausted as exhausted:
            assert spent_by(exhausted, inner) and not spent_by(exhausted, outer)
        charge(20)  # the inner budget is closed: the outer one still has room


def test_an_inner_work_budget_never_extends_the_outer_one() -> None:
    with pytest.raises(WorkExhausted) as info, work_budget(10) as outer:  # noqa: SIM117
        with work_budget(10**6):
            charge(11)
    assert info.value.budget is outer


def test_work_budgets_belong_to_their_thread() -> None:
    import threading

    seen: list[str] = []

    def other() -> None:
        charge(10**6)  # no budget in this thread
        seen.append("ran")

    with work_budget(5):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        charge(5)
    assert seen == ["ran"]


@pytest.mark.parametrize("units", [0, -3, 2.5, "10"])
def test_a_work_budget_is_a_positive_whole_number(units) -> None:
    with pytest.raises(ValueError, match="positive whole number"), work_budget(units):
        pass


def test_budgets_are_not_swallowed_by_a_broad_except() -> None:
    caught = []
    with pytest.raises(WorkExhausted), work_budget(1):
        try:
            charge(5)
        except Exception:  # noqa: BLE001 - what a careless rule might write
            caught.append("swallowed")
    assert caught == []


def test_a_step_past_its_work_budget_is_undecided_not_refused(tmp_path) -> None:
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation

    path = tmp_path / "slow.pgproof.toml"
    path.write_text('title = "t"\nsource = "s"\n' + SLOW_STEP, encoding="utf-8")
    first = check_derivation(load_derivation(path), work=50_000)
    again = check_derivation(load_derivation(path), work=50_000)
    for report in (first, again):
        (step,) = report.steps
        assert step.status == "undecided" and step.mark == "?"
        assert not step.accepted and not step.rejected
        assert "within 50,000 units of work" in step.reason
        assert report.to_json()["steps"][0]["status"] == "undecided"
        assert report.to_json()["outcome"] == "undecided"
    assert first.steps[0].reason == again.steps[0].reason
    assert first.steps[0].text() == again.steps[0].text()


def test_a_wrong_step_is_refused_whatever_the_budget_left(tmp_path) -> None:
    """Running out is never the reason for a refusal, and a refusal never needs the clock:
    a wrong step within its budget is refused with the same reason at any budget that
    lets it be decided."""
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation

    path = tmp_path / "wrong.pgproof.toml"
    path.write_text(
        'title = "t"\nsource = "s"\n[[step]]\nformula = \'(T+1)^2 = T^2 + 2T\'\n'
        'by = "algebra"\nfrom = "self"\n',
        encoding="utf-8",
    )
    reasons = set()
    for work in (20_000, 200_000, 2_000_000, None):
        (step,) = check_derivation(load_derivation(path), work=work).steps
        assert step.status == "rejected"
        reasons.add(step.reason)
    assert len(reasons) == 1 and "SymPy cannot prove" in reasons.pop()


def test_a_stale_limit_left_by_an_interrupted_closing_is_recovered() -> None:
    """An alarm may land inside a budget's closing and leave its limit behind: the next
    charge recomputes the limit from the budgets still open instead of failing."""
    from pgproof.kernel import work as budget  # the work count lives in the kernel

    state = budget._state
    state.tightest = state.spent  # as if a closed budget's limit were left behind
    charge(5)  # no budget is open: counted, nothing raised
    assert state.tightest == float("inf")
    with work_budget(100) as open_budget:
        state.tightest = state.spent  # stale again, inside an open budget
        charge(5)
        assert open_budget.spent == 5
    with pytest.raises(WorkExhausted), work_budget(3):
        charge(4)  # budgets still work afterwards
