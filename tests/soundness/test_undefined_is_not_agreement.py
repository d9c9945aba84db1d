"""A numeric trial where both sides are undefined is "not evaluated", never agreement
(soundness issue, item 2)."""

from __future__ import annotations

from .conftest import numeric

NOTATION = """
[notation]
state = "s"
action = "a"
"""

# a false step (the sign of the log-derivative trick) with log r + log(−r) added to both
# sides: at every point one of the two logs is undefined, on both sides
SIGN_ERROR_MASKED = (
    NOTATION
    + r"""
[[step]]
formula = '\nabla_\theta p_\theta(\tau) + \log r(s_1, a_1) + \log(-r(s_1, a_1)) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) + \log r(s_1, a_1) + \log(-r(s_1, a_1))'
by = "log_derivative_trick"
from = "self"
"""
)


def test_both_sides_undefined_everywhere_is_not_evaluated(check_text) -> None:
    report = check_text(SIGN_ERROR_MASKED)
    assert report.steps[0].status == "rejected"
    step = numeric(report).steps[0]
    assert step.verdict == "not evaluated", step.verdict
    assert step.trials == 0
    assert "undefined" in step.reason


def test_a_partly_evaluated_step_says_on_how_many_trials(check_text) -> None:
    # log r(s_1,a_1) alone: undefined where r(s_1, a_1) < 0 (rewards are drawn in [−1, 1)),
    # on both sides, so some trials cannot be compared; the others confirm the step
    report = check_text(
        NOTATION
        + r"""
[[step]]
formula = '\nabla_\theta p_\theta(\tau) + \log r(s_1, a_1) = p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) + \log r(s_1, a_1)'
by = "log_derivative_trick"
from = "self"
"""
    )
    assert report.steps[0].status == "accepted"
    step = numeric(report, trials=8).steps[0]
    assert step.verdict == "confirmed" and 0 < step.trials < 8
    text = "\n".join(step.text_lines())
    assert f"equal on {step.trials} of 8 MDPs" in text and "both sides are undefined" in text
