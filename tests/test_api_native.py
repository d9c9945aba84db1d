"""The Python API (issue 14, item 5): the names a user needs are in ``pgproof`` itself,
each documented; ``python -m pgproof``; ``py.typed``; constructors check their arguments."""

from __future__ import annotations

import inspect
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from sympy import Symbol

import pgproof

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = ROOT / "derivations" / "000_deriving_policy_gradient.pgproof.toml"

WANTED = {
    "load", "check", "verify_steps", "render", "render_document", "html_report", "rules",
    "TabularMDP", "random_mdp", "TabularSoftmax", "Estimator", "ESTIMATORS",
    "register_estimator", "Derivation", "Step", "Notation", "DerivationReport",
    "NumericReport", "estimator_traces", "save_plot",
}  # fmt: skip


def test_the_names_a_user_needs_are_exported() -> None:
    assert set(dir(pgproof)) >= WANTED


def _auto_docstring(obj: object) -> bool:
    """A dataclass without a docstring gets ``Name(field: type, …)`` as one."""
    doc = obj.__doc__ or ""
    return inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(")


@pytest.mark.parametrize("name", sorted(set(pgproof.__all__) - {"__version__", "ESTIMATORS"}))
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(pgproof, name)
    doc = inspect.getdoc(obj) if callable(obj) else None
    assert doc and doc.strip() and not _auto_docstring(obj), f"pgproof.{name} has no docstring"


def test_estimators_are_documented_where_they_are_listed() -> None:
    assert "ESTIMATORS" in (pgproof.__doc__ or "")
    assert all(e.formula or e.name for e in pgproof.ESTIMATORS.values())


def test_verify_steps_checks_a_path_and_verifies_its_steps() -> None:
    numeric = pgproof.verify_steps(SEED_000, trials=2, seed=1)
    assert isinstance(numeric, pgproof.NumericReport)
    assert len(numeric.steps) == 13 and numeric.checker_bugs == []


def test_py_typed_is_shipped() -> None:
    assert resources.files("pgproof").joinpath("py.typed").is_file()
    assert "py.typed" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_python_dash_m_pgproof_runs_every_command() -> None:
    for command in ("report", "render", "check"):
        out = subprocess.run(
            [sys.executable, "-m", "pgproof", command, "--help"], capture_output=True, text=True
        )
        assert out.returncode == 0 and "example" in out.stdout


def _step(**changes):
    n = pgproof.Notation()
    arguments = {"rhs": n.density_of(), "rules": ("definition",)}
    arguments.update(changes)
    return pgproof.Step(**arguments)


def test_step_rules_as_a_string_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"rules=\('log_derivative_trick',\).*list of characters"):
        _step(rules="log_derivative_trick")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rhs": "p(tau)"}, r"Step\(rhs=\.\.\.\) must be a symbolic expression"),
        ({"lhs": 3}, r"Step\(lhs=\.\.\.\) must be a symbolic expression or None"),
        ({"rules": [1]}, r"Step\(rules=\.\.\.\) must be a tuple of strings"),
        ({"source": "next"}, r'Step\(source=\.\.\.\) must be "previous", "self" or a step'),
        ({"source": True}, r"Step\(source=\.\.\.\)"),
        ({"reference": "1"}, r"Step\(reference=\.\.\.\) must be a step number or None"),
        ({"terms": Symbol("x")}, r"Step\(terms=\.\.\.\) must be a tuple of symbolic"),
        ({"note": None}, r"Step\(note=\.\.\.\) must be a string"),
    ],
)
def test_step_arguments_are_checked(changes: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _step(**changes)


def test_lists_are_accepted_and_stored_as_tuples() -> None:
    step = _step(rules=["definition", "algebra"], terms=[Symbol("x")])
    assert step.rules == ("definition", "algebra") and step.terms == (Symbol("x"),)
    hash(step)  # still usable as a frozen value


def test_derivation_arguments_are_checked() -> None:
    n = pgproof.Notation()
    step = _step()
    with pytest.raises(TypeError, match=r"Derivation\(steps=\.\.\.\) must be a non-empty"):
        pgproof.Derivation("t", "s", n, ())
    with pytest.raises(TypeError, match=r"Derivation\(steps=\.\.\.\) must be a tuple"):
        pgproof.Derivation("t", "s", n, step)
    with pytest.raises(TypeError, match=r"Derivation\(notation=\.\.\.\)"):
        pgproof.Derivation("t", "s", "notation", (step,))
    with pytest.raises(TypeError, match=r"Derivation\(title=\.\.\.\) must be a string"):
        pgproof.Derivation(None, "s", n, (step,))
    assert pgproof.Derivation("t", "s", n, [step]).steps == (step,)


def test_html_report_from_python(tmp_path: Path) -> None:
    page = pgproof.html_report(
        [SEED_000, ROOT / "derivations" / "wrong_steps" / "sign_error.pgproof.toml"],
        trials=2, plots=False,
    )  # fmt: skip
    assert page.startswith("<!DOCTYPE html>") and page.count('<tr class="pg-step ') == 14
