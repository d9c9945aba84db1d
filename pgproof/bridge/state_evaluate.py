"""Evaluate formulas about one state on a :class:`.state_problem.StateInstance`.

:class:`StateEvaluator` is the :class:`.evaluate.Evaluator` (+, ·, powers, log, exp, a/b,
declared constants and tables, ∇_θ exact by jets), with the per-state objects below, whose
θ-derivatives are in closed form (:mod:`.jets`; per coordinate k, second order at most):

    softmax_a l, l = θ[s, a] or θ^⊤φ(s, a):  ∂π = π (∂l − Σ_b π_b ∂l_b)   (∂l = 1[·] or φ_k)
    μ_θ(s) = φ(s)^⊤θ:  ∂_k μ = φ_k(s);    tanh(ψ(s)^⊤θ):  ∂_k = (1 − tanh²) ψ_k(s)
    θ^⊤x (x θ-free):   ∂_k θ^⊤x = x_k;    N(x; μ, v) through exp, powers and products

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
                           a' = μ_θ(s) + σ x_k (Gaussian; the points carry ∂μ, so ∇ of the E
                           is the reparametrised one, and are fixed for a ∇ inside f; both
                           at once is not evaluated)
    π (the number)         3.14159…

Objects of trajectories (s_t, p_θ(τ), E over τ, J(θ), r, R) have no meaning here and say
so (:class:`.values.NotEvaluable`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sympy import Basic, NumberSymbol

from pgproof.budget import charge
from pgproof.kernel.objects import Grad, Policy
from pgproof.kernel.state_objects import (
    ActionExpectation,
    ActionSum,
    ActionSymbol,
    FeatureVector,
    GaussianDensity,
    Inner,
    ParametrisedFunction,
    StateSymbol,
)
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.text import show

from . import values as V
from .evaluate import Evaluator
from .instance import Instance
from .jets import linear_softmax_jets, tanh_linear_jets
from .state_problem import StateInstance
from .values import GRAD, NotEvaluable, Undefined, Value

__all__ = ["StateEvaluator", "evaluator_for"]

Env = Mapping[str, int]


def evaluator_for(instance: Instance | StateInstance, notation: Notation) -> Evaluator:
    """The evaluator of ``instance``'s kind."""
    if isinstance(instance, StateInstance):
        return StateEvaluator(instance, notation)
    return Evaluator(instance, notation)


def _normal(x: Value, mean: Value, variance: Value, what: Basic) -> Value:
    """exp(−(x − μ)²/(2v)) / √(2π v), by the value operations (so with derivatives)."""
    if np.any(np.asarray(variance.data) <= 0):
        low = float(np.min(variance.data))
        raise Undefined(f"{show(what)} is undefined: a variance {low:.6g} ≤ 0")
    gap = V.add([x, V.multiply([Value.scalar(-1.0), mean])])
    inverse = V.power(variance, Value.scalar(-1.0), what)
    exponent = V.multiply([Value.scalar(-0.5), gap, gap, inverse])
    scale = V.power(V.multiply([Value.scalar(2 * np.pi), variance]), Value.scalar(-0.5), what)
    return V.multiply([V.exp(exponent), scale])


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

    # ------------------------------------------------------------------ θ-dependent tables

    def policy_jets(self) -> list[np.ndarray]:
        """[π, ∂π, …] [S, A] of a finite class: the softmax of θ[s, a] or of θ^⊤φ(s, a)."""
        inst = self.instance
        if inst.policy_class == "linear_softmax":
            return linear_softmax_jets(inst.features @ self.theta, inst.features, self.order)
        return super().policy_jets()

    def _mean(self, args: list[Value], expr: Basic) -> Value:
        """μ_θ(s) = φ(s)^⊤θ with ∂_k μ = φ_k(s), ∂²μ = 0."""
        inst = self.instance
        features = inst.bandit.features if inst.bandit is not None else None
        mean = inst.mean(self.theta)
        jets = [features, np.zeros_like(features)][: self.order]
        return V.take(mean, args, expr, jets=jets, free=False)

    # ------------------------------------------------------------------ variables

    def _eval_StateSymbol(self, expr: StateSymbol, env: Env) -> Value:
        return Value.constant(np.arange(self.instance.n_states), (show(expr),))

    def _eval_ActionSymbol(self, expr: ActionSymbol, env: Env) -> Value:
        if expr in self.bindings:
            return self.bindings[expr]
        inst = self.instance
        if inst.continuous:
            return Value.constant(np.asarray(inst.action_points, dtype=np.float64), (show(expr),))
        return Value.constant(np.arange(inst.n_actions), (show(expr),))

    def _eval_NumberSymbol(self, expr: NumberSymbol, env: Env) -> Value:
        return Value.scalar(float(expr))

    # ------------------------------------------------------------------ the policy

    def _eval_Policy(self, expr: Policy, env: Env) -> Value:
        self._check_theta(expr.theta)
        state, action = self.value(expr.args[2], env), self.value(expr.args[1], env)
        inst = self.instance
        if not inst.continuous:
            pi, *jets = self.policy_jets()
            return V.take(pi, [state, action], expr, jets=jets, free=False)
        mean = self._mean([state], expr)
        return _normal(action, mean, Value.scalar(inst.sigma**2), expr)

    def _eval_GaussianDensity(self, expr: GaussianDensity, env: Env) -> Value:
        x, mean, variance = (self.value(a, env) for a in expr.args)
        return _normal(x, mean, variance, expr)

    def _eval_ParametrisedFunction(self, expr: ParametrisedFunction, env: Env) -> Value:
        self._check_theta(expr.theta)
        inst, name = self.instance, expr.name.name
        args = [self.value(a, env) for a in expr.arguments]
        if inst.continuous and name == self.notation.policy_mean:
            return self._mean(args, expr)
        psi = inst.parameter_tables.get(name)
        if psi is None:
            raise NotEvaluable(f"{show(expr)} has no numeric meaning here")
        value, *jets = tanh_linear_jets(psi @ self.theta.ravel(), psi, self.order)
        return V.take(value, args, expr, jets=jets, free=False)

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
        data = vector.reduce(GRAD, Value(self.theta.ravel(), (GRAD,))).data
        axes = tuple(a for a in vector.axes if a != GRAD)
        if not vector.free:  # ∂_k of θ^⊤x needs ∂_k x_j for j ≠ k: not on the GRAD axis
            return Value(data, axes)
        slope = vector.transpose_to((*axes, GRAD))  # ∂_k θ^⊤x = x_k
        return Value(data, axes, (slope, np.zeros_like(slope))[: self.order])

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
        mean = self._mean([self.value(state, env)], expr)
        points = V.add([mean, Value.constant(inst.sigma * nodes, (axis,))])
        if expr.expr.has(Grad):
            # a ∇ in the body differentiates at a fixed a': the points are θ-free there.  A
            # ∇ of the whole E would also need them to move with μ_θ(s): one jet cannot
            # carry both derivatives, so that is refused, never read one way or the other
            if self.order > 0:
                raise NotEvaluable(
                    f"∇_θ of {show(expr)}: a Gaussian expectation whose body holds a ∇ is not "
                    "differentiated (the actions move with μ_θ(s) outside, not inside)"
                )
            points = Value.constant(points.data, points.axes)
        body = self._bound(action, points, expr.expr, env)
        return body.reduce(axis, Value.constant(weights, (axis,)))

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
