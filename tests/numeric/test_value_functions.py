"""Exact tabular V, Q, A, d_k and d^π, and the policy-gradient theorem identities.

Checked against brute force (conditional expectations over enumerated continuations and
over :func:`pgproof.numeric.enumeration.iter_trajectories`), against the dynamic programme
of :mod:`pgproof.numeric.dp`, against long finite-horizon truncations (infinite horizon)
and against finite differences of J; wrong formulas must be caught.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp, solve
from pgproof.numeric.enumeration import (
    exact_gradient_enumeration,
    exact_objective,
    iter_trajectories,
)
from pgproof.numeric.mdp import TabularMDP, random_mdp
from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax, softmax
from pgproof.numeric.trajectories import return_from
from pgproof.numeric.value_functions import (
    discount_weights,
    discounted_visitation,
    finite_horizon_policy_gradient,
    finite_horizon_values,
    infinite_horizon_policy_gradient,
    infinite_horizon_values,
    policy_gradient_sum,
    softmax_jacobian,
    state_distributions,
)

EXACT = 1e-10
DISCOUNTS = [1.0, 0.9, 0.5, 0.0]


def random_policy(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random (time-dependent if shape is [T, S, A]) policy table."""
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


def brute_force_values(mdp: TabularMDP, pi: np.ndarray, gamma: float):
    """Q_k(s,a) and V_k(s) as conditional expectations of the reward to go, by enumerating
    every continuation (a_k,) s_{k+1}, a_{k+1}, ..., s_{T-1}, a_{T-1} -- no recursion."""
    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    q = np.zeros((horizon, n_states, n_actions))
    for k, s, a in itertools.product(range(horizon), range(n_states), range(n_actions)):
        steps = horizon - 1 - k
        for rest in itertools.product(range(n_states), range(n_actions), repeat=steps):
            path = [(s, a), *zip(rest[::2], rest[1::2], strict=True)]
            prob, ret = 1.0, 0.0
            for j, (state, action) in enumerate(path):
                if j:
                    before = path[j - 1]
                    prob *= mdp.transition[before[0], before[1], state] * pi[k + j, state, action]
                ret += gamma**j * mdp.reward[state, action]
            q[k, s, a] += prob * ret
    v = np.zeros((horizon, n_states))
    for k, s, a in itertools.product(range(horizon), range(n_states), range(n_actions)):
        v[k, s] += pi[k, s, a] * q[k, s, a]  # E[G_k | s_k = s] = Σ_a π(a|s) E[G_k | s, a]
    return q, v


def enumerated_conditionals(mdp: TabularMDP, theta: np.ndarray):
    """d_k(s) = Σ_τ p(τ) 1[s_k = s] and Q_k(s,a) = E[G_k | s_k = s, a_k = a] over all τ
    of :func:`iter_trajectories` (time-dependent softmax θ [T, S, A])."""
    policy = TimeDependentSoftmax(mdp.n_states, mdp.n_actions, mdp.horizon)
    shape = (mdp.horizon, mdp.n_states, mdp.n_actions)
    joint, weighted = np.zeros(shape), np.zeros(shape)
    d = np.zeros(shape[:2])
    for chunk in iter_trajectories(mdp, policy, theta, chunk_size=64):
        returns = return_from(chunk.to_batch(mdp), mdp)  # G_k = Σ_{j≥k} γ^{j-k} r_j
        for k in range(mdp.horizon):
            s, a = chunk.states[:, k], chunk.actions[:, k]
            np.add.at(joint[k], (s, a), chunk.prob)
            np.add.at(weighted[k], (s, a), chunk.prob * returns[:, k])
            d[k] += np.bincount(s, chunk.prob, minlength=mdp.n_states)
    return d, weighted / joint


# ------------------------------------------------------------------ finite horizon


@pytest.mark.parametrize("gamma", DISCOUNTS)
@pytest.mark.parametrize("seed", [0, 1])
def test_q_and_v_are_conditional_expectations_of_the_reward_to_go(seed, gamma):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(3, 2, 4, rng, gamma, min_reward=-1.0)
    pi = random_policy(rng, (4, 3, 2))
    solution = finite_horizon_values(mdp, pi)
    q, v = brute_force_values(mdp, pi, gamma)
    np.testing.assert_allclose(solution.q_values, q, rtol=0, atol=EXACT)
    np.testing.assert_allclose(solution.values, v, rtol=0, atol=EXACT)
    np.testing.assert_allclose(solution.advantages, q - v[..., None], rtol=0, atol=EXACT)
    np.testing.assert_allclose((pi * solution.advantages).sum(-1), 0.0, atol=EXACT)


@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_d_k_and_q_match_conditioning_on_enumerated_trajectories(gamma):
    rng = np.random.default_rng(2)
    mdp = random_mdp(3, 2, 4, rng, gamma)
    theta = rng.standard_normal((4, 3, 2))
    solution = finite_horizon_values(mdp, softmax(theta))
    d, q = enumerated_conditionals(mdp, theta)
    np.testing.assert_allclose(solution.distributions, d, rtol=0, atol=EXACT)
    np.testing.assert_allclose(solution.q_values, q, rtol=0, atol=EXACT)
    np.testing.assert_allclose(state_distributions(mdp, softmax(theta)), d, rtol=0, atol=EXACT)
    np.testing.assert_allclose(d.sum(axis=1), 1.0, atol=EXACT)


@pytest.mark.parametrize("gamma", DISCOUNTS)
def test_objective_visitation_and_tables_match_enumeration_and_dp(gamma):
    rng = np.random.default_rng(3)
    mdp = random_mdp(4, 3, 3, rng, gamma)
    policy = TabularSoftmax(4, 3)
    theta = policy.random_theta(rng)
    pi = softmax(theta)
    solution = finite_horizon_values(mdp, pi)
    J = mdp.initial @ solution.values[0]
    assert abs(J - solution.objective) < EXACT
    assert abs(J - exact_objective(mdp, policy, theta)) < EXACT
    assert abs(J - exact_objective_dp(mdp, policy, theta)) < EXACT
    dp = solve(mdp, policy, theta)
    np.testing.assert_allclose(solution.values, dp.values[:-1], rtol=0, atol=EXACT)
    np.testing.assert_allclose(solution.q_values, dp.q_values, rtol=0, atol=EXACT)
    np.testing.assert_allclose(solution.distributions, dp.visitation[:-1], rtol=0, atol=EXACT)
    # J = Σ_k γ^k d_k · r^π = d^π · r^π with the unnormalised d^π
    unnormalised = discounted_visitation(mdp, pi)
    np.testing.assert_allclose(unnormalised, solution.visitation, rtol=0, atol=EXACT)
    assert abs(unnormalised @ (pi * mdp.reward).sum(1) - J) < EXACT
    mass = discount_weights(gamma, mdp.horizon).sum()
    assert abs(unnormalised.sum() - mass) < EXACT
    normalised = discounted_visitation(mdp, pi, normalized=True)
    np.testing.assert_allclose(normalised, unnormalised / mass, rtol=0, atol=EXACT)
    assert abs(normalised.sum() - 1.0) < EXACT


@pytest.mark.parametrize("gamma", DISCOUNTS)
@pytest.mark.parametrize("kind", ["tabular", "time_dependent"])
def test_finite_horizon_policy_gradient_identity_matches_dp(kind, gamma):
    rng = np.random.default_rng(4)
    mdp = random_mdp(3, 3, 5, rng, gamma, min_reward=-2.0)
    policy = TabularSoftmax(3, 3) if kind == "tabular" else TimeDependentSoftmax(3, 3, 5)
    theta = policy.random_theta(rng)
    identity = finite_horizon_policy_gradient(mdp, theta)
    np.testing.assert_allclose(identity, exact_gradient_dp(mdp, policy, theta), atol=EXACT)
    np.testing.assert_allclose(
        identity, exact_gradient_enumeration(mdp, policy, theta), rtol=0, atol=EXACT
    )


def test_both_index_conventions_give_the_same_identity():
    """CS285 (t = 1..T, weight γ^{t-1}) and Spinning Up (t = 0..T-1, weight γ^t)."""
    rng = np.random.default_rng(5)
    mdp = random_mdp(3, 2, 4, rng, 0.7)
    policy = TabularSoftmax(3, 2)
    theta = policy.random_theta(rng)
    solution = finite_horizon_values(mdp, softmax(theta))
    jacobian = softmax_jacobian(theta)
    expected = exact_gradient_dp(mdp, policy, theta)
    for first in (0, 1):
        total = np.zeros_like(theta)
        for t in range(first, first + mdp.horizon):
            _, q, _, d = solution.at(t, first=first)
            total += 0.7 ** (t - first) * np.einsum("s,sa,sab->sb", d, q, jacobian)
        np.testing.assert_allclose(total, expected, rtol=0, atol=EXACT)
    v, q, a, d = solution.at(1, first=1)
    np.testing.assert_array_equal(q, solution.q_values[0])
    assert solution.at(mdp.horizon, first=1)[0] is not None
    with pytest.raises(ValueError, match="outside 1..4"):
        solution.at(0, first=1)
    with pytest.raises(ValueError, match="outside 0..3"):
        solution.at(4, first=0)
    with pytest.raises(ValueError, match="first must be 0 or 1"):
        solution.at(1, first=2)


@pytest.mark.parametrize("seed", [6, 7])
def test_wrong_discount_exponents_in_the_identity_are_detected(seed):
    """γ^{k+1} (1-based t with γ^t) or no discount at all: off by far more than 1e-6."""
    rng = np.random.default_rng(seed)
    gamma = 0.8
    mdp = random_mdp(3, 2, 4, rng, gamma)
    policy = TabularSoftmax(3, 2)
    theta = policy.random_theta(rng)
    solution = finite_horizon_values(mdp, softmax(theta))
    expected = exact_gradient_dp(mdp, policy, theta)
    d, q = solution.distributions, solution.q_values
    right = policy_gradient_sum(theta, d, q, gamma ** np.arange(4))
    np.testing.assert_allclose(right, expected, rtol=0, atol=EXACT)
    for weights in (gamma ** np.arange(1, 5), np.ones(4), gamma ** (2 * np.arange(4))):
        wrong = policy_gradient_sum(theta, d, q, weights)
        assert np.abs(wrong - expected).max() > 1e-6
    # a state-only term contributes nothing (Σ_a ∇π(a|s) = 0), so A = Q - V serves as well
    state_only = np.broadcast_to(solution.values[..., None], q.shape)
    assert np.abs(policy_gradient_sum(theta, d, state_only)).max() < 1e-12
    with_advantage = policy_gradient_sum(theta, d, solution.advantages, gamma ** np.arange(4))
    np.testing.assert_allclose(with_advantage, expected, rtol=0, atol=EXACT)


# ---------------------------------------------------------------- infinite horizon


@pytest.mark.parametrize("gamma", [0.9, 0.5, 0.0])
@pytest.mark.parametrize("seed", [8, 9])
def test_infinite_horizon_matches_a_long_truncation(seed, gamma):
    rng = np.random.default_rng(seed)
    short = random_mdp(4, 3, 1, rng, gamma, min_reward=-1.0)
    pi = random_policy(rng, (4, 3))
    exact = infinite_horizon_values(short, pi)
    bound = lambda T: gamma**T * np.abs(short.reward).max() / (1 - gamma)  # noqa: E731
    for horizon in (5, 20):  # |J - J_T| ≤ γ^T max|r| / (1-γ) holds at every T
        mdp = TabularMDP(short.initial, short.transition, short.reward, horizon, gamma)
        assert abs(exact.objective - finite_horizon_values(mdp, pi).objective) <= bound(horizon)
    horizon = 400  # γ^T max|r| / (1-γ) < 1e-17
    mdp = TabularMDP(short.initial, short.transition, short.reward, horizon, gamma)
    assert bound(horizon) < 1e-15
    truncated = finite_horizon_values(mdp, pi)
    np.testing.assert_allclose(exact.values, truncated.values[0], rtol=0, atol=EXACT)
    np.testing.assert_allclose(exact.q_values, truncated.q_values[0], rtol=0, atol=EXACT)
    np.testing.assert_allclose(exact.advantages, truncated.advantages[0], rtol=0, atol=EXACT)
    np.testing.assert_allclose(exact.visitation, truncated.visitation, rtol=0, atol=EXACT)
    assert abs(exact.objective - truncated.objective) < EXACT
    assert abs(exact.visitation.sum() - 1 / (1 - gamma)) < EXACT
    assert abs(exact.normalized_visitation.sum() - 1.0) < EXACT
    r_pi = (pi * short.reward).sum(1)
    assert abs(exact.visitation @ r_pi - exact.objective) < EXACT  # J = d^π · r_π
    # Bellman equation V = r_π + γ P_π V
    kernel = np.einsum("sa,sat->st", pi, short.transition)
    np.testing.assert_allclose(exact.values, r_pi + gamma * kernel @ exact.values, atol=EXACT)


@pytest.mark.parametrize("gamma", [0.9, 0.6, 0.0])
def test_infinite_horizon_gradient_matches_truncation_and_finite_differences(gamma):
    rng = np.random.default_rng(10)
    mdp = random_mdp(4, 3, 400, rng, gamma, min_reward=-1.0)
    policy = TabularSoftmax(4, 3)
    theta = policy.random_theta(rng)
    identity = infinite_horizon_policy_gradient(mdp, theta)
    np.testing.assert_allclose(identity, exact_gradient_dp(mdp, policy, theta), atol=EXACT)

    def objective(point: np.ndarray) -> float:
        return infinite_horizon_values(mdp, softmax(point)).objective

    h = 1e-3
    differences = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = h
        differences[index] = (
            -objective(theta + 2 * step)
            + 8 * objective(theta + step)
            - 8 * objective(theta - step)
            + objective(theta - 2 * step)
        ) / (12 * h)
    np.testing.assert_allclose(identity, differences, rtol=0, atol=EXACT)
    # normalising d^π (the (1-γ) factor) or dropping discounting in d^π is wrong
    solution = infinite_horizon_values(mdp, softmax(theta))
    normalised = policy_gradient_sum(theta, solution.normalized_visitation, solution.q_values)
    if gamma > 0:
        assert np.abs(normalised - identity).max() > 1e-6


# ---------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "shape", [(1, 3, 4), (3, 1, 4), (3, 2, 1), (1, 1, 1)], ids=["S=1", "A=1", "T=1", "all=1"]
)
@pytest.mark.parametrize("gamma", [0.0, 0.9])
def test_degenerate_sizes(shape, gamma):
    n_states, n_actions, horizon = shape
    rng = np.random.default_rng(11)
    mdp = random_mdp(n_states, n_actions, horizon, rng, gamma)
    policy = TabularSoftmax(n_states, n_actions)
    theta = policy.random_theta(rng)
    pi = softmax(theta)
    gradient = finite_horizon_policy_gradient(mdp, theta)
    np.testing.assert_allclose(gradient, exact_gradient_dp(mdp, policy, theta), atol=EXACT)
    solution = finite_horizon_values(mdp, pi)
    q, v = brute_force_values(mdp, np.broadcast_to(pi, (horizon, *pi.shape)), gamma)
    np.testing.assert_allclose(solution.q_values, q, rtol=0, atol=EXACT)
    r_pi = (pi * mdp.reward).sum(1)
    if horizon == 1 or gamma == 0.0:  # Q_0 = r, V_0 = r_π
        np.testing.assert_allclose(solution.q_values[0], mdp.reward, atol=EXACT)
        np.testing.assert_allclose(solution.values[0], r_pi, atol=EXACT)
    if n_actions == 1:  # nothing to choose: no gradient, A = 0
        np.testing.assert_allclose(gradient, 0.0, atol=EXACT)
        np.testing.assert_allclose(solution.advantages, 0.0, atol=EXACT)
    infinite = infinite_horizon_values(mdp, pi)
    if n_states == 1:  # V = r_π / (1-γ)
        np.testing.assert_allclose(infinite.values, r_pi / (1 - gamma), atol=EXACT)
    if gamma == 0.0:  # V = r_π, d^π = ρ
        np.testing.assert_allclose(infinite.values, r_pi, atol=EXACT)
        np.testing.assert_allclose(infinite.visitation, mdp.initial, atol=EXACT)


@pytest.mark.parametrize("scale", [20.0, 60.0])
def test_peaked_policies(scale):
    rng = np.random.default_rng(12)
    mdp = random_mdp(3, 3, 4, rng, 0.9)
    for policy in (TabularSoftmax(3, 3), TimeDependentSoftmax(3, 3, 4)):
        theta = policy.random_theta(rng, scale=scale)
        identity = finite_horizon_policy_gradient(mdp, theta)
        np.testing.assert_allclose(identity, exact_gradient_dp(mdp, policy, theta), atol=EXACT)
        np.testing.assert_allclose(
            identity, exact_gradient_enumeration(mdp, policy, theta), rtol=0, atol=EXACT
        )
    theta = TabularSoftmax(3, 3).random_theta(rng, scale=scale)
    long = TabularMDP(mdp.initial, mdp.transition, mdp.reward, 400, 0.9)
    np.testing.assert_allclose(
        infinite_horizon_policy_gradient(mdp, theta),
        exact_gradient_dp(long, TabularSoftmax(3, 3), theta),
        rtol=0,
        atol=EXACT,
    )


def test_softmax_jacobian_is_the_derivative_of_pi():
    rng = np.random.default_rng(13)
    theta = rng.standard_normal((3, 4))
    jacobian = softmax_jacobian(theta)
    h = 1e-6
    for s, b in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[s, b] = h
        column = (softmax(theta + step) - softmax(theta - step)) / (2 * h)
        np.testing.assert_allclose(column[s], jacobian[s, :, b], atol=1e-9)
        np.testing.assert_allclose(np.delete(column, s, axis=0), 0.0, atol=1e-12)


# -------------------------------------------------------------------------- errors


def test_bad_inputs_raise_clear_value_errors():
    rng = np.random.default_rng(14)
    mdp = random_mdp(3, 2, 4, rng, 1.0)
    pi = random_policy(rng, (3, 2))
    with pytest.raises(ValueError, match="γ < 1"):
        infinite_horizon_values(mdp, pi)  # mdp.discount = 1
    with pytest.raises(ValueError, match="γ < 1"):
        infinite_horizon_policy_gradient(mdp, np.zeros((3, 2)), discount=1.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        finite_horizon_values(mdp, pi, discount=-0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        finite_horizon_values(mdp, pi, discount=1.5)
    with pytest.raises(ValueError, match=r"expected \[T, S, A\] = \[4, 3, 2\]"):
        finite_horizon_values(mdp, np.full((3, 3, 2), 0.5))
    with pytest.raises(ValueError, match=r"stationary policy \[S, A\]"):
        infinite_horizon_values(mdp, np.full((4, 3, 2), 0.5), discount=0.5)
    with pytest.raises(ValueError, match="sum to 1"):
        finite_horizon_values(mdp, np.full((3, 2), 0.6))
    with pytest.raises(ValueError, match="non-negative"):
        state_distributions(mdp, np.array([[1.5, -0.5]] * 3))
    with pytest.raises(ValueError, match="theta has shape"):
        finite_horizon_policy_gradient(mdp, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="theta has shape"):
        infinite_horizon_policy_gradient(mdp, np.zeros((4, 3, 2)), discount=0.5)
    with pytest.raises(ValueError, match="weights has shape"):
        policy_gradient_sum(np.zeros((3, 2)), np.ones((4, 3)), np.ones((4, 3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="shapes do not fit"):
        policy_gradient_sum(np.zeros((3, 2)), np.ones((4, 3)), np.ones((4, 2, 2)))
