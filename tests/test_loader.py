"""Derivation files: what they mean, and clear errors for what is wrong with them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgproof.files import DerivationFileError, load_derivation
from pgproof.symbolic.checker import check_derivation

DERIVATIONS = Path(__file__).resolve().parent.parent / "derivations"

HEADER = """title = "t"
source = "s"
[notation]
state = "s"
action = "a"
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "case.pgproof.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


def error(tmp_path: Path, body: str, header: str = HEADER) -> DerivationFileError:
    with pytest.raises(DerivationFileError) as info:
        load_derivation(write(tmp_path, body, header))
    return info.value


@pytest.mark.parametrize(
    ("name", "verdict", "first_refused"),
    [
        ("000_deriving_policy_gradient", "accepted", None),
        ("001_policy_gradient_unfinished", "rejected", 12),
        ("002_policy_gradient_theorem_hf", "accepted", None),
    ],
)
def test_seed_verdicts(name: str, verdict: str, first_refused: int | None) -> None:
    report = check_derivation(load_derivation(DERIVATIONS / f"{name}.pgproof.toml"))
    assert report.verdict == verdict
    assert report.as_expected
    first = report.first_rejection
    assert (first.index if first else None) == first_refused


def test_seed_001_is_refused_for_the_policy_term_and_recorded_unfinished() -> None:
    d = load_derivation(DERIVATIONS / "001_policy_gradient_unfinished.pgproof.toml")
    report = check_derivation(d)
    assert d.unfinished
    assert all(s.accepted for s in report.steps[:11])
    reason = report.steps[11].reason
    assert "log π_θ(a_t|s_t) depends on θ through π_θ(a_t|s_t): it cannot be dropped" in reason
    assert "the claim keeps log P(s_{t + 1}|s_t,a_t) inside ∇" in reason


def test_seed_002_ends_in_an_estimate() -> None:
    report = check_derivation(
        load_derivation(DERIVATIONS / "002_policy_gradient_theorem_hf.pgproof.toml")
    )
    assert [s.relation for s in report.steps][6:] == ["≈", "=", "=", "=", "=", "=", "≈"]


def test_every_wrong_step_case_is_refused_where_it_says() -> None:
    files = sorted((DERIVATIONS / "wrong_steps").glob("*.pgproof.toml"))
    assert len(files) >= 8
    for f in files:
        d = load_derivation(f)
        report = check_derivation(d)
        assert d.expected is not None, f
        assert report.verdict == "rejected", f
        assert report.as_expected, f"{f}: {report.text()}"


def test_unknown_rule_names_file_line_step_and_suggestions(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)]'
by = "defintion"
from = "self"
""",
    )
    assert err.step == 1 and err.line == 8
    assert "unknown rule 'defintion'" in str(err) and "definition" in str(err)
    assert str(err).startswith(str(tmp_path / "case.pgproof.toml") + ":8: step 1:")


def test_a_formula_that_does_not_parse_names_the_column(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)'
by = "definition"
""",
    )
    assert err.step == 1 and err.line == 8 and err.column is not None


def test_an_undefined_symbol_is_an_error(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[q(\\tau)]'
by = "definition"
""",
    )
    assert err.step == 1 and "q" in err.message


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    err = error(tmp_path, "[[step]\nformula = 'x'\n")
    assert err.line == 6 and "not valid TOML" in err.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "needs at least one [[step]]"),
        ("[[step]]\nby = 'definition'\n", "needs a formula"),
        ("[[step]]\nformula = 'J(\\theta) = J(\\theta)'\nfrom = 'elsewhere'\n", "from must be"),
        ("[[step]]\nformula = 'J(\\theta) = J(\\theta)'\ncolour = 'red'\n", "unknown key 'colour'"),
        (
            "[expect]\nrejected_at = 5\nrule = 'definition'\ncondition = 'claim_differs'\n"
            "[[step]]\nformula = 'J(\\theta) = J(\\theta)'\n",
            "rejected_at must be a step number 1..1",
        ),
    ],
)
def test_structural_errors(tmp_path: Path, body: str, message: str) -> None:
    assert message in error(tmp_path, body).message


def test_unknown_notation_key(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        "[[step]]\nformula = 'J(\\theta) = J(\\theta)'\n",
        header='title = "t"\nsource = "s"\n[notation]\npolicey = "x"\n',
    )
    assert "unknown notation key 'policey'" in err.message and err.line == 4


def test_a_chain_must_be_split(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)] = \\int p_\\theta(\\tau) r(\\tau) d\\tau'
by = "definition"
from = "self"
""",
    )
    assert "split the chain" in err.message
