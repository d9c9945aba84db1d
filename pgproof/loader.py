"""Derivation files: TOML metadata and LaTeX steps → :class:`Derivation`.

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

Errors name the file, the line, the step, the column and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from sympy import Basic

from .latex.parser import LatexError, parse_expression, parse_formula
from .symbolic.derivation import Derivation, ExpectedRejection, Step
from .symbolic.notation import Notation
from .symbolic.rules import UnknownRule, lookup

MAX_FILE_BYTES = 2_000_000
SUFFIX = ".pgproof.toml"
TOP_KEYS = {"title", "source", "status", "notation", "expect", "step", "notes"}
STEP_KEYS = {"formula", "by", "from", "using", "terms", "factor", "note"}
NOTATION_KEYS = {f.name.rstrip("_") for f in fields(Notation)}


class DerivationFileError(ValueError):
    """Unusable input: ``file:line:column: step k: what is wrong``."""

    def __init__(
        self,
        path: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        step: int | None = None,
    ) -> None:
        self.path, self.message = path, message
        self.line, self.column, self.step = line, column, step
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        step = f" step {self.step}:" if self.step is not None else ""
        return f"{where}:{step} {self.message}"


def _step_lines(text: str) -> list[tuple[int, int | None]]:
    """For each ``[[step]]``: (its header line, the line of its ``formula =``)."""
    out: list[tuple[int, int | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"\s*\[\[\s*step\s*\]\]", line):
            out.append((number, None))
        elif out and out[-1][1] is None and re.match(r"\s*formula\s*=", line):
            out[-1] = (out[-1][0], number)
    return out


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = str(path), text
        self.lines = text.splitlines()
        self.step_lines = _step_lines(text)
        self.last: tuple[Basic | None, Basic] | None = None  # the previous step's (lhs, rhs)

    def fail(
        self,
        message: str,
        step: int | None = None,
        column: int | None = None,
        line: int | None = None,
    ) -> DerivationFileError:
        if line is None and step is not None and step <= len(self.step_lines):
            header, formula = self.step_lines[step - 1]
            line = formula or header
        return DerivationFileError(self.path, message, line, column, step)

    def key_line(self, key: str) -> int | None:
        for number, line in enumerate(self.lines, start=1):
            if re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return None

    def column_of(self, step: int, formula: str, column: int) -> int | None:
        """The file column of a formula's column, when the formula sits on one line."""
        line = self.step_lines[step - 1][1] if step <= len(self.step_lines) else None
        if line is None:
            return None
        first = formula.splitlines()[0] if formula else ""
        start = self.lines[line - 1].find(first)
        return start + column if start >= 0 else None

    # ----------------------------------------------------------------- parts

    def notation(self, table: Any) -> Notation:
        if table is None:
            return Notation()
        if not isinstance(table, dict):
            raise self.fail("[notation] must be a table", line=self.key_line("notation"))
        unknown = sorted(set(table) - NOTATION_KEYS)
        if unknown:
            raise self.fail(
                f"unknown notation key {unknown[0]!r} (known: {', '.join(sorted(NOTATION_KEYS))})",
                line=self.key_line(unknown[0]),
            )
        kwargs: dict[str, Any] = {}
        for f in fields(Notation):
            key = f.name.rstrip("_")
            if key not in table:
                continue
            value = table[key]
            if isinstance(f.default, tuple):
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise self.fail(
                        f"notation {key} must be a list of strings", line=self.key_line(key)
                    )
                value = tuple(value)
            elif not isinstance(value, type(f.default)) or isinstance(value, bool):
                raise self.fail(
                    f"notation {key} must be a {type(f.default).__name__}, not {value!r}",
                    line=self.key_line(key),
                )
            kwargs[f.name] = value
        try:
            return Notation(**kwargs)
        except ValueError as exc:
            raise self.fail(f"notation: {exc}", line=self.key_line("notation")) from None

    def expected(self, table: Any) -> ExpectedRejection | None:
        if table is None:
            return None
        line = self.key_line("rejected_at")
        if not isinstance(table, dict) or set(table) != {"rejected_at", "reason"}:
            raise self.fail(
                "[expect] needs exactly rejected_at (a step number) and reason", line=line
            )
        step, reason = table["rejected_at"], table["reason"]
        if not isinstance(step, int) or isinstance(step, bool) or not isinstance(reason, str):
            raise self.fail(
                "[expect] rejected_at must be a step number and reason a string", line=line
            )
        return ExpectedRejection(step, reason)

    def expression(self, text: Any, notation: Notation, k: int, what: str) -> Basic:
        if not isinstance(text, str):
            raise self.fail(f"{what} must be a LaTeX string", step=k)
        try:
            return parse_expression(text, notation)
        except LatexError as exc:
            raise self.fail(f"{what}: {exc.message}", step=k) from None

    def step(self, k: int, table: Any, notation: Notation) -> Step:
        if not isinstance(table, dict):
            raise self.fail("[[step]] must be a table", step=k)
        unknown = sorted(set(table) - STEP_KEYS)
        if unknown:
            raise self.fail(
                f"unknown key {unknown[0]!r} (known: {', '.join(sorted(STEP_KEYS))})", step=k
            )
        formula = table.get("formula")
        if not isinstance(formula, str):
            raise self.fail("every step needs a formula (a LaTeX string)", step=k)
        try:
            parts = parse_formula(formula, notation)
        except LatexError as exc:
            column = self.column_of(k, formula, exc.column)
            raise self.fail(exc.message, step=k, column=column) from None
        lhs, rhs = self._sides(parts, notation, k)
        resolved_lhs = lhs if lhs is not None else (self.last[0] if self.last else None)
        self.last = (resolved_lhs, rhs)
        rules = table.get("by", [])
        rules = [rules] if isinstance(rules, str) else rules
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            raise self.fail("by must be a rule name or a list of rule names", step=k)
        for name in rules:
            try:
                lookup(name)
            except UnknownRule as exc:
                raise self.fail(str(exc), step=k) from None
        source = table.get("from", "previous")
        if not (
            source in ("previous", "self")
            or (isinstance(source, int) and not isinstance(source, bool))
        ):
            raise self.fail(
                f'from must be "previous", "self" or a step number, not {source!r}', step=k
            )
        using = table.get("using")
        if using is not None and (not isinstance(using, int) or isinstance(using, bool)):
            raise self.fail("using must be a step number", step=k)
        terms = table.get("terms", [])
        if not isinstance(terms, list):
            raise self.fail("terms must be a list of LaTeX strings", step=k)
        factor = table.get("factor")
        note = table.get("note", "")
        if not isinstance(note, str):
            raise self.fail("note must be a string", step=k)
        return Step(
            rhs=rhs,
            rules=tuple(rules),
            lhs=lhs,
            source=source,
            reference=using,
            terms=tuple(self.expression(t, notation, k, "terms") for t in terms),
            factor=None if factor is None else self.expression(factor, notation, k, "factor"),
            note=note,
            latex=formula,
            line=(self.step_lines[k - 1][1] or self.step_lines[k - 1][0])
            if k <= len(self.step_lines)
            else None,
        )

    def _sides(self, parts: list, notation: Notation, k: int) -> tuple[Basic | None, Basic]:
        # "a = ĝ = b": a middle part that is a declared constant names the right side.
        names = {notation.constant(c) for c in notation.constants}
        core = [p for i, p in enumerate(parts) if not (0 < i < len(parts) - 1 and p in names)]
        # "a = b = c" where "a = b" repeats the previous step: the display continues it.
        if len(core) == 3 and self.last is not None:
            lhs, rhs = self.last
            if core[1] == rhs and core[0] in (None, lhs):
                core = [None, core[2]]
        if len(core) != 2:
            raise self.fail(
                f"a step is one equality, this formula has {len(parts) - 1} '=' signs: "
                "split the chain into one step per '='",
                step=k,
            )
        return core[0], core[1]


def load_derivation(path: str | Path) -> Derivation:
    """Read one derivation file (raises :class:`DerivationFileError`)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DerivationFileError(str(path), f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise DerivationFileError(
            str(path), f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DerivationFileError(str(path), f"not UTF-8 text ({exc.reason})") from None
    reader = _Reader(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (None, None)
        message = str(exc).split(" (at line")[0]
        raise DerivationFileError(str(path), f"not valid TOML: {message}", line, col) from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise reader.fail(
            f"unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})",
            line=reader.key_line(unknown[0]),
        )
    for key in ("title", "source"):
        if not isinstance(data.get(key), str):
            raise reader.fail(f"{key} must be a string", line=reader.key_line(key))
    status = data.get("status", "complete")
    if status not in ("complete", "unfinished"):
        raise reader.fail(
            'status must be "complete" or "unfinished"', line=reader.key_line("status")
        )
    notation = reader.notation(data.get("notation"))
    steps_data = data.get("step")
    if not isinstance(steps_data, list) or not steps_data:
        raise reader.fail("a derivation needs at least one [[step]]")
    steps = tuple(reader.step(k, s, notation) for k, s in enumerate(steps_data, start=1))
    expected = reader.expected(data.get("expect"))
    if expected is not None and not 1 <= expected.step <= len(steps):
        raise reader.fail(
            f"[expect] rejected_at must be a step number 1..{len(steps)}",
            line=reader.key_line("rejected_at"),
        )
    notes = data.get("notes", [])
    return Derivation(
        title=data["title"],
        source=data["source"],
        notation=notation,
        steps=steps,
        expected=expected,
        unfinished=status == "unfinished",
        file=str(path),
        notes=tuple(notes) if isinstance(notes, list) else (str(notes),),
    )


def derivation_files(paths: list[str | Path]) -> list[Path]:
    """The derivation files named by ``paths`` (folders searched for ``*.pgproof.toml``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob(f"*{SUFFIX}")))
        else:
            out.append(p)
    return out
