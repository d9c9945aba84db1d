"""pytest plugin: every ``*.pgproof.toml`` derivation file is a test.

Registered through the ``pytest11`` entry point, so installing pgproof is
enough: ``pytest derivations/`` checks each derivation. A derivation passes
when its verdict is what the file expects — accepted, or refused at the
expected step for the expected reason. A failure prints the step report
(file, line, rule, reason), not a traceback.

Configuration (``pytest.ini`` / ``pyproject.toml``)::

    pgproof_paths = derivations   # only collect derivation files under these
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .files import SUFFIX, DerivationFileError, load_derivation
from .symbolic.checker import check_derivation
from .symbolic.derivation import DerivationError
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


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    roots = config.getini("pgproof_paths")
    if not roots:
        return True
    resolved = file_path.resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


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
        derivation = load_derivation(self.path)
        report = check_derivation(derivation)
        if not report.as_expected:
            raise DerivationMismatch(report)

    def repr_failure(self, excinfo, style=None) -> str:
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
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"derivation {self.name}"
