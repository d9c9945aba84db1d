"""The parts of the derivation-file schema that documents share: notation keys and their
values, rule names (with the words authors use for them), and hints for LaTeX in TOML."""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from pgproof.kernel.objects import DENSITY_STYLES
from pgproof.safety import UnsafeLatex, check_latex, control_character
from pgproof.symbolic.notation import TRAJECTORY_SPACES, Notation
from pgproof.symbolic.policy_classes import POLICY_CLASSES, SCOPES
from pgproof.symbolic.rules import REGISTRY, UnknownRule, lookup
from pgproof.symbolic.rules.base import normalise

from .errors import close_matches, may_suggest

__all__ = [
    "BASIC_STRING",
    "MAX_NAME",
    "MAX_STEPS",
    "NOTATION_CHOICES",
    "NOTATION_FIELDS",
    "NOTATION_KEYS",
    "close_match",
    "notation_name",
    "notation_value",
    "toml_hint",
    "unknown_rule",
]

#: how the objective is written: J(θ) or J(π_θ)
OBJECTIVE_STYLES = ("theta", "policy")
#: notation keys that choose among fixed spellings (the others are names)
NOTATION_CHOICES = {
    "density_style": DENSITY_STYLES,
    "objective_style": OBJECTIVE_STYLES,
    "trajectory_space": TRAJECTORY_SPACES,
    "scope": SCOPES,
    "policy_class": POLICY_CLASSES,
}
#: longest notation name
MAX_NAME = 100
#: most steps read from one file, a ``.pgproof.toml`` file or a document (the bundled
#: derivations have at most 13; a longer file is refused before its formulas are read)
MAX_STEPS = 500
NOTATION_KEYS = {f.name.rstrip("_") for f in fields(Notation)}


NOTATION_FIELDS = {f.name.rstrip("_"): f for f in fields(Notation)}


def close_match(word: str, known: set[str]) -> str:
    """`` (did you mean x?)`` for a key that looks like a known one (within the file's
    budget of suggestions: :func:`~pgproof.files.errors.close_matches`)."""
    close = close_matches(word, known, n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def notation_name(key: str, value: str) -> str:
    """A notation name: non-empty, short, printable LaTeX on the allowlist (or ValueError)."""
    shown = f"notation {key}"
    if not value.strip():
        raise ValueError(f"{shown} must not be empty")
    if len(value) > MAX_NAME:
        raise ValueError(f"{shown} is {len(value)} characters long (at most {MAX_NAME})")
    bad = control_character(value)
    if bad is not None:
        raise ValueError(f"{shown} contains the control character {bad}")
    try:
        check_latex(value)
    except UnsafeLatex as exc:
        raise ValueError(f"{shown} cannot be a name: {exc}") from None
    return value


def notation_value(key: str, value: Any) -> Any:
    """The value of notation key ``key``, checked (raises ValueError with the message)."""
    f = NOTATION_FIELDS[key]
    if isinstance(f.default, tuple):
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"notation {key} must be a list of strings")
        return tuple(notation_name(key, v) for v in value)
    if not isinstance(value, type(f.default)) or isinstance(value, bool):
        raise ValueError(f"notation {key} must be a {type(f.default).__name__}, not {value!r}")
    if key in NOTATION_CHOICES:
        if value not in NOTATION_CHOICES[key]:
            choices = ", ".join(map(repr, NOTATION_CHOICES[key]))
            raise ValueError(f"notation {key} must be one of {choices}, not {value!r}")
    elif isinstance(value, str):
        notation_name(key, value)
    return value


def _registered(name: str) -> bool:
    """Whether ``name`` is a registered rule or alias (what :func:`lookup` finds), without
    the suggestions ``lookup`` searches for an unknown name."""
    key = normalise(name)
    return key in REGISTRY or any(key in r.aliases for r in REGISTRY.values())


def unknown_rule(name: str) -> str | None:
    """None for a registered rule (or alias), else the message that teaches its name (the
    rules meant and the names it resembles while the file's budget of suggestions lasts)."""
    if _registered(name):
        return None
    from .synonyms import plain_unknown_rule_message, unknown_rule_message

    if not may_suggest(name):
        return plain_unknown_rule_message(name)
    try:
        lookup(name)
    except UnknownRule as exc:
        return unknown_rule_message(exc)
    return None


BASIC_STRING = re.compile(r'^\s*[\w.\-"]+\s*=\s*"')


_LITERAL_ENDED = re.compile(r"""^\s*[\w.\-"]+\s*=\s*'([^'\n]*)'(.*)$""")


def toml_hint(message: str, line: str) -> str:
    """Why a line that holds LaTeX is not valid TOML, in the author's terms."""
    m = _LITERAL_ENDED.match(line)
    if m is not None and m.group(2).strip() and not m.group(2).strip().startswith("#"):
        before = m.group(1)[-12:]
        return (
            f"; the ' after “…{before}” ends the '…' string (a prime, as in t', is a quote "
            "to TOML): write the formula between triple quotes, formula = '''…'''"
        )
    if ("escape" in message or "\\" in message) and BASIC_STRING.match(line):
        return (
            '; in a "…" string a backslash starts an escape (\\t is a tab): write LaTeX '
            "between single quotes, formula = '…'"
        )
    return ""
