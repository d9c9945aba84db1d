"""Test estimators for bias against the exact gradient: by streaming samples, and exactly.

For each estimator ĝ, trajectories τ_i ~ p_θ are sampled in batches
(:mod:`pgproof.numeric.streaming`) and reduced to sufficient statistics, memory independent
of m; the mean is then tested against ∇J(θ) (:mod:`pgproof.numeric.stats`):

    bounds    lo ≤ ĝ ≤ hi per coordinate, from the rewards, the horizon and the policy
              class (:mod:`pgproof.numeric.bounds`), intersected with the exact range by
              enumeration when the MDP is small; or as given;
    test      the anytime-valid empirical-Bernstein confidence sequence (false-alarm rate
              ≤ α for every MDP, policy and m), or Hotelling's T² where its diagnostics
              hold; three verdicts — consistent with unbiased (no bias larger than δ, at
              1 - α), biased, or inconclusive;
    exact     E[ĝ], Cov[ĝ] and the bias E[ĝ] - ∇J(θ) by enumeration when the MDP is
              small enough, and the m the test would need to show that bias with power 0.9
              (or, for an unbiased estimator, to confirm it within the tolerance).

``samples="auto"`` samples in doubling steps until every estimator has a definite verdict
or the budget is spent (valid: the confidence sequences hold under optional stopping).

This module owns the result's text (:meth:`BiasTestResult.text_lines`) and JSON
(:meth:`BiasTestResult.to_json`), used by ``pgproof verify`` and by the final-estimate
check of ``pgproof check --numeric`` alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgproof.numeric.bounds import declared_bounds
from pgproof.numeric.confidence import (
    ConfidenceSequence,
    geometric_plans,
    log_threshold,
    samples_for_power,
    samples_for_resolution,
)
from pgproof.numeric.enumeration import MAX_TRAJECTORIES, trajectory_count
from pgproof.numeric.estimators import Estimator, EstimatorError
from pgproof.numeric.figures import roundoff_figure
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.moments import bias_tolerance, exact_summaries
from pgproof.numeric.policies import Policy
from pgproof.numeric.stats import (
    HOTELLING_MAX_DIM,
    METHODS,
    ComparisonResult,
    finish,
    verdict_from_interval,
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
from pgproof.numeric.trajectories import Batch

#: Exact moments enumerate at most this many trajectories (they cost more than J alone).
MAX_MOMENT_TRAJECTORIES = min(MAX_TRAJECTORIES, 2_000_000)
#: ``samples="auto"``: the first planned size, and the default budget
AUTO_FIRST = 2048
AUTO_BUDGET = 4_000_000


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
            + ("" if result.method == "bernstein" else f"  [{result.method} test]"),
        ]
        lines += [f"    note: {note}" for note in result.notes]
        if self.exact_covariance is not None:
            lines.append(
                f"    exact: |bias| = {bias}, variance tr Cov = {self.exact_total_variance:.4g}; "
                + self._needed_words()
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
            else f"exact |bias| = {roundoff_figure(self.max_exact_bias, '.2g')} (by enumeration)"
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
class _Track:
    """One estimator during a run."""

    estimator: Estimator
    spec: Any
    shape: tuple[int, ...]
    sequence: ConfidenceSequence | None
    bounds: tuple[np.ndarray, np.ndarray] | None
    bounds_source: str
    exact: tuple[np.ndarray, np.ndarray] | None  # (mean, covariance)
    stats: BatchStats | None = None
    decided: bool = False


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
    method: str = "bernstein",
    executor: Executor | None = None,
    max_samples: int = AUTO_BUDGET,
    exact: bool = True,
    max_exact_trajectories: int = MAX_MOMENT_TRAJECTORIES,
    bounds: float | tuple | None = None,
    batch: Batch | None = None,
    progress: bool = False,
) -> BiasRun:
    """Test several estimators on common sampled trajectories (see the module docstring).

    ``samples``: a fixed m, or "auto" (sample until every verdict is definite or
    ``max_samples`` trajectories are spent; needs a ``tolerance``).  ``seed`` seeds the run
    (batch b uses child b of ``SeedSequence(seed)``); ``executor`` is any
    concurrent.futures Executor (None: this thread).  ``batch`` tests given trajectories
    instead of sampling.  ``bounds`` overrides the bounds (B for [-B, B], or (lo, hi)).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    auto = samples == "auto"
    if auto:
        if tolerance is None:
            raise ValueError('samples="auto" needs a tolerance (the bias that matters)')
        if method == "hotelling":
            raise ValueError("Hotelling's test is not valid when sampling until a decision")
        if batch is not None:
            raise ValueError('samples="auto" samples its own trajectories; do not pass a batch')
    elif batch is None and (not isinstance(samples, int | np.integer) or samples < 2):
        raise ValueError(f"samples must be 'auto' or an integer ≥ 2, got {samples!r}")
    if tolerance is not None and not tolerance >= 0:
        raise ValueError(f"tolerance must be non-negative, got {tolerance}")
    theta = np.asarray(theta, dtype=np.float64)
    gradient = np.asarray(gradient, dtype=np.float64)
    if method == "hotelling" and policy.n_params > HOTELLING_MAX_DIM:
        raise ValueError(
            f"Hotelling's test is offered up to {HOTELLING_MAX_DIM} parameters, θ has "
            f"{policy.n_params}"
        )
    total = batch.size if batch is not None else (max_samples if auto else int(samples))
    plans = geometric_plans(min(AUTO_FIRST, total), total) if auto else [total]
    enumerable = exact and trajectory_count(mdp) <= max_exact_trajectories
    wrapped = [as_estimator(item) for item in estimators]
    summaries = (
        exact_summaries(wrapped, mdp, policy, theta, gradient)
        if enumerable
        else [None] * len(wrapped)
    )
    tracks: list[_Track] = []
    for estimator, summary in zip(wrapped, summaries, strict=True):
        moments = rng = None
        if summary is not None:
            mean, covariance, low, high = summary
            moments, rng = (mean, covariance), (low, high)
        found, source = _bounds_for(estimator, mdp, policy, theta, bounds, rng)
        use_cs = found is not None  # for "hotelling", the test it falls back on
        sequence = (
            ConfidenceSequence(found[0], found[1], alpha, target=gradient, plans=plans)
            if use_cs
            else None
        )
        cross = method == "hotelling" or (method == "auto" and found is None)
        cross = cross and policy.n_params <= HOTELLING_MAX_DIM
        tracks.append(
            _Track(
                estimator,
                spec_for(estimator, cross=cross),
                policy.param_shape,
                sequence,
                found,
                source,
                moments,
            )
        )
    rarest = None
    if method in ("hotelling", "auto") and any(t.spec.cross for t in tracks):
        from pgproof.numeric.stats import rarest_visits

        rarest = rarest_visits(mdp, policy, theta)
    started = time.perf_counter()
    horizon = mdp.horizon
    if batch is not None:
        _feed_batch(tracks, batch, mdp, policy, theta)
    else:
        _stream(
            tracks,
            StreamProblem(mdp, policy, theta),
            np.random.SeedSequence(seed) if not isinstance(seed, np.random.SeedSequence) else seed,
            total,
            auto,
            gradient,
            tolerance,
            executor,
            progress,
        )
    seconds = time.perf_counter() - started
    results = [
        _result(track, mdp, gradient, alpha, method, tolerance, horizon, rarest) for track in tracks
    ]
    used = max((r.comparison.n_samples for r in results), default=0)
    return BiasRun(results, used, "auto" if auto else total, seconds, used * horizon)


def _update(track: _Track, part: BatchStats) -> None:
    track.stats = merge_stats(track.stats, part)
    if track.sequence is not None:
        if part.minimum is not None:
            track.sequence.note_range(part.minimum, part.maximum)
        track.sequence.update(part)


def _feed_batch(tracks: list[_Track], batch: Batch, mdp, policy, theta) -> None:
    """Given trajectories, in the batch sizes a streaming run would use."""
    start = 0
    for size in plan_batches(batch.size, mdp.horizon):
        part = slice(start, start + size)
        sub = Batch(batch.states[part], batch.actions[part], batch.rewards[part])
        start += size
        for track in tracks:
            values = track.estimator(sub, mdp, policy, theta).reshape(size, -1)
            _update(track, dense_stats(values, cross=track.spec.cross))


def _stream(
    tracks: list[_Track],
    problem: StreamProblem,
    seed: np.random.SeedSequence,
    total: int,
    auto: bool,
    gradient: np.ndarray,
    tolerance: float | None,
    executor: Executor | None,
    progress: bool,
) -> None:
    import itertools

    from tqdm import tqdm

    target = gradient.ravel()
    horizon = problem.mdp.horizon
    index = 0  # next batch
    bar = tqdm(total=total, desc="sampling", unit="τ", disable=not progress, leave=False)
    try:
        while True:
            active = [t for t in tracks if not t.decided]
            if not active:
                break
            stream = Stream(problem, [t.spec for t in active], seed, executor)
            sizes = itertools.islice(iter_batches(total, horizon), index, None)
            restart = False
            for stats in stream.batches(sizes, first=index):
                index += 1
                for track in active:
                    _update(track, stats[track.spec.key])
                bar.update(stats[active[0].spec.key].n)
                if auto and _decide(active, target, tolerance):
                    restart = True
                    break
            if not restart:
                break
    finally:
        bar.close()


def _decide(active: list[_Track], target: np.ndarray, tolerance: float | None) -> bool:
    """Freeze estimators with a definite verdict; True when the active set shrank."""
    changed = False
    for track in active:
        if track.sequence is None:
            continue
        verdict, _, _ = verdict_from_interval(
            track.sequence.lower, track.sequence.upper, target, tolerance
        )
        if verdict != "inconclusive":
            track.decided = changed = True
    return changed


def _result(
    track: _Track,
    mdp: TabularMDP,
    gradient: np.ndarray,
    alpha: float,
    method: str,
    tolerance: float | None,
    horizon: int,
    rarest: float | None = None,
) -> BiasTestResult:
    assert track.stats is not None
    comparison = finish(
        track.stats,
        gradient,
        alpha,
        track.shape,
        sequence=track.sequence,
        method=method,
        tolerance=tolerance,
        rarest=rarest,
    )
    mean = bias = covariance = required = None
    if track.exact is not None:
        mean, covariance = track.exact
        bias = mean - gradient
        if track.bounds is not None:
            required = required_samples(
                mean, bias, covariance, track.bounds, alpha, tolerance, gradient, horizon
            )
    return BiasTestResult(
        name=track.estimator.name,
        expected_unbiased=track.estimator.is_expected_unbiased(mdp),
        comparison=comparison,
        exact_mean=mean,
        exact_bias=bias,
        exact_covariance=covariance,
        bias_tolerance=bias_tolerance(gradient, horizon),
        bounds_source=track.bounds_source,
        bounds=track.bounds,
        required_samples=required,
    )


def required_samples(
    mean, bias, covariance, bounds, alpha, tolerance, gradient, horizon
) -> float | None:
    """m at which this test shows the exact bias with power 0.9 (or, for an exactly unbiased
    estimator, confirms it within the tolerance), for a run planned to that m."""
    from pgproof.numeric.streaming import FIRST_BATCH, max_batch_size

    variance = np.maximum(np.diag(covariance), 0.0)
    width = (bounds[1] - bounds[0]).ravel()
    scaled = (mean.ravel() - bounds[0].ravel()) / np.maximum(width, 1e-300)
    ell = log_threshold(alpha, width.size)
    schedule = {"mean": scaled, "first": FIRST_BATCH, "top": max_batch_size(horizon)}
    if np.max(np.abs(bias)) <= bias_tolerance(gradient, horizon):
        if tolerance is None:
            return None
        return samples_for_resolution(tolerance, variance, width, ell, **schedule)
    return samples_for_power(bias.ravel(), variance, width, ell, power=0.9, **schedule)


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
    method: str = "bernstein",
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
