"""Helpers shared by the subcommands: finding and loading derivation files."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from ..files import DerivationFileError, derivation_files, load_derivation
from ..symbolic.checker import check_derivation
from ..symbolic.derivation import Derivation, DerivationError
from ..symbolic.report import DerivationReport


def default_paths() -> list[Path]:
    """derivations/ of the current folder, else the examples bundled with pgproof."""
    here = Path("derivations")
    if here.is_dir():
        return [here]
    return [Path(str(resources.files("pgproof") / "examples"))]


def load_all(paths: list[str]) -> tuple[list[Derivation], list[str]]:
    """Load every derivation named by ``paths``; unusable input becomes an error line."""
    chosen = [Path(p) for p in paths] if paths else default_paths()
    files: list[Path] = []
    errors: list[str] = []
    for p in chosen:
        if not p.exists():
            errors.append(f"{p}: no such file or folder")
        else:
            files.extend(derivation_files([p]))
    derivations: list[Derivation] = []
    for f in files:
        try:
            derivations.append(load_derivation(f))
        except (DerivationFileError, DerivationError) as exc:
            errors.append(str(exc))
    if not files and not errors:
        errors.append(f"no derivation files (*.pgproof.toml) under {', '.join(map(str, chosen))}")
    return derivations, errors


def load_and_check(paths: list[str]) -> tuple[list[DerivationReport], list[str]]:
    """Load and check every derivation; unusable input becomes an error line (file:line)."""
    derivations, errors = load_all(paths)
    reports: list[DerivationReport] = []
    for d in derivations:
        try:
            reports.append(check_derivation(d))
        except DerivationError as exc:
            errors.append(
                str(DerivationFileError(str(d.file), exc.message, exc.line, None, exc.step))
            )
    return reports, errors


def print_errors(errors: list[str]) -> None:
    for error in errors:
        print(f"pgproof: error: {error}", file=sys.stderr)
