"""Numeric meaning of the state-visitation objects in the trajectory scope.

Mixed into :class:`.evaluate.Evaluator`:

    s, a (plain)            the state or action a Σ_s, Σ_a binds (its values on that sum's
                            own axis); a free one: every state, every action, on an axis
    Σ_s f(s), Σ_a f(a)      Σ over every state, every action
    Pr(s_t = s)             ρ P_π^{t−first}: the law of the state at step t under π_θ,
                            by dynamic programming (exact, at any t ≥ first; on a finite
                            instance at most at the step after the last)
    d^π(s)                  :mod:`pgproof.numeric.value_functions`: Σ_t γ^{t−first} Pr(s_t = s)
                            (infinite horizon: ρᵀ(I − γ P_π)^{-1}), unnormalised

Pr(s_t = s) carries its exact θ-derivatives (the same recursion on jets,
:func:`.value_jets.state_marginal_jet`) when it stands under a ∇.

A plain Q^π(s, a), V^π(s) is the stationary one of the infinite horizon (with a finite
horizon they depend on the step and have no value without it: see ``_value_function``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sympy import Basic

from pgproof.budget import MAX_RANGE
from pgproof.kernel.objects import State
from pgproof.kernel.state_objects import ActionSum, ActionSymbol, StateSymbol
from pgproof.kernel.visitation import StateProbability, StateSum
from pgproof.numeric.policies import softmax
from pgproof.symbolic.text import show

from . import values as V
from .jets import Jet, softmax_jets
from .value_jets import state_marginal_jet
from .values import NotEvaluable, Value

__all__ = ["VisitationValues", "state_marginal"]

Env = Mapping[str, int]


def state_marginal(
    initial: np.ndarray, transition: np.ndarray, pi: np.ndarray, k: int
) -> np.ndarray:
    """Pr(s_k = ·) of the stationary policy π [S, A] after k steps from ρ: ρ P_π^k, [S]."""
    kernel = np.einsum("sa,sat->st", pi, transition)
    row = np.asarray(initial, dtype=np.float64)
    for _ in range(k):
        row = row @ kernel
    return row


class VisitationValues:
    """Σ_s, Σ_a, plain s and a, Pr(s_t = s) on a trajectory instance."""

    def _bindings(self) -> dict[Basic, Value]:
        bindings = getattr(self, "bindings", None)
        if bindings is None:
            bindings = self.bindings = {}
        return bindings

    def _counts(self) -> tuple[int, int]:
        mdp = getattr(self.instance, "mdp", None)
        if mdp is None:
            raise NotEvaluable("Σ_s and Pr(s_t = s) have a meaning on an MDP only")
        return mdp.n_states, mdp.n_actions

    def _plain(self, expr: Basic, count: int) -> Value:
        bindings = self._bindings()
        if expr in bindings:
            return bindings[expr]
        return Value.constant(np.arange(count), (show(expr),))

    def _eval_StateSymbol(self, expr: StateSymbol, env: Env) -> Value:
        return self._plain(expr, self._counts()[0])

    def _eval_ActionSymbol(self, expr: ActionSymbol, env: Env) -> Value:
        return self._plain(expr, self._counts()[1])

    def _every(self, expr: StateSum | ActionSum, count: int, env: Env) -> Value:
        bindings = self._bindings()
        variable = expr.variable
        axis = f"{show(variable)}@{len(bindings)}"
        saved = bindings.get(variable)
        bindings[variable] = Value.constant(np.arange(count), (axis,))
        try:
            body = self.value(expr.expr, env)
        finally:
            if saved is None:
                del bindings[variable]
            else:
                bindings[variable] = saved
        if axis not in body.axes:
            return V.multiply([body, Value.scalar(float(count))])
        return body.reduce(axis)

    def _eval_StateSum(self, expr: StateSum, env: Env) -> Value:
        return self._every(expr, self._counts()[0], env)

    def _eval_ActionSum(self, expr: ActionSum, env: Env) -> Value:
        return self._every(expr, self._counts()[1], env)

    def _eval_StateProbability(self, expr: StateProbability, env: Env) -> Value:
        step, state, density = expr.args
        self._counts()
        if not isinstance(step, State):
            raise NotEvaluable(f"{show(expr)}: the left side is not a state of the trajectory")
        if density != self.notation.density_of(step.trajectory):
            raise NotEvaluable(f"{show(expr)}: the law is that of τ ∼ p_θ only")
        self._check_theta(density.theta)
        inst = self.instance
        k = self.integer(step.time, env) - inst.first
        if k < 0 or (not inst.infinite and k > inst.steps) or k > MAX_RANGE:
            raise NotEvaluable(f"{show(expr)}: step {k + inst.first} is outside the trajectory")
        theta = np.asarray(self.theta, dtype=np.float64)
        if theta.ndim != 2:
            raise NotEvaluable(f"{show(expr)}: the policy is not stationary")
        law = state_marginal(inst.mdp.initial, inst.mdp.transition, softmax(theta), k)
        if self.order == 0:
            return V.take(law, [self.value(state, env)], expr, jets=[], free=False)
        jet = state_marginal_jet(inst.mdp, Jet(tuple(softmax_jets(theta, self.order))), k)
        return V.take(law, [self.value(state, env)], expr, jets=jet.c[1:], free=False)
