"""Rule inference: a step without ``by`` is justified by a search over the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.inference import rule_order

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "derivations").rglob("*.pgproof.toml"))


def without_by(path: Path, folder: Path) -> Path:
    stripped = re.sub(r"(?m)^by = .*\n", "", path.read_text(encoding="utf-8"))
    out = folder / path.name
    out.write_text(stripped, encoding="utf-8")
    return out


@pytest.mark.parametrize("path", BUNDLED, ids=[p.name.split(".")[0] for p in BUNDLED])
def test_every_bundled_derivation_checks_with_its_by_keys_removed(path, tmp_path) -> None:
    cited = check_derivation(load_derivation(path))
    inferred = check_derivation(load_derivation(without_by(path, tmp_path)))
    first = cited.first_rejection
    # without its rules, a wrong step is refused, or undecided where the search spent its
    # budget before trying every chain: never accepted, and at the same step
    again = inferred.first_rejection or inferred.first_undecided
    assert (first and first.index) == (again and again.index)
    # what is accepted is accepted with the same relation; nothing is cited
    for a, b in zip(cited.steps, inferred.steps, strict=True):
        if a.index < (first.index if first else len(cited.steps) + 1):
            assert b.accepted and b.relation == a.relation and b.inferred is not None
    expected = cited.derivation.expected
    if expected is not None and expected.condition != "claim_differs":
        # a side condition the cited rule needed is what the search reports too
        conditions = {f.condition for f in again.failures}
        assert expected.condition in conditions, again.reason


def test_a_wrong_step_without_by_is_refused_with_the_closest_attempt(tmp_path) -> None:
    path = without_by(ROOT / "derivations/wrong_steps/sign_error.pgproof.toml", tmp_path)
    step = check_derivation(load_derivation(path)).steps[0]
    assert not step.accepted and step.inferred is None
    assert [f.condition for f in step.failures][-1] == "no_justification"
    assert "the closest gives 1 where the claim has -1" in step.reason
    assert "[no rule cited]" in step.text()


def test_the_inferred_rules_are_shown_in_text_and_json(tmp_path) -> None:
    path = without_by(ROOT / "derivations/000_deriving_policy_gradient.pgproof.toml", tmp_path)
    report = check_derivation(load_derivation(path))
    step = report.steps[6]
    assert step.inferred == ("log_derivative_trick",)
    assert "[inferred: log_derivative_trick]" in step.text()
    assert report.to_json()["steps"][6]["inferred"] == ["log_derivative_trick"]
    assert report.to_json()["steps"][6]["rules"] == []


def test_an_estimate_found_by_inference_makes_the_claim_and_the_next_ones_approximate(
    tmp_path,
) -> None:
    path = without_by(ROOT / "derivations/002_policy_gradient_theorem_hf.pgproof.toml", tmp_path)
    report = check_derivation(load_derivation(path))
    assert report.verdict == "accepted"
    assert [s.relation for s in report.steps][6:] == ["≈", "=", "=", "=", "=", "=", "≈"]


def test_a_refused_cited_rule_names_another_justification(check_text) -> None:
    report = check_text(
        r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = 'J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]'
by = "log_derivative_trick"
from = "self"
"""
    )
    step = report.steps[0]
    assert not step.accepted and step.alternative == ("definition",)
    assert "refused as cited; definition would justify it" in step.text()


def test_the_authors_note_orders_the_search() -> None:
    assert rule_order("Log-derivative trick")[0].name == "log_derivative_trick"
    assert rule_order("bring the gradient under the integral")[0].name == "grad_under_integral"
    assert "restate" not in [r.name for r in rule_order("")]


FIXTURES = ROOT / "tests" / "documents" / "fixtures"


@pytest.mark.parametrize(
    ("name", "refused_at"),
    [
        ("000_deriving_policy_gradient.md", None),
        ("001_policy_gradient_unfinished.md", 12),  # its wrong step, as in the transcription
        ("002_policy_gradient_theorem_hf.md", None),
        ("cs285_notes.tex", None),
        ("spinning_up.rst", None),
    ],
)
def test_documents_as_their_authors_wrote_them_check(name: str, refused_at) -> None:
    from pgproof.documents import load_document

    derivation = load_document(FIXTURES / name, FIXTURES / "spinning_up_macros.tex")
    report = check_derivation(derivation)
    first = report.first_rejection
    assert (first and first.index) == refused_at, report.text()
    assert all(s.inferred is not None for s in report.steps if not s.step.rules and s.accepted)


def test_a_substitution_finds_the_step_it_uses(tmp_path) -> None:
    path = without_by(ROOT / "derivations/002_policy_gradient_theorem_hf.pgproof.toml", tmp_path)
    text = path.read_text(encoding="utf-8").replace("using = 12\n", "")
    path.write_text(text, encoding="utf-8")
    report = check_derivation(load_derivation(path))
    assert report.verdict == "accepted"
    last = report.steps[-1]
    assert last.inferred == ("substitute",) and last.inferred_using == 12
    assert "[inferred: substitute using step 12]" in last.text()


def test_a_refused_cited_rule_names_algebra_when_it_justifies_the_step(check_text) -> None:
    report = check_text(
        r"""
[notation]
state = "s"
action = "a"

[[step]]
formula = '(J(\theta) + 1)^{2} = J(\theta)^{2} + 2 J(\theta) + 1'
by = "log_derivative_trick"
from = "self"
"""
    )
    step = report.steps[0]
    assert not step.accepted and step.alternative == ("algebra",)
    assert "refused as cited; algebra would justify it" in step.text()
    assert report.to_json()["steps"][0]["alternative"] == ["algebra"]
