"""The words authors use for rules: checked against the registry, used in messages."""

from __future__ import annotations

import pytest

from pgproof.files import synonyms
from pgproof.symbolic.rules import REGISTRY, UnknownRule, lookup
from pgproof.symbolic.rules.base import rule


def test_every_rule_is_registered_with_its_phrases() -> None:
    assert set(synonyms.phrases_of()) == set(REGISTRY)
    assert all(synonyms.phrases_of().values())
    assert {
        "log_derivative_trick", "grad_under_integral", "grad_of_sum", "log_of_product",
        "drop_zero_gradient", "expectation_to_integral", "integral_to_expectation",
        "monte_carlo_estimate", "substitute", "algebra",
    } <= {name for name, phrases in synonyms.phrases_of().items() if phrases}  # fmt: skip


def test_a_phrase_naming_two_rules_is_refused() -> None:
    with pytest.raises(ValueError, match="phrase 'linearity' names grad_of_sum already"):
        rule("linearity_of_integrals", phrases=("linearity",))(lambda node, ctx: None)
    assert "linearity_of_integrals" not in REGISTRY


@pytest.mark.parametrize(
    ("words", "rule"),
    [
        ("log trick", "log_derivative_trick"),
        ("likelihood ratio", "log_derivative_trick"),
        ("REINFORCE trick", "log_derivative_trick"),
        ("score-function trick", "log_derivative_trick"),
        ("Leibniz", "grad_under_integral"),
        ("differentiate under the integral", "grad_under_integral"),
        ("Bring gradient under integral", "grad_under_integral"),
        ("linearity", "grad_of_sum"),
        ("linearity of expectation", "linearity_of_expectation"),
        ("Expand expectation", "expectation_to_integral"),
        ("Return to expectation form", "integral_to_expectation"),
        ("the log of a product is the sum of the logs", "log_of_product"),
        ("take logs", "log_both_sides"),
        ("Monte Carlo", "monte_carlo_estimate"),
        ("plug in", "substitute"),
        ("does not depend on θ", "drop_zero_gradient"),
    ],
)
def test_what_authors_say_means_a_rule(words: str, rule: str) -> None:
    assert synonyms.rules_meant_by(words)[0] == rule


def message(name: str) -> str:
    with pytest.raises(UnknownRule) as info:
        lookup(name)
    return synonyms.unknown_rule_message(info.value)


def test_an_unknown_rule_name_is_explained_by_meaning() -> None:
    assert message("log trick") == (
        "unknown rule 'log trick': “log trick” is what authors call log_derivative_trick; it "
        'also looks like log_product — write by = "log_derivative_trick"'
    )
    assert message("Leibniz") == (
        "unknown rule 'Leibniz': “Leibniz” is what authors call grad_under_integral — write "
        'by = "grad_under_integral"'
    )
    assert "(or linearity_of_expectation, split_sum)" in message("linearity")


def test_a_misspelt_rule_name_gets_did_you_mean() -> None:
    assert message("algebr") == "unknown rule 'algebr' (did you mean algebra?)"
    assert message("xyzzy") == (
        "unknown rule 'xyzzy' (`pgproof rules` lists the rules and their aliases)"
    )
