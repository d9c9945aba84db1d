"""Σ_{t=a}^{∞}: the infinite sum, its own object (no rule for finite sums touches it)."""

from __future__ import annotations

from sympy import Basic, S, Symbol
from sympy.printing.precedence import PRECEDENCE

from .binders import Declaration
from .objects import PGExpr

__all__ = ["InfiniteSum"]


class InfiniteSum(PGExpr):
    """Σ_{t=a}^{∞} f_t: ``InfiniteSum(function, index, lower)``; the index is bound."""

    #: printed as a prefix (Σ_t f): bracketed as the base of a power
    precedence = PRECEDENCE["Mul"]

    @property
    def function(self) -> Basic:
        return self.args[0]

    @property
    def index(self) -> Symbol:
        return self.args[1]

    @property
    def lower(self) -> Basic:
        return self.args[2]

    @property
    def limits(self) -> tuple[tuple[Basic, Basic, Basic]]:
        """((t, a, ∞),), as SymPy's ``Sum.limits``."""
        return ((self.args[1], self.args[2], S.Infinity),)

    #: the index is bound in the summand, not in the lower limit
    declaration = Declaration(body=(0,), variable=(1,), scope=(0,), opaque=(1, 2))
