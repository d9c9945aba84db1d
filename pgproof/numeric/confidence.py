"""Shared pieces of the bias test's statistics: batch moments and binomial intervals.

The test itself is the betting confidence sequence of :mod:`pgproof.numeric.betting`
(it replaced the empirical-Bernstein sequence that lived here); its planning is in
:mod:`pgproof.numeric.planning`.  What is left:

* :class:`BatchMoments` and :func:`merge_moments`: a batch of a coordinate-wise stream as
  its size, mean and Σ (x - mean)², merged by Chan et al.'s pairwise update, so batches
  computed anywhere combine in order with memory O(d);
* :func:`clopper_pearson`: the exact interval for a binomial proportion, with which the
  calibration benchmark reports false-alarm rates and power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BatchMoments:
    """One batch of a coordinate-wise stream: size, mean [d] and Σ (x - mean)² [d]."""

    n: int
    mean: np.ndarray
    m2: np.ndarray


def merge_moments(a: BatchMoments | None, b: BatchMoments) -> BatchMoments:
    """Chan et al.'s pairwise update of (n, mean, M2)."""
    if a is None or a.n == 0:
        return b
    n = a.n + b.n
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.n / n)
    m2 = a.m2 + b.m2 + delta**2 * (a.n * b.n / n)
    return BatchMoments(n, mean, m2)


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided interval for a binomial proportion."""
    from scipy.special import betaincinv  # imported when used

    tail = (1.0 - level) / 2.0
    low = 0.0 if successes == 0 else float(betaincinv(successes, trials - successes + 1, tail))
    high = (
        1.0
        if successes == trials
        else float(betaincinv(successes + 1, trials - successes, 1.0 - tail))
    )
    return low, high
