"""Confidence sequences: coverage under optional stopping, widths as planned, p-values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pgproof.numeric.confidence import (
    BatchMoments,
    ConfidenceSequence,
    clopper_pearson,
    geometric_plans,
    log_threshold,
    predicted_half_width,
    samples_for_power,
    samples_for_resolution,
)
from pgproof.numeric.streaming import plan_batches


def feed(sequence: ConfidenceSequence, data: np.ndarray, sizes) -> None:
    start = 0
    for size in sizes:
        part = data[start : start + size]
        start += size
        mean = part.mean(axis=0)
        sequence.update(BatchMoments(size, mean, ((part - mean) ** 2).sum(axis=0)))


def test_coverage_holds_when_peeking_after_every_batch():
    # optional stopping: reject as soon as the target leaves the sequence; α = 0.1, 400 runs
    # of skewed Bernoulli(0.03) data in 3 coordinates.  binomial(400, 0.1) > 52 has
    # probability 0.02; the sequence is conservative, so far fewer alarms are expected.
    rng = np.random.default_rng(0)
    alarms = 0
    for _ in range(400):
        data = (rng.random((4000, 3)) < 0.03).astype(float)
        sequence = ConfidenceSequence(
            np.zeros(3), np.ones(3), 0.1, target=np.full(3, 0.03),
            plans=geometric_plans(256, 4000),
        )  # fmt: skip
        start = 0
        for size in plan_batches(4000, 1):
            feed(sequence, data[start : start + size], [size])
            start += size
            if sequence.rejects_target():
                alarms += 1
                break
    assert alarms <= 52


def test_width_matches_the_planned_width():
    rng = np.random.default_rng(1)
    n, p = 20_000, 0.3
    data = (rng.random((n, 2)) < p).astype(float)
    sequence = ConfidenceSequence(np.zeros(2), np.ones(2), 0.05, plans=[n])
    feed(sequence, data, plan_batches(n, 1))
    half = (sequence.upper - sequence.lower) / 2
    ell = log_threshold(0.05, 2)
    planned = predicted_half_width(n, np.full(2, p * (1 - p)), np.ones(2), ell, np.full(2, p))
    np.testing.assert_allclose(half, planned, rtol=0.1)
    # √(2ℓ)/z times the Bonferroni-normal half width (1.32 for d = 2, α = 0.05)
    normal = 2.2414 * math.sqrt(p * (1 - p) / n)
    assert np.all(half > normal) and np.all(half < 1.4 * normal)


def test_p_value_agrees_with_the_interval():
    rng = np.random.default_rng(2)
    data = rng.random((3000, 2)) * 0.5 + np.array([0.0, 0.2])
    sequence = ConfidenceSequence(
        np.zeros(2), np.ones(2), 0.01, target=np.array([0.25, 0.5]), plans=[3000]
    )
    feed(sequence, data, plan_batches(3000, 1))
    assert sequence.rejects_target() and sequence.p_value() < 0.01
    inside = ConfidenceSequence(
        np.zeros(2), np.ones(2), 0.01, target=np.array([0.25, 0.45]), plans=[3000]
    )
    feed(inside, data, plan_batches(3000, 1))
    assert not inside.rejects_target() and inside.p_value() >= 0.01


def test_a_degenerate_coordinate_is_not_a_certain_rejection():
    # a coordinate that never moves still gets an interval of positive width
    data = np.zeros((100, 1))
    sequence = ConfidenceSequence(np.array([-1.0]), np.array([1.0]), 0.01, target=[1e-6])
    feed(sequence, data, plan_batches(100, 1))
    assert sequence.lower[0] < 0 < 1e-6 < sequence.upper[0]
    assert not sequence.rejects_target() and sequence.p_value() > 0


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="finite"):
        ConfidenceSequence(np.array([0.0]), np.array([np.inf]), 0.1)
    with pytest.raises(ValueError, match="lower ≤ upper"):
        ConfidenceSequence(np.array([1.0]), np.array([0.0]), 0.1)
    with pytest.raises(ValueError, match="alpha"):
        ConfidenceSequence(np.array([0.0]), np.array([1.0]), 1.0)


def test_planning_is_monotone_and_sensible():
    variance, width = np.array([0.1]), np.array([1.0])
    ell = log_threshold(0.05, 1)
    small = samples_for_power(np.array([0.05]), variance, width, ell)
    large = samples_for_power(np.array([0.01]), variance, width, ell)
    assert small is not None and large is not None and 10 * small < large
    assert samples_for_power(np.array([1e-12]), variance, width, ell, limit=1e9) is None
    confirm = samples_for_resolution(0.01, variance, width, ell)
    assert predicted_half_width(confirm, variance, width, ell)[0] < 0.01
    assert samples_for_resolution(0.0, variance, width, ell) is None


def test_clopper_pearson():
    assert clopper_pearson(0, 1000)[0] == 0.0
    assert clopper_pearson(0, 1000)[1] == pytest.approx(0.003682, rel=1e-3)
    low, high = clopper_pearson(50, 1000)
    assert low == pytest.approx(0.03733, rel=1e-3) and high == pytest.approx(0.06539, rel=1e-3)
