"""Definitions of the notation, and substitution of an earlier step.

p_θ(τ) = p(s_first) ∏_t π_θ(a_t|s_t) p(s_{t+1}|s_t,a_t)
R(τ)   = Σ_t r(s_t, a_t)
J(θ)   = E_{τ∼p_θ}[R(τ)]
π_θ(a|s) = its policy class's formula, N(x; μ, v) = its density (see ..policy_classes)
a = b (an earlier step)  ⇒  … a … = … b …
"""

from __future__ import annotations

from collections.abc import Iterable

from sympy import Basic

from ..canonical import canonical
from ..objects import Objective, Return, SampledTrajectory, TrajectoryDensity
from ..policy_classes import fold_normal, fold_policy, normal_density, unfold_policy
from .base import Context, rule


def unfold(node: Basic, ctx: Context) -> Basic | None:
    """The definition of ``node`` in this notation, if it is a defined object."""
    n = ctx.notation
    if isinstance(node, TrajectoryDensity) and node == n.density_of(node.trajectory):
        return n.trajectory_density(node.trajectory)
    if isinstance(node, Return) and node == n.R(node.trajectory):
        return n.return_expansion(node.trajectory)
    if isinstance(node, Objective) and node == n.J():
        return n.objective_definition()
    return unfold_policy(node, n) or normal_density(node)


def fold(node: Basic, ctx: Context) -> Basic | None:
    """The defined object whose definition ``node`` is, if any."""
    n = ctx.notation
    candidates = [n.J(), n.density_of(), n.R()]
    for traj in node.atoms(SampledTrajectory):
        candidates += [n.density_of(traj), n.R(traj)]
    for obj in candidates:
        if unfold(obj, ctx) == node:
            return obj
    return fold_policy(node, n) or fold_normal(node, n)


@rule(
    "definition",
    aliases=("by_definition", "unfold", "fold", "notation"),
    everywhere=False,  # unfolding and folding are both offered: one position at a time
)
def definition(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """p_θ(τ), R(τ), J(θ) ↔ their definitions in the author's notation;  π_θ(a|s) ↔ its policy
    class's formula (linear_softmax: exp(θ^⊤φ(s,a)) / Σ_{a'} exp(θ^⊤φ(s,a')); gaussian:
    N(a; μ_θ(s), σ²));  N(x; μ, v) ↔ exp(−(x − μ)²/(2v)) / √(2π v)."""
    out = [x for x in (unfold(node, ctx), fold(node, ctx)) if x is not None]
    return out or None


@rule("substitute", aliases=("substitution", "use", "replace"), by_reference=True)
def substitute(node: Basic, ctx: Context) -> Iterable[Basic] | None:
    """… a … = … b …   given an earlier step a = b (either direction)."""
    ref = ctx.reference
    if ref is None:
        return None
    here = canonical(node)
    out = []
    if here == canonical(ref.lhs):
        out.append(ref.rhs)
    if here == canonical(ref.rhs):
        out.append(ref.lhs)
    return out or None
