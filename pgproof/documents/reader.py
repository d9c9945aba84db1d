r"""A document's display maths → a :class:`~pgproof.symbolic.derivation.Derivation`.

How a document is read (each rule is tested in ``tests/documents``):

* **Displays are steps.**  Every display with a top-level ``=`` is a chain of steps (see
  :mod:`.display` for how a display is cleaned and cut into rows); prose maths and
  displays without ``=`` are skipped, and the skipped ones with ``=`` are listed in the
  report.  Inline maths is never a step.
* **A chain ``a = b = c``** is the steps ``a = b`` and ``= c`` (its left side continued).
  A row that starts with ``=`` (``&= c``) continues the left side of the step before it —
  in the same display or, for a display that starts with ``=``, the one before.  A chain
  whose first link repeats the step before it (``J = E[R] = ∫ p R dτ`` after ``J = E[R]``)
  continues that step, and a middle part that is a lone name (``\nabla J = \hat{g} = …``)
  names the right side: it is declared a constant.
* **Where a step comes from** (its ``from``) when its row has its own left side: the
  first step is from itself; a step that repeats an earlier one restates it (from that
  step); a step whose left side is an earlier step's left side continues the latest such
  step; a step whose left side contains the left side of the step before it (``∇J`` after
  ``J = …``, ``log p`` after ``p = …``: both sides differentiated or logged) comes from
  the step before; anything else is a new statement, from itself (a definition, or a
  lemma such as ``p ∇log p = ∇p``).
* **Hints.**  A ``\text{…}`` note is the step's ``note`` (the checker's hint when the step
  names no rule); ``\eqref{x}`` in a note makes step ``x`` the one the step ``using``;
  ``\label{x}`` names the row's last step.  A ``% pgproof: by = "…", from = "x", using =
  "x", terms = ['…'], factor = '…', note = "…", label = "…"`` comment sets those keys for
  the first step of its row, exactly as in a ``.pgproof.toml`` file.  A step with no
  ``by`` has no rules: the checker finds them.
* **Lines.**  Each step's line is the line of its own text in the document (for a
  continued link, the line of its ``=``); errors carry the document's line and column,
  also inside macros (the column of the call).  CRLF and CR line ends read as LF: a
  file written on Windows is read as its LF twin, with the same lines and columns.
* **Limits.**  At most :data:`MAX_DISPLAYS` displays, :data:`MAX_INLINE` inline formulas,
  :data:`MAX_STEPS` rows read as steps, :data:`MAX_DIRECTIVES` ``% pgproof:`` comments,
  :data:`MAX_FRONT_KEYS` front-matter keys and :data:`MAX_CELLS` notebook cells per
  document (and the macro limits of :mod:`pgproof.latex.macros`): each is counted before
  the work it bounds, and past one the reading stops with one error that names it.
"""

from __future__ import annotations

import contextlib
import json
import json.decoder
import json.scanner
import re
import tomllib
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, NoReturn

from sympy import Basic

from pgproof.files.errors import DerivationFileError, ErrorList
from pgproof.files.labels import LabelError, check_label, resolve
from pgproof.files.read import (
    MAX_DIGITS,
    MAX_FILE_BYTES,
    MAX_NESTING,
    ReadError,
    decode_utf8,
    json_depth,
    json_long_integer,
    json_nesting_line,
    newlines_as_lf,
    read_bytes,
    read_text,
    toml_refusal,
)
from pgproof.files.schema import (
    MAX_STEPS,
    NOTATION_FIELDS,
    NOTATION_KEYS,
    close_match,
    notation_value,
    toml_hint,
    unknown_rule,
)
from pgproof.latex.macros import MacroError, MacroLimit, MacroTable, expand, find_definitions
from pgproof.latex.parser import LatexError, parse_expression, parse_formula
from pgproof.safety import control_character
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.names import canonical
from pgproof.symbolic.notation import Notation

from . import document_kind
from .display import Display, Row, clean_display, top_level
from .extract import Extracted, FrontItem, Region, extract, extract_latex
from .recognise import PRESETS, collect, decide, shown_name, sutton_barto
from .source import Located, Locator

__all__ = [
    "MAX_CELLS",
    "MAX_DIRECTIVES",
    "MAX_DISPLAYS",
    "MAX_FRONT_KEYS",
    "MAX_INLINE",
    "MAX_STEPS",
    "load_document",
]

# Limits of one document, each checked before the work it bounds and across the whole
# document (its preamble file included); past one, the reading stops with one error that
# names the limit.  Each is far above what a write-up needs: the bundled documents have at
# most 13 displays, 19 inline formulas, 3 front-matter keys, 4 macros and 4 % pgproof:
# comments (a long lecture page has a few hundred displays).
#: most displays (prose maths and skipped displays count)
MAX_DISPLAYS = 2_000
#: most inline formulas
MAX_INLINE = 20_000
#: most inline formulas read as evidence of the notation (the first ones; the others are
#: only scanned for macro definitions)
MAX_EVIDENCE = 2_000
#: most cells of a notebook (code cells count)
MAX_CELLS = 5_000
#: most front-matter keys (YAML, ``% pgproof:`` and ``.. pgproof:`` lines)
MAX_FRONT_KEYS = 1_000
#: most ``% pgproof:`` comments in the displays read as steps
MAX_DIRECTIVES = 5_000
#: largest notebook read (outputs make notebooks large; its Markdown cells may hold at most
#: as many characters as a document, MAX_FILE_BYTES)
MAX_NOTEBOOK_BYTES = 20_000_000
#: keys a document's front matter may give
DOCUMENT_KEYS = {"title", "source", "status", "notation"} | NOTATION_KEYS
#: keys of a ``% pgproof:`` directive in a display
DIRECTIVE_KEYS = {"by", "from", "using", "terms", "factor", "note", "label"}
#: spacing left at the end of a step's LaTeX once its note is taken out (``\\quad``)
_TRAILING_SPACE = re.compile(r"(?:\s|&|\\quad|\\qquad|\\[,;:! ])+$")
_ACCENTED = re.compile(
    r"^\s*(\\(?:hat|widehat|bar|tilde|widetilde)\s*(?:\{\s*\\?[A-Za-z]+\s*\}|\\?[A-Za-z]))\s*$"
)


@dataclass
class _Draft:
    """A step before its labels are resolved."""

    lhs: Basic | None
    rhs: Basic
    source: str | int
    offset: int
    latex: str
    readings: list[str]
    rules: tuple[str, ...] = ()
    reference: str | int | None = None
    reference_offset: int = 0
    terms: tuple[Basic, ...] = ()
    factor: Basic | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class _Given:
    """A front-matter value and where it was written."""

    value: Any
    offset: int
    locator: Locator
    path: str


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass
class _Cell:
    """A notebook cell as :func:`_cells` finds it in the JSON text."""

    #: offset of the cell in the JSON text
    offset: int
    #: its "cell_type" (None when it has none, or is not an object)
    kind: Any = None
    #: the strings of its "source", each with the offset of its opening quote
    pieces: list[tuple[str, int]] = field(default_factory=list)


class _Enough(Exception):
    """More cells than :func:`_cells` was asked for: the walk stops."""


def _cells(text: str, limit: int) -> list[_Cell]:
    """The cells of a notebook's JSON ``text`` (valid JSON: it was decoded once already),
    each with where its source strings are; no more than ``limit`` + 1.  Only the two outer
    levels (the notebook, its cells) are walked here; every other value is read past by the
    C scanner of :mod:`json`, so a notebook of large outputs costs what its decoding costs."""
    scan = json.scanner.make_scanner(json.JSONDecoder())
    found: list[_Cell] = []
    if not text.startswith("{", _JSON_SPACE.match(text).end()):
        raise ValueError("not a JSON object")

    def space(i: int) -> int:
        return _JSON_SPACE.match(text, i).end()

    def members(i: int, value: Callable[[str, int], int]) -> int:
        """Read the object at ``i`` (``value(key, i)`` reads a member's value and returns
        the index after it); the index after the object."""
        i = space(i + 1)
        if text[i] == "}":
            return i + 1
        while True:
            key, i = json.decoder.scanstring(text, i + 1)
            i = space(space(i) + 1)  # past the colon
            i = space(value(key, i))
            if text[i] == "}":
                return i + 1
            i = space(i + 1)  # past the comma

    def elements(i: int, element: Callable[[int], int]) -> int:
        """Read the array at ``i`` with ``element``; the index after it."""
        i = space(i + 1)
        if text[i] == "]":
            return i + 1
        while True:
            i = space(element(i))
            if text[i] == "]":
                return i + 1
            i = space(i + 1)

    def skip(i: int) -> int:
        return scan(text, i)[1]

    def string(record: _Cell, i: int) -> int:
        if text[i] != '"':
            return skip(i)
        value, end = json.decoder.scanstring(text, i + 1)
        record.pieces.append((value, i))
        return end

    def cell(i: int) -> int:
        record = _Cell(i)
        found.append(record)
        if len(found) > limit:
            raise _Enough
        if text[i] != "{":
            return skip(i)

        def member(key: str, i: int) -> int:
            if key == "cell_type":
                record.kind, end = scan(text, i)
                return end
            if key != "source":
                return skip(i)
            record.pieces = []  # the last "source" counts, as in a dict
            if text[i] == "[":
                return elements(i, lambda j: string(record, j))
            return string(record, i)

        return members(i, member)

    def top(key: str, i: int) -> int:
        if key != "cells":
            return skip(i)
        found.clear()  # the last "cells" counts
        return elements(i, cell) if text[i] == "[" else skip(i)

    with contextlib.suppress(_Enough):
        members(space(0), top)
    return found


def _as_lf(text: str, raw: list[int]) -> tuple[str, list[int]]:
    """A notebook's logical text with CRLF and CR as LF (the LF keeping its offset)."""
    if "\r" not in text:
        return text, raw
    texts: list[str] = []
    offsets: list[int] = []
    last = 0
    for m in re.finditer(r"\r\n?", text):
        texts.append(text[last : m.start()])
        offsets.extend(raw[last : m.start()])
        texts.append("\n")
        offsets.append(raw[m.end() - 1])
        last = m.end()
    texts.append(text[last:])
    offsets.extend(raw[last:])
    return "".join(texts), offsets


def _raw_offsets(raw: str, quote: int, length: int) -> list[int]:
    """For each character of the JSON string whose opening quote is at ``quote``, the
    offset of its first raw character (``\\n``, ``\\\\`` and ``\\uXXXX`` count as one)."""
    out: list[int] = []
    j = quote + 1
    while len(out) < length and j < len(raw):
        # the plain characters up to the next escape: one raw character each
        stop = min(j + length - len(out), len(raw))
        k = raw.find("\\", j, stop)
        k = stop if k < 0 else k
        out.extend(range(j, k))
        j = k
        if len(out) >= length or j >= len(raw):
            break
        out.append(j)
        if raw[j] == "\\":
            if raw[j + 1 : j + 2] == "u":
                high = raw[j + 2 : j + 6]
                j += 6
                # a surrogate pair is one character of the decoded string
                if high.lower() >= "d800" and high.lower() < "dc00" and raw[j : j + 2] == "\\u":
                    j += 6
            else:
                j += 2
        else:
            j += 1
    out.extend([j] * (length - len(out)))
    return out


class _DocumentReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.kind = document_kind(path) or "markdown"
        self.errors = ErrorList(self.name)
        self.table = MacroTable()
        self.locator = Locator("")
        self.given: dict[str, _Given] = {}
        self.drafts: list[_Draft | None] = []
        self.claims: list[tuple[Basic, Basic] | None] = []
        self.labels: dict[str, int] = {}
        self.fixed: dict[str, str] = {}
        self.label_offsets: dict[str, int] = {}
        self.notes: list[str] = []
        #: front-matter keys, rows read as steps and their % pgproof: comments, so far
        self.front_keys = 0
        self.rows = 0
        self.directives = 0

    # ------------------------------------------------------------------ errors

    def error(
        self,
        message: str,
        offset: int | None = None,
        *,
        locator: Locator | None = None,
        path: str | None = None,
        step: int | None = None,
    ) -> None:
        where = (locator or self.locator).where(offset) if offset is not None else (None, None)
        self.errors.add(message, where[0], where[1], step, path)

    def line(self, offset: int) -> int:
        return self.locator.line(offset)

    # ------------------------------------------------------------------ reading

    def text(self) -> str:
        if self.kind != "notebook":
            text = read_text(self.path, lone_cr=True)
            self.locator = Locator(text)
            return text
        text = self.notebook_json()
        file_locator = Locator(text)
        # the cells are counted before the notebook is decoded (which builds every value)
        try:
            cells: list[_Cell] | None = _cells(text, MAX_CELLS)
        except (ValueError, IndexError, StopIteration):  # not JSON: the decoder says why
            cells = None
        if cells is not None and len(cells) > MAX_CELLS:
            line, column = file_locator.where(cells[MAX_CELLS].offset)
            self.errors.stop(
                f"more than {MAX_CELLS:,} cells (the limit): pgproof reads at most "
                f"{MAX_CELLS:,} cells of one notebook",
                line,
                column,
            )
        self.check_notebook(text)
        if cells is None:  # valid JSON now: the walk does not fail
            cells = _cells(text, MAX_CELLS)
        logical: list[str] = []
        raw: list[int] = []
        size = 0
        for cell in cells:
            if cell.kind != "markdown":
                continue
            size += sum(len(piece) for piece, _ in cell.pieces) + 2
            if size > MAX_FILE_BYTES:
                line, column = file_locator.where(cell.offset)
                self.errors.stop(
                    f"the Markdown cells hold more than {MAX_FILE_BYTES:,} characters (the "
                    "limit of a document)",
                    line,
                    column,
                )
            last = 0
            for element, start in cell.pieces:
                logical.append(element)
                raw.extend(_raw_offsets(text, start, len(element)))
                last = raw[-1] if raw else start
            logical.append("\n\n")  # cells are separate blocks
            raw.extend([last, last])
        text, raw = _as_lf("".join(logical), raw)
        self.locator = Locator(text, raw, file_locator)
        return text

    def notebook_json(self) -> str:
        """A notebook's JSON text (CRLF and CR as LF), its nesting and integers within the
        limits."""
        try:
            text = newlines_as_lf(decode_utf8(read_bytes(self.path, MAX_NOTEBOOK_BYTES)))
        except ReadError as exc:
            raise DerivationFileError(self.name, str(exc)) from None
        raw = text.encode("utf-8")
        depth = json_depth(raw)
        if depth > MAX_NESTING:
            self.errors.stop(
                f"arrays or objects nest {depth:,} deep (the limit is {MAX_NESTING}): "
                "not a notebook",
                json_nesting_line(raw),
            )
        long = json_long_integer(raw)
        if long is not None:
            digits, line = long
            self.errors.stop(
                f"an integer of {digits:,} digits (the limit is {MAX_DIGITS:,}): not a notebook",
                line,
            )
        return text

    def check_notebook(self, text: str) -> None:
        """Refuse a notebook's JSON ``text`` that is not JSON, or not an object with cells."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            column = getattr(exc, "colno", None)
            message = getattr(exc, "msg", "nested too deeply, or an integer too long")
            raise DerivationFileError(
                self.name, f"not a notebook (invalid JSON: {message})", line, column
            ) from None
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list):
            raise DerivationFileError(self.name, "not a Jupyter notebook: it has no cells")

    def read(self, preamble: str | Path | None) -> Derivation:
        with self.errors.reading():
            return self.read_all(preamble)

    def read_all(self, preamble: str | Path | None) -> Derivation:
        text = self.text()
        kind = "markdown" if self.kind == "notebook" else self.kind
        extracted = extract(text, kind)
        self.count_regions(extracted)
        for message, offset in extracted.errors:
            self.error(message, offset)
        if preamble is not None:
            self.preamble(Path(preamble))
        self.front(extracted.front, self.locator, self.name)
        displays, inline = self.maths(extracted)
        skipped = [d for d in displays if d.listed]
        for d in skipped:
            self.notes.append(
                f"skipped: the display at line {self.line(d.region.start)} ({d.skipped})"
            )
        steps_displays = [d for d in displays if d.rows]
        notation = self.notation(steps_displays, inline)
        if notation is not None:
            self.steps(steps_displays, notation)
        if notation is not None and not self.drafts and not self.errors:
            self.error(
                "no derivation here: no display with an '=' was read as steps (pgproof reads "
                "\\[…\\], $$…$$ and the equation, align and gather environments"
                + (", .. math:: directives" if kind == "rst" else "")
                + f"; {len(skipped)} display(s) were skipped as prose maths)"
            )
        self.errors.raise_if_any()
        return self.derivation(extracted, notation)

    def count_regions(self, extracted: Extracted) -> None:
        """Refuse a document of more than :data:`MAX_DISPLAYS` displays or
        :data:`MAX_INLINE` inline formulas, before any is read."""
        for kind, limit, what in (
            ("display", MAX_DISPLAYS, "displays"),
            ("inline", MAX_INLINE, "inline formulas"),
        ):
            regions = [r for r in extracted.regions if r.kind == kind]
            if len(regions) > limit:
                self.stop(
                    f"more than {limit:,} {what} (the limit): pgproof reads at most {limit:,} "
                    f"{what} of one document",
                    regions[limit].start,
                )

    def stop(
        self, message: str, offset: int, locator: Locator | None = None, path: str | None = None
    ) -> NoReturn:
        """End the reading at a limit of the document (the error at ``offset`` of the
        document, or of the file ``path`` located by ``locator``)."""
        line, column = (locator or self.locator).where(offset)
        self.errors.stop(message, line, column, path)

    def preamble(self, path: Path) -> None:
        """Macros and ``% pgproof:`` front matter from a LaTeX preamble file."""
        try:
            text = read_text(path, lone_cr=True)
        except DerivationFileError as exc:
            self.errors.add(f"--preamble: {exc.message}", path=str(path))
            return
        locator = Locator(text)
        extracted = extract_latex(text)
        for message, offset in extracted.errors:
            self.error(message, offset, locator=locator, path=str(path))
        pieces = [(start, text, None) for start, text in extracted.preamble]
        pieces += [(r.start, r.content.text, r.content) for r in extracted.regions]
        for start, text, located in sorted(pieces, key=lambda p: p[0]):
            self.define(text, located.at if located else start.__add__, locator, str(path))
        self.front(extracted.front, locator, str(path))

    def define(
        self,
        text: str,
        at: Callable[[int], int],
        locator: Locator | None = None,
        path: str | None = None,
    ) -> None:
        """Read the macro definitions of ``text`` (``at`` maps its indices to offsets)."""
        if "\\" not in text:
            return
        for found in find_definitions(text):
            if isinstance(found, MacroLimit):
                self.stop(found.message, at(found.pos), locator, path)
            if isinstance(found, MacroError):
                self.error(found.message, at(found.pos), locator=locator, path=path)
                continue
            try:
                self.table.define(found)
            except MacroLimit as exc:
                self.stop(exc.message, at(exc.pos), locator, path)
            except MacroError as exc:
                self.error(exc.message, at(exc.pos), locator=locator, path=path)

    # ------------------------------------------------------------------ front matter

    def front(self, items: list[FrontItem], locator: Locator, path: str) -> None:
        self.front_keys += len(items)
        if self.front_keys > MAX_FRONT_KEYS:
            item = items[len(items) - (self.front_keys - MAX_FRONT_KEYS)]
            self.stop(
                f"more than {MAX_FRONT_KEYS:,} front-matter keys (the limit): pgproof reads at "
                f"most {MAX_FRONT_KEYS:,} from one document",
                item.key_pos,
                locator,
                path,
            )
        for item in items:
            key = item.key
            if key not in DOCUMENT_KEYS:
                close = close_match(key, DOCUMENT_KEYS)
                if key in DIRECTIVE_KEYS:
                    self.error(
                        f"{key} is a key of a step, not of the document: write the "
                        "% pgproof: comment inside the display of the step it is about",
                        item.key_pos,
                        locator=locator,
                        path=path,
                    )
                elif item.namespaced or close:
                    self.error(
                        f"unknown front-matter key {key!r}{close} (pgproof reads: "
                        f"{', '.join(sorted(DOCUMENT_KEYS))})",
                        item.key_pos,
                        locator=locator,
                        path=path,
                    )
                continue
            try:
                value = self.front_value(key, item.value)
            except ValueError as exc:
                self.error(str(exc), item.value_pos, locator=locator, path=path)
                continue
            self.given[key] = _Given(value, item.value_pos, locator, path)

    @staticmethod
    def front_value(key: str, raw: str) -> Any:
        refusal = toml_refusal(f"v = {raw}")
        if refusal is not None:
            raise ValueError(f"{key}: {refusal[0]}")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError as exc:
            if raw[:1] in "\"'[{":
                message = str(exc).split(" (at line")[0]
                hint = toml_hint(message, f"{key} = {raw}")
                raise ValueError(f"{key}: cannot read the value {raw!r}: {message}{hint}") from None
            value = raw.split(" #")[0].strip()
        if key in ("title", "source", "status", "notation"):
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string, not {value!r}")
            bad = control_character(value)
            if bad is not None:
                raise ValueError(f"{key} contains the control character {bad}")
            if key == "status" and value not in ("complete", "unfinished"):
                raise ValueError('status must be "complete" or "unfinished"')
            if key == "notation" and value not in PRESETS:
                raise ValueError(
                    f"notation {value!r} is not a notation pgproof knows"
                    f"{close_match(value, set(PRESETS))}"
                    f" (known: {', '.join(sorted(PRESETS))}; or give the keys one by one)"
                )
            return value
        return notation_value(key, value)

    # ------------------------------------------------------------------ maths

    def maths(self, extracted: Extracted) -> tuple[list[Display], list[Located]]:
        """Every region in document order, macros defined and expanded as they come."""
        events: list[tuple[int, int, Any]] = [(r.start, 1, r) for r in extracted.regions]
        events += [(start, 0, text) for start, text in extracted.preamble if text.strip()]
        displays: list[Display] = []
        inline: list[Located] = []
        for start, kind, item in sorted(events, key=lambda e: (e[0], e[1])):
            if kind == 0:
                self.define(item, start.__add__)
                continue
            region: Region = item
            if region.kind == "inline":
                self.define(region.content.text, region.content.at)
                if len(inline) >= MAX_EVIDENCE:
                    continue
                try:
                    text, pos = expand(region.content.text, region.content.pos, self.table)
                except MacroError:
                    continue
                inline.append(Located(text, pos))
                continue
            display = clean_display(region, self.table)
            if display.limit is not None:
                self.stop(*display.limit)
            for message, offset in display.errors:
                self.error(message, offset)
            self.count_rows(display)
            displays.append(display)
        return displays, inline

    def count_rows(self, display: Display) -> None:
        """Refuse more than :data:`MAX_STEPS` rows read as steps (each is a step at least)
        or :data:`MAX_DIRECTIVES` ``% pgproof:`` comments in them, before any is parsed."""
        for row in display.rows:
            self.rows += 1
            if self.rows > MAX_STEPS:
                self.stop(
                    f"more than {MAX_STEPS} rows with '=' (the limit): pgproof reads at most "
                    f"{MAX_STEPS} steps from one document",
                    row.first,
                )
            self.directives += len(row.directives)
            if self.directives > MAX_DIRECTIVES:
                extra = self.directives - MAX_DIRECTIVES
                self.stop(
                    f"more than {MAX_DIRECTIVES:,} % pgproof: comments (the limit): pgproof "
                    f"reads at most {MAX_DIRECTIVES:,} in one document",
                    row.directives[len(row.directives) - extra].pos,
                )

    # ------------------------------------------------------------------ notation

    def notation(self, displays: list[Display], inline: list[Located]) -> Notation | None:
        given = {NOTATION_FIELDS[k].name: g.value for k, g in self.given.items()
                 if k in NOTATION_FIELDS}  # fmt: skip
        if "notation" in self.given:
            given["notation"] = self.given["notation"].value
        for display in displays:
            for row in display.rows:
                where = sutton_barto(row.text)
                if where is not None:
                    self.error(
                        "this formula is in Sutton & Barto's notation (μ(s), q_π(s, a)): the "
                        "policy-gradient theorem in its state-distribution form, ∇J(θ) ∝ "
                        "Σ_s μ(s) Σ_a q_π(s,a) ∇π(a|s,θ). pgproof reads trajectory "
                        "derivations (p_θ(τ), π_θ(a_t|s_t), R(τ), as in CS285 and Spinning "
                        "Up); mark this display % pgproof: skip to leave it out",
                        where,
                    )
                    display.rows = []
                    break
        names = {
            "trajectory": given.get("trajectory", "tau"),
            "parameter": given.get("parameter", "theta"),
            "time_index": given.get("time_index", "t"),
        }
        for display in displays:
            for row in display.rows:
                self.integrals(row, canonical(names["trajectory"]))
        rows = [row.text for d in displays for row in d.rows]
        evidence = collect(rows, inline, names)
        decision = decide(evidence, given, self.line)
        for message, offset in decision.errors:
            self.error(message, offset)
        fields = decision.fields
        constants = list(fields.get("constants", ()))
        for name in self.chain_constants(displays, fields):
            if name not in constants:
                constants.append(name)
        if constants:
            fields["constants"] = tuple(constants)
        if decision.errors:
            return None
        try:
            notation = Notation(**fields)
        except (TypeError, ValueError) as exc:
            self.error(
                f"the notation read from this document is not usable: {exc}; give it in the "
                "front matter (the keys of a .pgproof.toml file's [notation] table)",
                rows[0].at(0) if rows else 0,
            )
            return None
        self.notes.insert(0, decision.description)
        self.fixed = decision.fixed_subscripts
        return notation

    @staticmethod
    def chain_constants(displays: list[Display], fields: dict[str, Any]) -> list[str]:
        """Lone accented names in the middle of a chain (``∇J = \\hat{g} = …``)."""
        taken = {canonical(str(v)) for v in fields.values() if isinstance(v, str)}
        found: list[str] = []
        for display in displays:
            for row in display.rows:
                text = row.text.text
                cuts = [-1, *row.equals, len(text)]
                middles = [text[cuts[j] + 1 : cuts[j + 1]] for j in range(1, len(cuts) - 2)]
                for middle in middles:
                    m = _ACCENTED.match(middle)
                    if m is None:
                        continue
                    name = re.sub(r"\s+", "", m.group(1))
                    if re.fullmatch(r"\\[A-Za-z]+[A-Za-z\\]", name):  # \hat g → \hat{g}
                        head = re.match(r"\\[A-Za-z]+", name).group()
                        name = f"{head}{{{name[len(head) :]}}}"
                    if canonical(name) not in taken and name not in found:
                        found.append(name)
        return found

    # ------------------------------------------------------------------ rewrites

    def rewrite(self, row: Row, notation: Notation) -> tuple[Located, list[str]]:
        """A reading of the document's convention for ρ₀: a fixed subscript as a name."""
        text = row.text
        readings: list[str] = []
        for head, sub in self.fixed.items():
            pattern = re.compile(
                re.escape(head) + r"(?![A-Za-z])\s*_\s*(?:\{\s*" + sub + r"\s*\}|" + sub + ")"
            )
            spans = [m.span() for m in pattern.finditer(text.text)]
            if spans:
                text = text.edited([(start, end, head) for start, end in spans])
                shown = shown_name(head)
                readings.append(f"{shown}_{sub} is read as the initial distribution's name {shown}")
        return text, readings

    def integrals(self, row: Row, tau: str) -> None:
        """``\\int_\\tau f`` without a differential (Spinning Up) read as ``\\int f d\\tau``,
        the integrand running to the end of its side (a sum there is an error).

        In each side (between top-level ``=``), the first such integral whose integrand has
        no ``d\\tau`` is rewritten (the later ones then have it); one pass over the row."""
        text = row.text.text
        integral = re.compile(
            r"\\int(?![A-Za-z])\s*_\s*(?:\{\s*" + re.escape(tau) + r"\s*\}|" + re.escape(tau)
            + r"(?![A-Za-z]))"
        )  # fmt: skip
        differential = re.compile(r"(?<![A-Za-z\\])d\s*" + re.escape(tau) + r"(?![A-Za-z])")
        found = list(integral.finditer(text))
        if not found:
            row.equals = top_level(text, "=")
            return
        sides = [*top_level(text, "="), len(text)]
        edits: list[tuple[int, int, str]] = []
        k = 0
        for side_end in sides:
            in_side = []
            while k < len(found) and found[k].end() <= side_end:
                in_side.append(found[k])
                k += 1
            if not in_side:
                continue
            last = max(
                (d.start() for d in differential.finditer(text, in_side[0].end(), side_end)),
                default=-1,
            )
            m = next((m for m in in_side if m.end() > last), None)
            if m is None:  # every integrand has its differential
                continue
            body = text[m.end() : side_end]
            if _top_level_sign(body):
                self.error(
                    f"\\int_{{{tau}}} has no differential d{tau} and its integrand is a sum: "
                    f"write d{tau} where the integral ends",
                    row.text.at(m.start()),
                )
                row.failed = True
                break
            close = m.end() + len(body.rstrip(" \t\n&.,;"))
            edits += [(close, close, f" d{tau}"), (m.start(), m.end(), "\\int")]
        if edits:
            shown = "τ" if tau == "\\tau" else tau
            reading = (
                f"∫_{shown} … is read as ∫ … d{shown}, the integrand running to the end of its side"
            )
            if reading not in row.readings:
                row.readings.append(reading)
            row.text = row.text.edited(edits)
        row.equals = top_level(row.text.text, "=")

    # ------------------------------------------------------------------ steps

    def steps(self, displays: list[Display], notation: Notation) -> None:
        for display in displays:
            built: list[int] = []
            for row in display.rows:
                built.extend(self.row(row, notation))
            region = display.region
            if region.label and built:
                self.add_label(region.label, built[-1], region.label_pos)
            if len(self.drafts) > MAX_STEPS:
                self.error(
                    f"more than {MAX_STEPS} steps (the limit): pgproof reads at most "
                    f"{MAX_STEPS} steps from one document",
                    region.start,
                )
                return
        self.resolve()

    def add_label(self, name: str, number: int, offset: int) -> None:
        try:
            name = check_label(name)
        except LabelError as exc:
            self.error(str(exc), offset)
            return
        if name in self.labels and self.labels[name] != number:
            self.error(
                f"the label {name!r} is already step {self.labels[name]}'s (line "
                f"{self.line(self.label_offsets[name])}): labels must differ",
                offset,
            )
            return
        self.labels[name] = number
        self.label_offsets[name] = offset

    def directive(self, row: Row, notation: Notation) -> dict[str, tuple[Any, int]]:
        """The keys of the row's ``% pgproof:`` comments, with their offsets."""
        keys: dict[str, tuple[Any, int]] = {}
        for d in row.directives:
            source = "d = {" + d.text.strip().rstrip(",") + "}"
            refusal = toml_refusal(source)
            if refusal is not None:
                self.error(f"cannot read the % pgproof: comment: {refusal[0]}", d.pos)
                continue
            try:
                table = tomllib.loads(source)["d"]
            except tomllib.TOMLDecodeError as exc:
                message = str(exc).split(" (at line")[0]
                hint = toml_hint(message, "x = " + d.text.strip())
                self.error(f"cannot read the % pgproof: comment: {message}{hint}", d.pos)
                continue
            for key, value in table.items():
                if key not in DIRECTIVE_KEYS:
                    self.error(
                        f"unknown key {key!r}{close_match(key, DIRECTIVE_KEYS)} in a % pgproof: "
                        f"comment (known: {', '.join(sorted(DIRECTIVE_KEYS))})",
                        d.pos,
                    )
                    continue
                keys[key] = (value, d.pos)
        return keys

    def row(self, row: Row, notation: Notation) -> list[int]:
        """Read one row into steps; return their numbers."""
        text, readings = self.rewrite(row, notation)
        keys = self.directive(row, notation)
        if row.failed:
            self.claims.append(None)
            self.drafts.append(None)
            return []
        try:
            parts = parse_formula(text.text, notation)
        except LatexError as exc:
            self.error(exc.message, text.at(exc.column - 1))
            self.claims.append(None)
            self.drafts.append(None)
            return []
        equals = top_level(text.text, "=")
        if len(equals) != len(parts) - 1:
            equals = [0] * (len(parts) - 1)
        first = parts[0]
        names = {notation.constant(c) for c in notation.constants}
        links = [
            (expr, equals[j])
            for j, expr in enumerate(parts[1:])
            if not (j < len(parts) - 2 and expr in names)
        ]
        previous = self.claims[-1] if self.claims else None
        if (
            len(links) >= 2
            and previous is not None
            and links[0][0] == previous[1]
            and first in (None, previous[0])
        ):
            first, links = None, links[1:]
        if not links:
            self.error("a step needs a right side after '='", text.at(0))
            return []
        numbers: list[int] = []
        for j, (rhs, at) in enumerate(links):
            k = len(self.drafts) + 1
            lhs = first if j == 0 else None
            source: str | int = "previous"
            if j == 0 and "from" in keys:
                value, where = keys["from"]
                try:
                    source = (
                        value
                        if value in ("previous", "self")
                        else resolve(value, k, self.labels, "from")
                    )
                except LabelError as exc:
                    self.error(str(exc), where)
                    source = "previous"
            elif j == 0 and lhs is not None:
                source = self.source_of(lhs, rhs, k)
            if lhs is None and source in ("previous",) and not self.claims:
                self.error(
                    "the document's first step starts with '=': what is its left side?",
                    text.at(at),
                )
                return numbers
            resolved = self.resolved_lhs(lhs, source)
            self.claims.append(None if resolved is None else (resolved, rhs))
            after = links[j + 1][1] if j + 1 < len(links) else len(text.text)
            latex = text.text[:after] if j == 0 else text.text[at:after]
            offset = row.first if (j == 0 and lhs is not None) else text.at(at)
            latex = _TRAILING_SPACE.sub("", latex).strip()
            draft = _Draft(lhs, rhs, source, offset, latex, list(parts.readings))
            for reading in readings + row.readings:
                if reading not in draft.readings:
                    draft.readings.append(reading)
            self.drafts.append(draft)
            numbers.append(k)
        link_before = _LastBefore([text.at(at) for _, at in links])
        for offset, words in row.notes:
            bad = control_character(words)
            if bad is not None:
                self.error(f"a \\text{{}} note contains the control character {bad}", offset)
                continue
            self.drafts[numbers[link_before(offset)] - 1].notes.append(words)
        for name, offset in row.refs:
            draft = self.drafts[numbers[link_before(offset)] - 1]
            if draft.reference is None:
                draft.reference, draft.reference_offset = name, offset
        for name, offset in row.labels:
            self.add_label(name, numbers[-1], offset)
        self.apply(keys, numbers[0], notation)
        return numbers

    def source_of(self, lhs: Basic, rhs: Basic, k: int) -> str | int:
        """Where a step with its own left side comes from (see the module's doc)."""
        if not self.claims:
            return "self"

        def named(n: int) -> str | int:
            return "previous" if n == k - 1 else n

        for n in range(len(self.claims), 0, -1):
            if self.claims[n - 1] == (lhs, rhs):
                return named(n)
        for n in range(len(self.claims), 0, -1):
            claim = self.claims[n - 1]
            if claim is not None and claim[0] == lhs:
                return named(n)
        for n in range(len(self.claims), 0, -1):
            claim = self.claims[n - 1]
            if claim is None or claim[0].is_Atom or claim[0] == lhs:
                continue
            if lhs.has(claim[0]):
                return named(n)
        return "self"

    def resolved_lhs(self, lhs: Basic | None, source: str | int) -> Basic | None:
        if lhs is not None:
            return lhs
        if isinstance(source, int):
            claim = self.claims[source - 1] if 1 <= source <= len(self.claims) else None
        else:
            claim = self.claims[-1] if self.claims else None
        return None if claim is None else claim[0]

    def apply(self, keys: dict[str, tuple[Any, int]], number: int, notation: Notation) -> None:
        """A row's ``% pgproof:`` keys, on its first step."""
        draft = self.drafts[number - 1]
        if draft is None:
            return
        if "label" in keys:
            value, where = keys["label"]
            self.add_label(value if isinstance(value, str) else repr(value), number, where)
        if "by" in keys:
            value, where = keys["by"]
            rules = [value] if isinstance(value, str) else value
            if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
                self.error("by must be a rule name or a list of rule names", where)
            else:
                for name in rules:
                    message = unknown_rule(name)
                    if message is not None:
                        self.error(message, where)
                draft.rules = tuple(rules)
        if "using" in keys:
            draft.reference, draft.reference_offset = keys["using"]
        if "note" in keys:
            value, where = keys["note"]
            if not isinstance(value, str) or control_character(value) is not None:
                self.error("note must be a string of printable text", where)
            else:
                draft.notes.append(value)
        for key in ("terms", "factor"):
            if key not in keys:
                continue
            value, where = keys[key]
            values = value if key == "terms" else [value]
            if not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
                self.error(
                    f"{key} must be "
                    + ("a list of LaTeX strings" if key == "terms" else "a LaTeX string"),
                    where,
                )
                continue
            parsed = []
            for latex in values:
                try:
                    expanded, _ = expand(latex, [where] * len(latex), self.table)
                    parsed.append(parse_expression(expanded, notation))
                except (MacroError, LatexError) as exc:
                    self.error(f"{key}: {exc.message}", where)
            if len(parsed) == len(values):
                if key == "terms":
                    draft.terms = tuple(parsed)
                else:
                    draft.factor = parsed[0]

    def resolve(self) -> None:
        """``using`` labels (from \\eqref or a comment) → step numbers."""
        for k, draft in enumerate(self.drafts, start=1):
            if draft is None or draft.reference is None or isinstance(draft.reference, int):
                if draft is not None and isinstance(draft.reference, bool):
                    self.error(
                        "using must be a step number or a step's label", draft.reference_offset
                    )
                continue
            try:
                draft.reference = resolve(draft.reference, k, self.labels, "using")
            except LabelError as exc:
                self.error(str(exc), draft.reference_offset)

    # ------------------------------------------------------------------ the derivation

    def derivation(self, extracted: Extracted, notation: Notation) -> Derivation:
        title = self.given["title"].value if "title" in self.given else extracted.title
        if title is not None and control_character(title) is not None:
            self.error(
                f"the title contains the control character {control_character(title)}",
                extracted.title_pos,
            )
            self.errors.raise_if_any()
        title = title or self.path.name
        source = self.given["source"].value if "source" in self.given else self.path.name
        status = self.given["status"].value if "status" in self.given else "complete"
        steps = []
        for draft in self.drafts:
            assert draft is not None  # errors were raised
            steps.append(
                Step(
                    rhs=draft.rhs,
                    rules=draft.rules,
                    lhs=draft.lhs,
                    source=draft.source,
                    reference=draft.reference,
                    terms=draft.terms,
                    factor=draft.factor,
                    note="; ".join(draft.notes),
                    latex=draft.latex,
                    line=self.line(draft.offset),
                    readings=tuple(draft.readings),
                )
            )
        return Derivation(
            title=title,
            source=source,
            notation=notation,
            steps=tuple(steps),
            unfinished=status == "unfinished",
            file=self.name,
            notes=tuple(self.notes),
        )


class _LastBefore:
    """For offsets in a row: the last link (by its index) written before it, 0 if none:
    ``max(n for n, p in enumerate(positions) if p < offset)`` in logarithmic time (a row
    may hold thousands of notes)."""

    def __init__(self, positions: list[int]) -> None:
        order = sorted(range(len(positions)), key=positions.__getitem__)
        self.sorted = [positions[n] for n in order]
        self.latest = list(accumulate(order, max))

    def __call__(self, offset: int) -> int:
        k = bisect_left(self.sorted, offset)
        return self.latest[k - 1] if k else 0


def _top_level_sign(body: str) -> bool:
    """Whether ``body`` has a ``+`` or ``-`` outside every bracket (a sum of terms)."""
    depth = 0
    for k, ch in enumerate(body):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "+-" and depth == 0 and body[:k].strip():
            return True
    return False


def load_document(path: str | Path, preamble: str | Path | None = None) -> Derivation:
    """Read a document (``.tex``, ``.md``, ``.rst``, ``.ipynb``) as a derivation.

    Raises :class:`~pgproof.files.errors.DerivationFileError` (one error) or
    :class:`~pgproof.files.errors.DerivationFileErrors` (all of the document's errors)."""
    path = Path(path)
    reader = _DocumentReader(path)
    return reader.read(preamble)
