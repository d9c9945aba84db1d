"""Step labels: ``label = "logtrick"`` (or ``\\label{logtrick}``) and references to them.

A step's ``from`` and ``using`` may name an earlier step by its number or by its label;
the readers resolve labels to numbers, so the checker only ever sees numbers.  An unknown
label is an error that suggests the labels it resembles; a label of a later step (or of
the step itself) is an error too, since a step builds on earlier steps only.
"""

from __future__ import annotations

import re

from .errors import close_matches

__all__ = ["LabelError", "check_label", "resolve"]

#: what ``from`` may say besides a step
FROM_WORDS = ("previous", "self")
MAX_LABEL = 100


class LabelError(ValueError):
    """A label or a reference that cannot be used (the message says why)."""


def check_label(name: object) -> str:
    """A usable label: a non-empty string, not a number nor a word of ``from``."""
    if not isinstance(name, str):
        raise LabelError(f"a label is a string, not {name!r}")
    text = name.strip()
    if not text:
        raise LabelError("a label must not be empty")
    if len(text) > MAX_LABEL:
        raise LabelError(f"a label is at most {MAX_LABEL} characters long")
    if text in FROM_WORDS:
        raise LabelError(f'"{text}" cannot be a label: it is a word of from')
    if re.fullmatch(r"[0-9]+", text):
        raise LabelError(f"{text} cannot be a label: a number names a step by its place")
    return text


def resolve(value: object, k: int, labels: dict[str, int], what: str) -> int:
    """The step number that ``value`` (a number or a label) names, for step ``k``'s ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise LabelError(f"{what} must be a step number or a step's label, not {value!r}")
    if isinstance(value, str):
        name = value.strip()
        if name not in labels:
            close = close_matches(name, labels, n=3, cutoff=0.5)
            if close:
                hint = f" (did you mean {', '.join(repr(c) for c in close)}?)"
            elif labels:
                known = sorted(labels, key=labels.__getitem__)
                shown = ", ".join(repr(x) for x in known[:8]) + (", …" if len(known) > 8 else "")
                hint = f" (the labels are {shown})"
            else:
                hint = " (no step has a label)"
            must = '"previous", "self", ' if what == "from" else ""
            raise LabelError(
                f"{what} must be {must}a step number or a step's label: no step is labelled "
                f"{name!r}{hint}"
            )
        number = labels[name]
        if number >= k:
            place = "this step" if number == k else f"step {number}, which comes later"
            raise LabelError(
                f"{what} = {value!r} names {place}: a step builds on earlier steps only"
            )
        return number
    if not 1 <= value < k:
        span = f"1..{k - 1}" if k > 1 else "none: this is the first step"
        raise LabelError(f"{what} must name an earlier step ({span}), not {value}")
    return value
