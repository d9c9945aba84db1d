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
  also inside macros (the column of the call).
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sympy import Basic

from pgproof.files.errors import DerivationFileError, ErrorList
from pgproof.files.labels import LabelError, check_label, resolve
from pgproof.files.read import (
    MAX_NESTING,
    ReadError,
    decode_utf8,
    json_depth,
    read_bytes,
    read_text,
)
from pgproof.files.schema import (
    NOTATION_FIELDS,
    NOTATION_KEYS,
    close_match,
    notation_value,
    toml_hint,
    unknown_rule,
)
from pgproof.latex.macros import MacroError, MacroTable, expand, find_definitions
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

__all__ = ["MAX_STEPS", "load_document"]

#: most steps read from one document
MAX_STEPS = 500
#: most inline formulas read as evidence of the notation
MAX_INLINE = 2_000
#: largest notebook read (outputs make notebooks large)
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


class _OffsetString(str):
    """A JSON string value that remembers the offset of its opening quote."""

    offset: int = 0


def _offset_decoder() -> json.JSONDecoder:
    decoder = json.JSONDecoder()

    def parse_string(text: str, end: int, strict: bool = True) -> tuple[str, int]:
        value, after = json.decoder.scanstring(text, end, strict)
        out = _OffsetString(value)
        out.offset = end - 1
        return out, after

    decoder.parse_string = parse_string  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


def _raw_offsets(raw: str, quote: int, length: int) -> list[int]:
    """For each character of the JSON string whose opening quote is at ``quote``, the
    offset of its first raw character (``\\n``, ``\\\\`` and ``\\uXXXX`` count as one)."""
    out: list[int] = []
    j = quote + 1
    while len(out) < length and j < len(raw):
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
            text = read_text(self.path)
            self.locator = Locator(text)
            return text
        try:
            raw = read_bytes(self.path, MAX_NOTEBOOK_BYTES)
            text = decode_utf8(raw)
        except ReadError as exc:
            raise DerivationFileError(self.name, str(exc)) from None
        if json_depth(raw) > MAX_NESTING:
            raise DerivationFileError(
                self.name, f"arrays or objects nest deeper than {MAX_NESTING}: not a notebook"
            )
        file_locator = Locator(text)
        try:
            data = _offset_decoder().decode(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            column = getattr(exc, "colno", None)
            message = getattr(exc, "msg", "nested too deeply")
            raise DerivationFileError(
                self.name, f"not a notebook (invalid JSON: {message})", line, column
            ) from None
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list):
            raise DerivationFileError(self.name, "not a Jupyter notebook: it has no cells")
        logical: list[str] = []
        raw: list[int] = []
        for cell in cells:
            if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
                continue
            source = cell.get("source", [])
            elements = source if isinstance(source, list) else [source]
            last = 0
            for element in elements:
                if not isinstance(element, str):
                    continue
                start = getattr(element, "offset", 0)
                logical.append(str(element))
                raw.extend(_raw_offsets(text, start, len(element)))
                last = raw[-1] if raw else start
            logical.append("\n\n")  # cells are separate blocks
            raw.extend([last, last])
        text = "".join(logical)
        self.locator = Locator(text, raw, file_locator)
        return text

    def read(self, preamble: str | Path | None) -> Derivation:
        text = self.text()
        kind = "markdown" if self.kind == "notebook" else self.kind
        extracted = extract(text, kind)
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

    def preamble(self, path: Path) -> None:
        """Macros and ``% pgproof:`` front matter from a LaTeX preamble file."""
        try:
            text = read_text(path)
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
            if isinstance(found, MacroError):
                self.error(found.message, at(found.pos), locator=locator, path=path)
                continue
            try:
                self.table.define(found)
            except MacroError as exc:
                self.error(exc.message, at(exc.pos), locator=locator, path=path)

    # ------------------------------------------------------------------ front matter

    def front(self, items: list[FrontItem], locator: Locator, path: str) -> None:
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
                if len(inline) >= MAX_INLINE:
                    continue
                try:
                    text, pos = expand(region.content.text, region.content.pos, self.table)
                except MacroError:
                    continue
                inline.append(Located(text, pos))
                continue
            display = clean_display(region, self.table)
            for message, offset in display.errors:
                self.error(message, offset)
            displays.append(display)
        return displays, inline

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
            for m in reversed(list(pattern.finditer(text.text))):
                text = text.replace_span(m.start(), m.end(), head)
                shown = shown_name(head)
                reading = f"{shown}_{sub} is read as the initial distribution's name {shown}"
                if reading not in readings:
                    readings.append(reading)
        return text, readings

    def integrals(self, row: Row, tau: str) -> None:
        """``\\int_\\tau f`` without a differential (Spinning Up) read as ``\\int f d\\tau``,
        the integrand running to the end of its side (a sum there is an error)."""
        text = row.text
        readings = row.readings
        integral = re.compile(
            r"\\int(?![A-Za-z])\s*_\s*(?:\{\s*" + re.escape(tau) + r"\s*\}|" + re.escape(tau)
            + r"(?![A-Za-z]))"
        )  # fmt: skip
        m = integral.search(text.text)
        while m is not None:
            equals = top_level(text.text, "=")
            end = next((e for e in equals if e > m.end()), len(text.text))
            body = text.text[m.end() : end]
            if re.search(r"(?<![A-Za-z\\])d\s*" + re.escape(tau) + r"(?![A-Za-z])", body):
                m = integral.search(text.text, m.end())
                continue
            if _top_level_sign(body):
                self.error(
                    f"\\int_{{{tau}}} has no differential d{tau} and its integrand is a sum: "
                    f"write d{tau} where the integral ends",
                    text.at(m.start()),
                )
                row.failed = True
                break
            stripped = body.rstrip(" \t\n&.,;")
            close = m.end() + len(stripped)
            text = text.replace_span(close, close, f" d{tau}")
            text = text.replace_span(m.start(), m.end(), "\\int")
            shown = "τ" if tau == "\\tau" else tau
            reading = (
                f"∫_{shown} … is read as ∫ … d{shown}, the integrand running to the end of its side"
            )
            if reading not in readings:
                readings.append(reading)
            m = integral.search(text.text, m.start() + 4)
        row.text = text
        row.equals = top_level(text.text, "=")

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
                    f"more than {MAX_STEPS} steps: pgproof reads at most {MAX_STEPS} steps "
                    "from one document",
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
            try:
                table = tomllib.loads("d = {" + d.text.strip().rstrip(",") + "}")["d"]
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
        positions = [text.at(at) for _, at in links]
        for offset, words in row.notes:
            bad = control_character(words)
            if bad is not None:
                self.error(f"a \\text{{}} note contains the control character {bad}", offset)
                continue
            index = max([n for n, p in enumerate(positions) if p < offset], default=0)
            self.drafts[numbers[index] - 1].notes.append(words)
        for name, offset in row.refs:
            index = max([n for n, p in enumerate(positions) if p < offset], default=0)
            draft = self.drafts[numbers[index] - 1]
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
