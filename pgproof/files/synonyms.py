"""The words authors use for each rule, for messages that teach and for reading notes.

``by = "log trick"`` is not a rule name, but every reader knows what it means.  The table
below lists, for each registered rule, the phrases write-ups use for it ("likelihood
ratio trick", "REINFORCE trick", "Leibniz", "differentiate under the integral",
"linearity" …).  It is checked against :data:`pgproof.symbolic.rules.REGISTRY` when this
module is imported: a name that is not a registered rule is a pgproof bug, refused at once.

* :func:`rules_meant_by` — the rules a phrase (a misnamed ``by``, or an author's
  ``\\text{}`` note) most likely means, best first;
* :func:`unknown_rule_message` — the message for an unknown rule name: the rules meant
  by its words, then the names it resembles.
"""

from __future__ import annotations

import difflib
import re

from pgproof.symbolic.rules import REGISTRY, UnknownRule, lookup

__all__ = ["SYNONYMS", "plain_unknown_rule_message", "rules_meant_by", "unknown_rule_message"]

#: rule → phrases authors use for it (lower case, words separated by spaces)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "algebra": (
        "algebra", "simplify", "simplification", "simplifying", "rearrange", "rearranging",
        "cancel", "cancelling", "collect terms", "expand", "multiply out", "arithmetic",
        "reorder", "commute",
    ),
    "constant_factor": (
        "constant factor", "pull out the constant", "take out the constant", "pull out",
        "constant out of the gradient", "constant multiple", "does not depend on theta factor",
        "not dependent on theta", "independent of theta", "r does not depend on theta",
    ),
    "definition": (
        "definition", "by definition", "def", "defn", "definition of the objective",
        "definition of the return", "trajectory probability", "probability of a trajectory",
        "chain rule of probability", "unfold", "fold", "notation",
    ),
    "differentiate_both_sides": (
        "differentiate", "differentiate both sides", "take the gradient",
        "gradient of both sides", "apply the gradient", "finding the gradient",
    ),
    "drop_zero_gradient": (
        "does not depend on theta", "do not depend on theta", "don t depend on theta",
        "independent of theta", "zero gradient", "gradient is zero", "derivative is zero",
        "vanish", "vanishes", "drop", "cancel out", "remove the terms", "constant terms",
        "dynamics do not depend on theta", "initial state distribution does not depend",
    ),
    "expectation_to_integral": (
        "definition of expectation", "expand the expectation", "expand expectation",
        "expectation as an integral", "integral form", "write as an integral",
        "continuous expectation",
    ),
    "expectation_to_sum": (
        "expectation as a sum", "sum form", "discrete expectation", "write as a sum",
        "definition of expectation discrete",
    ),
    "grad_of_sum": (
        "linearity", "linearity of the gradient", "linearity of differentiation",
        "gradient of a sum", "gradient of the sum is the sum of the gradients",
        "sum of gradients", "sum of the gradient", "swap gradient and sum",
        "gradient inside the sum", "additivity",
    ),
    "grad_under_integral": (
        "leibniz", "leibniz integral rule", "leibniz rule", "differentiate under the integral",
        "differentiation under the integral sign", "bring gradient under integral",
        "gradient under the integral", "gradient inside the integral", "swap gradient and integral",
        "interchange gradient and integral", "dominated convergence", "move the gradient inside",
        "putting the differentiation operator inside the integral",
    ),
    "integral_to_expectation": (
        "back to expectation", "return to expectation form", "expectation form",
        "convert back into the expectation", "integral as an expectation",
        "going back to expectation form",
    ),
    "linearity_of_expectation": (
        "linearity", "linearity of expectation", "expectation is linear", "split the expectation",
    ),
    "log_both_sides": (
        "take the log", "take the logarithm", "log of both sides", "logarithm of both sides",
        "take logs", "taking the log",
    ),
    "log_derivative_trick": (
        "log trick", "log derivative trick", "log derivative identity", "derivative log trick",
        "likelihood ratio", "likelihood ratio trick", "reinforce trick", "score function",
        "score function trick", "grad log", "gradient of the log", "log derivative",
    ),
    "log_of_product": (
        "log of a product", "log of the product", "log of a product is the sum of the logs",
        "sum of logs", "sum of the logs", "log product rule", "expand the log",
    ),
    "merge_sums": ("merge sums", "merge the sums", "combine sums", "combine the sums"),
    "monte_carlo_estimate": (
        "monte carlo", "sample mean", "sample average", "empirical average", "estimate",
        "sample based estimate", "approximate with samples", "trajectory samples",
        "unbiased estimator",
    ),
    "multiply_divide": (
        "multiply and divide", "multiply by one", "multiply by p over p", "p over p",
        "multiply every term", "which is possible since it s 1",
    ),
    "product_rule": ("product rule", "differentiate the product", "gradient of a product"),
    "restate": ("restate", "as before", "repeat", "recall", "same as above"),
    "split_sum": (
        "linearity", "split the sum", "linearity of the sum", "sum of sums", "separate the sum",
        "split into sums",
    ),
    "substitute": (
        "substitute", "substitution", "substituting", "plug in", "plugging in", "replace",
        "replacing", "insert", "using the previous result",
    ),
    "sum_to_expectation": (
        "sum as an expectation", "back to expectation discrete", "expectation form discrete",
    ),
}  # fmt: skip


def _check_table() -> None:
    """Every rule named here must be registered under that very name."""
    missing = sorted(name for name in SYNONYMS if name not in REGISTRY)
    if missing:
        raise RuntimeError(
            "pgproof.files.synonyms names rules that are not registered: " + ", ".join(missing)
        )


_check_table()

_STOP = {"the", "a", "an", "of", "by", "we", "use", "using", "apply", "applying", "with", "and",
         "to", "it", "is", "this", "that", "then", "so", "here"}  # fmt: skip


def _words(text: str) -> list[str]:
    text = text.lower().replace("θ", " theta ").replace("∇", " gradient ")
    text = text.replace("nabla", " gradient ")
    return re.findall(r"[a-z0-9]+", text)


def _normal(text: str) -> str:
    return " ".join(_words(text))


def _score(phrase: str, text: str, words: set[str]) -> float:
    if f" {phrase} " in f" {text} ":
        return 10.0 + len(phrase.split())
    mine = [w for w in phrase.split() if w not in _STOP]
    if mine and all(w in words for w in mine):
        return 5.0 + len(mine)
    ratio = difflib.SequenceMatcher(None, phrase, text).ratio()
    return 3.0 * ratio if ratio >= 0.8 else 0.0


def _ranked(text: str) -> list[tuple[str, float]]:
    normal = _normal(text.replace("_", " "))
    if not normal:
        return []
    words = set(normal.split()) - _STOP
    best: dict[str, float] = {}
    for rule, phrases in SYNONYMS.items():
        score = max((_score(p, normal, words) for p in phrases), default=0.0)
        score = max(score, _score(rule.replace("_", " "), normal, words))
        if score > 0:
            best[rule] = score
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))


def rules_meant_by(text: str, limit: int = 3) -> list[str]:
    """The rules that ``text`` (a phrase or a sentence) most likely means, best first."""
    return [rule for rule, _ in _ranked(text)[:limit]]


def _registered(name: str) -> str:
    try:
        return lookup(name).name
    except UnknownRule:
        return name


def unknown_rule_message(error: UnknownRule) -> str:
    """The message for an unknown rule name.

    When its words are what authors call a rule (``log trick``, ``Leibniz``): ``unknown rule
    'log trick': “log trick” is what authors call log_derivative_trick — write by =
    "log_derivative_trick"``; when it only looks like a name (a typo): ``unknown rule
    'algebr' (did you mean algebra?)``."""
    ranked = _ranked(error.name)
    meant = [rule for rule, score in ranked if score >= 5][:3]
    alike = [rule for rule, score in ranked if score < 5]
    resembles = [s for s in error.suggestions + alike if _registered(s) not in meant]
    resembles = list(dict.fromkeys(resembles))[:3]
    shown = error.name.strip()
    if meant:
        rule = meant[0]
        also = f" (or {', '.join(meant[1:])})" if len(meant) > 1 else ""
        words = f"unknown rule {error.name!r}: “{shown}” is what authors call {rule}{also}"
        if resembles:
            words += f"; it also looks like {', '.join(resembles)}"
        return words + f' — write by = "{rule}"'
    if resembles:
        return f"unknown rule {error.name!r} (did you mean {', '.join(resembles)}?)"
    return plain_unknown_rule_message(error.name)


def plain_unknown_rule_message(name: str) -> str:
    """The message for an unknown rule name when no suggestion is searched for."""
    return f"unknown rule {name!r} (`pgproof rules` lists the rules and their aliases)"
