"""`pgproof verify` (issue 14, item 3): ∇J(θ) and every estimator's mean in θ's S×A layout
with named columns, and ``--plot FILE`` (PNG, SVG or PDF) of each estimator's running-mean
error against m with its band, ‖∇J‖₂, and its total variance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgproof.cli import main

PROBLEM = ["verify", "--states", "2", "--actions", "3", "--horizon", "2", "--seed", "1"]
ESTIMATORS = ["--estimator", "reinforce", "action_baseline", "--samples", "3000"]


def test_means_are_shown_in_the_layout_of_the_gradient(capsys: pytest.CaptureFixture[str]):
    main([*PROBLEM, *ESTIMATORS])
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = lines.index("∇J(θ) by enumeration:")
    assert lines[at + 1].split() == ["a=0", "a=1", "a=2"]
    assert lines[at + 2].split()[0] == "s=0" and lines[at + 3].split()[0] == "s=1"
    assert len(lines[at + 2].split()) == 4  # s=0 and three actions
    heads = [line for line in lines if "mean ĝ (sampled)" in line]
    assert len(heads) == 2
    assert all("standard error" in h and "mean ĝ − ∇J(θ)" in h for h in heads)
    assert not any(line.startswith(("    mean   [", "    stderr [")) for line in lines)
    rows = [line.split() for line in lines if line.startswith("    s=")]
    assert len(rows) == 4 and all(len(row) == 1 + 3 * 3 for row in rows)  # 3 tables of S×A
    assert "variance tr Cov = " in out  # the variance says it is a trace


def test_time_dependent_parameters_get_one_table_per_step(capsys: pytest.CaptureFixture[str]):
    main([*PROBLEM, "--policy", "time-dependent", "--estimator", "reinforce", "--samples", "500"])
    out = capsys.readouterr().out
    assert out.count("t=1:") == 2 and out.count("t=2:") == 2  # ∇J and the estimator


@pytest.mark.extra("plots")
@pytest.mark.parametrize(
    ("suffix", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_plot_is_written(tmp_path: Path, suffix: str, magic: bytes, capsys) -> None:
    path = tmp_path / f"estimators.{suffix}"
    assert main([*PROBLEM, *ESTIMATORS, "--plot", str(path)]) in (0, 1)
    out = capsys.readouterr().out
    assert path.read_bytes().startswith(magic)
    assert f"plot written to {path}: each estimator's running-mean error against m" in out
    assert "tr Cov(ĝ)" in out and "action_baseline" in out.split("plot written")[1]


@pytest.mark.extra("plots")
def test_plot_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estimators.png"
    main([*PROBLEM, *ESTIMATORS, "--plot", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    plot = data["plot"]
    assert plot["file"] == str(path) and plot["samples"] == 3000
    assert set(plot["final_error"]) == {"reinforce", "action_baseline"}
    assert plot["final_error"]["action_baseline"] > plot["final_error"]["reinforce"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("plot.gif", "unknown plot format 'gif'"), ("no/such/folder/plot.png", "does not exist")],
)
def test_a_bad_plot_path_is_refused_before_any_work(
    tmp_path: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*PROBLEM, *ESTIMATORS, "--plot", str(tmp_path / name)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err
