r"""One display of a document → rows of formulas, with their notes, labels and directives.

A display is cleaned in this order (every step keeps each character's position):

1. ``%`` comments are removed; a comment ``% pgproof: key = value, …`` is a *directive*
   for the row on its line (or, on a line of its own, for the next row); ``% pgproof:
   skip`` leaves the whole display out;
2. macro definitions in it are read and removed, then the author's macros are expanded
   (substitution only, bounded: :mod:`pgproof.latex.macros`);
3. ``aligned``/``split``/``gathered``/``alignedat`` and ``subarray`` wrappers are removed
   (and ``align``, ``equation`` … written inside ``$$`` or ``.. math::``);
4. the display is split into rows at ``\\`` (``\intertext{…}`` also ends a row, and is
   a note of the next one); in each row, ``\label{…}`` names the row's last step,
   ``\tag{…}`` is a note (and a name), ``\text{…}`` (``\textrm``, ``\mbox`` …) is a note of
   the step it follows, ``\nonumber``/``\notag`` and leading ``\therefore``,
   ``\because``, ``\implies`` are dropped, and ``:=``, ``\coloneqq``, ``\triangleq``,
   ``\approx`` are read as ``=`` (whether a step is an estimate is decided by its rule);
5. a row without a top-level ``=`` continues the row before it (a formula broken over
   lines), or, when it is the first, the row after it.

A display is **prose maths** — skipped, and listed in the report — when, notes removed,
it still uses a command of :data:`PROSE_COMMANDS`, which pgproof never reads in a step
(``\arg\max``, ``\ldots``, ``\star``, ``\partial``, ``\propto`` …), or a derivative
``\frac{d}{dx}``: motivation and general identities, not steps.  Any other command
pgproof does not know is an error (a misspelling, ``\nabal``, or an undefined macro,
``\underE`` without its ``\newcommand``): skipping it would hide a step.  A display
without any top-level ``=`` is not a step either.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from pgproof.files.errors import close_matches
from pgproof.latex.macros import (
    Groups,
    MacroError,
    MacroLimit,
    MacroTable,
    expand,
    find_definitions,
)
from pgproof.latex.prescan import KNOWN_COMMANDS
from pgproof.symbolic.names import GREEK

from .extract import Region
from .source import Located

__all__ = ["Directive", "Display", "Row", "clean_display", "top_level"]

#: commands the document reader handles itself (removed or rewritten before parsing)
HANDLED = frozenset((
    "text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "textup", "mbox",
    "intertext", "shortintertext", "label", "tag", "nonumber", "notag", "therefore", "because",
    "implies", "Rightarrow", "Longrightarrow", "approx", "coloneqq", "triangleq",
))  # fmt: skip
#: commands that mark prose maths: what pgproof never reads as a step (any other command it
#: does not know is an error: an undefined macro, most likely)
PROSE_COMMANDS = frozenset((
    "arg", "max", "min", "lim", "sup", "inf", "liminf", "limsup", "argmax", "argmin", "Pr",
    "ldots", "cdots", "dots", "vdots", "ddots", "star", "ast", "partial", "infty", "in", "notin",
    "forall", "exists", "propto", "leq", "geq", "le", "ge", "neq", "ne", "lt", "gt", "ll", "gg",
    "subset", "subseteq", "supset", "cup", "cap", "setminus", "emptyset", "varnothing",
    "mathcal", "mathfrak", "mathscr", "to", "mapsto", "rightarrow", "leftarrow", "gets",
    "det", "exp", "sin", "cos", "tan", "sqrt", "binom", "top", "prime", "dagger", "perp",
    "operatorname", "mathop", "overset", "stackrel", "overline", "underline", "overbrace",
    "underbrace", "vec", "dot", "ddot", "boxed", "equiv", "iff", "langle", "rangle", "Vert",
    "lVert", "rVert", "lvert", "rvert", "pm", "mp", "div", "circ", "otimes", "oplus", "iint",
    "oint", "hline", "phantom", "cases",
))  # fmt: skip
#: most rows of one display (a row is cut at ``\\\\`` or ``\\intertext``; rows without '='
#: continue a step, so a display may hold more rows than the document holds steps)
MAX_ROWS = 2_000
_NOTE_COMMANDS = (
    "text",
    "textrm",
    "textit",
    "textbf",
    "textsf",
    "texttt",
    "textnormal",
    "textup",
    "mbox",
)
_WRAPPERS = re.compile(
    r"\\(?:begin|end)\s*\{(?:aligned|split|gathered|alignedat|subarray|equation|align|"
    r"gather|multline|flalign|eqnarray|alignat|displaymath)\*?\}(?:\s*\{[^{}]*\})?"
)
_CONNECTIVE = re.compile(
    r"^[\s&]*\\(therefore|because|implies|Rightarrow|Longrightarrow)(?![A-Za-z])\s*"
)
_RELATION = re.compile(r":=|\\coloneqq(?![A-Za-z])|\\triangleq(?![A-Za-z])|\\approx(?![A-Za-z])")
_DERIVATIVE = re.compile(r"\\[dt]?frac\s*\{\s*(?:d|\\partial|\\mathrm\s*\{\s*d\s*\})\s*\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_ROW_BREAK = re.compile(r"\\\\\*?(?:\s*\[[^\]]*\])?")


@dataclass
class Directive:
    """A ``% pgproof: …`` comment in a display: its text and where it is."""

    text: str
    pos: int
    #: the offset its row is chosen by (see the module's doc)
    anchor: int
    own_line: bool


@dataclass
class Row:
    """One formula of a display, ready for the grammar."""

    text: Located
    #: indices into ``text`` of the top-level '=' signs
    equals: list[int] = field(default_factory=list)
    #: (offset where the note was written, the note's words)
    notes: list[tuple[int, str]] = field(default_factory=list)
    #: labels the author refers to from a note (``\eqref{…}``), with their offsets
    refs: list[tuple[str, int]] = field(default_factory=list)
    #: ``\label{…}`` and ``\tag{…}`` names of this row, with their offsets
    labels: list[tuple[str, int]] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)
    #: an error was found in the row before parsing (reported already)
    failed: bool = False

    @property
    def first(self) -> int:
        stripped = len(self.text.text) - len(self.text.text.lstrip(" \t\n&"))
        return self.text.at(stripped)


@dataclass
class Display:
    region: Region
    rows: list[Row] = field(default_factory=list)
    #: why the display is not read as steps ("" when it is)
    skipped: str = ""
    #: the display is listed in the report as skipped (prose maths, or skipped by the author)
    listed: bool = False
    #: (message, offset) of the errors found while cleaning it
    errors: list[tuple[str, int]] = field(default_factory=list)
    #: (message, offset) of a limit of the document it exceeds: the reading stops there
    limit: tuple[str, int] | None = None


# --------------------------------------------------------------------------- scanning


def top_level(text: str, char: str, depth: int = 0) -> list[int]:
    """Indices of ``char`` outside braces (and not escaped); ``depth``: the brace depth
    before the text (a text that continues another, whose braces are still open)."""
    found: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == char and depth == 0:
            found.append(i)
        i += 1
    return found


def _comments(content: Located) -> tuple[Located, list[Directive], bool]:
    """Remove ``%`` comments; return (text, directives, skip)."""
    text = content.text
    spans: list[tuple[int, int]] = []
    directives: list[Directive] = []
    skip = False
    pos = 0
    while (k := text.find("%", pos)) >= 0:
        if k and text[k - 1] == "\\" and not (k > 1 and text[k - 2] == "\\"):
            pos = k + 1
            continue
        end = text.find("\n", k)
        end = len(text) if end < 0 else end
        spans.append((k, end))
        body = text[k + 1 : end]
        m = re.match(r"\s*pgproof\s*:", body)
        if m is not None:
            rest = body[m.end() :]
            if rest.strip() == "skip":
                skip = True
            else:
                line_start = text.rfind("\n", 0, k) + 1
                own_line = not text[line_start:k].strip()
                nxt = end
                while nxt < len(text) and text[nxt] in " \t\n":
                    nxt += 1
                anchor = content.at(nxt) if own_line else content.at(k)
                start = k + 1 + m.end() + len(rest) - len(rest.lstrip())
                directives.append(Directive(rest, content.at(start), anchor, own_line))
        pos = end
    return content.without(spans), directives, skip


def _remove_groups(
    row: Located, names: tuple[str, ...] | str
) -> tuple[Located, list[tuple[int, Located, int]]]:
    """Remove ``\\name{…}`` (for each name); return the text and, for each group removed,
    (its index in the new text, its content, the offset of the command)."""
    names = (names,) if isinstance(names, str) else names
    pattern = re.compile(r"\\(" + "|".join(names) + r")\*?(?![A-Za-z])\s*")
    text = row.text
    groups = Groups(text)
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, Located, int]] = []
    pos = 0
    removed = 0
    while (m := pattern.search(text, pos)) is not None:
        if m.start() and text[m.start() - 1] == "\\":
            pos = m.end()
            continue
        end = groups.end(m.end()) if text.startswith("{", m.end()) else -1
        if end < 0:
            pos = m.end()
            continue
        found.append((m.start() - removed, row[m.end() + 1 : end - 1], row.at(m.start())))
        spans.append((m.start(), end))
        removed += end - m.start()
        pos = end
    return row.without(spans), found


def note_refs(note: Located) -> list[tuple[str, int]]:
    r"""The labels a note refers to (``\eqref{x}``, ``\ref{x}``), with their offsets."""
    return [
        (m.group(1).strip(), note.at(m.start()))
        for m in re.finditer(r"\\(?:eq)?ref\s*\{([^{}]*)\}", note.text)
    ]


def _word_of_command(m: re.Match) -> str:
    """A command in a note as text: a Greek letter as itself (``\\theta`` → θ), else a space."""
    name = m.group(1)
    if name in GREEK:
        case = "CAPITAL" if name[0].isupper() else "SMALL"
        try:
            return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
        except KeyError:
            return " "
    return " "


def note_words(raw: str) -> tuple[str, list[str]]:
    r"""The words of a ``\text{…}`` note, and the labels it refers to (``\eqref{x}``)."""
    refs = re.findall(r"\\(?:eq)?ref\s*\{([^{}]*)\}", raw)
    text = re.sub(r"\\eqref\s*\{([^{}]*)\}", r"(\1)", raw)
    text = re.sub(r"\\ref\s*\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = re.sub(r"(?<!\\)\$", "", text)  # inline maths in a note: its words
    text = re.sub(r"\\([A-Za-z]+)\*?", _word_of_command, text)
    text = text.replace("{", "").replace("}", "").replace("~", " ")
    return " ".join(text.split()), [r.strip() for r in refs]


# --------------------------------------------------------------------------- cleaning


def clean_display(region: Region, table: MacroTable) -> Display:
    """Read one display into rows (see the module's doc); errors are collected, not raised."""
    display = Display(region)
    content, directives, skip = _comments(region.content)
    if skip:
        display.skipped, display.listed = "marked % pgproof: skip", True
        return display
    spans = []
    for found in find_definitions(content.text):
        if isinstance(found, MacroLimit):
            display.limit = (found.message, content.at(found.pos))
            return display
        if isinstance(found, MacroError):
            display.errors.append((found.message, content.at(found.pos)))
            continue
        try:
            table.define(found)
        except MacroLimit as error:
            display.limit = (error.message, content.at(error.pos))
            return display
        except MacroError as error:
            display.errors.append((error.message, content.at(error.pos)))
        spans.append((found.start, found.end))
    content = content.without(spans)
    try:
        text, pos = expand(content.text, content.pos, table)
    except MacroError as error:
        display.errors.append((error.message, error.pos))
        return display
    content = Located(text, pos)
    content = content.without([m.span() for m in _WRAPPERS.finditer(content.text)], " ")
    if not content.text.strip():
        display.skipped = "empty"
        return display
    rows = _rows(content, display)
    if display.limit is not None:
        return display
    if not any(top_level(r.text.text, "=") for r in rows):
        display.skipped = "no '='"
        return display
    prose = _prose(rows, display)
    if prose:
        display.skipped, display.listed = prose, True
        return display
    if display.errors:
        return display
    display.rows = _glue(rows)
    for row in display.rows:
        row.equals = top_level(row.text.text, "=")
    _attach(display.rows, directives)
    return display


def _rows(content: Located, display: Display) -> list[Row]:
    """Split at top-level ``\\\\`` and ``\\intertext``; read each row's marks and notes.
    More than :data:`MAX_ROWS` rows are a limit of the document (set on ``display``)."""
    pieces: list[tuple[Located, list[tuple[int, str, int]]]] = []
    carry: list[tuple[int, str, int]] = []  # \intertext notes, for the next row
    text = content.text
    depth = _depths(text)
    cuts: list[tuple[int, int, str | None, int]] = []
    for m in _ROW_BREAK.finditer(text):
        if depth[m.start()] == 0 and not _escaped_break(text, m.start()):
            cuts.append((m.start(), m.end(), None, 0))
    groups = Groups(text)
    for m in re.finditer(r"\\(?:short)?intertext\s*\{", text):
        end = groups.end(m.end() - 1)
        if end > 0 and depth[m.start()] == 0:
            cuts.append((m.start(), end, text[m.end() : end - 1], content.at(m.start())))
    cuts.sort()
    if len(cuts) >= MAX_ROWS:
        display.limit = (
            f"a display of more than {MAX_ROWS:,} rows (the limit): pgproof reads at most "
            f"{MAX_ROWS:,} rows of one display",
            content.at(re.compile(r"\s*").match(text, cuts[MAX_ROWS - 1][1]).end()),
        )
        return []
    last = 0
    for start, end, note, offset in cuts:
        if start < last:
            continue
        pieces.append((content[last:start], carry))
        carry = [(0, note, offset)] if note is not None else []
        last = end
    pieces.append((content[last:], carry))
    rows = []
    for piece, carried in pieces:
        if not piece.text.strip(" \t\n&"):
            if carried and rows:  # an \intertext before an empty last row: keep nothing
                pass
            continue
        rows.append(_row(piece, carried))
    return rows


def _escaped_break(text: str, pos: int) -> bool:
    count = 0
    while pos - count - 1 >= 0 and text[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _depths(text: str) -> list[int]:
    """The brace depth before each character of ``text`` (escaped braces skipped)."""
    out = [0] * (len(text) + 1)
    depth = 0
    i = 0
    while i < len(text):
        out[i] = depth
        ch = text[i]
        if ch == "\\":
            if i + 1 < len(text):
                out[i + 1] = depth
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        i += 1
    out[len(text)] = depth
    return out


def _row(piece: Located, carried: list[tuple[int, str, int]]) -> Row:
    row = Row(piece)
    piece, labels = _remove_groups(piece, "label")
    piece, tags = _remove_groups(piece, "tag")
    piece, notes = _remove_groups(piece, _NOTE_COMMANDS)
    for _, name, offset in labels:
        row.labels.append((name.text.strip(), offset))
    for index, tag, offset in tags:
        words, _ = note_words(tag.text)
        row.labels.append((words, offset))
        if re.search(r"[A-Za-z]{2}", words):
            notes.append((index, tag, offset))
    carried_notes = [(i, Located(t, [o] * len(t)), o) for i, t, o in carried]
    for _, note, offset in sorted(carried_notes + notes, key=lambda n: n[2]):
        words, _ = note_words(note.text)
        if words:
            row.notes.append((offset, words))
        row.refs.extend(note_refs(note))
    spans = [m.span() for m in re.finditer(r"\\(nonumber|notag)(?![A-Za-z])", piece.text)]
    piece = piece.without(spans)
    m = _CONNECTIVE.match(piece.text)
    if m is not None:
        piece = piece.without([(m.start(1) - 1, m.end())])
    for m in reversed(list(_RELATION.finditer(piece.text))):
        word = m.group()
        if word == "\\approx":
            row.readings.append(
                "≈ is read as a claimed relation; whether the step is an estimate (≈) "
                "is decided by its rule"
            )
        piece = piece.replace_span(m.start(), m.end(), "=")
    row.text = piece
    return row


def _prose(rows: list[Row], display: Display) -> str:
    """Why the display is prose maths ("" if it is not).  A command pgproof does not know and
    that does not mark prose is an error (collected on ``display``)."""
    unknown: list[tuple[str, int]] = []
    for row in rows:
        text = row.text.text
        m = _DERIVATIVE.search(text)
        if m is not None:
            return f"a derivative {text[m.start() : m.end()]}…, which pgproof does not read"
        for m in _COMMAND.finditer(text):
            if m.start() and _escaped_break(text, m.start()):
                continue
            name = m.group(1)
            if name in KNOWN_COMMANDS or name in HANDLED:
                continue
            if name in ("begin", "end"):
                env = re.match(r"\\(?:begin|end)\s*\{([^{}]*)\}", text[m.start() :])
                return f"the {env.group(1) if env else '?'} environment is not read by pgproof"
            if name in PROSE_COMMANDS:
                return f"\\{name} is not part of a derivation pgproof reads"
            unknown.append((name, row.text.at(m.start())))
    for name, offset in unknown[:1]:
        close = close_matches(name, KNOWN_COMMANDS, n=1, cutoff=0.8)
        hint = (
            f"did you mean \\{close[0]}?"
            if close
            else f"if it is a macro of yours, define it (\\newcommand{{\\{name}}}… in the "
            "document, or pgproof check --preamble FILE); if this display is not a derivation "
            "step, mark it % pgproof: skip"
        )
        display.errors.append((f"\\{name} is not a command pgproof knows ({hint})", offset))
    return ""


def _glue(rows: list[Row]) -> list[Row]:
    """A row without a top-level '=' joins the row before it (the first joins the next).

    The rows of each joined row are gathered first and merged once (a display of
    thousands of continued rows costs one copy of its text)."""
    groups: list[list[Row]] = []
    pending: list[Row] = []  # leading rows without '=', and the depth their braces leave
    pending_depth = 0
    for row in rows:
        if pending:
            has_equals = bool(top_level(row.text.text, "=", pending_depth))
            group = [*pending, row]
        else:
            has_equals = bool(top_level(row.text.text, "="))
            group = [row]
        if not has_equals:
            if groups and not pending:
                groups[-1].append(row)
            else:
                pending = group
                pending_depth = _depth_after(row.text.text, pending_depth if len(group) > 1 else 0)
            continue
        pending, pending_depth = [], 0
        groups.append(group)
    if pending:
        groups.append(pending)
    return [_merge(group) for group in groups]


def _depth_after(text: str, depth: int = 0) -> int:
    """The brace depth at the end of ``text`` (``depth`` before it), as top_level counts."""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        i += 1
    return depth


def _merge(rows: list[Row]) -> Row:
    """Rows joined into one (with a space between their texts)."""
    if len(rows) == 1:
        return rows[0]
    merged = Row(Located.join([r.text for r in rows], " "))
    merged.readings = list(rows[0].readings)
    seen = set(merged.readings)
    for row in rows:
        merged.notes += row.notes
        merged.refs += row.refs
        merged.labels += row.labels
        if row is not rows[0]:
            added = [r for r in row.readings if r not in seen]
            merged.readings += added
            seen.update(added)
    return merged


def _attach(rows: list[Row], directives: list[Directive]) -> None:
    """Each directive to its row: the row on its line, or the next row (own line).

    "The next row" is the first row (in order) that starts at or after the directive, "the
    row on its line" the last one that starts at or before it; found by bisection in the
    running maxima and minima of the rows' starts (the starts need not be sorted: a macro
    can write its arguments in another order)."""
    if not directives:
        return
    firsts = [r.first for r in rows]
    highest = list(accumulate(firsts, max))  # first index reaching x: first row ≥ x
    lowest = list(accumulate(reversed(firsts), min))[::-1]  # last row ≤ x
    for directive in directives:
        if directive.own_line:
            k = bisect_left(highest, directive.anchor)
            chosen = rows[k] if k < len(rows) else None
        else:
            k = bisect_right(lowest, directive.anchor) - 1
            chosen = rows[k] if k >= 0 else None
        (chosen or rows[-1]).directives.append(directive)
