"""Applying a rule to an expression: at one position, or everywhere.

A step cites rules; the checker does not know where the author applied them,
so for each rule it collects the candidates the rule can produce:

* at each single position where it applies (each alternative), and
* everywhere at once, top-down, repeated to a fixed point (first alternative),
  the way ``sympy.strategies.exhaust(top_down(do_one(rule)))`` would.

Traversal visits only the *mathematical body* of binders: the integrand of
∫ … dτ, the argument of E[…] (not the density named in its subscript), the
summand of Σ (not its limits), the argument of ∇ (not θ).
"""

from __future__ import annotations

from collections.abc import Iterator

from sympy import Basic, Product, Sum

from ..objects import (
    Dynamics,
    Expectation,
    Grad,
    InitialDistribution,
    Objective,
    Policy,
    Return,
    Reward,
    SampledTrajectory,
    SampleMean,
    TrajectoryAggregate,
    TrajectoryDensity,
    _TrajectoryVariable,
)
from ..refusal import Refusal
from .base import Context, Rule

Path = tuple[int, ...]

_BODY_ONLY = (Expectation, TrajectoryAggregate, Grad, SampleMean, Sum, Product)
_LEAVES = (
    _TrajectoryVariable,
    SampledTrajectory,
    Policy,
    Dynamics,
    InitialDistribution,
    Reward,
    Return,
    TrajectoryDensity,
    Objective,
)
MAX_CANDIDATES = 4000
MAX_PASSES = 25


def body_indices(node: Basic) -> tuple[int, ...]:
    """Indices of the arguments of ``node`` that rules may rewrite."""
    if isinstance(node, _BODY_ONLY):
        return (0,)
    if isinstance(node, _LEAVES) or node.is_Atom:
        return ()  # distributions, rewards, returns, objective: leaves for rewriting
    return tuple(range(len(node.args)))


def positions(expr: Basic, path: Path = ()) -> Iterator[tuple[Path, Basic]]:
    """Pre-order (path, node) pairs over the rewritable nodes."""
    yield path, expr
    for i in body_indices(expr):
        yield from positions(expr.args[i], (*path, i))


def replace_at(expr: Basic, path: Path, new: Basic) -> Basic:
    if not path:
        return new
    i, rest = path[0], path[1:]
    args = list(expr.args)
    args[i] = replace_at(args[i], rest, new)
    return expr.func(*args)


class Attempt:
    """What one rule did to one expression: candidates and refusals."""

    def __init__(self) -> None:
        self.candidates: list[Basic] = []
        self.refusals: list[Refusal] = []

    def add(self, candidate: Basic) -> None:
        if candidate not in self.candidates and len(self.candidates) < MAX_CANDIDATES:
            self.candidates.append(candidate)


def _everywhere_once(expr: Basic, rule: Rule, ctx: Context, refusals: list[Refusal]) -> Basic:
    try:
        alternatives = rule.rewrites(expr, ctx)
    except Refusal as refusal:
        refusals.append(refusal)
        alternatives = []
    if alternatives:
        return alternatives[0]
    idx = body_indices(expr)
    if not idx:
        return expr
    args = list(expr.args)
    changed = False
    for i in idx:
        new = _everywhere_once(args[i], rule, ctx, refusals)
        if new != args[i]:
            args[i] = new
            changed = True
    return expr.func(*args) if changed else expr


def apply_rule(expr: Basic, rule: Rule, ctx: Context) -> Attempt:
    """All candidates ``rule`` produces from ``expr`` (see module docstring)."""
    attempt = Attempt()
    spots = [((), expr)] if rule.root_only else list(positions(expr))
    for path, node in spots:
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
            new = _everywhere_once(current, rule, ctx, attempt.refusals)
            if new == current:
                break
            current = new
        if current != expr:
            attempt.add(current)
    return attempt
