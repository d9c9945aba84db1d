"""The final estimate is tested against the claim's own left side, and constants get values
(soundness issue, item 8)."""

from __future__ import annotations

import numpy as np

from pgproof.bridge.estimator import final_estimate, test_sample_estimate_bias
from pgproof.bridge.final_estimate import test_final_estimate
from pgproof.latex.parser import parse_expression

from .conftest import numeric

N = """
[notation]
state = "s"
action = "a"
return = "R"
"""

OBJECTIVE = (
    N
    + r"""
[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[R(\tau)]'
by = "definition"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)})'
by = "monte_carlo_estimate"
"""
)


def test_an_estimate_of_j_is_compared_with_j_not_with_its_gradient(check_text) -> None:
    report = check_text(OBJECTIVE)
    assert [s.verdict for s in report.steps] == ["accepted", "accepted"]
    final = test_final_estimate(report, seed=0)
    assert final is not None and final.error == ""
    assert final.result.exactly_unbiased and not final.biased
    assert final.result.target.shape == (1,)  # J(θ), a number
    assert "against J(θ)" in final.text()


def test_a_wrong_left_side_beside_an_unbiased_right_side_is_biased(check_text) -> None:
    report = check_text(OBJECTIVE)
    claim = final_estimate(report)
    notation = report.derivation.notation
    wrong = claim.func(parse_expression(r"2 J(\theta)", notation), claim.rhs)
    result = test_sample_estimate_bias(wrong, notation, np.random.default_rng(0), m=500)
    assert not result.exactly_unbiased
    np.testing.assert_allclose(result.target, 2 * result.exact_mean, rtol=1e-12)


def test_a_baseline_constant_is_given_a_value(check_text) -> None:
    report = check_text(
        N
        + r"""
constants = ['b']

[[step]]
formula = 'J(\theta) - b = E_{\tau \sim p_\theta(\tau)}[R(\tau)] - b'
by = "definition"
from = "self"

[[step]]
formula = '= \frac{1}{m} \sum_{i=1}^{m} R(\tau^{(i)}) - b'
by = "monte_carlo_estimate"
"""
    )
    assert [s.verdict for s in report.steps] == ["accepted", "accepted"]
    assert [s.verdict for s in numeric(report, trials=2).steps] == ["confirmed", "confirmed"]
    final = test_final_estimate(report, seed=0)
    assert final.error == "" and final.result.exactly_unbiased
