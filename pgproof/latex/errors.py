"""The one error type of the LaTeX front end, and the translation of Lark's errors.

Every refusal is a :class:`LatexError` carrying a one-line reason, the 1-based
column (a character offset into the whole formula text, newlines included) and
the text itself.  ``str(err)`` is ``"column N: reason"``.
"""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

__all__ = ["LatexError", "from_lark"]


class LatexError(ValueError):
    """A formula pgproof cannot read, with the column where reading stopped."""

    def __init__(self, message: str, column: int, text: str) -> None:
        self.message = message
        self.column = column
        self.text = text
        super().__init__(f"column {column}: {message}")


#: How terminals are named in "expected ..." messages.
TERMINAL_NAMES: dict[str, str] = {
    "EQUAL": "'='",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "DOT": "'.'",
    "COMMA": "','",
    "SEMI": "';'",
    "BAR": "'|' or \\mid",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "SUB": "'_'",
    "SUP": "'^'",
    "CDOT": "\\cdot",
    "SIM": "\\sim",
    "NABLA": "\\nabla",
    "LOG": "\\log",
    "SUM": "\\sum",
    "PROD": "\\prod",
    "INT": "\\int",
    "FRAC": "\\frac",
    "CANCEL": "\\cancel",
    "TEXTCOLOR": "\\textcolor",
    "UNDERSET": "\\underset",
    "FONT": "a font command",
    "ACCENT": "an accent",
    "MATHBB_E": "\\mathbb{E}",
    "GREEK": "a Greek letter",
    "DIFF": "a differential such as d\\tau",
    "WORD": "a name",
    "SCRIPT_CHAR": "a letter or digit",
    "INT_LIT": "a number",
    "$END": "the end of the formula",
    "<END-OF-FILE>": "the end of the formula",
}

_CLOSERS = {"RPAR", "RSQB", "RBRACE"}


def _describe(expected: set[str]) -> str:
    names = sorted({TERMINAL_NAMES.get(e, e) for e in expected if not e.startswith("__")})
    if not names:
        return ""
    if len(names) > 6:
        closers = sorted(TERMINAL_NAMES[e] for e in expected if e in _CLOSERS)
        head = ", ".join(closers + [n for n in names if n not in closers][: 6 - len(closers)])
        return f" (expected {head}, ...)"
    return " (expected " + ", ".join(names) + ")"


def _snippet(text: str, pos: int) -> str:
    piece = text[pos : pos + 12].split("\n")[0]
    return piece if len(text) <= pos + 12 else piece + "..."


def from_lark(err: UnexpectedInput, text: str) -> LatexError:
    """A readable LatexError for a Lark parse failure."""
    if isinstance(err, UnexpectedEOF):
        return LatexError(
            "the formula ends too early" + _describe(set(err.expected)), len(text) + 1, text
        )
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            closers = [TERMINAL_NAMES[e] for e in err.expected if e in _CLOSERS]
            if closers:
                msg = "the formula ends before a bracket is closed (expected %s)" % (
                    " or ".join(sorted(closers))
                )
            else:
                msg = "the formula ends too early" + _describe(set(err.expected))
            return LatexError(msg, len(text) + 1, text)
        pos = tok.start_pos or 0
        if tok.type in _CLOSERS:
            msg = f"unmatched {tok.value!r}" + _describe(set(err.expected))
        else:
            msg = f"unexpected {str(tok.value)!r}" + _describe(set(err.expected))
        return LatexError(msg, pos + 1, text)
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        return LatexError(
            f"unexpected {_snippet(text, pos)!r}" + _describe(set(err.allowed or ())), pos + 1, text
        )
    return LatexError(str(err).splitlines()[0], 1, text)  # pragma: no cover - other Lark errors
