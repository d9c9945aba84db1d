"""Planning the betting test: its growth rate, the split of α, and the samples it needs.

In the units of :mod:`pgproof.numeric.betting` (values scaled to [0, 1]), a gambler who
bets λ against a null at distance Δ below the mean, on values of variance σ², gains per
sample, to second order,

    G(λ) = λΔ - λ²(σ² + Δ²)/2,   largest at λ* = Δ/(σ² + Δ²) (aGRAPA's bet): G = Δ²/(2(σ²+Δ²)),

unless λ* exceeds the truncation c/m_top, where λ = c/m_top.  The capital then crosses
log(2C/α_j) (C = 2 gamblers per side, :mod:`pgproof.numeric.betting`) after about
ℓ_j/G samples; with the spread of the log capital (λσ per sample) the sample size at which
it has crossed with probability p solves nG - z_p λσ√n = ℓ_j.

:func:`allocate` splits α over coordinates before sampling: half uniformly (so no
coordinate is starved: its ℓ_j grows by at most log 2), half so that every coordinate
would confirm the tolerance after the same number of samples (α_j = 4e^{-n* G_j}, n* such
that they sum to α) — the hard coordinates get most of α, the easy ones little.  The
inputs are exact (enumeration) or come from a pilot batch that is not reused, so the
weights are fixed before the test sees a sample, as the union bound requires.
"""

from __future__ import annotations

import math

import numpy as np

from pgproof.numeric.betting import LAMBDA_FRACTION, REACH

#: the two gamblers of each side (zero-bias and tolerance, or zero-bias and planned)
GAMBLERS = 2


def reach(target: np.ndarray, tolerance: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(m_top, 1 - m_bottom): the scale of each side's bets, as in the sequence."""
    if tolerance is None:
        return np.ones_like(target), np.ones_like(target)
    top = np.clip(target + REACH * tolerance, 1e-12, 1.0)
    span = np.clip(1.0 - (target - REACH * tolerance), 1e-12, 1.0)
    return top, span


def growth(variance: np.ndarray, distance: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Expected log growth per sample of the best truncated bet (module docstring)."""
    variance = np.maximum(np.asarray(variance, dtype=np.float64), 0.0)
    distance = np.maximum(np.asarray(distance, dtype=np.float64), 0.0)
    second = variance + distance**2
    with np.errstate(divide="ignore", invalid="ignore"):
        best = np.where(second > 0, distance / second, np.inf)
    lam = np.minimum(best, LAMBDA_FRACTION / scale)
    return np.maximum(lam * distance - lam**2 * second / 2.0, 0.0)


def samples_to_cross(
    variance: np.ndarray,
    distance: np.ndarray,
    scale: np.ndarray,
    ell: np.ndarray,
    probability: float = 0.9,
) -> np.ndarray:
    """n at which the capital has crossed ``ell`` with the given probability (inf if never)."""
    from scipy.special import ndtri  # imported when used

    variance = np.maximum(np.asarray(variance, dtype=np.float64), 0.0)
    distance = np.maximum(np.asarray(distance, dtype=np.float64), 0.0)
    rate = growth(variance, distance, scale)
    second = variance + distance**2
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.minimum(np.where(second > 0, distance / second, np.inf), LAMBDA_FRACTION / scale)
        spread = float(ndtri(probability)) * lam * np.sqrt(variance)
        root = (spread + np.sqrt(spread**2 + 4.0 * rate * ell)) / (2.0 * rate)
    return np.where(rate > 0, root**2, np.inf)


def confirm_growth(variance: np.ndarray, target: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """Per coordinate: the growth of the slower side when confirming the tolerance of an
    unbiased estimator (scaled variance, target and tolerance)."""
    top, span = reach(target, tolerance)
    return np.minimum(growth(variance, tolerance, top), growth(variance, tolerance, span))


def allocate(alpha: float, rates: np.ndarray) -> np.ndarray:
    """Weights w_j (sum 1) of α over coordinates with confirmation growth ``rates`` [d]."""
    rates = np.asarray(rates, dtype=np.float64).ravel()
    d = rates.size
    uniform = np.full(d, 1.0 / d)
    live = np.isfinite(rates) & (rates > 0)
    if d == 1 or not live.any():
        return uniform

    # α_j(n) = min(α, 4 exp(-n G_j)) sums to α at n*; coordinates that never confirm
    # (G_j = 0) get the uniform half only
    def total(n: float) -> float:
        return float(np.sum(np.minimum(alpha, 4.0 * np.exp(-n * rates[live]))))

    low, high = 0.0, 1.0
    while total(high) > alpha:
        low, high = high, high * 2.0
    for _ in range(100):
        mid = (low + high) / 2.0
        low, high = (mid, high) if total(mid) > alpha else (low, mid)
    share = np.zeros(d)
    share[live] = np.minimum(alpha, 4.0 * np.exp(-high * rates[live]))
    share /= share.sum()
    return 0.5 * uniform + 0.5 * share


def ell(alpha: float, weights: np.ndarray) -> np.ndarray:
    """log(2C/α_j): what one gambler's log capital must reach (half of the side's mixture)."""
    return np.log(2.0 * GAMBLERS / (alpha * np.asarray(weights, dtype=np.float64)))


def samples_to_confirm(
    variance: np.ndarray,
    target: np.ndarray,
    tolerance: np.ndarray,
    alpha: float,
    weights: np.ndarray,
    probability: float = 0.9,
) -> float:
    """About how many samples confirm an unbiased estimator within the tolerance (every
    coordinate, both sides) with the given probability; scaled inputs [d]."""
    top, span = reach(target, tolerance)
    level = ell(alpha, weights)
    each = probability ** (1.0 / max(1, 2 * np.size(target)))
    needed = np.maximum(
        samples_to_cross(variance, tolerance, top, level, each),
        samples_to_cross(variance, tolerance, span, level, each),
    )
    worst = float(np.max(needed, initial=0.0))
    return worst if math.isfinite(worst) else math.inf


def samples_to_detect(
    variance: np.ndarray,
    bias: np.ndarray,
    target: np.ndarray,
    tolerance: np.ndarray | None,
    alpha: float,
    weights: np.ndarray,
    probability: float = 0.9,
) -> float:
    """About how many samples show a bias (scaled, signed, [d]) with the given power: the
    coordinate that shows it first."""
    top, span = reach(target, tolerance)
    scale = np.where(np.asarray(bias) > 0, top, span)
    needed = samples_to_cross(variance, np.abs(bias), scale, ell(alpha, weights), probability)
    best = float(np.min(needed, initial=math.inf))
    return best
