"""Plain-text (Unicode) printing of the notation, for reports and messages.

``show(expr)`` writes π_θ(a_t|s_t), ∇_θ log p_θ(τ), E_{τ∼p_θ(τ)}[…], ∫ … dτ,
Σ_{t=1}^{T} … the way a reader would, instead of SymPy's constructor form.
"""

from __future__ import annotations

import re

from sympy import Basic
from sympy.printing.precedence import PRECEDENCE

from pgproof.present.str_printer import PGStrPrinter

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "phi": "φ", "psi": "ψ", "omega": "ω", "eta": "η", "xi": "ξ", "zeta": "ζ", "kappa": "κ",
}  # fmt: skip


def plain_name(name: str) -> str:
    r"""``\mathbf{s}`` → s, ``\pi`` → π, ``theta`` → θ, ``\hat{g}`` → ĝ."""
    name = re.sub(r"\\(?:mathbf|boldsymbol|mathrm|mathit|operatorname)\{([^{}]*)\}", r"\1", name)
    name = re.sub(r"\\hat\{([^{}]*)\}", lambda m: m.group(1) + "\u0302", name)
    name = re.sub(r"\\([A-Za-z]+)", lambda m: _GREEK.get(m.group(1), m.group(1)), name)
    return _GREEK.get(name, name)


class TextPrinter(PGStrPrinter):
    """The str printer of :mod:`pgproof.present` in the reader's notation (π_θ(a_t|s_t))."""

    def _print_Str(self, expr) -> str:
        return plain_name(expr.name)

    def _print_Symbol(self, expr) -> str:
        return plain_name(expr.name)

    def _sub(self, expr: Basic) -> str:
        text = self._print(expr)
        return text if len(text) == 1 else "{" + text + "}"

    def _print_SampledTrajectory(self, expr) -> str:
        return "%s^(%s)" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_State(self, expr) -> str:
        name, traj, time = expr.args
        text = "%s_%s" % (self._print(name), self._sub(time))
        if type(traj).__name__ == "SampledTrajectory":
            text += "^(%s)" % self._print(traj.args[1])
        return text

    _print_Action = _print_State

    def _print_Policy(self, expr) -> str:
        name, action, state, theta = (self._print(a) for a in expr.args)
        return "%s_%s(%s|%s)" % (name, theta, action, state)

    def _print_Dynamics(self, expr) -> str:
        name, nxt, state, action = (self._print(a) for a in expr.args)
        return "%s(%s|%s,%s)" % (name, nxt, state, action)

    def _print_InitialDistribution(self, expr) -> str:
        return "%s(%s)" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_Reward(self, expr) -> str:
        return "%s(%s,%s)" % tuple(self._print(a) for a in expr.args)

    def _print_DeclaredFunction(self, expr) -> str:
        head = self._print(expr.name)
        if expr.depends_on_policy:
            head += "^" + self._print(expr.policy_name)
        return "%s(%s)" % (head, ", ".join(self._print(a) for a in expr.arguments))

    def _print_Return(self, expr) -> str:
        return "%s(%s)" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_TrajectoryDensity(self, expr) -> str:
        name, traj, theta, style, policy = (self._print(a) for a in expr.args)
        if expr.args[3].name == "given_policy":
            return "%s(%s|%s_%s)" % (name, traj, policy, theta)
        if expr.args[3].name == "semicolon":
            return "%s(%s;%s)" % (name, traj, theta)
        return "%s_%s(%s)" % (name, theta, traj)

    def _print_Objective(self, expr) -> str:
        name, theta, style, policy = (self._print(a) for a in expr.args)
        arg = "%s_%s" % (policy, theta) if expr.args[2].name == "policy" else theta
        return "%s(%s)" % (name, arg)

    #: printed as a prefix with no closing mark (Σ_t f, ∇_θ f, log f): inside a product or a
    #: power they are bracketed, so (Σ r)² and Σ r², (∇π)² and ∇(π²) print differently
    _PREFIX = (
        "Sum",
        "Product",
        "Grad",
        "log",
        "TrajectorySum",
        "SampleMean",
        "TrajectoryIntegral",
        "InfiniteSum",
    )

    def parenthesize(self, item, level, strict=False) -> str:
        if type(item).__name__ in self._PREFIX:
            return "(%s)" % self._print(item)
        return super().parenthesize(item, level, strict)

    def _group(self, expr: Basic) -> str:
        text = self._print(expr)
        if expr.is_Add or expr.is_Mul or type(expr).__name__ == "Ratio":
            return "(" + text + ")"
        return text

    def _print_Grad(self, expr) -> str:
        return "∇_%s %s" % (self._print(expr.args[1]), self._group(expr.args[0]))

    def _print_log(self, expr) -> str:
        return "log %s" % self._group(expr.args[0])

    def _print_ConditionalExpectation(self, expr) -> str:
        given = ", ".join(self._print(g) for g in expr.given)
        head = "E_{%s∼%s}" % (self._print(expr.variable), self._print(expr.density))
        return "%s[%s | %s]" % (head, self._print(expr.expr), given)

    def _print_Expectation(self, expr) -> str:
        body, var, density = (self._print(a) for a in expr.args)
        return "E_{%s∼%s}[%s]" % (var, density, body)

    def _print_TrajectoryIntegral(self, expr) -> str:
        return "∫ %s d%s" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_TrajectorySum(self, expr) -> str:
        return "Σ_%s %s" % (self._print(expr.args[1]), self._group(expr.args[0]))

    def _print_SampleMean(self, expr) -> str:
        body, index, count = (self._print(a) for a in expr.args)
        return "(1/%s) Σ_{%s=1}^{%s} %s" % (count, index, count, self._group(expr.args[0]))

    def _big(self, symbol: str, expr) -> str:
        heads = [
            "%s_{%s=%s}^{%s}" % (symbol, self._print(i), self._print(lo), self._print(hi))
            for i, lo, hi in reversed(expr.limits)  # the outermost limit is the last
        ]
        return "%s %s" % (" ".join(heads), self._group(expr.function))

    def _print_Sum(self, expr) -> str:
        return self._big("Σ", expr)

    def _print_Product(self, expr) -> str:
        return self._big("∏", expr)

    def _print_InfiniteSum(self, expr) -> str:
        function, index, lower = expr.args
        head = "Σ_{%s=%s}^{∞}" % (self._print(index), self._print(lower))
        return "%s %s" % (head, self._group(function))

    def _print_Pow(self, expr, rational=False) -> str:
        """A symbolic exponent as a superscript, γ^{t - 1} (numeric ones as SymPy's str)."""
        if expr.exp.is_Number:
            return super()._print_Pow(expr, rational)
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=True)
        return "%s^{%s}" % (base, self._print(expr.exp))

    def _print_Ratio(self, expr) -> str:
        return "%s/%s" % (self._group(expr.args[0]), self._group(expr.args[1]))

    def _print_Cancelled(self, expr) -> str:
        return "cancel[%s]" % self._print(expr.args[0])

    def _print_Equation(self, expr) -> str:
        return "%s %s %s" % (self._print(expr.args[0]), expr.symbol, self._print(expr.args[1]))


_PRINTER = TextPrinter()


def show(expr: Basic) -> str:
    """Readable one-line text of an expression."""
    return _PRINTER.doprint(expr)
