"""Rules for conditional expectations: the tower property and the Markov property.

    E_{τ∼p_θ}[f · X] = E_{τ∼p_θ}[f · E[X | G]]     f a function of the states and actions
                                                    in G only             (iterated_expectation)
    E[X | s_v, a_v, …, s_u, a_u] = E[X | s_u, a_u]  X a function of steps ≥ u only, s_u given,
                                                    every other given variable before step u
                                                                          (markov_property)

The first is the law of iterated expectations (E[f X] = E[E[f X | G]] = E[f E[X | G]], as f
is known given G), in either direction, also inside Σ_t with limits free of τ.  The second
holds because, given the state s_u (and the action a_u when it is given), the rest of the
trajectory is drawn by π_θ and the dynamics from s_u on, whatever came before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sympy import Basic, Function, Mul, Sum, Tuple

from pgproof.kernel.objects import ConditionalExpectation, Expectation, State

from ..names import fixed_order
from ..notation import ordered
from ..refusal import Refusal
from ..text import show
from .base import Context, rule
from .score import footprint, time_sum_layers

#: stands for a conditional expectation, as a function of what it is given
_GIVEN = Function("given")


def given_variables(expr: Basic, tau: Basic) -> set[Basic] | None:
    """The states and actions of τ that ``expr`` depends on; None if it depends on τ otherwise.

    A conditional expectation counts as a function of what it is given."""
    replaced = {  # a placeholder that is an expression (it may be raised to a power)
        ce: _GIVEN(*ce.given) for ce in expr.atoms(ConditionalExpectation) if ce.variable == tau
    }
    found = footprint(expr.xreplace(replaced), tau)
    return None if found.whole is not None else {*found.states, *found.actions}


def _sums_then(body: Basic, tau: Basic, rewrite: Callable[[Basic], list[Basic]]) -> list[Basic]:
    """``rewrite`` applied to the summand under Σ layers whose limits are free of τ."""
    summand, layers = time_sum_layers(body, tau)
    out = rewrite(summand)
    for layer in reversed(layers):
        out = [Sum(new, *layer.limits) for new in out]
    return out


def _candidate_givens(factors: list[Basic], ctx: Context, tau: Basic) -> list[tuple[Basic, ...]]:
    """What to condition on: what the claim's right side conditions on, if it does; else the
    variables of one factor."""
    out: list[tuple[Basic, ...]] = []
    if ctx.claim is not None:  # the side the rules rewrite towards
        for ce in fixed_order(ctx.claim.rhs.atoms(ConditionalExpectation)):
            if ce.variable == tau and ce.given not in out:
                out.append(ce.given)
    if out:
        return out
    for factor in factors:
        variables = given_variables(factor, tau)
        if variables:
            given = ordered(variables)
            if given not in out:
                out.append(given)
    return out


def _tower(node: Expectation, ctx: Context) -> list[Basic]:
    tau, density = node.variable, node.density

    def inward(body: Basic) -> list[Basic]:
        factors = list(Mul.make_args(body))
        out: list[Basic] = []
        for given in _candidate_givens(factors, ctx, tau):
            known = [f for f in factors if known_given(f, given, tau)]
            rest = [f for f in factors if f not in known]
            if not rest or not Mul(*rest).has(tau):
                continue
            partly = [f for f in rest if (given_variables(f, tau) or set()) & set(given)]
            if partly:  # a factor the author leaves outside, not known given G
                missed.append((rest, given))
                if not known:
                    continue
            if not known:  # E[X] = E[E[X | G]]
                out.append(ConditionalExpectation(Mul(*rest), tau, density, Tuple(*given)))
                continue
            inner = ConditionalExpectation(Mul(*rest), tau, density, Tuple(*given))
            out.append(Mul(*known) * inner)
        return out

    missed: list[tuple[list[Basic], tuple[Basic, ...]]] = []

    def outward(body: Basic) -> list[Basic]:
        factors = list(Mul.make_args(body))
        out: list[Basic] = []
        for ce in [f for f in factors if isinstance(f, ConditionalExpectation)]:
            if ce.variable != tau or ce.density != density:
                continue
            others = [f for f in factors if f != ce]
            if not known_given(Mul(*others), ce.given, tau):
                outside.append((Mul(*others), ce.given))
                continue
            out.append(Mul(*others) * ce.expr)
        return out

    outside: list[tuple[Basic, tuple[Basic, ...]]] = []

    out = _sums_then(node.expr, tau, outward) + _sums_then(node.expr, tau, inward)
    if not out and outside:
        other, given = outside[0]
        raise Refusal(
            node,
            f"{show(other)} is not a function of {_list(given)} alone: it cannot go inside "
            f"E[· | {_list(given)}]",
            condition="not_measurable",
        )
    if not out and missed:
        rest, given = missed[0]
        unknown = [f for f in rest if (given_variables(f, tau) or set()) & set(given)]
        raise Refusal(
            node,
            f"{', '.join(show(f) for f in unknown)} is not a function of {_list(given)} alone: "
            f"it cannot come out of E[· | {_list(given)}] (the tower property conditions on "
            "what the factor left outside depends on)",
            condition="not_measurable",
        )
    return out


def known_given(factor: Basic, given: tuple[Basic, ...], tau: Basic) -> bool:
    """Whether ``factor`` is a function of the conditioning variables ``given`` only."""
    variables = given_variables(factor, tau)
    return variables is not None and variables <= set(given)


def _list(given: tuple[Basic, ...]) -> str:
    return ", ".join(show(g) for g in given)


def _nested(node: ConditionalExpectation, ctx: Context) -> list[Basic]:
    """E[X | G] = E[E[X | G'] | G] for G ⊆ G' (G' from the claim), and back."""
    tau, density, given = node.variable, node.density, node.args[3]
    inner = node.expr
    if isinstance(inner, ConditionalExpectation) and inner.variable == tau:
        if inner.density == density and set(given.args) <= set(inner.given):
            return [ConditionalExpectation(inner.expr, tau, density, given)]
        return []
    out: list[Basic] = []
    claimed = ctx.claim.rhs.atoms(ConditionalExpectation) if ctx.claim is not None else ()
    for ce in fixed_order(claimed):
        wider = ce.given
        if ce.variable == tau and set(given.args) < set(wider):
            nested = ConditionalExpectation(inner, tau, density, Tuple(*wider))
            out.append(ConditionalExpectation(nested, tau, density, given))
    return out


@rule(
    "iterated_expectation", aliases=("tower_property", "law_of_iterated_expectations"),
    label="tower property",
    phrases=(
        "tower property", "tower rule", "law of iterated expectations", "law of total expectation",
        "iterated expectation",
    ),
    priority=140,
)
def iterated_expectation(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E_{τ∼p_θ}[f X] = E_{τ∼p_θ}[f E[X | G]], in either direction, when f is a function of
    the states and actions in G only (also under Σ_t with limits free of τ);
    E[X | G] = E[E[X | G'] | G] when G ⊆ G'."""
    if isinstance(node, ConditionalExpectation):
        return _nested(node, ctx) or None
    if not isinstance(node, Expectation) or node.density != ctx.notation.density_of(node.variable):
        return None
    return [Expectation(body, node.variable, node.density) for body in _tower(node, ctx)] or None


@rule(
    "markov_property", aliases=("markov", "markov_assumption"),
    label="Markov property",
    phrases=(
        "markov property", "markov assumption", "markov", "memoryless",
    ),
    priority=150,
)
def markov_property(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """E[X | …, s_u, a_u] = E[X | s_u, a_u] (or E[X | s_u]) when X depends on steps ≥ u only,
    s_u is given, and every other given variable is of a step before u."""
    if not isinstance(node, ConditionalExpectation) or len(node.given) < 2:
        return None
    tau = node.variable
    if node.density != ctx.notation.density_of(tau):
        raise Refusal(
            node,
            f"the Markov property is a property of the trajectory process {show(node.density)}",
            condition="sampling_density",
        )
    latest = [g for g in node.given if all((g.time - h.time).is_nonnegative for h in node.given)]
    if not latest:
        raise Refusal(
            node,
            f"the steps of {_list(node.given)} are not provably ordered: which is the latest?",
            condition="unordered_steps",
        )
    time = latest[0].time
    kept = tuple(g for g in node.given if (g.time - time).expand() == 0)
    if len(kept) == len(node.given):
        return None
    if not any(isinstance(g, State) for g in kept):
        raise Refusal(
            node,
            f"the latest given step {show(time)} has no state: the Markov property needs the "
            f"state s_{show(time)} to forget what came before",
            condition="no_current_state",
        )
    states, actions, whole, _ = found = footprint(node.expr, tau)
    if whole is not None:
        raise Refusal(
            node.expr,
            f"{show(node.expr)} depends on the whole trajectory through {show(whole)}: the "
            "Markov property forgets the past only for functions of the future",
            condition="depends_on_earlier_steps",
        )
    for atom in sorted([*states, *actions], key=str):
        earliest = found.earliest(atom.time)
        if earliest is None or not (earliest - time).is_nonnegative:
            raise Refusal(
                node.expr,
                f"{show(node.expr)} depends on {show(atom)}, a step before {show(time)}: "
                "conditioning on the past is not forgotten for it",
                condition="depends_on_earlier_steps",
            )
    return [ConditionalExpectation(node.expr, tau, node.density, Tuple(*kept))]

