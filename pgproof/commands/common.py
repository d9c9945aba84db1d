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


def _accepts_timeout(function: Any) -> bool:
    import inspect

    try:
        return "timeout" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def budget_keywords(function: Any, timeout: float | None) -> dict[str, float]:
    """``{"timeout": seconds}`` for ``function`` when a budget is asked for.

    The budget itself is the checker's (a step that cannot be decided within it is
    refused); this only passes it on, and refuses the option if the library has no budget.
    """
    if timeout is None:
        return {}
    if not _accepts_timeout(function):
        name = getattr(function, "__qualname__", repr(function))
        raise CommandError(
            f"a time budget was asked for, but {name} has none in this version of pgproof"
        )
    return {"timeout": timeout}


def load_and_check(
    paths: list[str], timeout: float | None = None, preamble: str | None = None
) -> tuple[list[DerivationReport], list[str]]:
    """Load and check every derivation; unusable input becomes an error line (file:line)."""
    from ..files import DerivationFileError
    from ..symbolic.checker import check_derivation
    from ..symbolic.derivation import DerivationError

    derivations, errors = load_all(paths, preamble)
    reports: list[DerivationReport] = []
    budget = budget_keywords(check_derivation, timeout)
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


def add_timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="time budget of the checker for each step: a step it cannot decide within "
        "SECONDS is refused ('could not be decided within N s'); default: the checker's own",
    )


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
