"""The pytest plugin, tested with pytester: collection, pass/fail, failure report."""

from __future__ import annotations

from pathlib import Path

import pytest

# The plugin imports SymPy and the grammar only when a derivation runs.  pytester's
# in-process runs restore sys.modules afterwards, which would leave two copies of SymPy
# side by side: load them here, once, before any run.
import pgproof.files.derivation_file  # noqa: F401
import pgproof.symbolic.checker  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
GOOD = (ROOT / "derivations" / "000_deriving_policy_gradient.pgproof.toml").read_text()
BAD = (ROOT / "derivations" / "001_policy_gradient_unfinished.pgproof.toml").read_text()


def test_each_derivation_file_is_one_passing_item(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", good=GOOD, bad=BAD)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*bad.pgproof.toml::bad PASSED*", "*good.pgproof.toml::good PASSED*"]
    )


def test_an_unexpected_verdict_fails_with_the_step_report(pytester: pytest.Pytester) -> None:
    start = BAD.index("[expect]")
    text = BAD[:start] + BAD[BAD.index("[[step]]", start) :]  # no expectation: should pass
    line = 1 + text[: text.rindex("formula =")].count("\n")
    pytester.makefile(".pgproof.toml", wrong=text)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*wrong.pgproof.toml:{line}: expected: accepted, but the verdict is rejected*",
            f"*✗ step 12 (line {line})*",
            "*reason: drop_zero_gradient: log π_θ(a_t|s_t) depends on θ*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_wrong_reason_fails_even_at_the_right_step(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", wrong=BAD.replace("it cannot be dropped", "it is zero"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)


def test_unusable_file_is_reported_without_traceback(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", broken=GOOD.replace('by = "algebra"', 'by = "algebr"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unusable derivation file:*broken.pgproof.toml:*unknown rule*"])
    assert "Traceback" not in result.stdout.str()


def test_pgproof_paths_limits_collection(pytester: pytest.Pytester) -> None:
    pytester.mkdir("proofs")
    pytester.mkdir("other")
    (pytester.path / "proofs" / "a.pgproof.toml").write_text(GOOD, encoding="utf-8")
    (pytester.path / "other" / "b.pgproof.toml").write_text(GOOD, encoding="utf-8")
    pytester.makeini("[pytest]\npgproof_paths = proofs\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_control_characters_in_a_failure_are_shown_not_obeyed(pytester: pytest.Pytester) -> None:
    text = BAD[: BAD.index("[expect]")] + BAD[BAD.index("[[step]]", BAD.index("[expect]")) :]
    pytester.makefile(".pgproof.toml", wrong=text)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    (pytester.path / "wrong.pgproof.toml").rename(pytester.path / "w\x1b[2J.pgproof.toml")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "\\x1b[2J.pgproof.toml" in out
    # pgproof's own text (the failure report) shows the escape; pytest's progress line is
    # pytest's own
    failure = out[out.index("FAILURES") : out.index("short test summary")]
    assert "\x1b" not in failure


@pytest.mark.parametrize(
    ("ini", "units"),
    [("pgproof_work_budget = 300000", 300_000), ("pgproof_timeout = 2.5", 125_000)],
)
def test_the_work_budget_is_passed_to_the_checker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, units: int
) -> None:
    import pgproof.symbolic.checker as checker

    real = checker.check_derivation
    seen: list[int | None] = []

    def with_budget(derivation, *, work=None):
        seen.append(work)
        return real(derivation, work=work)

    monkeypatch.setattr(checker, "check_derivation", with_budget)
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.runpytest_inprocess().assert_outcomes(passed=1)
    assert seen == [units]


def test_an_undecided_derivation_fails_its_item(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini("[pytest]\npgproof_work_budget = 1\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert "? step 1" in result.stdout.str() and "units of work" in result.stdout.str()


def test_a_pgproof_timeout_past_the_largest_budget_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini("[pytest]\npgproof_timeout = 1e305\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is more than 1,000,000,000,000,000 units of work" in result.stderr.str()


@pytest.mark.parametrize("value", ["soon", "0", "-5", "2.5", "9" * 40])
def test_a_bad_pgproof_work_budget_is_a_usage_error(pytester: pytest.Pytester, value: str):
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini(f"[pytest]\npgproof_work_budget = {value}\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pgproof_work_budget must be a positive whole number of units" in result.stderr.str()


def test_a_bad_pgproof_timeout_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".pgproof.toml", good=GOOD)
    pytester.makeini("[pytest]\npgproof_timeout = soon\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pgproof_timeout must be a positive number of seconds, not 'soon'" in result.stderr.str()
