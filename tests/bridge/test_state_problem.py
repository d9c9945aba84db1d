"""Problems about one state: the policy classes, sums and quadrature over actions, ∇ of
θ^⊤φ on the gradient axis, witnesses, and what has no meaning there."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pgproof.bridge.compare import compare_on
from pgproof.bridge.state_evaluate import StateEvaluator, evaluator_for
from pgproof.bridge.state_problem import StateInstance, draw_problem, draw_state_instance
from pgproof.bridge.values import GRAD, NotEvaluable
from pgproof.bridge.witness import Witness, write_witness
from pgproof.latex.parser import parse_expression
from pgproof.numeric.gaussian import action_expectation
from pgproof.numeric.policies import softmax
from pgproof.symbolic.notation import Notation

SOFTMAX = Notation(scope="state", state="s", action="a", policy_class="linear_softmax")
GAUSSIAN = Notation(scope="state", state="s", action="a", policy_class="gaussian")


def value(text: str, inst: StateInstance, n: Notation):
    return StateEvaluator(inst, n).evaluate(parse_expression(text, n))


@pytest.fixture
def softmax_problem() -> StateInstance:
    return draw_state_instance(np.random.default_rng(1), SOFTMAX, "t", generic=True)


@pytest.fixture
def gaussian_problem() -> StateInstance:
    return draw_state_instance(np.random.default_rng(2), GAUSSIAN, "t", generic=True)


def test_the_linear_softmax_policy_and_its_score(softmax_problem) -> None:
    inst = softmax_problem
    pi = softmax(inst.features @ inst.theta)
    got = value(r"\pi_\theta(a \mid s)", inst, SOFTMAX)
    assert got.axes == ("s", "a") and np.allclose(got.data, pi)
    score = value(r"\nabla_\theta \log \pi_\theta(a \mid s)", inst, SOFTMAX)
    mean_feature = np.einsum("sa,sad->sd", pi, inst.features)
    expected = inst.features - mean_feature[:, None, :]
    assert score.axes == ("s", "a", GRAD)
    assert np.allclose(score.data, expected, atol=1e-8)
    closed = value(r"\phi(s, a) - E_{a' \sim \pi_\theta(\cdot \mid s)}[\phi(s, a')]", inst, SOFTMAX)
    assert np.allclose(closed.transpose_to(("s", "a", GRAD)), expected)


def test_theta_transposed_phi_contracts_the_gradient_axis(softmax_problem) -> None:
    inst = softmax_problem
    got = value(r"\theta^\top \phi(s, a)", inst, SOFTMAX)
    assert got.axes == ("s", "a") and np.allclose(got.data, inst.features @ inst.theta)
    total = value(r"\sum_{a'} \pi_\theta(a' \mid s)", inst, SOFTMAX)
    assert total.axes == ("s",) and np.allclose(total.data, 1.0)


def test_the_gaussian_policy_is_the_bandits(gaussian_problem) -> None:
    inst = gaussian_problem
    bandit = inst.bandit
    mu = bandit.mean(inst.theta)
    got = value(r"\pi_\theta(a \mid s)", inst, GAUSSIAN)
    a, m = inst.action_points[None, :], mu[:, None]
    density = np.exp(-((a - m) ** 2) / (2 * bandit.sigma**2)) / np.sqrt(2 * np.pi * bandit.sigma**2)
    assert np.allclose(got.transpose_to(("s", "a")), density)
    normal = value(r"\mathcal{N}(a; \mu_\theta(s), \sigma^2)", inst, GAUSSIAN)
    assert np.allclose(normal.transpose_to(("s", "a")), density)


@pytest.mark.parametrize(
    ("body", "closed"),
    [
        ("a'", lambda mu, s: mu),
        ("a'^2", lambda mu, s: mu**2 + s**2),
        (r"(a' - \mu_\theta(s))^4", lambda mu, s: 3 * s**4 + 0 * mu),
    ],
)
def test_expectations_over_gaussian_actions_by_quadrature(gaussian_problem, body, closed):
    inst = gaussian_problem
    got = value(rf"E_{{a' \sim \pi_\theta(\cdot \mid s)}}[{body}]", inst, GAUSSIAN)
    mu = inst.bandit.mean(inst.theta)
    assert np.allclose(got.data, closed(mu, inst.sigma))


def test_the_quadrature_agrees_with_the_bandits_own(gaussian_problem) -> None:
    inst = gaussian_problem
    n = GAUSSIAN
    score = value(
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}[\frac{a' - \mu_\theta(s)}{\sigma^2}]", inst, n
    )
    own = action_expectation(
        inst.bandit, inst.theta, lambda s, a: (a - inst.bandit.mean(inst.theta)[s]) / inst.sigma**2
    )
    assert np.allclose(score.data, own) and np.allclose(score.data, 0.0, atol=1e-10)


def test_trajectories_have_no_meaning_about_one_state(softmax_problem) -> None:
    with pytest.raises(NotEvaluable, match="formula about one state"):
        StateEvaluator(softmax_problem, SOFTMAX).evaluate(SOFTMAX.density_of())
    with pytest.raises(NotEvaluable, match="no trajectory"):
        softmax_problem.probabilities()


def test_draw_problem_keeps_the_mdps_of_trajectory_notations() -> None:
    """A trajectory notation draws exactly what it drew before (same random stream)."""
    from pgproof.bridge.instance import Instance, draw_instance

    n = Notation(state="s", action="a", constants=("b",), state_functions=("c",))
    one = draw_problem(np.random.default_rng(5), n, 500, "x", True)
    two = draw_instance(np.random.default_rng(5), 1, 500, "x", True, ("b",), (("c", 1),))
    assert isinstance(one, Instance) and (one.theta == two.theta).all()
    assert isinstance(evaluator_for(one, n), type(evaluator_for(two, n)))
    assert isinstance(draw_problem(np.random.default_rng(5), SOFTMAX, 500), StateInstance)


def test_a_witness_names_the_state_the_action_and_the_coordinate(gaussian_problem, tmp_path):
    n = GAUSSIAN
    left = parse_expression(r"\nabla_\theta \log \pi_\theta(a \mid s)", n)
    right = parse_expression(r"\frac{a - \mu_\theta(s)}{\sigma} \nabla_\theta \mu_\theta(s)", n)
    outcome = compare_on(left, right, gaussian_problem, n)
    assert not outcome.agree
    w = Witness.build("step", gaussian_problem, "l", "r", outcome)
    assert w.coordinate is not None and len(w.coordinate) == 1
    assert sorted(p[:2] for p in w.point) == ["a=", "s="]
    assert "witness: problem Gaussian policy" in w.text()
    path = write_witness(w, tmp_path, "case")
    data = json.loads(path.read_text())
    assert data["policy_class"] == "gaussian" and data["sigma"] == gaussian_problem.sigma
    assert w.to_json()["problem"]["theta"] == gaussian_problem.theta.tolist()
