"""The verify subcommand, driven through a minimal argparse harness."""

from __future__ import annotations

import argparse
import json
import re
import time

import numpy as np
import pytest

from pgproof.commands.verify import add_parser
from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp
from pgproof.numeric.io import dump_mdp_json, load_problem

RANDOM = ["--states", "3", "--actions", "2", "--horizon", "3", "--seed", "7"]
DISCOUNTED = ["--states", "4", "--actions", "3", "--horizon", "5", "--discount", "0.9"]


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
    code, report = run_json(capsys, "--mdp", str(problem_file), "--tolerance", "0.2")
    mdp, policy, theta = load_problem(problem_file)
    assert report["J"] == pytest.approx(exact_objective_dp(mdp, policy, theta), abs=1e-12)
    np.testing.assert_allclose(report["grad_dp"], exact_gradient_dp(mdp, policy, theta))
    np.testing.assert_allclose(report["grad_exact"], report["grad_dp"], atol=1e-10)
    assert report["samples"] == "auto" and report["method"] == "betting"
    tolerance = 0.2 * np.max(np.abs(report["grad_exact"]))
    assert report["tolerance"] == pytest.approx(tolerance)
    assert set(report["estimators"]) >= {"reinforce", "state_baseline", "action_baseline"}
    for name, entry in report["estimators"].items():
        keys = {"mean", "stderr", "p_value", "verdict", "statement", "excluded_bias", "lower"}
        assert keys <= set(entry)
        assert entry["verdict"] == entry["expected"], name
        assert entry["exactly_unbiased"] == (entry["expected"] == "unbiased"), name
        assert entry["bounds"]["source"].startswith("derived")
        assert entry["required_samples"] > 0
        if entry["verdict"] == "unbiased":  # no bias larger than the tolerance
            assert entry["excluded_bias"] <= tolerance
            assert np.all(np.array(entry["lower"]) <= np.array(report["grad_exact"]))
        else:  # the bias proved, or (at the first crossing) its p-value below α
            assert entry["bias_at_least"] > 0 or entry["p_value"] < report["alpha"]
    assert report["estimators"]["discount_confusion"]["expected"] == "biased"  # γ = 0.5
    assert code == 0 and report["ok"] and report["exit_status"] == 0


def test_the_discounted_example_decides_every_convention_bug(capsys):
    # the README's discounted example: discount_off_by_one's exact bias is ~10 % of ∇J; with
    # --samples auto the run continues until it is shown (and every other verdict is definite)
    code, report = run_json(capsys, *DISCOUNTED, "--seed", "0")
    verdicts = {name: entry["verdict"] for name, entry in report["estimators"].items()}
    assert verdicts["discount_off_by_one"] == "biased"
    assert all(entry["as_expected"] for entry in report["estimators"].values()), verdicts
    assert code == 0
    assert report["sampled"] <= report["max_samples"]


def test_text_report_lists_every_requested_estimator(capsys):
    code = run(*RANDOM, "--estimator", "reinforce", "--estimator", "reward_to_go")
    out = capsys.readouterr().out
    assert code == 0
    assert "J(θ) = " in out and "max |enumeration - DP|" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("reinforce", "reward"))]
    assert [row[0] for row in rows] == ["reinforce", "reward_to_go"]
    assert all(row[1:3] == ["unbiased", "unbiased"] and row[-1] == "ok" for row in rows)
    assert out.count("consistent with unbiased: no bias larger than") == 2
    assert out.count("standard error") == 2
    assert "2 as expected, 0 contrary, 0 inconclusive → exit 0" in out


def test_large_mdp_uses_dp_and_skips_exact_moments(capsys):
    argv = ["--states", "12", "--actions", "3", "--horizon", "15", "--samples", "3000"]
    code, report = run_json(capsys, *argv, "--estimator", "state_baseline")
    entry = report["estimators"]["state_baseline"]
    assert report["grad_exact_method"] == "dp" and entry["exact_bias"] is None
    assert entry["required_samples"] is None
    assert entry["verdict"] in ("unbiased", "inconclusive")  # never "biased" (≤ α)
    assert code == (0 if entry["verdict"] == "unbiased" else 1)


def test_user_estimator_that_is_biased_gives_exit_1(capsys, tmp_path):
    module = tmp_path / "mine.py"
    module.write_text(
        "from pgproof.numeric.estimators import ESTIMATORS\n"
        "def shifted(batch, mdp, policy, theta):\n"
        "    return ESTIMATORS['reinforce'](batch, mdp, policy, theta) + 0.5\n"
    )
    code, report = run_json(capsys, *RANDOM, "--estimator", f"{module}:shifted")
    (entry,) = report["estimators"].values()
    assert entry["bounds"]["source"] == "exact range by enumeration"
    assert entry["expected"] == "unbiased" and entry["verdict"] == "biased"
    assert code == 1 and report["ok"] is False


def test_too_few_samples_are_inconclusive_never_the_expected_verdict(capsys):
    # with 50 samples the small bias of discount_off_by_one (γ = 0.99) cannot be seen:
    # the verdict is inconclusive (exit 1), and the report says how many samples would do
    code, report = run_json(
        capsys, *RANDOM, "--discount", "0.99", "--samples", "50",
        "--estimator", "discount_off_by_one", "reinforce",
    )  # fmt: skip
    bug, good = report["estimators"]["discount_off_by_one"], report["estimators"]["reinforce"]
    assert bug["expected"] == "biased" and bug["verdict"] == "inconclusive"
    assert good["expected"] == "unbiased" and good["verdict"] == "inconclusive"
    assert not bug["as_expected"] and not good["as_expected"]
    assert bug["exactly_unbiased"] is False and bug["required_samples"] > 50
    assert code == 1


def test_hotelling_option_runs_only_where_its_diagnostics_hold(capsys):
    code, report = run_json(
        capsys, *RANDOM, "--samples", "20000", "--test", "hotelling", "--estimator", "reinforce"
    )
    entry = report["estimators"]["reinforce"]
    assert entry["method"] in ("hotelling", "betting")
    if entry["method"] == "betting":
        assert any("Hotelling declined" in note for note in entry["notes"])
    assert entry["verdict"] != "biased"
    small = run_json(
        capsys, *RANDOM, "--samples", "30", "--test", "hotelling", "--estimator", "reinforce"
    )[1]["estimators"]["reinforce"]
    assert small["method"] == "betting" and small["p_value"] != 0


def test_time_dependent_policy_and_user_bound(capsys, tmp_path):
    module = tmp_path / "user.py"
    module.write_text(
        "from pgproof.numeric.estimators import ESTIMATORS\n"
        "def mine(batch, mdp, policy, theta):\n"
        "    return ESTIMATORS['reward_to_go'](batch, mdp, policy, theta)\n"
    )
    argv = ["--states", "5", "--actions", "3", "--horizon", "12", "--policy", "time-dependent"]
    code, report = run_json(
        capsys, *argv, "--samples", "2000", "--estimator", f"{module}:mine", "--bound", "12"
    )
    (entry,) = report["estimators"].values()
    assert entry["bounds"]["source"] == "given" and entry["exact_bias"] is None
    assert entry["verdict"] in ("unbiased", "inconclusive")
    code, report = run_json(capsys, *argv, "--samples", "2000", "--estimator", f"{module}:mine")
    (entry,) = report["estimators"].values()
    assert entry["verdict"] == "inconclusive" and entry["bounds"]["source"] == "none"
    assert "no bound" in entry["statement"] and code == 1


def one_line_error(capsys, *argv: str) -> str:
    start = time.monotonic()
    assert run(*argv) == 2
    assert time.monotonic() - start < 10
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("pgproof verify: error: ")
    assert "Traceback" not in captured.err
    return captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--states", "3", "--actions", "2"], "give --mdp FILE.json, or all of --states"),
        ([*RANDOM, "--estimator", "nope"], "unknown estimator 'nope'"),
        ([*RANDOM, "--samples", "1"], "--samples must be at least 2"),
        ([*RANDOM, "--samples", "many"], "--samples must be a whole number or auto"),
        ([*RANDOM, "--max-samples", "1.5"], "--max-samples must be a whole number"),
        ([*RANDOM, "--alpha", "2"], r"--alpha must lie in \(0, 1\)"),
        ([*RANDOM, "--tolerance", "-1"], "--tolerance must be a non-negative"),
        ([*RANDOM, "--abs-tolerance", "nan"], "--abs-tolerance must be non-negative"),
        ([*RANDOM, "--bound", "0"], "--bound must be positive"),
        ([*RANDOM, "--estimator", "no_such_module_xyz:f"], "cannot import module"),
        (["--states", "0", "--actions", "2", "--horizon", "2"], "must be positive"),
        ([*RANDOM, "--discount", "1.5"], r"--discount must lie in \[0, 1\]"),
        ([*RANDOM[:-2], "--seed", "-1"], "--seed must be a non-negative integer, got -1"),
        ([*RANDOM, "--max-memory", "lots"], "--max-memory: not a size"),
        ([*RANDOM, "--max-time", "0"], "--max-seconds must be a positive number"),
        ([*RANDOM, "--max-seconds", "inf"], "--max-seconds must be a positive number"),
        ([*RANDOM, "--workers", "0"], "--workers must be positive"),
        ([*RANDOM, "--executor", "threads", "--scheduler", "tcp://x:1"], "--scheduler needs"),
        ([*RANDOM, "--test", "hotelling"], "--test hotelling is not valid when sampling until"),
    ],
)
def test_unusable_arguments_exit_2_with_one_line(capsys, argv, message):
    assert re.search(message, one_line_error(capsys, *argv))


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--states", "1000", "--actions", "1000", "--horizon", "5"], "--max-memory"),
        (["--states", "300", "--actions", "300", "--horizon", "50", "--max-time", "60"],
         "--max-seconds"),
        (["--states", "300", "--actions", "300", "--horizon", "50", "--max-seconds", "60"],
         "--max-seconds"),
        (["--states", "2", "--actions", "2", "--horizon", "1000000"], "--max-seconds"),
        (["--states", "2", "--actions", "2", "--horizon", "1000000", "--samples", "1000",
          "--estimator", "reinforce"], "--max-seconds"),
        (["--states", "2", "--actions", "2", "--horizon", "5", "--samples", "10^12"],
         "--max-seconds"),
        (["--states", "2", "--actions", "2", "--horizon", "5", "--samples", "1e15"],
         "--max-seconds"),
        (["--states", "170", "--actions", "170", "--horizon", "5", "--max-memory", "300M"],
         "--max-memory"),
        (["--states", "100", "--actions", "100", "--horizon", "50", "--policy",
          "time-dependent"], "--max-memory"),
    ],
)  # fmt: skip
def test_requests_that_would_not_fit_are_refused_before_allocating(capsys, argv, flag):
    error = one_line_error(capsys, *argv)
    assert flag in error and ("about" in error and "limit is" in error)


def test_a_long_horizon_with_few_samples_runs(capsys):
    # 2^1201 trajectories: counted through logarithms, sampled in small batches
    argv = ["--states", "2", "--actions", "2", "--horizon", "600", "--samples", "10"]
    code, report = run_json(capsys, *argv, "--estimator", "reinforce")
    assert report["mdp"]["trajectories"].startswith("about 10^")
    assert report["grad_exact_method"] == "dp" and code in (0, 1)


@pytest.mark.parametrize(
    ("reward", "message"),
    [
        ("1" + "0" * 400, "too large|out of range|unusable numbers"),
        ("1e400", "inf|finite|out of range"),
        ("-1e300", "out of range|overflow"),
    ],
)
def test_absurd_rewards_exit_2(capsys, tmp_path, problem_file, reward, message):
    text = problem_file.read_text()
    data = json.loads(text)
    first = json.dumps(data["reward"][0][0])
    bad = tmp_path / "bad.json"
    bad.write_text(text.replace(first, reward, 1))
    assert re.search(message, one_line_error(capsys, "--mdp", str(bad)))


def test_broken_file_exits_2_naming_the_file_and_the_row(capsys, tmp_path, problem_file):
    data = json.loads(problem_file.read_text())
    data["transition"][2][1][0] += 0.25
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    err = one_line_error(capsys, "--mdp", str(bad))
    assert f"{bad}: transition[2][1] sums to" in err and "off by +0.25" in err


def test_file_and_random_options_are_exclusive(capsys, problem_file):
    assert "cannot be combined" in one_line_error(
        capsys, "--mdp", str(problem_file), "--states", "3"
    )


def test_same_numbers_on_a_thread_pool(capsys):
    argv = [*RANDOM, "--samples", "40000", "--estimator", "reinforce", "state_baseline"]
    serial = run_json(capsys, *argv)[1]
    pooled = run_json(capsys, *argv, "--executor", "threads", "--workers", "2")[1]
    for name in ("reinforce", "state_baseline"):
        assert serial["estimators"][name]["mean"] == pooled["estimators"][name]["mean"]
        assert serial["estimators"][name]["lower"] == pooled["estimators"][name]["lower"]


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "pgproof verify --mdp problem.json" in out
    assert "reward_to_go_skip_current" in out and "--max-memory" in out


def test_round_off_level_figures_print_the_same_on_every_machine(capsys):
    # |exact bias| of an unbiased estimator and |enumeration - DP| are sums of rounding
    # errors (4.09e-16 on one CPU, 4.30e-16 on another): they print as "< 1e-12"
    from pgproof.numeric.figures import roundoff_figure

    assert roundoff_figure(4.09e-16) == roundoff_figure(-4.3e-16) == "< 1e-12"
    assert roundoff_figure(0.0) == "< 1e-12"
    assert roundoff_figure(1.51e-2) == "1.51e-02" and roundoff_figure(2e-12, ".2g") == "2e-12"
    code = run(*RANDOM, "--estimator", "reinforce", "action_baseline", "--samples", "2000")
    out = capsys.readouterr().out
    assert "max |enumeration - DP| < 1e-12" in out
    assert "exact: |bias| < 1e-12," in out
    reinforce = next(line for line in out.splitlines() if line.startswith("reinforce"))
    assert "< 1e-12" in reinforce and "e-16" not in out and "e-17" not in out
    biased = next(line for line in out.splitlines() if line.startswith("action_baseline"))
    assert re.search(r"\d\.\d\de-0\d", biased)  # a real bias is printed as a number
    assert code in (0, 1)
