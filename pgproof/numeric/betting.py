"""Anytime-valid confidence sequences for the means of bounded coordinates, by betting.

Setting.  Per-trajectory values y_1, y_2, … ∈ R^d are i.i.d. and every coordinate is
bounded, lo_j ≤ y_ij ≤ hi_j.  Scaled to x = (y - lo)/(hi - lo) ∈ [0, 1] with mean μ, a
gambler who bets λ_i ≥ 0 on "x_i is above m" turns one unit of capital into

    K⁺_n(m) = Π_{i≤n} (1 + λ_i (x_i - m)),     K⁻_n(m) = Π_{i≤n} (1 + λ_i (m - x_i))

(Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting",
JRSS-B 2024).  When every λ_i is predictable (chosen before x_i is seen) and admissible
(0 ≤ λ_i ≤ 1/m, so no factor is negative), E[1 + λ_i(x_i - m) | past] = 1 + λ_i(μ - m) ≤ 1
for every μ ≤ m: K⁺(m) is a non-negative supermartingale under the composite hypothesis
μ ≤ m, and Ville's inequality gives P(∃n: K⁺_n(m) ≥ 1/a) ≤ a.  If moreover λ_i does not
depend on m, K⁺_n(m) is decreasing in m on every sample path, so one crossing at m proves
μ > m' for every m' ≤ m at once: the claims of one side form a confidence bound, with no
multiplicity cost for testing several m.

This module uses, per coordinate j and side, a mixture of two such gamblers (hedging their
bets, mixture weights ½): with a tolerance δ, one bets as Waudby-Smith & Ramdas' aGRAPA
would against the null m = g* (the target: it detects a bias) and one against m = g* ∓ δ
(it confirms that no bias exceeds δ),

    λ = (μ̂ - m_c) / (σ̂² + (μ̂ - m_c)²),   truncated to [0, c / m_top],   c = 3/4,

with μ̂ the mean and σ̂² the regularised variance (1/4 + Σ (x - x̄)²)/(n + 1) of the earlier
batches only (the first batch is not bet on: it teaches; μ̂ has no prior pulling it to 1/2,
which would outweigh a small tolerance when the values sit near one end of their range);
without a tolerance the second gambler uses the predictable plug-in bet
√(2 log(2C/α_j) / (σ̂² N)) tuned to a planned N.  Each λ depends on m_c, not on
the m being tested, so the monotonicity above holds for the mixture.  The truncation is c
times the largest admissible bet for every null up to m_top = g* + 8δ (the claims of the "+"
side reach that far): a coordinate whose target lies near its lower bound (a rarely
visited state, whose estimates are mostly 0) gets bets up to c/(g* - lo) instead of c/(hi -
lo), which halves the samples it needs when its variance is small.

Union over coordinates.  Coordinate j is tested at level α_j = α w_j (Σ_j w_j = 1, the
weights fixed before the first sample: from exact quantities or a pilot that is not
reused, :mod:`pgproof.numeric.planning`), each side at α_j/2; so with probability ≥ 1 - α
no coordinate's mean is ever wrongly excluded, at any n: the verdicts hold under optional
stopping (sampling until a decision) as well as at a fixed m.

Computation, per batch (bets held constant within a batch, chosen from earlier batches):

    exact     when the per-sample values are at hand, log K on a ladder of nulls
              m = g* + u·{0, ±1/2, ±1, ±2, ±4, ±8} (u = δ, or 1/√N without a tolerance) is
              the sum of log(1 + λ(x_i - m)) over the batch: the verdicts use the rungs g*
              (biased) and g* ∓ δ (unbiased), the others bound the bias proved or excluded;
    bounded   otherwise — and always for the reported interval, at every m — Fan et al.'s
              inequality log(1 + λ'ξ) ≥ λ'ξ - φ(λ')ξ² (ξ ≥ -1, φ(λ) = -log(1-λ) - λ) with
              ξ = (x - m)/m_top, λ' = λ m_top gives a lower bound on log K⁺(m) that needs only
              the batch's size, mean and Σ (x - x̄)²: a concave quadratic in m, whose
              super-level set is found in closed form.  A lower bound on the capital keeps
              every claim valid (it only crosses later).

Memory is O(d) whatever the number of samples.
"""

from __future__ import annotations

import math

import numpy as np

from pgproof.numeric.confidence import BatchMoments, merge_moments

#: bets are truncated at this fraction of the largest admissible bet (WSR: 1/2 or 3/4)
LAMBDA_FRACTION = 0.75
#: the claims of each side reach this many tolerances beyond the target
REACH = 8.0
#: relative margin added to every bound (round-off in estimators and in the bounds)
BOUND_MARGIN = 1e-9
#: the per-sample logarithms are formed at most this many entries at a time
CHUNK_ENTRIES = 1 << 20
#: the rungs (in tolerances) at which the capital is computed exactly, both sides; 0 is g*
LADDER = np.array([-8.0, -4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0])
#: the rungs of the verdicts: g* itself, and g* ∓ the tolerance
ZERO, BELOW, ABOVE = 5, 3, 7


def scaled_range(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, width) of the scaling x = (y - lo)/width: the bounds widened by BOUND_MARGIN of
    their magnitude (round-off in estimators and bounds), so the width is never 0."""
    lower = np.asarray(lower, dtype=np.float64).ravel()
    upper = np.asarray(upper, dtype=np.float64).ravel()
    scale = max(float(np.max(np.abs(lower), initial=0.0)), float(np.max(np.abs(upper))), 1.0)
    margin = BOUND_MARGIN * scale
    return lower - margin, upper - lower + 2 * margin


def phi(lam: np.ndarray) -> np.ndarray:
    """φ(λ) = -log(1 - λ) - λ (Fan et al.'s cost of a bet λ ∈ [0, 1))."""
    return -np.log1p(-lam) - lam


class BettingSequence:
    """Anytime-valid betting confidence sequence for E[y] ∈ R^d (see the module docstring).

    ``lower``/``upper`` bound every value (raw units), ``target`` is g* (its exclusion is the
    "biased" verdict), ``tolerance`` δ ≥ 0 the bias that matters (absolute; None: none) and
    ``planned`` the sample size the bets are tuned for when there is no tolerance.
    ``weights`` (default uniform) split α over the coordinates of each ``group`` (default:
    all d; a caller stacking independent repetitions side by side passes the d of one).
    """

    def __init__(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        alpha: float,
        target: np.ndarray,
        *,
        tolerance: float | None = None,
        planned: int | None = None,
        weights: np.ndarray | None = None,
        group: int | None = None,
    ) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        lower = np.asarray(lower, dtype=np.float64).ravel()
        upper = np.asarray(upper, dtype=np.float64).ravel()
        if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
            raise ValueError("the bounds of the estimates must be finite")
        if lower.shape != upper.shape or np.any(lower > upper):
            raise ValueError("need bounds with lower ≤ upper in every coordinate")
        if tolerance is None and (planned is None or planned < 1):
            raise ValueError("without a tolerance, give the planned number of samples")
        if tolerance is not None and not (tolerance >= 0 and math.isfinite(tolerance)):
            raise ValueError(f"tolerance must be a non-negative number, got {tolerance}")
        d = lower.size
        group = group or d
        if d % group:
            raise ValueError(f"{d} coordinates do not split into groups of {group}")
        self.lo, self.width = scaled_range(lower, upper)
        self.d, self.group, self.alpha = d, group, alpha
        self.weights = self._weights(weights)
        self.level = alpha * self.weights  # α_j
        target = np.asarray(target, dtype=np.float64).ravel()
        if target.shape != (d,):
            raise ValueError(f"target has {target.size} coordinates, the bounds {d}")
        self.target_raw = target
        self.target = (target - self.lo) / self.width
        self.tolerance = tolerance
        self.planned = planned
        g = self.target
        tol = None if tolerance is None else tolerance / self.width
        self.tol = tol
        self.components = ("zero", "tolerance") if tol is not None else ("zero", "planned")
        c = len(self.components)
        if tol is None:
            self.top, self.bottom = np.ones(d), np.zeros(d)
        else:
            self.top = np.clip(g + REACH * tol, 0.0, 1.0)
            self.bottom = np.clip(g - REACH * tol, 0.0, 1.0)
        self.top = np.maximum(self.top, 1e-12)  # the scale of Fan's bound (+ side)
        self.span = np.maximum(1.0 - self.bottom, 1e-12)  # (- side)
        # the nulls where the capital is computed exactly: a ladder g* + u·LADDER, with u the
        # tolerance (else the width 1/√N of a run of N samples); + side claims μ > m, - side
        # claims μ < m, each at every rung it has crossed and, by monotonicity, beyond
        self.unit = tol if tol is not None else np.full(d, 1.0 / math.sqrt(planned))
        self.nulls = g[:, None] + self.unit[:, None] * LADDER[None, :]
        # a rung beyond a side's reach is not bet on (its claim would be void or trivial)
        self.valid_plus = self.nulls <= self.top[:, None]
        self.valid_minus = self.nulls >= self.bottom[:, None]
        self.nulls_plus = np.minimum(self.nulls, self.top[:, None])
        self.nulls_minus = np.maximum(self.nulls, self.bottom[:, None])
        k = LADDER.size
        #: log(2/α_j): a side's mixture crossing it is a claim at level α_j/2
        self.threshold = np.log(2.0 / self.level)
        self.n = 0
        self.moments: BatchMoments | None = None
        self._log_plus = np.zeros((d, c, k))
        self._log_minus = np.zeros((d, c, k))
        self._sup_plus = np.zeros((d, k))
        self._sup_minus = np.zeros((d, k))
        self._fan_plus = np.zeros((3, d, c))  # L(m) = a0 + a1 m + a2 m² per component
        self._fan_minus = np.zeros((3, d, c))
        self._low = np.zeros(d)  # sticky Fan bounds (scaled)
        self._high = np.ones(d)
        self.out_of_bounds = 0.0  # largest excursion outside [lo, hi] seen, in widths
        self.exact_batches = 0
        self.bounded_batches = 0

    def _weights(self, weights: np.ndarray | None) -> np.ndarray:
        if weights is None:
            return np.full(self.d, 1.0 / self.group)
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if (
            weights.shape != (self.d,)
            or not np.all(weights > 0)
            or not np.all(np.isfinite(weights))
        ):
            raise ValueError("weights must be positive and finite, one per coordinate")
        sums = weights.reshape(-1, self.group).sum(axis=1, keepdims=True)
        return (weights.reshape(-1, self.group) / sums).ravel()

    # ------------------------------------------------------------------ the bets
    def bets(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(λ⁺, λ⁻), each [d, C], for the next batch of ``size``: from the earlier batches."""
        d, c = self.d, len(self.components)
        if self.moments is None:  # the first batch only teaches
            return np.zeros((d, c)), np.zeros((d, c))
        n = self.n
        mean = self.moments.mean
        variance = (0.25 + self.moments.m2) / (n + 1)
        g = self.target
        plus = np.empty((d, c))
        minus = np.empty((d, c))
        plus[:, 0] = _grapa(mean - g, variance)
        minus[:, 0] = _grapa(g - mean, variance)
        if self.tol is not None:
            plus[:, 1] = _grapa(mean - (g - self.tol), variance)
            minus[:, 1] = _grapa((g + self.tol) - mean, variance)
        else:
            horizon = max(float(self.planned), float(n + size))
            planned = np.sqrt(2.0 * np.log(2.0 * c / self.level) / (variance * horizon))
            plus[:, 1] = minus[:, 1] = planned
        np.clip(plus, 0.0, (LAMBDA_FRACTION / self.top)[:, None], out=plus)
        np.clip(minus, 0.0, (LAMBDA_FRACTION / self.span)[:, None], out=minus)
        return plus, minus

    # ------------------------------------------------------------------ updates
    def _scale(self, values: np.ndarray) -> np.ndarray:
        return (values - self.lo) / self.width

    def note_range(self, minimum: np.ndarray, maximum: np.ndarray) -> None:
        """Record observed extremes (raw units): a value outside the bounds voids the test."""
        below = (self.lo - np.asarray(minimum).ravel()) / self.width
        above = (np.asarray(maximum).ravel() - self.lo - self.width) / self.width
        self.out_of_bounds = max(self.out_of_bounds, float(np.max(below)), float(np.max(above)))

    def update(
        self,
        values: np.ndarray | None = None,
        *,
        moments: BatchMoments | None = None,
    ) -> None:
        """Add one batch: its raw ``values`` [n, d] (exact capitals), or only its size, mean
        and Σ (y - ȳ)² as ``moments`` (raw units; Fan's lower bound)."""
        if values is not None:
            values = np.asarray(values, dtype=np.float64).reshape(-1, self.d)
            if values.shape[0] == 0:
                return
            self.note_range(values.min(axis=0), values.max(axis=0))
            x = np.clip(self._scale(values), 0.0, 1.0)
            mean = x.mean(axis=0)
            batch = BatchMoments(x.shape[0], mean, ((x - mean) ** 2).sum(axis=0))
        else:
            if moments is None or moments.n == 0:
                return
            mean = np.clip(self._scale(np.asarray(moments.mean, dtype=np.float64).ravel()), 0, 1)
            m2 = np.maximum(np.asarray(moments.m2, dtype=np.float64).ravel(), 0.0) / self.width**2
            batch = BatchMoments(moments.n, mean, m2)
            x = None
        plus, minus = self.bets(batch.n)
        q_plus = phi(plus * self.top[:, None]) / (self.top**2)[:, None]
        q_minus = phi(minus * self.span[:, None]) / (self.span**2)[:, None]
        if x is not None:
            self._exact(x, plus, minus)
            self.exact_batches += 1
        else:
            self._log_plus += _fan_at(batch, plus, q_plus, self.nulls_plus, +1.0)
            self._log_minus += _fan_at(batch, minus, q_minus, self.nulls_minus, -1.0)
            self.bounded_batches += 1
        _fan_accumulate(self._fan_plus, batch, plus, q_plus, +1.0)
        _fan_accumulate(self._fan_minus, batch, minus, q_minus, -1.0)
        self.moments = merge_moments(self.moments, batch)
        self.n += batch.n
        c = len(self.components)
        mix_plus = np.logaddexp.reduce(self._log_plus, axis=1) - math.log(c)
        mix_minus = np.logaddexp.reduce(self._log_minus, axis=1) - math.log(c)
        np.maximum(self._sup_plus, mix_plus, out=self._sup_plus)
        np.maximum(self._sup_minus, mix_minus, out=self._sup_minus)
        self._update_interval()

    def _exact(self, x: np.ndarray, plus: np.ndarray, minus: np.ndarray) -> None:
        """log K at every rung, summed over the batch's values (scaled) x [n, d]: the
        factors 1 + λ(x - m) are formed in one buffer, a block of rows at a time (log of
        the factor: log1p is several times slower here, and the factors are ≥ 1/4)."""
        n, d = x.shape
        shape = (d, plus.shape[1], LADDER.size)
        rows = max(1, CHUNK_ENTRIES // int(np.prod(shape)))
        buffer = np.empty((min(rows, n), *shape))
        lam_p, lam_m = plus[None, :, :, None], minus[None, :, :, None]
        null_p, null_m = self.nulls_plus[None, :, None, :], self.nulls_minus[None, :, None, :]
        for start in range(0, n, rows):
            part = x[start : start + rows, :, None, None]
            block = buffer[: part.shape[0]]
            for lam, terms, into in (
                (lam_p, (part, null_p), self._log_plus),
                (lam_m, (null_m, part), self._log_minus),
            ):
                np.subtract(*terms, out=block)
                block *= lam
                block += 1.0
                np.log(block, out=block)
                into += block.sum(axis=0)

    def _update_interval(self) -> None:
        """The sticky Fan bounds: the largest m the + side proves μ > m for, and the smallest
        the - side proves μ < m for (each component at log(2C/α_j): half of the mixture)."""
        c = len(self.components)
        threshold = (self.threshold + math.log(c))[:, None]
        low = _largest_root(*self._fan_plus, threshold)  # [d, C], -inf where none
        low = np.minimum(np.max(low, axis=1), self.top)
        high = -_largest_root(*_reflect(self._fan_minus), threshold)  # smallest root
        high = np.maximum(np.min(high, axis=1), self.bottom)
        np.maximum(self._low, low, out=self._low)
        np.minimum(self._high, high, out=self._high)

    # ------------------------------------------------------------------ results
    def _rejected_plus(self) -> np.ndarray:
        """[d, k]: the + side's mixture has crossed log(2/α_j) at each verdict null."""
        crossed = (self._sup_plus >= self.threshold[:, None]) & self.valid_plus
        return crossed | (self.nulls < 0.0)

    def _rejected_minus(self) -> np.ndarray:
        crossed = (self._sup_minus >= self.threshold[:, None]) & self.valid_minus
        return crossed | (self.nulls > 1.0)

    def _scaled_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The sticky bounds: Fan's, and the highest (lowest) rung each side has crossed."""
        plus = np.where(self._rejected_plus(), self.nulls, -np.inf).max(axis=1)
        minus = np.where(self._rejected_minus(), self.nulls, np.inf).min(axis=1)
        low = np.maximum(self._low, plus)
        high = np.minimum(self._high, minus)
        return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)

    @property
    def lower(self) -> np.ndarray:
        """Lower confidence bounds on E[y_j] (raw units), valid at every n simultaneously."""
        return self.lo + self.width * self._scaled_bounds()[0]

    @property
    def upper(self) -> np.ndarray:
        return self.lo + self.width * self._scaled_bounds()[1]

    def distances(self) -> tuple[np.ndarray, np.ndarray]:
        """(δ_j, ε_j) per coordinate, raw units: the largest distance from g*_j to a mean
        the sequence still allows, and the bias it proves (0 unless g*_j is excluded);
        computed from the scaled bounds, so a bound that sits on g* gives exactly 0."""
        low, high = self._scaled_bounds()
        g = self.target
        excluded = self.width * np.maximum(high - g, g - low)
        certain = self.width * np.maximum(np.maximum(low - g, g - high), 0.0)
        return excluded, certain

    def excludes_target(self) -> np.ndarray:
        """Per coordinate: g*_j has left the confidence sequence (a bias is proved)."""
        g = self.target
        outside = (g < 0.0) | (g > 1.0) | (self._low > g) | (self._high < g)
        return outside | self._rejected_plus()[:, ZERO] | self._rejected_minus()[:, ZERO]

    def rejects_target(self) -> bool:
        return bool(np.any(self.excludes_target()))

    def confirms_tolerance(self) -> np.ndarray:
        """Per coordinate: every mean farther than the tolerance from g*_j is excluded."""
        if self.tol is None:
            raise ValueError("no tolerance was given")
        plus, minus = self._rejected_plus(), self._rejected_minus()
        low, high = self._scaled_bounds()
        below = plus[:, BELOW] | (low >= self.nulls[:, BELOW])
        above = minus[:, ABOVE] | (high <= self.nulls[:, ABOVE])
        return below & above

    def p_value(self) -> float:
        """Anytime-valid p-value of E[y] = g* (1 before any sample; 0 only when g* lies
        outside the range [lo, hi] the values can take at all)."""
        g = self.target
        if np.any((g < 0.0) | (g > 1.0)):
            return 0.0
        sup = np.maximum(self._sup_plus[:, ZERO], self._sup_minus[:, ZERO])
        with np.errstate(over="ignore"):
            p = 2.0 * np.exp(-sup) / self.weights
        return float(min(1.0, np.min(p)))

    def log_e_value(self) -> float:
        """max over coordinates, sides and batches of the mixture's log capital at g*."""
        sup = np.maximum(self._sup_plus[:, ZERO], self._sup_minus[:, ZERO])
        return float(np.max(sup, initial=0.0))


def _grapa(distance: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """aGRAPA's bet against a null ``distance`` below the estimated mean."""
    return distance / (variance + distance**2)


def _fan_at(
    batch: BatchMoments, lam: np.ndarray, q: np.ndarray, nulls: np.ndarray, sign: float
) -> np.ndarray:
    """Fan's lower bound on one batch's log capital at each null, [d, C, k]."""
    n, mean, m2 = batch.n, batch.mean[:, None, None], batch.m2[:, None, None]
    m = nulls[:, None, :]
    gain = lam[:, :, None] * n * sign * (mean - m)
    return gain - q[:, :, None] * (m2 + n * (mean - m) ** 2)


def _fan_accumulate(
    coefficients: np.ndarray, batch: BatchMoments, lam: np.ndarray, q: np.ndarray, sign: float
) -> None:
    """Add one batch's Fan bound, as a quadratic a0 + a1 m + a2 m² in the null m."""
    n, mean, m2 = batch.n, batch.mean[:, None], batch.m2[:, None]
    coefficients[0] += sign * lam * n * mean - q * (m2 + n * mean**2)
    coefficients[1] += -sign * lam * n + 2.0 * q * n * mean
    coefficients[2] += -q * n


def _reflect(coefficients: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The quadratic in -m: its largest root is minus the smallest root of the original."""
    return coefficients[0], -coefficients[1], coefficients[2]


def _largest_root(
    a0: np.ndarray, a1: np.ndarray, a2: np.ndarray, threshold: np.ndarray
) -> np.ndarray:
    """The largest m with a0 + a1 m + a2 m² ≥ threshold (a2 ≤ 0), -inf where there is none."""
    c0 = a0 - threshold
    out = np.full(np.broadcast(a0, threshold).shape, -np.inf)
    quadratic = a2 < 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = a1 * a1 - 4.0 * a2 * c0
        root = np.sqrt(np.maximum(disc, 0.0))
        # the larger root of a concave quadratic, written to avoid cancellation
        larger = np.where(a1 >= 0.0, (-a1 - root) / (2.0 * a2), 2.0 * c0 / (-a1 + root))
        out = np.where(quadratic & (disc >= 0.0), larger, out)
        linear = (~quadratic) & (a1 < 0.0)
        out = np.where(linear, -c0 / a1, out)
    return out
