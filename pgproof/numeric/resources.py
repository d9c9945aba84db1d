"""Estimate the memory and time of a ``pgproof verify`` request before allocating anything.

The estimate is a cost model in S, A, T, m, the number of parameters and the estimators,
with constants measured on the 2-core machines this project runs on (rounded up):

    memory   the MDP (P is S·A·S floats, held about three times while it is built and
             checked), the sampler's alias tables (≈ 60 bytes per cell, T'·S × A·S cells,
             T' = T for a time-dependent policy), the DP arrays (≈ 6 T·S·A floats), one
             sampling batch and its reductions (≈ 200 bytes per trajectory-step of a
             batch), dense estimates for estimators without a sparse form, Σ ĝĝᵀ for
             Hotelling, and the exact moments (d² per estimator);
    time     building the MDP and the alias tables (≈ 0.3 µs per cell), the
             DP (≈ 2 ns per T·S²·A), enumeration with exact moments (≈ 0.3 µs per
             trajectory and estimator, plus d² per trajectory for the covariances), and
             sampling (≈ 20 ns per step) plus ≈ 40 ns per step and estimator (sparse
             reductions) or ≈ 3 ns per coordinate and trajectory (dense estimates).

:func:`check_request` raises :class:`ResourceError` with one line naming the dominant cost
and the flag that raises the limit (``--max-memory`` or ``--max-time``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

#: defaults of ``verify --max-memory`` and ``--max-time``
DEFAULT_MAX_MEMORY = 4 * 2**30
DEFAULT_MAX_TIME = 600.0

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


def estimate(request: Request) -> Estimate:
    """The cost model of the module docstring."""
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
    if request.hotelling:
        memory["Σ ĝĝᵀ for Hotelling"] = 4 * 8 * float(d) ** 2 * k
    if request.enumerated:
        chunk = min(request.enumerated, 2**16)
        memory["enumerated trajectories"] = 8 * 8 * chunk * (t + 1)
        if request.moments:
            memory["exact moments"] = k * 8 * (float(d) ** 2 + 3 * chunk * float(d))
    samples = float(request.samples)
    time = {
        "building the sampler's alias tables": 3e-7 * cells,
        "the dynamic programme": 2e-9 * float(t) * s * s * a + 1e-5 * t,
        f"sampling {samples:.3g} trajectories × {t} steps": 20e-9 * samples * t,
    }
    if request.random_mdp:
        time["drawing the random MDP"] = 30e-9 * mdp_entries
    if request.sparse_estimators:
        time["reducing the samples for each estimator"] = (
            40e-9 * samples * t * request.sparse_estimators
        )
    if request.dense_estimators:
        time["evaluating estimators densely"] = (
            (3e-9 * d + 20e-9 * t) * samples * request.dense_estimators
        )
    if request.hotelling:
        time["accumulating Σ ĝĝᵀ"] = 1e-9 * float(d) ** 2 * samples * k
    if request.enumerated:
        n = float(request.enumerated)
        time["enumerating trajectories"] = 30e-9 * n * (t + 1)
        if request.moments:
            time["exact moments by enumeration"] = n * k * (3e-7 + 2e-8 * t + 1e-9 * d * d)
    return Estimate(memory, time)


def _batch_size(horizon: int) -> int:
    from pgproof.numeric.streaming import max_batch_size  # light module-level constants

    return max_batch_size(horizon)


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
            f"the limit is {format_seconds(max_time)}: raise it with --max-time or ask for "
            "less (--samples, --max-samples, --max-trajectories)"
        )
    return found
