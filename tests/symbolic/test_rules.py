"""Every rule: a right claim is accepted, a wrong one refused (with the reason)."""

from __future__ import annotations

import pytest
from sympy import Integer, Product, Sum, Symbol, log

from pgproof.kernel.objects import (
    Equation,
    Ratio,
    SampleMean,
    TrajectoryIntegral,
    TrajectorySum,
)
from pgproof.symbolic.rules import UnknownRule, lookup

from .helpers import DISCRETE, N, grad, identity, prove

p, r, J, tau, t, T = N.density_of(), N.R(), N.J(), N.tau, N.t, N.T
E = N.expectation
pi, dyn, p0 = N.pi(), N.p(), N.p0()
RANGE = N.time_range()


def accepted(report) -> bool:
    return report.accepted


def test_expectation_to_integral() -> None:
    assert identity(E(r), N.aggregate(p * r), "expectation_to_integral").accepted
    wrong = identity(E(r), N.aggregate(r), "expectation_to_integral")
    assert not wrong.accepted and "where the claim has" in wrong.reason


def test_expectation_to_integral_refuses_a_discrete_space() -> None:
    bad = identity(
        DISCRETE.expectation(r),
        TrajectoryIntegral(p * r, tau),
        "expectation_to_integral",
        n=DISCRETE,
    )
    assert not bad.accepted and "needs a continuous trajectory space" in bad.reason


def test_expectation_to_sum_and_back() -> None:
    e = DISCRETE.expectation(r)
    assert identity(e, TrajectorySum(p * r, tau), "expectation_to_sum", n=DISCRETE).accepted
    assert identity(TrajectorySum(p * r, tau), e, "sum_to_expectation", n=DISCRETE).accepted
    assert not identity(e, TrajectorySum(r, tau), "expectation_to_sum", n=DISCRETE).accepted


def test_integral_to_expectation_needs_the_density_factor() -> None:
    assert identity(
        TrajectoryIntegral(p * grad(log(p)) * r, tau),
        E(grad(log(p)) * r),
        "integral_to_expectation",
    ).accepted
    bad = identity(TrajectoryIntegral(grad(p) * r, tau), E(grad(p) * r), "integral_to_expectation")
    assert not bad.accepted and "has no factor p_θ(τ)" in bad.reason


def test_grad_under_integral_states_its_assumption() -> None:
    ok = identity(
        grad(TrajectoryIntegral(p * r, tau)),
        TrajectoryIntegral(grad(p * r), tau),
        "grad_under_integral",
    )
    assert ok.accepted and any("dominated convergence" in a for a in ok.assumptions)
    assert not identity(
        grad(TrajectoryIntegral(p * r, tau)),
        TrajectoryIntegral(grad(p), tau),
        "grad_under_integral",
    ).accepted


def test_grad_of_sum() -> None:
    a, b = log(pi), log(dyn)
    assert identity(grad(a + b), grad(a) + grad(b), "grad_of_sum").accepted
    assert identity(grad(Sum(a, RANGE)), Sum(grad(a), RANGE), "grad_of_sum").accepted
    assert not identity(grad(a + b), grad(a) * grad(b), "grad_of_sum").accepted


def test_grad_of_sum_refuses_limits_that_depend_on_theta() -> None:
    # θ..θ+T is a provably ordered range (T + 1 terms) that moves with θ
    limits = (t, N.theta, N.theta + N.T)
    bad = identity(grad(Sum(log(pi), limits)), Sum(grad(log(pi)), limits), "grad_of_sum")
    assert not bad.accepted and "limits of the sum over t depend on θ" in bad.reason


def test_constant_factor_only_pulls_theta_free_factors() -> None:
    assert identity(grad(p * r), grad(p) * r, "constant_factor").accepted
    wrong = identity(grad(p * r), p * grad(r), "constant_factor")
    assert not wrong.accepted


def test_product_rule() -> None:
    assert identity(grad(p * pi), grad(p) * pi + p * grad(pi), "product_rule").accepted
    assert not identity(grad(p * pi), grad(p) * grad(pi), "product_rule").accepted


def test_drop_zero_gradient() -> None:
    assert identity(grad(log(p0)) + grad(log(pi)), grad(log(pi)), "drop_zero_gradient").accepted
    silent = identity(grad(log(dyn)) + grad(log(pi)), grad(log(dyn)), "drop_zero_gradient")
    assert not silent.accepted


def test_drop_zero_gradient_checks_the_terms_the_author_names() -> None:
    claim = identity(
        grad(log(dyn)) + grad(log(pi)), grad(log(dyn)), "drop_zero_gradient", terms=(log(pi),)
    )
    assert not claim.accepted
    assert "log π_θ(a_t|s_t) depends on θ through π_θ(a_t|s_t): it cannot be dropped" in (
        claim.reason
    )
    assert "keeps log p(s_{t + 1}|s_t,a_t) inside ∇" in claim.reason
    fine = identity(
        grad(log(dyn)) + grad(log(pi)), grad(log(pi)), "drop_zero_gradient", terms=(log(dyn),)
    )
    assert fine.accepted


def test_differentiate_and_log_both_sides() -> None:
    assert prove((J, E(r)), (grad(J), grad(E(r))), "differentiate_both_sides").accepted
    assert not prove((J, E(r)), (grad(J), E(grad(r))), "differentiate_both_sides").accepted
    expansion = N.trajectory_density()
    assert prove((p, expansion), (log(p), log(expansion)), "log_both_sides").accepted
    bad = prove((r, N.return_expansion()), (log(r), log(N.return_expansion())), "log_both_sides")
    assert not bad.accepted and "needs r(τ) > 0" in bad.reason


def test_log_derivative_trick_both_ways() -> None:
    assert identity(grad(p), p * grad(log(p)), "log_derivative_trick").accepted
    assert identity(grad(log(p)), Ratio(grad(p), p), "log_derivative_trick").accepted
    assert identity(Ratio(grad(p), p), grad(log(p)), "log_derivative_trick").accepted
    assert identity(p * grad(log(p)) * r, grad(p) * r, "log_derivative_trick").accepted


def test_log_derivative_trick_refuses_wrong_factors_and_signs() -> None:
    assert not identity(grad(p), -p * grad(log(p)), "log_derivative_trick").accepted
    assert not identity(grad(p), r * grad(log(p)), "log_derivative_trick").accepted
    assert not identity(grad(p), grad(log(p)), "log_derivative_trick").accepted
    bad = identity(grad(r), r * grad(log(r)), "log_derivative_trick")
    assert not bad.accepted and "needs r(τ) > 0" in bad.reason


def test_log_of_product() -> None:
    expansion = N.trajectory_density()
    good = log(p0) + Sum(log(pi) + log(dyn), RANGE)
    assert identity(log(expansion), good, "log_of_product").accepted
    # Σ log over a different range, or a missing term, is refused
    assert not identity(log(expansion), log(p0) + Sum(log(pi), RANGE), "log_of_product").accepted
    off = log(p0) + Sum(log(pi) + log(dyn), (t, 0, T))
    assert not identity(log(expansion), off, "log_of_product").accepted


def test_log_of_product_needs_positive_factors() -> None:
    bad = identity(log(r * p), log(r) + log(p), "log_of_product")
    assert not bad.accepted and "needs r(τ) > 0" in bad.reason


def test_log_of_a_product_over_t_needs_positive_factors() -> None:
    rewards = Product(N.r(), RANGE)
    bad = identity(log(rewards), Sum(log(N.r()), RANGE), "log_of_product")
    assert not bad.accepted and "> 0" in bad.reason


def test_split_and_merge_sums() -> None:
    joined = Sum(log(pi) + log(dyn), RANGE)
    split = Sum(log(pi), RANGE) + Sum(log(dyn), RANGE)
    assert identity(joined, split, "split_sum").accepted
    assert identity(split, joined, "merge_sums").accepted
    assert not identity(joined, Sum(log(pi), RANGE), "split_sum").accepted


def test_linearity_of_expectation() -> None:
    c = Symbol("c")
    n = N.__class__(state="s", action="a", constants=("c",))
    e = n.expectation
    assert identity(e(c * r), c * e(r), "linearity_of_expectation", n=n).accepted
    assert identity(
        e(r + grad(log(p))), e(r) + e(grad(log(p))), "linearity_of_expectation", n=n
    ).accepted
    # r(τ) depends on τ: it cannot leave the expectation
    assert not identity(
        e(r * grad(log(p))), r * e(grad(log(p))), "linearity_of_expectation", n=n
    ).accepted


def test_monte_carlo_estimate_is_an_estimate() -> None:
    tau_i = N.sample()
    report = identity(
        E(grad(log(p)) * r),
        SampleMean(grad(log(N.density_of(tau_i))) * N.R(tau_i), N.i, N.m),
        "monte_carlo_estimate",
    )
    assert report.accepted and report.estimate and report.relation == "≈"
    wrong = identity(
        E(grad(log(p)) * r), SampleMean(grad(log(p)) * r, N.i, N.m), "monte_carlo_estimate"
    )
    assert not wrong.accepted


def test_algebra_accepts_only_what_sympy_proves() -> None:
    assert identity(p * Ratio(grad(p), p), grad(p), "algebra").accepted
    assert identity(r * (grad(p) + p), r * grad(p) + r * p, "algebra").accepted
    wrong = identity(r * (grad(p) + p), r * grad(p) + p, "algebra")
    assert not wrong.accepted and "SymPy cannot prove" in wrong.reason


def test_algebra_does_not_do_calculus() -> None:
    assert not identity(p * grad(log(p)), grad(p), "algebra").accepted


def test_multiply_divide() -> None:
    body = grad(p) * r
    assert identity(body, Ratio(p, p) * body, "multiply_divide").accepted
    bad = identity(body, Ratio(r, r) * body, "multiply_divide")
    assert not bad.accepted and "r(τ)" in bad.reason and "not known to be nonzero" in bad.reason


def test_definition_unfolds_and_folds() -> None:
    assert identity(J, E(r), "definition").accepted
    assert identity(p, N.trajectory_density(), "definition").accepted
    assert identity(N.return_expansion(), r, "definition").accepted
    without_initial = Product(pi * dyn, RANGE)
    assert not identity(p, without_initial, "definition").accepted


def test_substitute_uses_the_referenced_step() -> None:
    expansion = log(p0) + Sum(log(pi) + log(dyn), RANGE)
    report = prove(
        (grad(J), E(grad(log(p)) * r)),
        (grad(J), E(grad(expansion) * r)),
        "substitute",
        reference=(log(p), expansion),
    )
    assert report.accepted
    wrong = prove(
        (grad(J), E(grad(log(p)) * r)),
        (grad(J), E(grad(log(p0)) * r)),
        "substitute",
        reference=(log(p), expansion),
    )
    assert not wrong.accepted


def test_restate() -> None:
    assert prove((J, E(r)), (J, E(r)), "restate").accepted
    assert not prove((J, E(r)), (J, E(r * Integer(2))), "restate").accepted


def test_cancelled_term_must_be_zero() -> None:
    from pgproof.kernel.objects import Cancelled

    ok = identity(
        grad(log(p0) + log(pi)),
        Cancelled(grad(log(p0))) + grad(log(pi)),
        "grad_of_sum",
        "drop_zero_gradient",
    )
    assert ok.accepted
    bad = identity(grad(log(p0) + log(pi)), Cancelled(grad(log(pi))) + grad(log(p0)), "grad_of_sum")
    assert not bad.accepted and "struck-out term" in bad.reason


def test_unknown_rule_names_the_nearest() -> None:
    with pytest.raises(UnknownRule) as err:
        lookup("log_derivative_trik")
    assert "log_derivative_trick" in str(err.value)


def test_aliases_find_the_rule() -> None:
    assert lookup("likelihood ratio trick").name == "log_derivative_trick"
    assert lookup("Linearity-of-Gradient").name == "grad_of_sum"


def test_equation_is_not_evaluated() -> None:
    e = Equation(J, J)
    assert e.lhs == e.rhs == J and e == e.func(*e.args)


def test_algebra_keeps_dependence_on_the_summation_index() -> None:
    # Σ_t ∇ log π_θ(a_t|s_t) is not T·∇ log π_θ(a_t|s_t): the opaque ∇ keeps t.
    term = grad(log(pi))
    assert not identity(Sum(term, RANGE), T * term, "algebra").accepted
    assert identity(Sum(2 * term, RANGE), 2 * Sum(term, RANGE), "algebra").accepted


def test_nested_and_flattened_sums_compare_equal() -> None:
    # SymPy flattens Σ_i Σ_t f into one Sum with two limits; canonical form must not care.
    i, m = N.i, N.m
    tau_i = N.sample()
    score = grad(log(N.pi(traj=tau_i)))
    ret = N.R(tau_i)
    flat = Sum(score * ret, RANGE, (i, 1, m))
    nested = Sum(ret * Sum(score, RANGE), (i, 1, m))
    assert identity(flat, nested, "restate").accepted
    # ...but the outer sum cannot silently disappear
    assert not identity(flat, ret * Sum(score, RANGE), "restate").accepted
