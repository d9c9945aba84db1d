"""The top-level API: ``pgproof.load``, ``pgproof.check`` …, ``python -m pgproof``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import pgproof
from pgproof.commands.verify import BUILTIN_ESTIMATORS

SEED_000 = "000_deriving_policy_gradient.pgproof.toml"


def test_every_public_name_resolves_and_dir_lists_them() -> None:
    assert set(dir(pgproof)) == set(pgproof.__all__)
    for name in pgproof.__all__:
        assert getattr(pgproof, name) is not None, name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'chek'"):
        pgproof.chek  # noqa: B018


def test_load_and_check_a_bundled_seed() -> None:
    derivation = pgproof.load(pgproof.examples_path() / SEED_000)
    report = pgproof.check(derivation)
    assert report.verdict == "accepted" and report.as_expected
    by_path = pgproof.check(pgproof.examples_path() / SEED_000)
    assert [s.status for s in by_path.steps] == [s.status for s in report.steps]
    data = report.to_json()
    assert data["verdict"] == "accepted" and len(data["steps"]) == len(derivation.steps)


def test_a_work_budget_through_the_api_leaves_steps_undecided_never_refused() -> None:
    path = pgproof.examples_path() / SEED_000
    short = pgproof.check(path, work=50)
    assert short.verdict == "undecided" and short.outcome == "undecided"
    assert short.first_rejection is None and short.first_undecided is not None
    assert {s.mark for s in short.steps} <= {"?", "✓", "(✓)"}
    assert pgproof.check(path, work=2_000_000).verdict == "accepted"


def test_a_wrong_step_is_refused_through_the_api() -> None:
    path = pgproof.examples_path() / "wrong_steps" / "sign_error.pgproof.toml"
    report = pgproof.check(path)
    assert report.verdict == "rejected" and report.first_rejection.index == 1


def test_rules_lists_the_registry() -> None:
    rules = pgproof.rules()
    assert "log_derivative_trick" in rules and rules["log_derivative_trick"].formula


def test_python_dash_m_runs_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pgproof", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"pgproof {pgproof.__version__}"


def test_verify_help_names_exactly_the_builtin_estimators() -> None:
    assert tuple(pgproof.ESTIMATORS) == BUILTIN_ESTIMATORS
