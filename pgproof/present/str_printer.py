"""SymPy's str form of pgproof's objects of one state: one ``_print_<Class>`` per class.

    Σ_{a'} f, Σ_s f          ActionSum, StateSum (f bracketed when a sum or product)
    E_{a'∼π_θ(·|s)}[f]       ActionExpectation
    x^⊤y                     Inner
    μ_θ(s)                   ParametrisedFunction
    N(x; μ, v)               GaussianDensity
    Pr(s_t = s)              StateProbability
    lhs = rhs, lhs ≈ rhs     Equation, Approximation

The other objects print as SymPy's constructor form, ``Policy(pi, a, s, theta)``.  The
reader's text (π_θ(a_t|s_t), …) is :func:`pgproof.symbolic.text.show`, whose printer
extends this one.
"""

from __future__ import annotations

from typing import Any

from sympy import Basic, Symbol
from sympy.printing.str import StrPrinter

__all__ = ["PGStrPrinter", "sstr"]


def _subscript(text: str) -> str:
    return text if len(text) == 1 else "{" + text + "}"


class PGStrPrinter(StrPrinter):
    """SymPy's str printer, knowing pgproof's objects of one state."""

    def _group(self, expr: Basic) -> str:
        """``expr`` in brackets when it is a sum or a product."""
        text = self._print(expr)
        return "(" + text + ")" if expr.is_Add or expr.is_Mul else text

    def _print__BoundSum(self, expr: Basic) -> str:
        body = self._group(expr.args[0])
        return "Σ_%s %s" % (_subscript(self._print(expr.args[1])), body)

    def _print_ActionExpectation(self, expr: Basic) -> str:
        var, body = self._print(expr.args[1]), self._print(expr.args[0])
        density = self._print(expr.args[2].xreplace({expr.args[1]: Symbol("·")}))
        return "E_{%s∼%s}[%s]" % (var, density, body)

    def _print_Inner(self, expr: Basic) -> str:
        return "%s^⊤%s" % (self._group(expr.args[0]), self._group(expr.args[1]))

    def _print_ParametrisedFunction(self, expr: Basic) -> str:
        inside = ", ".join(self._print(a) for a in expr.arguments)
        return "%s_%s(%s)" % (self._print(expr.args[0]), self._print(expr.theta), inside)

    def _print_GaussianDensity(self, expr: Basic) -> str:
        x, mean, variance = (self._print(a) for a in expr.args)
        return "N(%s; %s, %s)" % (x, mean, variance)

    def _print_StateProbability(self, expr: Basic) -> str:
        step, state = (self._print(a) for a in expr.args[:2])
        return "Pr(%s = %s)" % (step, state)

    def _print_Equation(self, expr: Basic) -> str:
        return "%s %s %s" % (self._print(expr.args[0]), expr.symbol, self._print(expr.args[1]))


def sstr(expr: Basic, **settings: Any) -> str:
    """``expr`` in SymPy's str form with pgproof's objects known (SymPy's ``sstr``)."""
    return PGStrPrinter(settings).doprint(expr)
