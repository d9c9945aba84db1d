"""`algebra` and the conversions cannot bypass the side conditions the named rules check,
and nothing is rewritten while a formula is read (soundness issue, item 5)."""

from __future__ import annotations

import pytest
from sympy import Integer, Pow

from pgproof.kernel.objects import Ratio
from pgproof.latex.parser import parse_expression
from pgproof.symbolic.notation import Notation

from .conftest import statuses

try:
    from pgproof.files import DerivationFileError
except ImportError:  # the layout before the restructuring
    from pgproof.loader import DerivationFileError  # type: ignore[no-redef]

N = """
[notation]
state = "s"
action = "a"
"""


def test_algebra_does_not_split_the_log_of_a_reward(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = '\log(\pi_\theta(a_t|s_t) r(s_t, a_t)) = \log \pi_\theta(a_t|s_t) + \log r(s_t, a_t)'
by = "algebra"
from = "self"
"""
    )
    assert statuses(report) == ["rejected"]
    assert "must be positive" in report.steps[0].reason


def test_algebra_splits_the_log_of_positive_factors(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = '\log(\pi_\theta(a_t|s_t) p(s_{t+1}|s_t, a_t)) = \log \pi_\theta(a_t|s_t) + \log p(s_{t+1}|s_t, a_t)'
by = "algebra"
from = "self"
"""
    )
    assert statuses(report) == ["accepted"]


def test_sum_to_expectation_needs_a_discrete_trajectory_space(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = '\sum_{\tau} p_\theta(\tau) r(\tau) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]'
by = "sum_to_expectation"
from = "self"
"""
    )
    assert statuses(report) == ["rejected"]
    assert "discrete trajectory space" in report.steps[0].reason


def test_a_reward_times_its_inverse_is_not_cancelled_while_reading(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = 'J(\theta) = J(\theta) r(s_1, a_1)^{-1} r(s_1, a_1)'
by = "algebra"
from = "self"
"""
    )
    assert statuses(report) == ["rejected"]  # r(s_1,a_1) may be 0


def test_zero_to_the_minus_one_is_not_read_as_complex_infinity() -> None:
    value = parse_expression("0^{-1}", Notation())
    assert value == Ratio(Integer(1), Integer(0))
    assert parse_expression(r"r(\tau)^{-2}", Notation()) == Ratio(
        Integer(1), Pow(parse_expression(r"r(\tau)", Notation()), 2)
    )


def test_cancelling_an_undefined_term_while_reading_is_refused(check_text) -> None:
    # SymPy builds 0^{-1} − 0^{-1} as 0: the formula would silently lose the division by 0
    with pytest.raises(DerivationFileError, match="would cancel a term that needs 0 nonzero"):
        check_text(
            N
            + r"""
[[step]]
formula = 'J(\theta) = J(\theta) + 0^{-1} - 0^{-1}'
by = "algebra"
from = "self"
"""
        )


@pytest.mark.parametrize("power", ["^{-1}", "^{-3}"])
def test_a_policy_times_its_inverse_is_cancelled_by_algebra(check_text, power: str) -> None:
    k = power[3:-1]
    report = check_text(
        N
        + rf"""
[[step]]
formula = 'J(\theta) = J(\theta) \pi_\theta(a_1|s_1){power} \pi_\theta(a_1|s_1)^{{{k}}}'
by = "algebra"
from = "self"
"""
    )
    assert statuses(report) == ["accepted"]  # π_θ > 0 on the support: dividing is allowed


def test_the_gradient_of_an_undefined_term_is_not_dropped(check_text) -> None:
    # ∇_θ log r(s_1, a_1) is undefined where r ≤ 0: it is not 0 there
    report = check_text(
        N
        + r"""
[[step]]
formula = '\nabla_\theta \log r(s_1, a_1) = 0'
by = "drop_zero_gradient"
from = "self"
"""
    )
    assert statuses(report) == ["rejected"]
    assert [f.condition for f in report.steps[0].failures] == ["domain"]


def test_the_gradient_of_a_log_of_the_dynamics_is_dropped(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = '\nabla_\theta \log p(s_2|s_1, a_1) = 0'
by = "drop_zero_gradient"
from = "self"
"""
    )
    assert statuses(report) == ["accepted"]
