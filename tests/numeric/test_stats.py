"""compare_with_exact: three verdicts, the betting test, Hotelling with diagnostics, and no
answer without the bounds a test valid at every m needs.

Statistical assertions use fixed seeds and state the rate that a correct implementation
would exceed them with under fresh randomness.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pgproof.numeric.stats import compare_with_exact

EXACT = np.array([0.3, -0.2, 0.1])
BOUNDS = (EXACT - 1.0, EXACT + 1.0)


def uniform_samples(rng, m, shift=0.0):
    return EXACT + shift + rng.uniform(-1.0, 1.0, (m, 3)) * (1.0 - abs(shift))


@pytest.mark.parametrize("m", [20, 200, 2000])
def test_bernstein_false_alarm_rate_is_at_most_alpha(m):
    # 400 repetitions at α = 0.05: a binomial(400, 0.05) count exceeds 30 with probability
    # 0.15, so ≤ 30 fails only for a test above its level (this one is conservative)
    rng = np.random.default_rng(m)
    alarms = sum(
        compare_with_exact(uniform_samples(rng, m), EXACT, 0.05, bounds=BOUNDS).verdict == "biased"
        for _ in range(400)
    )
    assert alarms <= 30


#: Gaussian noise clipped symmetrically at 8 standard deviations: the mean stays EXACT
WIDE = (EXACT - 8.0, EXACT + 8.0)


def gaussian_samples(rng, m):
    return EXACT + np.clip(rng.standard_normal((m, 3)), -8.0, 8.0)


def test_hotelling_false_alarm_rate_on_gaussian_data_is_near_alpha():
    # binomial(400, 0.05) lies in [8, 34] with probability > 0.999
    rng = np.random.default_rng(0)
    alarms = sum(
        compare_with_exact(gaussian_samples(rng, 200), EXACT, 0.05, "hotelling", bounds=WIDE)
        .verdict == "biased"
        for _ in range(400)
    )  # fmt: skip
    assert 8 <= alarms <= 34


def test_without_bounds_no_comparison_is_answered():
    # the legacy call (asymptotic Hotelling, diagnostics only reported) raised false alarms
    # at rates 0.12-0.46 for α = 0.05 at m = 50: it refuses, naming the bounds it needs
    samples = np.random.default_rng(1).standard_normal((50, 3))
    for method in ("betting", "bernstein", "auto", "hotelling"):
        with pytest.raises(ValueError, match=r"needs bounds=\(lower, upper\)"):
            compare_with_exact(samples, EXACT, 0.05, method)
    with pytest.raises(ValueError, match="'asymptotic' was removed.*give bounds"):
        compare_with_exact(samples, EXACT, 0.05, "asymptotic", bounds=WIDE)


def test_shift_is_detected_and_the_certain_bias_is_stated():
    rng = np.random.default_rng(1)
    samples = uniform_samples(rng, 20_000, shift=0.05)
    result = compare_with_exact(samples, EXACT, alpha=0.01, bounds=BOUNDS)
    assert result.verdict == "biased" and result.method == "betting"
    assert 0 < result.bias_at_least < 0.05 < result.excluded_bias
    assert result.p_value < 0.01
    assert "differs from ∇J by at least" in result.statement()
    hotelling = compare_with_exact(samples, EXACT, alpha=0.01, method="hotelling", bounds=BOUNDS)
    assert hotelling.verdict == "biased" and hotelling.method == "hotelling"


def test_tolerance_makes_three_verdicts():
    rng = np.random.default_rng(2)
    samples = uniform_samples(rng, 5000)
    loose = compare_with_exact(samples, EXACT, 0.01, bounds=BOUNDS, tolerance=0.5)
    tight = compare_with_exact(samples, EXACT, 0.01, bounds=BOUNDS, tolerance=0.001)
    none = compare_with_exact(samples, EXACT, 0.01, bounds=BOUNDS)
    assert loose.verdict == "unbiased" and loose.excluded_bias <= 0.5
    assert tight.verdict == "inconclusive" and tight.excluded_bias > 0.001
    assert none.verdict == "unbiased"  # no tolerance: "consistent with unbiased"
    assert np.all(none.lower <= EXACT) and np.all(none.upper >= EXACT)
    assert "no bias larger than" in loose.statement()
    assert "does not reach the tolerance" in tight.statement()
    # the confidence set holds E[ĝ] = EXACT, and δ is its largest distance to it
    assert np.all(tight.lower <= EXACT) and np.all(tight.upper >= EXACT)
    assert math.isclose(
        tight.excluded_bias, max(np.max(tight.upper - EXACT), np.max(EXACT - tight.lower))
    )


def test_singular_covariance_is_handled_on_its_range():
    # samples live on the plane x0 + x1 = 0, like the softmax score
    rng = np.random.default_rng(2)
    z = rng.standard_normal(3000)
    samples = np.stack([z, -z], axis=1) + np.array([0.3, -0.3])
    bounds = (np.array([0.3, -0.3]) - 8.0, np.array([0.3, -0.3]) + 8.0)
    result = compare_with_exact(
        samples, np.array([0.3, -0.3]), alpha=0.01, method="hotelling", bounds=bounds
    )
    assert result.method == "hotelling" and result.rank == 1 and result.verdict == "unbiased"


def test_a_difference_where_the_samples_do_not_vary_is_never_p_zero():
    # a coordinate that was never seen to move (a rare state): the asymptotic tests refuse
    rng = np.random.default_rng(3)
    z = rng.standard_normal(3000)
    samples = np.stack([z, np.zeros(3000)], axis=1).clip(-5, 5)
    result = compare_with_exact(
        samples, np.array([0.0, 1e-3]), 0.01, "hotelling", bounds=(-5.0, 5.0)
    )
    assert result.method == "betting"  # Hotelling refused, the bounded test decided
    assert any("Hotelling declined" in n and "do not vary" in n for n in result.notes)
    assert result.verdict in ("unbiased", "inconclusive") and 0 < result.p_value <= 1
    # the finite-sample test's p-value is never 0 from a coordinate that does not vary
    bounded = compare_with_exact(samples, np.array([0.0, 1e-3]), 0.01, bounds=(-5.0, 5.0))
    assert bounded.verdict in ("unbiased", "inconclusive") and bounded.p_value > 0
    assert not math.isnan(bounded.p_value)


def test_estimator_outside_its_range_is_certainly_biased():
    # ∇J outside [lo, hi]: no estimator with these bounds can have mean ∇J
    samples = np.full((10, 1), 0.5)
    result = compare_with_exact(samples, np.array([2.0]), 0.01, bounds=(0.0, 1.0))
    assert result.verdict == "biased" and result.p_value == 0.0


def test_constant_estimator_equal_to_exact_is_unbiased():
    result = compare_with_exact(np.ones((10, 2)), np.ones(2), bounds=(0.0, 2.0))
    assert result.verdict == "unbiased" and result.rank == 0
    hotelling = compare_with_exact(np.ones((10, 2)), np.ones(2), method="hotelling", bounds=(0, 2))
    assert hotelling.verdict == "unbiased" and hotelling.rank == 0


def test_hotelling_is_declined_where_its_diagnostics_fail():
    rng = np.random.default_rng(4)
    few = rng.standard_normal((30, 8)).clip(-8, 8)
    result = compare_with_exact(few, np.zeros(8), method="hotelling", bounds=(-8.0, 8.0))
    assert result.method == "betting" and result.verdict != "biased"
    assert any("Hotelling declined" in note and "rank" in note for note in result.notes)
    # rare, skewed events: declined, and with bounds the finite-sample test takes over
    rare = (rng.random((2000, 1)) < 0.002).astype(float)
    skewed = compare_with_exact(rare, np.array([0.002]), method="hotelling", bounds=(0.0, 1.0))
    assert skewed.method == "betting" and skewed.verdict == "unbiased"
    assert any("skewness" in note for note in skewed.notes)


@pytest.mark.parametrize(
    ("samples", "exact", "alpha", "kwargs", "message"),
    [
        (np.zeros((1, 2)), np.zeros(2), 0.01, {"bounds": (-1, 1)}, "at least 2 samples"),
        (
            np.zeros((5, 3)),
            np.zeros(2),
            0.01,
            {"bounds": (-1, 1)},
            r"shape \[5, 3\], expected \[5, 2\]",
        ),
        (np.zeros((5, 2)), np.zeros(2), 1.5, {}, r"alpha must lie in \(0, 1\)"),
        (np.zeros((5, 2)), np.zeros(2), 0.01, {"method": "bernstein"}, "needs bounds"),
        (np.zeros((5, 2)), np.zeros(2), 0.01, {}, "needs bounds"),
        (np.zeros((5, 2)), np.zeros(2), 0.01, {"method": "holm"}, "method must be one of"),
    ],
)
def test_bad_arguments(samples, exact, alpha, kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_with_exact(samples, exact, alpha, **kwargs)


def test_samples_outside_the_declared_bounds_are_refused():
    with pytest.raises(ValueError, match="outside its bounds"):
        compare_with_exact(np.full((5, 1), 3.0), np.array([3.0]), bounds=(0.0, 1.0))
