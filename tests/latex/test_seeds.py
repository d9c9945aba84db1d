"""Every seed formula parses to the object its author meant (built with Notation methods)."""

from __future__ import annotations

from sympy import Integer, Product, Sum, log

from pgproof.kernel.objects import (
    Cancelled,
    Grad,
    InitialDistribution,
    Ratio,
    TrajectoryIntegral,
    TrajectorySum,
)
from pgproof.latex.parser import parse_expression, parse_formula

from .conftest import N000, N001, N002

# ---------------------------------------------------------------------------- seed 000

n = N000
th = n.theta
P0 = n.density_of()


def test_000_trajectory_density():
    text = (
        r"p_{\theta}(\tau) = p\left(\mathbf{s}_{1}\right) \prod_{t=1}^{T} "
        r"\pi_{\theta}\left(\mathbf{a}_{t} \mid \mathbf{s}_{t}\right) "
        r"p\left(\mathbf{s}_{t+1} \mid \mathbf{s}_{t}, \mathbf{a}_{t}\right)"
    )
    assert parse_formula(text, n) == [P0, n.trajectory_density()]


def test_000_objective_chain():
    text = r"J(\theta) = E_{\tau \sim p_{\theta}(\tau)}[r(\tau)] = \int p_{\theta}(\tau) r(\tau) d \tau"  # noqa: E501
    assert parse_formula(text, n) == [
        n.J(),
        n.objective_definition(),
        TrajectoryIntegral(P0 * n.R(), n.tau),
    ]


def test_000_gradient_inside_integral():
    text = r"\nabla_{\theta} J(\theta) =\int \nabla_{\theta} p_{\theta}(\tau) r(\tau) d \tau"
    assert parse_formula(text, n) == [Grad(n.J(), th), n.aggregate(Grad(P0, th) * n.R())]


def test_000_log_derivative_identity_with_textcolor():
    text = (
        r"\textcolor{#eb3a32}{p_{\theta}(\tau) \nabla_{\theta} \log p_{\theta}(\tau)} "
        r"=p_{\theta}(\tau) \frac{\nabla_{\theta} p_{\theta}(\tau)}{p_{\theta}(\tau)}"
        r"=\textcolor{#3a79f6}{\nabla_{\theta} p_{\theta}(\tau)}."
    )
    assert parse_formula(text, n) == [
        P0 * Grad(log(P0), th),
        P0 * Ratio(Grad(P0, th), P0),
        Grad(P0, th),
    ]


def test_000_aligned_continuation_line():
    text = r"& = E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \log p_{\theta}(\tau) r(\tau)\right]"  # noqa: E501
    assert parse_formula(text, n) == [None, n.expectation(Grad(log(P0), th) * n.R())]


def test_000_log_density_one_sum_by_the_free_index_convention():
    text = (
        r"\log p_{\theta}(\tau)=\log p\left(\mathbf{s}_{1}\right)+\sum_{t=1}^{T} "
        r"\log \pi_{\theta}\left(\mathbf{a}_{t} \mid \mathbf{s}_{t}\right)"
        r"+\log p\left(\mathbf{s}_{t+1} \mid \mathbf{s}_{t}, \mathbf{a}_{t}\right)."
    )
    body = log(n.pi()) + log(n.p())
    assert parse_formula(text, n) == [log(P0), log(n.p0()) + Sum(body, n.time_range())]


def test_000_gradient_of_bracketed_log_density():
    text = (
        r"E_{\tau \sim p_{\theta}(\tau)}\left[\nabla_{\theta} \left[ \log p\left(\mathbf{s}_{1}"
        r"\right)+\sum_{t=1}^{T} \log \pi_{\theta}\left(\mathbf{a}_{t} \mid \mathbf{s}_{t}\right)"
        r"+\log p\left(\mathbf{s}_{t+1} \mid \mathbf{s}_{t}, \mathbf{a}_{t}\right)\right] "
        r"r(\tau)\right]"
    )
    inner = log(n.p0()) + Sum(log(n.pi()) + log(n.p()), n.time_range())
    assert parse_expression(text, n) == n.expectation(Grad(inner, th) * n.R())


def test_000_final_form():
    text = (
        r"\nabla_{\theta} J(\theta) = E_{\tau \sim p_{\theta}(\tau)}\left[\left(\sum_{t=1}^{T} "
        r"\nabla_{\theta} \log \pi_{\theta}\left(\mathbf{a}_{t} \mid \mathbf{s}_{t}\right)\right)"
        r"\left(\sum_{t=1}^{T} r\left(\mathbf{s}_{t}, \mathbf{a}_{t}\right)\right)\right]."
    )
    grads = Sum(Grad(log(n.pi()), th), n.time_range())
    assert parse_formula(text, n) == [
        Grad(n.J(), th),
        n.expectation(grads * n.return_expansion()),
    ]


# ---------------------------------------------------------------------------- seed 001

m1 = N001
P1 = m1.density_of()


def test_001_objective_with_colour_switches():
    text = (
        r"\color{red}J(\pi_{\theta}) \color{black}=\color{orange} "
        r"E_{\tau\sim p_{\pi_{\theta}}(\tau)}[\sum_{t} r(s_t,a_t)] \color{black}= "
        r"\color{green}\int \color{blue}P(\tau|\pi_{\theta})\color{green}R(\tau)d\tau"
    )
    assert parse_formula(text, m1) == [
        m1.J(),
        m1.expectation(m1.return_expansion()),
        TrajectoryIntegral(P1 * m1.R(), m1.tau),
    ]


def test_001_underset_expectation():
    text = (
        r"= \underset{\tau\sim\pi_{\theta}}{E}[\nabla_{\theta}\color{yellow}\log "
        r"P(\tau|\pi_{\theta})\color{green}R(\tau)\color{black}]"
    )
    assert parse_formula(text, m1) == [None, m1.expectation(Grad(log(P1), m1.theta) * m1.R())]


def test_001_cancelled_initial_term():
    text = (
        r"\nabla_{\theta}J(\pi_{\theta}) = \underset{\tau\sim\pi_{\theta}}{E}[\cancel{\nabla_{\theta}"  # noqa: E501
        r"\log corr(s_{0})} + \nabla_{\theta}\color{yellow} \sum_{t=1}^{T} (\log P(s_{t+1}|s_{t},"
        r"a_{t})+ \log \pi_{\theta}(a_t|s_t))\color{green}R(\tau)\color{black}]"
    )
    th1 = m1.theta
    corr0 = InitialDistribution("corr", m1.s(0))
    step = (log(m1.p()) + log(m1.pi())) * m1.R()
    body = Cancelled(Grad(log(corr0), th1)) + Grad(Sum(step, m1.time_range()), th1)
    assert parse_formula(text, m1) == [Grad(m1.J(), th1), m1.expectation(body)]


def test_001_log_density():
    text = (
        r"\log P(\tau|\pi_{\theta}) = \log corr(s_{0}) + \sum_{t=1}^{T} (\log P(s_{t+1}|s_{t},"
        r"a_{t})+ \log \pi_{\theta}(a_t|s_t))"
    )
    corr0 = InitialDistribution("corr", m1.s(0))
    assert parse_formula(text, m1) == [
        log(P1),
        log(corr0) + Sum(log(m1.p()) + log(m1.pi()), m1.time_range()),
    ]


# ---------------------------------------------------------------------------- seed 002

k = N002
P2 = k.density_of()
th2 = k.theta
tau_i = k.sample(k.i)


def test_002_gradient_of_trajectory_sum():
    text = r"\nabla_\theta J(\theta) = \nabla_\theta \sum_{\tau}P(\tau;\theta)R(\tau)"
    assert parse_formula(text, k) == [Grad(k.J(), th2), Grad(k.aggregate(P2 * k.R()), th2)]


def test_002_ratio_kept_visible():
    text = r"= \sum_{\tau} \frac{P(\tau;\theta)}{P(\tau;\theta)}\nabla_\theta P(\tau;\theta)R(\tau)"
    body = Ratio(P2, P2) * Grad(P2, th2) * k.R()
    assert parse_formula(text, k) == [None, TrajectorySum(body, k.tau)]


def test_002_plain_log_is_natural_log():
    text = r"\nabla_\theta J(\theta) = \sum_{\tau} P(\tau;\theta) \nabla_\theta log P(\tau;\theta) R(\tau)"  # noqa: E501
    body = P2 * Grad(log(P2), th2) * k.R()
    assert parse_formula(text, k) == [Grad(k.J(), th2), TrajectorySum(body, k.tau)]


def test_002_sample_estimate():
    text = (
        r"\nabla_\theta J(\theta) = \frac{1}{m} \sum^{m}_{i=1} \nabla_\theta log "
        r"P(\tau^{(i)};\theta)R(\tau^{(i)})"
    )
    body = Grad(log(k.density_of(tau_i)), th2) * k.R(tau_i)
    assert parse_formula(text, k) == [
        Grad(k.J(), th2),
        Ratio(1, k.m) * Sum(body, (k.i, Integer(1), k.m)),
    ]


def test_002_log_of_bracketed_product():
    text = (
        r"\nabla_\theta log P(\tau^{(i)};\theta)= \nabla_\theta log[ \mu(s_0^{(i)}) "
        r"\prod_{t=0}^{H} P(s_{t+1}^{(i)}|s_{t}^{(i)}, a_{t}^{(i)}) "
        r"\pi_\theta(a_{t}^{(i)}|s_{t}^{(i)})]"
    )
    prod = Product(k.p(k.t, tau_i) * k.pi(k.t, tau_i), k.time_range())
    assert parse_formula(text, k) == [
        Grad(log(k.density_of(tau_i)), th2),
        Grad(log(k.p0(tau_i) * prod), th2),
    ]


def test_002_sum_of_logs_with_limits():
    text = (
        r"\nabla_\theta \left[log \mu(s_0^{(i)}) + \sum\limits_{t=0}^{H}log "
        r"P(s_{t+1}^{(i)}|s_{t}^{(i)}, a_{t}^{(i)}) + \sum\limits_{t=0}^{H}log "
        r"\pi_\theta(a_{t}^{(i)}|s_{t}^{(i)})\right]"
    )
    inner = (
        log(k.p0(tau_i))
        + Sum(log(k.p(k.t, tau_i)), k.time_range())
        + Sum(log(k.pi(k.t, tau_i)), k.time_range())
    )
    assert parse_expression(text, k) == Grad(inner, th2)


def test_002_final_estimator_superscript_before_subscript():
    text = (
        r"\nabla_{\theta} J(\theta) = \hat{g} = \frac{1}{m} \sum^{m}_{i=1} \sum^{H}_{t=0} "
        r"\nabla_\theta \log \pi_\theta(a^{(i)}_{t} | s_{t}^{(i)})R(\tau^{(i)})"
    )
    inner = Sum(Grad(log(k.pi(k.t, tau_i)), th2) * k.R(tau_i), k.time_range())
    assert parse_formula(text, k) == [
        Grad(k.J(), th2),
        k.constant(r"\hat{g}"),
        Ratio(1, k.m) * Sum(inner, (k.i, Integer(1), k.m)),
    ]
