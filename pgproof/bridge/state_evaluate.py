"""Evaluate formulas about one state on a :class:`.state_problem.StateInstance`.

:class:`StateEvaluator` is the :class:`.evaluate.Evaluator` (+, ·, powers, log, exp, a/b,
declared constants and tables), with the per-state objects below.  Here alone ∇_θ is still
read by central differences, (f(θ + h e_k) − f(θ − h e_k)) / 2h along GRAD with h = 1e-5
(1e-3 for a ∇ whose body holds another ∇): the linear-softmax and Gaussian policies do not
carry exact derivatives yet (the trajectory evaluator's are exact, :mod:`.jets`).

    s, a                   the axis of every state, of every action (finite classes) or of
                           a few real actions (Gaussian)
    π_θ(a|s)               softmax_a θ[s, a], softmax_a θ^⊤φ(s, a), or N(a; μ_θ(s), σ²)
    θ^⊤x                   Σ_k θ_k x_k (x a vector: a value on the gradient axis)
    φ(s, a)                the features as a vector: φ_k(s, a) on the gradient axis, so
                           that ∇_θ θ^⊤φ = φ compares coordinate by coordinate
    μ_θ(s)                 φ(s)^⊤θ (the Gaussian mean); another declared f_θ:
                           tanh(ψ(s)^⊤θ)
    N(x; μ, v)             exp(−(x − μ)²/(2v)) / √(2π v)   (undefined for v ≤ 0)
    Σ_{a'} f(a')           Σ over every action
    E_{a'∼π_θ(·|s)}[f]     Σ_{a'} π_θ(a'|s) f(a') (finite), or Gauss–Hermite quadrature at
                           a' = μ_θ(s) + σ x_k (Gaussian)
    π (the number)         3.14159…

Objects of trajectories (s_t, p_θ(τ), E over τ, J(θ), r, R) have no meaning here and say
so (:class:`.values.NotEvaluable`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sympy import Basic, NumberSymbol

from pgproof.budget import charge
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.objects import Grad, Policy
from pgproof.symbolic.state_objects import (
    ActionExpectation,
    ActionSum,
    ActionSymbol,
    FeatureVector,
    GaussianDensity,
    Inner,
    ParametrisedFunction,
    StateSymbol,
)
from pgproof.symbolic.text import show

from . import values as V
from .evaluate import Evaluator
from .instance import Instance
from .state_problem import StateInstance
from .values import GRAD, NotEvaluable, Undefined, Value

__all__ = ["StateEvaluator", "evaluator_for"]

Env = Mapping[str, int]

#: the central-difference steps of ∇ here (one ∇; a ∇ whose body holds another ∇)
FD_STEP = 1e-5
NESTED_FD_STEP = 1e-3


def evaluator_for(instance: Instance | StateInstance, notation: Notation) -> Evaluator:
    """The evaluator of ``instance``'s kind."""
    if isinstance(instance, StateInstance):
        return StateEvaluator(instance, notation)
    return Evaluator(instance, notation)


def _normal(x: Value, mean: Value, variance: Value, what: Basic) -> Value:
    axes, (a, m, v) = V.align([x, mean, variance])
    a, m, v = np.broadcast_arrays(*(np.asarray(z, dtype=np.float64) for z in (a, m, v)))
    if np.any(v <= 0):
        raise Undefined(f"{show(what)} is undefined: a variance {float(v.min()):.6g} ≤ 0")
    return Value(np.exp(-((a - m) ** 2) / (2 * v)) / np.sqrt(2 * np.pi * v), axes)


class StateEvaluator(Evaluator):
    """Evaluates formulas about one state (see the module docstring)."""

    instance: StateInstance

    def __init__(self, instance: StateInstance, notation: Notation) -> None:
        super().__init__(instance, notation)
        #: the values of the bound actions (a' of Σ_{a'} or E_{a'}) being summed over
        self.bindings: dict[Basic, Value] = {}

    def value(self, expr: Basic, env: Env) -> Value:
        """Dispatch on the class along its MRO, this class's methods first."""
        kind = type(expr)
        method = _DISPATCH.get(kind)
        if method is None:
            method = _DISPATCH[kind] = _method_for(kind)
        if method is None:
            return super().value(expr, env)
        charge()  # a unit of work, as the parent's dispatch charges
        return method(self, expr, env)

    # ------------------------------------------------------------------ ∇ (central differences)

    def _eval_Grad(self, node: Grad, env: Env) -> Value:
        """(f(θ + h e_k) − f(θ − h e_k)) / 2h for each coordinate k, along GRAD."""
        self._check_theta(node.variable)
        body = node.expr
        h = NESTED_FD_STEP if body.has(Grad) else FD_STEP
        base = self.theta
        slices = []
        try:
            for k in range(base.size):
                sides = []
                for sign in (1.0, -1.0):
                    moved = base.copy()
                    moved.flat[k] += sign * h
                    self.theta = moved
                    value = self.value(body, env)
                    sides.append(value.select(GRAD, k) if GRAD in value.axes else value)
                difference = V.add([sides[0], V.multiply([Value.scalar(-1.0), sides[1]])])
                slices.append(V.multiply([difference, Value.scalar(1.0 / (2.0 * h))]))
        finally:
            self.theta = base
        return V.stack(slices, GRAD)

    # ------------------------------------------------------------------ variables

    def _eval_StateSymbol(self, expr: StateSymbol, env: Env) -> Value:
        return Value.constant(np.arange(self.instance.n_states), (show(expr),))

    def _eval_ActionSymbol(self, expr: ActionSymbol, env: Env) -> Value:
        if expr in self.bindings:
            return self.bindings[expr]
        inst = self.instance
        if inst.continuous:
            return Value(np.asarray(inst.action_points, dtype=np.float64), (show(expr),))
        return Value.constant(np.arange(inst.n_actions), (show(expr),))

    def _eval_NumberSymbol(self, expr: NumberSymbol, env: Env) -> Value:
        return Value.scalar(float(expr))

    # ------------------------------------------------------------------ the policy

    def _eval_Policy(self, expr: Policy, env: Env) -> Value:
        self._check_theta(expr.theta)
        state, action = self.value(expr.args[2], env), self.value(expr.args[1], env)
        inst = self.instance
        if not inst.continuous:
            return V.take(inst.policy_table(self.theta), [state, action], expr, free=False)
        mean = V.take(inst.mean(self.theta), [state], expr, free=False)
        return _normal(action, mean, Value.scalar(inst.sigma**2), expr)

    def _eval_GaussianDensity(self, expr: GaussianDensity, env: Env) -> Value:
        x, mean, variance = (self.value(a, env) for a in expr.args)
        return _normal(x, mean, variance, expr)

    def _eval_ParametrisedFunction(self, expr: ParametrisedFunction, env: Env) -> Value:
        self._check_theta(expr.theta)
        inst, name = self.instance, expr.name.name
        args = [self.value(a, env) for a in expr.arguments]
        if inst.continuous and name == self.notation.policy_mean:
            return V.take(inst.mean(self.theta), args, expr, free=False)
        psi = inst.parameter_tables.get(name)
        if psi is None:
            raise NotEvaluable(f"{show(expr)} has no numeric meaning here")
        return V.take(np.tanh(psi @ self.theta.ravel()), args, expr, free=False)

    # ------------------------------------------------------------------ vectors

    def _eval_FeatureVector(self, expr: FeatureVector, env: Env) -> Value:
        inst = self.instance
        if inst.features is None or expr.name.name != self.notation.features:
            return super()._eval_DeclaredFunction(expr, env)
        args = [self.value(a, env) for a in expr.arguments]
        coordinates = [
            V.take(inst.features[..., k], args, expr, free=True) for k in range(inst.theta.size)
        ]
        return V.stack(coordinates, GRAD)

    def _eval_Inner(self, expr: Inner, env: Env) -> Value:
        theta = self.notation.theta
        left, right = expr.args
        other = right if left == theta else left if right == theta else None
        if other is None:
            raise NotEvaluable(f"{show(expr)}: only θ^⊤x has a numeric meaning here")
        vector = self.value(other, env)
        if GRAD not in vector.axes or vector.size_of(GRAD) != self.theta.size:
            raise NotEvaluable(f"{show(other)} is not a vector of θ's space")
        weights = Value(self.theta.ravel(), (GRAD,))
        return vector.reduce(GRAD, weights)

    # ------------------------------------------------------------------ Σ_{a'} and E_{a'}

    def _bound(self, action: Basic, value: Value, body: Basic, env: Env) -> Value:
        saved = self.bindings.get(action)
        self.bindings[action] = value
        try:
            return self.value(body, env)
        finally:
            if saved is None:
                del self.bindings[action]
            else:
                self.bindings[action] = saved

    def _axis(self, action: Basic) -> str:
        return f"{show(action)}@{len(self.bindings)}"

    def _eval_ActionSum(self, expr: ActionSum, env: Env) -> Value:
        inst = self.instance
        if inst.continuous:
            raise NotEvaluable(f"{show(expr)}: a Gaussian policy's actions are not a finite set")
        axis = self._axis(expr.variable)
        every = Value.constant(np.arange(inst.n_actions), (axis,))
        body = self._bound(expr.variable, every, expr.expr, env)
        if axis not in body.axes:
            return V.multiply([body, Value.scalar(float(inst.n_actions))])
        return body.reduce(axis)

    def _eval_ActionExpectation(self, expr: ActionExpectation, env: Env) -> Value:
        inst, action = self.instance, expr.variable
        density = expr.density
        state = density.args[2] if isinstance(density, Policy) else None
        if state is None or density != self.notation.policy_at(action, state):
            raise NotEvaluable(f"{show(expr)}: the actions are drawn from the policy only")
        axis = self._axis(action)
        if not inst.continuous:
            every = Value.constant(np.arange(inst.n_actions), (axis,))
            weights = self._bound(action, every, density, env)
            return self._bound(action, every, expr.expr, env).reduce(axis, weights)
        nodes, weights = inst.quadrature()
        mean = V.take(inst.mean(self.theta), [self.value(state, env)], expr, free=False)
        points = V.add([mean, Value(inst.sigma * nodes, (axis,))])
        body = self._bound(action, points, expr.expr, env)
        return body.reduce(axis, Value(weights, (axis,)))

    # ------------------------------------------------------------------ no trajectories

    def _no_trajectory(self, expr: Basic, env: Env) -> Value:
        raise NotEvaluable(
            f"{show(expr)} has no numeric meaning in a formula about one state (no "
            'trajectory is drawn: scope = "state", or a policy class other than tabular)'
        )

    _eval_State = _eval_Action = _eval_TrajectoryDensity = _no_trajectory
    _eval_Objective = _eval_Expectation = _eval_TrajectoryAggregate = _no_trajectory
    _eval_Return = _eval_Reward = _eval_Dynamics = _eval_InitialDistribution = _no_trajectory
    _eval_SampleMean = _eval_SampledTrajectory = _no_trajectory


_DISPATCH: dict[type, object] = {}


def _method_for(kind: type):
    """The first ``_eval_<Class>`` along ``kind``'s MRO defined by StateEvaluator itself."""
    for cls in kind.__mro__:
        method = StateEvaluator.__dict__.get(f"_eval_{cls.__name__}")
        if method is not None:
            return method
        if f"_eval_{cls.__name__}" in Evaluator.__dict__:
            return None  # the general evaluator's own method for a closer class
    return None
