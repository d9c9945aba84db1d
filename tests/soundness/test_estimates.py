"""≈ is a relation of the equation, not a flag (soundness issue, item 1).

An estimate a ≈ b (the sides equal in expectation over samples τ^(i) ∼ p_θ) may be
rewritten by identities, but not differentiated or logged on both sides; the Monte Carlo
rule applies only where the expression is linear in the expectation it replaces.
"""

from __future__ import annotations

from .conftest import statuses

NOTATION = """
[notation]
state = "s"
action = "a"
return = "R"
"""


def test_differentiating_both_sides_of_an_estimate_is_refused(check_text) -> None:
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[R(\tau)]'
by = "definition"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "monte_carlo_estimate"

[[step]]
formula = '\nabla_\theta J(\theta) = \nabla_\theta \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "differentiate_both_sides"

[[step]]
formula = '= 0'
by = "drop_zero_gradient"
"""
    )
    assert statuses(report)[:3] == ["accepted", "accepted", "rejected"]
    assert report.steps[1].relation == "≈"
    assert "not valid on an estimate (≈)" in report.steps[2].reason
    assert report.steps[3].relation == "≈"  # built on the estimate, never an equality


def test_the_monte_carlo_rule_does_not_fire_under_a_gradient(check_text) -> None:
    # ∇ E[log p_θ] = 0, while the same-sample mean's gradient is the mean score: the samples
    # are drawn from p_θ, so ∇ of an estimate is not an estimate of ∇
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = '\nabla_\theta E_{\tau \sim p_\theta(\tau)}[\log p_\theta(\tau)] = \nabla_\theta E_{\tau \sim p_\theta(\tau)}[\log p_\theta(\tau)]'
by = "restate"
from = "self"

[[step]]
formula = '= \nabla_\theta \frac{\sum_{i=1}^{m} \log p_\theta(\tau^{(i)})}{m}'
by = "monte_carlo_estimate"
"""
    )
    assert statuses(report) == ["accepted", "rejected"]
    assert "does not apply" in report.steps[1].reason


def test_the_monte_carlo_rule_does_not_square_one_sample(check_text) -> None:
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = 'J(\theta)^2 = E_{\tau \sim p_\theta(\tau)}[R(\tau)] E_{\tau \sim p_\theta(\tau)}[R(\tau)]'
by = "algebra"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)}) \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "monte_carlo_estimate"
"""
    )
    assert statuses(report)[1] == "rejected"


def test_an_estimate_at_a_linear_position_is_accepted(check_text) -> None:
    report = check_text(
        NOTATION
        + r"""
constants = ['c']

[[step]]
formula = 'c J(\theta) + 1 = c E_{\tau \sim p_\theta(\tau)}[R(\tau)] + 1'
by = "definition"
from = "self"

[[step]]
formula = '= c \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)}) + 1'
by = "monte_carlo_estimate"
"""
    )
    assert statuses(report) == ["accepted", "accepted"]
    assert [s.relation for s in report.steps] == ["=", "≈"]


def test_an_estimate_rewritten_by_an_identity_stays_an_estimate(check_text) -> None:
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[R(\tau)]'
by = "definition"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "monte_carlo_estimate"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} \sum_{t=1}^{T} r(s_t^{(i)}, a_t^{(i)})'
by = "definition"
"""
    )
    assert statuses(report) == ["accepted", "accepted", "accepted"]
    assert [s.relation for s in report.steps] == ["=", "≈", "≈"]
    assert report.to_json()["steps"][2]["relation"] == "≈"


def test_taking_logs_of_both_sides_of_an_estimate_is_refused(check_text) -> None:
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[R(\tau)]'
by = "definition"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "monte_carlo_estimate"

[[step]]
formula = '\log J(\theta) = \log \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "log_both_sides"
"""
    )
    assert statuses(report)[2] == "rejected"
    assert "not valid on an estimate" in report.steps[2].reason
