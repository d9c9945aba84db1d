"""Formulas about one state: what s, a, a', θ^⊤φ, \\exp, \\sqrt, \\mathcal{N}, Σ_{a'} and
E_{a'∼π_θ(·|s)} are read as, and that nothing is rewritten while reading."""

from __future__ import annotations

import pytest
from sympy import S, exp, sqrt

from pgproof.kernel.objects import Grad, Policy, Ratio
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
from pgproof.latex.parser import parse_expression
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.text import show

SOFTMAX = Notation(scope="state", state="s", action="a", policy_class="linear_softmax")
GAUSSIAN = Notation(scope="state", state="s", action="a", policy_class="gaussian")


def read(text: str, n: Notation = SOFTMAX):
    return parse_expression(text, n)


def test_one_state_and_one_action() -> None:
    s, a = read("s"), read("a")
    assert isinstance(s, StateSymbol) and isinstance(a, ActionSymbol)
    assert a.is_real is None  # a softmax action is a label
    assert read("a", GAUSSIAN).is_real  # a Gaussian action is a real number
    policy = read(r"\pi_\theta(a \mid s)")
    assert isinstance(policy, Policy) and policy.free_symbols == {s, a, SOFTMAX.theta}


def test_theta_transposed_phi_is_one_factor() -> None:
    logit = read(r"\theta^\top \phi(s, a)")
    assert isinstance(logit, Inner) and isinstance(logit.args[1], FeatureVector)
    assert read(r"\theta^{\top}\phi(s,a)") == logit
    grad = read(r"\nabla_\theta \theta^\top \phi(s, a)")
    assert grad == Grad(logit, SOFTMAX.theta)
    assert read(r"\exp \theta^\top \phi(s, a)") == exp(logit)
    assert read(r"2 \theta^\top \phi(s, a) \pi_\theta(a \mid s)") == 2 * logit * read(
        r"\pi_\theta(a \mid s)"
    )
    assert show(logit) == "θ^⊤φ(s, a)"
    assert read(r"\phi(s, a)^\top \theta").args == (logit.args[1], SOFTMAX.theta)


def test_sums_and_expectations_over_actions_bind_their_action() -> None:
    total = read(r"\sum_{a'} \exp(\theta^\top \phi(s, a'))")
    assert isinstance(total, ActionSum)
    assert total.free_symbols == {read("s"), SOFTMAX.theta}
    expectation = read(r"E_{a' \sim \pi_\theta(\cdot \mid s)}[\phi(s, a')]")
    assert isinstance(expectation, ActionExpectation)
    assert expectation.density == read(r"\sum_{a'} \pi_\theta(a' \mid s)").expr
    assert show(expectation) == "E_{a'∼π_θ(·|s)}[φ(s, a')]"
    assert read(r"\mathbb{E}_{a' \sim \pi_\theta(a' \mid s)}[\phi(s, a')]") == expectation


def test_a_bound_action_may_have_any_number_of_primes() -> None:
    """Σ_{a'} f(a') and Σ_{a''} f(a'') are one sum (compared up to the bound name)."""
    one = read(r"\sum_{a'} \exp(\theta^\top \phi(s, a'))")
    two = read(r"\sum_{a''} \exp(\theta^\top \phi(s, a''))")
    assert one == two and hash(one) == hash(two)
    assert one != read(r"\sum_{a'} \exp(\theta^\top \phi(s, a))")
    nested = read(r"\sum_{a'} \sum_{a''} \pi_\theta(a' \mid s) \phi(s, a'')")
    swapped = read(r"\sum_{a'} \sum_{a''} \pi_\theta(a'' \mid s) \phi(s, a')")
    assert nested != swapped


def test_the_normal_density_and_its_pieces() -> None:
    density = read(r"\mathcal{N}(a; \mu_\theta(s), \sigma^2)", GAUSSIAN)
    assert isinstance(density, GaussianDensity) and density.is_positive
    assert isinstance(density.mean, ParametrisedFunction)
    assert density.variance == GAUSSIAN.sigma**2 and GAUSSIAN.sigma.is_positive
    assert read(r"\mathcal N(a \mid \mu_\theta(s), \sigma^2)", GAUSSIAN) == density
    assert read(r"\sqrt{2\pi}", GAUSSIAN) == sqrt(2 * S.Pi)
    assert read(r"\frac{1}{\sigma\sqrt{2\pi}}", GAUSSIAN) == Ratio(
        1, GAUSSIAN.sigma * sqrt(2 * S.Pi)
    )
    assert density.doit() == exp(
        -((read("a", GAUSSIAN) - density.mean) ** 2) / (2 * GAUSSIAN.sigma**2)
    ) / sqrt(2 * S.Pi * GAUSSIAN.sigma**2)


def test_a_function_of_theta_prints_with_its_subscript() -> None:
    mean = read(r"\mu_\theta(s)", GAUSSIAN)
    assert show(mean) == "μ_θ(s)" and GAUSSIAN.theta in mean.free_symbols
    assert read(r"\phi(s, a)").free_symbols == {read("s"), read("a")}


def test_sympy_cancels_log_and_exp_only_where_that_is_exact() -> None:
    """log exp x = x for a real x, exp log x = x for x > 0: SymPy's own evaluation."""
    assert read(r"\log \exp(\theta^\top \phi(s, a))") == read(r"\theta^\top \phi(s, a)")
    assert read(r"\exp\log \pi_\theta(a|s)") == read(r"\pi_\theta(a|s)")
    kept = read(
        r"\log \exp(\theta^\top \phi(s, a) \cdot b)",
        Notation(
            scope="state", state="s", action="a", policy_class="linear_softmax", constants=("b",)
        ),
    )
    assert kept.has(exp)  # b is not known real: log exp is kept


def test_the_default_scope_still_needs_a_time_index() -> None:
    from pgproof.latex.parser import LatexError

    with pytest.raises(LatexError, match="needs a time subscript"):
        read("s", Notation(state="s", action="a"))
