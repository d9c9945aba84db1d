"""The score rules over the actions of one state: normalisation, zero mean, baselines.

    Σ_{a'} π_θ(a'|s) = 1,   E_{a'∼π_θ(·|s)}[1] = 1                       (normalization)
    E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s)] = 0                               (score_has_zero_mean)
    E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s) b] = 0   b free of the action a'  (baseline)

Why: E_{a'}[∇_θ log π_θ(a'|s) b] = b Σ_{a'} ∇_θ π_θ(a'|s) = b ∇_θ Σ_{a'} π_θ(a'|s) = b ∇_θ 1 = 0
(an integral over a Gaussian policy's real actions, ∇ and ∫ interchanged by dominated
convergence, stated).  The rules of :mod:`.score` call these for expectations over actions.
"""

from __future__ import annotations

from sympy import Basic, Mul, S, log

from pgproof.kernel.objects import Grad, Policy
from pgproof.kernel.state_objects import ActionExpectation, ActionSum

from ..policy_classes import FINITE_ACTIONS
from ..refusal import Refusal
from ..text import show
from .base import Context

INTERCHANGE = (
    "∇_θ and Σ_a (or ∫ da) may be interchanged in Σ_a ∇_θ π_θ(a|s) = ∇_θ Σ_a π_θ(a|s): "
    "π_θ is differentiable in θ (finitely many actions, or dominated convergence)"
)


def policy_of(node: ActionExpectation | ActionSum, ctx: Context, density: Basic) -> bool:
    """``density`` is the notation's π_θ(a'|s) at the bound action a' (of a state free of a')."""
    action = node.variable
    if not isinstance(density, Policy):
        return False
    state = density.args[2]
    return density == ctx.notation.policy_at(action, state) and action not in state.free_symbols


def normalization_over_actions(node: Basic, ctx: Context) -> list[Basic] | None:
    """Σ_{a'} π_θ(a'|s) = 1 (finitely many actions) and E_{a'∼π_θ(·|s)}[1] = 1."""
    if isinstance(node, ActionSum) and policy_of(node, ctx, node.expr):
        if ctx.notation.policy_class not in FINITE_ACTIONS:
            return None
        return [S.One]
    if isinstance(node, ActionExpectation) and node.expr == S.One:
        return [S.One] if policy_of(node, ctx, node.density) else None
    return None


def zero_mean_over_actions(node: Basic, ctx: Context, rule_name: str) -> list[Basic] | None:
    """0 for E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s) · b] with b as ``rule_name`` allows; None
    when ``node`` is not of that form."""
    if not isinstance(node, ActionExpectation) or not policy_of(node, ctx, node.density):
        return None
    score = Grad(log(node.density), ctx.theta)
    factors = list(Mul.make_args(node.expr))
    if score not in factors:
        return None
    factors.remove(score)
    rest = Mul(*factors)
    action = node.variable
    if rule_name == "score_has_zero_mean" and rest != S.One:
        raise Refusal(
            node,
            f"the score is multiplied by {show(rest)}: E[∇_θ log π · f] is not 0 in general "
            "(for a factor free of the action, use the rule baseline)",
            condition="not_score_alone",
        )
    if action in rest.free_symbols:
        raise Refusal(
            rest,
            f"the baseline {show(rest)} depends on the action {show(action)} the score is "
            f"about: E_{{{show(action)}}}[∇_θ log π_θ({show(action)}|s) · b] = 0 needs b free "
            f"of {show(action)}",
            condition="depends_on_action",
        )
    ctx.assume(INTERCHANGE)
    return [S.Zero]
