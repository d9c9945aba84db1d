"""The chain rule for the elementary functions of score functions, and ∇ of θ^⊤x.

    ∇_θ log g = ∇_θ g / g                       (g > 0)
    ∇_θ exp g = exp(g) ∇_θ g
    ∇_θ g^n   = n g^{n−1} ∇_θ g                 (n free of θ; g ≠ 0 when n < 0,
                                                 g > 0 when n is not an integer: √g = g^{1/2})
    ∇_θ (c/g) = −c ∇_θ g / g²                   (c free of θ, g ≠ 0: c g^{−1})
    ∇_θ θ^⊤x  = x                               (x free of θ)

Each is the derivative of an outer function f (log, exp, a power, the square root) at the
inner g, times the inner derivative: leaving out ∇_θ g, or using another f', gives another
expression, which the comparison with the claim refuses.  The side conditions are where f
is differentiable at g: log at g > 0, a power with a negative exponent where g ≠ 0, a
fractional power (√g) where g > 0.  They are read off what is known of g (a policy or a
density is positive, σ > 0; a reward, or a difference a − μ_θ(s), is not known to be).

θ ∈ R^d: ∇_θ θ^⊤x = x holds coordinate by coordinate, ∂(θ^⊤x)/∂θ_k = x_k, as every ∇
here is read (see :mod:`pgproof.kernel.state_objects`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic, Mul, Pow, exp, log

from pgproof.kernel.objects import Grad, Ratio
from pgproof.kernel.state_objects import Inner

from ..refusal import Refusal
from ..text import show
from .base import Context, rule
from .calculus import why_dependent


def _require(condition: bool | None, g: Basic, words: str, code: str) -> None:
    if not condition:
        raise Refusal(g, f"the chain rule {words}, and it is not known to be", condition=code)


def _power(g: Basic, n: Basic, theta: Basic) -> list[Basic] | None:
    if theta in n.free_symbols:
        return None  # g^{h(θ)}: not a power with a fixed exponent
    power = f"for {show(g)}^{show(n)} needs {show(g)}"
    if n.is_integer and n.is_negative:
        _require(g.is_nonzero or g.is_positive, g, f"{power} ≠ 0", "not_nonzero")
    elif not n.is_integer:
        _require(g.is_positive, g, f"{power} > 0", "not_positive")
    # one product: SymPy would distribute n over g alone (2(a − μ) → 2a − 2μ)
    return [Mul(n, Pow(g, n - 1), Grad(g, theta))]


@rule(
    "chain_rule", aliases=("chain", "composite_rule", "derivative_of_composition"),
    label="chain rule",
    phrases=(
        "chain rule", "chain rule of differentiation", "derivative of a composition",
        "composite function",
    ),
    priority=900,
)
def chain_rule(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ log g = ∇_θ g / g (g > 0);  ∇_θ exp g = exp(g) ∇_θ g;  ∇_θ g^n = n g^{n−1} ∇_θ g
    (n free of θ; g ≠ 0 when n < 0, g > 0 when n is not an integer, as √g = g^{1/2}; c/g is
    c g^{−1})."""
    if not isinstance(node, Grad):
        return None
    inner, theta = node.expr, node.variable
    if isinstance(inner, log):
        g = inner.args[0]
        _require(g.is_positive, g, f"for log {show(g)} needs {show(g)} > 0", "not_positive")
        return [Ratio(Grad(g, theta), g)]
    if isinstance(inner, exp):
        g = inner.args[0]
        return [inner * Grad(g, theta)]
    if isinstance(inner, Pow):
        return _power(inner.base, inner.exp, theta)
    if isinstance(inner, Ratio) and theta not in inner.numerator.free_symbols:
        c, g = inner.args
        _require(
            g.is_nonzero or g.is_positive, g, f"for 1/{show(g)} needs {show(g)} ≠ 0", "not_nonzero"
        )
        return [Mul(-c, Ratio(Grad(g, theta), Pow(g, 2)))]
    return None


@rule(
    "grad_of_inner_product",
    aliases=("grad_of_linear", "gradient_of_linear_function", "linear_gradient"),
    label="gradient of a linear function",
    phrases=(
        "gradient of a linear function", "gradient of an inner product",
        "gradient of the inner product", "linear in theta",
    ),
    priority=900,
)
def grad_of_inner_product(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ θ^⊤x = x   when x does not depend on θ (per coordinate: ∂(θ^⊤x)/∂θ_k = x_k)."""
    if not (isinstance(node, Grad) and isinstance(node.expr, Inner)):
        return None
    theta = node.variable
    left, right = node.expr.args
    if left == theta:
        other = right
    elif right == theta:
        other = left
    else:
        return None
    if theta in other.free_symbols:
        raise Refusal(
            other,
            f"{why_dependent(other, theta)}: ∇_θ θ^⊤x = x needs x free of {show(theta)}",
            condition="depends_on_theta",
        )
    return [other]
