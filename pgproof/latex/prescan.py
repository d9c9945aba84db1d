"""Cheap checks that run before the grammar: size, nesting depth, known commands.

They bound the work any input can cause (a 10 MB string or ten thousand nested
braces is refused in linear time, before Lark or SymPy see it) and give the
friendliest message for an unknown command: the nearest known names (difflib, within
the budget of suggestions of the file being read).
"""

from __future__ import annotations

import re

from pgproof.files.errors import close_matches
from pgproof.safety import UnsafeLatex, check_colour_commands
from pgproof.symbolic.names import GREEK

from .errors import LatexError

__all__ = ["MAX_LENGTH", "MAX_DEPTH", "KNOWN_COMMANDS", "prescan"]

MAX_LENGTH = 20_000
MAX_DEPTH = 50
#: the longest integer literal read (10^{100} is the way to write a large number)
MAX_DIGITS = 100
_DIGITS = re.compile(r"[0-9]{%d,}" % (MAX_DIGITS + 1))


#: Every ``\name`` the grammar reads (math, presentation, and sizing commands).
KNOWN_COMMANDS = frozenset(
    GREEK
    + [
        "cdot",
        "times",
        "sim",
        "mid",
        "vert",
        "nabla",
        "log",
        "ln",
        "exp",
        "Pr",
        "sqrt",
        "top",
        "mathcal",
        "sum",
        "prod",
        "int",
        "infty",
        "frac",
        "dfrac",
        "tfrac",
        "cancel",
        "textcolor",
        "underset",
        "mathbf",
        "boldsymbol",
        "bm",
        "mathrm",
        "mathit",
        "mathsf",
        "hat",
        "bar",
        "tilde",
        "widehat",
        "widetilde",
        "mathbb",
        "operatorname",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "limits",
        "nolimits",
        "quad",
        "qquad",
        "color",
        "definecolor",
        "left",
        "right",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "Biggl",
        "Biggr",
    ]
)

_SYMBOL_COMMANDS = frozenset(",;:! \\")
_HEX_COLOUR = re.compile(r"(\\(?:textcolor|color)\s*\{)(#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3}))(?=\})")
_COMMAND = re.compile(r"\\([A-Za-z]+|.?)", re.DOTALL)
_OPEN = "([{"
_CLOSE = ")]}"


def _suggest(name: str) -> str:
    close = close_matches(name, KNOWN_COMMANDS, n=3, cutoff=0.5)
    if not close:
        return ""
    return " (did you mean " + " or ".join("\\" + c for c in close) + "?)"


def prescan(text: str) -> None:
    """Refuse overlong, overly nested, or unknown-command input; return None if it may be parsed."""
    if not isinstance(text, str):
        raise TypeError(f"a formula is a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise LatexError(
            f"the formula is too long ({len(text)} characters; the limit is {MAX_LENGTH})", 1, text
        )
    depth = 0
    for pos, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise LatexError(f"brackets are nested deeper than {MAX_DEPTH}", pos + 1, text)
        elif ch in _CLOSE:
            depth -= 1
    if (long := _DIGITS.search(text)) is not None:
        raise LatexError(
            f"an integer of {len(long.group(0))} digits; the limit is {MAX_DIGITS} "
            "(write a large number as a power, 10^{{...}})",
            long.start() + 1,
            text,
        )
    # KaTeX's hex colours (\textcolor{#eb3a32}) are read, and rendered as LaTeX's HTML model
    katex = _HEX_COLOUR.sub(lambda m: m.group(1) + "x" * len(m.group(2)), text)
    try:
        check_colour_commands(katex)
    except UnsafeLatex as unsafe:
        raise LatexError(unsafe.message, unsafe.column, text) from None
    for match in _COMMAND.finditer(text):
        name = match.group(1)
        column = match.start() + 1
        if len(name) <= 1 and not name.isalpha():
            if name in _SYMBOL_COMMANDS or name in "{}":
                if name in "{}" and name:
                    raise LatexError(f"\\{name} is not supported in formulas", column, text)
                continue
            raise LatexError(f"\\{name} is not a command pgproof knows", column, text)
        if name not in KNOWN_COMMANDS:
            raise LatexError(
                f"\\{name} is not a command pgproof knows{_suggest(name)}", column, text
            )
