"""The Python API: seed 000 written with the objects directly, checked and rendered.

The derivation files are the source of truth for the seeds; this test keeps the
API honest (building steps from Notation objects, checking, rendering, Jupyter).
"""

from __future__ import annotations

from sympy import Integer, Product, Sum, log

from pgproof.kernel.objects import Grad, Ratio
from pgproof.present import latex
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation, ExpectedRejection, Step
from pgproof.symbolic.notation import Notation

n = Notation()
p, r, J, E = n.density_of(), n.R(), n.J(), n.expectation


def g(e):
    return Grad(e, n.theta)


def seed_000_steps() -> tuple[Step, ...]:
    inner = log(n.p0()) + Sum(log(n.pi()) + log(n.p()), n.time_range())
    return (
        Step(lhs=J, rhs=E(r), rules=("definition",), source="self"),
        Step(rhs=n.aggregate(p * r), rules=("expectation_to_integral",)),
        Step(
            lhs=g(J),
            rhs=n.aggregate(g(p) * r),
            rules=("differentiate_both_sides", "grad_under_integral", "constant_factor"),
        ),
        Step(
            lhs=p * g(log(p)),
            rhs=p * Ratio(g(p), p),
            rules=("log_derivative_trick",),
            source="self",
        ),
        Step(rhs=g(p), rules=("algebra",)),
        Step(
            lhs=g(J),
            rhs=n.aggregate(p * g(log(p)) * r),
            rules=("substitute",),
            source=3,
            reference=5,
        ),
        Step(rhs=E(g(log(p)) * r), rules=("integral_to_expectation",)),
        Step(lhs=p, rhs=n.trajectory_density(), rules=("definition",), source="self"),
        Step(lhs=log(p), rhs=inner, rules=("log_both_sides", "log_of_product")),
        Step(lhs=g(J), rhs=E(g(inner) * r), rules=("substitute",), source=7, reference=9),
        Step(
            rhs=E(Sum(g(log(n.pi())), n.time_range()) * n.return_expansion()),
            rules=("grad_of_sum", "drop_zero_gradient", "definition"),
        ),
    )


def test_seed_000_through_the_api() -> None:
    report = check_derivation(Derivation("000", "000_f89af4cbc279160f.txt", n, seed_000_steps()))
    assert report.verdict == "accepted", report.text()
    assert report.as_expected


def test_dropping_the_initial_factor_is_refused_through_the_api() -> None:
    steps = list(seed_000_steps())
    steps[7] = Step(
        lhs=p, rhs=Product(n.pi() * n.p(), n.time_range()), rules=("definition",), source="self"
    )
    expected = ExpectedRejection(8, "definition", "claim_differs", "gives")
    d = Derivation("000 broken", "test", n, tuple(steps), expected=expected)
    report = check_derivation(d)
    assert report.first_rejection is not None and report.first_rejection.index == 8
    assert report.as_expected


def test_objects_are_unevaluated_and_rebuildable() -> None:
    for expr in (p, r, J, E(g(log(p)) * r), n.aggregate(p * r), Ratio(p, p), g(log(n.pi()))):
        assert expr == expr.func(*expr.args)
    assert Ratio(p, p) != 1 and Ratio(p, p).doit() == 1
    assert E(r).free_symbols == {n.theta}  # τ is bound; θ enters through the density
    assert n.theta in n.pi().free_symbols and n.theta not in n.p().free_symbols


def test_latex_printing_and_jupyter() -> None:
    assert (
        latex(E(r))
        == r"\mathbb{E}_{\tau \sim p_{\theta}\left(\tau\right)}\left[r\left(\tau\right)\right]"
    )
    assert latex(g(log(p))).startswith(r"\nabla_{\theta} \log")
    d = Derivation("000", "000", n, seed_000_steps())
    shown = d._repr_latex_()
    assert shown.count(r"\checkmark") == len(seed_000_steps())
    assert r"\begin{align*}" in shown and r"\text{(1) definition}" in shown


def test_a_gradient_in_another_parameter_symbol_is_unusable() -> None:
    import pytest
    from sympy import Symbol

    from pgproof.symbolic.derivation import DerivationError

    other = Symbol("theta", positive=True)  # prints as θ but is not the notation's θ
    steps = (
        Step(
            lhs=Grad(log(n.pi()), other),
            rhs=Integer(0),
            rules=("drop_zero_gradient",),
            source="self",
        ),
    )
    with pytest.raises(DerivationError) as info:
        check_derivation(Derivation("mixed", "test", n, steps))
    assert "this notation's parameter is" in info.value.message
