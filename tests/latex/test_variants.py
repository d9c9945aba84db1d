"""Common spellings of other write-ups, and the documented conventions."""

from __future__ import annotations

import pytest
from sympy import Integer, Mul, Pow, Sum, Symbol, log

from pgproof.kernel.objects import Grad, Ratio, TrajectoryIntegral, TrajectorySum
from pgproof.latex.parser import LatexError, parse_expression, parse_formula
from pgproof.symbolic.notation import Notation

from .conftest import N000, N002

n = N000
th = n.theta
P0 = n.density_of()
E_R = n.expectation(n.R())


@pytest.mark.parametrize(
    "text",
    [
        r"\mathbb{E}_{\tau\sim\pi_\theta}[r(\tau)]",
        r"\mathbb{E}_{\tau\sim p_\theta}[r(\tau)]",
        r"\mathbb{E}_{\pi_\theta}[r(\tau)]",
        r"\mathbb{E}_{\pi}\left[r(\tau)\right]",
        r"\mathbb{E}[r(\tau)]",
        r"\mathbb E_{\tau}[r(\tau)]",
        r"E_{\tau \sim p_{\pi_\theta}(\tau)}[r(\tau)]",
        r"E_{\tau \sim p(\tau \mid \pi_\theta)}[r(\tau)]",
        r"E_{\tau \sim p(\tau; \theta)}[r(\tau)]",
        r"\underset{\tau \sim p_\theta(\tau)}{\mathbb{E}}[r(\tau)]",
    ],
)
def test_expectation_spellings(text):
    assert parse_expression(text, n) == E_R


@pytest.mark.parametrize(
    "text",
    [
        r"\int_\tau p_\theta(\tau) r(\tau) d\tau",
        r"\int p_\theta(\tau) r(\tau) \, d\tau",
        r"\int p_\theta(\tau) r(\tau) \mathrm{d}\tau",
        r"\displaystyle\int p_{\theta}(\tau)\cdot r(\tau)\;d \tau.",
    ],
)
def test_integral_spellings(text):
    assert parse_expression(text, n) == TrajectoryIntegral(P0 * n.R(), n.tau)


def test_trajectory_sum_and_bare_nabla():
    assert parse_expression(r"\nabla \sum_\tau p_\theta(\tau) r(\tau)", n) == Grad(
        TrajectorySum(P0 * n.R(), n.tau), th
    )


def test_reward_shorthand_and_unbounded_sum():
    assert parse_expression(r"\sum_t r_t", n) == n.return_expansion()
    assert parse_expression(r"\sum_{t} r\left(\mathbf{s}_{t}, \mathbf{a}_{t}\right)", n) == (
        n.return_expansion()
    )


def test_reward_to_go_with_primed_index():
    text = r"\sum_{t=1}^{T} \nabla \log \pi_\theta(a_t|s_t) \sum_{t'=t}^{T} r(s_{t'}, a_{t'})"
    tp = Symbol("t'", integer=True)
    to_go = Sum(n.r(tp), (tp, n.t, n.T))
    assert parse_expression(text, n) == Sum(Grad(log(n.pi()), th) * to_go, n.time_range())


def test_primed_index_outside_its_sum_is_refused():
    with pytest.raises(ValueError, match="only defined inside a sum"):
        parse_expression(r"r_{t'}", n)


def test_presentation_is_dropped():
    text = r"\displaystyle \left. \nabla_\theta J(\theta) \right. = \big( \Big[ r_t \Big] \big) \quad"  # noqa: E501
    assert parse_formula(text, n) == [Grad(n.J(), th), n.r()]
    text = r"\bigl( r_t \bigr) \cdot r_1 \qquad - \! r_2 \\"
    assert parse_expression(text, n) == n.r() * n.r(1) - n.r(2)


def test_boldsymbol_and_plain_letters_are_the_state_letter():
    for text in (
        r"\pi_\theta(\boldsymbol{a}_t \mid \boldsymbol{s}_t),",
        r"\pi_\theta(a_t \vert s_t)",
    ):
        assert parse_expression(text, n) == n.pi()


def test_unary_minus_integers_and_powers():
    assert parse_expression(r"-2 r_t^{3}", n) == -2 * n.r() ** 3
    assert parse_expression(r"2^{10} + r_1^2", n) == Integer(1024) + n.r(1) ** 2
    assert parse_expression(r"\left(r_1 + r_2\right)^{2}", n) == (n.r(1) + n.r(2)) ** 2


def test_declared_constant_power_and_product():
    g = Notation(constants=(r"\gamma", "b"))
    gamma, b = g.constant(r"\gamma"), g.constant("b")
    text = r"\sum_{t} \gamma^{t} (r_t - b)"
    assert parse_expression(text, g) == Sum(Pow(gamma, g.t) * (g.r() - b), g.time_range())


def test_log_binds_to_next_factor_and_to_groups():
    assert parse_expression(r"\log p_\theta(\tau) r(\tau)", n) == log(P0) * n.R()
    assert parse_expression(r"\log\left( p_\theta(\tau) r(\tau) \right)", n) == log(P0 * n.R())
    assert parse_expression(r"\ln [p_\theta(\tau) r(\tau)]", n) == log(P0 * n.R())


def test_grad_applies_to_groups():
    assert parse_expression(r"\nabla_\theta (p_\theta(\tau) r(\tau))", n) == Grad(P0 * n.R(), th)


def test_sum_body_ends_at_a_term_without_the_index():
    text = r"r_1 + \sum_t r_t + r_t - r_1"
    assert parse_expression(text, n) == n.r(1) + Sum(n.r() + n.r(), n.time_range()) - n.r(1)


def test_absorption_goes_to_the_innermost_operator_binding_the_index():
    k = N002
    tau_i = k.sample()
    text = r"\sum_{i=1}^{m} \sum_{t=0}^{H} r_t^{(i)} + R(\tau^{(i)})"
    inner = Sum(k.r(k.t, tau_i), k.time_range())
    assert parse_expression(text, k) == Sum(inner + k.R(tau_i), (k.i, Integer(1), k.m))


def test_unsubscripted_policy_and_density_are_refused_not_given_a_theta():
    # reading π(a_t|s_t) as π_θ(a_t|s_t) would add a θ the author did not write
    with pytest.raises(LatexError, match="does not say that it depends on"):
        parse_expression(r"\pi(a_t|s_t)", n)
    with pytest.raises(LatexError, match="does not say that it depends on"):
        parse_expression(r"p(\tau)", n)


def test_sample_states_and_trajectories():
    k = N002
    tau_i = k.sample()
    assert parse_expression(r"s^{(i)}_{t+1}", k) == k.s(k.t + 1, tau_i)
    assert parse_expression(r"\tau^{(i)}", k) == tau_i
    assert parse_expression(r"R(\tau^{(1)})", k) == k.R(k.sample(1))


def test_printer_braced_names():
    text = r"\pi_{\theta}\left({\mathbf{a}}_{t} \mid {\mathbf{s}}_{t}\right)"
    assert parse_expression(text, n) == n.pi()


def test_ratio_and_word_product():
    g = Notation(constants=("b", "c"))
    b, c = g.constant("b"), g.constant("c")
    assert parse_expression(r"\frac{bc}{2}", g) == Ratio(Mul(b, c), 2)


def test_equation_chains():
    assert parse_formula(r"r_1 = r_2 = r_3", n) == [n.r(1), n.r(2), n.r(3)]
    assert parse_formula(r"= r_1 = r_2", n) == [None, n.r(1), n.r(2)]
