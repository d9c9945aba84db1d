"""An expected refusal is matched on the structured refusal: the rule and the failed
condition, plus the words when given (soundness issue, item 9)."""

from __future__ import annotations

import pytest

try:
    from pgproof.files import DerivationFileError
except ImportError:  # the layout before the restructuring
    from pgproof.loader import DerivationFileError  # type: ignore[no-redef]

SIGN_ERROR = r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta p_\theta(\tau) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)'
by = "log_derivative_trick"
from = "self"
"""


def expect(rule: str, condition: str, reason: str | None = None) -> str:
    words = "" if reason is None else f'reason = "{reason}"\n'
    return (
        f'[expect]\nrejected_at = 1\nrule = "{rule}"\ncondition = "{condition}"\n{words}'
        + SIGN_ERROR
    )


def test_the_right_rule_and_condition_match(check_text) -> None:
    assert check_text(expect("log_derivative_trick", "claim_differs")).as_expected
    assert check_text(expect("likelihood_ratio_trick", "claim_differs")).as_expected  # an alias


def test_another_condition_at_the_same_step_does_not_match(check_text) -> None:
    assert not check_text(expect("log_derivative_trick", "not_positive")).as_expected


def test_another_rule_at_the_same_step_does_not_match(check_text) -> None:
    assert not check_text(expect("definition", "claim_differs")).as_expected


def test_the_words_must_match_when_given(check_text) -> None:
    report = check_text(expect("log_derivative_trick", "claim_differs", "gives 1 where the claim has -1"))
    assert report.as_expected
    wrong = check_text(expect("log_derivative_trick", "claim_differs", "gives 2 where the claim has -2"))
    assert not wrong.as_expected


def test_a_reason_alone_is_not_an_expectation(check_text) -> None:
    # before: `reason = ""` matched any refusal at that step
    with pytest.raises(DerivationFileError, match="needs rejected_at"):
        check_text('[expect]\nrejected_at = 1\nreason = ""\n' + SIGN_ERROR)
    with pytest.raises(DerivationFileError, match="must be a non-empty string"):
        check_text(expect("log_derivative_trick", ""))


def test_the_json_carries_the_structured_refusal(check_text) -> None:
    data = check_text(expect("log_derivative_trick", "claim_differs")).to_json()
    assert data["expected"]["rule"] == "log_derivative_trick"
    assert data["steps"][0]["failures"] == [
        {
            "rule": "log_derivative_trick",
            "condition": "claim_differs",
            "reason": "log_derivative_trick gives 1 where the claim has -1",
        }
    ]
