"""What a budget may and may not change, on derivation files made for it (files/).

A budget that runs out makes a step undecided, never accepted or refused; raising it never
turns an undecided step into a refused one; advice searched for after a refusal cannot undo
the refusal; what is chosen first does not depend on the process's hash seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgproof.cli import main

FILES = Path(__file__).parent / "files"
ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], seed: int) -> tuple[int, str]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run(
        [sys.executable, "-m", "pgproof", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    return out.returncode, out.stdout


@pytest.mark.parametrize(
    "args",
    [
        # two p/p ratios: the factor chosen first decides the units a step needs
        ["check", "--json", "--work-budget", "130", str(FILES / "two_ratios.pgproof.toml")],
        # Q and V in one body: the refusal names the first value function it meets
        ["check", "--json", str(FILES / "q_and_v_in_one_body.pgproof.toml")],
    ],
    ids=["choice", "message"],
)
def test_the_same_verdict_and_message_whatever_the_hash_seed(args: list[str]) -> None:
    runs = {_run(args, seed) for seed in (1, 2, 3, 4)}
    assert len(runs) == 1, runs
    (status, out), = runs
    assert status in (0, 1, 3) and json.loads(out)["derivations"]


def test_a_size_limit_is_undecided_at_any_budget(capsys: pytest.CaptureFixture[str]) -> None:
    """A true identity whose expansion passes the size limit: undecided, and raising the
    budget (as the message advises) never turns it into a refusal."""
    path = str(FILES / "big_product.pgproof.toml")
    for units in ("2000000", "4000000", "100000000"):
        assert main(["check", "--work-budget", units, path]) == 3
        out = capsys.readouterr().out
        assert "? step 1" in out and "✗" not in out
        assert "could not be decided: expanding it would make" in out


@pytest.mark.parametrize("units", [180, 190, 198])
def test_advice_after_a_refusal_never_undoes_it(units: int, capsys) -> None:
    """The search for an alternative justification runs after the cited rules refused the
    step (in 178 units, here): when it runs out, the step stays refused."""
    path = ROOT / "derivations" / "wrong_steps" / "gaussian_score_over_sigma.pgproof.toml"
    main(["check", "--work-budget", str(units), str(path)])  # earlier steps may run out
    out = capsys.readouterr().out
    assert "✗ step 4" in out and "? step 4" not in out
    assert main(["check", str(path)]) == 0  # as expected, with the default budget
    capsys.readouterr()


def test_an_undecided_step_before_the_expected_refusal_leaves_it_open(capsys) -> None:
    """Step 2 (uncited) is undecided: it could be the first refused step, so the expected
    refusal at step 4 is not 'as expected' but undecided (exit 3)."""
    path = str(FILES / "gaussian_step2_uncited.pgproof.toml")
    assert main(["check", "--work-budget", "2000", path]) == 3
    out = capsys.readouterr().out
    assert "? step 2" in out and "✗ step 4" in out
    assert "0 of 1 derivations as expected, 1 undecided" in out
    assert main(["check", path]) == 0  # with the default budget, step 2 is decided
    capsys.readouterr()
