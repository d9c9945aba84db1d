"""Names in a notation: the presentation-free key of a name, and the Greek letters.

Names are compared after normalising presentation: ``\\mathbf{s}``, ``\\boldsymbol{s}``
and ``s`` are all the letter ``s``; a Greek letter is the same whether the notation spells
it ``tau`` or ``\\tau``; an accent is part of the name (``\\hat{g}`` is not ``g``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sympy import Basic, default_sort_key

from pgproof.kernel.binders import primed

__all__ = ["GREEK", "canonical", "fixed_order", "primed"]

GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "pi",
    "varpi",
    "rho",
    "varrho",
    "sigma",
    "varsigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]

_FONT = re.compile(r"^\\(mathbf|boldsymbol|bm|mathrm|mathit|mathsf)\s*\{(.*)\}$")
_ACCENT = re.compile(r"^\\(hat|bar|tilde|widehat|widetilde)\s*\{?\s*(\\?[A-Za-z]+)\s*\}?$")


def canonical(name: str) -> str:
    """The presentation-free key of a name: ``\\mathbf{s}`` -> ``s``, ``tau`` -> ``\\tau``."""
    name = name.strip()
    while (m := _FONT.match(name)) is not None:
        name = m.group(2).strip()
    if (m := _ACCENT.match(name)) is not None:
        return "\\%s{%s}" % (m.group(1), canonical(m.group(2)))
    if name in GREEK:
        return "\\" + name
    return name


def fixed_order(items: Iterable[Basic]) -> list[Basic]:
    """``items`` (a set of SymPy objects: ``atoms()``, ``free_symbols``) in an order fixed by
    their structure and names, never by their hashes, which differ from process to process
    (``PYTHONHASHSEED``): whatever is chosen or tried first is the same on every run."""
    return sorted(items, key=default_sort_key)
