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
from pgproof.kernel.objects import Grad
from pgproof.numeric.enumeration import exact_gradient_enumeration
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import softmax
from pgproof.numeric.value_functions import (
    finite_horizon_values,
    infinite_horizon_policy_gradient,
    infinite_horizon_values,
)
from pgproof.symbolic.notation import Notation

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


# ---------------------------------------------------------------- formulas about one state


def _state(policy_class: str, seed: int):
    """A notation about one state, a generic problem, and its evaluator's ``evaluate``."""
    from pgproof.bridge.state_evaluate import evaluator_for
    from pgproof.bridge.state_problem import draw_state_instance

    notation = Notation(scope="state", state="s", action="a", policy_class=policy_class)
    inst = draw_state_instance(np.random.default_rng(seed), notation, "x", True)
    return notation, inst, evaluator_for(inst, notation).evaluate


def _per_point(value: Value, shape: tuple[int, ...]) -> np.ndarray:
    """[s, a, k] (broadcast where the value does not depend on a)."""
    axes = [a for a in ("s", "a") if a in value.axes]
    return np.broadcast_to(
        value.transpose_to([*axes, GRAD]).reshape(
            [shape[0] if "s" in axes else 1, shape[1] if "a" in axes else 1, shape[2]]
        ),
        shape,
    )


def test_linear_softmax_score_is_exact() -> None:
    """∇ log π_θ(a|s) = φ(s, a) − Σ_b π_θ(b|s) φ(s, b) for π = softmax_a θ^⊤φ(s, a), and
    ∇² log π = −Var_{b∼π}[φ_k(s, b)] per coordinate."""
    n, inst, value_of = _state("linear_softmax", 2)
    score = log(n.policy_at(n.action_symbol(), n.state_symbol()))
    phi = inst.features
    pi = softmax(phi @ inst.theta)
    expected = phi - np.einsum("sb,sbk->sk", pi, phi)[:, None, :]
    got = _per_point(value_of(Grad(score, n.theta)), expected.shape)
    np.testing.assert_allclose(got, expected, atol=1e-14)
    variance = np.einsum("sb,sbk->sk", pi, phi**2) - np.einsum("sb,sbk->sk", pi, phi) ** 2
    second = _per_point(value_of(Grad(Grad(score, n.theta), n.theta)), expected.shape)
    np.testing.assert_allclose(
        second, np.broadcast_to(-variance[:, None, :], expected.shape), atol=1e-14
    )
    assert not np.allclose(got, phi)  # the score is not the bare features


def test_gaussian_score_is_exact() -> None:
    """∇ log N(a; φ(s)^⊤θ, σ²) = (a − μ_θ(s)) φ(s) / σ², and ∇² = −φ(s)² / σ²."""
    n, inst, value_of = _state("gaussian", 4)
    score = log(n.policy_at(n.action_symbol(), n.state_symbol()))
    phi, sigma = inst.bandit.features, inst.sigma
    gap = inst.action_points[None, :] - (phi @ inst.theta)[:, None]
    expected = gap[:, :, None] * phi[:, None, :] / sigma**2
    got = _per_point(value_of(Grad(score, n.theta)), expected.shape)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    second = _per_point(value_of(Grad(Grad(score, n.theta), n.theta)), expected.shape)
    curvature = np.broadcast_to(-(phi**2)[:, None, :] / sigma**2, expected.shape)
    np.testing.assert_allclose(second, curvature, atol=1e-12)
    assert not np.allclose(got, expected * sigma)  # the score over σ (a known bug) differs


def test_gaussian_expectation_is_differentiated_through_its_actions() -> None:
    """∇_θ E_{a'∼N(μ_θ(s), σ²)}[a'²] = ∇(μ² + σ²) = 2 μ_θ(s) φ(s); a ∇ inside the E holds a'
    fixed (E[∇ log π] = 0); a ∇ of an E whose body holds ∇ is refused."""
    from pgproof.kernel.state_objects import ActionExpectation

    n, inst, value_of = _state("gaussian", 6)
    s, a = n.state_symbol(), n.action_symbol(1)
    density = n.policy_at(a, s)
    phi = inst.bandit.features
    mu = phi @ inst.theta
    moment = value_of(Grad(ActionExpectation(a**2, a, density), n.theta))
    np.testing.assert_allclose(moment.transpose_to(["s", GRAD]), 2 * mu[:, None] * phi, atol=1e-10)
    wrong = 2 * mu[:, None] * phi + phi  # a plausible slip: not what is computed
    assert not np.allclose(moment.transpose_to(["s", GRAD]), wrong)
    score = ActionExpectation(Grad(log(density), n.theta), a, density)
    np.testing.assert_allclose(value_of(score).data, 0.0, atol=1e-12)
    with pytest.raises(NotEvaluable, match="Gaussian expectation whose body holds a ∇"):
        value_of(Grad(score, n.theta))
