"""Constants move into and out of E, ∫ and Σ in both directions; what depends on the bound
variable never does (the canonical form takes out exactly the factors free of it)."""

from __future__ import annotations

from pathlib import Path

import pytest

import pgproof

from .conftest import write_steps

NOTATION = '[notation]\nstate = "s"\naction = "a"\nconstants = ["b"]\n'
E = r"E_{\tau \sim p_\theta(\tau)}"


def check(tmp_path: Path, formula: str, by: str = "algebra") -> pgproof.StepReport:
    report = pgproof.check(write_steps(tmp_path, [(formula, by)], NOTATION, "t"))
    return report.steps[0]


@pytest.mark.parametrize(
    "formula",
    [
        rf"b {E}[r(\tau)] = {E}[b r(\tau)]",
        rf"{E}[b r(\tau)] = b {E}[r(\tau)]",
        rf"3 b {E}[\nabla_\theta \log p_\theta(\tau)] = {E}[b \nabla_\theta \log p_\theta(\tau) 3]",
        r"b \int p_\theta(\tau) r(\tau) d\tau = \int b p_\theta(\tau) r(\tau) d\tau",
        r"\sum_{t=1}^{T} b r(s_t, a_t) = b \sum_{t=1}^{T} r(s_t, a_t)",
    ],
)
def test_a_constant_goes_in_and_out(tmp_path: Path, formula: str) -> None:
    step = check(tmp_path, formula)
    assert step.status == "accepted", step.reasons


@pytest.mark.parametrize(
    "formula",
    [
        # r(τ) depends on τ: it cannot leave E_τ or ∫ dτ
        rf"r(\tau) {E}[b] = {E}[b r(\tau)]",
        rf"{E}[r(\tau) r(\tau)] = r(\tau) {E}[r(\tau)]",
        r"r(\tau) \int p_\theta(\tau) d\tau = \int r(\tau) p_\theta(\tau) d\tau",
        # s_t depends on the summation index: it cannot leave Σ_t
        r"\sum_{t=1}^{T} b r(s_t, a_t) = r(s_t, a_t) \sum_{t=1}^{T} b",
        # E[b] is not b: that takes a rule (normalization), it is not a canonical rewrite
        rf"{E}[b] = b",
    ],
)
def test_what_depends_on_the_bound_variable_stays(tmp_path: Path, formula: str) -> None:
    step = check(tmp_path, formula)
    assert step.status == "rejected"
