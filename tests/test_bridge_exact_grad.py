"""∇_θ in the numeric bridge is exact (forward-mode jets), not a finite difference.

Every derivative is checked against an independent exact route of pgproof.numeric
(enumeration, DP, the linear solve of the infinite horizon) or, for the second order and the
value functions, against central differences of those exact routes (error ≈ 1e-10).
"""

from __future__ import annotations

import numpy as np
import pytest
from sympy import Integer, Rational, Sum, log

from pgproof.bridge import values as V
from pgproof.bridge.compare import compare_on
from pgproof.bridge.evaluate import evaluate
from pgproof.bridge.infinite import draw_infinite_instance
from pgproof.bridge.instance import enumerate_instance
from pgproof.bridge.values import GRAD, NotEvaluable, Value
from pgproof.bridge.visitation import state_marginal
from pgproof.numeric.enumeration import exact_gradient_enumeration
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import softmax
from pgproof.numeric.value_functions import (
    finite_horizon_values,
    infinite_horizon_policy_gradient,
    infinite_horizon_values,
)
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.objects import Grad

N = Notation(state_value="V", action_value="Q", advantage="A")
INF = Notation(
    horizon=r"\infty", first_index=0, discount=r"\gamma", action_value="Q", state_value="V"
)


@pytest.fixture(scope="module")
def inst():
    rng = np.random.default_rng(3)
    return enumerate_instance(random_mdp(2, 3, 3, rng), rng.standard_normal((2, 3)), 1)


@pytest.fixture(scope="module")
def infinite():
    return draw_infinite_instance(np.random.default_rng(5), 0, 3000, generic=True)


def central(f, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """(f(θ + h e_k) − f(θ − h e_k)) / 2h stacked on a last axis (the reference only)."""
    out = []
    for k in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up.flat[k] += h
        down.flat[k] -= h
        out.append((np.asarray(f(up)) - np.asarray(f(down))) / (2 * h))
    return np.stack(out, axis=-1)


def test_gradient_of_j_is_exact(inst) -> None:
    value = evaluate(Grad(N.J(), N.theta), inst, N)
    exact = exact_gradient_enumeration(inst.mdp, inst.policy, inst.theta).ravel()
    assert value.axes == (GRAD,)
    np.testing.assert_allclose(value.data, exact, rtol=0, atol=1e-13)


def test_score_function_form_is_exact(inst) -> None:
    score = N.expectation(Grad(log(N.density_of()), N.theta) * N.R())
    direct = N.aggregate(Grad(N.density_of(), N.theta) * N.R())
    exact = exact_gradient_enumeration(inst.mdp, inst.policy, inst.theta).ravel()
    np.testing.assert_allclose(evaluate(score, inst, N).data, exact, atol=1e-13)
    np.testing.assert_allclose(evaluate(direct, inst, N).data, exact, atol=1e-13)


def test_gradient_of_j_on_an_infinite_horizon_is_exact(infinite) -> None:
    value = evaluate(Grad(INF.J(), INF.theta), infinite, INF)
    exact = infinite_horizon_policy_gradient(infinite.mdp, infinite.theta).ravel()
    np.testing.assert_allclose(value.data, exact, atol=1e-13)


def test_nested_gradient_of_log_pi_is_exact(inst) -> None:
    value = evaluate(Grad(Grad(log(N.pi(1)), N.theta), N.theta), inst, N)
    pi = softmax(inst.theta)
    for k in (0, 5, 17):
        s = inst.states[k, 0]
        expected = np.zeros_like(inst.theta)
        expected[s] = -pi[s] * (1 - pi[s])
        np.testing.assert_allclose(value.data[k], expected.ravel(), atol=1e-15)


def test_second_derivative_of_j(inst) -> None:
    """∂²_k J against central differences of the exact ∇J (error ≈ 1e-10)."""
    value = evaluate(Grad(Grad(N.J(), N.theta), N.theta), inst, N)
    grad = lambda th: exact_gradient_enumeration(inst.mdp, inst.policy, th).ravel()  # noqa: E731
    hessian = central(grad, inst.theta)
    np.testing.assert_allclose(value.data, np.diag(hessian), atol=1e-8)
    # the same through the trajectory form: Σ_τ ∇∇p_θ(τ) R(τ)
    form = N.aggregate(Grad(Grad(N.density_of(), N.theta), N.theta) * N.R())
    np.testing.assert_allclose(evaluate(form, inst, N).data, value.data, atol=1e-13)


@pytest.mark.parametrize("name, table", [("Q", "q_values"), ("V", "values"), ("A", "advantages")])
def test_value_functions_have_exact_gradients(inst, name: str, table: str) -> None:
    args = (N.s(2), N.a(2)) if name != "V" else (N.s(2),)
    value = evaluate(Grad(N.function(name, *args), N.theta), inst, N)
    f = lambda th: getattr(finite_horizon_values(inst.mdp, softmax(th)), table)[1]  # noqa: E731
    reference = central(f, inst.theta)
    s, a = inst.states[:, 1], inst.actions[:, 1]
    expected = reference[s, a] if name != "V" else reference[s]
    np.testing.assert_allclose(value.data, expected, atol=1e-8)


def test_infinite_horizon_q_has_an_exact_gradient(infinite) -> None:
    value = evaluate(Grad(INF.function("Q", INF.s(0), INF.a(0)), INF.theta), infinite, INF)
    f = lambda th: infinite_horizon_values(infinite.mdp, softmax(th)).q_values  # noqa: E731
    reference = central(f, infinite.theta)
    s, a = infinite.states[:, 0], infinite.actions[:, 0]
    np.testing.assert_allclose(value.data, reference[s, a], atol=1e-8)


def test_state_probability_has_an_exact_gradient(inst) -> None:
    s = N.state_symbol()
    expr = Grad(N.state_probability(N.s(3), s), N.theta)
    value = evaluate(expr, inst, N)
    mdp = inst.mdp
    reference = central(
        lambda th: state_marginal(mdp.initial, mdp.transition, softmax(th), 2), inst.theta
    )
    np.testing.assert_allclose(value.transpose_to([value.axes[0], GRAD]), reference, atol=1e-8)


def test_conditional_expectation_has_an_exact_gradient(inst) -> None:
    t = N.t
    inner = N.conditional_expectation(Sum(N.r(t), (t, 2, N.T)), N.s(2), N.a(2))
    value = evaluate(Grad(inner, N.theta), inst, N)
    q = lambda th: finite_horizon_values(inst.mdp, softmax(th)).q_values[1]  # noqa: E731
    reference = central(q, inst.theta)
    expected = reference[inst.states[:, 1], inst.actions[:, 1]]
    np.testing.assert_allclose(value.data, expected, atol=1e-8)


def test_powers_quotients_and_theta_dependent_exponents(inst) -> None:
    pi = N.pi(1)
    s, a = inst.states[:, 0], inst.actions[:, 0]
    for expr, f in [
        (1 / pi, lambda p: 1 / p),
        (pi ** Rational(1, 2), np.sqrt),
        (pi**pi, lambda p: p**p),
        (pi**3 * log(pi), lambda p: p**3 * np.log(p)),
    ]:
        value = evaluate(Grad(expr, N.theta), inst, N)
        reference = central(lambda th, f=f: f(softmax(th)), inst.theta)[s, a]
        np.testing.assert_allclose(value.data, reference, atol=1e-8)
        second = evaluate(Grad(Grad(expr, N.theta), N.theta), inst, N)
        first = lambda th, f=f: central(lambda u: f(softmax(u)), th)  # noqa: E731
        diagonal = np.einsum("saii->sai", central(first, inst.theta, h=1e-4))[s, a]
        np.testing.assert_allclose(second.data, diagonal, atol=1e-5)


def test_a_third_nested_gradient_is_refused_not_guessed(inst) -> None:
    expr = Grad(Grad(Grad(N.J(), N.theta), N.theta), N.theta)
    with pytest.raises(NotEvaluable, match="nested more than 2 deep"):
        evaluate(expr, inst, N)


def test_unknown_derivatives_are_never_read_as_zero() -> None:
    unknown = Value(np.array([1.0, 2.0]), ("τ",))  # derivatives not known
    product = V.multiply([unknown, Value.scalar(3.0)])
    assert not product.free and product.jets is None
    with pytest.raises(NotEvaluable, match="not known"):
        product.derivative(4)
    constant = V.multiply([Value.constant(np.array([1.0, 2.0]), ("τ",)), Value.scalar(2.0)])
    assert constant.free and not constant.derivative(4).data.any()


def test_wrong_gradient_claims_are_refused(inst) -> None:
    """Wrong claims about ∇, with the free t clashing with the bound t of a sum."""
    t = N.t
    theta = N.theta
    exact = Grad(N.J(), theta)
    # the score of a single step in place of the sum: wrong
    one_step = N.expectation(Grad(log(N.pi(t)), theta) * N.R())
    assert not compare_on(exact, one_step, inst, N).agree
    # ∇ log π without the −π(b|s) term: wrong
    sloppy = Grad(log(N.pi(t)), theta)
    assert not compare_on(sloppy, Grad(N.pi(t), theta), inst, N).agree
    # Σ_t ∇ log π(a_t|s_t) with a free t outside: the bound t is the sum's own
    total = Grad(Sum(log(N.pi(t)), (t, 1, N.T)), theta)
    right = Sum(Grad(log(N.pi(t)), theta), (t, 1, N.T))
    wrong = N.T * Grad(log(N.pi(t)), theta)  # the free t captured as if it were bound
    assert compare_on(total, right, inst, N).agree
    assert not compare_on(total, wrong, inst, N).agree
    # a second derivative claimed to be the square of the first: wrong
    assert not compare_on(Grad(Grad(N.J(), theta), theta), Grad(N.J(), theta) ** 2, inst, N).agree
    # J's gradient claimed to be J itself times the score sum at one step: wrong
    assert not compare_on(exact, N.J() * Integer(2), inst, N).agree
