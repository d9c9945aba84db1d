r"""LaTeX of pgproof's expression objects: one ``_print_<Class>`` per class.

What each prints (``name`` is the display name, a ``Str``):

    State, Action                 {s}_{t}, {a}_{t}^{(i)} of a sampled τ^{(i)}
    Policy                        \pi_{\theta}\left(a \mid s\right)
    Dynamics, InitialDistribution p\left(s' \mid s, a\right), p\left(s\right)
    TrajectoryDensity             p_{\theta}(τ), P(τ \mid \pi_{\theta}) or P(τ; \theta)
    Grad                          \nabla_{\theta} f (f bracketed when a sum or product)
    Expectation                   \mathbb{E}_{\tau \sim p}\left[f\right]
    TrajectoryIntegral, …Sum      \int f \, d\tau, \sum_{\tau} f
    SampleMean                    \frac{1}{m} \sum_{i=1}^{m} f
    ActionSum, StateSum           \sum_{a'} f
    ActionExpectation             \mathbb{E}_{a' \sim \pi_{\theta}\left(\cdot \mid s\right)}[f]
    InfiniteSum                   \sum_{t=a}^{\infty} f
    Equation, Approximation       lhs = rhs, lhs \approx rhs

SymPy's printer dispatches on the class's MRO, so a subclass without its own method
(FeatureVector, StateSum) prints as its parent.  The ``precedence`` attributes of the
prefix objects (∇, ∫, Σ) stay on the classes: SymPy's ``precedence()``, which its
``_print_Mul`` and ``_print_Pow`` call directly, reads them there.
"""

from __future__ import annotations

from typing import Any

from sympy import Add, Basic, Mul, Pow, Product, Sum, Symbol
from sympy.printing.latex import LatexPrinter

from pgproof.kernel.objects import SampledTrajectory, TrajectorySum, as_name

__all__ = ["PGLatexPrinter", "latex"]


class PGLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, knowing pgproof's objects."""

    # ----------------------------------------------------------------- helpers

    def _wrap(self, expr: Basic) -> str:
        """``expr``, parenthesised when it is a sum, a product or a big operator."""
        text = self._print(expr)
        big = (Sum, Product, TrajectorySum)
        negative = expr.is_Number and expr.is_negative
        reciprocal = isinstance(expr, Pow) and expr.exp == -1
        if isinstance(expr, (Add, Mul, *big)) or negative or reciprocal:
            return r"\left(" + text + r"\right)"
        return text

    def _conditional(self, name: Basic, sub: str, outcome: Basic, given: tuple[Basic, ...]) -> str:
        """name_sub(outcome | given…)."""
        head = self._print(name) + sub
        inside = self._print(outcome)
        if given:
            inside += r" \mid " + ", ".join(self._print(g) for g in given)
        return head + r"\left(" + inside + r"\right)"

    # ----------------------------------------------------------------- trajectories

    def _print_SampledTrajectory(self, expr: Basic) -> str:
        return "%s^{(%s)}" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print__TrajectoryVariable(self, expr: Basic) -> str:
        name, traj, time = expr.args
        text = "{%s}_{%s}" % (self._print(name), self._print(time))
        if isinstance(traj, SampledTrajectory):
            text += "^{(%s)}" % self._print(traj.sample_index)
        return text

    # ----------------------------------------------------------------- distributions

    def _print_Policy(self, expr: Basic) -> str:
        name, action, state, theta = expr.args
        return self._conditional(name, "_{%s}" % self._print(theta), action, (state,))

    def _print_Dynamics(self, expr: Basic) -> str:
        name, nxt, state, action = expr.args
        return self._conditional(name, "", nxt, (state, action))

    def _print_InitialDistribution(self, expr: Basic) -> str:
        name, state = expr.args
        return self._conditional(name, "", state, ())

    def _print_Reward(self, expr: Basic) -> str:
        return "%s\\left(%s, %s\\right)" % tuple(self._print(a) for a in expr.args)

    def _print_Return(self, expr: Basic) -> str:
        name, traj = expr.args
        return "%s\\left(%s\\right)" % (self._print(name), self._print(traj))

    def _print_DeclaredFunction(self, expr: Basic) -> str:
        head = self._print(expr.args[0])
        if expr.depends_on_policy:
            head = "%s^{%s}" % (head, self._print(expr.policy_name))
        inside = ", ".join(self._print(a) for a in expr.arguments)
        return r"%s\left(%s\right)" % (head, inside)

    def _print_TrajectoryDensity(self, expr: Basic) -> str:
        name, traj, theta, style, policy = (self._print(a) for a in expr.args)
        if expr.args[3].name == "given_policy":
            return r"%s\left(%s \mid %s_{%s}\right)" % (name, traj, policy, theta)
        if expr.args[3].name == "semicolon":
            return r"%s\left(%s; %s\right)" % (name, traj, theta)
        return r"%s_{%s}\left(%s\right)" % (name, theta, traj)

    def _print_Objective(self, expr: Basic) -> str:
        name, theta, style, policy = (self._print(a) for a in expr.args)
        arg = "%s_{%s}" % (policy, theta) if expr.args[2].name == "policy" else theta
        return r"%s\left(%s\right)" % (name, arg)

    # ----------------------------------------------------------------- operators

    def _print_Grad(self, expr: Basic) -> str:
        return r"\nabla_{%s} %s" % (self._print(expr.args[1]), self._wrap(expr.args[0]))

    def _print_Expectation(self, expr: Basic) -> str:
        body, var, density = (self._print(a) for a in expr.args)
        return r"\mathbb{E}_{%s \sim %s}\left[%s\right]" % (var, density, body)

    def _print_ConditionalExpectation(self, expr: Basic) -> str:
        body, var, density = (self._print(a) for a in expr.args[:3])
        given = ", ".join(self._print(g) for g in expr.given)
        return r"\mathbb{E}_{%s \sim %s}\left[%s \mid %s\right]" % (var, density, body, given)

    def _print_TrajectoryIntegral(self, expr: Basic) -> str:
        return r"\int %s \, d%s" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_TrajectorySum(self, expr: Basic) -> str:
        return r"\sum_{%s} %s" % (self._print(expr.args[1]), self._wrap(expr.args[0]))

    def _print_SampleMean(self, expr: Basic) -> str:
        body, index, count = expr.args
        return r"\frac{1}{%s} \sum_{%s=1}^{%s} %s" % (
            self._print(count),
            self._print(index),
            self._print(count),
            self._wrap(body),
        )

    def _print_Ratio(self, expr: Basic) -> str:
        return r"\frac{%s}{%s}" % (self._print(expr.args[0]), self._print(expr.args[1]))

    def _print_Cancelled(self, expr: Basic) -> str:
        return r"\cancel{%s}" % self._print(expr.args[0])

    def _print_Equation(self, expr: Basic) -> str:
        """lhs = rhs, or lhs \\approx rhs for an estimate (:class:`Approximation`)."""
        relation = r"\approx" if expr.is_estimate else "="
        return "%s %s %s" % (self._print(expr.args[0]), relation, self._print(expr.args[1]))

    # ----------------------------------------------------------------- one state

    def _print_StateSymbol(self, expr: Basic) -> str:
        """s, a: the name as a ``Str`` (no SymPy sub/superscript splitting of the name)."""
        return self._print(as_name(expr.name))

    _print_ActionSymbol = _print_StateSymbol

    def _print__BoundSum(self, expr: Basic) -> str:
        """Σ_{a'} f (ActionSum), Σ_s f (StateSum)."""
        return r"\sum_{%s} %s" % (self._print(expr.args[1]), self._wrap(expr.args[0]))

    def _print_ActionExpectation(self, expr: Basic) -> str:
        """E_{a'∼π_θ(·|s)}[f]: the density at the bound action, written with · for it."""
        var = self._print(expr.args[1])
        density = expr.args[2].xreplace({expr.args[1]: Symbol(r"\cdot")})
        return r"\mathbb{E}_{%s \sim %s}\left[%s\right]" % (
            var,
            self._print(density),
            self._print(expr.args[0]),
        )

    def _print_Inner(self, expr: Basic) -> str:
        left, right = expr.args
        return r"%s^{\top} %s" % (self._wrap(left), self._wrap(right))

    def _print_ParametrisedFunction(self, expr: Basic) -> str:
        inside = ", ".join(self._print(a) for a in expr.arguments)
        return r"%s_{%s}\left(%s\right)" % (
            self._print(expr.args[0]),
            self._print(expr.theta),
            inside,
        )

    def _print_GaussianDensity(self, expr: Basic) -> str:
        x, mean, variance = (self._print(a) for a in expr.args)
        return r"\mathcal{N}\left(%s; %s, %s\right)" % (x, mean, variance)

    # ----------------------------------------------------------------- visitation, series

    def _print_StateProbability(self, expr: Basic) -> str:
        step, state = (self._print(a) for a in expr.args[:2])
        return r"\Pr\left(%s = %s\right)" % (step, state)

    def _print_InfiniteSum(self, expr: Basic) -> str:
        function, index, lower = expr.args
        return r"\sum_{%s=%s}^{\infty} %s" % (
            self._print(index),
            self._print(lower),
            self._wrap(function),
        )


def latex(expr: Basic, **settings: Any) -> str:
    """``expr`` as LaTeX (SymPy's ``latex`` with pgproof's objects known); ``settings`` are
    those of SymPy's :class:`~sympy.printing.latex.LatexPrinter`."""
    return PGLatexPrinter(settings).doprint(expr)
