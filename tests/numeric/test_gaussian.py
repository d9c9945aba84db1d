"""Gaussian policies on a one-step problem: closed forms, quadrature, samples, validation.

∇J is computed by two independent routes, the closed form Σ_s ρ (c1 + 2 c2 μ) φ and
Gauss–Hermite quadrature of E_s E_a[∇ log π · r] (exact for these polynomial integrands),
which must agree to round-off.  Sampled checks use the betting test of
``reinforce_bias_test`` (valid at every m, level stated below) with fixed seeds, and a wrong
score must be caught by the same test.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from pgproof.numeric.gaussian import (
    GaussianBandit,
    action_expectation,
    draw_limit,
    exact_gradient,
    exact_objective,
    expected_score,
    log_density,
    log_policy,
    normal_quadrature,
    quadrature_gradient,
    quadrature_objective,
    random_gaussian_bandit,
    reinforce_bias_test,
    reinforce_gradient,
    reinforce_samples,
    reinforce_term_bounds,
    reward,
    sample,
    score,
)

# (n_states, n_features, sigma): the base case and the edge cases d = 1, S = 1, σ tiny/large.
CASES = [(4, 3, 0.5), (3, 1, 0.7), (1, 2, 1.3), (3, 2, 1e-3), (3, 2, 30.0)]
CASE_IDS = ["base", "d=1", "S=1", "sigma-tiny", "sigma-large"]

# Sampled checks: the betting test at level ALPHA per call (the terms bounded on an event of
# probability ≥ 1 - ALPHA/100, charged to ALPHA).  Its false-alarm rate is at most ALPHA at
# every m, so the chance that an arbitrary seed fails any of the unbiased checks below
# (2 per case) is at most 2 · len(CASES) · ALPHA = 1e-5; the seeds are fixed, so the tests
# are deterministic.
ALPHA = 1e-6
SAMPLES = 100_000


def make_case(n_states: int, n_features: int, sigma: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    bandit = random_gaussian_bandit(rng, n_states=n_states, n_features=n_features, sigma=sigma)
    return bandit, bandit.random_theta(rng)


def agreement(exact: np.ndarray) -> float:
    """Tolerance of the two routes to ∇J: 1e-10 relative to (1 + max |∇J_j|).

    Quadrature is exact here, so only round-off separates the routes; the largest part is
    the rounding of a_k = μ + σ x_k (≤ ε|μ|), amplified by 1/σ² in (a_k - μ)/σ².  Over 500
    seeds of every case the measured disagreement was ≤ 4e-15 for σ ≥ 0.5 and ≤ 2.5e-11
    for σ = 1e-3 (|μ| ≤ 8), so 1e-10 holds with margin and still catches any real error.
    """
    return 1e-10 * (1.0 + float(np.abs(exact).max()))


def score_round_off(bandit: GaussianBandit, theta: np.ndarray) -> float:
    """Bound on the round-off of E_a[score] = Σ_k w_k (a_k - μ)/σ² φ: 1e-13 (1+|μ|) |φ| / σ.

    (Measured: ≤ 1.1e-13 |φ|/σ over 500 seeds, |μ| ≤ 8.)"""
    mu = float(np.abs(bandit.mean(theta)).max())
    return 1e-13 * (1.0 + mu) * float(np.abs(bandit.features).max()) / bandit.sigma


def wrong_score(bandit, theta, states, actions):
    """A classic slip: (a - μ)/σ · φ instead of (a - μ)/σ² · φ (its mean is σ ∇J)."""
    return score(bandit, theta, states, actions) * bandit.sigma


def test_the_stated_level_covers_the_draws_beyond_the_bounds():
    # m draws all within X standard deviations except with probability α/100
    limit = draw_limit(SAMPLES, ALPHA)
    assert SAMPLES * math.erfc(limit / math.sqrt(2)) == pytest.approx(ALPHA / 100, rel=1e-6)
    assert 2 * len(CASES) * ALPHA <= 1e-5


# --- closed forms against quadrature -------------------------------------------------------


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_policy_gradient_identity_closed_form_equals_score_function_quadrature(
    n_states, n_features, sigma
):
    bandit, theta = make_case(n_states, n_features, sigma)
    exact = exact_gradient(bandit, theta)
    tolerance = agreement(exact)
    for n_nodes in (2, 3, 8, 20):  # exact for degree ≤ 2n - 1 ≥ 3 = deg(score · r)
        np.testing.assert_allclose(
            quadrature_gradient(bandit, theta, n_nodes), exact, rtol=0, atol=tolerance
        )


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_objective_closed_form_equals_quadrature(n_states, n_features, sigma):
    bandit, theta = make_case(n_states, n_features, sigma)
    exact = exact_objective(bandit, theta)
    for n_nodes in (2, 8):
        assert quadrature_objective(bandit, theta, n_nodes) == pytest.approx(exact, rel=1e-12)


def test_one_node_quadrature_is_not_exact_so_the_comparison_can_fail():
    # One node sits at a = μ where the score vanishes: the "gradient" is 0, not ∇J.
    bandit, theta = make_case(4, 3, 0.5)
    exact = exact_gradient(bandit, theta)
    assert np.abs(exact).max() > 0.1
    np.testing.assert_allclose(quadrature_gradient(bandit, theta, 1), 0.0, atol=1e-15)


def test_wrong_score_quadrature_gives_sigma_times_the_gradient():
    bandit, theta = make_case(4, 3, 0.5)
    exact = exact_gradient(bandit, theta)
    wrong = quadrature_gradient(bandit, theta, score_fn=wrong_score)
    np.testing.assert_allclose(wrong, bandit.sigma * exact, rtol=1e-12)
    assert np.abs(wrong - exact).max() > 0.1 * np.abs(exact).max()


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_expected_score_is_zero_and_baselines_do_not_change_the_gradient(
    n_states, n_features, sigma
):
    bandit, theta = make_case(n_states, n_features, sigma)
    mean_score = expected_score(bandit, theta)
    assert mean_score.shape == (n_states, n_features)
    np.testing.assert_allclose(mean_score, 0.0, atol=score_round_off(bandit, theta))
    # E_a[score · b(s)] = b(s) E_a[score] = 0 for any b(s), state by state ...
    b = np.random.default_rng(9).normal(scale=5.0, size=n_states)
    per_state = action_expectation(
        bandit, theta, lambda s, a: score(bandit, theta, s, a) * b[s][..., None]
    )
    atol = score_round_off(bandit, theta) * float(np.abs(b).max())
    np.testing.assert_allclose(per_state, 0.0, atol=atol)
    # ... so subtracting b(s) from the reward leaves ∇J unchanged (the round-off of the
    # score is now multiplied by r - b instead of r, hence the factor 1 + max |b|).
    exact = exact_gradient(bandit, theta)
    atol = agreement(exact) * (1.0 + float(np.abs(b).max()))
    np.testing.assert_allclose(
        quadrature_gradient(bandit, theta, baseline=b), exact, rtol=0, atol=atol
    )


def test_quadrature_rule_has_unit_mass_and_standard_normal_moments():
    nodes, weights = normal_quadrature(5)
    moments = [float(weights @ nodes**k) for k in range(10)]  # exact up to degree 9
    np.testing.assert_allclose(moments, [1, 0, 1, 0, 3, 0, 15, 0, 105, 0], atol=1e-12)


# --- log-density and score -----------------------------------------------------------------


def test_log_density_matches_the_normal_density():
    a = np.array([-1.0, 0.0, 0.3, 2.5])
    mu, sigma = 0.3, 0.8
    density = np.exp(-((a - mu) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(np.exp(log_density(a, mu, sigma)), density, rtol=1e-14)


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_finite_difference_of_log_density_in_theta_matches_the_score(n_states, n_features, sigma):
    bandit, theta = make_case(n_states, n_features, sigma)
    states, actions = sample(bandit, theta, 6, np.random.default_rng(4))
    analytic = score(bandit, theta, states, actions)
    # log π is quadratic in θ, so the central difference has no truncation error: only
    # round-off, ~ ε |log π| / h.
    h = 1e-4 * max(sigma, 1e-2)
    numeric = np.empty_like(analytic)
    for j in range(n_features):
        step = np.zeros(n_features)
        step[j] = h
        up = log_policy(bandit, theta + step, states, actions)
        down = log_policy(bandit, theta - step, states, actions)
        numeric[:, j] = (up - down) / (2 * h)
    size = np.abs(log_policy(bandit, theta, states, actions)).max() + 1.0
    np.testing.assert_allclose(numeric, analytic, rtol=1e-7, atol=1e-12 * size / h)


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_finite_difference_of_the_objective_matches_the_closed_form_gradient(
    n_states, n_features, sigma
):
    bandit, theta = make_case(n_states, n_features, sigma)
    h = 1e-4
    numeric = np.array(
        [
            (exact_objective(bandit, theta + h * e) - exact_objective(bandit, theta - h * e))
            / (2 * h)
            for e in np.eye(n_features)
        ]
    )
    size = abs(exact_objective(bandit, theta)) + 1.0
    np.testing.assert_allclose(
        numeric, exact_gradient(bandit, theta), rtol=1e-8, atol=1e-12 * size / h
    )


# --- sampled REINFORCE ---------------------------------------------------------------------


@pytest.mark.parametrize(("n_states", "n_features", "sigma"), CASES, ids=CASE_IDS)
def test_reinforce_is_unbiased_by_a_test_valid_at_every_m(n_states, n_features, sigma):
    bandit, theta = make_case(n_states, n_features, sigma)
    exact = exact_gradient(bandit, theta)
    terms = reinforce_samples(bandit, theta, SAMPLES, np.random.default_rng(2024))
    assert terms.shape == (SAMPLES, n_features)
    result = reinforce_bias_test(bandit, theta, SAMPLES, np.random.default_rng(2024), alpha=ALPHA)
    assert result.verdict == "unbiased" and result.method == "betting", result.statement()
    assert np.all(result.lower <= exact) and np.all(exact <= result.upper)
    np.testing.assert_allclose(result.mean, terms.mean(axis=0))  # the same draws
    # A baseline b(s) = E_a r(s, a) leaves the estimator unbiased too.
    value = action_expectation(bandit, theta, lambda s, a: reward(bandit, s, a))
    with_baseline = reinforce_bias_test(
        bandit, theta, SAMPLES, np.random.default_rng(2025), alpha=ALPHA, baseline=value
    )
    assert with_baseline.verdict == "unbiased", with_baseline.statement()


def test_the_same_test_detects_the_wrong_score():
    # Its mean is σ ∇J ≠ ∇J (σ = 0.5): the same test, seed and m must reject it.  Its terms
    # are σ times the true ones, so their bounds are σ times theirs.
    bandit, theta = make_case(4, 3, 0.5)
    exact = exact_gradient(bandit, theta)
    low, high = reinforce_term_bounds(bandit, theta, draw_limit(SAMPLES, ALPHA))
    bounds = (bandit.sigma * low, bandit.sigma * high)

    result = reinforce_bias_test(
        bandit, theta, SAMPLES, np.random.default_rng(2024), alpha=ALPHA,
        score_fn=wrong_score, bounds=bounds,
    )  # fmt: skip
    assert result.verdict == "biased" and result.p_value < ALPHA
    # ... while its sample mean is consistent with its own (wrong) mean σ ∇J
    assert np.all(result.lower <= bandit.sigma * exact + 1e-12)
    assert np.all(bandit.sigma * exact <= result.upper + 1e-12)
    with pytest.raises(ValueError, match=r"needs bounds=\(lower, upper\)"):
        reinforce_bias_test(bandit, theta, 100, np.random.default_rng(0), score_fn=wrong_score)


def test_the_false_alarm_rate_at_small_m_is_at_most_alpha():
    # the z-test raised false alarms at rate 0.195 for α = 0.05 at m = 20; the betting test
    # holds α at every m.  binomial(300, 0.05) > 24 has probability 0.03.
    bandit, theta = make_case(4, 3, 0.5)
    rng = np.random.default_rng(7)
    alarms = sum(
        reinforce_bias_test(bandit, theta, 20, rng, alpha=0.05).verdict == "biased"
        for _ in range(300)
    )
    assert alarms <= 24


def test_the_term_bounds_hold_on_every_action_within_the_limit():
    bandit, theta = make_case(3, 2, 0.7)
    limit = 4.0
    low, high = reinforce_term_bounds(bandit, theta, limit)
    x = np.linspace(-limit, limit, 2001)
    for s in range(bandit.n_states):
        actions = bandit.mean(theta)[s] + bandit.sigma * x
        states = np.full(x.size, s)
        terms = score(bandit, theta, states, actions) * reward(bandit, states, actions)[:, None]
        assert np.all(terms >= low - 1e-12) and np.all(terms <= high + 1e-12)
    # and the bound is attained (up to the grid) by some state and action
    assert np.all(high - low > 0)


def test_reinforce_gradient_is_the_mean_of_the_samples_and_is_reproducible():
    bandit, theta = make_case(4, 3, 0.5)
    terms = reinforce_samples(bandit, theta, 1000, np.random.default_rng(1))
    mean = reinforce_gradient(bandit, theta, 1000, np.random.default_rng(1))
    np.testing.assert_array_equal(mean, terms.mean(axis=0))


def test_samples_follow_rho_and_the_policy():
    bandit, theta = make_case(3, 2, 0.5)
    states, actions = sample(bandit, theta, SAMPLES, np.random.default_rng(6))
    counts = np.bincount(states, minlength=3) / SAMPLES
    np.testing.assert_allclose(counts, bandit.initial, atol=5 * 0.5 / math.sqrt(SAMPLES))
    residual = (actions - bandit.mean(theta)[states]) / bandit.sigma
    assert abs(residual.mean()) < 5 / math.sqrt(SAMPLES)
    assert abs(residual.std() - 1.0) < 5 * math.sqrt(0.5 / SAMPLES)


# --- validation ----------------------------------------------------------------------------


def valid_fields():
    return {
        "initial": [0.25, 0.75],
        "features": [[1.0, 0.0], [0.5, -1.0]],
        "c0": [0.0, 1.0],
        "c1": [1.0, -1.0],
        "c2": [-0.5, 0.2],
        "sigma": 0.5,
    }


def build(**changes):
    fields = valid_fields()
    fields.update(changes)
    return GaussianBandit(**fields)


def test_valid_bandit_has_sizes_and_read_only_arrays():
    bandit = build()
    assert (bandit.n_states, bandit.n_features, bandit.sigma) == (2, 2, 0.5)
    assert repr(bandit) == "GaussianBandit(S=2, d=2, sigma=0.5)"
    with pytest.raises(ValueError):
        bandit.c1[0] = 3.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sigma": 0.0}, r"sigma must be positive, got 0\.0"),
        ({"sigma": -1.0}, r"sigma must be positive, got -1\.0"),
        ({"sigma": float("nan")}, r"sigma must be a finite number, got nan"),
        ({"sigma": float("inf")}, r"sigma must be a finite number, got inf"),
        ({"initial": [0.5, 0.4]}, r"initial sums to 0\.9, not 1"),
        ({"initial": []}, r"initial must be a non-empty vector"),
        ({"features": [[1.0, 0.0]]}, r"features has shape \[1, 2\], expected \[S, d\] with S = 2"),
        ({"features": [1.0, 0.0]}, r"features has shape \[2\], expected \[S, d\]"),
        ({"features": np.zeros((2, 0))}, r"features has shape \[2, 0\].*d >= 1"),
        ({"c2": [1.0, 2.0, 3.0]}, r"c2 has shape \[3\], expected \[2\]"),
        ({"c0": ["a", "b"]}, r"c0\[0\] must be a number"),
    ],
)
def test_bad_fields_raise_value_error_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        build(**changes)


def test_sigma_change_through_replace_is_validated():
    bandit = build()
    assert dataclasses.replace(bandit, sigma=2.0).sigma == 2.0
    with pytest.raises(ValueError, match="sigma must be positive"):
        dataclasses.replace(bandit, sigma=-0.1)


def test_bad_arguments_raise_value_error():
    bandit = build()
    theta = np.zeros(2)
    with pytest.raises(ValueError, match=r"theta has shape \[3\], expected \[2\]"):
        exact_gradient(bandit, np.zeros(3))
    with pytest.raises(ValueError, match=r"states has shape \[2\] but actions has shape \[3\]"):
        score(bandit, theta, [0, 1], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"states\[1\] = 2 is not in \[0, 2\)"):
        reward(bandit, [0, 2], [0.0, 1.0])
    with pytest.raises(ValueError, match="states must be integers"):
        score(bandit, theta, [0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="sigma must be positive"):
        log_density(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"baseline has shape \[3\], expected \[2\]"):
        quadrature_gradient(bandit, theta, baseline=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="n_nodes must be an integer >= 1"):
        quadrature_gradient(bandit, theta, 0)
    with pytest.raises(ValueError, match="m must be an integer >= 1"):
        reinforce_gradient(bandit, theta, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_features must be an integer >= 1"):
        random_gaussian_bandit(np.random.default_rng(0), n_states=2, n_features=0)
    with pytest.raises(ValueError, match="m must be an integer >= 2"):
        reinforce_bias_test(bandit, theta, 1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample(bandit, theta, 5, 0)
