"""Each seed as its author wrote it (Markdown) reads into the steps of its transcription.

The fixtures in ``fixtures/`` are the seeds' write-ups as Markdown, with only the edits the
``.pgproof.toml`` transcriptions make (listed in each fixture's opening comment).  Read as
documents, they must give the very same claims (left and right sides, as pgproof objects),
the same sources, and the same notation as the transcriptions, with every step's line
pointing at the fixture's own line.
"""

from __future__ import annotations

import re

import pytest

from pgproof.files import load_derivation

from .conftest import DERIVATIONS, FIXTURES

SEEDS = [
    "000_deriving_policy_gradient",
    "001_policy_gradient_unfinished",
    "002_policy_gradient_theorem_hf",
]


def resolved(derivation):
    """(lhs, rhs) of every step, the left side of a continued step filled in."""
    claims = []
    for step in derivation.steps:
        lhs = step.lhs
        if lhs is None:
            source = step.source
            lhs = claims[source - 1][0] if isinstance(source, int) else claims[-1][0]
        claims.append((lhs, step.rhs))
    return claims


def first_formula_token(latex: str) -> str:
    """A distinctive piece of a step's LaTeX, to find on its line."""
    text = re.sub(r"^[\s&=]+", "", latex)
    return text[:12]


@pytest.mark.parametrize("name", SEEDS)
def test_a_seed_document_reads_into_the_transcription_s_steps(name: str) -> None:
    document = load_derivation(FIXTURES / f"{name}.md")
    toml = load_derivation(DERIVATIONS / f"{name}.pgproof.toml")
    assert document.notation == toml.notation
    assert len(document.steps) == len(toml.steps)
    assert resolved(document) == resolved(toml)
    assert [s.source for s in document.steps] == [s.source for s in toml.steps]
    assert document.source == toml.source and document.unfinished == toml.unfinished
    assert all(s.rules == () for s in document.steps)  # the document names no rule


@pytest.mark.parametrize("name", SEEDS)
def test_every_step_line_points_at_its_formula_in_the_document(name: str) -> None:
    path = FIXTURES / f"{name}.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    document = load_derivation(path)
    assert document.file == str(path)
    for step in document.steps:
        line = lines[step.line - 1]
        assert first_formula_token(step.latex) in line, (step.line, step.latex)


def test_seed_000_skips_its_prose_maths_and_says_so() -> None:
    document = load_derivation(FIXTURES / "000_deriving_policy_gradient.md")
    skipped = [n for n in document.notes if n.startswith("skipped:")]
    assert [re.search(r"line (\d+)", n)[1] for n in skipped] == ["24", "30", "38", "54"]
    assert "\\ldots" in skipped[0] and "a derivative \\frac{d}" in skipped[3]
    assert document.notes[0].startswith("notation read from the document: density p_θ(τ)")
    assert document.notes[0].endswith("as in CS285 (seed 000)")


def test_seed_000_reads_the_restated_block_as_restating_step_3() -> None:
    steps = load_derivation(FIXTURES / "000_deriving_policy_gradient.md").steps
    assert (steps[5].source, steps[10].source) == (3, 8)  # the aligned blocks' first lines
    assert steps[4].lhs is None and steps[3].source == "self"  # p ∇log p = p ∇p/p = ∇p


def test_seed_001_step_7_continues_step_4_by_its_label() -> None:
    steps = load_derivation(FIXTURES / "001_policy_gradient_unfinished.md").steps
    assert steps[6].source == 4 and steps[6].lhs is None
    assert steps[1].lhs is None  # J = E[…] = ∫ …: the chain is two steps


def test_seed_002_keeps_the_author_s_notes_as_hints() -> None:
    steps = load_derivation(FIXTURES / "002_policy_gradient_theorem_hf.md").steps
    notes = [s.note for s in steps]
    assert notes[1] == "(the gradient of the sum is the sum of the gradient)"
    assert notes[2] == "(as R(τ) is not dependent on θ)"
    assert "REINFORCE trick" in notes[5]
    assert notes[0] == notes[4] == ""
    assert steps[12].source == 7  # ∇J = ĝ = …: continues step 7's left side
