"""The verify subcommand, driven through a minimal argparse harness."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pytest

from pgproof.commands.verify import add_parser
from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp
from pgproof.numeric.io import dump_mdp_json, load_problem

RANDOM = ["--states", "3", "--actions", "2", "--horizon", "3", "--seed", "7"]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pgproof")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["verify", *argv])
    return args.func(args)


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = run(*argv, "--json")
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def problem_file(tmp_path, problem_factory):
    mdp, _, theta = problem_factory("tabular", seed=21, discount=0.5)
    path = tmp_path / "problem.json"
    dump_mdp_json(path, mdp, theta)
    return path


def test_json_report_has_exact_values_and_expected_verdicts(capsys, problem_file):
    code, report = run_json(capsys, "--mdp", str(problem_file), "--samples", "20000")
    mdp, policy, theta = load_problem(problem_file)
    assert report["J"] == pytest.approx(exact_objective_dp(mdp, policy, theta), abs=1e-12)
    np.testing.assert_allclose(report["grad_dp"], exact_gradient_dp(mdp, policy, theta))
    np.testing.assert_allclose(report["grad_exact"], report["grad_dp"], atol=1e-10)
    assert set(report["estimators"]) >= {"reinforce", "state_baseline", "action_baseline"}
    for name, entry in report["estimators"].items():
        assert {"mean", "stderr", "p_value", "verdict", "variance", "exact_bias"} <= set(entry)
        assert entry["verdict"] == entry["expected"], name
        assert entry["exactly_unbiased"] == (entry["expected"] == "unbiased"), name
    assert report["estimators"]["discount_confusion"]["expected"] == "biased"  # γ = 0.5
    assert code == 0 and report["ok"]


def test_text_report_lists_every_requested_estimator(capsys):
    code = run(*RANDOM, "--estimator", "reinforce", "--estimator", "reward_to_go")
    out = capsys.readouterr().out
    assert code == 0
    assert "J(θ) = " in out and "max |enumeration - DP|" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("reinforce", "reward"))]
    assert [row[0] for row in rows] == ["reinforce", "reward_to_go"]
    assert all(row[1:3] == ["unbiased", "unbiased"] and row[-1] == "ok" for row in rows)
    assert out.count("    stderr ") == 2


def test_large_mdp_uses_dp_and_skips_exact_moments(capsys):
    code, report = run_json(
        capsys,
        "--states",
        "12",
        "--actions",
        "3",
        "--horizon",
        "15",
        "--samples",
        "3000",
        "--estimator",
        "state_baseline",
    )
    assert code == 0 and report["grad_exact_method"] == "dp"
    assert report["estimators"]["state_baseline"]["exact_bias"] is None


def test_user_estimator_that_is_biased_gives_exit_1(capsys, tmp_path):
    module = tmp_path / "mine.py"
    module.write_text(
        "from pgproof.numeric.estimators import ESTIMATORS\n"
        "def shifted(batch, mdp, policy, theta):\n"
        "    return ESTIMATORS['reinforce'](batch, mdp, policy, theta) + 0.5\n"
    )
    code, report = run_json(capsys, *RANDOM, "--estimator", f"{module}:shifted")
    (entry,) = report["estimators"].values()
    assert entry["expected"] == "unbiased" and entry["verdict"] == "biased"
    assert code == 1 and report["ok"] is False


def test_undetected_bias_gives_exit_1(capsys):
    # with 50 samples the small bias of discount_off_by_one (γ = 0.99) goes unnoticed
    code, report = run_json(
        capsys,
        *RANDOM,
        "--discount",
        "0.99",
        "--samples",
        "50",
        "--estimator",
        "discount_off_by_one",
    )
    entry = report["estimators"]["discount_off_by_one"]
    assert entry["expected"] == "biased" and entry["verdict"] == "unbiased"
    assert entry["exactly_unbiased"] is False
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--states", "3", "--actions", "2"], "give --mdp FILE.json, or all of --states"),
        ([*RANDOM, "--estimator", "nope"], "unknown estimator 'nope'"),
        ([*RANDOM, "--samples", "1"], "--samples must be at least 2"),
        ([*RANDOM, "--alpha", "2"], r"--alpha must lie in \(0, 1\)"),
        ([*RANDOM, "--estimator", "no_such_module_xyz:f"], "cannot import module"),
        (["--states", "0", "--actions", "2", "--horizon", "2"], "must be positive"),
    ],
)
def test_unusable_arguments_exit_2_with_one_line(capsys, argv, message):
    assert run(*argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("pgproof verify: error: ")
    assert re.search(message, captured.err)


def test_broken_file_exits_2_naming_the_file_and_the_row(capsys, tmp_path, problem_file):
    data = json.loads(problem_file.read_text())
    data["transition"][2][1][0] += 0.25
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert run("--mdp", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"{bad}: transition[2][1] sums to" in err and "off by +0.25" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_file_and_random_options_are_exclusive(capsys, problem_file):
    assert run("--mdp", str(problem_file), "--states", "3") == 2
    assert "cannot be combined" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "pgproof verify --mdp problem.json" in out
    assert "reward_to_go_skip_current" in out
