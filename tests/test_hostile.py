"""Derivation files are data: hostile ones give a clear error, quickly, and run nothing."""

from __future__ import annotations

import builtins
import time
from pathlib import Path

import pytest
import sympy

from pgproof.cli import main
from pgproof.files import DerivationFileError, load_derivation

HEADER = 'title = "t"\nsource = "s"\n\n[[step]]\nby = "definition"\nfrom = "self"\n'

HOSTILE = {
    "python": 'formula = \'__import__("os").system("touch {marker}")\'',
    "eval": "formula = 'eval(\"1+1\") = 2'",
    "input": "formula = '\\input{{/etc/passwd}} = 1'",
    "exponent": "formula = 'J(\\theta) = 2^{{99999999999}}'",
    "nesting": "formula = '" + "{{" * 5000 + "x" + "}}" * 5000 + "'",
    "long": "formula = '" + "r(\\tau) + " * 150_000 + "r(\\tau)'",
}


@pytest.fixture
def no_code_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("a derivation file made pgproof execute or sympify text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden, raising=False)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_formula_is_refused_fast(
    kind: str, tmp_path: Path, no_code_execution: None
) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / f"{kind}.pgproof.toml"
    path.write_text(HEADER + HOSTILE[kind].format(marker=marker) + "\n", encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(DerivationFileError) as info:
        load_derivation(path)
    assert time.monotonic() - start < 5
    assert str(info.value).startswith(str(path))
    assert info.value.step == 1
    assert not marker.exists()


def test_a_ten_megabyte_file_is_refused_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.pgproof.toml"
    path.write_text(HEADER + "formula = '" + "x" * 10_000_000 + "'\n", encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(DerivationFileError) as info:
        load_derivation(path)
    assert time.monotonic() - start < 5
    assert "the limit is" in str(info.value)


def test_the_cli_exits_2_with_one_line_per_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "python.pgproof.toml"
    path.write_text(HEADER + HOSTILE["python"].format(marker=tmp_path / "m") + "\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pgproof: error: {path}:") and "Traceback" not in err


def test_a_symbolic_link_loop_in_a_folder_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub" / "x.pgproof.toml").write_text('title = "t"\n', encoding="utf-8")
    start = time.monotonic()
    assert main(["check", str(tmp_path)]) == 2
    assert time.monotonic() - start < 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x.pgproof.toml" in err


def test_the_full_hostile_corpus_lives_in_tests_hostile() -> None:
    """Reading, rendering and output cases run as subprocesses under limits there."""
    from tests.hostile.cases import CASES

    assert len(CASES) >= 50


@pytest.mark.parametrize(
    "formula",
    [r"J(\theta) ^^5c = 1", r"\color{red^^7d} J(\theta) = 1", r"\textcolor{re;d}{J(\theta)} = 1"],
)
def test_the_reader_refuses_what_render_could_not_print(formula: str) -> None:
    from pgproof.latex.parser import LatexError, parse_formula
    from pgproof.symbolic.notation import Notation

    with pytest.raises(LatexError, match=r"\^\^ notation|colour argument"):
        parse_formula(formula, Notation())


@pytest.mark.parametrize("name", [r"\input{x}", "s^^5c", "a\nb", r"\catcode"])
def test_a_notation_name_must_be_safe_latex(name: str) -> None:
    from pgproof.symbolic.notation import Notation

    with pytest.raises(ValueError, match="the name"):
        Notation(state=name)
