"""Σ_{t=a}^{b} with b < a − 1 is refused by the checker and not evaluable numerically
(soundness issue, item 4): a reader reads it as empty, SymPy by Karr's convention."""

from __future__ import annotations

from .conftest import numeric, statuses

KARR = r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = 'J(\theta) = J(\theta) + \sum_{t=3}^{1} 1 + 1'
by = "algebra"
from = "self"
"""


def test_karrs_convention_does_not_prove_a_false_step(check_text) -> None:
    report = check_text(KARR)
    assert statuses(report) == ["rejected"]
    assert "not provably ordered" in report.steps[0].reason


def test_a_reversed_range_is_not_equal_numerically(check_text) -> None:
    step = numeric(check_text(KARR)).steps[0]
    assert step.verdict == "not evaluated" and "reversed" in step.reason


def test_limits_ordered_through_an_enclosing_index_are_accepted(check_text) -> None:
    # Σ_{t=1}^{T} Σ_{t'=t}^{T}: t ≤ T + 1 for every t in 1..T
    report = check_text(
        r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '''\sum_{t=1}^{T} \sum_{t'=t}^{T} r(s_{t'}, a_{t'}) = \sum_{t=1}^{T} \sum_{t'=t}^{T} r(s_{t'}, a_{t'})'''
by = "restate"
from = "self"
"""
    )
    assert statuses(report) == ["accepted"]


def test_limits_that_may_be_reversed_are_refused(check_text) -> None:
    # Σ_{t'=t+2}^{T} inside Σ_{t=1}^{T}: at t = T the range T+2..T is reversed
    report = check_text(
        r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '''\sum_{t=1}^{T} \sum_{t'=t+2}^{T} r(s_{t'}, a_{t'}) = \sum_{t=1}^{T} \sum_{t'=t+2}^{T} r(s_{t'}, a_{t'})'''
by = "restate"
from = "self"
"""
    )
    assert statuses(report) == ["rejected"]
    assert "not provably ordered" in report.steps[0].reason
