"""The pytest plugin's numeric check (issue 14, item 6): ``--pgproof-numeric`` or
``pgproof_numeric = true`` runs ``check --numeric`` on every collected derivation; a
checker bug fails the item, with the witnesses in the failure report."""

from __future__ import annotations

from pathlib import Path

import pytest

# loaded once, before pytester's in-process runs (see test_plugin.py)
import pgproof.bridge.final_estimate  # noqa: F401
import pgproof.bridge.steps  # noqa: F401
import pgproof.files.derivation_file  # noqa: F401
import pgproof.symbolic.checker  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "derivations" / "002_policy_gradient_theorem_hf.pgproof.toml").read_text()
BAD = (ROOT / "derivations" / "001_policy_gradient_unfinished.pgproof.toml").read_text()
SIGN = (ROOT / "derivations" / "wrong_steps" / "sign_error.pgproof.toml").read_text()


def test_the_option_checks_numerically_and_passes_good_derivations(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pgproof.bridge.steps as steps

    real = steps.verify_steps_numerically
    seen: list[tuple[int, int]] = []

    def spy(report, trials=5, seed=0, *args, **kwargs):
        seen.append((trials, seed))
        return real(report, trials, seed, *args, **kwargs)

    monkeypatch.setattr(steps, "verify_steps_numerically", spy)
    pytester.makefile(".pgproof.toml", good=GOOD, bad=BAD)
    pytester.runpytest_inprocess().assert_outcomes(passed=2)
    assert seen == []  # off by default
    pytester.runpytest_inprocess("--pgproof-numeric").assert_outcomes(passed=2)
    assert seen == [(5, 0), (5, 0)]
    pytester.makeini(
        "[pytest]\npgproof_numeric = true\npgproof_numeric_trials = 2\npgproof_numeric_seed = 7\n"
    )
    seen.clear()
    pytester.runpytest_inprocess().assert_outcomes(passed=2)
    assert seen == [(2, 7), (2, 7)]


def test_a_checker_bug_fails_with_its_witness(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checker that wrongly accepts the sign error: the numeric check catches it."""
    import pgproof.symbolic.checker as checker

    real = checker.check_derivation

    def accepts_everything(derivation, **kwargs):
        report = real(derivation, **kwargs)
        for step in report.steps:
            step.status, step.failures, step.difference = "accepted", [], None
        return report

    monkeypatch.setattr(checker, "check_derivation", accepts_everything)
    start = SIGN.index("[expect]")
    text = SIGN[:start] + SIGN[SIGN.index("[[step]]", start) :]  # expected: accepted
    pytester.makefile(".pgproof.toml", sign=text)
    pytester.runpytest_inprocess().assert_outcomes(passed=1)  # symbolically "fine"
    result = pytester.runpytest_inprocess("--pgproof-numeric")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sign.pgproof.toml: CHECKER BUG: step(s) 1 accepted symbolically but numerically "
            "false (witnesses below)*",
            "*!!! step 1: CHECKER BUG*",
            "*witness: MDP S=*θ = *",
            "*they differ by*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_refused_step_shows_its_witness_when_the_verdict_is_unexpected(
    pytester: pytest.Pytester,
) -> None:
    start = SIGN.index("[expect]")
    text = SIGN[:start] + SIGN[SIGN.index("[[step]]", start) :]
    pytester.makefile(".pgproof.toml", sign=text)
    result = pytester.runpytest_inprocess("--pgproof-numeric")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected: accepted, but the verdict is rejected*",
            "*✗ step 1: refused, and numerically false*",
            "*witness: MDP*",
        ]
    )


def test_bad_numeric_settings_are_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini("[pytest]\npgproof_numeric = true\npgproof_numeric_trials = 0\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pgproof_numeric_trials must be a positive integer, not '0'" in result.stderr.str()
