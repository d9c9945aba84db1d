"""HTML output: the self-contained report page (``pgproof report``) and Jupyter's view.

:func:`report_page` writes one page with every derivation; :func:`derivation_html` one
derivation's section; :func:`notebook_html` what a report shows in Jupyter
(``_repr_html_``).  Formulas are MathML (:func:`latex_to_mathml`).  See :mod:`.page` for
what is shown and why it is safe.
"""

from .mathml import MathMLError, latex_to_mathml
from .page import CSP, Entry, Figure, derivation_html, notebook_html, report_page

__all__ = [
    "CSP",
    "Entry",
    "Figure",
    "MathMLError",
    "derivation_html",
    "latex_to_mathml",
    "notebook_html",
    "report_page",
]
