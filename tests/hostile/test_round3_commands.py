"""Hostile input, round 3, on the command line (issue 19, item 5): integers with thousands
of digits, file names that hold a newline and a tab, and Python warnings.

Each case runs ``pgproof`` as a subprocess under the corpus's limits (``runner.run``:
address space, CPU time, file size) and asserts its exit status, one line on stderr that
names the option or the file, a peak memory under 500 MB, nothing written, and never a
traceback.  The wall-clock limit is only a guard against a hang, far above what the cases
need, so that they pass on a loaded machine.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

from pgproof.cli import main
from pgproof.commands import rules
from pgproof.commands.common import MAX_DIGITS

from .runner import MEMORY_BYTES, Outcome, run

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "derivations" / "000_deriving_policy_gradient.pgproof.toml"
REFUSED = ROOT / "derivations" / "wrong_steps" / "sign_error.pgproof.toml"

#: a hang guard only (the cases take about a second), never a measure of speed
HANG_SECONDS = 60.0

#: an integer Python refuses to convert (more than 4300 digits)
HUGE = "1" + "0" * 5000

#: a file name that, printed raw, would add a line saying the derivation was accepted
FAKE = "a\n  verdict: ACCEPTED\tb"
FAKE_SHOWN = "a\\x0a  verdict: ACCEPTED\\x09b"

RANDOM_PROBLEM = ["--states", "2", "--actions", "2", "--horizon", "2"]


def _about(args: list[str], outcome: Outcome) -> str:
    return (
        f"pgproof {' '.join(a[:60] for a in args)}\n  exit {outcome.status}, "
        f"{outcome.seconds:.2f} s, {outcome.max_rss_bytes / 2**20:.0f} MB"
        f"{', KILLED' if outcome.killed else ''}\n  stderr: {outcome.stderr[-1500:]!r}\n"
        f"  stdout: {outcome.stdout[-800:]!r}"
    )


def _run(args: list[str], scratch: Path) -> tuple[Outcome, str]:
    outcome = run(args, scratch, wall_seconds=HANG_SECONDS)
    about = _about(args, outcome)
    assert not outcome.killed, about
    assert outcome.max_rss_bytes < MEMORY_BYTES, about
    for stream in (outcome.stdout, outcome.stderr):
        assert "Traceback" not in stream and "internal error" not in stream, about
    assert outcome.changes == [], f"the scratch folder changed: {outcome.changes}\n{about}"
    return outcome, about


def _one_error_line(outcome: Outcome, about: str, *named: str) -> str:
    assert outcome.status == 2, about
    assert len(outcome.stderr_lines) == 1, about
    (line,) = outcome.stderr_lines
    for name in named:
        assert name in line, about
    return line


# --------------------------------------------------------------------------- integers

INTEGER_OPTIONS = [
    (["check", "--trials", HUGE, "good.pgproof.toml"], "--trials"),
    (["check", "--seed", HUGE, "good.pgproof.toml"], "--seed"),
    (["report", "good.pgproof.toml", "-o", "r.html", "--trials", HUGE], "--trials"),
    (["report", "good.pgproof.toml", "-o", "r.html", "--seed", HUGE], "--seed"),
    (["report", "good.pgproof.toml", "-o", "r.html", "--samples", HUGE], "--samples"),
    (["verify", "--states", HUGE, "--actions", "2", "--horizon", "2"], "--states"),
    (["verify", "--states", "2", "--actions", HUGE, "--horizon", "2"], "--actions"),
    (["verify", "--states", "2", "--actions", "2", "--horizon", HUGE], "--horizon"),
    (["verify", *RANDOM_PROBLEM, "--seed", HUGE], "--seed"),
    (["verify", *RANDOM_PROBLEM, "--seed", "-" + HUGE], "--seed"),
    (["verify", *RANDOM_PROBLEM, "--executor", "threads", "--workers", HUGE], "--workers"),
    (["verify", *RANDOM_PROBLEM, "--max-trajectories", HUGE], "--max-trajectories"),
]

SAMPLE_COUNTS = [
    pytest.param(HUGE, id="digits"),
    pytest.param("1e" + HUGE, id="exponent"),
    pytest.param("2^" + HUGE, id="power"),
]


def _ids(case: tuple[list[str], str]) -> str:
    args, option = case
    return f"{args[0]} {option}" + (" negative" if "-" + HUGE in args else "")


@pytest.mark.parametrize(("args", "option"), INTEGER_OPTIONS, ids=map(_ids, INTEGER_OPTIONS))
def test_an_integer_of_thousands_of_digits_is_one_line(args, option, tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.pgproof.toml")
    outcome, about = _run(args, tmp_path)
    line = _one_error_line(outcome, about, f"argument {option}:")
    assert f"of at most {MAX_DIGITS} digits" in line, about
    assert "(5,001 characters)" in line or "(5,002 characters)" in line, about
    assert len(line) < 300, about  # the number is not repeated in full


@pytest.mark.parametrize("count", SAMPLE_COUNTS)
def test_verify_samples_of_thousands_of_digits_is_one_line(count: str, tmp_path: Path) -> None:
    args = ["verify", *RANDOM_PROBLEM, "--samples", count]
    outcome, about = _run(args, tmp_path)
    line = _one_error_line(outcome, about, "--samples")
    assert len(line) < 300, about


def test_an_integer_within_the_cap_is_read(tmp_path: Path) -> None:
    shutil.copy(GOOD, tmp_path / "good.pgproof.toml")
    seed = "9" * MAX_DIGITS
    outcome, about = _run(["check", "--seed", seed, "good.pgproof.toml"], tmp_path)
    assert outcome.status == 0 and outcome.stderr_lines == [], about
    one_more = ["check", "--seed", seed + "9", "good.pgproof.toml"]
    outcome, about = _run(one_more, tmp_path)
    _one_error_line(outcome, about, "argument --seed:", f"at most {MAX_DIGITS} digits")


# --------------------------------------------------------------------------- file names


def _no_fake_line(outcome: Outcome, about: str) -> None:
    """No line of the output says 'verdict: ACCEPTED' but a real verdict line, and no
    tab of the name is printed raw."""
    for stream in (outcome.stdout, outcome.stderr):
        assert "\t" not in stream and "\x1b" not in stream and "\r" not in stream, about
        for line in stream.splitlines():
            assert not re.match(r"\s*verdict: ACCEPTED", line), about


def test_a_file_name_with_a_newline_stays_on_its_line(tmp_path: Path) -> None:
    """The file is refused (a sign error, expected), and its name cannot say otherwise."""
    shutil.copy(REFUSED, tmp_path / f"{FAKE}.pgproof.toml")
    for args in (["check", f"{FAKE}.pgproof.toml"], ["check", "."]):  # named, and found
        outcome, about = _run(args, tmp_path)
        assert outcome.status == 0 and outcome.stderr_lines == [], about
        _no_fake_line(outcome, about)
        assert f"[{FAKE_SHOWN}.pgproof.toml]" in outcome.stdout, about
        assert "verdict: REJECTED" in outcome.stdout, about


def test_a_file_name_with_a_newline_in_json_stays_json(tmp_path: Path) -> None:
    shutil.copy(REFUSED, tmp_path / f"{FAKE}.pgproof.toml")
    outcome, about = _run(["check", "--json", f"{FAKE}.pgproof.toml"], tmp_path)
    assert outcome.status == 0, about
    (derivation,) = json.loads(outcome.stdout)["derivations"]
    assert derivation["file"] == f"{FAKE}.pgproof.toml", about


def test_a_file_name_with_a_newline_in_rendered_latex(tmp_path: Path) -> None:
    shutil.copy(REFUSED, tmp_path / f"{FAKE}.pgproof.toml")
    outcome, about = _run(["render", f"{FAKE}.pgproof.toml"], tmp_path)
    assert outcome.status == 0, about
    _no_fake_line(outcome, about)




@pytest.mark.parametrize(
    ("name", "content", "args", "problem"),
    [
        (f"{FAKE}.pgproof.toml", "title = [", ["check"], "not valid TOML"),
        (f"{FAKE}.pgproof.toml", None, ["check"], "no such file or folder"),
        pytest.param(f"{FAKE}.json", "{", ["verify", "--mdp"], "invalid JSON"),
        pytest.param(f"{FAKE}.json", None, ["verify", "--mdp"], "no such file"),
    ],
    ids=["bad TOML", "missing derivation", "bad JSON", "missing MDP"],
)
def test_an_unusable_file_with_a_newline_in_its_name_is_one_line(
    tmp_path: Path, name: str, content: str | None, args: list[str], problem: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    outcome, about = _run([*args, name], tmp_path)
    shown = name.replace(FAKE, FAKE_SHOWN)
    line = _one_error_line(outcome, about, shown, problem)
    assert line.startswith("pgproof"), about
    _no_fake_line(outcome, about)


# --------------------------------------------------------------------------- warnings


@pytest.mark.parametrize(
    "executor", [[], ["--executor", "processes", "--workers", "2"]], ids=["serial", "processes"]
)
def test_a_numpy_overflow_is_a_note_without_source_paths(tmp_path: Path, executor) -> None:
    """θ = ±1e308 is a valid MDP file, but the softmax's logits overflow (in the command's
    process, or in the workers of a process pool)."""
    problem = {
        "initial": [1.0, 0.0],
        "transition": [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]],
        "reward": [[1.0, 0.0], [0.0, 1.0]],
        "horizon": 3,
        "theta": [[1e308, -1e308], [0.0, 0.0]],
    }
    (tmp_path / "overflow.json").write_text(json.dumps(problem), encoding="utf-8")
    args = ["verify", "--mdp", "overflow.json", "--samples", "1000", "--estimator", "reinforce"]
    outcome, about = _run([*args, *executor], tmp_path)
    assert outcome.status in (0, 1), about
    notes = outcome.stderr_lines
    assert notes, about  # the overflow is reported
    assert all(n.startswith("pgproof: note: ") for n in notes), about
    assert any("overflow" in n and "(RuntimeWarning)" in n for n in notes), about
    workers = 2 if executor else 1
    assert len(notes) <= workers * len(set(notes)), about  # each note once (a process)
    assert ".py" not in outcome.stderr and "np." not in outcome.stderr, about
    assert "pgproof/" not in outcome.stderr, about


def test_warnings_of_a_command_are_notes(monkeypatch, capsys) -> None:
    """In the process: a warning given twice, from two places, is one note line; a
    message of two lines is one line; Python's own display is back afterwards."""

    def warn(args) -> int:
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        warnings.warn("a second\nline", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(rules, "run_rules", warn)
    before = warnings.showwarning
    assert main(["rules"]) == 0
    assert capsys.readouterr().err == (
        "pgproof: note: overflow encountered in multiply (RuntimeWarning)\n"
        "pgproof: note: a second line (UserWarning)\n"
    )
    assert warnings.showwarning is before
