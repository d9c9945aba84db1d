"""compare_with_exact: calibrated on Gaussian data, singular covariances, deterministic bias."""

from __future__ import annotations

import numpy as np
import pytest

from pgproof.numeric.stats import compare_with_exact


@pytest.mark.parametrize("method", ["hotelling", "holm"])
def test_false_alarm_rate_on_gaussian_data_is_at_most_alpha(method):
    # 400 repetitions at α = 0.05 with a fixed seed: the binomial(400, 0.05) count exceeds
    # 34 with probability < 1e-3, so the bound only fails for a miscalibrated test.
    rng = np.random.default_rng(0)
    exact = np.array([1.0, -2.0, 0.5])
    alarms = sum(
        compare_with_exact(exact + rng.standard_normal((200, 3)), exact, 0.05, method).verdict
        == "biased"
        for _ in range(400)
    )
    assert 4 <= alarms <= 34


def test_shift_of_a_few_standard_errors_is_detected():
    rng = np.random.default_rng(1)
    samples = rng.standard_normal((2000, 4)) + np.array([0.0, 0.0, 0.15, 0.0])
    result = compare_with_exact(samples, np.zeros(4), alpha=0.01)
    assert result.verdict == "biased" and result.p_value < 1e-4
    assert result.method == "hotelling" and result.rank == 4
    np.testing.assert_allclose(result.stderr, np.sqrt(result.variance / 2000))


def test_singular_covariance_is_handled_on_its_range():
    # samples live on the plane x0 + x1 = 0, like the softmax score
    rng = np.random.default_rng(2)
    z = rng.standard_normal(3000)
    samples = np.stack([z, -z], axis=1) + np.array([0.3, -0.3])
    result = compare_with_exact(samples, np.array([0.3, -0.3]), alpha=0.01)
    assert result.rank == 1 and result.verdict == "unbiased"


def test_difference_outside_the_range_of_the_samples_is_certain_bias():
    rng = np.random.default_rng(3)
    z = rng.standard_normal(3000)
    samples = np.stack([z, -z], axis=1)
    result = compare_with_exact(samples + 1e-6, np.zeros(2), alpha=0.01)
    assert result.p_value == 0.0 and result.verdict == "biased"


def test_constant_estimator_equal_to_exact_is_unbiased():
    result = compare_with_exact(np.ones((10, 2)), np.ones(2))
    assert result.p_value == 1.0 and result.verdict == "unbiased" and result.rank == 0


def test_few_samples_fall_back_to_holm():
    rng = np.random.default_rng(4)
    result = compare_with_exact(rng.standard_normal((5, 8)), np.zeros(8), method="auto")
    assert result.method == "holm"
    with pytest.raises(ValueError, match="Hotelling's T² needs m > rank"):
        compare_with_exact(rng.standard_normal((5, 8)), np.zeros(8), method="hotelling")


@pytest.mark.parametrize(
    ("samples", "exact", "alpha", "message"),
    [
        (np.zeros((1, 2)), np.zeros(2), 0.01, "at least 2 samples"),
        (np.zeros((5, 3)), np.zeros(2), 0.01, r"shape \[5, 3\], expected \[5, 2\]"),
        (np.zeros((5, 2)), np.zeros(2), 1.5, r"alpha must lie in \(0, 1\)"),
    ],
)
def test_bad_arguments(samples, exact, alpha, message):
    with pytest.raises(ValueError, match=message):
        compare_with_exact(samples, exact, alpha)
