"""``pgproof check --numeric``: text, JSON, witness files, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sympy import Symbol

import pgproof.bridge.steps as bridge_steps
from pgproof.bridge.report import CHECKER_BUG, NumericReport, NumericStep
from pgproof.cli import main
from pgproof.numeric.io import load_mdp_json

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "derivations").glob("00[0-2]_*.pgproof.toml"))
SIGN_ERROR = str(ROOT / "derivations" / "wrong_steps" / "sign_error.pgproof.toml")


def test_numeric_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--numeric", "--trials", "2", *SEEDS]) == 0
    out = capsys.readouterr().out
    assert out.count("numeric check (2 random MDPs per step, seed 0") == 3
    assert "✓ step 13: equal on 2 of 2 MDPs" in out
    assert "✓ step 7: equal on 2 of 2 MDPs in expectation over the samples" in out
    assert "≟ step 12: true but not proved by this rule" in out
    assert "log π_θ(a_t|s_t) is free of θ — FALSE, it depends on θ" in out
    assert "witness: MDP" in out and "≠ 0" in out
    assert "numeric: 0 checker bug(s)" in out


def test_numeric_json_has_witnesses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "--numeric", "--trials", "2", "--seed", "3", *SEEDS]) == 0
    data = json.loads(capsys.readouterr().out)
    by_source = {d["source"]: d for d in data["derivations"]}
    good = by_source["000_f89af4cbc279160f.txt"]
    assert {s["numeric"]["verdict"] for s in good["steps"]} == {"confirmed"}
    assert good["numeric"] == {"trials": 2, "seed": 3, "checker_bugs": []}
    step12 = by_source["001_53e2c9bc8a8b89f0.txt"]["steps"][11]
    assert step12["numeric"]["verdict"] == "true but not proved"
    witness = step12["witness"]
    assert witness["kind"] == "side condition" and witness["right"]["value"] == 0.0
    assert abs(witness["left"]["value"]) > 1e-3
    assert set(witness["mdp"]) >= {"initial", "transition", "reward", "horizon", "theta"}


def test_witness_dir_writes_replayable_mdps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--numeric", "--trials", "2", "--witness-dir", str(tmp_path), SIGN_ERROR])
    assert code == 0
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["sign_error.step1.json"]
    assert f"written to {files[0]}" in capsys.readouterr().out
    mdp, theta = load_mdp_json(files[0])
    assert theta.shape == (mdp.n_states, mdp.n_actions)
    assert main(["verify", "--mdp", str(files[0]), "--samples", "500", "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)


def test_trials_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--numeric", "--trials", "0", SIGN_ERROR])
    assert exc.value.code == 2
    assert "positive" in capsys.readouterr().err


def test_a_checker_bug_fails_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def buggy(report, trials, seed, witness_dir):
        pair = (Symbol("a"), Symbol("b"))
        steps = [NumericStep(s.index, s.accepted, CHECKER_BUG, pair) for s in report.steps]
        return NumericReport(steps, trials, seed)

    monkeypatch.setattr(bridge_steps, "verify_steps_numerically", buggy)
    assert main(["check", "--numeric", SEEDS[0]]) == 1
    captured = capsys.readouterr()
    assert "!!! step 1: CHECKER BUG" in captured.out
    assert "CHECKER BUG" in captured.err and "accepted but numerically false" in captured.err


def test_numeric_check_compiles_and_tests_the_final_estimate(
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_002 = ROOT / "derivations" / "002_policy_gradient_theorem_hf.pgproof.toml"
    assert main(["check", "--numeric", "--trials", "2", "--json", str(seed_002)]) == 0
    final = json.loads(capsys.readouterr().out)["derivations"][0]["numeric"]["final_estimate"]
    assert "Σ_{i=1}^{m} Σ_{t=0}^{H}" in final["formula"]
    assert final["verdict"] == "unbiased" and final["exactly_unbiased"] is True
    assert final["max_exact_bias"] < 1e-8 and final["samples"] == 4000
