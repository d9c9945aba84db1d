"""Which form of a derived rule a step uses, read off the subterms the rule rewrites.

    action          E_{a'∼π_θ(·|s)}[∇_θ log π_θ(a'|s) b]             b free of a'
    trajectory      E_{τ∼p_θ}[∇_θ log p_θ(τ) b]                       b free of τ
    per_step        E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t) b]                 b a function of s_t
    per_step_sum    E_{τ∼p_θ}[Σ_t ∇_θ log π_θ(a_t|s_t) b]             (limits free of τ) or θ-free
    per_step_history  the same with b depending on other steps (a_{t−1}, s_{t−1}, …)
    other           anything else the rule rewrites

(b = 1 for score_has_zero_mean.)  A derivation of a form proves it for a general b of that
kind, so a step whose redexes are all of derived forms rests on those derivations only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sympy import Basic, preorder_traversal

from ..kernel.objects import Expectation
from ..kernel.state_objects import ActionExpectation
from ..symbolic.refusal import Refusal
from ..symbolic.rules import Context
from ..symbolic.rules.score import _split_score, footprint, time_sum_layers

if TYPE_CHECKING:
    from ..symbolic.notation import Notation
    from ..symbolic.report import StepReport
    from ..symbolic.rules import Rule


def form_of(node: Basic, ctx: Context) -> str:
    """The form (see the module docstring) of a redex of score_has_zero_mean or baseline."""
    if isinstance(node, ActionExpectation):
        return "action"
    if not isinstance(node, Expectation):
        return "other"
    tau = node.variable
    inner, layers = time_sum_layers(node.expr, tau)
    split = _split_score(inner, ctx, tau)
    if split is None:
        return "other"
    when, rest = split
    if when == tau:
        return "trajectory" if not layers and tau not in rest.free_symbols else "other"
    if len(layers) > 1:
        return "other"
    found = footprint(rest, tau)
    if (
        found.whole is not None
        or found.actions
        or any((state.time - when).expand() != 0 for state in found.states)
    ):
        return "per_step_history"
    return "per_step_sum" if layers else "per_step"


def step_forms(step: StepReport, rule: Rule, notation: Notation) -> tuple[str, ...]:
    """The forms of the subterms ``rule`` rewrites in the sides the step changes (a side
    equal before and after, as the left side of a chained step, is not looked at), in a
    fixed order: preorder, left side first."""
    ctx = Context(notation, claim=step.claim)
    sides = []
    if step.source.lhs != step.claim.lhs:
        sides += [step.source.lhs, step.claim.lhs]
    if step.source.rhs != step.claim.rhs:
        sides += [step.source.rhs, step.claim.rhs]
    found: list[str] = []
    for side in sides:
        for node in preorder_traversal(side):
            try:
                rewrites = rule.rewrites(node, ctx)
            except Refusal:
                continue
            if rewrites and (form := form_of(node, ctx)) not in found:
                found.append(form)
    return tuple(found)
