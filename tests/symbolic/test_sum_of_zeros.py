"""The primitive rule sum_of_zeros: Σ 0 = 0 over steps, states, actions and trajectories;
anything whose terms are not all 0 is refused, also when a bound index is named like a free
one."""

from __future__ import annotations

from pathlib import Path

import pytest

import pgproof

HEAD = """title = "t"
source = "test"
status = "complete"

[notation]
state = 's'
action = 'a'
"""


def _check(tmp_path: Path, formula: str) -> pgproof.DerivationReport:
    path = tmp_path / "z.pgproof.toml"
    path.write_text(
        HEAD + f"\n[[step]]\nformula = '''{formula}'''\nby = \"sum_of_zeros\"\nfrom = \"self\"\n",
        encoding="utf-8",
    )
    return pgproof.check(path)


@pytest.mark.parametrize(
    "formula",
    [
        r"\sum_{t=1}^{T} 0 = 0",
        r"\sum_{s} 0 = 0",
        r"\int 0 d\tau = 0",
        # a bound t beside a free t: only the sum of zeros goes
        r"r(s_{t}, a_{t}) + \sum_{t=1}^{T} 0 = r(s_{t}, a_{t})",
    ],
)
def test_a_sum_of_zeros_is_zero(tmp_path: Path, formula: str) -> None:
    report = _check(tmp_path, formula)
    assert report.verdict == "accepted", report.text()


@pytest.mark.parametrize(
    "formula",
    [
        r"\sum_{t=1}^{T} 1 = 0",
        r"\sum_{t=1}^{T} r(s_{t}, a_{t}) = 0",
        r"\sum_{s} \Pr(s_{t} = s) = 0",
        r"\int p_{\theta}(\tau) d\tau = 0",
        # the bound t' beside the free t: the terms r_{t'} − r_t are not 0
        r"\sum_{t'=t}^{T} \left(r(s_{t'}, a_{t'}) - r(s_{t}, a_{t})\right) = 0",
        # the free t is not the bound one: Σ_{t=1}^{T} 0 = 0, so r_t stays
        r"r(s_{t}, a_{t}) + \sum_{t=1}^{T} 0 = 0",
    ],
)
def test_a_sum_of_terms_that_are_not_zero_is_refused(tmp_path: Path, formula: str) -> None:
    report = _check(tmp_path, formula)
    assert report.verdict == "rejected", report.text()
    assert report.steps[0].rejected
