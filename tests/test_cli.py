"""The pgproof command line: check (text and JSON), render, rules, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pgproof.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "derivations").glob("00[0-2]_*.pgproof.toml"))


def test_check_prints_each_step_and_the_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *map(str, SEEDS)]) == 0
    out = capsys.readouterr().out
    assert "✓ step 1" in out and "✗ step 12" in out
    assert "3 of 3 derivations as expected" in out
    assert "depends on θ through π_θ(a_t|s_t): it cannot be dropped" in out


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", *map(str, SEEDS)]) == 0
    data = json.loads(capsys.readouterr().out)
    by_source = {d["source"]: d for d in data["derivations"]}
    assert by_source["000_f89af4cbc279160f.txt"]["verdict"] == "accepted"
    assert by_source["002_50b94de01e89e533.txt"]["verdict"] == "accepted"
    bad = by_source["001_53e2c9bc8a8b89f0.txt"]
    assert bad["verdict"] == "rejected" and bad["as_expected"] and bad["unfinished"]
    step = bad["steps"][11]
    assert step["index"] == 12 and step["status"] == "rejected"
    assert "drop_zero_gradient" in step["rule"] and "depends on θ" in step["reason"]
    assert {"file", "title", "source", "verdict", "steps"} <= set(bad)


def test_check_exits_1_when_a_verdict_is_unexpected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "derivations" / "001_policy_gradient_unfinished.pgproof.toml").read_text()
    changed = tmp_path / "x.pgproof.toml"
    changed.write_text(text.replace("rejected_at = 12", "rejected_at = 11"), encoding="utf-8")
    assert main(["check", str(changed)]) == 1
    assert "NOT AS EXPECTED" in capsys.readouterr().out


def test_check_exits_2_for_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no/such/place"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_check_defaults_to_the_bundled_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    assert "derivations as expected" in capsys.readouterr().out


def test_rules_lists_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "log_derivative_trick" in out and "f > 0" in out
    assert "monte_carlo_estimate (estimate ≈)" in out


@pytest.mark.parametrize("command", ["check", "render", "rules", "verify"])
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "example" in capsys.readouterr().out


def test_render_align_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(SEEDS[1])]) == 0
    out = capsys.readouterr().out
    assert out.count(r"\begin{align*}") == 1
    assert r"(12) substitution of (11), gradient of a sum, gradient of a constant is 0" in out
    assert r"\times\ \text{refused}" in out
    assert out.count(r"\checkmark") == 11


def _compile(tex: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("as_written", [False, True])
def test_standalone_render_compiles_with_latex(tmp_path: Path, as_written: bool) -> None:
    if shutil.which("pdflatex") is None:
        if os.environ.get("PGPROOF_REQUIRE_LATEX"):
            pytest.fail("pdflatex is required (PGPROOF_REQUIRE_LATEX is set) but not installed")
        pytest.skip("pdflatex is not installed")
    tex = tmp_path / "all.tex"
    args = ["render", str(ROOT / "derivations"), "--standalone", "-o", str(tex)]
    assert main(args + (["--as-written"] if as_written else [])) == 0
    result = _compile(tex)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "all.pdf").stat().st_size > 10_000


@pytest.mark.parametrize("command", ["check", "render"])
def test_a_bad_step_reference_is_reported_with_file_line_and_step(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "derivations" / "000_deriving_policy_gradient.pgproof.toml").read_text()
    bad = tmp_path / "bad.pgproof.toml"
    bad.write_text(text.replace("from = 3\n", "from = 9\n"), encoding="utf-8")
    assert main([command, str(bad)]) == 2
    err = capsys.readouterr().err
    step_6 = [i for i in range(len(text)) if text.startswith("[[step]]", i)][5]
    line = 1 + text[: text.index("formula =", step_6)].count("\n")
    assert f"{bad}:{line}: step 6: from must name an earlier step (1..5), not 9" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- error handling


def _raise(exc: BaseException):
    def run(args):
        raise exc

    return run


def test_an_unexpected_exception_is_one_line_calling_it_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pgproof.commands import rules

    monkeypatch.setattr(rules, "run_rules", _raise(ZeroDivisionError("oops\nsecond line")))
    assert main(["rules"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (a pgproof bug): ZeroDivisionError: oops second line" in err
    assert "--debug" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback(
    where: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pgproof.commands import rules

    monkeypatch.setattr(rules, "run_rules", _raise(ZeroDivisionError("oops")))
    args = ["--debug", "rules"] if where == "before" else ["rules", "--debug"]
    assert main(args) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: oops" in err
    assert err.rstrip().splitlines()[-1].startswith("pgproof: internal error")


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (PermissionError(13, "Permission denied", "out.tex"), "out.tex: Permission denied"),
        (MemoryError(), "out of memory: the input is too large"),
    ],
)
def test_known_failures_are_one_line_with_status_2(
    exc: BaseException, line: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from pgproof.commands import rules

    monkeypatch.setattr(rules, "run_rules", _raise(exc))
    assert main(["rules"]) == 2
    assert capsys.readouterr().err == f"pgproof: error: {line}\n"


def test_a_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "--seed", "-1"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "pgproof check: error: argument --seed: must be a non-negative integer, not -1 "
        "(see pgproof check --help)\n"
    )


def test_control_characters_in_a_file_name_are_shown_not_obeyed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "\x1b[2J\rred.pgproof.toml"
    path.write_text('title = "t"\n', encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    assert "\\x1b[2J\\x0dred.pgproof.toml" in err


# --------------------------------------------------------------------------- outputs


def test_render_into_a_missing_folder_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pgproof.commands import common

    monkeypatch.setattr(common, "load_and_check", _raise(AssertionError("checked anyway")))
    target = tmp_path / "missing" / "out.tex"
    assert main(["render", "-o", str(target), str(SEEDS[0])]) == 2
    err = capsys.readouterr().err
    assert err == f"pgproof: error: -o {target}: the folder {target.parent} does not exist\n"
    assert not target.parent.exists()
    assert main(["render", "-o", str(tmp_path), str(SEEDS[0])]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


@pytest.mark.parametrize("below", [False, True])
def test_a_witness_dir_that_is_a_file_is_refused_before_any_work(
    below: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep", encoding="utf-8")
    target = afile / "sub" if below else afile
    args = ["check", "--numeric", "--witness-dir", str(target), str(SEEDS[0])]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--witness-dir {target}:" in err
    assert afile.read_text(encoding="utf-8") == "keep"


# --------------------------------------------------------------------------- --timeout


@pytest.fixture
def budgets_seen(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The work budget each call of the checker was given (the checker itself still runs)."""
    import pgproof.symbolic.checker as checker

    real = checker.check_derivation
    seen: list[int | None] = []

    def with_budget(derivation, *, work=None):
        seen.append(work)
        return real(derivation, work=work)

    monkeypatch.setattr(checker, "check_derivation", with_budget)
    return seen


def test_the_work_budget_is_passed_to_the_checker_as_a_keyword(
    budgets_seen: list[int | None], capsys: pytest.CaptureFixture[str]
) -> None:
    seen = budgets_seen
    assert main(["check", "--work-budget", "300000", str(SEEDS[0])]) == 0
    assert main(["render", "--work-budget", "700000", str(SEEDS[0])]) == 0
    assert main(["check", str(SEEDS[0])]) == 0  # no option: the checker's own default
    assert seen == [300_000, 700_000, None]
    capsys.readouterr()


def test_timeout_is_the_old_name_read_as_units_of_work_and_said(
    budgets_seen: list[int | None], capsys: pytest.CaptureFixture[str]
) -> None:
    seen = budgets_seen
    assert main(["check", "--timeout", "2.5", str(SEEDS[0])]) == 0
    assert seen == [125_000]
    err = capsys.readouterr().err
    assert "--timeout 2.5 is read as --work-budget 125000 (units of work, not seconds" in err
    assert main(["check", "--timeout", "2", "--work-budget", "9", str(SEEDS[0])]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["check", "--timeout", "1e305", str(SEEDS[0])]) == 2  # no overflow, exit 70
    err = capsys.readouterr().err
    assert "--timeout 1e+305: more than 1,000,000,000,000,000 units" in err
    assert len(err.splitlines()) == 1


def test_a_step_out_of_work_is_undecided_with_its_own_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--work-budget", "1", str(SEEDS[0])]) == 3
    out = capsys.readouterr().out
    assert "? step 1" in out and "✗" not in out
    assert "within 1 units of work" in out
    assert "verdict: UNDECIDED" in out and ", 1 undecided" in out
    assert main(["check", "--json", "--work-budget", "1", str(SEEDS[0])]) == 3
    data = json.loads(capsys.readouterr().out)["derivations"][0]
    assert data["verdict"] == "undecided" and data["outcome"] == "undecided"
    assert {s["status"] for s in data["steps"]} == {"undecided"}


def test_work_budget_is_refused_when_the_checker_has_no_budget(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pgproof.symbolic.checker as checker

    real = checker.check_derivation
    monkeypatch.setattr(checker, "check_derivation", lambda derivation: real(derivation))
    assert main(["check", "--work-budget", "1000", str(SEEDS[0])]) == 2
    assert "a work budget was asked for" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "soon", "9" * 5000])
def test_work_budget_must_be_a_positive_whole_number(value: str, capsys):
    with pytest.raises(SystemExit) as info:
        main(["check", "--work-budget", value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --work-budget: must be a" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_timeout_must_be_a_positive_number(value: str, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        main(["check", "--timeout", value])
    assert info.value.code == 2
    assert "argument --timeout: must be a" in capsys.readouterr().err


def test_the_work_budget_also_bounds_the_numeric_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pgproof.bridge.steps as steps
    from pgproof.budget import STEP_WORK

    real = steps.verify_steps_numerically
    seen: list[int] = []

    def with_budget(report, trials, seed, witness_dir, *, work):
        seen.append(work)
        return real(report, 1, seed, witness_dir, work=work)

    monkeypatch.setattr(steps, "verify_steps_numerically", with_budget)
    path = ROOT / "derivations" / "wrong_steps" / "sign_error.pgproof.toml"
    assert main(["check", "--numeric", "--work-budget", str(STEP_WORK), str(path)]) == 0
    assert seen == [steps.NUMERIC_WORK]  # the same share of the numeric check's default
    capsys.readouterr()


def test_render_and_report_show_an_undecided_step_as_such(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = ROOT / "tests" / "hostile" / "files" / "budget_product_power.pgproof.toml"
    assert main(["render", "--work-budget", "80000", str(slow)]) == 0
    latex = capsys.readouterr().out
    assert r"\textcolor{orange}{?\ \text{undecided}}" in latex
    assert "% reason: could not be decided within 80,000 units of work" in latex
    assert r"\times" not in latex  # not shown as refused
    page = tmp_path / "r.html"
    command = ["report", "--no-numeric", "--work-budget", "80000", str(slow), "-o", str(page)]
    assert main(command) == 3
    assert ", 1 undecided" in capsys.readouterr().out
    html = page.read_text(encoding="utf-8")
    assert "? Undecided." in html and "Refused." not in html
