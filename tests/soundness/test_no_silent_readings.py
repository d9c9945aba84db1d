"""pgproof never reads what the author wrote as something else without saying so
(soundness issue, item 6)."""

from __future__ import annotations

import pytest

try:
    from pgproof.files import DerivationFileError
except ImportError:  # the layout before the restructuring
    from pgproof.loader import DerivationFileError  # type: ignore[no-redef]

from pgproof.latex.parser import parse_formula
from pgproof.symbolic.notation import Notation

N = """
[notation]
state = "s"
action = "a"
"""


def test_a_density_without_theta_is_not_given_one(check_text) -> None:
    # an expectation rewritten as an integral over a θ-free p(τ): another integral
    with pytest.raises(DerivationFileError, match=r"does not say that it depends on \\theta"):
        check_text(
            N
            + r"""
[[step]]
formula = 'J(\theta) = \int p(\tau) r(\tau) d\tau'
by = ["definition", "expectation_to_integral"]
from = "self"
"""
        )


def test_a_policy_without_theta_is_not_given_one(check_text) -> None:
    with pytest.raises(DerivationFileError, match="does not say that it depends on"):
        check_text(
            N
            + r"""
[[step]]
formula = '\nabla_\theta \log \pi(a_1|s_1) = 0'
by = "drop_zero_gradient"
from = "self"
"""
        )


def test_a_constant_applied_to_a_state_is_not_a_product(check_text) -> None:
    with pytest.raises(DerivationFileError, match="reads as a function of s_t"):
        check_text(
            N
            + r"""
constants = ['b']

[[step]]
formula = '\nabla_\theta b(s_t) = 0'
by = "drop_zero_gradient"
from = "self"
"""
        )


def test_a_constant_times_a_bracket_is_still_a_product() -> None:
    n = Notation(state="s", action="a", constants=("c",))
    (value,) = parse_formula(r"c(r(s_1, a_1) + 1)", n)
    assert value == n.constant("c") * (n.r(1) + 1)


def test_a_sum_without_limits_is_read_aloud() -> None:
    parts = parse_formula(r"\sum_t r(s_t, a_t)", Notation(state="s", action="a"))
    assert parts.readings == (r"\sum_{t} without limits is read as \sum_{t=1}^{T}",)


def test_the_reading_reaches_the_report_and_its_json(check_text) -> None:
    report = check_text(
        N
        + r"""
[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[\sum_t r(s_t, a_t)]'
by = ["definition", "definition"]
from = "self"
"""
    )
    step = report.steps[0]
    assert "reads: \\sum_{t} without limits is read as \\sum_{t=1}^{T}" in step.text()
    assert step.to_json()["readings"] == [r"\sum_{t} without limits is read as \sum_{t=1}^{T}"]
