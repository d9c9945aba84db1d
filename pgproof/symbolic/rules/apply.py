"""Applying a rule to an expression: at one position, or everywhere.

A step cites rules; the checker does not know where the author applied them,
so for each rule it collects the candidates the rule can produce:

* at each single position where it applies (each alternative), and
* everywhere at once, top-down, repeated to a fixed point (first alternative),
  the way ``sympy.strategies.exhaust(top_down(do_one(rule)))`` would.

Traversal (:mod:`pgproof.symbolic.traversal`) visits only the *mathematical body*
of binders: the integrand of ∫ … dτ, the argument of E[…] (not the density named in
its subscript), the summand of Σ (not its limits), the argument of ∇ (not θ).
"""

from __future__ import annotations

from sympy import Basic

from pgproof.budget import charge

from ..refusal import Refusal
from ..traversal import Children, linear_children, positions, replace_at, rewritable_children
from .base import Context, Rule

MAX_CANDIDATES = 4000
MAX_PASSES = 25


class Attempt:
    """What one rule did to one expression: candidates and refusals."""

    def __init__(self) -> None:
        self.candidates: list[Basic] = []
        self.refusals: list[Refusal] = []

    def add(self, candidate: Basic) -> None:
        charge(1 + len(self.candidates))  # compared with each candidate so far
        if candidate not in self.candidates and len(self.candidates) < MAX_CANDIDATES:
            self.candidates.append(candidate)


def _everywhere_once(
    expr: Basic, rule: Rule, ctx: Context, refusals: list[Refusal], children: Children
) -> Basic:
    try:
        alternatives = rule.rewrites(expr, ctx)
    except Refusal as refusal:
        refusals.append(refusal)
        alternatives = []
    if alternatives:
        return alternatives[0]
    idx = children(expr)
    if not idx:
        return expr
    args = list(expr.args)
    changed = False
    for i in idx:
        new = _everywhere_once(args[i], rule, ctx, refusals, children)
        if new != args[i]:
            args[i] = new
            changed = True
    return expr.func(*args) if changed else expr


def apply_rule(expr: Basic, rule: Rule, ctx: Context, *, estimate: bool = False) -> Attempt:
    """All candidates ``rule`` produces from ``expr`` (see module docstring).

    An estimate (``estimate``, or ``rule.estimate``) is applied only at positions where
    the expression is linear in the node (:func:`..traversal.linear_children`).
    """
    attempt = Attempt()
    children = linear_children if (estimate or rule.estimate) else rewritable_children
    spots = [((), expr)] if rule.root_only else list(positions(expr, children))
    for path, node in spots:
        charge()
        try:
            alternatives = rule.rewrites(node, ctx)
        except Refusal as refusal:
            attempt.refusals.append(refusal)
            continue
        for alternative in alternatives:
            attempt.add(replace_at(expr, path, alternative))
    if rule.everywhere and not rule.root_only:
        current = expr
        for _ in range(MAX_PASSES):
            new = _everywhere_once(current, rule, ctx, attempt.refusals, children)
            if new == current:
                break
            current = new
        if current != expr:
            attempt.add(current)
    return attempt
