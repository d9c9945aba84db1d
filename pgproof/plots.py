"""Plots of policy-gradient estimators on a tabular MDP (matplotlib, optional).

Two panels, one figure:

* **error of the running mean against m** (log–log): for each estimator ĝ, the distance
  ‖ḡ_m − ∇J(θ)‖₂ of the mean of its first m per-trajectory estimates from the exact
  gradient, with a shaded band: where that distance stays with probability 1 − α at each
  m *if the estimator is unbiased* (from its covariance Σ: m‖ḡ_m − ∇J‖² is close in law to
  Σ_j λ_j χ²₁, approximated by tr Σ · χ²_ν/ν with ν = (tr Σ)² / tr Σ², Satterthwaite).  An
  unbiased estimator's error falls like 1/√m inside its band; a biased one levels off at
  its bias ‖E ĝ − ∇J‖₂ and leaves the band.  A dashed line marks ‖∇J(θ)‖₂, the scale of
  the gradient itself: an error above it is no better than guessing 0.
* **variance per estimator**: the total variance tr Cov(ĝ) (the sum of the variances of
  the θ coordinates), the number that sets how many samples an estimator needs.

:func:`estimator_traces` computes the numbers (NumPy only; exact moments by enumeration
when the MDP is small enough, else from the sample); :func:`save_plot` and
:func:`plot_bytes` draw them.  matplotlib is imported only by those two, and is the
``plots`` extra: ``pip install 'pgproof[plots]'``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pgproof.numeric.mdp import TabularMDP
    from pgproof.numeric.policies import Policy

__all__ = [
    "FORMATS",
    "PlotError",
    "Trace",
    "Traces",
    "estimator_traces",
    "plot_bytes",
    "require_matplotlib",
    "save_plot",
]

#: file formats a plot can be written in (by the file's suffix)
FORMATS = ("png", "svg", "pdf")

#: above this many trajectories, moments come from the sample instead of enumeration
MAX_ENUMERATION = 200_000

#: points per curve (log-spaced sample counts)
POINTS = 120


class PlotError(RuntimeError):
    """A plot cannot be made: matplotlib is missing, or the file format is unknown."""


@dataclass
class Trace:
    """One estimator's curve: the error of its running mean at ``counts``, and its band."""

    name: str
    label: str
    #: whether the estimator is meant to be unbiased (None: not said)
    expected_unbiased: bool | None
    counts: np.ndarray
    #: ‖ḡ_m − ∇J‖₂ at each count
    errors: np.ndarray
    #: the band in which that error lies with probability 1 − α at each count if the
    #: estimator is unbiased: ``band_low`` ≤ error ≤ ``band``
    band: np.ndarray
    band_low: np.ndarray
    #: tr Cov(ĝ), per trajectory
    variance: float
    #: ‖E ĝ − ∇J‖₂ (exact when ``exact``)
    bias: float
    #: moments by enumeration (True) or from the sample (False)
    exact: bool


@dataclass
class Traces:
    """Every estimator's trace on one problem, with what the plot says about it."""

    traces: list[Trace]
    gradient_norm: float
    samples: int
    alpha: float
    problem: str
    seed: int

    def __repr__(self) -> str:
        names = ", ".join(t.name for t in self.traces)
        return f"<Traces of {names} on {self.problem}, m = {self.samples}>"

    def text(self) -> str:
        """One line per estimator: final error, bias, total variance."""
        lines = [
            f"running-mean error after m = {self.samples:,} ({self.problem}; "
            f"|∇J|₂ = {self.gradient_norm:.4g})",
            f"{'estimator':<28} {'|ḡ_m − ∇J|₂':>12} {'band top':>10} {'|bias|₂':>10} "
            f"{'tr Cov(ĝ)':>10}",
        ]
        for t in self.traces:
            lines.append(
                f"{t.name:<28} {t.errors[-1]:>12.4g} {t.band[-1]:>10.3g} {t.bias:>10.3g} "
                f"{t.variance:>10.4g}"
            )
        return "\n".join(lines)


def _band_factors(covariance: np.ndarray, alpha: float) -> tuple[float, float]:
    """(q_lo, q_hi) with P(q_lo ≤ m‖ḡ_m − μ‖² ≤ q_hi) ≈ 1 − α for an unbiased mean, the
    α/2 and 1 − α/2 quantiles of tr Σ · χ²_ν/ν (Satterthwaite)."""
    from scipy.stats import chi2

    trace = float(np.trace(covariance))
    if trace <= 0:
        return 0.0, 0.0
    squared = float(np.sum(covariance * covariance.T))
    nu = trace * trace / squared if squared > 0 else 1.0
    low, high = chi2.ppf([alpha / 2, 1.0 - alpha / 2], nu)
    return trace * float(low) / nu, trace * float(high) / nu


def _counts(samples: int) -> np.ndarray:
    counts = np.unique(np.geomspace(10, samples, POINTS).astype(np.int64))
    return counts[counts >= 1]


def estimator_traces(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    estimators: Sequence[Any],
    *,
    samples: int = 20_000,
    seed: int = 0,
    alpha: float = 0.01,
    gradient: np.ndarray | None = None,
    labels: Sequence[str] | None = None,
    problem: str = "",
) -> Traces:
    """Sample ``samples`` trajectories (seeded) and trace each estimator's running mean.

    ``estimators``: :class:`pgproof.numeric.estimators.Estimator` objects or any callables
    ``(batch, mdp, policy, theta) -> [m, *theta.shape]`` (named by ``__name__``).  One
    sample serves every estimator, so their curves are comparable.  ``gradient`` is ∇J(θ)
    (by enumeration or DP when not given).
    """
    from pgproof.numeric.dp import exact_gradient_dp
    from pgproof.numeric.enumeration import exact_gradient_enumeration, trajectory_count
    from pgproof.numeric.moments import exact_moments
    from pgproof.numeric.sampling import sample_trajectories

    if samples < 10:
        raise ValueError(f"samples must be at least 10, got {samples}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    theta = np.asarray(theta, dtype=np.float64)
    enumerable = trajectory_count(mdp) <= MAX_ENUMERATION
    if gradient is None:
        gradient = (
            exact_gradient_enumeration(mdp, policy, theta)
            if enumerable
            else exact_gradient_dp(mdp, policy, theta)
        )
    gradient = np.asarray(gradient, dtype=np.float64).reshape(-1)
    functions: list[Callable[..., np.ndarray]] = list(estimators)
    names = [getattr(f, "name", None) or getattr(f, "__name__", "estimator") for f in functions]
    shown = list(labels) if labels is not None else names
    exact = (
        [exact_moments(function, mdp, policy, theta) for function in functions]
        if enumerable
        else None
    )
    batch = sample_trajectories(mdp, policy, theta, samples, np.random.default_rng(seed))
    counts = _counts(samples)
    traces = []
    for j, function in enumerate(functions):
        values = np.asarray(function(batch, mdp, policy, theta), dtype=np.float64)
        values = values.reshape(samples, -1)
        running = np.cumsum(values, axis=0)[counts - 1] / counts[:, None]
        errors = np.linalg.norm(running - gradient, axis=1)
        if exact is not None:
            mean, covariance = exact[j][0].reshape(-1), exact[j][1]
        else:
            mean, covariance = values.mean(axis=0), np.atleast_2d(np.cov(values, rowvar=False))
        low, high = _band_factors(covariance, alpha)
        expected = getattr(function, "expected_unbiased", None)
        if expected is not None and hasattr(function, "is_expected_unbiased"):
            expected = bool(function.is_expected_unbiased(mdp))
        traces.append(
            Trace(
                name=names[j],
                label=shown[j],
                expected_unbiased=expected,
                counts=counts,
                errors=errors,
                band=np.sqrt(high / counts),
                band_low=np.sqrt(low / counts),
                variance=float(np.trace(covariance)),
                bias=float(np.linalg.norm(mean - gradient)),
                exact=exact is not None,
            )
        )
    return Traces(traces, float(np.linalg.norm(gradient)), samples, alpha, problem, seed)


def require_matplotlib() -> Any:
    """Import matplotlib (headless), or raise :class:`PlotError` saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError(
            "plots need matplotlib: pip install 'pgproof[plots]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg", force=False)
    return matplotlib


def _figure(traces: Traces):
    require_matplotlib()
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=100, layout="constrained")
    error_axes, variance_axes = figure.subplots(1, 2, width_ratios=(1.6, 1))
    colours = [f"C{i % 10}" for i in range(len(traces.traces))]
    level = round(100 * (1 - traces.alpha), 2)
    for trace, colour in zip(traces.traces, colours, strict=True):
        label = trace.label + ("" if trace.expected_unbiased in (None, True) else " (biased)")
        error_axes.fill_between(
            trace.counts, trace.band_low, trace.band, color=colour, alpha=0.15, lw=0
        )
        error_axes.plot(trace.counts, trace.errors, color=colour, lw=1.6, label=label)
    error_axes.axhline(traces.gradient_norm, color="black", lw=1, ls="--", label="‖∇J(θ)‖₂")
    error_axes.set_xscale("log")
    error_axes.set_yscale("log")
    lows = [t.errors[t.errors > 0].min() for t in traces.traces if np.any(t.errors > 0)]
    if lows:
        error_axes.set_ylim(bottom=min(lows) / 3)
    error_axes.set_xlabel("m (trajectories)")
    error_axes.set_ylabel("‖ḡ_m − ∇J(θ)‖₂")
    error_axes.set_title(
        f"error of the running mean; shaded: its {level:g}% band if unbiased", fontsize=10
    )
    error_axes.legend(fontsize=7.5, loc="lower left", framealpha=0.85)
    error_axes.grid(True, which="both", alpha=0.25)
    names = [t.label for t in traces.traces]
    positions = np.arange(len(names))
    bars = variance_axes.barh(positions, [t.variance for t in traces.traces], color=colours)
    for bar, trace in zip(bars, traces.traces, strict=True):
        if trace.expected_unbiased is False:
            bar.set_hatch("//")
    variance_axes.set_yticks(positions, names, fontsize=8)
    variance_axes.invert_yaxis()
    variance_axes.set_xscale("log")
    exact = all(t.exact for t in traces.traces)
    variance_axes.set_xlabel("tr Cov(ĝ) per trajectory" + (" (exact)" if exact else " (sample)"))
    variance_axes.set_title("total variance of each estimator", fontsize=10)
    variance_axes.grid(True, axis="x", which="both", alpha=0.25)
    if traces.problem:
        title = f"{traces.problem}, m = {traces.samples:,}, seed {traces.seed}"
        figure.suptitle(title, fontsize=10)
    return figure


def _format(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise PlotError(
            f"{name}: unknown plot format {suffix or '(no suffix)'!r}; "
            f"use one of {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


#: fixed metadata, so the same numbers give the same file
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


def plot_bytes(traces: Traces, fmt: str = "png", dpi: int = 100) -> bytes:
    """The plot as a PNG, SVG or PDF file's bytes."""
    if fmt not in FORMATS:
        raise PlotError(f"unknown plot format {fmt!r}; use one of {', '.join(FORMATS)}")
    matplotlib = require_matplotlib()
    figure = _figure(traces)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "pgproof"}):  # the same ids every time
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    return buffer.getvalue()


def save_plot(traces: Traces, path: str | Path) -> Path:
    """Write the plot to ``path`` (PNG, SVG or PDF, by its suffix)."""
    path = Path(path)
    path.write_bytes(plot_bytes(traces, _format(str(path))))
    return path


def check_plot_path(name: str) -> str:
    """The format of ``name`` (raises :class:`PlotError` for an unknown suffix)."""
    return _format(name)
