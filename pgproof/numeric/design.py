"""How each estimator is tested: the tested values, their bounds, and the split of α.

Everything here is fixed before the test sees its first sample, which is what keeps the
betting test (:mod:`pgproof.numeric.betting`) valid:

    values    y = ĝ - Σ_k β_jk h_jk with the zero-mean controls h of
              :mod:`pgproof.numeric.control_variates`, coordinate by coordinate where that
              is predicted to need fewer samples (a smaller variance can come with wider
              bounds), else y = ĝ;
    bounds    of y: exactly by enumeration (a second pass with β known) when the MDP has at
              most RANGE_PASS_TRAJECTORIES trajectories, else from the bounds of ĝ and of
              each h (:func:`pgproof.numeric.control_variates.controlled_bounds`);
    weights   w_j of α over coordinates (:func:`pgproof.numeric.planning.allocate`).

The inputs are exact moments by enumeration (:func:`exact_design`) or a pilot sample that
the test then does not use (:func:`pilot_design`); without either, y = ĝ and the weights
are uniform (:func:`plain_design`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pgproof.numeric.betting import scaled_range
from pgproof.numeric.control_variates import (
    CONTROLS,
    controlled_bounds,
    fit_coefficients,
    residual_variance,
)
from pgproof.numeric.planning import allocate, confirm_growth

#: exact bounds of the controlled values by a second enumeration pass up to this many
#: trajectories (above, interval arithmetic on the bounds of ĝ and of the controls, which
#: are 5–10 times wider: on the README's 4×3×5 problem the pass costs ≈ 1 s per estimator
#: and lets the convention bugs be caught with 3–5 times fewer samples)
RANGE_PASS_TRAJECTORIES = 1_000_000


@dataclass(frozen=True, eq=False)
class Design:
    """How one estimator's values are tested (flat arrays over the d coordinates)."""

    lower: np.ndarray  # bounds of the tested values y
    upper: np.ndarray
    weights: np.ndarray  # α_j / α
    beta: np.ndarray | None  # [d, K]; None or zero rows: y_j = ĝ_j
    source: str  # where β and the weights come from
    variance: np.ndarray | None = None  # exact Var(y_j), when known
    raw_variance: np.ndarray | None = None  # exact Var(ĝ_j), when known
    pilot: int = 0  # trajectories drawn for the pilot (not used by the test)

    @property
    def controlled(self) -> np.ndarray:
        """Per coordinate: the control variates are subtracted."""
        if self.beta is None:
            return np.zeros(self.lower.size, dtype=bool)
        return np.any(self.beta != 0.0, axis=1)

    def to_json(self) -> dict[str, Any]:
        used = self.controlled
        return {
            "source": self.source,
            "controls": list(CONTROLS),
            "controlled_coordinates": int(used.sum()),
            "coefficients": None if self.beta is None else self.beta.tolist(),
            "alpha_weights": self.weights.tolist(),
            "tested_lower": self.lower.tolist(),
            "tested_upper": self.upper.tolist(),
            "controlled_variance": None if self.variance is None else self.variance.tolist(),
            "pilot_samples": self.pilot,
        }


def _scaled(
    variance: np.ndarray, low: np.ndarray, high: np.ndarray, target: np.ndarray, tolerance: float
) -> np.ndarray:
    """Confirmation growth per sample (planning) for values of this variance and range."""
    low, width = scaled_range(low, high)
    return confirm_growth(variance / width**2, (target - low) / width, tolerance / width)


def _weights(
    alpha: float,
    variance: np.ndarray | None,
    low: np.ndarray,
    high: np.ndarray,
    target: np.ndarray,
    tolerance: float | None,
) -> np.ndarray:
    if variance is None or tolerance is None or tolerance <= 0:
        return np.full(low.size, 1.0 / low.size)
    return allocate(alpha, _scaled(variance, low, high, target, tolerance))


def plain_design(
    low: np.ndarray,
    high: np.ndarray,
    target: np.ndarray,
    tolerance: float | None,
    alpha: float,
    variance: np.ndarray | None = None,
) -> Design:
    """y = ĝ; weights from the exact variance of ĝ when known, else uniform."""
    low, high = np.ravel(low), np.ravel(high)
    weights = _weights(alpha, variance, low, high, np.ravel(target), tolerance)
    source = "exact moments (no controls)" if variance is not None else "none (uniform α)"
    return Design(low, high, weights, None, source, variance, variance)


def _choose(
    low: np.ndarray,
    high: np.ndarray,
    variance: np.ndarray,
    beta: np.ndarray,
    controlled_low: np.ndarray,
    controlled_high: np.ndarray,
    controlled_variance: np.ndarray,
    target: np.ndarray,
    tolerance: float | None,
    alpha: float,
    source: str,
    exact: bool,
    pilot: int = 0,
) -> Design:
    """Keep the controls in the coordinates where they are predicted to help."""
    if tolerance is not None and tolerance > 0:
        raw = _scaled(variance, low, high, target, tolerance)
        tested = _scaled(controlled_variance, controlled_low, controlled_high, target, tolerance)
        use = tested > raw
    else:  # no tolerance: a smaller variance relative to the range
        raw = variance / scaled_range(low, high)[1] ** 2
        tested = controlled_variance / scaled_range(controlled_low, controlled_high)[1] ** 2
        use = tested < raw
    beta = np.where(use[:, None], beta, 0.0)
    lower = np.where(use, controlled_low, low)
    upper = np.where(use, controlled_high, high)
    tested_variance = np.where(use, controlled_variance, variance)
    weights = _weights(alpha, tested_variance, lower, upper, target, tolerance)
    return Design(
        lower,
        upper,
        weights,
        beta,
        source,
        tested_variance if exact else None,
        variance if exact else None,
        pilot,
    )


def exact_design(
    summary: Any,
    low: np.ndarray,
    high: np.ndarray,
    target: np.ndarray,
    tolerance: float | None,
    alpha: float,
    exact_range: tuple[np.ndarray, np.ndarray] | None,
) -> Design:
    """From an estimator's :class:`pgproof.numeric.moments.ExactSummary` (with controls):
    β fitted to the exact moments, the bounds of y exact (``exact_range``, found with that β)
    or by interval arithmetic."""
    low, high, target = np.ravel(low), np.ravel(high), np.ravel(target)
    variance = np.maximum(np.diag(summary.covariance), 0.0)
    beta = coefficients(summary)
    controlled_variance = residual_variance(variance, summary.cross, summary.gram, beta)
    if exact_range is not None:
        c_low, c_high = exact_range
        ranges = "exact"
    else:
        c_low, c_high = controlled_bounds(
            low, high, beta, summary.control_low, summary.control_high
        )
        ranges = "interval"
    source = f"exact moments (bounds of the controlled values: {ranges})"
    return _choose(
        low, high, variance, beta, c_low, c_high, controlled_variance, target, tolerance,
        alpha, source, exact=True,
    )  # fmt: skip


def coefficients(summary: Any) -> np.ndarray:
    """β [d, K] fitted to an :class:`~pgproof.numeric.moments.ExactSummary`'s moments."""
    return fit_coefficients(summary.cross, summary.gram)


def pilot_design(
    low: np.ndarray,
    high: np.ndarray,
    values: np.ndarray,
    controls: np.ndarray,
    control_low: np.ndarray,
    control_high: np.ndarray,
    target: np.ndarray,
    tolerance: float | None,
    alpha: float,
) -> Design:
    """From a pilot sample (ĝ values [n, d] and controls [n, d, K]) that the test will not
    use: β and the variances estimated on it, bounds by interval arithmetic."""
    low, high, target = np.ravel(low), np.ravel(high), np.ravel(target)
    n = values.shape[0]
    centred = values - values.mean(axis=0)
    centred_controls = controls - controls.mean(axis=0)
    variance = (centred**2).sum(axis=0) / (n - 1)
    cross = np.einsum("nd,ndk->dk", centred, centred_controls) / (n - 1)
    gram = np.einsum("ndk,ndl->dkl", centred_controls, centred_controls) / (n - 1)
    beta = fit_coefficients(cross, gram)
    controlled_variance = residual_variance(variance, cross, gram, beta)
    c_low, c_high = controlled_bounds(low, high, beta, control_low, control_high)
    source = f"a pilot of {n} trajectories, not used by the test"
    return _choose(
        low, high, variance, beta, c_low, c_high, controlled_variance, target, tolerance,
        alpha, source, exact=False, pilot=n,
    )  # fmt: skip
