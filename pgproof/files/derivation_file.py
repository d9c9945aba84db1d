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

Errors name the file, the line, the step, the column and what is wrong.  Text that is
printed later (title, source, notes, reasons, rule and notation names) is checked here:
no control characters (an ANSI escape, a carriage return) in any of it, and notation
names that pass :func:`pgproof.safety.check_latex`, since they are printed as LaTeX.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from sympy import Basic

from pgproof.latex.parser import LatexError, parse_expression, parse_formula
from pgproof.safety import UnsafeLatex, check_latex, control_character
from pgproof.symbolic.derivation import Derivation, ExpectedRejection, Step
from pgproof.symbolic.notation import TRAJECTORY_SPACES, Notation
from pgproof.symbolic.objects import DENSITY_STYLES
from pgproof.symbolic.rules import UnknownRule, lookup

from . import SUFFIX
from .chains import ChainError, chain_sides
from .errors import DerivationFileError
from .lines import FileLines
from .read import MAX_NESTING, read_text, toml_depth

__all__ = ["SUFFIX", "derivation_files", "load_derivation"]

#: how the objective is written: J(θ) or J(π_θ)
OBJECTIVE_STYLES = ("theta", "policy")
#: notation keys that choose among fixed spellings (the others are names)
NOTATION_CHOICES = {
    "density_style": DENSITY_STYLES,
    "objective_style": OBJECTIVE_STYLES,
    "trajectory_space": TRAJECTORY_SPACES,
}
#: longest notation name
MAX_NAME = 100

TOP_KEYS = {"title", "source", "status", "notation", "expect", "step", "notes"}
STEP_KEYS = {"formula", "by", "from", "using", "terms", "factor", "note"}
NOTATION_KEYS = {f.name.rstrip("_") for f in fields(Notation)}


class _Reader:
    """Turns the parsed TOML tables into a Derivation, with file:line in every error."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = str(path)
        self.where = FileLines(text)
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

    def key_line(self, key: str) -> int | None:
        return self.where.key_line(key)

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

    def name(self, key: str, value: str) -> str:
        """A notation name: non-empty, short, printable LaTeX on the allowlist."""
        line = self.key_line(key)
        shown = f"notation {key}"
        if not value.strip():
            raise self.fail(f"{shown} must not be empty", line=line)
        if len(value) > MAX_NAME:
            raise self.fail(
                f"{shown} is {len(value)} characters long (at most {MAX_NAME})", line=line
            )
        self.text(value, shown, line=line)
        try:
            check_latex(value)
        except UnsafeLatex as exc:
            raise self.fail(f"{shown} cannot be a name: {exc}", line=line) from None
        return value

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
                value = tuple(self.name(key, v) for v in value)
            elif not isinstance(value, type(f.default)) or isinstance(value, bool):
                raise self.fail(
                    f"notation {key} must be a {type(f.default).__name__}, not {value!r}",
                    line=self.key_line(key),
                )
            elif key in NOTATION_CHOICES:
                if value not in NOTATION_CHOICES[key]:
                    choices = ", ".join(map(repr, NOTATION_CHOICES[key]))
                    raise self.fail(
                        f"notation {key} must be one of {choices}, not {value!r}",
                        line=self.key_line(key),
                    )
            elif isinstance(value, str):
                self.name(key, value)
            kwargs[f.name] = value
        try:
            return Notation(**kwargs)
        except ValueError as exc:
            raise self.fail(f"notation: {exc}", line=self.key_line("notation")) from None

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
        if not isinstance(text, str):
            raise self.fail(f"{what} must be a LaTeX string", step=k)
        try:
            return parse_expression(text, notation)
        except LatexError as exc:
            raise self.fail(f"{what}: {exc.message}", step=k) from None

    def rules(self, k: int, table: dict) -> tuple[str, ...]:
        rules = table.get("by", [])
        rules = [rules] if isinstance(rules, str) else rules
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            raise self.fail("by must be a rule name or a list of rule names", step=k)
        for name in rules:
            self.text(name, "by", step=k)
            try:
                lookup(name)
            except UnknownRule as exc:
                raise self.fail(str(exc), step=k) from None
        return tuple(rules)

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
            column = self.where.column_of(k, formula, exc.column)
            raise self.fail(exc.message, step=k, column=column) from None
        try:
            lhs, rhs = chain_sides(parts, notation, self.last)
        except ChainError as exc:
            raise self.fail(str(exc), step=k) from None
        resolved_lhs = lhs if lhs is not None else (self.last[0] if self.last else None)
        self.last = (resolved_lhs, rhs)
        rules = self.rules(k, table)
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
        note = self.text(table.get("note", ""), "note", step=k, multiline=True)
        return Step(
            rhs=rhs,
            rules=rules,
            lhs=lhs,
            source=source,
            reference=using,
            terms=tuple(self.expression(t, notation, k, "terms") for t in terms),
            factor=None if factor is None else self.expression(factor, notation, k, "factor"),
            note=note,
            latex=formula,
            line=self.where.step_line(k),
            readings=parts.readings,
        )


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    depth, line = toml_depth(text)
    if depth > MAX_NESTING:
        raise DerivationFileError(
            str(path), f"arrays or tables nest {depth:,} deep (the limit is {MAX_NESTING})", line
        )
    try:
        return tomllib.loads(text)
    except RecursionError:  # nesting the depth scan did not see
        raise DerivationFileError(str(path), "arrays or tables nest too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (None, None)
        message = str(exc).split(" (at line")[0]
        raise DerivationFileError(str(path), f"not valid TOML: {message}", line, col) from None


def load_derivation(path: str | Path) -> Derivation:
    """Read one derivation file (raises :class:`DerivationFileError`)."""
    path = Path(path)
    text = read_text(path)
    data = _parse_toml(path, text)
    reader = _Reader(path, text)
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise reader.fail(
            f"unknown key {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})",
            line=reader.key_line(unknown[0]),
        )
    for key in ("title", "source"):
        if not isinstance(data.get(key), str):
            raise reader.fail(f"{key} must be a string", line=reader.key_line(key))
        reader.text(data[key], key, line=reader.key_line(key))
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
    notes_line = reader.key_line("notes")
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list):
        raise reader.fail(
            f"notes must be a string or a list of strings, not {notes!r}", line=notes_line
        )
    notes = [reader.text(n, "notes", line=notes_line, multiline=True) for n in notes]
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
    """The derivation files named by ``paths`` (folders searched for ``*.pgproof.toml``)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.rglob(f"*{SUFFIX}")))
        else:
            out.append(p)
    return out
