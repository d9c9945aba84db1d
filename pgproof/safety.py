r"""What a user wrote, made safe for TeX and for a terminal.

pgproof prints text it did not write: a derivation file's title, source, notes, notation
names, rule names and formulas, and the checker's reasons, which quote them.  Every such
string reaches LaTeX or a terminal through one of these functions, and nothing else:

* :func:`check_latex` — a formula (or a notation name) is accepted only if every token is
  on an allowlist: math commands, not TeX primitives (``\input``, ``\write``,
  ``\catcode``, ``\csname``, ``\makeatletter``, ``\def`` … are all refused); no ``^^``
  (to TeX, ``^^5c`` is a backslash and ``^^7d`` a closing brace); no ``%``, ``#``, ``$``,
  ``&``; braces balanced; printable ASCII only; the arguments of ``\color``,
  ``\textcolor`` and ``\definecolor`` made of ``[A-Za-z0-9!.,]`` only.
* :func:`latex_text` — plain text escaped for text mode (``\text{…}``, ``\section*{…}``).
* :func:`latex_comment` — text for a ``%`` comment line: a newline or carriage return
  would end the comment and let the rest run, so every line break and control character
  becomes a space.
* :func:`terminal_text` — control characters (ANSI escape sequences, carriage returns,
  bidirectional overrides) shown as visible escapes instead of being obeyed.
* :func:`terminal_name` — the same for a file name (or any other one-line string a user
  gave), newlines and tabs included: a name cannot start a line of its own.

This module imports nothing heavy: the command line uses it before SymPy is loaded.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ALLOWED_COMMANDS",
    "UnsafeLatex",
    "check_latex",
    "control_character",
    "is_safe_latex",
    "latex_comment",
    "latex_text",
    "terminal_name",
    "terminal_text",
]

_GREEK = """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa
lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"""

_MATH = """cdot cdots ldots dots vdots ddots times div pm mp ast star circ bullet
sim simeq approx neq ne leq le geq ge ll gg equiv propto in notin ni subset subseteq supset
supseteq cup cap setminus emptyset varnothing mid vert Vert lvert rvert lVert rVert langle
rangle lbrace rbrace lbrack rbrack lfloor rfloor lceil rceil infty partial nabla forall exists
to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow implies iff mapsto
prime top intercal dagger ell therefore because vee wedge neg lnot land lor
log ln exp sin cos tan max min arg sup inf lim det Pr
sum prod coprod int iint oint bigcup bigcap
frac dfrac tfrac sqrt binom substack left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl
biggr Biggl Biggr
mathbf boldsymbol bm mathrm mathit mathsf mathtt mathcal mathbb mathfrak operatorname
text textrm textit textbf textsf texttt textnormal
hat bar tilde widehat widetilde vec dot ddot overline underline overbrace underbrace overset
underset stackrel
quad qquad displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits
cancel bcancel xcancel color textcolor definecolor
textbackslash textless textgreater textbar"""

#: Every control word a formula may use.  Deliberately a list of *math* commands: TeX
#: primitives and LaTeX programming commands are absent, so they are refused.
ALLOWED_COMMANDS = frozenset((_GREEK + " " + _MATH).split())

#: Control symbols (a backslash and one non-letter) a formula may use: spacing, the
#: escaped special characters (also as :func:`latex_text` writes them, ``\\^{}``), and a
#: line break (SymPy writes ``\\substack{a \\\\ b}``).
ALLOWED_SYMBOLS = frozenset(",;:! {}|_#$%&^~\\")

#: Colour commands and how many braced colour arguments follow them (after an optional
#: ``[model]``); ``\textcolor``'s last argument is the coloured formula, read as usual.
COLOUR_COMMANDS = {"color": 1, "textcolor": 1, "definecolor": 3}
_COLOUR_ARGUMENT = re.compile(r"[A-Za-z0-9!.,]+")
_COLOUR_CHARACTERS = "letters, digits and ! . ,"

#: format characters that reorder or hide text on a terminal (bidirectional overrides,
#: isolates and marks): "Trojan source" spoofing
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_WORD = re.compile(r"[A-Za-z]+")
_SPACE = re.compile(r" *")
_FORBIDDEN = {
    "%": "a comment character '%' (write \\% for a percent sign)",
    "#": "a macro parameter character '#'",
    "$": "a math shift character '$'",
    "&": "an alignment character '&'",
}


class UnsafeLatex(ValueError):
    """LaTeX that pgproof will not hand to TeX; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


_CONTROL_NAMES = {
    "\0": "NUL", "\t": "TAB", "\n": "LINE FEED", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE", "\x85": "NEXT LINE",
}  # fmt: skip


def _describe(ch: str) -> str:
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def _colour_arguments(text: str, pos: int, command: str) -> int:
    """Check ``[model]{arg}…`` after a colour command at ``pos``; return the position after."""
    count = COLOUR_COMMANDS[command]
    pos = _SPACE.match(text, pos).end()
    if text.startswith("[", pos):
        end = text.find("]", pos)
        if end < 0 or not _COLOUR_ARGUMENT.fullmatch(text, pos + 1, end):
            raise UnsafeLatex(
                f"the colour model of \\{command} may only hold {_COLOUR_CHARACTERS}", pos + 1
            )
        pos = _SPACE.match(text, end + 1).end()
    for _ in range(count):
        if not text.startswith("{", pos):
            raise UnsafeLatex(f"\\{command} needs its colour in braces", pos + 1)
        end = text.find("}", pos)
        if end < 0 or not _COLOUR_ARGUMENT.fullmatch(text, pos + 1, end):
            shown = text[pos + 1 : end if end >= 0 else len(text)][:40]
            raise UnsafeLatex(
                f"the colour argument {{{shown}}} of \\{command} may only hold "
                f"{_COLOUR_CHARACTERS}",
                pos + 2,
            )
        pos = _SPACE.match(text, end + 1).end()
    return pos


def check_colour_commands(text: str) -> None:
    """Raise :class:`UnsafeLatex` for TeX's ``^^`` notation anywhere, or a colour command
    whose arguments hold more than ``[A-Za-z0-9!.,]``: the checks the formula reader makes
    on what it reads, so a file ``check`` accepts is one ``render`` can print."""
    hat = text.find("^^")
    if hat >= 0:
        raise UnsafeLatex("TeX's ^^ notation (^^5c is a backslash to TeX) is not allowed", hat + 1)
    for match in re.finditer(r"\\(%s)(?![A-Za-z])" % "|".join(COLOUR_COMMANDS), text):
        _colour_arguments(text, match.end(), match.group(1))


def check_latex(text: str) -> None:
    """Raise :class:`UnsafeLatex` unless every token of ``text`` is on the allowlist."""
    if not isinstance(text, str):
        raise TypeError(f"LaTeX is a str, not {type(text).__name__}")
    hat = text.find("^^")
    if hat >= 0:
        raise UnsafeLatex("TeX's ^^ notation (^^5c is a backslash to TeX) is not allowed", hat + 1)
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            kind = "non-ASCII" if ord(ch) > 127 else "control"
            raise UnsafeLatex(f"the {kind} character {_describe(ch)} is not allowed", i + 1)
    depth = 0
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "\\":
            word = _WORD.match(text, pos + 1)
            if word is not None:
                name = word.group()
                if name not in ALLOWED_COMMANDS:
                    raise UnsafeLatex(f"\\{name} is not an allowed LaTeX command", pos + 1)
                pos = word.end()
                if name in COLOUR_COMMANDS:
                    pos = _colour_arguments(text, pos, name)
                continue
            symbol = text[pos + 1 : pos + 2]
            if not symbol:
                raise UnsafeLatex("a backslash ends the formula", pos + 1)
            if symbol not in ALLOWED_SYMBOLS:
                raise UnsafeLatex(f"\\{symbol} is not an allowed LaTeX command", pos + 1)
            pos += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise UnsafeLatex("a '}' closes a brace that was never opened", pos + 1)
        elif ch in _FORBIDDEN:
            raise UnsafeLatex(f"{_FORBIDDEN[ch]} is not allowed", pos + 1)
        pos += 1
    if depth:
        raise UnsafeLatex(f"{depth} brace(s) left open", len(text))


def is_safe_latex(text: str) -> bool:
    """Whether :func:`check_latex` accepts ``text``."""
    try:
        check_latex(text)
    except UnsafeLatex:
        return False
    return True


# --------------------------------------------------------------------------- text

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
    "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}  # fmt: skip


def latex_text(text: str) -> str:
    """``text`` escaped for LaTeX text mode: every special character made literal.

    Control characters and line breaks become spaces; a character outside printable
    ASCII becomes '?' (pdfLaTeX has no glyph for most of them).
    """
    out = []
    for ch in text:
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif unicodedata.category(ch)[0] in "CZ":
            out.append(" ")
        else:
            out.append("?")
    return "".join(out)


def _is_break_or_control(ch: str) -> bool:
    """A control character, a line or paragraph separator, or a bidirectional override."""
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI


def latex_comment(text: str) -> str:
    """``text`` as the rest of one ``%`` comment line: no character can end the line."""
    return "".join(" " if _is_break_or_control(ch) else ch for ch in text)


# --------------------------------------------------------------------------- terminal


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_control(ch: str) -> bool:
    """A C0 or C1 control character (newline and tab too), a line or paragraph separator,
    or a bidirectional override."""
    if ch < " " or "\x7f" <= ch <= "\x9f":
        return True
    return ch in _BIDI or ch in "\u2028\u2029"


def _needs_escape(ch: str) -> bool:
    return ch not in "\n\t" and _is_control(ch)


def terminal_text(text: str, *, leading_return: bool = False) -> str:
    r"""``text`` with control characters shown (``\x1b``) instead of obeyed.

    Newlines and tabs pass.  With ``leading_return``, a carriage return at the very start
    passes too (a progress bar redraws its line that way).
    """
    if not any(_needs_escape(ch) for ch in text):
        return text
    start = 1 if leading_return and text.startswith("\r") else 0
    return text[:start] + "".join(_visible(ch) if _needs_escape(ch) else ch for ch in text[start:])


def terminal_name(text: str) -> str:
    r"""``text`` with every control character shown as :func:`terminal_text` shows them
    (``\x1b``), newlines and tabs too: for a file name or another string that must stay
    on its line.

    >>> terminal_name("a\n  verdict: ACCEPTED\tb.toml")
    'a\\x0a  verdict: ACCEPTED\\x09b.toml'
    """
    if not any(_is_control(ch) for ch in text):
        return text
    return "".join(_visible(ch) if _is_control(ch) else ch for ch in text)


def control_character(text: str, *, allow_newlines: bool = False) -> str | None:
    """The first control or line-breaking character of ``text``, described; else None.

    Tabs are allowed, and newlines with ``allow_newlines``.
    """
    for ch in text:
        if ch == "\t" or (allow_newlines and ch == "\n"):
            continue
        if _is_break_or_control(ch):
            return _describe(ch)
    return None
