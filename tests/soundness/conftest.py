"""Helpers for the soundness regressions: write a derivation file, check it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pgproof.symbolic.report import DerivationReport

try:
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation
except ImportError:  # the layout before the restructuring: to show these tests failed there
    from pgproof.loader import load_derivation  # type: ignore[no-redef]

    from pgproof.symbolic.checker import check as check_derivation  # type: ignore[no-redef]

HEADER = """title = "regression"
source = "test"
"""


@pytest.fixture
def check_text(tmp_path: Path):
    """check_text(body) -> DerivationReport for a derivation file with that body."""

    def run(body: str) -> DerivationReport:
        path = tmp_path / "case.pgproof.toml"
        path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
        return check_derivation(load_derivation(path))

    return run


def statuses(report: DerivationReport) -> list[str]:
    return [s.status for s in report.steps]


def numeric(report: DerivationReport, trials: int = 5, seed: int = 0):
    """The numeric verdicts of every step (whatever the function is called)."""
    try:
        from pgproof.bridge.steps import verify_steps_numerically as run
    except ImportError:  # the layout before the restructuring
        from pgproof.bridge.steps import check_numeric as run  # type: ignore[no-redef]
    return run(report, trials, seed)
