"""Shared helpers of the document-reader tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgproof.files import DerivationFileError, load_derivation

FIXTURES = Path(__file__).parent / "fixtures"
DERIVATIONS = Path(__file__).resolve().parents[2] / "derivations"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path, **kw) -> list[DerivationFileError]:
    """Every error the reader reports for ``path`` (it must report at least one)."""
    with pytest.raises(DerivationFileError) as info:
        load_derivation(path, **kw)
    return list(getattr(info.value, "errors", [info.value]))
