"""Infinite-horizon instances: the first K steps of every trajectory, and where a series stops.

An infinite trajectory cannot be enumerated; its first K steps can, with their exact
probabilities (the law of the prefix is the prefix of the law).  So an infinite-horizon
instance is a random stationary MDP with every prefix of K steps enumerated, of one of two
kinds (callers alternate them, as they alternate generic draws):

* generic (S, A = 2, K as large as :data:`TRAJECTORIES` allows, at most :data:`MAX_STEPS`):
  γ uniform in (0, :data:`DISCOUNT_MAX`), so that K steps leave tails far below the
  tolerance (≈ 1e-9 for the terms of a gradient, O(t γ^t));
* wide: γ uniform in (0, :data:`WIDE_DISCOUNT_MAX`), drawn first, then K the least number
  of steps whose certified tail is below :data:`TAIL_TARGET`,

      (K + 2)² γ^{K+1} / (1 − γ)² ≤ TAIL_TARGET     (the tail of Σ_t (t+1) γ^t, r_max ≤ 1),

  and the richest shape (S, A) ∈ (2, 2), (1, 2), (2, 1), (1, 1) whose S^{K+1} A^K
  prefixes fit the budget.  An error that carries γ^k (k ≥ 5) is then of the order of
  γ^k ≫ the tolerance on most draws, while the tails stay certified below it.

On either

* E_{τ∼p_θ}[f] is exact for every f of the first K steps;
* J(θ) is exact: ρ · (I − γ P_π)^{-1} r_π (:func:`pgproof.numeric.value_functions.
  infinite_horizon_values`), and ∇J exactly (the solve on jets, :mod:`.value_jets`);
* R(τ) and Σ_{t=a}^{∞} f_t are summed over the terms that lie in the first K steps
  (:func:`last_term`); what is left out is bounded by :mod:`.tails`, and the comparison
  counts that bound against the tolerance (:mod:`.compare`): "equal" needs the difference
  plus both tails within the tolerance, "different" the difference minus them above it.

A term whose tail bound is larger than that (a series under ∇ of a product, say) leaves the
comparison undecided on that instance: never counted as agreement (:mod:`.compare`).  A free
time index t runs over the first :data:`MAX_TIMES` steps only (every t is a valid point).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from sympy import Basic, Sum

from pgproof.kernel.objects import Action, State
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import show

from .instance import (
    Instance,
    draw_discount,
    draw_instance,
    draw_parameters,
    enumerate_instance,
)
from .values import NotEvaluable, integer_values

#: largest enumeration of prefixes (a trajectory axis of this many entries)
TRAJECTORIES = 2**15
#: at most this many steps are enumerated
MAX_STEPS = 12
#: γ of a generic instance is drawn uniformly in (0, DISCOUNT_MAX)
DISCOUNT_MAX = 0.05
#: γ of a wide instance is drawn uniformly in (0, WIDE_DISCOUNT_MAX)
WIDE_DISCOUNT_MAX = 0.9
#: a wide instance enumerates enough steps for tails of (t+1) γ^t terms below this
TAIL_TARGET = 1e-9
#: the shapes (S, A) a wide instance tries, richest first
WIDE_SHAPES = ((2, 2), (1, 2), (2, 1), (1, 1))
#: the values a free time index takes on an infinite-horizon instance: first..first+MAX_TIMES−1
MAX_TIMES = 16
#: below this budget (two sample axes τ^(1), τ^(2)), the caller's budget is kept
SMALL_BUDGET = 3_000


def steps_within(n_states: int, n_actions: int, budget: int) -> int:
    """The most steps K ≤ MAX_STEPS with S^{K+1} A^K prefixes within ``budget`` (at least 1)."""
    steps = 1
    while steps < MAX_STEPS and n_states ** (steps + 2) * n_actions ** (steps + 1) <= budget:
        steps += 1
    return steps


def draw_infinite_instance(
    rng: np.random.Generator,
    first: int,
    max_trajectories: int,
    label: str = "",
    generic: bool = False,
    constants: tuple[str, ...] = (),
    functions: tuple[tuple[str, int], ...] = (),
    discount: str = "",
) -> Instance:
    """A random infinite-horizon problem (see the module docstring): ``generic``: S = A = 2,
    the first K steps of every trajectory enumerated, then θ ~ N(0, 1), constants and tables
    as :func:`.instance.draw_instance` draws them, and γ uniform in (0, DISCOUNT_MAX), drawn
    last; otherwise γ uniform in (0, WIDE_DISCOUNT_MAX) drawn first, K and the shape fitted
    to it (:func:`wide_shape`), then the rest (γ is the MDP's discount and the value of the
    notation's ``discount``)."""
    budget = TRAJECTORIES if max_trajectories >= SMALL_BUDGET else max_trajectories
    if generic:
        n_states, n_actions = int(rng.integers(2, 3)), int(rng.integers(2, 3))  # 2 and 2
        steps = steps_within(n_states, n_actions, budget)
        gamma = None
    else:
        gamma = draw_discount(rng, WIDE_DISCOUNT_MAX)
        n_states, n_actions, steps = wide_shape(gamma, budget)
    mdp, theta, values, tables = draw_parameters(
        rng, n_states, n_actions, steps, constants, functions
    )
    if gamma is None:
        gamma = draw_discount(rng, DISCOUNT_MAX)
    mdp = replace(mdp, discount=gamma)
    if discount:
        values[discount] = mdp.discount
    instance = enumerate_instance(mdp, theta, first, label, values, tables)
    return replace(instance, infinite=True)


def certified_steps(gamma: float) -> int:
    """The least K with (K + 2)² γ^{K+1} / (1 − γ)² ≤ TAIL_TARGET."""
    steps = 1
    while (steps + 2) ** 2 * gamma ** (steps + 1) / (1.0 - gamma) ** 2 > TAIL_TARGET:
        steps += 1
    return steps


def wide_shape(gamma: float, budget: int) -> tuple[int, int, int]:
    """(S, A, K): K = :func:`certified_steps` of γ, the first shape of WIDE_SHAPES whose
    S^{K+1} A^K prefixes fit ``budget`` (S = A = 1, one trajectory, always does)."""
    steps = certified_steps(gamma)
    for n_states, n_actions in WIDE_SHAPES:
        if n_states ** (steps + 1) * n_actions**steps <= budget:
            return n_states, n_actions, steps
    raise AssertionError("unreachable: one state and one action always fit")  # pragma: no cover


def _times(expr: Basic, ranges: dict[Basic, tuple[Basic, Basic]]) -> list[tuple[Basic, Basic]]:
    """(atom, its time with every enclosing finite index at the end of its range that makes
    the time largest) for the states and actions of ``expr`` outside nested series."""
    if isinstance(expr, (State, Action)):
        time = expr.time
        for _ in range(len(ranges) + 1):  # a limit may mention an outer index
            symbols = [k for k in time.free_symbols if k in ranges]
            if not symbols:
                break
            for k in symbols:
                low, high = ranges[k]
                slope = time.diff(k)
                time = time.subs(k, high if slope.is_nonnegative else low)
        return [(expr, time)]
    if isinstance(expr, InfiniteSum):  # truncated where its own terms end
        return []
    inner = dict(ranges)
    if isinstance(expr, Sum):
        for index, low, high in expr.limits:
            inner[index] = (low, high)
    out: list[tuple[Basic, Basic]] = []
    for arg in expr.args:
        out += _times(arg, inner)
    return out


def last_term(series: InfiniteSum, instance: Instance, env: Mapping[str, int]) -> int:
    """The last t whose term of Σ_{t=a}^{∞} f_t lies in the enumerated steps: every action
    a_{t+d} of f_t at most first + K − 1, every state s_{t+d} at most first + K."""
    index = series.index
    last_action = instance.first + instance.steps - 1
    values = integer_values(series, env)
    last = series_lower(series, env) + instance.steps - 1
    for atom, time in _times(series.function, {}):
        if index not in time.free_symbols:  # a fixed step (s_0): the same in every term
            continue
        shift = (time.xreplace(values) - index).expand()
        if not shift.is_Integer:
            raise NotEvaluable(
                f"{show(series)}: the time of {show(atom)} is not t plus a number, so where "
                "its terms leave the enumerated steps is not known"
            )
        bound = last_action if isinstance(atom, Action) else last_action + 1
        last = min(last, bound - int(shift))
    return last


def series_lower(series: InfiniteSum, env: Mapping[str, int]) -> int:
    values = integer_values(series.lower, env)
    lower = series.lower.xreplace(values)
    if not lower.is_Integer:
        raise NotEvaluable(f"{show(series)}: the lower limit {show(lower)} has no value")
    return int(lower)


def draw_for(
    notation: Notation,
    rng: np.random.Generator,
    max_trajectories: int,
    label: str = "",
    generic: bool = False,
) -> Instance:
    """A random instance for ``notation``: infinite-horizon or not, with its constants, its
    declared functions' tables and its discount (:func:`.instance.draw_instance`)."""
    draw = draw_infinite_instance if notation.infinite_horizon else draw_instance
    return draw(
        rng,
        notation.first_index,
        max_trajectories,
        label,
        generic,
        notation.constants,
        notation.fixed_functions(),
        discount=notation.discount,
    )
