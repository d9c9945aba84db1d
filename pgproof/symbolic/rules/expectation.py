"""Rules for expectations: E ↔ ∫ / Σ over τ, linearity, and the sample-mean estimate.

E_{τ∼p_θ}[f(τ)] = ∫ p_θ(τ) f(τ) dτ     (continuous trajectory space)
E_{τ∼p_θ}[f(τ)] = Σ_τ p_θ(τ) f(τ)      (discrete trajectory space)
E_{τ∼p_θ}[f(τ)] ≈ (1/m) Σ_{i=1}^{m} f(τ^{(i)}),  τ^{(i)} ∼ p_θ i.i.d.  (an estimator)
E_{a∼π_θ(·|s)}[f(a)] = Σ_a π_θ(a|s) f(a)  (finitely many actions: not a Gaussian policy's)
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Add, Basic, Mul, S, Sum

from pgproof.kernel.binders import substitute
from pgproof.kernel.objects import (
    ConditionalExpectation,
    Expectation,
    SampledTrajectory,
    SampleMean,
    TrajectoryAggregate,
    TrajectoryDensity,
    TrajectoryIntegral,
    TrajectorySum,
)
from pgproof.kernel.state_objects import ActionExpectation, ActionSum

from ..policy_classes import FINITE_ACTIONS
from ..refusal import Refusal
from ..series import (
    INTERCHANGE_EXPECTATION,
    InfiniteSum,
    interchange,
    require_discounted,
)
from ..text import show
from .actions import policy_of
from .base import Context, rule
from .logs import distribute, split_sum


def _require_space(ctx: Context, space: str, what: str) -> None:
    if ctx.notation.trajectory_space != space:
        raise Refusal(
            None,
            f"{what} needs a {space} trajectory space, but this derivation's τ is "
            f"{ctx.notation.trajectory_space}",
            condition="trajectory_space",
        )


def _to_aggregate(node: Basic, ctx: Context, cls: type[TrajectoryAggregate]) -> list[Basic]:
    if not isinstance(node, Expectation):
        return []
    return [cls(node.density * node.expr, node.variable)]


@rule(
    "expectation_to_integral", aliases=("definition_of_expectation",),
    label="expectation as integral",
    phrases=(
        "definition of expectation", "expand the expectation", "expand expectation",
        "expectation as an integral", "integral form", "write as an integral",
        "continuous expectation",
    ),
    priority=20,
)
def expectation_to_integral(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[f(τ)] = ∫ p_θ(τ) f(τ) dτ   (τ continuous)."""
    if isinstance(node, Expectation):
        _require_space(ctx, "continuous", "writing E as ∫ dτ")
    return _to_aggregate(node, ctx, TrajectoryIntegral)


def _finite_actions(ctx: Context, what: str) -> None:
    n = ctx.notation
    if n.policy_class not in FINITE_ACTIONS:
        raise Refusal(
            None,
            f"{what} needs finitely many actions, but the {n.policy_class} policy's actions "
            "are real numbers (E over them is an integral)",
            condition="action_space",
        )


@rule(
    "expectation_to_sum",
    label="expectation as sum",
    phrases=(
        "expectation as a sum", "sum form", "discrete expectation", "write as a sum",
        "definition of expectation discrete",
    ),
    priority=30,
)
def expectation_to_sum(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[f(τ)] = Σ_τ p_θ(τ) f(τ)   (τ discrete);  E_{a∼π_θ(·|s)}[f(a)] = Σ_a π_θ(a|s)
    f(a)   (finitely many actions)."""
    if isinstance(node, ActionExpectation):
        _finite_actions(ctx, "writing E over actions as Σ_a")
        body, action, density = node.args
        return [ActionSum(density * body, action)]
    if isinstance(node, Expectation):
        _require_space(ctx, "discrete", "writing E as Σ_τ")
    return _to_aggregate(node, ctx, TrajectorySum)


def _from_aggregate(node: Basic, ctx: Context, cls: type[TrajectoryAggregate]) -> list[Basic]:
    if not isinstance(node, cls):
        return []
    density = ctx.notation.density_of(node.variable)
    factors = list(Mul.make_args(node.expr))
    if density not in factors:
        raise Refusal(
            node,
            f"the integrand {show(node.expr)} has no factor {show(density)}: "
            f"it is not an expectation under {show(density)}",
            condition="missing_density",
        )
    factors.remove(density)
    return [Expectation(Mul(*factors), node.variable, density)]


@rule(
    "integral_to_expectation",
    label="integral as expectation",
    phrases=(
        "back to expectation", "return to expectation form", "expectation form",
        "convert back into the expectation", "integral as an expectation",
        "going back to expectation form",
    ),
    priority=40,
)
def integral_to_expectation(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """∫ p_θ(τ) f(τ) dτ = E_{τ∼p_θ}[f(τ)]   (τ continuous; the integrand has the factor p_θ(τ))."""
    if isinstance(node, TrajectoryIntegral):
        _require_space(ctx, "continuous", "reading ∫ dτ as E")
    return _from_aggregate(node, ctx, TrajectoryIntegral)


def _action_sum_to_expectation(node: ActionSum, ctx: Context) -> list[Basic]:
    action = node.variable
    factors = list(Mul.make_args(node.expr))
    out = []
    for factor in factors:
        if factor in out:
            continue
        if policy_of(node, ctx, factor):
            rest = list(factors)
            rest.remove(factor)
            out.append(ActionExpectation(Mul(*rest), action, factor))
    if not out:
        policy = ctx.notation.policy_at(action, ctx.notation.state_symbol())
        raise Refusal(
            node,
            f"the summand {show(node.expr)} has no factor {show(policy)} of the summed "
            f"action {show(action)}: it is not an expectation over the policy",
            condition="missing_density",
        )
    return out


@rule(
    "sum_to_expectation",
    label="sum as expectation",
    phrases=(
        "sum as an expectation", "back to expectation discrete", "expectation form discrete",
    ),
    priority=50,
)
def sum_to_expectation(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_τ p_θ(τ) f(τ) = E_{τ∼p_θ}[f(τ)]   (τ discrete; the summand has the factor p_θ(τ));
    Σ_a π_θ(a|s) f(a) = E_{a∼π_θ(·|s)}[f(a)]   (the summand has the factor π_θ(a|s))."""
    if isinstance(node, ActionSum):
        _finite_actions(ctx, "reading Σ_a as E over actions")
        return _action_sum_to_expectation(node, ctx)
    if isinstance(node, TrajectorySum):
        _require_space(ctx, "discrete", "reading Σ_τ as E")
    return _from_aggregate(node, ctx, TrajectorySum)


@rule(
    "linearity_of_expectation", aliases=("expectation_linearity",),
    label="linearity of expectation",
    phrases=(
        "linearity of expectation", "expectation is linear", "split the expectation",
    ),
    priority=210,
)
def linearity_of_expectation(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E[f + g] = E[f] + E[g] (also after expanding a product, and for Σ_t (f_t + g_t));
    E[c f] = c E[f] when c does not depend on τ (on a, for E over actions a∼π_θ(·|s));  the
    same for E[· | G], where a factor that is a function of the given states and actions G
    alone also comes out (known given G).

    E[0] = 0, E[0 | G] = 0 and E_{a∼π_θ(·|s)}[0] = 0 whatever the density (∫ 0 · p = 0), and
    E[c] = c E[1] for c free of τ (∫ c p = c ∫ p, any density too; E[1] = 1, that p is
    normalised, is the rule normalization)."""
    expectations = (Expectation, ActionExpectation, ConditionalExpectation)
    if isinstance(node, expectations) and node.args[0] == S.Zero:
        return [S.Zero]
    if isinstance(node, ConditionalExpectation):
        return _conditional_linearity(node)
    if not isinstance(node, (Expectation, ActionExpectation)):
        return None
    body, tau, density = node.args
    cls = type(node)
    if tau not in body.free_symbols and body != S.One:  # E[c] = c E[1]
        return [Mul(body, cls(S.One, tau, density))]
    if isinstance(body, Add):
        return [Add(*(cls(term, tau, density) for term in body.args))]
    if (
        isinstance(node, Expectation)
        and isinstance(body, Sum)
        and not any(tau in p.free_symbols for p in body.limits[0])
    ):
        split = split_sum(body, ctx)  # E[Σ_t (f_t + g_t)] = E[Σ_t f_t] + E[Σ_t g_t]
        if split:
            return [_expectations_of_terms(split[0], tau, density)]
    if isinstance(body, Mul):
        expanded = distribute(body)
        if isinstance(expanded, Add):  # E[(f + g) h] = E[f h] + E[g h]
            return [Add(*(cls(term, tau, density) for term in expanded.args))]
        constant = [f for f in body.args if tau not in f.free_symbols]
        varying = [f for f in body.args if tau in f.free_symbols]
        if constant and varying:
            return [Mul(*constant) * cls(Mul(*varying), tau, density)]
    return None


@rule(
    "expectation_of_sum", aliases=("swap_expectation_and_sum", "sum_of_expectations"),
    label="expectation of a sum",
    phrases=(
        "expectation of a sum", "expectation of the sum", "swap expectation and sum",
        "sum of expectations", "exchange expectation and sum",
    ),
    priority=220,
)
def expectation_of_sum(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E[Σ_{t=a}^{b} f_t] = Σ_{t=a}^{b} E[f_t]   (a, b finite and free of τ);  E[Σ_{t=a}^{∞}
    γ^{t+c} f_t] = Σ_{t=a}^{∞} E[γ^{t+c} f_t]   (every term has the discount γ^{t+c}, f_t
    depends on t only through its steps; 0 < γ < 1 and bounded f assumed and stated:
    dominated convergence)."""
    if isinstance(node, Expectation) and isinstance(node.expr, InfiniteSum):
        series, tau, density = node.args
        if tau in series.lower.free_symbols:
            return None
        require_discounted(series, ctx.notation.gamma, "E")
        ctx.assume(interchange(INTERCHANGE_EXPECTATION, series))
        return [InfiniteSum(Expectation(series.function, tau, density), *series.args[1:])]
    if not (isinstance(node, Expectation) and isinstance(node.expr, Sum)):
        return None
    body, tau, density = node.args
    limit = body.limits[-1]
    if any(tau in part.free_symbols for part in limit) or not _finite_range(limit):
        return None
    inner = Sum(body.function, *body.limits[:-1]) if len(body.limits) > 1 else body.function
    return [Sum(Expectation(inner, tau, density), limit)]


def _expectations_of_terms(total: Basic, tau: Basic, density: Basic) -> Basic:
    """c₁ E[f₁] + c₂ E[f₂] + … for total = c₁ f₁ + c₂ f₂ + … (numbers c outside)."""
    terms = (term.as_coeff_Mul() for term in Add.make_args(total))
    return Add(*(coeff * Expectation(rest, tau, density) for coeff, rest in terms))


def _conditional_linearity(node: ConditionalExpectation) -> list[Basic] | None:
    from .conditional import known_given

    body, tau, density, given = node.args

    def conditional(expr: Basic) -> ConditionalExpectation:
        return ConditionalExpectation(expr, tau, density, given)

    if isinstance(body, Mul):
        expanded = distribute(body)
        body = expanded if isinstance(expanded, Add) else body
    if isinstance(body, Add):
        return [Add(*(conditional(term) for term in body.args))]
    known, rest = [], []
    for factor in Mul.make_args(body):
        (known if known_given(factor, given.args, tau) else rest).append(factor)
    if known and rest:
        return [Mul(*known) * conditional(Mul(*rest))]
    if known:  # E[f(G) | G] = f(G)
        return [Mul(*known)]
    return None


def _finite_range(limit: tuple) -> bool:
    """Σ_{t=a}^{b} with both limits finite (E and an infinite Σ swap only under conditions)."""
    return all(part not in (S.Infinity, S.NegativeInfinity) for part in limit[1:])


def _sampled(expr: Basic, tau: Basic, index: Basic) -> Basic:
    """f(τ) with its free τ the sample τ^{(i)} (capture-avoiding: a τ or i bound inside f is
    not the one replaced, nor captures it)."""
    return substitute(expr, tau, SampledTrajectory(tau, index))


@rule(
    "monte_carlo_estimate",
    aliases=("sample_mean", "expectation_to_sample_mean", "sample_estimate"),
    estimate=True,
    label="Monte Carlo estimate",
    phrases=(
        "monte carlo", "sample mean", "sample average", "empirical average", "estimate",
        "sample based estimate", "approximate with samples", "trajectory samples",
        "unbiased estimator",
    ),
    priority=130,
)
def monte_carlo_estimate(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[f(τ)] ≈ (1/m) Σ_{i=1}^{m} f(τ^{(i)}),  τ^{(i)} ∼ p_θ i.i.d.  (estimator)."""
    if not isinstance(node, Expectation):
        return None
    body, tau, density = node.args
    if not isinstance(density, TrajectoryDensity) or density != ctx.notation.density_of(tau):
        raise Refusal(
            node,
            f"samples must be drawn from {show(ctx.notation.density_of(tau))}",
            condition="sampling_density",
        )
    if body.atoms(SampledTrajectory):
        raise Refusal(
            node, f"{show(body)} already refers to sampled trajectories", condition="sampled"
        )
    n = ctx.notation
    return [SampleMean(_sampled(body, tau, n.i), n.i, n.m)]
