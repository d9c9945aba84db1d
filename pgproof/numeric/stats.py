"""Is a sampled estimator's mean the exact gradient?  Hotelling's T² (or Holm z-tests).

Given m i.i.d. per-trajectory estimates ĝ_1..ĝ_m ∈ R^d with sample mean ḡ and sample
covariance Σ̂, test H₀: E[ĝ] = ∇J (the exact gradient g*) at false-alarm rate α.

Hotelling (default).  The softmax score is singular (Σ_a ∇_θ[s,a] log π = 0, so Cov[ĝ] has
rank ≤ S(A-1) for the tabular policy); restrict to the k-dimensional range of Σ̂ with its
eigen-decomposition Σ̂ = U Λ Uᵀ, λ_j > tol, and use

    T² = m (ḡ - g*)ᵀ U_k Λ_k⁻¹ U_kᵀ (ḡ - g*),    F = (m-k) T² / (k (m-1)) ~ F(k, m-k).

A difference ḡ - g* with a component outside that range cannot come from sampling noise
(every sample agrees there), so it is reported with p = 0.  Directions with standard
deviation below 1e-9 · scale (scale = max(1, |g*|_∞, |ḡ|_∞)) count as deterministic, and
differences below that level count as round-off: sampling cannot resolve them, while
:mod:`pgproof.numeric.moments` states such tiny biases exactly.

Holm.  Per-coordinate z_j = (ḡ_j - g*_j) / (s_j / √m), two-sided p_j; the global null is
rejected when Holm's first step rejects, i.e. p = min(1, d · min_j p_j).  Used when m ≤ k.

The verdict is "biased" when p < α, else "unbiased"; under H₀ a false alarm happens with
probability ≈ α (measured in the benchmarks and a slow test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: relative eigenvalue / agreement tolerance that separates round-off from signal
RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Outcome of :func:`compare_with_exact`; mean/stderr/variance are per coordinate."""

    p_value: float
    verdict: str
    mean: np.ndarray
    stderr: np.ndarray
    variance: np.ndarray
    alpha: float
    method: str
    statistic: float
    n_samples: int
    rank: int

    @property
    def total_variance(self) -> float:
        """tr Cov[ĝ]: the estimator's variance summed over coordinates."""
        return float(self.variance.sum())


def _outside_range(delta: np.ndarray, basis: np.ndarray, scale: float) -> bool:
    residual = delta - basis @ (basis.T @ delta)
    return bool(np.max(np.abs(residual), initial=0.0) > RELATIVE_TOLERANCE * scale)


def _hotelling(delta: np.ndarray, covariance: np.ndarray, m: int, scale: float):
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    # directions whose standard deviation is at round-off level count as deterministic
    cutoff = max(
        RELATIVE_TOLERANCE * max(float(eigenvalues[-1]), 0.0) * len(eigenvalues),
        (RELATIVE_TOLERANCE * scale) ** 2,
    )
    keep = eigenvalues > cutoff
    basis = eigenvectors[:, keep]
    k = int(keep.sum())
    if _outside_range(delta, basis, scale):
        return 0.0, np.inf, k
    if k == 0:
        return 1.0, 0.0, 0
    if m <= k + 1:
        return float("nan"), float("nan"), k
    projected = basis.T @ delta
    t_squared = m * float(projected @ (projected / eigenvalues[keep]))
    f_statistic = (m - k) * t_squared / (k * (m - 1))
    from scipy.special import fdtrc  # F(k, m-k) survival function; imported when used

    return float(fdtrc(k, m - k, f_statistic)), t_squared, k


def _holm(delta: np.ndarray, variance: np.ndarray, m: int, scale: float):
    stderr = np.sqrt(variance / m)
    degenerate = stderr <= RELATIVE_TOLERANCE * scale / np.sqrt(m)
    if np.any(np.abs(delta[degenerate]) > RELATIVE_TOLERANCE * scale):
        return 0.0, np.inf
    z = np.abs(delta[~degenerate]) / stderr[~degenerate]
    if z.size == 0:
        return 1.0, 0.0
    from scipy.special import ndtr  # standard normal cdf; imported when used

    p_min = 2.0 * float(ndtr(-z.max()))
    return min(1.0, z.size * p_min), float(z.max())


def compare_with_exact(
    samples: np.ndarray, exact: np.ndarray, alpha: float = 0.01, method: str = "auto"
) -> ComparisonResult:
    """Test whether ``samples`` [m, *shape] have mean ``exact`` [*shape] at level ``alpha``.

    ``method`` is "hotelling", "holm", or "auto" (Hotelling when m > rank + 1, else Holm).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if method not in ("auto", "hotelling", "holm"):
        raise ValueError(f"method must be 'auto', 'hotelling' or 'holm', got {method!r}")
    exact = np.asarray(exact, dtype=np.float64)
    samples = np.asarray(samples, dtype=np.float64)
    m = samples.shape[0]
    if m < 2:
        raise ValueError(f"need at least 2 samples, got {m}")
    if samples.shape[1:] != exact.shape:
        expected = [m, *exact.shape]
        raise ValueError(f"samples have shape {list(samples.shape)}, expected {expected}")
    flat = samples.reshape(m, -1)
    mean = flat.mean(axis=0)
    centred = flat - mean
    covariance = centred.T @ centred / (m - 1)
    variance = np.diag(covariance).copy()
    delta = mean - exact.ravel()
    scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)), float(np.abs(mean).max()))

    if method == "holm":
        p_value, statistic = _holm(delta, variance, m, scale)
        rank = int(np.linalg.matrix_rank(covariance))
    else:
        p_value, statistic, rank = _hotelling(delta, covariance, m, scale)
        if m <= rank + 1:
            if method == "hotelling":
                raise ValueError(f"Hotelling's T² needs m > rank + 1 = {rank + 1}, got m = {m}")
            method = "holm"
            p_value, statistic = _holm(delta, variance, m, scale)
        else:
            method = "hotelling"
    shape = exact.shape
    return ComparisonResult(
        p_value=float(p_value),
        verdict="biased" if p_value < alpha else "unbiased",
        mean=mean.reshape(shape),
        stderr=np.sqrt(variance / m).reshape(shape),
        variance=variance.reshape(shape),
        alpha=alpha,
        method=method,
        statistic=float(statistic),
        n_samples=m,
        rank=rank,
    )
