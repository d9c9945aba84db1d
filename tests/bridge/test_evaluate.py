"""The evaluator against the numeric module's exact routes, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest
from sympy import Integer, Sum, Symbol, log

from pgproof.bridge.evaluate import evaluate
from pgproof.bridge.instance import draw_instance, enumerate_instance
from pgproof.bridge.values import GRAD, NotEvaluable, Undefined, Value, add
from pgproof.kernel.objects import Grad, SampleMean
from pgproof.numeric.enumeration import exact_gradient_enumeration, exact_objective
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import softmax
from pgproof.symbolic.notation import Notation

N = Notation()  # T counted from 1
H = Notation(horizon="H", first_index=0, trajectory_space="discrete")


@pytest.fixture(scope="module")
def inst():
    rng = np.random.default_rng(3)
    return enumerate_instance(random_mdp(2, 3, 2, rng), rng.standard_normal((2, 3)), 1)


def test_named_axes_broadcast() -> None:
    a = Value(np.array([1.0, 2.0]), ("τ",))
    b = Value(np.array([10.0, 20.0, 30.0]), ("τ^(1)",))
    total = add([a, b, a])
    assert total.axes == ("τ", "τ^(1)")
    assert total.data.shape == (2, 3) and total.data[1, 2] == 34.0


def test_density_is_the_trajectory_probability(inst) -> None:
    p = evaluate(N.density_of(), inst, N)
    assert p.axes == ("τ",)
    assert p.data.sum() == pytest.approx(1.0, abs=1e-12)
    unfolded = evaluate(N.trajectory_density(), inst, N)
    np.testing.assert_allclose(unfolded.data, p.data, rtol=1e-12)


def test_objective_and_expectation_match_the_exact_objective(inst) -> None:
    exact = exact_objective(inst.mdp, inst.policy, inst.theta)
    assert evaluate(N.J(), inst, N).data == pytest.approx(exact, abs=1e-12)
    assert evaluate(N.objective_definition(), inst, N).data == pytest.approx(exact, abs=1e-12)


def test_gradient_of_j_matches_enumeration(inst) -> None:
    value = evaluate(Grad(N.J(), N.theta), inst, N)
    exact = exact_gradient_enumeration(inst.mdp, inst.policy, inst.theta)
    assert value.axes == (GRAD,)
    np.testing.assert_allclose(value.data, exact.ravel(), atol=1e-8)


def test_score_matches_the_softmax_formula(inst) -> None:
    value = evaluate(Grad(log(N.pi(1)), N.theta), inst, N)
    pi = softmax(inst.theta)
    k = 5  # some trajectory
    s, a = inst.states[k, 0], inst.actions[k, 0]
    expected = np.zeros_like(inst.theta)
    expected[s] = -pi[s]
    expected[s, a] += 1.0
    np.testing.assert_allclose(value.data[k], expected.ravel(), atol=1e-8)


def test_nested_gradient_is_the_per_coordinate_second_derivative(inst) -> None:
    value = evaluate(Grad(Grad(log(N.pi(1)), N.theta), N.theta), inst, N)
    pi = softmax(inst.theta)
    k = 5
    s = inst.states[k, 0]
    expected = np.zeros_like(inst.theta)
    expected[s] = -pi[s] * (1 - pi[s])  # ∂²/∂θ[s,b]² log π(a|s)
    np.testing.assert_allclose(value.data[k], expected.ravel(), atol=1e-5)


def test_a_reversed_sum_is_not_evaluable(inst) -> None:
    t = N.t
    assert evaluate(Sum(t, (t, 1, 3)), inst, N).data == 6.0
    assert evaluate(Sum(t, (t, 2, 1)), inst, N).data == 0.0  # the empty sum
    with pytest.raises(NotEvaluable, match="reversed"):
        evaluate(Sum(t, (t, 3, 1)), inst, N)  # Karr's convention would give −Σ_{t=2}^{2}


def test_sample_mean_expands_to_independent_axes(inst) -> None:
    mean = SampleMean(N.R(N.sample()), N.i, N.m)
    value = evaluate(mean, inst, N, {"m": 2})
    assert set(value.axes) == {"τ^(1)", "τ^(2)"}
    prob = inst.probabilities()
    expectation = prob @ value.transpose_to(["τ^(1)", "τ^(2)"]) @ prob
    exact = exact_objective(inst.mdp, inst.policy, inst.theta)
    assert expectation == pytest.approx(exact, abs=1e-12)


def test_horizon_counted_from_zero() -> None:
    rng = np.random.default_rng(0)
    inst = draw_instance(rng, 0, 3000, generic=True)
    assert inst.horizon_value == inst.steps - 1
    value = evaluate(H.return_expansion(), inst, H)
    direct = inst.mdp.reward[inst.states[:, :-1], inst.actions].sum(axis=1)
    np.testing.assert_allclose(value.data, direct)


def test_a_state_outside_the_trajectory_is_not_evaluable(inst) -> None:
    with pytest.raises(NotEvaluable, match="outside the trajectory"):
        evaluate(N.p0().func(N.initial, N.s(0)), inst, N)
    with pytest.raises(NotEvaluable, match="outside the trajectory"):
        evaluate(N.a(N.T + 1), inst, N)


def test_unknown_constants_are_not_evaluable(inst) -> None:
    with pytest.raises(NotEvaluable, match="no numeric value"):
        evaluate(Symbol("g") * N.R(), inst, N)


def test_log_of_a_negative_return_is_undefined() -> None:
    rng = np.random.default_rng(1)
    base = random_mdp(2, 2, 2, rng)
    from pgproof.numeric.mdp import TabularMDP

    mdp = TabularMDP(base.initial, base.transition, -np.ones((2, 2)), 2)
    inst = enumerate_instance(mdp, np.zeros((2, 2)), 1)
    with pytest.raises(Undefined, match="log"):
        evaluate(log(N.R()), inst, N)
    assert evaluate(Integer(2) ** -1, inst, N).data == 0.5
