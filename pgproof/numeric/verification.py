"""``pgproof verify`` as a library call: exact values, every estimator's verdict, the report.

:func:`verify_problem` computes J(θ), ∇J(θ) by enumeration (when the trajectories can be
counted through) and by dynamic programming, and runs :func:`run_bias_tests` over the
estimators; :class:`VerifyReport` owns the text and JSON the command prints and the exit
status: 0 when every verdict is the expected one, 1 otherwise — a verdict that contradicts
the expectation (biased for an estimator expected unbiased, or the reverse) or one that is
inconclusive (more samples, or a larger tolerance, needed); the report says which.  An
inconclusive verdict is never counted as the expected one.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgproof.numeric.bias_test import AUTO_BUDGET, BiasRun, BiasTestResult, format_array
from pgproof.numeric.figures import roundoff_relation
from pgproof.numeric.mdp import MDPError, TabularMDP
from pgproof.numeric.policies import Policy, TabularSoftmax, TimeDependentSoftmax
from pgproof.numeric.resources import Estimate, Request
from pgproof.numeric.stats import method_name

EXIT_OK, EXIT_NOT_AS_EXPECTED, EXIT_USAGE = 0, 1, 2


def log10_trajectories(n_states: int, n_actions: int, horizon: int) -> float:
    """log₁₀ of S^{T+1} A^T (the count itself may have millions of digits)."""
    return (horizon + 1) * math.log10(n_states) + horizon * math.log10(n_actions)


def trajectory_count_or_none(n_states: int, n_actions: int, horizon: int, limit: int) -> int | None:
    """S^{T+1} A^T when it is at most ``limit``, else None (never builds a huge integer)."""
    if log10_trajectories(n_states, n_actions, horizon) > math.log10(max(limit, 1)) + 1:
        return None
    count = n_states ** (horizon + 1) * n_actions**horizon
    return count if count <= limit else None


def describe_count(n_states: int, n_actions: int, horizon: int) -> str:
    exponent = log10_trajectories(n_states, n_actions, horizon)
    if exponent < 15:
        return f"{n_states ** (horizon + 1) * n_actions**horizon:,}"
    return f"about 10^{exponent:.4g}"


def request_for(
    n_states: int,
    n_actions: int,
    horizon: int,
    policy_kind: str,
    samples: int,
    estimators: list,
    enumerated: int,
    method: str,
    random: bool,
    n_params: int | None = None,
) -> Request:
    """The resource request of a verify run (see :mod:`pgproof.numeric.resources`)."""
    from pgproof.numeric.bias_test import CONTROL_MAX_PARAMS, EXACT_MAX_PARAMS

    time_dependent = policy_kind == "time-dependent"
    if n_params is None:
        n_params = n_states * n_actions * (horizon if time_dependent else 1)
    sparse = sum(1 for e in estimators if e.weights is not None and method != "hotelling")
    controls = n_params <= CONTROL_MAX_PARAMS
    if policy_kind not in ("tabular", "time-dependent") or controls:
        sparse = 0  # evaluated densely (with the control variates, up to 64 parameters)
    return Request(
        n_states=n_states,
        n_actions=n_actions,
        horizon=horizon,
        samples=samples,
        n_params=n_params,
        time_dependent=time_dependent,
        sparse_estimators=sparse,
        dense_estimators=len(estimators) - sparse,
        enumerated=enumerated,
        hotelling=method == "hotelling",
        random_mdp=random,
        controls=controls,
        capitals=n_params <= EXACT_MAX_PARAMS,
    )


def policy_kind(policy: Policy) -> str:
    if isinstance(policy, TabularSoftmax):
        return "tabular"
    if isinstance(policy, TimeDependentSoftmax):
        return "time-dependent"
    return "other"


@dataclass
class VerifyReport:
    """Everything ``pgproof verify`` prints, as data."""

    source: str
    mdp: TabularMDP
    policy: Policy
    count: str
    enumerable: bool
    objective: float
    grad_exact: np.ndarray
    grad_dp: np.ndarray
    run: BiasRun
    alpha: float
    tolerance: float | None
    relative_tolerance: float | None
    seed: int
    samples: int | str
    max_samples: int
    method: str
    executor: str
    estimate: Estimate | None = None
    notes: list[str] = field(default_factory=list)
    #: print the sampling time in the text (it varies between runs; JSON always has it)
    show_timing: bool = False

    @property
    def checks(self) -> list[BiasTestResult]:
        return self.run.results

    @property
    def exit_status(self) -> int:
        if all(check.as_expected for check in self.checks):
            return EXIT_OK
        return EXIT_NOT_AS_EXPECTED

    @property
    def ok(self) -> bool:
        return self.exit_status == EXIT_OK

    def _tolerance_words(self) -> str:
        if self.tolerance is None:
            return "no tolerance"
        if self.relative_tolerance is not None:
            return f"tolerance {self.tolerance:.3g} ({self.relative_tolerance:g} × |∇J|_∞)"
        return f"tolerance {self.tolerance:.3g}"

    def _samples_words(self) -> str:
        if self.samples == "auto":
            return f"samples: auto (until every verdict is definite, at most {self.max_samples:,})"
        return f"samples: {self.samples:,}"

    def text(self) -> str:
        mdp = self.mdp
        method = "enumeration" if self.enumerable else "dynamic programming (too many to enumerate)"
        lines = [
            f"MDP {self.source}: S={mdp.n_states} A={mdp.n_actions} T={mdp.horizon} "
            f"γ={mdp.discount:g}, {self.policy!r}, {self.count} trajectories",
            f"J(θ) = {self.objective:.12g}",
            f"∇J(θ) by {method}:",
            format_array(self.grad_exact),
        ]
        if self.enumerable:
            difference = float(np.max(np.abs(self.grad_exact - self.grad_dp)))
            lines.append(f"max |enumeration - DP| {roundoff_relation(difference)}")
        test = {
            "betting": "betting confidence sequence with control variates (finite-sample, "
            "anytime-valid)",
            "hotelling": "Hotelling's T² where its diagnostics hold (asymptotic)",
            "auto": "betting confidence sequence where bounds are known, else Hotelling "
            "(asymptotic)",
        }[method_name(self.method)]
        run = self.run
        lines += [
            "",
            f"{self._samples_words()}, α = {self.alpha} per estimator, {self._tolerance_words()}",
            f"test: {test}",
            f"sampled {run.samples:,} trajectories ({run.steps:,} steps) on {self.executor}"
            + (
                f" in {run.seconds:.2f} s ({run.steps_per_second / 1e6:.3g} M steps/s)"
                if self.show_timing
                else ""
            ),
            "",
            BiasTestResult.TABLE_HEADER,
        ]
        for check in self.checks:
            lines += check.text_lines()
        lines += [f"note: {note}" for note in self.notes]
        good = sum(c.as_expected for c in self.checks)
        bad = sum(c.contradicts for c in self.checks)
        open_ = len(self.checks) - good - bad
        lines.append(
            f"\n{good} as expected, {bad} contrary, {open_} inconclusive → exit {self.exit_status}"
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        mdp = self.mdp
        return {
            "J": self.objective,
            "grad_exact": self.grad_exact.tolist(),
            "grad_dp": self.grad_dp.tolist(),
            "grad_exact_method": "enumeration" if self.enumerable else "dp",
            "max_abs_difference": float(np.max(np.abs(self.grad_exact - self.grad_dp))),
            "mdp": {
                "source": self.source,
                "states": mdp.n_states,
                "actions": mdp.n_actions,
                "horizon": mdp.horizon,
                "discount": mdp.discount,
                "policy": repr(self.policy),
                "trajectories": self.count,
            },
            "samples": self.samples,
            "max_samples": self.max_samples,
            "sampled": self.run.samples,
            "seconds": self.run.seconds,
            "alpha": self.alpha,
            "tolerance": self.tolerance,
            "relative_tolerance": self.relative_tolerance,
            "method": self.method,
            "executor": self.executor,
            "seed": self.seed,
            "estimators": {c.name: c.to_json() for c in self.checks},
            "notes": self.notes,
            "ok": self.ok,
            "exit_status": self.exit_status,
        }


def verify_problem(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    estimators: list,
    *,
    source: str = "random",
    samples: int | str = "auto",
    seed: int = 0,
    alpha: float = 0.01,
    relative_tolerance: float | None = 0.05,
    tolerance: float | None = None,
    method: str = "betting",
    executor: Executor | None = None,
    executor_name: str = "this thread",
    max_samples: int = AUTO_BUDGET,
    max_trajectories: int = 1_000_000,
    bounds: float | None = None,
    progress: bool = False,
    sample_seed: np.random.SeedSequence | None = None,
    estimate: Estimate | None = None,
    show_timing: bool = False,
) -> VerifyReport:
    """Exact J and ∇J, then every estimator's verdict (see the module docstring).

    The tolerance is ``tolerance`` (absolute) if given, else ``relative_tolerance`` × |∇J|_∞.
    """
    from pgproof.numeric.bias_test import run_bias_tests
    from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp
    from pgproof.numeric.enumeration import MAX_TRAJECTORIES, exact_gradient_enumeration

    n_states, n_actions, horizon = mdp.n_states, mdp.n_actions, mdp.horizon
    max_trajectories = min(max_trajectories, MAX_TRAJECTORIES)
    count = trajectory_count_or_none(n_states, n_actions, horizon, max_trajectories)
    enumerable = count is not None
    with np.errstate(over="ignore", invalid="ignore"):
        grad_dp = exact_gradient_dp(mdp, policy, theta)
        objective = exact_objective_dp(mdp, policy, theta)
    if not (math.isfinite(objective) and np.all(np.isfinite(grad_dp))):
        raise MDPError("J(θ) or ∇J(θ) overflows float64: the rewards are too large")
    grad_exact = exact_gradient_enumeration(mdp, policy, theta) if enumerable else grad_dp
    notes = []
    scale = float(np.max(np.abs(grad_exact), initial=0.0))
    relative = None
    if tolerance is None and relative_tolerance is not None:
        relative = relative_tolerance
        tolerance = relative_tolerance * scale
        if scale == 0.0:
            notes.append("∇J(θ) = 0, so a relative tolerance is 0: give --abs-tolerance")
    run = run_bias_tests(
        estimators,
        mdp,
        policy,
        theta,
        grad_exact,
        samples=samples,
        seed=sample_seed if sample_seed is not None else seed,
        alpha=alpha,
        tolerance=tolerance,
        method=method,
        executor=executor,
        max_samples=max_samples,
        exact=enumerable,
        max_exact_trajectories=max_trajectories,
        bounds=bounds,
        progress=progress,
    )
    return VerifyReport(
        source=source,
        mdp=mdp,
        policy=policy,
        count=describe_count(n_states, n_actions, horizon),
        enumerable=enumerable,
        objective=float(objective),
        grad_exact=grad_exact,
        grad_dp=grad_dp,
        run=run,
        alpha=alpha,
        tolerance=tolerance,
        relative_tolerance=relative,
        seed=seed,
        samples=samples,
        max_samples=max_samples,
        method=method,
        executor=executor_name,
        estimate=estimate,
        notes=notes,
        show_timing=show_timing,
    )
