"""Notations of the three seed write-ups."""

from __future__ import annotations

import pytest

from pgproof.symbolic.notation import Notation

#: Seed 000 (CS285 style): p is density, dynamics and initial distribution; r(τ) is the return.
N000 = Notation()
#: Seed 001: P(τ|π_θ) with alias p_{π_θ}(τ), corr(s_0), R(τ), J(π_θ).
N001 = Notation(
    state="s",
    action="a",
    dynamics="P",
    initial="corr",
    return_="R",
    density="P",
    density_style="given_policy",
    density_aliases=("p",),
    objective_style="policy",
)
#: Seed 002 (Hugging Face course): P(τ;θ), discrete, μ(s_0), horizon H from 0, ĝ.
N002 = Notation(
    state="s",
    action="a",
    dynamics="P",
    initial=r"\mu",
    return_="R",
    density="P",
    density_style="semicolon",
    trajectory_space="discrete",
    horizon="H",
    first_index=0,
    constants=(r"\hat{g}",),
)


@pytest.fixture
def n000() -> Notation:
    return N000


@pytest.fixture
def n001() -> Notation:
    return N001


@pytest.fixture
def n002() -> Notation:
    return N002
