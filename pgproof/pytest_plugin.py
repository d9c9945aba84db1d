"""pytest plugin: every ``*.pgproof.toml`` derivation file is a test.

Registered through the ``pytest11`` entry point, so installing pgproof is
enough: ``pytest derivations/`` checks each derivation. A derivation passes
when its verdict is what the file expects — accepted, or refused at the
expected step for the expected reason. A failure prints the step report
(file, line, rule, reason), not a traceback; control characters from the
file (an ANSI escape in a title) are shown, not obeyed.

With ``--pgproof-numeric`` (or ``pgproof_numeric = true``) each derivation is also
checked numerically, as ``pgproof check --numeric`` does: both sides of every step are
evaluated on random tabular MDPs, and a final sample estimate is tested for bias.  The
item then also fails on a checker bug (an accepted step that is numerically false, or an
accepted estimate that is biased), and every failure report shows the numeric verdicts
with their witnesses (the MDP, θ, where, and the two numbers).

Configuration (``pytest.ini`` / ``pyproject.toml``)::

    pgproof_paths = derivations   # only collect derivation files under these
    pgproof_work_budget = 4000000 # the checker's work budget per step, in units of work
                                  # (the old pgproof_timeout = SECONDS is read as
                                  # SECONDS × 50,000 units)
    pgproof_numeric = true        # also the numeric check (as --pgproof-numeric)
    pgproof_numeric_trials = 5    # random MDPs per step
    pgproof_numeric_seed = 0      # their seed

SymPy and the grammar are imported when the first derivation runs, not when
pytest starts.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .files import SUFFIX, DerivationFileError
from .safety import terminal_text

if TYPE_CHECKING:
    from .symbolic.report import DerivationReport


class DerivationMismatch(Exception):
    """The verdict is not what the derivation file expects (or, with the numeric check,
    an accepted step or estimate is numerically false)."""

    def __init__(self, report: DerivationReport, numeric: Any = None, final: Any = None) -> None:
        super().__init__(report.derivation.title)
        self.report = report
        #: pgproof.bridge.report.NumericReport, with --pgproof-numeric
        self.numeric = numeric
        #: pgproof.bridge.final_estimate.FinalEstimate, with --pgproof-numeric
        self.final = final


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--pgproof-numeric`` option and the ``pgproof_*`` ini keys."""
    group = parser.getgroup("pgproof", "pgproof derivation files")
    group.addoption(
        "--pgproof-numeric",
        action="store_true",
        default=None,
        help="also check each derivation numerically on random MDPs (pgproof check "
        "--numeric); fail on a checker bug; witnesses in the failure report",
    )
    parser.addini(
        "pgproof_numeric",
        type="bool",
        default=False,
        help="also check each derivation numerically (as --pgproof-numeric)",
    )
    parser.addini(
        "pgproof_numeric_trials",
        type="string",
        default="5",
        help="random MDPs per step in the numeric check (default 5)",
    )
    parser.addini(
        "pgproof_numeric_seed",
        type="string",
        default="0",
        help="seed of the numeric check's random MDPs (default 0)",
    )
    parser.addini(
        "pgproof_paths",
        type="paths",
        default=[],
        help="collect *.pgproof.toml derivation files only under these paths (default: anywhere)",
    )
    parser.addini(
        "pgproof_work_budget",
        type="string",
        default="",
        help="the checker's work budget per step, in units of work (never the clock): a step "
        "it cannot decide within it is undecided, and the item fails (default: the checker's "
        "own)",
    )
    parser.addini(
        "pgproof_timeout",
        type="string",
        default="",
        help="the old name of pgproof_work_budget: SECONDS, read as SECONDS × 50,000 units",
    )


def _wanted(config: pytest.Config, file_path: Path) -> bool:
    roots = config.getini("pgproof_paths")
    if not roots:
        return True
    resolved = file_path.resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


def work_of(config: pytest.Config) -> int | None:
    """The step work budget of the ini file, in units (None when unset): from
    ``pgproof_work_budget``, or the old ``pgproof_timeout`` converted as the command line's
    ``--timeout`` is (:data:`pgproof.commands.common.UNITS_PER_SECOND`)."""
    from .commands.common import MAX_UNITS, seconds_as_units

    text = str(config.getini("pgproof_work_budget")).strip()
    old = str(config.getini("pgproof_timeout")).strip()
    if text and old:
        raise pytest.UsageError(
            "give pgproof_work_budget or its old name pgproof_timeout, not both"
        )
    if text:
        if not (text.isdigit() and len(text) <= 15 and int(text) > 0):
            raise pytest.UsageError(
                f"pgproof_work_budget must be a positive whole number of units, not {text!r}"
            )
        return int(text)
    if not old:
        return None
    try:
        value = float(old)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise pytest.UsageError(
            f"pgproof_timeout must be a positive number of seconds, not {old!r}"
        )
    units = seconds_as_units(value)
    if units is None:
        raise pytest.UsageError(f"pgproof_timeout = {old} is more than {MAX_UNITS:,} units of work")
    return units


def numeric_settings(config: pytest.Config) -> tuple[int, int] | None:
    """(trials, seed) when the numeric check is on (option or ini), else None."""
    on = config.getoption("pgproof_numeric", None)
    if on is None:
        on = config.getini("pgproof_numeric")
    if not on:
        return None
    values = []
    for key, smallest in (("pgproof_numeric_trials", 1), ("pgproof_numeric_seed", 0)):
        text = str(config.getini(key)).strip()
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < smallest:
            what = "a positive integer" if smallest else "a non-negative integer"
            raise pytest.UsageError(f"{key} must be {what}, not {text!r}")
        values.append(value)
    return values[0], values[1]


def pytest_configure(config: pytest.Config) -> None:
    """Refuse bad ini values at start (a usage error), not once per derivation file."""
    work_of(config)
    numeric_settings(config)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    """Collect ``*.pgproof.toml`` files (under ``pgproof_paths`` when set)."""
    if file_path.name.endswith(SUFFIX) and _wanted(parent.config, file_path):
        return DerivationFile.from_parent(parent, path=file_path)
    return None


class DerivationFile(pytest.File):
    """A ``*.pgproof.toml`` file: one item, its derivation."""

    def collect(self):
        name = self.path.name[: -len(SUFFIX)]
        yield DerivationItem.from_parent(self, name=name)


class DerivationItem(pytest.Item):
    """One derivation: passes when its verdict is what the file expects (and, with the
    numeric check, no accepted step or estimate is numerically false)."""

    def runtest(self) -> None:
        """Check the derivation (and verify it numerically when asked)."""
        from .commands.common import budget_keywords, numeric_keywords
        from .files import load_derivation
        from .symbolic.checker import check_derivation

        derivation = load_derivation(self.path)
        work = work_of(self.config)
        report = check_derivation(derivation, **budget_keywords(check_derivation, work))
        numeric = final = None
        settings = numeric_settings(self.config)
        if settings is not None:
            from .bridge.final_estimate import test_final_estimate
            from .bridge.steps import verify_steps_numerically

            trials, seed = settings
            numeric = verify_steps_numerically(report, trials, seed, **numeric_keywords(work))
            final = test_final_estimate(report, seed)
        bug = (numeric is not None and numeric.checker_bugs) or (final is not None and final.biased)
        if not report.as_expected or bug:
            raise DerivationMismatch(report, numeric, final)

    def repr_failure(self, excinfo, style=None):
        """The step report (and numeric verdicts with witnesses), not a traceback."""
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
            lines = []
            if not report.as_expected:
                head = f"{where}: {report.expectation}, but the verdict is {report.verdict}"
                if first is not None:
                    head += f" (first refused: step {first.index})"
                lines.append(head)
            numeric, final = error.numeric, error.final
            if numeric is not None and numeric.checker_bugs:
                which = ", ".join(str(s.index) for s in numeric.checker_bugs)
                lines.append(
                    f"{self.path}: CHECKER BUG: step(s) {which} accepted symbolically but "
                    "numerically false (witnesses below)"
                )
            if final is not None and final.biased:
                lines.append(f"{self.path}: CHECKER BUG: the accepted final estimate is biased")
            lines.append(report.text())
            if numeric is not None:
                lines.append(numeric.text())
            if final is not None:
                lines.append(final.text())
            return "\n".join(lines)
        if isinstance(error, (DerivationFileError, DerivationError)):
            return f"unusable derivation file: {error}"
        if isinstance(error, CommandError):
            return f"pgproof: {error}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        """Where the item is, for pytest's progress lines."""
        return self.path, 0, terminal_text(f"derivation {self.name}")
