"""Evaluate any expression of the notation on an :class:`~.instance.Instance`.

Driven by the expression tree: one ``_eval_<Class>`` method per node type, found along the
class's MRO as SymPy's printers find ``_print_<Class>`` (nothing per derivation):

    s_t, a_t                 states[:, t−first], actions[:, t−first] on the axis of τ / τ^(k)
    π_θ(a|s), p(s'|s,a)      softmax(θ)[s, a], P[s, a, s'];   p(s_first) = ρ[s];   r(s,a)
    R(τ)                     Σ_{t} γ^{t−first} r(s_t, a_t)   (γ the MDP's discount, 1 without one)
    Σ_{t=a}^{∞} f_t          (infinite horizon) the terms in the enumerated steps; :mod:`.tails`
                             bounds the rest, and J(θ) is exact (ρ · (I − γ P_π)^{-1} r_π)
    p_θ(τ)                   ρ(s_first) ∏_t π_θ(a_t|s_t) P(s_{t+1}|s_t,a_t)  (the probability)
    J(θ)                     Σ_τ p_θ(τ) R(τ)  (pgproof.numeric.enumeration.exact_objective)
    ∫ f dτ, Σ_τ f            Σ over the τ axis (counting measure: ∫ p f dτ = Σ_τ prob·f)
    E_{τ∼q}[f]               Σ_τ q(τ) f(τ)
    Σ_s, Σ_a, Pr(s_t = s)    :mod:`.visitation` (d^π(s) with the value functions, by DP)
    Σ_{t=a}^{b}, ∏_{t=a}^{b} the concrete terms (empty when b = a − 1; not evaluable when b < a − 1)
    (1/m) Σ_{i=1}^{m} f      with a concrete m: the axes τ^(1) … τ^(m)
    ∇_θ f                    central differences (f(θ+h e_k) − f(θ−h e_k)) / 2h along GRAD
    \\cancel{x}               0 (what the author means by striking it out)

∇ by finite differences is general: everything is a smooth function of θ once the
trajectories are fixed.  h = 1e-5 gives an error ≈ h² f‴/6 + ε f/h ≈ 1e-10 relative;
for a ∇ whose body holds another ∇, h = 1e-3 (error ≈ 1e-7).  See :mod:`.compare` for
the tolerance.  Free integer symbols (t, m) take their values from ``env`` (by name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from sympy import Add, Basic, Integer, Mul, Number, Pow, Product, Sum, Symbol, exp, log

from pgproof.budget import MAX_RANGE, charge
from pgproof.numeric.enumeration import exact_objective
from pgproof.numeric.policies import softmax
from pgproof.numeric.value_functions import (
    FiniteHorizonValues,
    InfiniteHorizonValues,
    finite_horizon_values,
    infinite_horizon_values,
)
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.objects import (
    Action,
    Cancelled,
    ConditionalExpectation,
    DeclaredFunction,
    Dynamics,
    Expectation,
    Grad,
    InitialDistribution,
    Objective,
    Policy,
    Ratio,
    Return,
    Reward,
    SampledTrajectory,
    SampleMean,
    State,
    TrajectoryAggregate,
    TrajectoryDensity,
)
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import show

from . import values as V
from .infinite import last_term, series_lower
from .instance import Instance
from .values import GRAD, NotEvaluable, Value
from .visitation import VisitationValues

FD_STEP = 1e-5
NESTED_FD_STEP = 1e-3


def trajectory_axis(traj: Basic, env: Mapping[str, int]) -> str:
    """The axis name of τ, τ^(k) (k concrete) or τ^(i) (i free)."""
    if isinstance(traj, Symbol):
        return show(traj)
    if isinstance(traj, SampledTrajectory):
        index = traj.sample_index.xreplace(V.integer_values(traj.sample_index, env))
        return "%s^(%s)" % (show(traj.trajectory), show(index))
    raise NotEvaluable(f"{show(traj)} is not a trajectory")


def is_sample_axis(axis: str) -> bool:
    return "^(" in axis


class Evaluator(VisitationValues):
    """Evaluates expressions of ``notation`` on ``instance`` (θ may be moved for ∇)."""

    def __init__(self, instance: Instance, notation: Notation) -> None:
        self.instance = instance
        self.notation = notation
        self.theta = np.asarray(instance.theta, dtype=np.float64)
        self.base_env = {notation.horizon: instance.horizon_value}
        #: the value functions at θ (keyed by θ's bytes), computed when first needed
        self._values: tuple[bytes, FiniteHorizonValues | InfiniteHorizonValues] | None = None

    def evaluate(self, expr: Basic, env: Mapping[str, int] | None = None) -> Value:
        return self.value(expr, {**self.base_env, **(env or {})})

    # ------------------------------------------------------------------ helpers

    def integer(self, expr: Basic, env: Mapping[str, int]) -> int:
        got = expr.xreplace(V.integer_values(expr, env))
        if not isinstance(got, Integer):
            raise NotEvaluable(f"{show(expr)} has no concrete value (free: {show(got)})")
        return int(got)

    def _check_theta(self, theta: Basic) -> None:
        if not (isinstance(theta, Symbol) and theta.name == self.notation.parameter):
            raise NotEvaluable(f"{show(theta)} is not the parameter {self.notation.parameter}")

    def _time(self, expr: Basic, env: Mapping[str, int], last: int, what: Basic) -> int:
        t = self.integer(expr, env)
        k = t - self.instance.first
        if not 0 <= k <= last:
            first = self.instance.first
            raise NotEvaluable(
                f"{show(what)} at time {t} is outside the trajectory "
                f"(times {first}..{first + last} when the horizon is {self.instance.horizon_value})"
            )
        return k

    def _variable(self, node: State | Action, env: Mapping[str, int]) -> Value:
        inst = self.instance
        table, last = (
            (inst.states, inst.steps) if isinstance(node, State) else (inst.actions, inst.steps - 1)
        )
        k = self._time(node.time, env, last, node)
        return Value(np.ascontiguousarray(table[:, k]), (trajectory_axis(node.trajectory, env),))

    def _density(self, traj: Basic, env: Mapping[str, int]) -> Value:
        inst = self.instance
        axis = trajectory_axis(traj, env)
        return Value(inst.probabilities(self.theta), (axis,))

    def _return(self, traj: Basic, env: Mapping[str, int]) -> Value:
        """Σ_t γ^{t−first} r(s_t, a_t) over the steps of τ (γ = 1 without a discount; on an
        infinite-horizon instance, over the enumerated steps: :mod:`.tails` bounds the rest)."""
        inst = self.instance
        rewards = inst.mdp.reward[inst.states[:, :-1], inst.actions]
        rewards = (rewards * inst.mdp.discounts).sum(axis=1)
        return Value(rewards, (trajectory_axis(traj, env),))

    def _gradient(self, node: Grad, env: Mapping[str, int]) -> Value:
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

    def _big(self, node: Sum | Product, env: Mapping[str, int]) -> Value:
        """Σ/∏ over concrete limits, innermost limit first (SymPy's order)."""
        return self._limits(node, list(node.limits), env)

    def _limits(self, node: Sum | Product, limits: list, env: Mapping[str, int]) -> Value:
        if not limits:
            return self.value(node.function, env)
        *inner, (index, low, high) = limits
        a, b = self.integer(low, env), self.integer(high, env)
        combine = V.add if isinstance(node, Sum) else V.multiply
        if b - a + 1 > MAX_RANGE:
            raise NotEvaluable(
                f"{show(node)}: the range {index}={a}..{b} has {b - a + 1:.3g} terms, more than "
                f"the {MAX_RANGE:,} pgproof evaluates"
            )
        if b < a - 1:  # a reversed range has no agreed meaning (see canonical.py)
            raise NotEvaluable(
                f"{show(node)}: the range {index}={a}..{b} is reversed (upper < lower − 1)"
            )
        return combine([self._limits(node, inner, {**env, index.name: t}) for t in range(a, b + 1)])

    # ------------------------------------------------------------------ dispatch

    def value(self, expr: Basic, env: Mapping[str, int]) -> Value:
        """Dispatch on the class, the way SymPy's printers do: the first ``_eval_<Class>``
        along the method resolution order (so ``Mul`` finds ``_eval_Mul`` and a subclass of
        ``Number`` finds ``_eval_Number``); a unit of work each (:mod:`pgproof.budget`)."""
        charge()
        kind = type(expr)
        method = _DISPATCH.get(kind)
        if method is None:
            method = _DISPATCH[kind] = _method_for(kind)
        if method is None:
            raise NotEvaluable(f"no numeric meaning for {show(expr)} ({kind.__name__})")
        return method(self, expr, env)

    def _eval_Number(self, expr: Number, env: Mapping[str, int]) -> Value:
        return Value.scalar(float(expr))

    def _eval_Symbol(self, expr: Symbol, env: Mapping[str, int]) -> Value:
        if expr.name in env:
            return Value.scalar(float(env[expr.name]))
        if expr.name in self.instance.constants:  # a declared constant: its drawn value
            return Value.scalar(self.instance.constants[expr.name])
        raise NotEvaluable(f"{show(expr)} has no numeric value")

    def _eval_State(self, expr: State, env: Mapping[str, int]) -> Value:
        return self._variable(expr, env)

    _eval_Action = _eval_State

    def _eval_Policy(self, expr: Policy, env: Mapping[str, int]) -> Value:
        self._check_theta(expr.theta)
        action, state = expr.args[1], expr.args[2]
        idx = [self.value(state, env), self.value(action, env)]
        return V.take(softmax(self.theta), idx, expr)

    def _eval_Dynamics(self, expr: Dynamics, env: Mapping[str, int]) -> Value:
        nxt, state, action = expr.args[1:]
        idx = [self.value(state, env), self.value(action, env), self.value(nxt, env)]
        return V.take(self.instance.mdp.transition, idx, expr)

    def _eval_InitialDistribution(self, expr: InitialDistribution, env) -> Value:
        return V.take(self.instance.mdp.initial, [self.value(expr.args[1], env)], expr)

    def _eval_Reward(self, expr: Reward, env: Mapping[str, int]) -> Value:
        idx = [self.value(expr.args[1], env), self.value(expr.args[2], env)]
        return V.take(self.instance.mdp.reward, idx, expr)

    def _eval_DeclaredFunction(self, expr: DeclaredFunction, env: Mapping[str, int]) -> Value:
        meaning = self.notation.value_meaning(expr.name.name)
        if meaning is not None:
            return self._value_function(expr, meaning, env)
        table = self.instance.functions.get(expr.name.name)
        if table is None:
            raise NotEvaluable(f"{show(expr)} has no numeric meaning here")
        return V.take(table, [self.value(arg, env) for arg in expr.arguments], expr)

    def _value_function(self, expr: DeclaredFunction, meaning: str, env) -> Value:
        """V^π_t(s), Q^π_t(s, a), A^π_t(s, a) of the instance's MDP at the current θ, by DP,
        at the step of the argument (finite horizon: they depend on the steps left)."""
        if getattr(self.instance, "mdp", None) is None:
            raise NotEvaluable(f"{show(expr)}: a value function has a meaning on an MDP only")
        key = self.theta.tobytes()
        infinite = self.notation.infinite_horizon
        if self._values is None or self._values[0] != key:
            pi = softmax(self.theta)
            solve = infinite_horizon_values if infinite else finite_horizon_values
            self._values = (key, solve(self.instance.mdp, pi))
        values = self._values[1]
        if meaning == "visitation":  # Σ_t γ^{t−first} Pr(s_t = s), unnormalised
            return V.take(values.visitation, [self.value(expr.arguments[0], env)], expr)
        tables = {
            "state_value": values.values,
            "action_value": values.q_values,
            "advantage": values.advantages,
        }[meaning]
        arguments = [self.value(arg, env) for arg in expr.arguments]
        if infinite:  # stationary: the same at every step
            return V.take(tables, arguments, expr)
        if not isinstance(expr.arguments[0], State):
            raise NotEvaluable(
                f"{show(expr)}: with a finite horizon it depends on the step, and a plain "
                "state has none"
            )
        k = self._time(expr.arguments[0].time, env, self.instance.steps, expr)
        # after the last step (s_{T+1}) nothing is left to earn: V, Q, A are 0 there
        table = tables[k] if k < len(tables) else np.zeros_like(tables[0])
        return V.take(table, arguments, expr)

    def _eval_ConditionalExpectation(self, expr: ConditionalExpectation, env) -> Value:
        """E[X | G] on each trajectory: the p_θ-weighted mean of X over the trajectories that
        agree with it on the given states and actions G."""
        axis, body = self._over_trajectories(expr, env)
        weights = self.value(expr.density, env)
        keys = [self.value(g, env) for g in expr.given]
        if axis not in weights.axes or any(k.axes != (axis,) for k in keys):
            raise NotEvaluable(f"{show(expr)}: its condition is not on the trajectory {axis}")
        groups = np.unique(np.stack([k.data for k in keys], axis=1), axis=0, return_inverse=True)
        group = np.asarray(groups[1]).reshape(-1)
        if axis not in body.axes:
            return body
        others = tuple(a for a in body.axes if a != axis)
        data = body.transpose_to((axis, *others))
        w = weights.transpose_to((axis,))
        weighted = data * w.reshape((-1,) + (1,) * len(others))
        totals = np.zeros((group.max() + 1, *data.shape[1:]))
        np.add.at(totals, group, weighted)
        mass = np.bincount(group, weights=w)
        mean = totals / mass.reshape((-1,) + (1,) * len(others))
        return Value(mean[group], (axis, *others))

    def _eval_Return(self, expr: Return, env: Mapping[str, int]) -> Value:
        return self._return(expr.trajectory, env)

    def _eval_TrajectoryDensity(self, expr: TrajectoryDensity, env: Mapping[str, int]) -> Value:
        self._check_theta(expr.theta)
        if self.instance.infinite:
            raise NotEvaluable(f"{show(expr)} has no value for an infinite trajectory")
        return self._density(expr.trajectory, env)

    def _law(self, density: Basic, env: Mapping[str, int]) -> Value:
        """The weights of E_{τ∼density}: p_θ of each enumerated τ (of each enumerated prefix
        on an infinite-horizon instance, where it is the prefix's exact probability)."""
        if isinstance(density, TrajectoryDensity):
            self._check_theta(density.theta)
            return self._density(density.trajectory, env)
        return self.value(density, env)

    def _eval_Objective(self, expr: Objective, env: Mapping[str, int]) -> Value:
        self._check_theta(expr.theta)
        inst = self.instance
        if inst.infinite:  # exact: ρ · (I − γ P_π)^{-1} r_π
            return Value.scalar(infinite_horizon_values(inst.mdp, softmax(self.theta)).objective)
        return Value.scalar(exact_objective(inst.mdp, inst.policy, self.theta))

    def _eval_Grad(self, expr: Grad, env: Mapping[str, int]) -> Value:
        return self._gradient(expr, env)

    def _over_trajectories(self, expr: Basic, env: Mapping[str, int]) -> tuple[str, Value]:
        if not self.instance.enumerated:
            raise NotEvaluable(f"{show(expr)} needs every trajectory, not a sample")
        return trajectory_axis(expr.variable, env), self.value(expr.expr, env)

    def _eval_Expectation(self, expr: Expectation, env: Mapping[str, int]) -> Value:
        axis, body = self._over_trajectories(expr, env)
        weights = self._law(expr.density, env)
        if axis not in weights.axes:
            raise NotEvaluable(f"the density {show(expr.density)} is not a density of τ")
        return body.reduce(axis, weights)

    def _eval_TrajectoryAggregate(self, expr: TrajectoryAggregate, env) -> Value:
        if self.instance.infinite:
            raise NotEvaluable(f"{show(expr)}: infinite trajectories are not summed or integrated")
        axis, body = self._over_trajectories(expr, env)
        if axis not in body.axes:  # counting measure: ∫ c dτ = c · (number of τ)
            return V.multiply([body, Value.scalar(float(self.instance.n_trajectories))])
        return body.reduce(axis)

    def _eval_SampleMean(self, expr: SampleMean, env: Mapping[str, int]) -> Value:
        body, index, count = expr.args
        return self.value(Sum(body, (index, Integer(1), count)) / count, env)

    def _eval_Sum(self, expr: Sum | Product, env: Mapping[str, int]) -> Value:
        return self._big(expr, env)

    _eval_Product = _eval_Sum

    def _eval_InfiniteSum(self, expr: InfiniteSum, env: Mapping[str, int]) -> Value:
        """Σ_{t=a}^{∞} f_t over the terms in the enumerated steps (:func:`.infinite.last_term`);
        the terms left out are bounded by :mod:`.tails` and counted by the comparison."""
        if not self.instance.infinite:
            raise NotEvaluable(f"{show(expr)}: an infinite sum on a finite-horizon instance")
        lower, last = series_lower(expr, env), last_term(expr, self.instance, env)
        name = expr.index.name
        return V.add([self.value(expr.function, {**env, name: t}) for t in range(lower, last + 1)])

    def _eval_Ratio(self, expr: Ratio, env: Mapping[str, int]) -> Value:
        num, den = self.value(expr.numerator, env), self.value(expr.denominator, env)
        return V.divide(num, den, expr)

    def _eval_Cancelled(self, expr: Cancelled, env: Mapping[str, int]) -> Value:
        return Value.scalar(0.0)

    def _eval_Add(self, expr: Add, env: Mapping[str, int]) -> Value:
        return V.add([self.value(a, env) for a in expr.args])

    def _eval_Mul(self, expr: Mul, env: Mapping[str, int]) -> Value:
        return V.multiply([self.value(a, env) for a in expr.args])

    def _eval_Pow(self, expr: Pow, env: Mapping[str, int]) -> Value:
        return V.power(self.value(expr.base, env), self.value(expr.exp, env), expr)

    def _eval_log(self, expr: log, env: Mapping[str, int]) -> Value:
        return V.log(self.value(expr.args[0], env), expr)

    def _eval_exp(self, expr: exp, env: Mapping[str, int]) -> Value:
        inner = self.value(expr.args[0], env)
        return Value(np.exp(inner.data.astype(np.float64)), inner.axes)


Method = Callable[[Evaluator, Basic, Mapping[str, int]], Value]
#: class → its ``_eval_<Class>`` method (found once per class along the MRO)
_DISPATCH: dict[type, Method | None] = {}


def _method_for(kind: type) -> Method | None:
    for cls in kind.__mro__:
        method = getattr(Evaluator, f"_eval_{cls.__name__}", None)
        if method is not None:
            return method
    return None


def evaluate(
    expr: Basic, instance: Instance, notation: Notation, env: Mapping[str, int] | None = None
) -> Value:
    """The value of ``expr`` on ``instance`` (see the module docstring for the mapping)."""
    return Evaluator(instance, notation).evaluate(expr, env)
