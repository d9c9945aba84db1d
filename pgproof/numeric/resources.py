"""Estimate the memory and time of a ``pgproof verify`` request before allocating anything.

The estimate is a work-count model: it counts the units of work the request implies (table
cells, DP steps, enumerated trajectories, trajectory-steps, and batch-steps: T for every
sampling batch) and multiplies each by a constant measured on the 2-core machines this
project runs on (rounded up).  It never times the request itself.

    memory   the MDP (P is S·A·S floats, held about three times while it is built and
             checked), the sampler's alias tables (≈ 60 bytes per cell, T'·S × A·S cells,
             T' = T for a time-dependent policy), the DP arrays (≈ 6 T·S·A floats), one
             sampling batch and its reductions (≈ 200 bytes per trajectory-step of a
             batch), dense estimates for estimators without a sparse form, Σ ĝĝᵀ for
             Hotelling, and the exact moments (d² per estimator);
    time     starting up (≈ 0.5 s of imports); building the MDP and the alias tables
             (≈ 0.3 µs per cell); the DP (≈ 2 ns per T·S²·A, plus 10 µs per step);
             enumeration with exact moments (≈ 0.3 µs per trajectory and estimator, plus
             d² per trajectory for the covariances); sampling (≈ 20 ns per
             trajectory-step) plus ≈ 60 ns per trajectory-step and estimator (sparse
             reductions) or ≈ 20 ns per coordinate and per step of a trajectory (dense
             estimates, and the 3 control variates up to 64 parameters); the betting
             capital (up to 32 parameters: 44 factors per trajectory, coordinate and
             estimator, ≈ 6 ns each) and its update per batch (≈ 1 ms + 5 µs per
             coordinate); the controls' exact moments and ranges (a second enumeration
             pass up to 1,000,000 trajectories); and
             the per-step overhead of the vectorised loops, paid once per step of every
             batch whatever its size: ≈ 15 µs per batch-step for the sampler and ≈ 4 µs
             per batch-step and estimator.  At long horizons batches are small (at most
             2²² trajectory-steps each, so 4 trajectories at T = 10⁶) and that overhead
             dominates: T = 10⁶ costs about 5 µs per trajectory-step, not 60 ns.

The constants come from :func:`measure_constants` (``python -m pgproof.numeric.resources``
prints them for the machine it runs on): it times the sampler and the estimators on
batches of 4 and of 2¹⁵ trajectories at T = 1000 and T = 5, and the DP at T = 10⁵, and
solves for the per-batch-step and per-trajectory-step parts.  Measured on the development
machine: 9–17 µs per batch-step for the sampler (with one estimator), 2–4.5 µs per
batch-step and further estimator, 6 µs per DP step at S = 2.

:func:`check_request` raises :class:`ResourceError` with one line naming the dominant cost
and the flag that raises the limit (``--max-memory`` or ``--max-seconds``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

#: defaults of ``verify --max-memory`` and ``--max-seconds``
DEFAULT_MAX_MEMORY = 4 * 2**30
DEFAULT_MAX_TIME = 600.0

#: the measured constants of the time model (seconds per unit of work; see the docstring)
SECONDS_TO_START = 0.5
SECONDS_PER_CELL = 3e-7
SECONDS_PER_DP_ENTRY = 2e-9
SECONDS_PER_DP_STEP = 1e-5
SECONDS_PER_SAMPLED_STEP = 20e-9
SECONDS_PER_REDUCED_STEP = 60e-9
SECONDS_PER_BATCH_STEP = 15e-6
SECONDS_PER_BATCH_STEP_ESTIMATOR = 4e-6
#: one factor 1 + λ(x - m) of the betting capital (per trajectory, coordinate and estimator
#: there are 2 sides × 2 gamblers × the rungs of :data:`pgproof.numeric.betting.LADDER`)
SECONDS_PER_CAPITAL_ENTRY = 6e-9
#: one estimate formed densely, per coordinate and per step of the trajectory
SECONDS_PER_DENSE_COORDINATE = 20e-9
SECONDS_PER_DENSE_STEP = 20e-9
#: one batch's update of an estimator's betting sequence, and per coordinate
SECONDS_PER_UPDATE = 1e-3
SECONDS_PER_UPDATE_COORDINATE = 5e-6

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMgGtT]?)(i?[bB])?\s*$")
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


class ResourceError(ValueError):
    """A request that would not fit the memory or time limit."""


def parse_size(text: str) -> int:
    """'4G', '512M', '1.5GB', '1000000' → bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 4G, 512M, 2000000)")
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"a size must be positive, got {text!r}")
    return int(value)


def format_bytes(value: float) -> str:
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} B"


def format_seconds(value: float) -> str:
    if value >= 86400:
        return f"{value / 86400:.3g} days"
    if value >= 3600:
        return f"{value / 3600:.3g} h"
    if value >= 60:
        return f"{value / 60:.3g} min"
    return f"{value:.3g} s"


@dataclass
class Estimate:
    """Memory (bytes) and time (seconds), each with its parts."""

    memory: dict[str, float] = field(default_factory=dict)
    time: dict[str, float] = field(default_factory=dict)

    @property
    def bytes(self) -> float:
        return sum(self.memory.values())

    @property
    def seconds(self) -> float:
        return sum(self.time.values())

    @staticmethod
    def _largest(parts: dict[str, float]) -> str:
        return max(parts.items(), key=lambda item: item[1])[0] if parts else "nothing"


@dataclass(frozen=True)
class Request:
    """What a verify run will do."""

    n_states: int
    n_actions: int
    horizon: int
    samples: int  # the sampling budget (m, or the auto budget)
    n_params: int
    time_dependent: bool = False
    sparse_estimators: int = 0  # built-in score-function estimators (sparse reductions)
    dense_estimators: int = 0  # estimators evaluated densely [batch, d]
    enumerated: int = 0  # trajectories enumerated (0: none)
    moments: bool = True  # exact moments for every estimator while enumerating
    hotelling: bool = False
    random_mdp: bool = True
    controls: bool = False  # control variates: dense estimates and 3 controls per batch
    capitals: bool = False  # the betting capital exactly, at every rung, per trajectory


def estimate(request: Request) -> Estimate:
    """The cost model of the module docstring."""
    from pgproof.numeric.betting import LADDER
    from pgproof.numeric.control_variates import CONTROLS
    from pgproof.numeric.design import RANGE_PASS_TRAJECTORIES

    controls, capital_entries = len(CONTROLS), 4 * LADDER.size
    s, a, t = request.n_states, request.n_actions, request.horizon
    d = request.n_params
    k = request.sparse_estimators + request.dense_estimators
    steps_rows = t if request.time_dependent else 1
    cells = float(steps_rows) * s * a * s
    mdp_entries = float(s) * a * s
    memory = {
        f"the transition table P[s, a, s'] ({s}×{a}×{s} floats)": 3 * 8 * mdp_entries,
        f"the sampler's alias tables ({cells:.3g} cells)": 60 * cells + 64 * a * s,
        f"the DP arrays ({t}×{s}×{a})": 6 * 8 * float(t) * s * a + 8 * 2 * float(s) * s,
        "θ, ∇J and per-coordinate statistics": 8 * float(d) * (20 + 40 * k),
    }
    batch = _batch_size(t)
    memory["one sampling batch and its reductions"] = 200.0 * batch * (t + 1)
    if request.dense_estimators:
        memory["dense per-trajectory estimates"] = 4 * 8 * max(float(2**21), float(d))
    if request.controls:
        memory["a batch's estimates and control variates"] = 8 * float(2**19) * (k + 4)
        memory["the betting capital's work buffer"] = 8 * float(2**20)
    if request.hotelling:
        memory["Σ ĝĝᵀ for Hotelling"] = 4 * 8 * float(d) ** 2 * k
    if request.enumerated:
        chunk = min(request.enumerated, 2**16)
        memory["enumerated trajectories"] = 8 * 8 * chunk * (t + 1)
        if request.moments:
            memory["exact moments"] = k * 8 * (float(d) ** 2 + 3 * chunk * float(d))
    samples = float(request.samples)
    batch_steps = float(_batch_count(request.samples, t)) * t
    time = {
        "starting up (imports)": SECONDS_TO_START,
        "building the sampler's alias tables": SECONDS_PER_CELL * cells,
        "the dynamic programme": SECONDS_PER_DP_ENTRY * float(t) * s * s * a
        + SECONDS_PER_DP_STEP * t,
        f"sampling {samples:.3g} trajectories × {t} steps": SECONDS_PER_SAMPLED_STEP * samples * t,
        f"the per-step overhead of {batch_steps:.3g} batch-steps": batch_steps
        * (SECONDS_PER_BATCH_STEP + SECONDS_PER_BATCH_STEP_ESTIMATOR * k),
    }
    if request.random_mdp:
        time["drawing the random MDP"] = 30e-9 * mdp_entries
    if request.sparse_estimators:
        time["reducing the samples for each estimator"] = (
            SECONDS_PER_REDUCED_STEP * samples * t * request.sparse_estimators
        )
    dense = SECONDS_PER_DENSE_COORDINATE * d + SECONDS_PER_DENSE_STEP * t
    if request.dense_estimators:
        time["evaluating estimators densely"] = dense * samples * request.dense_estimators
    time["updating the betting sequences"] = (
        float(_batch_count(request.samples, t)) * k
        * (SECONDS_PER_UPDATE + SECONDS_PER_UPDATE_COORDINATE * d)
    )  # fmt: skip
    if request.controls:
        time["the control variates"] = controls * dense * samples
    if request.capitals:
        time["the betting capital at every rung"] = (
            SECONDS_PER_CAPITAL_ENTRY * capital_entries * float(d) * samples * k
        )
    if request.hotelling:
        time["accumulating Σ ĝĝᵀ"] = 1e-9 * float(d) ** 2 * samples * k
    if request.enumerated:
        n = float(request.enumerated)
        time["enumerating trajectories"] = 30e-9 * n * (t + 1)
        if request.moments:
            time["exact moments by enumeration"] = n * k * (3e-7 + 2e-8 * t + 1e-9 * d * d)
        if request.moments and request.controls:
            passes = 2 if request.enumerated <= RANGE_PASS_TRAJECTORIES else 1
            time["the control variates' moments and ranges"] = (
                n * passes * (controls * (3e-7 + 2e-8 * t) + k * (3e-7 + 2e-8 * t + 1e-8 * d))
            )
    return Estimate(memory, time)


def _batch_size(horizon: int) -> int:
    from pgproof.numeric.streaming import max_batch_size  # light module-level constants

    return max_batch_size(horizon)


def _batch_count(samples: int, horizon: int) -> int:
    from pgproof.numeric.streaming import batch_count

    return batch_count(samples, horizon)


def check_request(request: Request, max_memory: float, max_time: float) -> Estimate:
    """The estimate, or :class:`ResourceError` when it exceeds a limit."""
    found = estimate(request)
    if found.bytes > max_memory:
        part = Estimate._largest(found.memory)
        raise ResourceError(
            f"this request needs about {format_bytes(found.bytes)} of memory (mostly {part}); "
            f"the limit is {format_bytes(max_memory)}: raise it with --max-memory or ask for "
            "less"
        )
    if found.seconds > max_time:
        part = Estimate._largest(found.time)
        raise ResourceError(
            f"this request would take about {format_seconds(found.seconds)} (mostly {part}); "
            f"the limit is {format_seconds(max_time)}: raise it with --max-seconds or ask for "
            "less (--samples, --max-samples, --max-trajectories)"
        )
    return found


def measure_constants(repeats: int = 3) -> dict[str, float]:
    """Time the parts of a run on this machine and return the constants of the time model.

    Best of ``repeats`` timings, each on a fresh random problem (S = A = 2): the sampler on
    4 trajectories of T = 1000 steps (per batch-step) and on 2¹⁵ trajectories of T = 5 steps
    (per trajectory-step); the built-in estimators' reductions likewise, minus the sampler;
    and the DP at T = 10⁵ (per step).  Used to set the module's constants, never at run time.
    """
    import time

    import numpy as np

    from pgproof.numeric.dp import solve
    from pgproof.numeric.estimators import ESTIMATORS
    from pgproof.numeric.mdp import random_mdp
    from pgproof.numeric.policies import TabularSoftmax
    from pgproof.numeric.streaming import Stream, StreamProblem, spec_for

    def best(function) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return min(times)

    def run(horizon: int, size: int, names: list[str]) -> float:
        rng = np.random.default_rng(horizon)
        mdp = random_mdp(2, 2, horizon, rng)
        policy = TabularSoftmax(2, 2)
        problem = StreamProblem(mdp, policy, policy.random_theta(rng))
        specs = [spec_for(ESTIMATORS[name]) for name in names]
        stream = Stream(problem, specs, np.random.SeedSequence(0))
        return best(lambda: list(stream.batches([size])))

    names = list(ESTIMATORS)
    sampler = run(1000, 4, names[:1]) / 1000
    everything = run(1000, 4, names) / 1000
    per_step = run(5, 1 << 15, names[:1]) / (5 * (1 << 15))
    rng = np.random.default_rng(1)
    long = random_mdp(2, 2, 100_000, rng)
    policy = TabularSoftmax(2, 2)
    theta = policy.random_theta(rng)
    dp_step = best(lambda: solve(long, policy, theta)) / 100_000
    return {
        "SECONDS_PER_BATCH_STEP": sampler,
        "SECONDS_PER_BATCH_STEP_ESTIMATOR": (everything - sampler) / max(1, len(names) - 1),
        "SECONDS_PER_SAMPLED_STEP (with one estimator)": per_step,
        "SECONDS_PER_DP_STEP": dp_step,
    }


if __name__ == "__main__":  # pragma: no cover - a measurement, run by hand
    for name, value in measure_constants().items():
        print(f"{name:48} {value:.3g} s")
