"""Presentation of pgproof's expressions: printers, kept apart from the objects.

The expression objects (:mod:`pgproof.kernel.objects` and its siblings) hold structure
only; how each is written lives here, one ``_print_<Class>`` per class, as SymPy's own
printers do (``sympy/printing/latex.py``):

    latex(expr)   LaTeX, :class:`~.latex_printer.PGLatexPrinter`
    sstr(expr)    SymPy's str form, :class:`~.str_printer.PGStrPrinter`
"""

from __future__ import annotations

from .latex_printer import PGLatexPrinter, latex
from .str_printer import PGStrPrinter, sstr

__all__ = ["PGLatexPrinter", "PGStrPrinter", "latex", "sstr"]
