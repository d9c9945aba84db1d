"""Mutations of a claimed expression, for the soundness audit.

Each operator rewrites one node of the claim's right side (every position is tried):

    index range      Σ/∏_{t=a}^{b} → a±1 or b±1
    drop factor      f·g·h → f·h
    duplicate factor f·g → f·g·g
    flip sign        x → −x
    swap s_t/s_{t+1} p(s_{t+1}|s_t,a_t) → p(s_t|s_{t+1},a_t);  s_t → s_{t+1}, s_{t+1} → s_t
    policy→dynamics  π_θ(a_t|s_t) → p(s_{t+1}|s_t,a_t)
    remove p(s_1)    p(s_first) → 1
    move ∇           (∇f)·g → ∇(f·g)   and   ∇(f·g) → (∇f)·g

A mutant equal to the original is skipped.  Mutants are mathematically arbitrary: most
are false, some happen to be true (flipping the sign of a zero term), some have no
numeric meaning (a state outside the trajectory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sympy import Basic, Integer, Mul, Product, Sum

from pgproof.symbolic.notation import Notation
from pgproof.symbolic.objects import (
    Action,
    Dynamics,
    Grad,
    InitialDistribution,
    Policy,
    State,
)
from pgproof.symbolic.traversal import Path, mutable_children, positions, replace_at

Operator = Callable[[Basic, Notation], list[Basic]]


def index_range(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, (Sum, Product)):
        return []
    out = []
    for k, (index, low, high) in enumerate(node.limits):
        for new in ((low + 1, high), (low - 1, high), (low, high - 1), (low, high + 1)):
            limits = list(node.limits)
            limits[k] = (index, *new)
            out.append(node.func(node.function, *limits))
    return out


def drop_factor(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Mul):
        return []
    return [Mul(*(a for j, a in enumerate(node.args) if j != k)) for k in range(len(node.args))]


def duplicate_factor(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Mul):
        return []
    return [node * a for a in node.args]


def flip_sign(node: Basic, notation: Notation) -> list[Basic]:
    if isinstance(node, (State, Action)) or node.is_Atom:
        return []
    return [-node]


def swap_states(node: Basic, notation: Notation) -> list[Basic]:
    if isinstance(node, Dynamics):
        name, nxt, state, action = node.args
        return [Dynamics(name, state, nxt, action)]
    if isinstance(node, State):
        name, traj, time = node.args
        return [State(name, traj, time + 1), State(name, traj, time - 1)]
    return []


def policy_to_dynamics(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Policy):
        return []
    action, state = node.args[1], node.args[2]
    if not isinstance(state, State):
        return []
    name, traj, time = state.args
    return [Dynamics(notation.dynamics, State(name, traj, time + 1), state, action)]


def remove_initial(node: Basic, notation: Notation) -> list[Basic]:
    return [Integer(1)] if isinstance(node, InitialDistribution) else []


def move_gradient(node: Basic, notation: Notation) -> list[Basic]:
    out: list[Basic] = []
    if isinstance(node, Mul):
        for k, factor in enumerate(node.args):
            if isinstance(factor, Grad):
                rest = [a for j, a in enumerate(node.args) if j != k]
                out.append(Grad(factor.expr * Mul(*rest), factor.variable))
    if isinstance(node, Grad) and isinstance(node.expr, Mul):
        for k, factor in enumerate(node.expr.args):
            rest = [a for j, a in enumerate(node.expr.args) if j != k]
            out.append(Grad(factor, node.variable) * Mul(*rest))
    return out


OPERATORS: dict[str, Operator] = {
    "index range": index_range,
    "drop factor": drop_factor,
    "duplicate factor": duplicate_factor,
    "flip sign": flip_sign,
    "swap s_t/s_t+1": swap_states,
    "policy→dynamics": policy_to_dynamics,
    "remove p(s_1)": remove_initial,
    "move ∇": move_gradient,
}


@dataclass(frozen=True)
class Mutant:
    kind: str
    path: Path
    original: Basic
    expr: Basic


def mutants(expr: Basic, notation: Notation) -> list[Mutant]:
    """Every single-node mutant of ``expr`` (distinct, different from ``expr``)."""
    out: list[Mutant] = []
    seen = {expr}
    for path, node in positions(expr, mutable_children):
        for kind, operator in OPERATORS.items():
            for new in operator(node, notation):
                try:
                    mutated = replace_at(expr, path, new)
                except (TypeError, ValueError):
                    continue
                if mutated not in seen:
                    seen.add(mutated)
                    out.append(Mutant(kind, path, expr, mutated))
    return out
