"""Rules of differentiation: ∇ under ∫ and Σ, linearity, constants, both sides.

Whether a term depends on θ is read from its free symbols: π_θ, p_θ(τ) and
J(θ) carry θ; dynamics, initial distribution and rewards do not.
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Add, Basic, Mul, S, Sum

from pgproof.kernel.objects import (
    Cancelled,
    Equation,
    Grad,
    Ratio,
    SampleMean,
    TrajectoryIntegral,
    TrajectorySum,
)
from pgproof.kernel.state_objects import ActionSum

from ..canonical import canonical
from ..domain import condition_order, domain_conditions, holds
from ..refusal import Refusal
from ..series import INTERCHANGE_GRADIENT, InfiniteSum, interchange, require_discounted
from ..text import show
from .base import Context, rule

REGULARITY = (
    "∇_θ and ∫ dτ may be interchanged: p_θ(τ) is differentiable in θ and "
    "|∇_θ p_θ(τ) R(τ)| is bounded by an integrable function of τ (dominated convergence)"
)


def depends_on(expr: Basic, theta: Basic) -> bool:
    return theta in expr.free_symbols


def dependency_witness(expr: Basic, theta: Basic) -> Basic:
    """The smallest subterm of ``expr`` through which it depends on θ."""
    for arg in expr.args:
        if depends_on(arg, theta) and arg != theta:
            return dependency_witness(arg, theta)
    return expr


def why_dependent(term: Basic, theta: Basic) -> str:
    witness = dependency_witness(term, theta)
    through = "" if witness == term else f" through {show(witness)}"
    return f"{show(term)} depends on {show(theta)}{through}"


@rule(
    "grad_under_integral",
    aliases=("differentiate_under_integral", "leibniz_integral_rule", "grad_out_of_integral"),
    everywhere=False,  # it goes both ways: applying it everywhere would oscillate
    label="gradient under the integral",
    phrases=(
        "leibniz", "leibniz integral rule", "leibniz rule", "differentiate under the integral",
        "differentiation under the integral sign", "bring gradient under integral",
        "gradient under the integral", "gradient inside the integral",
        "swap gradient and integral", "interchange gradient and integral", "dominated convergence",
        "move the gradient inside", "putting the differentiation operator inside the integral",
    ),
    priority=60,
)
def grad_under_integral(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ ∫ f(τ) dτ = ∫ ∇_θ f(τ) dτ, in either direction   (regularity assumed and stated;
    τ's domain is θ-free)."""
    if isinstance(node, Grad) and isinstance(node.expr, TrajectoryIntegral):
        ctx.assume(REGULARITY)
        integral = node.expr
        return [TrajectoryIntegral(Grad(integral.expr, node.variable), integral.variable)]
    if isinstance(node, TrajectoryIntegral) and isinstance(node.expr, Grad):
        grad = node.expr
        if grad.variable == node.variable:
            return None
        ctx.assume(REGULARITY)
        return [Grad(TrajectoryIntegral(grad.expr, node.variable), grad.variable)]
    return None


def _sum_limits_free_of(node: Sum, theta: Basic) -> None:
    for index, low, high in node.limits:
        if depends_on(low, theta) or depends_on(high, theta):
            raise Refusal(
                node,
                f"the limits of the sum over {show(index)} depend on {show(theta)}: "
                "∇ cannot be moved inside",
                condition="limits_depend_on_theta",
            )


@rule(
    "grad_of_sum",
    aliases=("linearity_of_gradient", "grad_under_sum", "sum_of_gradients", "linearity_of_grad"),
    label="gradient of a sum",
    phrases=(
        "linearity", "linearity of the gradient", "linearity of differentiation",
        "gradient of a sum", "gradient of the sum is the sum of the gradients", "sum of gradients",
        "sum of the gradient", "swap gradient and sum", "gradient inside the sum", "additivity",
    ),
    priority=90,
)
def grad_of_sum(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ (f + g) = ∇_θ f + ∇_θ g;  ∇_θ Σ_t f_t = Σ_t ∇_θ f_t  (limits free of θ);
    ∇_θ Σ_{t=a}^{∞} γ^{t+c} f_t = Σ_{t=a}^{∞} ∇_θ γ^{t+c} f_t  (every term has the discount
    γ^{t+c}, f_t depends on t only through its steps; 0 < γ < 1, bounded rewards and scores
    assumed and stated: uniform convergence);
    ∇_θ Σ_a f(a) = Σ_a ∇_θ f(a)  (finitely many actions)."""
    if not isinstance(node, Grad):
        return None
    inner, theta = node.expr, node.variable
    if isinstance(inner, Add):
        return [Add(*(Grad(term, theta) for term in inner.args))]
    if isinstance(inner, Sum):
        _sum_limits_free_of(inner, theta)
        return [Sum(Grad(inner.function, theta), *inner.limits)]
    if isinstance(inner, InfiniteSum):
        if depends_on(inner.lower, theta):
            raise Refusal(
                inner,
                f"the lower limit of the sum over {show(inner.index)} depends on "
                f"{show(theta)}: ∇ cannot be moved inside",
                condition="limits_depend_on_theta",
            )
        require_discounted(inner, ctx.notation.gamma, f"∇_{show(theta)}")
        ctx.assume(interchange(INTERCHANGE_GRADIENT, inner))
        return [InfiniteSum(Grad(inner.function, theta), inner.index, inner.lower)]
    if isinstance(inner, TrajectorySum):
        return [TrajectorySum(Grad(inner.expr, theta), inner.variable)]
    if isinstance(inner, ActionSum):
        return [ActionSum(Grad(inner.expr, theta), inner.variable)]
    if isinstance(inner, SampleMean):
        body, index, count = inner.args
        return [SampleMean(Grad(body, theta), index, count)]
    return None


@rule(
    "constant_factor", aliases=("pull_out_constant", "constant_out_of_gradient"),
    label="constant out of the gradient",
    phrases=(
        "constant factor", "pull out the constant", "take out the constant", "pull out",
        "constant out of the gradient", "constant multiple", "does not depend on theta factor",
        "not dependent on theta", "r does not depend on theta",
    ),
    priority=900,
)
def constant_factor(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ (c f) = c ∇_θ f  and  ∇_θ (f / c) = (1/c) ∇_θ f   when c does not depend on θ."""
    if isinstance(node, Grad) and isinstance(node.expr, Ratio):
        num, den = node.expr.args
        theta = node.variable
        if depends_on(den, theta) or not depends_on(num, theta):
            return None
        return [Ratio(S.One, den) * Grad(num, theta)]
    if not (isinstance(node, Grad) and isinstance(node.expr, Mul)):
        return None
    theta = node.variable
    constant = [f for f in node.expr.args if not depends_on(f, theta)]
    varying = [f for f in node.expr.args if depends_on(f, theta)]
    if not constant or not varying:
        return None
    return [Mul(*constant) * Grad(Mul(*varying), theta)]


@rule(
    "product_rule",
    label="product rule",
    phrases=(
        "product rule", "differentiate the product", "gradient of a product",
    ),
    priority=900,
)
def product_rule(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ (f g) = (∇_θ f) g + f ∇_θ g."""
    if not (isinstance(node, Grad) and isinstance(node.expr, Mul)):
        return None
    factors, theta = node.expr.args, node.variable
    terms = []
    for k, factor in enumerate(factors):
        rest = Mul(*(f for j, f in enumerate(factors) if j != k))
        terms.append(rest * Grad(factor, theta))
    return [Add(*terms)]


def _check_terms_theta_free(ctx: Context) -> None:
    """The step names terms it claims are free of θ: each must really be."""
    for term in ctx.terms:
        inner = term.expr if isinstance(term, Grad) else term
        if depends_on(inner, ctx.theta):
            message = f"{why_dependent(inner, ctx.theta)}: it cannot be dropped"
            kept = _theta_free_terms_under_grad(ctx)
            if kept:
                message += (
                    "; meanwhile the claim keeps "
                    + ", ".join(show(k) for k in kept)
                    + f" inside ∇, although {'they do' if len(kept) > 1 else 'it does'} "
                    + f"not depend on {show(ctx.theta)}"
                )
            raise Refusal(term, message, condition="depends_on_theta")


def _theta_free_terms_under_grad(ctx: Context) -> list[Basic]:
    """θ-free summands still under a ∇ in the claim (for the refusal message)."""
    if ctx.claim is None:
        return []
    try:  # canonical form takes θ-free factors such as R(τ) out of Σ and ∇
        claim = canonical(ctx.claim)
    except Refusal:
        claim = ctx.claim
    found: list[Basic] = []
    for node in _grads(claim):
        body = node.expr
        if isinstance(body, Sum):
            body = body.function
        for term in Add.make_args(body):
            if not depends_on(term, ctx.theta) and term not in found and term.free_symbols:
                found.append(term)
    return found


def _grads(expr: Basic) -> Iterable[Grad]:
    """The ∇ nodes of ``expr``, except those the author struck out."""
    if isinstance(expr, Cancelled):
        return
    if isinstance(expr, Grad):
        yield expr
    for arg in expr.args:
        yield from _grads(arg)


@rule(
    "drop_zero_gradient",
    aliases=("drop_theta_independent", "drop_constant_terms", "zero_gradient"),
    check_arguments=_check_terms_theta_free,
    label="gradient of a constant is 0",
    phrases=(
        "does not depend on theta", "do not depend on theta", "don t depend on theta",
        "independent of theta", "zero gradient", "gradient is zero", "derivative is zero",
        "vanish", "vanishes", "drop", "cancel out", "remove the terms", "constant terms",
        "dynamics do not depend on theta", "initial state distribution does not depend",
    ),
    priority=100,
)
def drop_zero_gradient(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ c = 0   when c does not depend on θ (proved from c's free symbols) and is defined
    (a log's argument known positive, a divisor nonzero: ∇_θ log r is not 0 where log r
    is undefined)."""
    if isinstance(node, Grad) and not depends_on(node.expr, node.variable):
        for condition in sorted(domain_conditions(node.expr), key=condition_order):
            if not holds(condition):
                kind, arg = condition
                raise Refusal(
                    node,
                    f"{show(node.expr)} is defined only where {show(arg)} is {kind}, which is "
                    "not known: its gradient is not 0 where it is undefined",
                    condition="domain",
                )
        return [S.Zero]
    return None


@rule(
    "differentiate_both_sides",
    aliases=("gradient_of_both_sides", "take_gradient"),
    root_only=True,
    valid_on_estimate=False,  # the samples are drawn from p_θ: ∇ E[ĝ] ≠ E[∇ ĝ]
    label="gradient of both sides",
    phrases=(
        "differentiate", "differentiate both sides", "take the gradient", "gradient of both sides",
        "apply the gradient", "finding the gradient",
    ),
    priority=900,
)
def differentiate_both_sides(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = b  ⇒  ∇_θ a = ∇_θ b."""
    if isinstance(node, Equation):
        return [Equation(Grad(node.lhs, ctx.theta), Grad(node.rhs, ctx.theta))]
    return None
