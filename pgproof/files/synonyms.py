"""The words authors use for each rule, for messages that teach and for reading notes.

``by = "log trick"`` is not a rule name, but every reader knows what it means.  Each rule
is registered with the phrases write-ups use for it (``phrases=`` of
:func:`pgproof.symbolic.rules.base.rule`: "likelihood ratio trick", "REINFORCE trick",
"Leibniz", "differentiate under the integral", "linearity" …); a phrase names one rule.

* :func:`rules_meant_by` — the rules a phrase (a misnamed ``by``, or an author's
  ``\\text{}`` note) most likely means, best first;
* :func:`unknown_rule_message` — the message for an unknown rule name: the rules meant
  by its words, then the names it resembles.
"""

from __future__ import annotations

import difflib
import re

from pgproof.symbolic.rules import REGISTRY, UnknownRule, lookup

__all__ = ["phrases_of", "plain_unknown_rule_message", "rules_meant_by", "unknown_rule_message"]

_STOP = {"the", "a", "an", "of", "by", "we", "use", "using", "apply", "applying", "with", "and",
         "to", "it", "is", "this", "that", "then", "so", "here"}  # fmt: skip


def _words(text: str) -> list[str]:
    text = text.lower().replace("θ", " theta ").replace("∇", " gradient ")
    text = text.replace("nabla", " gradient ")
    return re.findall(r"[a-z0-9]+", text)


def _normal(text: str) -> str:
    return " ".join(_words(text))


def phrases_of() -> dict[str, tuple[str, ...]]:
    """Each registered rule's phrases, by rule name in sorted order."""
    return {name: REGISTRY[name].phrases for name in sorted(REGISTRY)}


def _score(phrase: str, text: str, words: set[str]) -> float:
    """How well ``phrase`` matches ``text``: contained in it (10 + its words); its words
    all in the text (5 + their number); the text's words all in it, a shorter way to say
    it such as "linearity" for "linearity of expectation" (5: a hint, below the others);
    a near spelling (at most 3)."""
    if f" {phrase} " in f" {text} ":
        return 10.0 + len(phrase.split())
    mine = [w for w in phrase.split() if w not in _STOP]
    if mine and all(w in words for w in mine):
        return 5.0 + len(mine)
    if words and words <= set(mine):
        return 5.0
    ratio = difflib.SequenceMatcher(None, phrase, text).ratio()
    return 3.0 * ratio if ratio >= 0.8 else 0.0


def _ranked(text: str) -> list[tuple[str, float]]:
    normal = _normal(text.replace("_", " "))
    if not normal:
        return []
    words = set(normal.split()) - _STOP
    best: dict[str, float] = {}
    for rule, phrases in phrases_of().items():
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
