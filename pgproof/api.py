"""The few calls most users need: load a derivation file, check it, list the rules."""

from __future__ import annotations

import os
from pathlib import Path

from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.rules import REGISTRY
from pgproof.symbolic.rules.base import Rule


def load(path: str | os.PathLike[str]) -> Derivation:
    """Read a ``*.pgproof.toml`` derivation file (raises ``DerivationFileError``)."""
    return load_derivation(Path(path))


def check(derivation: Derivation | str | os.PathLike[str]) -> DerivationReport:
    """Check every step of a derivation (or of the derivation file at that path)."""
    if not isinstance(derivation, Derivation):
        derivation = load(derivation)
    return check_derivation(derivation)


def rules() -> dict[str, Rule]:
    """The registered rules by name (each with its formula, aliases and side conditions)."""
    return dict(REGISTRY)
