"""The ``*.pgproof.toml`` schema: TOML metadata and LaTeX steps → :class:`Derivation`.

A file is data. It is read with ``tomllib`` and its formulas with pgproof's
LaTeX grammar; nothing in it is ever executed or handed to ``sympify``::

    title = "Deriving Policy Gradient"
    source = "000_f89af4cbc279160f.txt"
    status = "complete"                  # or "unfinished"

    [notation]                           # the author's symbols (see Notation)
    horizon = "T"
    first_index = 1

    [expect]                             # optional: a wrong derivation
    rejected_at = 10
    reason = "depends on θ"

    [[step]]
    formula = 'J(\\theta) = E_{\\tau \\sim p_{\\theta}(\\tau)}[r(\\tau)]'
    by = "definition"                    # a rule name, or a list applied in order
    from = "self"                        # "previous" (default), "self" or a step number
    using = 3                            # the step `substitute` uses
    terms = ['\\log p(\\mathbf{s}_1)']   # terms the author says are free of θ
    factor = 'p_\\theta(\\tau)'          # what multiply_divide multiplies by

A step may carry ``label = "logtrick"``; ``from`` and ``using`` then name it by its label
as well as by its number (labels are resolved to numbers here).

Errors name the file, the line, the step, the column and what is wrong, and every error
of a file is reported in one run: the reader recovers at the next key and the next step
(and, when the TOML itself is broken, at the next table), up to
:data:`~pgproof.files.errors.MAX_ERRORS`.  Before ``tomllib`` reads the file, its nesting,
its integers' digits and its ``[[step]]`` headers are counted: a file nested deeper than
32, with an integer of more than 4,000 digits or with more than
:data:`~pgproof.files.schema.MAX_STEPS` steps (a document's limit too) is refused with
one error naming the line.  Text that is printed later
(title, source, notes, reasons, rule and notation names) is checked here: no control
characters (an ANSI escape, a carriage return) in any of it, and notation names that pass
:func:`pgproof.safety.check_latex`, since they are printed as LaTeX.

A document (``.tex``, ``.md``, ``.rst``, ``.ipynb``) is read by :mod:`pgproof.documents`;
:func:`load_derivation` sends it there.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sympy import Basic

from pgproof.latex.parser import LatexError, parse_expression, parse_formula
from pgproof.safety import control_character
from pgproof.symbolic.derivation import Derivation, ExpectedRejection, Step
from pgproof.symbolic.notation import Notation

from . import SUFFIX
from .chains import ChainError, chain_sides
from .errors import DerivationFileError, ErrorList
from .labels import LabelError, check_label, resolve
from .lines import FileLines
from .read import read_text, toml_refusal
from .schema import (
    BASIC_STRING,
    MAX_STEPS,
    NOTATION_FIELDS,
    NOTATION_KEYS,
    close_match,
    notation_value,
    toml_hint,
    unknown_rule,
)

__all__ = ["SUFFIX", "derivation_files", "load_derivation"]


TOP_KEYS = {"title", "source", "status", "notation", "expect", "step", "notes"}
STEP_KEYS = {"formula", "by", "from", "using", "terms", "factor", "note", "label"}


class _Reader:
    """Turns the parsed TOML tables into a Derivation; every error is collected."""

    def __init__(self, path: Path, lines: FileLines, errors: ErrorList) -> None:
        self.path = str(path)
        self.where = lines
        self.errors = errors
        self.last: tuple[Basic | None, Basic] | None = None  # the previous step's (lhs, rhs)

    def fail(
        self,
        message: str,
        step: int | None = None,
        column: int | None = None,
        line: int | None = None,
    ) -> DerivationFileError:
        if line is None and step is not None:
            line = self.where.step_line(step)
        return DerivationFileError(self.path, message, line, column, step)

    def report(self, message: str, **where: Any) -> None:
        self.errors.append(self.fail(message, **where))

    def attempt(self, function: Callable[..., Any], *args: Any, **kw: Any) -> tuple[bool, Any]:
        """(True, value), or (False, None) with the error collected."""
        try:
            return True, function(*args, **kw)
        except DerivationFileError as exc:
            self.errors.append(exc)
            return False, None

    def key_line(self, key: str) -> int | None:
        return self.where.key_line(key)

    def step_key_line(self, k: int, key: str) -> int | None:
        """Where an error about step k's ``key`` is reported: the step's line (its
        ``formula =``), so that every error of a step names the same place."""
        return self.where.step_line(k)

    def text(
        self,
        value: Any,
        what: str,
        *,
        line: int | None = None,
        step: int | None = None,
        multiline: bool = False,
    ) -> str:
        """``value`` as printable text: a string without control characters."""
        if not isinstance(value, str):
            raise self.fail(f"{what} must be a string, not {value!r}", step=step, line=line)
        bad = control_character(value, allow_newlines=multiline)
        if bad is not None:
            raise self.fail(f"{what} contains the control character {bad}", step=step, line=line)
        return value

    def notation(self, table: Any) -> Notation | None:
        """The notation, or None when it is unusable (its errors collected)."""
        if table is None:
            return Notation()
        if not isinstance(table, dict):
            self.report("[notation] must be a table", line=self.key_line("notation"))
            return None
        usable = True
        for key in sorted(set(table) - NOTATION_KEYS):
            usable = False
            self.report(
                f"unknown notation key {key!r}{close_match(key, NOTATION_KEYS)} "
                f"(known: {', '.join(sorted(NOTATION_KEYS))})",
                line=self.key_line(key),
            )
        kwargs: dict[str, Any] = {}
        for key, f in NOTATION_FIELDS.items():
            if key not in table:
                continue
            try:
                kwargs[f.name] = notation_value(key, table[key])
            except ValueError as exc:
                usable = False
                self.report(str(exc), line=self.key_line(key))
        if not usable:
            return None
        try:
            return Notation(**kwargs)
        except ValueError as exc:
            self.report(f"notation: {exc}", line=self.key_line("notation"))
            return None

    def expected(self, table: Any) -> ExpectedRejection | None:
        if table is None:
            return None
        line = self.key_line("rejected_at")
        required, optional = {"rejected_at", "rule", "condition"}, {"reason"}
        if not isinstance(table, dict) or not required <= set(table) <= required | optional:
            raise self.fail(
                "[expect] needs rejected_at (a step number), rule and condition (the refusal "
                "`pgproof check --json` reports as failures), and optionally reason",
                line=line,
            )
        step, reason = table["rejected_at"], table.get("reason", "")
        if not isinstance(step, int) or isinstance(step, bool):
            raise self.fail("[expect] rejected_at must be a step number", line=line)
        for key in ("rule", "condition", "reason"):
            value = table.get(key, "")
            if not isinstance(value, str) or (key != "reason" and not value.strip()):
                raise self.fail(f"[expect] {key} must be a non-empty string", line=line)
            self.text(value, f"[expect] {key}", line=self.key_line(key))
        return ExpectedRejection(step, table["rule"], table["condition"], reason)

    def expression(self, text: Any, notation: Notation, k: int, what: str) -> Basic:
        line = self.step_key_line(k, what)
        if not isinstance(text, str):
            raise self.fail(f"{what} must be a LaTeX string", step=k, line=line)
        try:
            return parse_expression(text, notation)
        except LatexError as exc:
            raise self.fail(f"{what}: {exc.message}", step=k, line=line) from None

    def rules(self, k: int, table: dict) -> tuple[str, ...]:
        rules = table.get("by", [])
        rules = [rules] if isinstance(rules, str) else rules
        line = self.step_key_line(k, "by")
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            raise self.fail("by must be a rule name or a list of rule names", step=k, line=line)
        good = True
        for name in rules:
            ok, _ = self.attempt(self.text, name, "by", line=line, step=k)
            message = unknown_rule(name) if ok else None
            if message is not None:
                self.report(message, step=k, line=line)
            good = good and ok and message is None
        if not good:
            raise _Reported()
        return tuple(rules)

    def formula(self, k: int, formula: str, notation: Notation) -> tuple[Any, Basic | None, Basic]:
        line = self.where.step_line(k)
        if any(ch in formula for ch in "\t\b\f\n\r") and BASIC_STRING.match(
            self.where.line_text(line)
        ):
            raise self.fail(
                'the formula is a "…" string, where a backslash starts an escape (\\t is a '
                "tab, \\n a new line, \\b a backspace): write LaTeX between single quotes, "
                "formula = '…' (or '''…''' when it holds a ')",
                step=k,
            )
        try:
            parts = parse_formula(formula, notation)
        except LatexError as exc:
            column = self.where.column_of(k, formula, exc.column)
            raise self.fail(exc.message, step=k, column=column) from None
        try:
            lhs, rhs = chain_sides(parts, notation, self.last)
        except ChainError as exc:
            raise self.fail(str(exc), step=k) from None
        return parts, lhs, rhs

    def reference(self, k: int, table: dict, key: str, default: Any) -> Any:
        """``from`` or ``using`` as written: a word, a number or a label (resolved later)."""
        value = table.get(key, default)
        line = self.step_key_line(k, key)
        words = ("previous", "self") if key == "from" else ()
        if value is None or value in words:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip():
            self.text(value, key, step=k, line=line)
            return value.strip()
        expected = '"previous", "self", ' if key == "from" else ""
        raise self.fail(
            f"{key} must be {expected}a step number or a step's label, not {value!r}",
            step=k,
            line=line,
        )

    def label(self, k: int, table: Any) -> str | None:
        if not isinstance(table, dict) or "label" not in table:
            return None
        try:
            return check_label(self.text(table["label"], "label", step=k))
        except LabelError as exc:
            raise self.fail(str(exc), step=k, line=self.step_key_line(k, "label")) from None

    def step(self, k: int, table: Any, notation: Notation | None) -> dict[str, Any] | None:
        """Step k's keyword arguments (labels not yet resolved), or None when it has errors
        (collected)."""
        if table is None:  # its TOML is broken: reported already
            self.last = None
            return None
        if not isinstance(table, dict):
            self.report("[[step]] must be a table", step=k)
            self.last = None
            return None
        good = True
        for key in sorted(set(table) - STEP_KEYS):
            good = False
            self.report(
                f"unknown key {key!r}{close_match(key, STEP_KEYS)} "
                f"(known: {', '.join(sorted(STEP_KEYS))})",
                step=k,
                line=self.step_key_line(k, key),
            )
        formula = table.get("formula")
        lhs = rhs = parts = None
        if not isinstance(formula, str):
            good = False
            self.report("every step needs a formula (a LaTeX string)", step=k)
            self.last = None
        elif notation is not None:
            ok, got = self.attempt(self.formula, k, formula, notation)
            if ok:
                parts, lhs, rhs = got
                resolved_lhs = lhs if lhs is not None else (self.last[0] if self.last else None)
                self.last = (resolved_lhs, rhs)
            else:
                good = False
                self.last = None
        try:
            rules = self.rules(k, table)
        except _Reported:
            rules, good = (), False
        except DerivationFileError as exc:
            self.errors.append(exc)
            rules, good = (), False
        ok_from, source = self.attempt(self.reference, k, table, "from", "previous")
        ok_using, using = self.attempt(self.reference, k, table, "using", None)
        good = good and ok_from and ok_using
        terms: list[Basic] = []
        raw_terms = table.get("terms", [])
        if not isinstance(raw_terms, list):
            good = False
            self.report(
                "terms must be a list of LaTeX strings",
                step=k,
                line=self.step_key_line(k, "terms"),
            )
        elif notation is not None:
            for t in raw_terms:
                ok, term = self.attempt(self.expression, t, notation, k, "terms")
                good = good and ok
                terms.append(term)
        factor = table.get("factor")
        if factor is not None and notation is not None:
            ok, factor = self.attempt(self.expression, factor, notation, k, "factor")
            good = good and ok
        ok, note = self.attempt(self.text, table.get("note", ""), "note", step=k, multiline=True)
        good = good and ok
        if not good or notation is None:
            return None
        return dict(
            rhs=rhs,
            rules=rules,
            lhs=lhs,
            source=source,
            reference=using,
            terms=tuple(terms),
            factor=factor,
            note=note,
            latex=formula,
            line=self.where.step_line(k),
            readings=tuple(parts.readings),
        )

    def labels(self, tables: list[Any]) -> dict[str, int]:
        """label → step number (duplicates and bad labels reported)."""
        labels: dict[str, int] = {}
        for k, table in enumerate(tables, start=1):
            ok, name = self.attempt(self.label, k, table)
            if not ok or name is None:
                continue
            if name in labels:
                self.report(
                    f"the label {name!r} is already step {labels[name]}'s: labels must differ",
                    step=k,
                    line=self.step_key_line(k, "label"),
                )
                continue
            labels[name] = k
        return labels

    def resolve(
        self, steps: list[dict[str, Any] | None], labels: dict[str, int], tables: list[Any]
    ) -> None:
        """Labels in ``from`` and ``using`` → step numbers (in place); every reference is
        checked, also those of steps with other errors."""
        for k, table in enumerate(tables, start=1):
            if not isinstance(table, dict):
                continue
            changes: dict[str, Any] = {}
            failed = False
            for key, name in (("from", "source"), ("using", "reference")):
                value = table.get(key)
                words = ("previous", "self") if key == "from" else ()
                if value is None or value in words or isinstance(value, bool):
                    continue
                if not isinstance(value, (int, str)) or (
                    isinstance(value, str) and not value.strip()
                ):
                    continue  # reported by reference()
                try:
                    changes[name] = resolve(
                        value.strip() if isinstance(value, str) else value, k, labels, key
                    )
                except LabelError as exc:
                    failed = True
                    self.report(str(exc), step=k, line=self.step_key_line(k, key))
            step = steps[k - 1] if k <= len(steps) else None
            if step is None:
                continue
            if failed:
                steps[k - 1] = None
            else:
                step.update(changes)


class _Reported(Exception):
    """Errors of a key were collected already."""


# --------------------------------------------------------------------------- TOML


def _decode_error(exc: tomllib.TOMLDecodeError, lines: FileLines, offset: int = 0) -> tuple:
    """(message, line, column) for a TOML error, with a hint for the traps of LaTeX in TOML."""
    match = re.search(r"line (\d+), column (\d+)", str(exc))
    line, col = (int(match[1]) + offset, int(match[2])) if match else (None, None)
    message = "not valid TOML: " + str(exc).split(" (at line")[0]
    return message + toml_hint(message, lines.line_text(line)), line, col


_HEADER = re.compile(r"^[ \t]*\[(\[)?[ \t]*([A-Za-z0-9_\-]*)")


def _string_spans(text: str) -> list[tuple[int, int]]:
    from .read import _TOML_TOKEN

    return [m.span() for m in _TOML_TOKEN.finditer(text) if m.group()[0] in "\"'#"]


def _sections(text: str) -> list[tuple[int, str, bool, str]]:
    """The file cut at its table headers: (first line index, table name, is [[array]], text)."""
    spans = _string_spans(text)
    cuts: list[tuple[int, int, str, bool]] = []  # (offset, line index, name, array)
    offset = 0
    span_index = 0
    for index, line in enumerate(text.split("\n")):
        while span_index < len(spans) and spans[span_index][1] <= offset:
            span_index += 1
        inside = span_index < len(spans) and spans[span_index][0] < offset < spans[span_index][1]
        m = _HEADER.match(line)
        if m is not None and not inside and "=" not in line.split("]")[0]:
            cuts.append((offset, index, m.group(2), m.group(1) is not None))
        offset += len(line) + 1
    sections = []
    starts = [(0, 0, "", False), *cuts]
    for n, (start, index, name, array) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        sections.append((index, name, array, text[start:end]))
    return sections


def _parse_sections(
    text: str, lines: FileLines, errors: ErrorList
) -> tuple[dict[str, Any], set[str]]:
    """Parse a broken TOML file table by table: every syntax error, and the tables that parse."""
    data: dict[str, Any] = {}
    broken: set[str] = set()
    for index, name, array, chunk in _sections(text):
        try:
            parsed = tomllib.loads(chunk)
        except tomllib.TOMLDecodeError as exc:
            message, line, col = _decode_error(exc, lines, index)
            errors.add(message, line, col)
            broken.add(name or "top")
            if name == "step" and array:
                data.setdefault("step", []).append(None)
            continue
        except (RecursionError, ValueError):  # prescanned: nesting or digits missed
            errors.add(_UNREAD, index + 1)
            broken.add(name or "top")
            continue
        if not name:
            data.update(parsed)
        elif array and isinstance(parsed.get(name), list):
            data.setdefault(name, []).extend(parsed[name])
        else:
            data[name] = parsed.get(name, parsed)
    return data, broken


#: what a parse that the prescans should have prevented says (nesting or digits they missed)
_UNREAD = "arrays or tables nest too deeply, or an integer is too long to convert"


def _parse_toml(
    text: str, lines: FileLines, errors: ErrorList
) -> tuple[dict[str, Any] | None, set]:
    refusal = toml_refusal(text)
    if refusal is not None:
        errors.add(*refusal)
        return None, set()
    if len(lines.steps) > MAX_STEPS:
        errors.stop(
            f"more than {MAX_STEPS} steps (the limit): pgproof reads at most {MAX_STEPS} "
            "steps from one file",
            lines.steps[MAX_STEPS][0],
        )
    try:
        return tomllib.loads(text), set()
    except tomllib.TOMLDecodeError:
        return _parse_sections(text, lines, errors)
    except (RecursionError, ValueError):
        errors.add(_UNREAD)
        return None, set()


def load_derivation(path: str | Path, preamble: str | Path | None = None) -> Derivation:
    """Read one derivation file, or a document (raises :class:`DerivationFileError`, or
    :class:`~pgproof.files.errors.DerivationFileErrors` with every error of the file).

    ``preamble``: a LaTeX file whose macro definitions (and ``% pgproof:`` front matter) a
    document uses; a ``.pgproof.toml`` file does not use it."""
    path = Path(path)
    from pgproof.documents import document_kind

    if document_kind(path) is not None:
        from pgproof.documents.reader import load_document

        return load_document(path, preamble)
    text = read_text(path)
    errors = ErrorList(str(path))
    with errors.reading():
        return _read(path, text, errors)


def _read(path: Path, text: str, errors: ErrorList) -> Derivation:
    """The derivation of a ``.pgproof.toml`` file's ``text`` (errors collected, then raised)."""
    lines = FileLines(text)
    data, broken = _parse_toml(text, lines, errors)
    if data is None:
        errors.raise_if_any()
    reader = _Reader(path, lines, errors)
    for key in sorted(set(data) - TOP_KEYS):
        reader.report(
            f"unknown key {key!r}{close_match(key, TOP_KEYS)} "
            f"(known: {', '.join(sorted(TOP_KEYS))})",
            line=reader.key_line(key),
        )
    missing = []
    for key in ("title", "source"):
        if "top" in broken:
            break
        if key not in data:
            missing.append(f"{key} (a string)")
        elif not isinstance(data[key], str):
            reader.report(f"{key} must be a string", line=reader.key_line(key))
        else:
            reader.attempt(reader.text, data[key], key, line=reader.key_line(key))
    steps_data = data.get("step")
    if (not isinstance(steps_data, list) or not steps_data) and not broken & {"step", "top"}:
        if "step" in data:
            reader.report("[[step]] must be a list of tables: write each step under [[step]]")
        else:
            missing.append("at least one [[step]]")
    if missing:
        reader.report(f"a derivation needs {' and '.join(missing)}")
    status = data.get("status", "complete")
    if status not in ("complete", "unfinished"):
        reader.report('status must be "complete" or "unfinished"', line=reader.key_line("status"))
    notation = None if "notation" in broken else reader.notation(data.get("notation"))
    drafts: list[dict[str, Any] | None] = []
    if isinstance(steps_data, list) and steps_data:
        drafts = [reader.step(k, s, notation) for k, s in enumerate(steps_data, start=1)]
        labels = reader.labels(steps_data)
        reader.resolve(drafts, labels, steps_data)
    ok, expected = (
        (True, None) if "expect" in broken else reader.attempt(reader.expected, data.get("expect"))
    )
    if ok and expected is not None and not 1 <= expected.step <= len(drafts):
        reader.report(
            f"[expect] rejected_at must be a step number 1..{len(drafts)}",
            line=reader.key_line("rejected_at"),
        )
    notes = data.get("notes", [])
    notes_line = reader.key_line("notes")
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list):
        reader.report(
            f"notes must be a string or a list of strings, not {notes!r}", line=notes_line
        )
        notes = []
    notes = [
        value
        for n in notes
        for ok, value in [reader.attempt(reader.text, n, "notes", line=notes_line, multiline=True)]
        if ok
    ]
    errors.raise_if_any()
    steps = tuple(Step(**d) for d in drafts if d is not None)
    return Derivation(
        title=data["title"],
        source=data["source"],
        notation=notation,
        steps=steps,
        expected=expected,
        unfinished=status == "unfinished",
        file=str(path),
        notes=tuple(notes),
    )


def derivation_files(paths: list[str | Path]) -> list[Path]:
    """The derivation files named by ``paths`` (folders searched for ``*.pgproof.toml``;
    a document named by itself — ``notes.tex``, ``notes.md`` — is read as one)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob(f"*{SUFFIX}")))
        else:
            out.append(p)
    return out
