"""Definitions of the notation, and substitution of an earlier step.

p_θ(τ) = p(s_first) ∏_t π_θ(a_t|s_t) p(s_{t+1}|s_t,a_t)   (finite horizon)
R(τ)   = Σ_t γ^{t−first} r(s_t, a_t)                    (γ with a discount; t up to ∞ or not)
J(θ)   = E_{τ∼p_θ}[R(τ)]
π_θ(a|s) = its policy class's formula, N(x; μ, v) = its density (see ..policy_classes)
a = b (an earlier step)  ⇒  … a … = … b …
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Add, Basic, Sum

from pgproof.kernel.objects import (
    ConditionalExpectation,
    DeclaredFunction,
    Objective,
    Return,
    SampledTrajectory,
    TrajectoryDensity,
)
from pgproof.kernel.state_objects import StateSymbol
from pgproof.kernel.visitation import StateProbability

from ..canonical import StepRange, canonical
from ..names import fixed_order
from ..policy_classes import fold_normal, fold_policy, normal_density, unfold_policy
from ..refusal import Refusal
from ..series import InfiniteSum
from ..text import show
from .base import Context, rule


def unfold(node: Basic, ctx: Context) -> Basic | None:
    """The definition of ``node`` in this notation, if it is a defined object."""
    n = ctx.notation
    if isinstance(node, TrajectoryDensity) and node == n.density_of(node.trajectory):
        if n.infinite_horizon:  # no product form: see the definition rule
            return None
        return n.trajectory_density(node.trajectory)
    if isinstance(node, Return) and node == n.R(node.trajectory):
        return n.return_expansion(node.trajectory)
    if isinstance(node, Objective) and node == n.J():
        return n.objective_definition()
    if isinstance(node, DeclaredFunction):
        defined = n.value_definition(node)
        if defined is not None:
            return defined
    return unfold_policy(node, n) or normal_density(node)


def fold(node: Basic, ctx: Context) -> Basic | None:
    """The defined object whose definition ``node`` is, if any."""
    n = ctx.notation
    candidates = [n.J(), n.density_of(), n.R()]
    for traj in fixed_order(node.atoms(SampledTrajectory)):
        candidates += [n.density_of(traj), n.R(traj)]
    candidates += _value_functions_of(node, n)
    unfolded = []
    for obj in candidates:
        definition = unfold(obj, ctx)
        if definition == node:
            return obj
        unfolded.append((obj, definition))
    if not isinstance(node, (ConditionalExpectation, Sum)):  # no bound index to rename
        return fold_policy(node, n) or fold_normal(node, n)
    here = _canonical_or_none(node, ctx.steps)
    for obj, there in unfolded:  # up to the names of bound indices (Σ_{t''} for Σ_{t'})
        if here is not None and there is not None and _canonical_or_none(there, ctx.steps) == here:
            return obj
    return fold_policy(node, n) or fold_normal(node, n)


def _canonical_or_none(expr: Basic, steps: StepRange | None) -> Basic | None:
    try:
        return canonical(expr, steps)
    except Refusal:
        return None


def _value_functions_of(node: Basic, n) -> list[Basic]:
    """V^π, Q^π, A^π at the states and actions a conditional expectation is given."""
    out: list[Basic] = []
    if isinstance(node, ConditionalExpectation) and node.given:
        for name in (n.state_value, n.action_value):
            if name and len(node.given) == len(n.declared_functions()[name][0]):
                out.append(n.function(name, *node.given))
    elif n.visitation and isinstance(node, (Sum, InfiniteSum)):  # d^π(s) = Σ_t γ^t Pr(s_t = s)
        for probability in fixed_order(node.atoms(StateProbability)):
            if isinstance(probability.state, StateSymbol):
                out.append(n.function(n.visitation, probability.state))
    elif isinstance(node, Add) and n.advantage and len(node.args) == 2:
        for arg in node.args:
            if isinstance(arg, DeclaredFunction) and len(arg.arguments) == 2:
                out.append(n.function(n.advantage, *arg.arguments))
    return out


@rule(
    "definition",
    aliases=("by_definition", "unfold", "fold", "notation"),
    everywhere=False,  # unfolding and folding are both offered: one position at a time
    label="definition",
    phrases=(
        "definition", "by definition", "def", "defn", "definition of the objective",
        "definition of the return", "trajectory probability", "probability of a trajectory",
        "chain rule of probability", "unfold", "fold", "notation",
    ),
    priority=10,
)
def definition(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """p_θ(τ), R(τ), J(θ), and V^π, Q^π, A^π when the notation names them ↔ their
    definitions in the author's notation (R(τ) = Σ_t γ^{t−first} r(s_t,a_t) with a discount
    γ, up to ∞ with an infinite horizon; V^π(s_t) = E[Σ_{t'=t}^{T} γ^{t'−t} r_{t'} | s_t],
    Q^π(s_t, a_t) = E[Σ_{t'=t}^{T} γ^{t'−t} r_{t'} | s_t, a_t], A^π = Q^π − V^π, the
    visitation d^π(s) = Σ_{t=first}^{T} γ^{t−first} Pr(s_t = s));  π_θ(a|s)
    ↔ its policy class's formula (linear_softmax: exp(θ^⊤φ(s,a)) / Σ_{a'} exp(θ^⊤φ(s,a'));
    gaussian: N(a; μ_θ(s), σ²));  N(x; μ, v) ↔ exp(−(x − μ)²/(2v)) / √(2π v)."""
    n = ctx.notation
    if n.infinite_horizon and isinstance(node, TrajectoryDensity) and node == n.density_of(
        node.trajectory
    ):
        raise Refusal(
            node,
            f"{show(node)} of an infinite trajectory has no definition as a product of its "
            "steps: that product is 0 for every trajectory (with horizon ∞ the density is "
            "only the law E_{τ∼p_θ} is taken under)",
            condition="infinite_horizon",
        )
    out = [x for x in (unfold(node, ctx), fold(node, ctx)) if x is not None]
    return out or None


@rule(
    "substitute", aliases=("substitution", "use", "replace"), by_reference=True,
    label="substitution",
    phrases=(
        "substitute", "substitution", "substituting", "plug in", "plugging in", "replace",
        "replacing", "insert", "using the previous result",
    ),
    priority=120,
)
def substitute(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """… a … = … b …   given an earlier step a = b (either direction)."""
    ref = ctx.reference
    if ref is None:
        return None
    sides = ctx.memo.get(("substitute", ref))
    if sides is None:  # once per step, not once per position
        sides = (canonical(ref.lhs, ctx.steps), canonical(ref.rhs, ctx.steps))
        ctx.memo[("substitute", ref)] = sides
    here = canonical(node, ctx.steps)
    out = []
    if here == sides[0]:
        out.append(ref.rhs)
    if here == sides[1]:
        out.append(ref.lhs)
    return out or None
