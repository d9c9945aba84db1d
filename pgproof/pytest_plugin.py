"""pytest plugin: every ``*.pgproof.toml`` derivation file is a test.

Registered through the ``pytest11`` entry point, so installing pgproof is
enough: ``pytest derivations/`` checks each derivation. A derivation passes
when its verdict is what the file expects — accepted, or refused at the
expected step for the expected reason. A failure prints the step report
(file, line, rule, reason), not a traceback; control characters from the
file (an ANSI escape in a title) are shown, not obeyed.

Configuration (``pytest.ini`` / ``pyproject.toml``)::

    pgproof_paths = derivations   # only collect derivation files under these
    pgproof_timeout = 10          # the checker's time budget per step, in seconds

SymPy and the grammar are imported when the first derivation runs, not when
pytest starts.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .files import SUFFIX, DerivationFileError
from .safety import terminal_text

if TYPE_CHECKING:
    from .symbolic.report import DerivationReport


class DerivationMismatch(Exception):
    """The verdict is not what the derivation file expects."""

    def __init__(self, report: DerivationReport) -> None:
        super().__init__(report.derivation.title)
        self.report = report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "pgproof_paths",
        type="paths",
        default=[],
        help="collect *.pgproof.toml derivation files only under these paths (default: anywhere)",
    )
    parser.addini(
        "pgproof_timeout",
        type="string",
        default="",
        help="the checker's time budget per step in seconds: a step it cannot decide within "
        "it is refused (default: the checker's own)",
    )


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    roots = config.getini("pgproof_paths")
    if not roots:
        return True
    resolved = file_path.resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


def timeout_of(config: pytest.Config) -> float | None:
    """The ``pgproof_timeout`` ini value in seconds (None when unset)."""
    text = str(config.getini("pgproof_timeout")).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise pytest.UsageError(
            f"pgproof_timeout must be a positive number of seconds, not {text!r}"
        )
    return value


def pytest_configure(config: pytest.Config) -> None:
    timeout_of(config)  # a bad value is a usage error at start, not one failure per file


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.name.endswith(SUFFIX) and _wanted(parent.config, file_path):
        return DerivationFile.from_parent(parent, path=file_path)
    return None


class DerivationFile(pytest.File):
    def collect(self):
        name = self.path.name[: -len(SUFFIX)]
        yield DerivationItem.from_parent(self, name=name)


class DerivationItem(pytest.Item):
    def runtest(self) -> None:
        from .commands.common import budget_keywords
        from .files import load_derivation
        from .symbolic.checker import check_derivation

        derivation = load_derivation(self.path)
        budget = budget_keywords(check_derivation, timeout_of(self.config))
        report = check_derivation(derivation, **budget)
        if not report.as_expected:
            raise DerivationMismatch(report)

    def repr_failure(self, excinfo, style=None):
        text = self._failure_text(excinfo, style)
        return terminal_text(text) if isinstance(text, str) else text

    def _failure_text(self, excinfo, style=None):
        from .commands.common import CommandError
        from .symbolic.derivation import DerivationError

        error = excinfo.value
        if isinstance(error, DerivationMismatch):
            report = error.report
            first = report.first_rejection
            where = f"{self.path}:{first.step.line}" if first and first.step.line else self.path
            head = f"{where}: {report.expectation}, but the verdict is {report.verdict}"
            if first is not None:
                head += f" (first refused: step {first.index})"
            return head + "\n" + report.text()
        if isinstance(error, (DerivationFileError, DerivationError)):
            return f"unusable derivation file: {error}"
        if isinstance(error, CommandError):
            return f"pgproof: {error}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, terminal_text(f"derivation {self.name}")
