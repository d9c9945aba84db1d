"""A checked derivation as Jupyter shows it: HTML (``_repr_html_``) or, for nbconvert's
LaTeX export, LaTeX (``_repr_latex_``).

:class:`NotebookReport` is the :class:`~pgproof.symbolic.report.DerivationReport` the
checker returns, with the two display methods; they call the renderers, which read the
report's data class (so the renderers do not import this module, nor it them at start-up).
"""

from __future__ import annotations

from .report import DerivationReport

__all__ = ["NotebookReport"]


class NotebookReport(DerivationReport):
    """A :class:`DerivationReport` that Jupyter displays."""

    def _repr_latex_(self) -> str:
        """LaTeX for Jupyter and nbconvert: an ``align*`` block without ``%`` lines, using
        only amsmath, amssymb and xcolor (see :func:`pgproof.symbolic.render.render`)."""
        from .render import render_notebook

        return render_notebook(self)

    def _repr_html_(self) -> str:
        """HTML for Jupyter: the steps typeset (MathML), marks, reasons; no script."""
        from pgproof.html.page import notebook_html

        return notebook_html(self)
