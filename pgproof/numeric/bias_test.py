"""Test estimators for bias against the exact gradient: by streaming samples, and exactly.

For each estimator ĝ, trajectories τ_i ~ p_θ are sampled in batches
(:mod:`pgproof.numeric.streaming`) and reduced per batch, memory independent of m; the mean
is then tested against ∇J(θ):

    bounds    lo ≤ ĝ ≤ hi per coordinate, from the rewards, the horizon and the policy
              class (:mod:`pgproof.numeric.bounds`), intersected with the exact range by
              enumeration when the MDP is small; or as given;
    design    the tested values y = ĝ minus zero-mean control variates, their bounds and
              the split of α over coordinates, fixed from exact moments or from a pilot
              that the test does not use (:mod:`pgproof.numeric.design`);
    test      the anytime-valid betting confidence sequence (:mod:`pgproof.numeric.betting`,
              false-alarm rate ≤ α for every MDP, policy and m, also when sampling until a
              decision), or Hotelling's T² where its diagnostics hold; three verdicts —
              consistent with unbiased (no bias larger than δ, at 1 - α), biased, or
              inconclusive;
    exact     E[ĝ], Cov[ĝ] and the bias E[ĝ] - ∇J(θ) by enumeration when the MDP is
              small enough, and the m the test would need to show that bias with power 0.9
              (or, for an unbiased estimator, to confirm it within the tolerance).

Per-trajectory values are kept batch by batch (and the betting capital is exact) up to
EXACT_MAX_PARAMS coordinates; above, each batch enters through its size, mean and
Σ (y - ȳ)² (Fan's lower bound on the capital: the same test, slightly less powerful), with
control variates up to CONTROL_MAX_PARAMS coordinates and none beyond (where the sparse
reductions of :mod:`pgproof.numeric.streaming` never form ĝ per trajectory).
``samples="auto"`` samples until every estimator has a definite verdict or the budget is
spent.

This module owns the result's text (:meth:`BiasTestResult.text_lines`) and JSON
(:meth:`BiasTestResult.to_json`), used by ``pgproof verify`` and by the final-estimate
check of ``pgproof check --numeric`` alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgproof.numeric.betting import BettingSequence, scaled_range
from pgproof.numeric.bounds import declared_bounds
from pgproof.numeric.confidence import BatchMoments
from pgproof.numeric.control_variates import control_bounds, control_values, subtract_controls
from pgproof.numeric.design import (
    RANGE_PASS_TRAJECTORIES,
    Design,
    coefficients,
    exact_design,
    pilot_design,
    plain_design,
)
from pgproof.numeric.enumeration import MAX_TRAJECTORIES, trajectory_count
from pgproof.numeric.estimators import Estimator, EstimatorError
from pgproof.numeric.figures import roundoff_figure, roundoff_relation
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.moments import (
    bias_tolerance,
    exact_controlled_ranges,
    exact_summaries,
    exact_summaries_with_controls,
)
from pgproof.numeric.planning import samples_to_confirm, samples_to_detect
from pgproof.numeric.policies import Policy
from pgproof.numeric.stats import (
    HOTELLING_MAX_DIM,
    ComparisonResult,
    finish,
    method_name,
    sequence_verdict,
)
from pgproof.numeric.streaming import (
    BatchStats,
    Stream,
    StreamProblem,
    dense_stats,
    iter_batches,
    merge_stats,
    plan_batches,
    spec_for,
)
from pgproof.numeric.threads import one_blas_thread
from pgproof.numeric.trajectories import Batch

#: Exact moments enumerate at most this many trajectories (they cost more than J alone).
MAX_MOMENT_TRAJECTORIES = min(MAX_TRAJECTORIES, 2_000_000)
#: ``samples="auto"``: the default budget
AUTO_BUDGET = 4_000_000
#: per-trajectory values, and the capital computed exactly, up to this many parameters
EXACT_MAX_PARAMS = 32
#: control variates (dense estimates, Fan's bound above EXACT_MAX_PARAMS) up to this many;
#: a dense estimate costs ≈ 40 ns per coordinate and trajectory, the sparse reductions used
#: beyond ≈ 60 ns per step whatever d
CONTROL_MAX_PARAMS = 64
#: a batch carries at most this many per-trajectory values per estimator
VALUES_PER_BATCH = 1 << 19
#: a pilot (problems too large to enumerate) draws the first batches up to this many
#: trajectories, to fit the control variates and split α; the test does not use them
PILOT_SAMPLES = 512
#: ... and is drawn only when the run plans at least this many times as many trajectories
PILOT_FACTOR = 16


@dataclass(frozen=True, eq=False)
class BiasTestResult:
    """Everything known about one estimator's bias on one problem."""

    name: str
    expected_unbiased: bool
    comparison: ComparisonResult
    exact_mean: np.ndarray | None
    exact_bias: np.ndarray | None
    exact_covariance: np.ndarray | None
    bias_tolerance: float
    bounds_source: str = "none"
    bounds: tuple[np.ndarray, np.ndarray] | None = None
    #: m at which the test shows the exact bias (or confirms within tolerance) w.p. 0.9
    required_samples: float | None = None
    #: the tested values, their bounds and the split of α (None: no bounded test)
    design: Design | None = None

    @property
    def verdict(self) -> str:
        """ "unbiased" (consistent with unbiased), "biased" or "inconclusive"."""
        return self.comparison.verdict

    @property
    def expected_verdict(self) -> str:
        return "unbiased" if self.expected_unbiased else "biased"

    @property
    def as_expected(self) -> bool:
        """The verdict is the expected one (an inconclusive verdict never is)."""
        return self.verdict == self.expected_verdict

    @property
    def contradicts(self) -> bool:
        """A definite verdict opposite to the expected one."""
        return self.verdict != "inconclusive" and not self.as_expected

    @property
    def exactly_unbiased(self) -> bool | None:
        """Whether |E[ĝ] - ∇J|_∞ is at round-off level (None when not enumerable)."""
        if self.exact_bias is None:
            return None
        return bool(np.max(np.abs(self.exact_bias)) <= self.bias_tolerance)

    @property
    def max_exact_bias(self) -> float | None:
        """max |E[ĝ] - ∇J| over coordinates (None when not enumerable)."""
        return None if self.exact_bias is None else float(np.max(np.abs(self.exact_bias)))

    @property
    def exact_total_variance(self) -> float | None:
        return None if self.exact_covariance is None else float(np.trace(self.exact_covariance))

    @property
    def controlled_total_variance(self) -> float | None:
        """tr Cov of the tested values (ĝ minus its control variates), when known exactly
        and some coordinate is controlled."""
        design = self.design
        if design is None or design.variance is None or not design.controlled.any():
            return None
        return float(np.sum(design.variance))

    def to_json(self) -> dict[str, Any]:
        result = self.comparison
        exact = self.exact_bias is not None

        def listed(array: np.ndarray | None) -> list | None:
            return None if array is None else np.asarray(array).tolist()

        return {
            "estimator": self.name,
            "samples": result.n_samples,
            "alpha": result.alpha,
            "mean": result.mean.tolist(),
            "stderr": result.stderr.tolist(),
            "variance": result.variance.tolist(),
            "total_variance": result.total_variance,
            "method": result.method,
            "p_value": None if math.isnan(result.p_value) else result.p_value,
            "verdict": result.verdict,
            "statement": result.statement(),
            "expected": self.expected_verdict,
            "as_expected": self.as_expected,
            "lower": listed(result.lower),
            "upper": listed(result.upper),
            "excluded_bias": result.excluded_bias if math.isfinite(result.excluded_bias) else None,
            "bias_at_least": result.bias_at_least,
            "tolerance": result.tolerance,
            "bounds": {
                "source": self.bounds_source,
                "lower": listed(None if self.bounds is None else self.bounds[0]),
                "upper": listed(None if self.bounds is None else self.bounds[1]),
            },
            "notes": list(result.notes),
            "exact_bias": self.exact_bias.tolist() if exact else None,
            "max_exact_bias": self.max_exact_bias,
            "exact_total_variance": self.exact_total_variance,
            "exactly_unbiased": self.exactly_unbiased,
            "required_samples": self.required_samples,
            "controlled_total_variance": self.controlled_total_variance,
            "design": None if self.design is None else self.design.to_json(),
        }

    #: header of :meth:`text_lines`'s first line
    TABLE_HEADER = (
        f"{'estimator':27} {'expected':9} {'verdict':12} {'samples':>10} {'excluded δ':>10}"
        f" {'|exact bias|':>12} {'m for 0.9':>10}  result"
    )

    def text_lines(self) -> list[str]:
        """A table row (see ``TABLE_HEADER``), the verdict in words, then mean and stderr."""
        result = self.comparison
        bias = "n/a" if self.max_exact_bias is None else roundoff_figure(self.max_exact_bias)
        delta = f"{result.excluded_bias:.3g}" if math.isfinite(result.excluded_bias) else "—"
        needed = "—" if self.required_samples is None else _count(self.required_samples)
        mark = "ok" if self.as_expected else ("FAIL" if self.contradicts else "undecided")
        lines = [
            f"{self.name:27} {self.expected_verdict:9} {result.verdict:12} "
            f"{result.n_samples:>10,} {delta:>10} {bias:>12} {needed:>10}  {mark}",
            f"    {result.statement()}"
            + ("" if result.method == "betting" else f"  [{result.method} test]"),
        ]
        lines += [f"    note: {note}" for note in result.notes]
        if self.exact_covariance is not None:
            controlled = self.controlled_total_variance
            tested = "" if controlled is None else f" ({controlled:.4g} with control variates)"
            lines.append(
                f"    exact: |bias| {roundoff_relation(self.max_exact_bias)}, "
                f"variance tr Cov = {self.exact_total_variance:.4g}"
                f"{tested}; " + self._needed_words()
            )
        lines += [
            f"    mean   {format_array(result.mean.ravel())}",
            f"    stderr {format_array(result.stderr.ravel())}",
        ]
        return lines

    def _needed_words(self) -> str:
        if self.exactly_unbiased:
            if self.required_samples is None:
                return "no tolerance set"
            return f"about {_count(self.required_samples)} samples confirm it within tolerance"
        if self.required_samples is None:
            return "the bias is beyond reach of sampling"
        return f"about {_count(self.required_samples)} samples show this bias with power 0.9"

    def summary(self) -> str:
        """One sentence: the sampled test and the exact bias."""
        result = self.comparison
        exact = (
            "exact |bias| not computed (too many trajectories)"
            if self.max_exact_bias is None
            else f"exact |bias| {roundoff_relation(self.max_exact_bias, '.2g')} (by enumeration)"
        )
        p = "n/a" if math.isnan(result.p_value) else f"{result.p_value:.3g}"
        return (
            f"m = {result.n_samples}, {result.method} test (p = {p}) at α = {result.alpha} → "
            f"{result.statement()}; {exact}"
        )


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e7 else f"{value:.2g}"


def format_array(array: np.ndarray) -> str:
    """A short, aligned printout of a vector or table."""
    return np.array2string(
        array, formatter={"float_kind": lambda x: f"{x: .6g}"}, threshold=24, edgeitems=3
    )


def as_estimator(estimator: Estimator | Callable, name: str | None = None) -> Estimator:
    """Wrap a plain function ``(batch, mdp, policy, theta) -> [m, *param_shape]``.

    A function may declare bounds as an attribute ``bounds(mdp, policy, theta) -> (lo, hi)``.
    """
    if isinstance(estimator, Estimator):
        return estimator
    label = name or getattr(estimator, "__name__", "user_estimator")
    declared = getattr(estimator, "bounds", None)
    return Estimator(
        label,
        estimator,
        expected_unbiased=True,
        formula=f"user function {label}",
        bounds=declared if callable(declared) else None,
    )


# ----------------------------------------------------------------------------- the engine


@dataclass
class Track:
    """One estimator during a run: its bounds, exact summary, design, test and statistics."""

    estimator: Estimator
    shape: tuple[int, ...]
    bounds: tuple[np.ndarray, np.ndarray] | None  # of ĝ (param shape)
    bounds_source: str
    exact: Any  # ExactSummary-like (mean, covariance, ...), or None
    cross: bool  # Hotelling's statistics
    values: bool  # per-trajectory values (exact capitals)
    design: Design | None = None
    sequence: BettingSequence | None = None
    stats: BatchStats | None = None
    decided: bool = False

    def spec(self, pilot: bool = False):
        beta = None
        if self.design is not None and self.design.controlled.any():
            beta = self.design.beta
        return spec_for(
            self.estimator,
            cross=self.cross,
            values=self.values and not pilot,
            control=None if pilot else beta,
            pilot=pilot,
        )


@dataclass
class BiasRun:
    """The results of one run over several estimators, with how it was sampled."""

    results: list[BiasTestResult]
    samples: int  # trajectories sampled (the largest m of any estimator)
    planned: int | str
    seconds: float
    steps: int
    notes: list[str] = field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else math.inf


def _bounds_for(
    estimator: Estimator,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    given: float | tuple | None,
    exact_range: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[tuple[np.ndarray, np.ndarray] | None, str]:
    shape = policy.param_shape
    if given is not None:
        low, high = (-given, given) if np.isscalar(given) else given
        low = np.broadcast_to(np.asarray(low, dtype=np.float64), shape).copy()
        high = np.broadcast_to(np.asarray(high, dtype=np.float64), shape).copy()
        return (low, high), "given"
    found = declared_bounds(estimator, mdp, policy, theta)
    source = "derived from rewards, horizon and policy" if found is not None else "none"
    if exact_range is not None:
        if found is None:
            found, source = exact_range, "exact range by enumeration"
        else:
            found = (np.maximum(found[0], exact_range[0]), np.minimum(found[1], exact_range[1]))
            source = "derived, tightened by the exact range"
    if found is not None:
        low, high = (np.asarray(b, dtype=np.float64).reshape(shape) for b in found)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise EstimatorError(
                f"estimator {estimator.name!r}: its bounds overflow (rewards too large for "
                "float64 over this horizon)"
            )
        return (low, high), source
    return None, source


def _check_arguments(samples, alpha, method, tolerance, batch, policy) -> str:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    method = method_name(method)
    if samples == "auto":
        if tolerance is None:
            raise ValueError('samples="auto" needs a tolerance (the bias that matters)')
        if method == "hotelling":
            raise ValueError("Hotelling's test is not valid when sampling until a decision")
        if batch is not None:
            raise ValueError('samples="auto" samples its own trajectories; do not pass a batch')
    elif batch is None and (not isinstance(samples, int | np.integer) or samples < 2):
        raise ValueError(f"samples must be 'auto' or an integer ≥ 2, got {samples!r}")
    if tolerance is not None and not (tolerance >= 0 and math.isfinite(tolerance)):
        raise ValueError(f"tolerance must be non-negative, got {tolerance}")
    if method == "hotelling" and policy.n_params > HOTELLING_MAX_DIM:
        raise ValueError(
            f"Hotelling's test is offered up to {HOTELLING_MAX_DIM} parameters, θ has "
            f"{policy.n_params}"
        )
    return method


@dataclass
class TestPlan:
    """What a run will do, fixed before it samples: one track per estimator, the batch
    schedule's size limit and whether a pilot is drawn first (:func:`plan_tests`)."""

    tracks: list[Track]
    settings: Settings
    limit: int | None  # largest batch (dense values and controls stay small)
    pilot: bool
    enumerable: bool

    __test__ = False  # not a pytest class


def plan_tests(
    estimators: Sequence[Estimator | Callable],
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    gradient: np.ndarray,
    *,
    samples: int | str,
    alpha: float,
    tolerance: float | None,
    method: str = "betting",
    max_samples: int = AUTO_BUDGET,
    exact: bool = True,
    max_exact_trajectories: int = MAX_MOMENT_TRAJECTORIES,
    bounds: float | tuple | None = None,
    batch: Batch | None = None,
    control_variates: bool = True,
    weighted: bool = True,
) -> TestPlan:
    """Bounds, exact moments and designs of every estimator (the arguments of
    :func:`run_bias_tests`); the designs that need a pilot are left for the run."""
    method = _check_arguments(samples, alpha, method, tolerance, batch, policy)
    auto = samples == "auto"
    theta = np.asarray(theta, dtype=np.float64)
    gradient = np.asarray(gradient, dtype=np.float64)
    total = batch.size if batch is not None else (max_samples if auto else int(samples))
    count = trajectory_count(mdp) if exact else None
    enumerable = count is not None and count <= max_exact_trajectories
    wrapped = [as_estimator(item) for item in estimators]
    values = policy.n_params <= EXACT_MAX_PARAMS
    with_controls = control_variates and policy.n_params <= CONTROL_MAX_PARAMS
    summaries = _exact(wrapped, mdp, policy, theta, gradient, enumerable, with_controls)
    tracks = []
    for estimator, summary in zip(wrapped, summaries, strict=True):
        exact_range = None if summary is None else (summary.low, summary.high)
        found, source = _bounds_for(estimator, mdp, policy, theta, bounds, exact_range)
        cross = method == "hotelling" or (method == "auto" and found is None)
        cross = cross and policy.n_params <= HOTELLING_MAX_DIM
        tracks.append(Track(estimator, policy.param_shape, found, source, summary, cross, values))
    settings = Settings(alpha, tolerance, None if auto else total, weighted, method, total, auto)
    _exact_designs(tracks, mdp, policy, theta, gradient, settings, count)
    limit = max(1, VALUES_PER_BATCH // policy.n_params) if with_controls else None
    pilot = (
        with_controls
        and batch is None
        and not enumerable
        and total >= PILOT_FACTOR * PILOT_SAMPLES
        and any(t.bounds is not None and t.design is None for t in tracks)
    )
    return TestPlan(tracks, settings, limit, pilot, enumerable)


def run_bias_tests(
    estimators: Sequence[Estimator | Callable],
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    gradient: np.ndarray,
    *,
    samples: int | str = 10_000,
    seed: int | np.random.SeedSequence = 0,
    alpha: float = 0.01,
    tolerance: float | None = None,
    method: str = "betting",
    executor: Executor | None = None,
    max_samples: int = AUTO_BUDGET,
    exact: bool = True,
    max_exact_trajectories: int = MAX_MOMENT_TRAJECTORIES,
    bounds: float | tuple | None = None,
    batch: Batch | None = None,
    progress: bool = False,
    control_variates: bool = True,
    weighted: bool = True,
) -> BiasRun:
    """Test several estimators on common sampled trajectories (see the module docstring).

    ``samples``: a fixed m, or "auto" (sample until every verdict is definite or
    ``max_samples`` trajectories are spent; needs a ``tolerance``).  ``seed`` seeds the run
    (batch b uses child b of ``SeedSequence(seed)``); ``executor`` is any
    concurrent.futures Executor (None: this thread).  ``batch`` tests given trajectories
    instead of sampling.  ``bounds`` overrides the bounds (B for [-B, B], or (lo, hi)).
    ``control_variates`` and ``weighted`` (α split by difficulty) can be switched off, to
    measure what each contributes.
    """
    plan = plan_tests(
        estimators, mdp, policy, theta, gradient, samples=samples, alpha=alpha,
        tolerance=tolerance, method=method, max_samples=max_samples, exact=exact,
        max_exact_trajectories=max_exact_trajectories, bounds=bounds, batch=batch,
        control_variates=control_variates, weighted=weighted,
    )  # fmt: skip
    settings, tracks = plan.settings, plan.tracks
    theta = np.asarray(theta, dtype=np.float64)
    gradient = np.asarray(gradient, dtype=np.float64)
    rarest = None
    if settings.method in ("hotelling", "auto") and any(t.cross for t in tracks):
        from pgproof.numeric.stats import rarest_visits

        rarest = rarest_visits(mdp, policy, theta)
    started = time.perf_counter()
    if batch is not None:
        start_tests(tracks, gradient, settings)
        _feed_batch(tracks, batch, mdp, policy, theta, plan.limit)
    else:
        run = _Run(
            tracks,
            StreamProblem(mdp, policy, theta),
            np.random.SeedSequence(seed) if not isinstance(seed, np.random.SeedSequence) else seed,
            settings.total,
            settings.auto,
            executor,
            plan.limit,
        )
        run.sample(gradient, settings, plan.pilot, progress)
    seconds = time.perf_counter() - started
    results = [
        _result(track, mdp, gradient, alpha, settings.method, tolerance, rarest) for track in tracks
    ]
    used = max((r.comparison.n_samples for r in results), default=0)
    planned = "auto" if settings.auto else settings.total
    return BiasRun(results, used, planned, seconds, used * mdp.horizon)


@dataclass(frozen=True)
class Settings:
    """The run's parameters that the tests share."""

    alpha: float
    tolerance: float | None
    planned: int | None  # m of a fixed-size run
    weighted: bool
    method: str = "betting"
    total: int = 0  # trajectories to draw at most
    auto: bool = False


def _exact(wrapped, mdp, policy, theta, gradient, enumerable: bool, controls: bool) -> list:
    """Each estimator's exact summary (with the controls' moments when they will be used),
    or None when the MDP is not enumerated."""
    if not enumerable:
        return [None] * len(wrapped)
    with one_blas_thread:  # the control coefficients must not depend on the thread count
        if controls:
            return exact_summaries_with_controls(
                wrapped, mdp, policy, theta, gradient, control_values
            )
        summaries = exact_summaries(wrapped, mdp, policy, theta, gradient)
    return [_PlainSummary(*summary) for summary in summaries]


@dataclass(frozen=True)
class _PlainSummary:
    mean: np.ndarray
    covariance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    cross: None = None


def _exact_designs(tracks, mdp, policy, theta, gradient, settings: Settings, count) -> None:
    """Designs from exact moments, for every bounded estimator that has them."""
    target = gradient.ravel()
    chosen = [t for t in tracks if t.bounds is not None and t.exact is not None]
    controlled = [t for t in chosen if t.exact.cross is not None]
    ranges: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if controlled and count is not None and count <= RANGE_PASS_TRAJECTORIES:
        betas = [coefficients(t.exact) for t in controlled]
        with one_blas_thread:
            found = exact_controlled_ranges(
                [t.estimator for t in controlled], betas, mdp, policy, theta, control_values
            )
        ranges = {id(t): r for t, r in zip(controlled, found, strict=True)}
    for track in chosen:
        low, high = track.bounds
        if track.exact.cross is not None:
            design = exact_design(
                track.exact, low, high, target, settings.tolerance, settings.alpha,
                ranges.get(id(track)),
            )  # fmt: skip
        else:
            variance = np.maximum(np.diag(track.exact.covariance), 0.0)
            design = plain_design(low, high, target, settings.tolerance, settings.alpha, variance)
        track.design = _unweighted(design) if not settings.weighted else design


def _unweighted(design: Design) -> Design:
    uniform = np.full(design.lower.size, 1.0 / design.lower.size)
    return Design(
        design.lower, design.upper, uniform, design.beta, design.source + ", uniform α",
        design.variance, design.raw_variance, design.pilot,
    )  # fmt: skip


def start_tests(tracks: list[Track], gradient: np.ndarray, settings: Settings) -> None:
    """A plain design where none was found, then every bounded estimator's sequence."""
    target = gradient.ravel()
    for track in tracks:
        if track.bounds is None:
            continue
        if track.design is None:
            low, high = track.bounds
            track.design = plain_design(low, high, target, settings.tolerance, settings.alpha)
        design = track.design
        track.sequence = BettingSequence(
            design.lower,
            design.upper,
            settings.alpha,
            target,
            tolerance=settings.tolerance,
            planned=settings.planned,
            weights=design.weights,
        )


def _update(track: Track, part: BatchStats) -> None:
    """Merge a batch into the estimator's statistics and its test."""
    track.stats = merge_stats(track.stats, part)
    sequence = track.sequence
    if sequence is None:
        return
    if part.minimum is not None and track.bounds is not None:
        _check_range(track, part)
    if part.values is not None:
        sequence.update(part.values)
    elif part.tested is not None:
        sequence.update(moments=BatchMoments(*part.tested))
    else:
        if part.minimum is not None:
            sequence.note_range(part.minimum, part.maximum)
        sequence.update(moments=BatchMoments(part.n, part.mean, part.m2))


def _check_range(track: Track, part: BatchStats) -> None:
    """ĝ itself must stay within its bounds (the tested values' bounds rest on them)."""
    low, high = (np.ravel(b) for b in track.bounds)
    scale = max(1.0, float(np.max(np.abs(low))), float(np.max(np.abs(high))))
    margin = 1e-6 * scale
    if np.any(part.minimum < low - margin) or np.any(part.maximum > high + margin):
        raise ValueError(
            f"estimator {track.estimator.name!r}: an estimate fell outside its bounds "
            f"({track.bounds_source}): the bounds are wrong"
        )


def _feed_batch(tracks: list[Track], batch: Batch, mdp, policy, theta, limit) -> None:
    """Given trajectories, in the batch sizes a streaming run would use."""
    start = 0
    for size in plan_batches(batch.size, mdp.horizon, limit):
        part = slice(start, start + size)
        sub = Batch(batch.states[part], batch.actions[part], batch.rewards[part])
        start += size
        controls = None
        for track in tracks:
            values = track.estimator(sub, mdp, policy, theta).reshape(size, -1)
            stats = dense_stats(values, cross=track.cross)
            beta = None if track.design is None else track.design.beta
            tested = values
            if beta is not None and track.design.controlled.any():
                if controls is None:
                    controls = control_values(sub, mdp, policy, theta)
                tested = subtract_controls(values, controls, beta)
            if track.values:
                stats.values = tested
            elif tested is not values:
                mean = tested.mean(axis=0)
                stats.tested = (size, mean, ((tested - mean) ** 2).sum(axis=0))
            _update(track, stats)


class _Run:
    """Sampling for a run: the pilot (if any), then batches until done or decided."""

    def __init__(self, tracks, problem, seed, total, auto, executor, limit) -> None:
        self.tracks = tracks
        self.problem = problem
        self.seed = seed
        self.total = total
        self.auto = auto
        self.executor = executor
        self.limit = limit
        self.index = 0  # next batch
        self.drawn = 0

    def _sizes(self) -> Iterable[int]:
        import itertools

        sizes = iter_batches(self.total, self.problem.mdp.horizon, self.limit)
        return itertools.islice(sizes, self.index, None)

    def sample(self, gradient, settings: Settings, pilot: bool, progress: bool) -> None:
        from tqdm import tqdm

        bar = tqdm(total=self.total, desc="sampling", unit="τ", disable=not progress, leave=False)
        try:
            if pilot:
                self._pilot(gradient, settings, bar)
            start_tests(self.tracks, gradient, settings)
            self._main(bar)
        finally:
            bar.close()

    def _pilot(self, gradient, settings: Settings, bar) -> None:
        """Draw the first batches up to PILOT_SAMPLES and fit the designs on them; they count
        in the estimators' sampled statistics, never in their tests."""
        problem = self.problem
        mdp, policy, theta = problem.mdp, problem.policy, problem.theta
        found = control_bounds(mdp, policy, theta)
        wanting = [t for t in self.tracks if t.bounds is not None and t.design is None]
        if found is None or not wanting:
            return
        specs = [t.spec(pilot=True) for t in wanting]
        stream = Stream(problem, specs, self.seed, self.executor)
        pieces: dict[str, list[BatchStats]] = {spec.key: [] for spec in specs}
        for stats in stream.batches(self._sizes(), first=self.index):
            self.index += 1
            size = stats[specs[0].key].n
            self.drawn += size
            bar.update(size)
            for spec, track in zip(specs, wanting, strict=True):
                part = stats[spec.key]
                track.stats = merge_stats(track.stats, part)
                pieces[spec.key].append(part)
            if self.drawn >= PILOT_SAMPLES:
                break
        target = gradient.ravel()
        for spec, track in zip(specs, wanting, strict=True):
            values = np.concatenate([p.values for p in pieces[spec.key]])
            controls = np.concatenate([p.controls for p in pieces[spec.key]])
            low, high = (np.ravel(b) for b in track.bounds)
            design = pilot_design(
                low, high, values, controls, *found, target, settings.tolerance, settings.alpha
            )
            track.design = design if settings.weighted else _unweighted(design)

    def _main(self, bar) -> None:
        while True:
            active = [t for t in self.tracks if not t.decided]
            if not active or self.drawn >= self.total:
                break
            specs = [t.spec() for t in active]
            stream = Stream(self.problem, specs, self.seed, self.executor)
            restart = False
            for stats in stream.batches(self._sizes(), first=self.index):
                self.index += 1
                size = stats[specs[0].key].n
                self.drawn += size
                for spec, track in zip(specs, active, strict=True):
                    _update(track, stats[spec.key])
                bar.update(size)
                if self.auto and _decide(active):
                    restart = True
                    break
            if not restart:
                break


def _decide(active: list[Track]) -> bool:
    """Freeze estimators with a definite verdict; True when the active set shrank."""
    changed = False
    for track in active:
        if track.sequence is None:
            continue
        if sequence_verdict(track.sequence)[0] != "inconclusive":
            track.decided = changed = True
    return changed


def _result(
    track: Track,
    mdp: TabularMDP,
    gradient: np.ndarray,
    alpha: float,
    method: str,
    tolerance: float | None,
    rarest: float | None = None,
) -> BiasTestResult:
    assert track.stats is not None
    notes = ()
    if track.design is not None and track.design.pilot:
        notes = (
            f"the first {track.design.pilot:,} trajectories fitted the control variates and "
            "split α; the test used the others",
        )
    comparison = finish(
        track.stats,
        gradient,
        alpha,
        track.shape,
        sequence=track.sequence,
        method=method,
        tolerance=tolerance,
        notes=notes,
        rarest=rarest,
    )
    mean = bias = covariance = required = None
    if track.exact is not None:
        mean, covariance = track.exact.mean, track.exact.covariance
        bias = mean - gradient
        if track.design is not None and track.design.variance is not None:
            required = required_samples(track.design, mean, gradient, alpha, tolerance, mdp.horizon)
    return BiasTestResult(
        name=track.estimator.name,
        expected_unbiased=track.estimator.is_expected_unbiased(mdp),
        comparison=comparison,
        exact_mean=mean,
        exact_bias=bias,
        exact_covariance=covariance,
        bias_tolerance=bias_tolerance(gradient, mdp.horizon),
        bounds_source=track.bounds_source,
        bounds=track.bounds,
        required_samples=required,
        design=track.design,
    )


def required_samples(
    design: Design,
    mean: np.ndarray,
    gradient: np.ndarray,
    alpha: float,
    tolerance: float | None,
    horizon: int,
) -> float | None:
    """About how many samples the betting test needs to show the exact bias with power 0.9
    (or, for an exactly unbiased estimator, to confirm it within the tolerance), from the
    design's exact variances (:mod:`pgproof.numeric.planning`)."""
    assert design.variance is not None
    low, width = scaled_range(design.lower, design.upper)
    variance = design.variance / width**2
    target = (gradient.ravel() - low) / width
    bias = (mean.ravel() - gradient.ravel()) / width
    scaled_tolerance = None if tolerance is None else tolerance / width
    if np.max(np.abs(mean - gradient)) <= bias_tolerance(gradient, horizon):
        if scaled_tolerance is None or tolerance <= 0:
            return None
        needed = samples_to_confirm(variance, target, scaled_tolerance, alpha, design.weights)
    else:
        needed = samples_to_detect(variance, bias, target, scaled_tolerance, alpha, design.weights)
    return None if not math.isfinite(needed) or needed > 1e15 else float(math.ceil(needed))


def test_estimator_bias(
    estimator: Estimator | Callable,
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    gradient: np.ndarray,
    *,
    batch: Batch | None = None,
    m: int | str = 10_000,
    rng: np.random.Generator | None = None,
    seed: int | np.random.SeedSequence | None = None,
    alpha: float = 0.01,
    exact: bool = True,
    progress: bool = False,
    tolerance: float | None = None,
    method: str = "betting",
    bounds: float | tuple | None = None,
    executor: Executor | None = None,
    max_samples: int = AUTO_BUDGET,
) -> BiasTestResult:
    """Test one estimator: sample m trajectories (or reuse ``batch``), compare with ``gradient``
    = ∇J(θ), add exact moments.  Seed with ``seed`` or a seeded Generator ``rng``.

    Without a ``tolerance`` a test that does not reject reads "consistent with unbiased"
    and states the bias δ it excludes; with one, δ must reach it, else "inconclusive".
    """
    if batch is None and seed is None:
        if rng is None:
            raise ValueError("pass a seed, a seeded numpy Generator as rng, or a batch")
        seed = np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
    run = run_bias_tests(
        [estimator],
        mdp,
        policy,
        theta,
        gradient,
        samples=m,
        seed=0 if seed is None else seed,
        alpha=alpha,
        tolerance=tolerance,
        method=method,
        executor=executor,
        max_samples=max_samples,
        exact=exact,
        bounds=bounds,
        batch=batch,
        progress=progress,
    )
    return run.results[0]


test_estimator_bias.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
