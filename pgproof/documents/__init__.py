"""Derivations as people write them: LaTeX, Markdown, reStructuredText and notebooks.

``pgproof check notes.tex`` (or ``.md``, ``.rst``, ``.ipynb``) reads the display maths of
a document as a derivation: each ``=`` of a display is a step, ``\\text{}`` notes are the
author's hints, ``\\label{}`` names a step, and the author's own macros are expanded
(substitution only, bounded).  The notation is recognised from the symbols the document
uses, or given in front matter.  See :mod:`pgproof.documents.reader` for the rules.

Importing this package is cheap; the reader (and with it SymPy) loads on first use.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SUFFIXES", "document_kind", "load_document"]

#: suffix → kind of document
SUFFIXES = {
    ".tex": "latex",
    ".ltx": "latex",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".ipynb": "notebook",
}


def document_kind(path: str | Path) -> str | None:
    """ "latex", "markdown", "rst" or "notebook" for a document's path; None otherwise."""
    return SUFFIXES.get(Path(path).suffix.lower())


def load_document(path: str | Path, preamble: str | Path | None = None):
    """Read a document as a :class:`~pgproof.symbolic.derivation.Derivation`."""
    from .reader import load_document as load

    return load(path, preamble)
