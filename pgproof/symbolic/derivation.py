"""A derivation: title, source, notation, and a list of claimed steps, which Jupyter shows
checked.

The data (:class:`~pgproof.symbolic.claims.Claims`, :class:`Step`,
:class:`ExpectedRejection`) live in :mod:`pgproof.symbolic.claims`, which the checker reads;
this module adds the display, which runs the checker (so the checker never imports it).
"""

from __future__ import annotations

from .claims import Claims, DerivationError, ExpectedRejection, Step

__all__ = ["Derivation", "DerivationError", "ExpectedRejection", "Step"]


class Derivation(Claims):
    """A derivation to check: ``title``, ``source``, the author's ``notation`` and ``steps``.

    ``expected`` is the refusal the derivation is expected to get (None: it should be
    accepted); ``unfinished`` marks a write-up its author left unfinished; ``file`` is the
    file it was read from.  :func:`pgproof.check` checks it; in Jupyter it displays itself
    checked (HTML, or LaTeX for nbconvert).
    """

    __slots__ = ()

    def _repr_latex_(self) -> str:
        """Jupyter (and nbconvert's LaTeX export) show a derivation checked, as LaTeX."""
        from .checker import check_derivation

        return check_derivation(self)._repr_latex_()

    def _repr_html_(self) -> str:
        """Jupyter shows a derivation checked, as HTML (MathML formulas, no script)."""
        from .checker import check_derivation

        return check_derivation(self)._repr_html_()
