"""Time budgets stop work that runs too long, nest, and leave no timer behind."""

from __future__ import annotations

import signal
import time

import pytest

from pgproof.budget import BudgetExceeded, time_budget


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


def test_a_derivation_budget_leaves_later_steps_unchecked(tmp_path) -> None:
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation

    path = tmp_path / "slow.pgproof.toml"
    path.write_text('title = "t"\nsource = "s"\n' + SLOW_STEP * 3, encoding="utf-8")
    start = time.monotonic()
    report = check_derivation(load_derivation(path), timeout=None, total=0.5)
    assert time.monotonic() - start < 3.0
    assert [s.status for s in report.steps] == ["rejected"] * 3
    assert "could not be decided within the derivation's budget of 0.5 s" in report.steps[0].reason
    assert all("budget of 0.5 s is spent" in s.reason for s in report.steps[1:])
    assert [f.condition for s in report.steps for f in s.failures] == ["budget"] * 3
