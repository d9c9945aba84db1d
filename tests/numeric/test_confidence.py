"""The betting confidence sequence: its capital against a direct implementation, coverage
under optional stopping, Fan's bound below the exact capital, p-values, planning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pgproof.numeric.betting import LADDER, LAMBDA_FRACTION, BettingSequence
from pgproof.numeric.confidence import BatchMoments, clopper_pearson
from pgproof.numeric.planning import allocate, samples_to_confirm
from pgproof.numeric.streaming import plan_batches


def feed(sequence: BettingSequence, data: np.ndarray, sizes, exact: bool = True) -> None:
    start = 0
    for size in sizes:
        part = data[start : start + size]
        start += size
        if exact:
            sequence.update(part)
        else:
            mean = part.mean(axis=0)
            sequence.update(moments=BatchMoments(size, mean, ((part - mean) ** 2).sum(axis=0)))


def direct_capitals(data, lower, upper, target, tolerance, sizes):
    """log K± at every rung, sample by sample, with the bets of the module docstring (a
    plain loop over samples, batches, coordinates, gamblers and rungs)."""
    margin = 1e-9 * max(np.max(np.abs(lower)), np.max(np.abs(upper)), 1.0)
    lo, width = lower - margin, upper - lower + 2 * margin
    x_all, g, tol = (data - lo) / width, (target - lo) / width, tolerance / width
    d = data.shape[1]
    top = np.clip(g + 8 * tol, 0, 1)
    span = 1 - np.clip(g - 8 * tol, 0, 1)
    nulls = g[:, None] + tol[:, None] * LADDER
    plus = np.zeros((d, 2, LADDER.size))
    minus = np.zeros((d, 2, LADDER.size))
    seen: list[np.ndarray] = []
    start = 0
    for size in sizes:
        x = x_all[start : start + size]
        start += size
        bets = np.zeros((2, d, 2))
        if seen:
            past = np.concatenate(seen)
            n = len(past)
            mu = past.mean(axis=0)
            var = (0.25 + ((past - past.mean(axis=0)) ** 2).sum(axis=0)) / (n + 1)
            for j in range(d):
                for c, centre in enumerate((g[j], g[j] - tol[j])):
                    gap = mu[j] - centre
                    bets[0, j, c] = min(max(gap / (var[j] + gap**2), 0), LAMBDA_FRACTION / top[j])
                for c, centre in enumerate((g[j], g[j] + tol[j])):
                    gap = centre - mu[j]
                    bets[1, j, c] = min(max(gap / (var[j] + gap**2), 0), LAMBDA_FRACTION / span[j])
        for row in x:
            for j in range(d):
                for c in range(2):
                    for k in range(LADDER.size):
                        up = min(nulls[j, k], top[j])
                        down = max(nulls[j, k], 1 - span[j])
                        plus[j, c, k] += math.log(1 + bets[0, j, c] * (row[j] - up))
                        minus[j, c, k] += math.log(1 + bets[1, j, c] * (down - row[j]))
        seen.append(x)
    return plus, minus


def test_the_capital_equals_a_direct_implementation():
    rng = np.random.default_rng(0)
    lower, upper = np.array([-1.0, 0.0, -2.0]), np.array([1.0, 1.0, 3.0])
    target, tolerance = np.array([0.1, 0.3, 0.2]), 0.05
    data = np.clip(target + 0.3 * rng.standard_normal((600, 3)), lower, upper)
    sizes = [16, 16, 32, 64, 128, 344]
    sequence = BettingSequence(lower, upper, 0.05, target, tolerance=tolerance)
    feed(sequence, data, sizes)
    plus, minus = direct_capitals(data, lower, upper, target, np.full(3, tolerance), sizes)
    np.testing.assert_allclose(sequence._log_plus, plus, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(sequence._log_minus, minus, rtol=1e-10, atol=1e-10)
    assert sequence.exact_batches == len(sizes) and sequence.bounded_batches == 0


def test_fans_bound_never_exceeds_the_exact_capital():
    rng = np.random.default_rng(1)
    data = (rng.random((5000, 4)) < np.array([0.02, 0.3, 0.5, 0.9])).astype(float)
    target = np.array([0.02, 0.3, 0.5, 0.9])
    sizes = plan_batches(5000, 1)
    exact = BettingSequence(np.zeros(4), np.ones(4), 0.05, target, tolerance=0.02)
    bounded = BettingSequence(np.zeros(4), np.ones(4), 0.05, target, tolerance=0.02)
    feed(exact, data, sizes)
    feed(bounded, data, sizes, exact=False)
    assert np.all(bounded._log_plus <= exact._log_plus + 1e-9)
    assert np.all(bounded._log_minus <= exact._log_minus + 1e-9)
    # so the exact intervals are inside the bounded ones, and both hold the target
    assert np.all(bounded.lower <= exact.lower + 1e-12)
    assert np.all(exact.upper <= bounded.upper + 1e-12)
    assert np.all(bounded.lower <= target) and np.all(target <= bounded.upper)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "bounded"])
def test_coverage_holds_when_peeking_after_every_batch(exact):
    # optional stopping: reject as soon as the target leaves the sequence; α = 0.1, 300 runs
    # of skewed Bernoulli(0.03) data in 3 coordinates.  binomial(300, 0.1) > 42 has
    # probability 0.02; the sequence is conservative, so far fewer alarms are expected.
    rng = np.random.default_rng(0)
    alarms = 0
    for _ in range(300):
        data = (rng.random((3000, 3)) < 0.03).astype(float)
        sequence = BettingSequence(np.zeros(3), np.ones(3), 0.1, np.full(3, 0.03), tolerance=0.01)
        start = 0
        for size in plan_batches(3000, 1):
            feed(sequence, data[start : start + size], [size], exact)
            start += size
            if sequence.rejects_target():
                alarms += 1
                break
    assert alarms <= 42


def test_an_unbiased_mean_is_confirmed_and_a_biased_one_is_caught():
    rng = np.random.default_rng(2)
    n = 40_000
    good = 0.3 + 0.2 * (rng.random((n, 2)) - 0.5)
    bad = good + np.array([0.0, 0.03])
    for data, biased in ((good, False), (bad, True)):
        sequence = BettingSequence(np.zeros(2), np.ones(2), 0.01, np.full(2, 0.3), tolerance=0.01)
        feed(sequence, data, plan_batches(n, 1))
        assert sequence.rejects_target() == biased
        assert bool(np.all(sequence.confirms_tolerance())) != biased
        assert (sequence.p_value() < 0.01) == biased
        if biased:  # the proved bias is a rung below the true one
            _, proved = sequence.distances()
            assert 0.01 <= proved[1] <= 0.03 and proved[0] == 0.0


def test_p_value_agrees_with_the_interval():
    rng = np.random.default_rng(2)
    data = rng.random((3000, 2)) * 0.5 + np.array([0.0, 0.2])
    outside = BettingSequence(np.zeros(2), np.ones(2), 0.01, np.array([0.25, 0.5]), planned=3000)
    feed(outside, data, plan_batches(3000, 1))
    assert outside.rejects_target() and outside.p_value() < 0.01
    inside = BettingSequence(np.zeros(2), np.ones(2), 0.01, np.array([0.25, 0.45]), planned=3000)
    feed(inside, data, plan_batches(3000, 1))
    assert not inside.rejects_target() and inside.p_value() >= 0.01
    assert np.all(inside.lower <= [0.25, 0.45]) and np.all(inside.upper >= [0.25, 0.45])


def test_a_degenerate_coordinate_is_not_a_certain_rejection():
    # a coordinate that never moves still gets an interval of positive width
    data = np.zeros((100, 1))
    sequence = BettingSequence(np.array([-1.0]), np.array([1.0]), 0.01, [1e-6], planned=100)
    feed(sequence, data, plan_batches(100, 1))
    assert sequence.lower[0] < 0 < 1e-6 < sequence.upper[0]
    assert not sequence.rejects_target() and sequence.p_value() > 0


def test_a_target_outside_the_range_is_certainly_excluded():
    sequence = BettingSequence(np.zeros(1), np.ones(1), 0.01, [1.5], planned=10)
    assert sequence.rejects_target() and sequence.p_value() == 0.0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="finite"):
        BettingSequence(np.array([0.0]), np.array([np.inf]), 0.1, [0.0], planned=10)
    with pytest.raises(ValueError, match="lower ≤ upper"):
        BettingSequence(np.array([1.0]), np.array([0.0]), 0.1, [0.5], planned=10)
    with pytest.raises(ValueError, match="alpha"):
        BettingSequence(np.array([0.0]), np.array([1.0]), 1.0, [0.5], planned=10)
    with pytest.raises(ValueError, match="planned number of samples"):
        BettingSequence(np.array([0.0]), np.array([1.0]), 0.1, [0.5])
    with pytest.raises(ValueError, match="positive and finite"):
        BettingSequence(np.zeros(2), np.ones(2), 0.1, [0.5, 0.5], planned=9, weights=[1.0, 0.0])


def test_the_split_of_alpha_favours_the_hard_coordinates_and_starves_none():
    weights = allocate(0.01, np.array([1e-6, 1e-4, 1e-2, 0.0]))
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] > weights[1] > weights[2]  # slow growth: a hard coordinate
    assert np.all(weights >= 0.5 / 4 - 1e-12)  # half of α is split uniformly
    assert np.allclose(allocate(0.01, np.full(3, 1e-3)), 1 / 3)


def test_planning_predicts_the_samples_to_confirm():
    # uniform data of variance σ² in [0, 1] around 0.5; tolerance 0.01 at α = 0.01
    rng = np.random.default_rng(3)
    spread, tolerance = 0.4, 0.01
    variance = np.full(1, spread**2 / 12)
    predicted = samples_to_confirm(variance, np.full(1, 0.5), np.full(1, tolerance), 0.01, [1])
    stops = []
    for _ in range(20):
        sequence = BettingSequence([0.0], [1.0], 0.01, [0.5], tolerance=tolerance)
        data = 0.5 + spread * (rng.random((int(3 * predicted), 1)) - 0.5)
        start = 0
        for size in plan_batches(data.shape[0], 1):
            feed(sequence, data[start : start + size], [size])
            start += size
            if sequence.confirms_tolerance()[0]:
                break
        stops.append(start)
    assert np.quantile(stops, 0.9) <= 1.5 * predicted and np.median(stops) >= predicted / 3
    larger = samples_to_confirm(variance, np.full(1, 0.5), np.full(1, tolerance / 2), 0.01, [1])
    assert 3 * predicted < larger < 5 * predicted  # about 1/δ²


def test_clopper_pearson():
    assert clopper_pearson(0, 1000)[0] == 0.0
    assert clopper_pearson(0, 1000)[1] == pytest.approx(0.003682, rel=1e-3)
    low, high = clopper_pearson(50, 1000)
    assert low == pytest.approx(0.03733, rel=1e-3) and high == pytest.approx(0.06539, rel=1e-3)
