"""Derivation files on disk: bounded reads, line tracking, display chains, the TOML schema.

* :mod:`.errors`   :class:`DerivationFileError` (``file:line:column: step k: message``),
  :class:`DerivationFileErrors` (every error of a file, one per line) and the collector
  the readers use to report all of a file's errors in one run;
* :mod:`.read`     reading a regular file with a size cap, refusing devices, FIFOs and
  sockets by name; nesting-depth caps for TOML and JSON;
* :mod:`.lines`    where a key or a step sits in the file (for error messages and reports);
* :mod:`.chains`   what a display chain ``a = b = c`` means as one step;
* :mod:`.labels`   step labels (``label = "logtrick"``) and ``from``/``using`` by label;
* :mod:`.schema`   notation keys and their values, rule names, hints for LaTeX in TOML
  (shared with :mod:`pgproof.documents`);
* :mod:`.synonyms` the words authors use for each rule ("log trick" →
  ``log_derivative_trick``), for messages that teach and for reading notes;
* :mod:`.derivation_file`  the ``*.pgproof.toml`` schema → a ``Derivation``; a document
  (``.tex``, ``.md``, ``.rst``, ``.ipynb``) is sent to :mod:`pgproof.documents`.

The schema (and with it SymPy and the grammar) is imported on first use, so
:mod:`.read` serves the JSON reader of ``pgproof verify`` without loading them.
"""

from __future__ import annotations

from typing import Any

from .errors import DerivationFileError, DerivationFileErrors

__all__ = [
    "SUFFIX",
    "DerivationFileError",
    "DerivationFileErrors",
    "derivation_files",
    "load_derivation",
]

#: the suffix of a derivation file
SUFFIX = ".pgproof.toml"

_LAZY = {"derivation_files", "load_derivation"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import derivation_file

        return getattr(derivation_file, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
