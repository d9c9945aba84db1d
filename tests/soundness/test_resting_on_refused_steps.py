"""A step that builds on a refused step is marked as resting on it, in text and JSON, and
its numeric failure is not a checker bug (soundness issue, item 7)."""

from __future__ import annotations

from .conftest import numeric

# step 1 is wrong (a sign), step 2 substitutes it: its rule holds, its premise does not
BUILT_ON_A_WRONG_STEP = r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta p_\theta(\tau) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)'
by = "log_derivative_trick"
from = "self"

[[step]]
formula = '\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau'
by = ["definition", "expectation_to_integral", "grad_under_integral"]
from = "self"

[[step]]
formula = '= \int -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) r(\tau) d\tau'
by = "substitute"
using = 1

[[step]]
formula = '= \int -r(\tau) p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) d\tau'
by = "restate"
"""


def test_steps_built_on_a_refused_step_rest_on_it(check_text) -> None:
    report = check_text(BUILT_ON_A_WRONG_STEP)
    assert [s.verdict for s in report.steps] == ["rejected", "accepted", "conditional", "conditional"]
    assert report.steps[2].rests_on == [1] and report.steps[3].rests_on == [1]
    assert report.steps[1].rests_on == []
    text = report.steps[2].text()
    assert text.startswith("  (✓) step 3") and "rests on refused step 1" in text
    data = report.to_json()["steps"]
    assert [s["status"] for s in data] == ["rejected", "accepted", "conditional", "conditional"]
    assert data[2]["rests_on"] == [1]


def test_a_conditional_step_that_is_numerically_false_is_not_a_checker_bug(check_text) -> None:
    report = check_text(BUILT_ON_A_WRONG_STEP)
    result = numeric(report, trials=3)
    assert result.checker_bugs == []
    step3 = result.steps[2]
    assert step3.verdict == "refuted" and "rests on refused step 1" in step3.reason
