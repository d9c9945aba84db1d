"""Helpers shared by the subcommands: finding, loading and checking derivation files,
checking where output goes, and the options every checking command has.

Importing this module is cheap (the command line imports it to build its parser); the
grammar and SymPy are imported by the functions that need them.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..symbolic.derivation import Derivation
    from ..symbolic.report import DerivationReport


class CommandError(Exception):
    """Unusable input or arguments of a command: one line on stderr, exit status 2."""


def default_paths() -> list[Path]:
    """derivations/ of the current folder, else the examples bundled with pgproof."""
    from importlib import resources

    here = Path("derivations")
    if here.is_dir():
        return [here]
    return [Path(str(resources.files("pgproof") / "examples"))]


class LoadErrors(list):
    """Error lines (``file:line:column: message``), and how many files they are about."""

    files: int = 0

    def add_file(self, exc: BaseException) -> None:
        """Every error of one unusable file (a file's errors are reported all at once)."""
        self.extend(str(e) for e in getattr(exc, "errors", None) or [exc])
        self.files += 1


def load_all(paths: list[str], preamble: str | None = None) -> tuple[list[Derivation], LoadErrors]:
    """Load every derivation named by ``paths`` (``*.pgproof.toml`` files, and documents:
    ``.tex``, ``.md``, ``.rst``, ``.ipynb``); unusable input becomes error lines, every
    error of every file.  ``preamble``: a LaTeX file of macros the documents use."""
    from ..files import DerivationFileError, derivation_files, load_derivation
    from ..symbolic.derivation import DerivationError

    chosen = [Path(p) for p in paths] if paths else default_paths()
    files: list[Path] = []
    errors = LoadErrors()
    for p in chosen:
        if not p.exists():
            errors.append(f"{p}: no such file or folder")
            errors.files += 1
        else:
            files.extend(derivation_files([p]))
    derivations: list[Derivation] = []
    for f in files:
        try:
            derivations.append(load_derivation(f, preamble))
        except (DerivationFileError, DerivationError) as exc:
            errors.add_file(exc)
    if not files and not errors:
        errors.append(f"no derivation files (*.pgproof.toml) under {', '.join(map(str, chosen))}")
        errors.files += 1
    return derivations, errors


def _accepts(function: Any, keyword: str) -> bool:
    import inspect

    try:
        return keyword in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def budget_keywords(function: Any, work: int | None) -> dict[str, int]:
    """``{"work": units}`` for ``function`` when a work budget is asked for.

    The budget itself is the checker's (a step that cannot be decided within it is
    undecided); this only passes it on, and refuses the option if the library has none.
    """
    if work is None:
        return {}
    if not _accepts(function, "work"):
        name = getattr(function, "__qualname__", repr(function))
        raise CommandError(
            f"a work budget was asked for, but {name} has none in this version of pgproof"
        )
    return {"work": work}


def numeric_keywords(work: int | None) -> dict[str, int]:
    """The numeric check's budget for a symbolic step budget of ``work`` units: the same
    share of its own default (:data:`pgproof.bridge.steps.NUMERIC_WORK`)."""
    if work is None:
        return {}
    from ..bridge.steps import NUMERIC_WORK, verify_steps_numerically
    from ..budget import STEP_WORK

    return budget_keywords(verify_steps_numerically, max(1, work * NUMERIC_WORK // STEP_WORK))


def load_and_check(
    paths: list[str], work: int | None = None, preamble: str | None = None
) -> tuple[list[DerivationReport], list[str]]:
    """Load and check every derivation; unusable input becomes an error line (file:line)."""
    from ..files import DerivationFileError
    from ..symbolic.checker import check_derivation
    from ..symbolic.derivation import DerivationError

    derivations, errors = load_all(paths, preamble)
    reports: list[DerivationReport] = []
    budget = budget_keywords(check_derivation, work)
    for d in derivations:
        try:
            reports.append(check_derivation(d, **budget))
        except DerivationError as exc:
            errors.append(
                str(DerivationFileError(str(d.file), exc.message, exc.line, None, exc.step))
            )
            if isinstance(errors, LoadErrors):
                errors.files += 1
    return reports, errors


def is_document(derivation: Derivation) -> bool:
    """Whether a derivation was read from a document (not a ``*.pgproof.toml`` file)."""
    from ..documents import document_kind

    return derivation.file is not None and document_kind(derivation.file) is not None


def print_errors(errors: list[str]) -> None:
    for error in errors:
        print(f"pgproof: error: {error}", file=sys.stderr)


# --------------------------------------------------------------------------- options


#: most digits of an integer given on the command line (a seed of 2**128 has 39): Python
#: refuses to convert more than 4300, and the conversion's cost grows with their square
MAX_DIGITS = 40


def _quoted(text: str) -> str:
    """``text`` quoted for an error line: escaped, and only its start if it is long."""
    if len(text) <= MAX_DIGITS:
        return repr(text)
    return f"{text[:20]!r}… ({len(text):,} characters)"


def _integer(text: str, smallest: int | None, what: str) -> int:
    """``int(text)`` for an argparse type, its digits counted before the conversion."""
    digits = text.strip().lstrip("+-").replace("_", "")
    if len(digits) > MAX_DIGITS:
        raise argparse.ArgumentTypeError(
            f"must be {what} of at most {MAX_DIGITS} digits, not {_quoted(text)}"
        )
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, not {_quoted(text)}") from None
    if smallest is not None and value < smallest:
        raise argparse.ArgumentTypeError(f"must be {what}, not {text.strip()}")
    return value


def integer(text: str) -> int:
    """An argparse type: an integer of at most :data:`MAX_DIGITS` digits (what the command
    line reads for every ``type=int`` option; the command checks its range)."""
    return _integer(text, None, "an integer")


def positive_integer(text: str) -> int:
    """An argparse type: an integer ≥ 1 (a count of trials)."""
    return _integer(text, 1, "a positive integer")


def non_negative_integer(text: str) -> int:
    """An argparse type: an integer ≥ 0 (a seed)."""
    return _integer(text, 0, "a non-negative integer")


def positive_seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


#: how many units of work ``--timeout SECONDS`` (the old name of ``--work-budget``) buys
#: per second: about what one second of an idle machine of CI's kind does.  Only a
#: conversion of the old option: no verdict ever reads the clock
UNITS_PER_SECOND = 50_000


#: the largest work budget (of any name): more is no budget at all
MAX_UNITS = 10**15


def seconds_as_units(seconds: float) -> int | None:
    """The units of work the old ``--timeout SECONDS`` stands for (None: past MAX_UNITS)."""
    units = seconds * UNITS_PER_SECOND
    if not (math.isfinite(units) and units <= MAX_UNITS):
        return None
    return max(1, round(units))


def work_units(text: str) -> int:
    """An argparse type: a work budget, a whole number of units from 1 to MAX_UNITS."""
    units = positive_integer(text)
    if units > MAX_UNITS:
        raise argparse.ArgumentTypeError(f"must be a positive integer of at most {MAX_UNITS:,}")
    return units


def add_budget_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work-budget",
        type=work_units,
        metavar="UNITS",
        dest="work",
        help="work budget of the checker for each step, in units of work (nodes visited, "
        "rules tried, terms expanded; never the clock): a step it cannot decide within "
        "UNITS is undecided (?), never refused; default: the checker's own (2,000,000)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help=f"the old name of --work-budget: SECONDS are read as SECONDS × "
        f"{UNITS_PER_SECOND:,} units of work (said on stderr)",
    )


def work_budget_of(args: argparse.Namespace) -> int | None:
    """The step work budget the options ask for (None: the checker's default); the old
    ``--timeout`` is converted, and the conversion said on stderr."""
    work, seconds = getattr(args, "work", None), getattr(args, "timeout", None)
    if seconds is None:
        return work
    if work is not None:
        raise CommandError("give --work-budget or its old name --timeout, not both")
    units = seconds_as_units(seconds)
    if units is None:
        raise CommandError(f"--timeout {seconds:g}: more than {MAX_UNITS:,} units of work")
    print(
        f"pgproof: note: --timeout {seconds:g} is read as --work-budget {units} (units of "
        "work, not seconds: no verdict depends on the clock)",
        file=sys.stderr,
    )
    return units


# --------------------------------------------------------------------------- output paths


def check_output_file(name: str, option: str = "-o") -> Path:
    """Where ``-o FILE`` writes: refused now (before any work) if it cannot be written."""
    path = Path(name)
    if path.is_dir():
        raise CommandError(f"{option} {name}: is a folder, not a file")
    parent = path.parent
    if not parent.is_dir():
        what = "does not exist" if not parent.exists() else "is not a folder"
        raise CommandError(f"{option} {name}: the folder {parent} {what}")
    return path


def check_output_folder(name: str, option: str) -> Path:
    """A folder that will be created if needed: refused now if it cannot be one."""
    path = Path(name)
    for ancestor in (path, *path.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                what = "is a file" if ancestor == path else f"lies under the file {ancestor}"
                raise CommandError(f"{option} {name}: {what}, not a folder")
            break
    return path
