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
    ∇_θ f                    (∂f/∂θ_k)_k along GRAD, exact: forward-mode jets (:mod:`.jets`)
    \\cancel{x}               0 (what the author means by striking it out)

∇ is exact, not a finite difference: every value carries its derivatives along θ as many
orders as the enclosing ∇s need (``order``: 0 outside any ∇, 1 inside one, 2 inside a ∇
of a body holding a ∇; deeper nesting is not evaluated).  The leaves that depend on θ
give theirs in closed form: π_θ and log π_θ of the softmax (:mod:`.jets`), p_θ(τ) =
exp(log ρ + Σ_t log π_θ + Σ_t log p) (its log's derivatives are the summed scores), and
J, V, Q, A, d^π, Pr(s_t = s) by their recursions on jets (:mod:`.value_jets`); +, ·, /,
powers, log, exp, Σ, ∏, E and E[·|·] propagate them by the rules of calculus
(:mod:`.values`).  See :mod:`.compare` for the tolerance.  Free integer symbols (t, m)
take their values from ``env`` (by name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np
from sympy import Add, Basic, Integer, Mul, Number, Pow, Product, Sum, Symbol, exp, log

from pgproof.budget import MAX_RANGE, charge
from pgproof.kernel.objects import (
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
from pgproof.numeric.enumeration import exact_objective
from pgproof.numeric.policies import softmax
from pgproof.numeric.value_functions import (
    FiniteHorizonValues,
    InfiniteHorizonValues,
    finite_horizon_values,
    infinite_horizon_values,
)
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import show

from . import values as V
from .infinite import last_term, series_lower
from .instance import Instance
from .jets import MAX_ORDER, Jet, log_softmax_jets, softmax_jets
from .value_jets import ValueJets, value_jets
from .values import NotEvaluable, Value
from .visitation import VisitationValues


def trajectory_axis(traj: Basic, env: Mapping[str, int]) -> str:
    """The axis name of τ, τ^(k) (k concrete) or τ^(i) (i free)."""
    if isinstance(traj, Symbol):
        return _symbol_axis(traj)
    if isinstance(traj, SampledTrajectory):
        index = traj.sample_index.xreplace(V.integer_values(traj.sample_index, env))
        return "%s^(%s)" % (show(traj.trajectory), show(index))
    raise NotEvaluable(f"{show(traj)} is not a trajectory")


@lru_cache(maxsize=64)
def _symbol_axis(traj: Symbol) -> str:
    """The axis name of the trajectory symbol τ: its text (asked for at every state, action
    and density a walk meets, so remembered)."""
    return show(traj)


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
        #: their jets, keyed by θ's bytes and the order
        self._value_jets: tuple[bytes, int, ValueJets] | None = None
        #: how many derivatives along θ the node being evaluated needs (one per enclosing ∇)
        self.order = 0

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
        data = np.ascontiguousarray(table[:, k])
        return Value.constant(data, (trajectory_axis(node.trajectory, env),))

    def policy_jets(self) -> list[np.ndarray]:
        """[π_θ, ∂π_θ, …] of the softmax at the current θ, as many orders as needed."""
        return softmax_jets(self.theta, self.order)

    def _density(self, traj: Basic, env: Mapping[str, int]) -> Value:
        """p_θ(τ) of every trajectory, with ∂^j p = p · (the j-th derivative of exp ∘ log p):
        (log p)' = Σ_t ∂ log π_θ(a_t|s_t), (log p)'' = Σ_t ∂² log π_θ(a_t|s_t)."""
        inst = self.instance
        axis = trajectory_axis(traj, env)
        prob = inst.probabilities(self.theta)
        if self.order == 0:
            return Value(prob, (axis,), ())
        logs = log_softmax_jets(self.theta, self.order)
        s, a = inst.states[:, : inst.steps], inst.actions
        score = [logs[j][s, a].sum(axis=1) for j in range(1, self.order + 1)]  # [N, n]
        jets = [prob[:, None] * score[0]]
        if self.order >= 2:
            jets.append(prob[:, None] * (score[1] + score[0] * score[0]))
        return Value(prob, (axis,), tuple(jets))

    def _return(self, traj: Basic, env: Mapping[str, int]) -> Value:
        """Σ_t γ^{t−first} r(s_t, a_t) over the steps of τ (γ = 1 without a discount; on an
        infinite-horizon instance, over the enumerated steps: :mod:`.tails` bounds the rest)."""
        inst = self.instance
        rewards = inst.mdp.reward[inst.states[:, :-1], inst.actions]
        rewards = (rewards * inst.mdp.discounts).sum(axis=1)
        return Value.constant(rewards, (trajectory_axis(traj, env),))

    def _gradient(self, node: Grad, env: Mapping[str, int]) -> Value:
        """(∂_k body)_k exactly: the body evaluated with one more order of derivatives."""
        self._check_theta(node.variable)
        if self.order + 1 > MAX_ORDER:
            raise NotEvaluable(
                f"{show(node)}: ∇_θ nested more than {MAX_ORDER} deep is not evaluated "
                f"(exact derivatives up to order {MAX_ORDER})"
            )
        self.order += 1
        try:
            body = self.value(node.expr, env)
        finally:
            self.order -= 1
        try:
            return body.derivative(self.theta.size)
        except NotEvaluable as exc:
            raise NotEvaluable(f"{show(node)} is not evaluated: {exc}") from None

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
        pi, *jets = self.policy_jets()
        return V.take(pi, idx, expr, jets=jets, free=False)

    def _eval_Dynamics(self, expr: Dynamics, env: Mapping[str, int]) -> Value:
        nxt, state, action = expr.args[1:]
        idx = [self.value(state, env), self.value(action, env), self.value(nxt, env)]
        return V.take(self.instance.mdp.transition, idx, expr, free=True)

    def _eval_InitialDistribution(self, expr: InitialDistribution, env) -> Value:
        return V.take(self.instance.mdp.initial, [self.value(expr.args[1], env)], expr, free=True)

    def _eval_Reward(self, expr: Reward, env: Mapping[str, int]) -> Value:
        idx = [self.value(expr.args[1], env), self.value(expr.args[2], env)]
        return V.take(self.instance.mdp.reward, idx, expr, free=True)

    def _eval_DeclaredFunction(self, expr: DeclaredFunction, env: Mapping[str, int]) -> Value:
        meaning = self.notation.value_meaning(expr.name.name)
        if meaning is not None:
            return self._value_function(expr, meaning, env)
        table = self.instance.functions.get(expr.name.name)
        if table is None:
            raise NotEvaluable(f"{show(expr)} has no numeric meaning here")
        arguments = [self.value(arg, env) for arg in expr.arguments]
        return V.take(table, arguments, expr, free=True)

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
        jets = self._jets_of_values(meaning)
        if meaning == "visitation":  # Σ_t γ^{t−first} Pr(s_t = s), unnormalised
            state = [self.value(expr.arguments[0], env)]
            return V.take(values.visitation, state, expr, jets=jets, free=False)
        tables = {
            "state_value": values.values,
            "action_value": values.q_values,
            "advantage": values.advantages,
        }[meaning]
        arguments = [self.value(arg, env) for arg in expr.arguments]
        if infinite:  # stationary: the same at every step
            return V.take(tables, arguments, expr, jets=jets, free=False)
        if not isinstance(expr.arguments[0], State):
            raise NotEvaluable(
                f"{show(expr)}: with a finite horizon it depends on the step, and a plain "
                "state has none"
            )
        k = self._time(expr.arguments[0].time, env, self.instance.steps, expr)
        # after the last step (s_{T+1}) nothing is left to earn: V, Q, A are 0 there
        if k >= len(tables):
            return V.take(np.zeros_like(tables[0]), arguments, expr, free=True)
        return V.take(tables[k], arguments, expr, jets=[j[k] for j in jets], free=False)

    def _jets_of_values(self, meaning: str) -> list[np.ndarray]:
        """The derivatives of the value function ``meaning`` at θ ([] outside a ∇)."""
        if self.order == 0:
            return []
        key = self.theta.tobytes()
        if self._value_jets is None or self._value_jets[:2] != (key, self.order):
            pi = Jet(tuple(self.policy_jets()))
            solved = value_jets(self.instance.mdp, pi, self.notation.infinite_horizon)
            self._value_jets = (key, self.order, solved)
        solved = self._value_jets[2]
        jet = {
            "visitation": solved.visitation,
            "state_value": solved.values,
            "action_value": solved.q_values,
            "advantage": solved.advantages,
        }[meaning]
        return list(jet.c[1:])

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
        # Σ_{τ' ∼ τ} p(τ') X(τ') / Σ_{τ' ∼ τ} p(τ'), derivatives by the quotient rule
        count, place = int(group.max()) + 1, f"{axis}|given"
        totals = V.segment_sum(V.multiply([body, weights]), axis, group, count, place)
        mass = V.segment_sum(weights, axis, group, count, place)
        mean = V.divide(totals, mass, expr)
        return V.gather(mean, place, group, axis)

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
            value = infinite_horizon_values(inst.mdp, softmax(self.theta)).objective
        else:
            value = exact_objective(inst.mdp, inst.policy, self.theta)
        if self.order == 0:
            return Value(np.asarray(value, dtype=np.float64), (), ())
        pi = Jet(tuple(self.policy_jets()))
        objective = value_jets(inst.mdp, pi, inst.infinite).objective  # ρ · V_0, on jets
        return Value(np.asarray(value, dtype=np.float64), (), tuple(objective.c[1:]))

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
        return V.exp(self.value(expr.args[0], env))


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
