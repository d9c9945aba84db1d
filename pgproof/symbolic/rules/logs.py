"""Rules with logarithms: the log-derivative trick, the log of a product, Σ linearity.

    ∇_θ log f = ∇_θ f / f,   equivalently   ∇_θ f = f ∇_θ log f        (f > 0)
    log ∏_k f_k = Σ_k log f_k,   log ∏_{t=a}^{b} f_t = Σ_{t=a}^{b} log f_t   (f > 0)
    log (f / g) = log f − log g                                              (f, g > 0)
    Σ_t (f_t + g_t) = Σ_t f_t + Σ_t g_t

Positivity is read through SymPy's assumptions: densities and policies are
positive on the support τ ranges over (a stated modelling assumption), a
reward or an arbitrary expression is not known to be.
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Add, Basic, Mul, Pow, Product, Sum, log

from pgproof.kernel.objects import Equation, Grad, Ratio

from ..refusal import Refusal
from ..text import show
from .base import Context, rule


def require_positive(expr: Basic, what: str) -> None:
    if not expr.is_positive:
        raise Refusal(
            expr,
            f"{what} needs {show(expr)} > 0, and it is not known to be positive",
            condition="not_positive",
        )


def _reverse_in_product(node: Mul) -> list[Basic]:
    """f · ∇ log f → ∇ f  and  ∇f · f⁻¹ → ∇ log f, inside a product."""
    factors = list(node.args)
    out: list[Basic] = []
    for factor in factors:
        if isinstance(factor, Grad) and isinstance(factor.expr, log):
            f = factor.expr.args[0]
            if f in factors:
                require_positive(f, "the log-derivative trick")
                rest = list(factors)
                rest.remove(factor)
                rest.remove(f)
                out.append(Mul(*rest) * Grad(f, factor.variable))
        if isinstance(factor, Grad) and Pow(factor.expr, -1) in factors:
            f = factor.expr
            require_positive(f, "the log-derivative trick")
            rest = list(factors)
            rest.remove(factor)
            rest.remove(Pow(f, -1))
            out.append(Mul(*rest) * Grad(log(f), factor.variable))
    return out


@rule(
    "log_derivative_trick",
    aliases=("likelihood_ratio_trick", "reinforce_trick", "score_function"),
    everywhere=False,  # it goes both ways: applying it everywhere would oscillate
    label="log-derivative trick",
    phrases=(
        "log trick", "log derivative trick", "log derivative identity", "derivative log trick",
        "likelihood ratio", "likelihood ratio trick", "reinforce trick", "score function",
        "score function trick", "grad log", "gradient of the log", "log derivative",
    ),
    priority=70,
)
def log_derivative_trick(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∇_θ f = f ∇_θ log f  ⇔  ∇_θ log f = ∇_θ f / f   (f > 0)."""
    if isinstance(node, Grad):
        inner, theta = node.expr, node.variable
        if isinstance(inner, log):
            require_positive(inner.args[0], "the log-derivative trick")
            return [Ratio(Grad(inner.args[0], theta), inner.args[0])]
        require_positive(inner, "the log-derivative trick")
        return [inner * Grad(log(inner), theta)]
    if isinstance(node, Ratio):
        num, den = node.args
        if isinstance(num, Grad) and num.expr == den:
            require_positive(den, "the log-derivative trick")
            return [Grad(log(den), num.variable)]
        return None
    if isinstance(node, Mul):
        return _reverse_in_product(node) or None
    return None


@rule(
    "log_of_product", aliases=("log_product", "sum_of_logs", "expand_log"),
    label="log of a product",
    phrases=(
        "log of a product", "log of the product", "log of a product is the sum of the logs",
        "sum of logs", "sum of the logs", "log product rule", "expand the log",
    ),
    priority=80,
)
def log_of_product(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """log ∏_k f_k = Σ_k log f_k  and  log ∏_{t=a}^{b} f_t = Σ_{t=a}^{b} log f_t   (f > 0);
    log(f/g) = log f − log g   (f, g > 0)."""
    if not isinstance(node, log):
        return None
    inner = node.args[0]
    if isinstance(inner, Ratio):
        num, den = inner.args
        require_positive(num, "log of a quotient")
        require_positive(den, "log of a quotient")
        return [log(num) - log(den)]
    if isinstance(inner, Mul):
        for factor in inner.args:
            require_positive(factor, "log of a product")
        return [Add(*(log(f) for f in inner.args))]
    if isinstance(inner, Product):
        require_positive(inner.function, "log of a product")
        return [Sum(log(inner.function), *inner.limits)]
    if isinstance(inner, Pow) and inner.exp.is_integer:
        require_positive(inner.base, "log of a power")
        return [inner.exp * log(inner.base)]
    return None


def distribute(product: Mul) -> Basic:
    """(f + g) h → f h + g h at the top level only: no powers, logs or nested sums opened."""
    return product.expand(
        deep=False, mul=True, multinomial=False, power_exp=False, power_base=False, log=False
    )


@rule(
    "split_sum", aliases=("linearity_of_sum", "sum_of_sums"),
    label="sum split",
    phrases=(
        "split the sum", "linearity of the sum", "sum of sums", "separate the sum",
        "split into sums",
    ),
    priority=110,
)
def split_sum(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_t (f_t + g_t) = Σ_t f_t + Σ_t g_t   (also Σ_t f_t (g_t + h_t), expanded)."""
    if not isinstance(node, Sum):
        return None
    body = node.function
    if isinstance(body, Mul):
        body = distribute(body)
    if isinstance(body, Add):
        terms = (term.as_coeff_Mul() for term in body.args)  # numbers stay outside: −Σ_t f_t
        return [Add(*(coeff * Sum(rest, *node.limits) for coeff, rest in terms))]
    return None


@rule(
    "merge_sums", aliases=("combine_sums",),
    label="sums merged",
    phrases=(
        "merge sums", "merge the sums", "combine sums", "combine the sums",
    ),
    priority=900,
)
def merge_sums(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_t f_t + Σ_t g_t = Σ_t (f_t + g_t)   (same index and limits)."""
    if not isinstance(node, Add):
        return None
    sums = [a for a in node.args if isinstance(a, Sum)]
    for k, first in enumerate(sums):
        for second in sums[k + 1 :]:
            if first.limits == second.limits:
                rest = list(node.args)
                rest.remove(first)
                rest.remove(second)
                merged = Sum(first.function + second.function, *first.limits)
                return [Add(merged, *rest)]
    return None


@rule(
    "log_both_sides",
    aliases=("take_log", "logarithm_of_both_sides"),
    root_only=True,
    valid_on_estimate=False,  # log E[ĝ] ≠ E[log ĝ]
    label="log of both sides",
    phrases=(
        "take the log", "take the logarithm", "log of both sides", "logarithm of both sides",
        "take logs", "taking the log",
    ),
    priority=900,
)
def log_both_sides(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """a = b  ⇒  log a = log b   (a > 0)."""
    if isinstance(node, Equation):
        require_positive(node.lhs, "taking the log of both sides")
        return [Equation(log(node.lhs), log(node.rhs))]
    return None
