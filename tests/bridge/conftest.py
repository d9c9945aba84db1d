"""Shared fixtures: the seed derivations, checked once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.report import DerivationReport

ROOT = Path(__file__).resolve().parents[2]
DERIVATIONS = ROOT / "derivations"


@pytest.fixture(scope="session")
def checked() -> dict[str, DerivationReport]:
    """Every derivation file's report, by file stem."""
    out = {}
    for path in sorted(DERIVATIONS.rglob("*.pgproof.toml")):
        out[path.name.removesuffix(".pgproof.toml")] = check_derivation(load_derivation(path))
    return out
