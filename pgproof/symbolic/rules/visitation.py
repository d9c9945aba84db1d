"""Rules of the state-visitation form: the law of one step, and Σ_t moved inside Σ_s.

    E_{τ∼p_θ}[f(s_t, a_t)] = Σ_s Pr(s_t = s) Σ_a π_θ(a|s) f(s, a)
    E_{τ∼p_θ}[f(s_t)]      = Σ_s Pr(s_t = s) f(s)                      (state_action_marginal)
    Σ_{t=a}^{b} c_t Σ_s g_t(s) h(s) = Σ_s (Σ_{t=a}^{b} c_t g_t(s)) h(s)   (swap_sums)

The first holds because the law of (s_t, a_t) under τ ∼ p_θ is Pr(s_t = s) π_θ(a|s): a_t is
drawn from π_θ(·|s_t) whatever came before.  It needs f to be a function of the state and
action of that one step only (not of a_{t+1}, not of R(τ)).  With a finite horizon the value
functions V^π, Q^π, A^π depend on the step (the steps left), so a plain Q^π(s, a) would lose
it: the rule is then refused for them.  The second moves a sum over time inside the finite
sum over the states; with b = ∞ it needs the terms to carry the discount γ^{t+c} and says
why the interchange holds (finitely many convergent series, added term by term).
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic, Dummy, Mul, Sum

from pgproof.kernel.binders import substitute
from pgproof.kernel.objects import (
    Action,
    ConditionalExpectation,
    DeclaredFunction,
    Expectation,
    State,
)
from pgproof.kernel.state_objects import ActionSum, StateSymbol, fresh_action
from pgproof.kernel.visitation import StateProbability, StateSum

from ..names import fixed_order, primed
from ..refusal import Refusal
from ..series import InfiniteSum, require_discounted
from ..text import show
from .base import Context, rule
from .score import footprint

INTERCHANGE_STATES = (
    "Σ_{%s}^{∞} and Σ_s may be interchanged: there are finitely many states, and each series "
    "Σ_t γ^t Pr(s_t = s) h(s) converges (0 < γ < 1, bounded terms), so the sum of the "
    "finitely many series is the series of the sums"
)


def fresh_state(like: StateSymbol, avoid: Basic) -> StateSymbol:
    """``like`` with primes added until its name is not a symbol name of ``avoid``."""
    taken = {s.name for s in avoid.free_symbols} | {s.name for s in avoid.atoms(StateSymbol)}
    return StateSymbol(primed(like.name, taken))


def _one_step(body: Basic, tau: Basic) -> tuple[State | None, Action | None] | None:
    """(s_t, a_t) when ``body`` is a function of the state and action of one step t of τ
    (either may be absent); None when it mentions no step of τ; refused otherwise."""
    if body.atoms(ConditionalExpectation):
        raise Refusal(
            body,
            f"{show(body)} holds a conditional expectation: it is a function of what it is "
            "given, but not written as one of a plain state and action (fold it into Q^π or "
            "V^π first)",
            condition="conditional_expectation",
        )
    # Pr(s_u = s) inside is a number: its s_u is bound there, not a step of this τ
    numbers = {p: Dummy() for p in fixed_order(body.atoms(StateProbability))}
    found = footprint(body.xreplace(numbers), tau)
    if found.whole is not None:
        raise Refusal(
            body,
            f"{show(body)} depends on the whole trajectory through {show(found.whole)}: only a "
            "function of the state and action of one step has the law Pr(s_t = s) π_θ(a|s)",
            condition="not_one_step",
        )
    steps = [*found.states, *found.actions]
    if not steps:
        return None
    time = steps[0].time
    for atom in steps[1:]:
        if (atom.time - time).expand() != 0:
            raise Refusal(
                body,
                f"{show(body)} depends on {show(steps[0])} and {show(atom)}: on more than one "
                "step (or on a step of a sum inside it), so the law of one step (s_t, a_t) "
                "does not give its mean",
                condition="not_one_step",
            )
    states = {a for a in _steps(body, State) if a.trajectory == tau}
    actions = {a for a in _steps(body, Action) if a.trajectory == tau}
    if len(states) > 1 or len(actions) > 1:  # pragma: no cover - one time, one of each
        return None
    return (next(iter(states), None), next(iter(actions), None))


def _steps(expr: Basic, kind: type) -> set[Basic]:
    """The states (or actions) of ``expr`` outside Pr(s_u = s)."""
    if isinstance(expr, StateProbability):
        return set()
    if isinstance(expr, kind):
        return {expr}
    return set().union(*(_steps(arg, kind) for arg in expr.args))


def _replace_steps(expr: Basic, changes: dict[Basic, Basic]) -> Basic:
    """``expr`` with its steps replaced, except inside Pr(s_u = s) (where s_u is bound)."""
    if isinstance(expr, StateProbability) or not expr.args:
        return changes.get(expr, expr)
    if expr in changes:
        return changes[expr]
    return expr.func(*(_replace_steps(arg, changes) for arg in expr.args))


def _time_dependent_values(body: Basic, ctx: Context) -> None:
    n = ctx.notation
    if n.infinite_horizon:
        return
    for function in fixed_order(body.atoms(DeclaredFunction)):
        if n.value_meaning(function.name.name) in ("state_value", "action_value", "advantage"):
            raise Refusal(
                function,
                f"with a finite horizon {show(function)} depends on its step (the steps left "
                "to earn): written of a plain state and action it would lose it (the form "
                "with Q^π(s, a) is stationary only with horizon ∞)",
                condition="time_dependent",
            )


@rule(
    "state_action_marginal", aliases=("marginalize", "marginalise", "marginal_of_step"),
    label="marginal of one step",
    phrases=(
        "marginalize", "marginalise", "marginal", "state visitation", "state distribution",
        "visitation distribution", "discounted state distribution",
    ),
    priority=900,
)
def state_action_marginal(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[f(s_t, a_t)] = Σ_s Pr(s_t = s) Σ_a π_θ(a|s) f(s, a), and E_{τ∼p_θ}[f(s_t)]
    = Σ_s Pr(s_t = s) f(s), when f depends on τ only through the state and action of one
    step t (not on another step, nor on R(τ), nor through E[· | ·]); with a finite horizon,
    not through V^π, Q^π, A^π (they depend on the step)."""
    if not isinstance(node, Expectation):
        return None
    n, tau = ctx.notation, node.variable
    if node.density != n.density_of(tau):
        raise Refusal(
            node,
            f"the law of a step is that of τ ∼ {show(n.density_of(tau))}, here τ ∼ "
            f"{show(node.density)}",
            condition="sampling_density",
        )
    found = _one_step(node.expr, tau)
    if found is None:
        return None
    _time_dependent_values(node.expr, ctx)
    step_state, step_action = found
    time = (step_state or step_action).time
    state = fresh_state(n.state_symbol(), node)
    changes: dict[Basic, Basic] = {}
    if step_state is not None:
        changes[step_state] = state
    body = node.expr
    if step_action is not None:
        action = fresh_action(n.action_symbol(), node)
        changes[step_action] = action
        inner = n.policy_at(action, state) * _replace_steps(body, changes)
        body = ActionSum(inner, action)
    else:
        body = _replace_steps(body, changes)
    probability = n.state_probability(n.s(time, tau), state)
    return [StateSum(probability * body, state)]


def _split_time(series: Basic) -> tuple[Basic, Basic, tuple] | None:
    """(the factors outside Σ_s, the Σ_s, how to rebuild the time sum) of Σ_t c_t Σ_s …."""
    if isinstance(series, InfiniteSum):
        body, rebuild = series.function, lambda f: InfiniteSum(f, *series.args[1:])
    elif isinstance(series, Sum) and len(series.limits) == 1:
        body, rebuild = series.function, lambda f: Sum(f, *series.limits)
    else:
        return None
    sums = [f for f in Mul.make_args(body) if isinstance(f, StateSum)]
    if len(sums) != 1:
        return None
    outside = Mul(*(f for f in Mul.make_args(body) if f is not sums[0]))
    return outside, sums[0], rebuild


@rule(
    "swap_sums", aliases=("interchange_sums", "exchange_sums", "sum_over_states_outside"),
    label="sums interchanged",
    phrases=(
        "swap the sums", "swap sums", "interchange the sums", "exchange the order of summation",
        "change the order of summation", "fubini",
    ),
    priority=900,
)
def swap_sums(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """Σ_{t=a}^{b} c_t Σ_s g_t(s) h(s) = Σ_s (Σ_{t=a}^{b} c_t g_t(s)) h(s), h free of t
    (finitely many states);  with b = ∞, only when the terms carry the discount γ^{t+c}
    (0 < γ < 1 and bounded terms assumed and stated: each series converges)."""
    parts = _split_time(node)
    if parts is None:
        return None
    outside, states, rebuild = parts
    index = node.index if isinstance(node, InfiniteSum) else node.limits[0][0]
    if isinstance(node, InfiniteSum):
        require_discounted(node, ctx.notation.gamma, "Σ_s")
        ctx.assume(INTERCHANGE_STATES % f"{show(index)}={show(node.lower)}")
    body, state = states.args
    if state in node.free_symbols:  # a free s outside: rename the bound one
        renamed = fresh_state(state, node)
        body, state = substitute(body, state, renamed), renamed
    factors = Mul.make_args(body)
    with_time = Mul(*(f for f in factors if index in f.free_symbols))
    rest = Mul(*(f for f in factors if index not in f.free_symbols))
    return [StateSum(rebuild(outside * with_time) * rest, state)]
