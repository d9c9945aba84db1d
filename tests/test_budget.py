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
    with pytest.raises(BudgetExceeded, match=r"within 0.2 s"), time_budget(0.2):
        with time_budget(10.0):
            spin(5)
    assert time.monotonic() - start < 1.0


def test_the_outer_budget_is_rearmed_after_an_inner_one() -> None:
    with pytest.raises(BudgetExceeded), time_budget(0.3):
        with time_budget(0.1):
            spin(0.01)
        spin(5)


def test_no_budget_means_no_timer() -> None:
    with time_budget(None):
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(ValueError, match="positive"), time_budget(0):
        pass
