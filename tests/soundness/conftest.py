"""Helpers for the soundness regressions: write a derivation file, check it."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

import pgproof
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


def write_steps(
    tmp_path: Path,
    steps: Sequence[tuple[str, str | Sequence[str]]],
    notation: str,
    title: str,
    terms: Sequence[str] = (),
) -> Path:
    """A derivation file of ``steps`` ((formula, by) pairs) under ``notation``: the first
    step ``from = "self"`` (with ``terms``, if any), the others continuing it."""
    text = f'title = "{title}"\nsource = "test"\n' + notation
    for k, (formula, by) in enumerate(steps):
        assert "'''" not in formula
        rules = json.dumps(by if isinstance(by, str) else list(by))
        text += "\n[[step]]\nformula = '''" + formula + "'''\nby = " + rules + "\n"
        if k == 0:
            text += 'from = "self"\n'
            if terms:
                text += "terms = [" + ", ".join("'''" + t + "'''" for t in terms) + "]\n"
    path = tmp_path / "case.pgproof.toml"
    path.write_text(text, encoding="utf-8")
    return path


def only_step(path: Path) -> pgproof.StepReport:
    """The checker's report on the one step of the derivation file ``path``."""
    report = pgproof.check(path)
    assert len(report.steps) == 1
    return report.steps[0]


def first_verdict(path: Path) -> str:
    """The numeric verdict on the first step of ``path`` (3 random MDPs, seeded)."""
    return pgproof.verify_steps(pgproof.check(path), trials=3, seed=0).steps[0].verdict


def failures(step: pgproof.StepReport) -> list[tuple[str, str]]:
    """The (rule, condition) of each failure of ``step``."""
    return [(f.rule, f.condition) for f in step.failures]
