"""Streaming estimation: per-batch sufficient statistics, memory independent of m.

A run is a sequence of batches b = 0, 1, 2, … of fixed sizes (:func:`batch_sizes`); batch b
draws its trajectories from its own generator, seeded by the child ``spawn_key + (b,)`` of
the run's :class:`numpy.random.SeedSequence` (exactly what ``SeedSequence.spawn`` yields),
so a batch's content depends on (seed, b) only — not on which process computes it, nor on
how batches are grouped into jobs.  Each batch is reduced at once to, per estimator and
coordinate j, its size, mean and Σ (ĝ_j - mean_j)² (:class:`BatchStats`); trajectories
and per-trajectory estimates are dropped.  The caller (:mod:`pgproof.numeric.bias_test`)
merges batches in order, so results are identical for a fixed seed whatever the executor.

Score-function estimators ĝ = Σ_t w_t ∇ log π(a_t|s_t) are reduced without forming the
dense [m, |θ|] table.  With W_i(s, a) = Σ_{t: (s_t, a_t) = (s, a)} w_it and
W_i(s) = Σ_a W_i(s, a), the tabular softmax gives ĝ_i[s, a] = W_i(s, a) - π(a|s) W_i(s), so

    Σ_i ĝ_i[s, a]  = Σ_i W_i(s, a) - π(a|s) Σ_i W_i(s),
    Σ_i ĝ_i[s, a]² = Σ_i W_i(s, a)² - 2π(a|s) Σ_i W_i(s, a) W_i(s) + π(a|s)² Σ_i W_i(s)²,

and every sum runs over the (trajectory, s, a) groups actually visited: each trajectory's
packed keys (s·A + a, t) are sorted (a short row sort per trajectory), runs of equal keys
are the groups, runs of equal s the state groups.  That is O(T log T) per trajectory,
independent of S·A.  The time-dependent softmax visits each coordinate (t, s, a) at most
once per trajectory, so there Σ ĝ² = Σ w_t² (1 - 2π) at the visited key + π² Σ w_t² at the
visited (t, s).  Other estimators and policies go through the estimator's own dense output,
a few rows at a time.

The bias test (:mod:`pgproof.numeric.bias_test`) can also ask, per estimator, for the tested
values y = ĝ - Σ_k β_k h_k of a batch (control variates of known mean zero,
:mod:`pgproof.numeric.control_variates`, with β fixed before the run) one trajectory at a
time (``EstimatorSpec.values``: the betting capital is then exact) or as their size, mean
and Σ (y - ȳ)² (``BatchStats.tested``), and, for a pilot, the raw estimates beside the
controls.  Those batches are capped at 2¹⁹ values per estimator (``max_batch_size``'s
``limit``), so memory stays independent of m.  Batch sizes grow geometrically (each at most
a quarter of what came before, then :func:`max_batch_size`), so a run that stops after a
batch has drawn at most 25 % more than it needed.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np

from pgproof.numeric.control_variates import control_values, subtract_controls
from pgproof.numeric.estimators import ESTIMATORS, Estimator, EstimatorError, resolve_estimator
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, TabularSoftmax, TimeDependentSoftmax
from pgproof.numeric.sampling import JointSampler
from pgproof.numeric.threads import one_blas_thread
from pgproof.numeric.trajectories import Batch

#: the first batch; later batches double up to :func:`max_batch_size`
FIRST_BATCH = 16
#: at most this many trajectory-steps per batch (sampler buffers ≈ 24 bytes per step)
MAX_BATCH_STEPS = 1 << 22
#: largest batch of trajectories
MAX_BATCH = 1 << 15
#: dense per-trajectory estimates are formed at most this many entries at a time
DENSE_CHUNK_ENTRIES = 1 << 21
#: the sparse reductions handle this many trajectory-steps at a time (cache-sized)
SPARSE_CHUNK_STEPS = 1 << 15


def max_batch_size(horizon: int, limit: int | None = None) -> int:
    """The steady batch size: a power of two, at most MAX_BATCH_STEPS / (T + 1) trajectories
    (and at most ``limit``, e.g. when every estimate of a batch is kept)."""
    size = MAX_BATCH
    while size > 1 and (size * (horizon + 1) > MAX_BATCH_STEPS or (limit and size > limit)):
        size //= 2
    return size


def _next_size(done: int, top: int) -> int:
    """The batch after ``done`` trajectories: a power of two ≤ done/4 (so a run that stops
    after any batch has drawn at most 25 % more than it needed), at least FIRST_BATCH, at
    most ``top``."""
    size = FIRST_BATCH
    while 8 * size <= done:
        size *= 2
    return min(size, top)


def batch_sizes(horizon: int, limit: int | None = None) -> Iterator[int]:
    """FIRST_BATCH (eight times), then growing geometrically (a batch is at most a quarter of
    what came before) up to :func:`max_batch_size`, then constant (endless)."""
    top = max_batch_size(horizon, limit)
    done = 0
    while True:
        size = _next_size(done, top)
        yield size
        done += size


def iter_batches(total: int, horizon: int, limit: int | None = None) -> Iterator[int]:
    """Batch sizes summing to ``total`` (the last one cut short), lazily."""
    done = 0
    for size in batch_sizes(horizon, limit):
        if done >= total:
            return
        size = min(size, total - done)
        yield size
        done += size


def plan_batches(total: int, horizon: int, limit: int | None = None) -> list[int]:
    """:func:`iter_batches` as a list."""
    return list(iter_batches(total, horizon, limit))


def batch_count(total: int, horizon: int, limit: int | None = None) -> int:
    """len(plan_batches(total, horizon, limit)), computed without listing every batch."""
    top = max_batch_size(horizon, limit)
    count = done = 0
    while done < total:
        size = _next_size(done, top)
        if size == top:
            return count + -(-(total - done) // top)
        count, done = count + 1, done + size
    return count


def batch_seed(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """Child ``index`` of ``root``: the same sequence ``root.spawn(index + 1)[index]`` gives."""
    return np.random.SeedSequence(
        entropy=root.entropy, spawn_key=(*root.spawn_key, index), pool_size=root.pool_size
    )


# ----------------------------------------------------------------------------- statistics


@dataclass
class BatchStats:
    """One estimator on one batch: per coordinate (flattened θ) mean and Σ (x - mean)².

    ``minimum``/``maximum`` are the observed extremes when the estimates were formed densely;
    ``cross`` (Σ (x - x̄)(x - x̄)ᵀ), ``m3``, ``m4`` (Σ (x - x̄)³, Σ (x - x̄)⁴) only when asked
    for (Hotelling's test and its diagnostics).  The statistics are always those of ĝ.
    """

    n: int
    mean: np.ndarray
    m2: np.ndarray
    minimum: np.ndarray | None = None
    maximum: np.ndarray | None = None
    cross: np.ndarray | None = None
    m3: np.ndarray | None = None
    m4: np.ndarray | None = None
    #: the batch's per-trajectory tested values [n, d] (ĝ minus its control variates), when
    #: the spec asked for them (one batch only: merging drops them)
    values: np.ndarray | None = None
    #: the control variates h [n, d, K] beside the raw estimates in ``values`` (a pilot)
    controls: np.ndarray | None = None
    #: (n, mean, Σ (y - ȳ)²) of the tested values y = ĝ - Σ_k β_k h_k, when they are not
    #: returned one by one
    tested: tuple[int, np.ndarray, np.ndarray] | None = None


def merge_stats(a: BatchStats | None, b: BatchStats) -> BatchStats:
    """Pairwise update (Chan et al.; Pébay 2008 for M3, M4) of two batches' statistics."""
    if a is None or a.n == 0:
        return b
    n_a, n_b = a.n, b.n
    n = n_a + n_b
    delta = b.mean - a.mean
    mean = a.mean + delta * (n_b / n)
    m2 = a.m2 + b.m2 + delta**2 * (n_a * n_b / n)
    out = BatchStats(n, mean, m2)
    if a.minimum is not None and b.minimum is not None:
        out.minimum = np.minimum(a.minimum, b.minimum)
        out.maximum = np.maximum(a.maximum, b.maximum)
    if a.cross is not None and b.cross is not None:
        out.cross = a.cross + b.cross + np.outer(delta, delta) * (n_a * n_b / n)
    if a.m3 is not None and b.m3 is not None and a.m4 is not None and b.m4 is not None:
        out.m3 = (
            a.m3
            + b.m3
            + delta**3 * n_a * n_b * (n_a - n_b) / n**2
            + 3.0 * delta * (n_a * b.m2 - n_b * a.m2) / n
        )
        out.m4 = (
            a.m4
            + b.m4
            + delta**4 * n_a * n_b * (n_a**2 - n_a * n_b + n_b**2) / n**3
            + 6.0 * delta**2 * (n_a**2 * b.m2 + n_b**2 * a.m2) / n**2
            + 4.0 * delta * (n_a * b.m3 - n_b * a.m3) / n
        )
    return out


def _from_sums(n: int, total: np.ndarray, squares: np.ndarray) -> BatchStats:
    mean = total / n
    return BatchStats(n, mean, np.maximum(squares - total * mean, 0.0))


def dense_stats(values: np.ndarray, cross: bool = False) -> BatchStats:
    """Statistics of dense estimates [n, d] (two-pass: centred, so no cancellation)."""
    n = values.shape[0]
    mean = values.mean(axis=0)
    centred = values - mean
    squared = centred * centred
    out = BatchStats(n, mean, squared.sum(axis=0), values.min(axis=0), values.max(axis=0))
    if cross:
        out.cross = centred.T @ centred
        out.m3 = (squared * centred).sum(axis=0)
        out.m4 = (squared * squared).sum(axis=0)
    return out


class GroupTotals:
    """Per-step totals over the step's group: G(e) = Σ_{e' ∈ group(e)} w_e' (time-major).

    A group is the set of steps of one trajectory that share a key (its state, or its
    state-action pair); ``keys`` are time-major [T, n] in [0, K).  Narrow key spaces
    (K ≤ 4T) use a dense per-trajectory table, a few trajectories at a time; wide ones sort
    each trajectory's packed (key, t) values and correct only the steps whose key repeats
    within their trajectory (few when K ≫ T), so the cost per step does not grow with K.
    The structure depends on the keys only and is shared by every estimator of a batch.
    """

    def __init__(self, keys: np.ndarray, size: int) -> None:
        horizon, n = keys.shape
        self.keys = keys
        self.size = size
        self.horizon = horizon
        self.n = n
        self.dense = size <= 4 * horizon
        self._counts: np.ndarray | None = None
        self._count_squares: list[np.ndarray] = []
        if self.dense:
            self.chunk = max(16, (1 << 16) // max(size, 1))
            return
        shift = max(1, (horizon - 1).bit_length())
        dtype = np.int32 if (size << shift) < 2**31 else np.int64
        packed = np.empty((n, horizon), dtype=dtype)
        step = np.arange(horizon, dtype=dtype)[:, None]
        for start in range(0, n, 2048):  # blocked transpose to trajectory-major rows
            stop = min(start + 2048, n)
            block = (
                keys[:, start:stop] << shift
                if keys.dtype == dtype
                else (keys[:, start:stop].astype(dtype) << shift)
            )
            block += step
            packed[start:stop] = block.T
        packed.sort(axis=1)
        # neighbours in a sorted row share the key iff their packed values differ below t's bits
        same = (packed[:, 1:] ^ packed[:, :-1]) < (1 << shift)
        repeated = np.zeros((n, horizon), dtype=bool)
        repeated[:, 1:] = same
        repeated[:, :-1] |= same
        where = np.flatnonzero(repeated)
        sub = packed.reshape(-1)[where]
        sub_key = sub >> shift
        self.sub_t = (sub & ((1 << shift) - 1)).astype(np.intp)
        self.sub_i = where // horizon
        self.sub_key = sub_key.astype(np.intp)
        new = np.ones(where.size, dtype=bool)
        if where.size:
            np.not_equal(sub_key[1:], sub_key[:-1], out=new[1:])
            new[1:] |= self.sub_i[1:] != self.sub_i[:-1]
        self.sub_starts = np.flatnonzero(new)
        self.sub_lengths = np.diff(self.sub_starts, append=where.size)

    def _dense(self, weights: np.ndarray | None) -> np.ndarray:
        out = np.empty((self.horizon, self.n))
        size, chunk = self.size, self.chunk
        squares = [] if weights is None else None
        for start in range(0, self.n, chunk):
            stop = min(start + chunk, self.n)
            flat = self.keys[:, start:stop] + np.arange(stop - start) * size
            table = np.bincount(
                flat.ravel(),
                None if weights is None else weights[:, start:stop].ravel(),
                minlength=(stop - start) * size,
            )
            out[:, start:stop] = table[flat]
            if squares is not None:
                squares.append(np.square(table.reshape(stop - start, size), dtype=np.float64))
        if squares is not None:
            self._count_squares = squares
        return out

    def weighted_count_squares(self, weights: np.ndarray) -> np.ndarray | None:
        """Σ_i weights_i² N_i(k)² for every key k (dense branch; None otherwise)."""
        if not self.dense:
            return None
        self.counts()
        total = np.zeros(self.size)
        squared = weights * weights
        start = 0
        for table in self._count_squares:
            stop = start + table.shape[0]
            total += squared[start:stop] @ table
            start = stop
        return total

    def repeats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(keys, trajectories, N(e) - 1) of the steps whose key repeats (wide key spaces)."""
        if self.dense:
            return None
        return self.sub_key, self.sub_i, np.repeat(self.sub_lengths - 1.0, self.sub_lengths)

    def counts(self) -> np.ndarray:
        """N(e): the size of every step's group, [T, n] (float)."""
        if self._counts is None:
            if self.dense:
                self._counts = self._dense(None)
            else:
                counts = np.ones((self.horizon, self.n))
                counts[self.sub_t, self.sub_i] = np.repeat(self.sub_lengths, self.sub_lengths)
                self._counts = counts
        return self._counts

    def totals(self, weights: np.ndarray) -> np.ndarray:
        """W(e) = Σ of ``weights`` [T, n] over every step's group, [T, n]."""
        if self.dense:
            return self._dense(weights)
        out = np.array(weights, dtype=np.float64, order="C")
        if self.sub_t.size:
            sums = np.add.reduceat(out[self.sub_t, self.sub_i], self.sub_starts)
            out[self.sub_t, self.sub_i] = np.repeat(sums, self.sub_lengths)
        return out


class TabularGroups:
    """The (trajectory, s, a) and (trajectory, s) groups of one batch, for θ[s, a].

    Built from time-major states [T+1, n] and actions [T, n]; shared by every estimator.
    """

    def __init__(self, states: np.ndarray, actions: np.ndarray, pi: np.ndarray) -> None:
        n_states, n_actions = pi.shape
        horizon = actions.shape[0]
        cells = n_states * n_actions
        dtype = np.int32 if cells < 2**31 else np.int64
        self.state = states[:horizon].astype(dtype)
        self.key = self.state * dtype(n_actions)
        self.key += actions
        self.pairs = GroupTotals(self.key, cells)
        self.states = GroupTotals(self.state, n_states)
        self.pi = pi
        self._per_trajectory: tuple[np.ndarray, np.ndarray] | None = None
        self._m2pi: np.ndarray | None = None

    def _minus_two_pi_at(self) -> np.ndarray:
        """-2 π(a_t|s_t) at every step (shared by the estimators of the batch)."""
        if self._m2pi is None:
            self._m2pi = (-2.0 * self.pi).reshape(-1)[self.key]
        return self._m2pi

    def sums(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Σ_i ĝ_i, Σ_i ĝ_i²), flattened [S·A], for weights [n] (per trajectory) or [n, T].

        With per-step group totals W(e) (state-action group) and W_s(e) (state group):
        Σ_i W_i(s,a)² = Σ_{e at (s,a)} w_e W(e), Σ_i W_i(s,a) W_i(s) = Σ_{e at (s,a)} w_e W_s(e),
        Σ_i W_i(s)² = Σ_{e at s} w_e W_s(e).
        """
        n_states, n_actions = self.pi.shape
        cells = n_states * n_actions
        key = self.key.reshape(-1)
        state_key = self.state.reshape(-1)
        if weights.ndim == 1:
            # w_e = R_i, so W(e) = R_i N(e): Σ_e R_i² (N(e) - 2π_e N_s(e)) at (s, a); the
            # count part is shared by all such estimators, N(e) = 1 except for repeats
            if self._per_trajectory is None:
                state_counts = self.states.counts()
                base = state_counts * self._minus_two_pi_at()
                if self.pairs.dense:
                    base += self.pairs.counts()
                else:
                    base += 1.0
                self._per_trajectory = (base, state_counts)
            base, state_counts = self._per_trajectory
            squared = weights * weights
            w = np.empty(self.key.shape)
            w[:] = weights
            total = np.bincount(key, w.reshape(-1), minlength=cells)
            np.multiply(base, squared, out=w)
            squares = np.bincount(key, w.reshape(-1), minlength=cells)
            repeats = self.pairs.repeats()
            if repeats is not None and repeats[0].size:
                sub_key, sub_i, extra = repeats
                squares += np.bincount(sub_key, extra * squared[sub_i], minlength=cells)
            state_squares = self.states.weighted_count_squares(weights)
            if state_squares is None:
                np.multiply(state_counts, squared, out=w)
                state_squares = np.bincount(state_key, w.reshape(-1), minlength=n_states)
        else:
            w = np.ascontiguousarray(weights.T)
            pair = self.pairs.totals(w)
            state = self.states.totals(w)
            total = np.bincount(key, w.reshape(-1), minlength=cells)
            state *= w
            pair *= w
            pair += self._minus_two_pi_at() * state
            squares = np.bincount(key, pair.reshape(-1), minlength=cells)
            state_squares = np.bincount(state_key, state.reshape(-1), minlength=n_states)
        pi_flat = self.pi.reshape(-1)
        state_sums = total.reshape(n_states, n_actions).sum(axis=1)
        total = total - pi_flat * np.repeat(state_sums, n_actions)
        squares = squares + pi_flat**2 * np.repeat(state_squares, n_actions)
        return total, squares


def time_dependent_sums(
    states: np.ndarray, actions: np.ndarray, weights: np.ndarray, pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(Σ ĝ, Σ ĝ²) [T·S·A] for θ[t, s, a]: every coordinate is visited at most once per τ."""
    horizon, n = actions.shape
    _, n_states, n_actions = pi.shape
    w = np.broadcast_to(weights.T if weights.ndim == 2 else weights, (horizon, n))
    visit = states[:horizon] + (np.arange(horizon) * n_states)[:, None]  # (t, s)
    key = visit * n_actions + actions  # (t, s, a)
    pi_flat = pi.reshape(-1)
    w = np.ascontiguousarray(w)
    squared = w * w
    total = np.bincount(key.ravel(), w.ravel(), minlength=pi.size)
    own = np.bincount(key.ravel(), squared.ravel(), minlength=pi.size)
    by_state = np.bincount(visit.ravel(), w.ravel(), minlength=horizon * n_states)
    by_state_sq = np.bincount(visit.ravel(), squared.ravel(), minlength=horizon * n_states)
    total = total - pi_flat * np.repeat(by_state, n_actions)
    squares = own * (1.0 - 2.0 * pi_flat) + pi_flat**2 * np.repeat(by_state_sq, n_actions)
    return total, squares


# ----------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class EstimatorSpec:
    """What a worker needs to rebuild an estimator: a registered name, a ``module:function``
    string, or the :class:`Estimator` itself (for executors that pickle it)."""

    key: str
    estimator: Estimator | None = None
    dense: bool = False  # force the dense path
    cross: bool = False  # also Σ (x - x̄)(x - x̄)ᵀ, M3, M4 (Hotelling)
    values: bool = False  # also return the tested values per trajectory (dense)
    control: np.ndarray | None = None  # β [d, K]: the tested values are ĝ - Σ_k β_k h_k
    pilot: bool = False  # return the raw estimates and the controls h (dense)

    @property
    def needs_controls(self) -> bool:
        return self.pilot or self.control is not None

    def resolve(self) -> Estimator:
        if self.estimator is not None:
            return self.estimator
        return resolve_estimator(self.key)


def spec_for(
    estimator: Estimator,
    *,
    dense: bool = False,
    cross: bool = False,
    values: bool = False,
    control: np.ndarray | None = None,
    pilot: bool = False,
) -> EstimatorSpec:
    """Send by name when the name resolves to this very estimator, else send the object."""
    extra = {"values": values, "control": control, "pilot": pilot}
    if ESTIMATORS.get(estimator.name) is estimator:
        return EstimatorSpec(estimator.name, None, dense, cross, **extra)
    if ":" in estimator.name and estimator.formula == f"user function {estimator.name}":
        return EstimatorSpec(estimator.name, None, dense, cross, **extra)
    return EstimatorSpec(estimator.name, estimator, dense, cross, **extra)


@dataclass(frozen=True)
class StreamProblem:
    """The MDP, policy and θ a run samples from (picklable)."""

    mdp: TabularMDP
    policy: Policy
    theta: np.ndarray

    def token(self) -> str:
        """A digest identifying the problem (workers cache their sampler under it)."""
        digest = hashlib.sha256()
        for array in (self.mdp.initial, self.mdp.transition, self.mdp.reward, self.theta):
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        digest.update(repr((self.mdp.horizon, self.mdp.discount, repr(self.policy))).encode())
        if hasattr(self.policy, "features"):
            digest.update(np.ascontiguousarray(self.policy.features).tobytes())
        return digest.hexdigest()


@dataclass
class _Prepared:
    """A worker's per-problem state: the sampler, buffers, π, estimators and weight bounds."""

    problem: StreamProblem
    sampler: JointSampler
    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    pi: np.ndarray
    estimators: dict[str, Estimator] = field(default_factory=dict)
    weight_bounds: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


_CACHE: dict[str, _Prepared] = {}
_CACHE_LOCK = threading.Lock()
_LOCAL = threading.local()


def _prepare(problem: StreamProblem, token: str, capacity: int) -> _Prepared:
    # one prepared problem per thread (buffers are scratch space); the sampler is shared
    mine: dict[str, _Prepared] = getattr(_LOCAL, "prepared", None) or {}
    _LOCAL.prepared = mine
    found = mine.get(token)
    if found is not None and found.actions.shape[1] >= capacity:
        return found
    with _CACHE_LOCK:
        shared = _CACHE.get(token)
        if shared is None:
            sampler = JointSampler(problem.mdp, problem.policy, problem.theta)
            _CACHE.clear()  # keep one problem per process
            _CACHE[token] = shared = _Prepared(
                problem, sampler, np.empty(0), np.empty(0), np.empty(0), np.empty(0)
            )
    mdp, policy = problem.mdp, problem.policy
    horizon = mdp.horizon
    pi = np.asarray(policy.probs(problem.theta, horizon))
    pi = pi[0] if policy.time_invariant else pi
    prepared = _Prepared(
        problem,
        shared.sampler,
        np.empty((horizon + 1, capacity), dtype=np.intp),
        np.empty((horizon, capacity), dtype=np.intp),
        np.empty((horizon, capacity)),
        pi,
    )
    mine.clear()
    mine[token] = prepared
    return prepared


def _sparse_kind(policy: Policy) -> str | None:
    if isinstance(policy, TabularSoftmax):
        return "tabular"
    if isinstance(policy, TimeDependentSoftmax):
        return "time"
    return None


def _check_weights(name: str, w: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """A weight outside its derived bound would void the test: refuse loudly."""
    tol = 1e-9 * max(1.0, float(np.max(np.abs(low))), float(np.max(np.abs(high))))
    if w.ndim == 1:
        bad = w.min() < low.min() - tol or w.max() > high.max() + tol
    else:
        bad = bool(np.any(w.min(axis=0) < low - tol) or np.any(w.max(axis=0) > high + tol))
    if bad:
        raise EstimatorError(f"estimator {name!r} produced a weight outside its derived bounds")


def _resolve(prepared: _Prepared, spec: EstimatorSpec) -> Estimator:
    # only estimators resolved by name are cached: a name does not identify an object
    if spec.estimator is not None:
        return spec.estimator
    estimator = prepared.estimators.get(spec.key)
    if estimator is None:
        estimator = prepared.estimators[spec.key] = spec.resolve()
    return estimator


def _weights(prepared: _Prepared, spec: EstimatorSpec, estimator: Estimator, batch: Batch):
    """The estimator's weights on the batch, [n] or [n, T], checked against their bounds."""
    problem = prepared.problem
    mdp, policy, theta = problem.mdp, problem.policy, problem.theta
    assert estimator.weights is not None
    n = batch.size
    w = np.asarray(estimator.weights.rule(batch, mdp, policy, theta), dtype=np.float64)
    if w.shape not in ((n,), (n, mdp.horizon)):
        raise EstimatorError(f"estimator {estimator.name!r}: weights of shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise EstimatorError(f"estimator {estimator.name!r} produced NaN or infinite weights")
    named = spec.estimator is None
    bounds = prepared.weight_bounds.get(spec.key) if named else None
    if bounds is None:
        bounds = estimator.weights.bounds(mdp, policy, theta)
        if named:
            prepared.weight_bounds[spec.key] = bounds
    _check_weights(estimator.name, w, *bounds)
    return w


def _dense_batch(prepared: _Prepared, spec: EstimatorSpec, estimator, batch: Batch) -> BatchStats:
    problem = prepared.problem
    mdp, policy, theta = problem.mdp, problem.policy, problem.theta
    n = batch.size
    rows = max(1, DENSE_CHUNK_ENTRIES // max(policy.n_params, 1))
    out: BatchStats | None = None
    for start in range(0, n, rows):
        part = slice(start, min(start + rows, n))
        sub = Batch(batch.states[part], batch.actions[part], batch.rewards[part])
        values = estimator(sub, mdp, policy, theta).reshape(sub.size, -1)
        out = merge_stats(out, dense_stats(values, cross=spec.cross))
    assert out is not None
    return out


def _valued_batch(
    prepared: _Prepared,
    spec: EstimatorSpec,
    estimator: Estimator,
    batch: Batch,
    controls: np.ndarray | None,
) -> BatchStats:
    """ĝ's statistics, and the per-trajectory values the spec asks for: ĝ - Σ_k β_k h_k, or
    (a pilot) ĝ and h themselves."""
    problem = prepared.problem
    if estimator.weights is not None:  # a weight outside its bounds voids the test
        _weights(prepared, spec, estimator, batch)
    values = estimator(batch, problem.mdp, problem.policy, problem.theta).reshape(batch.size, -1)
    out = dense_stats(values, cross=spec.cross)
    if spec.pilot:
        out.values, out.controls = values, controls
        return out
    tested = values
    if spec.control is not None:
        assert controls is not None
        tested = subtract_controls(values, controls, spec.control)
    if spec.values:
        out.values = tested
    else:
        mean = tested.mean(axis=0)
        out.tested = (batch.size, mean, ((tested - mean) ** 2).sum(axis=0))
    return out


def batch_stats(
    prepared: _Prepared, specs: Sequence[EstimatorSpec], batch: Batch
) -> dict[str, BatchStats]:
    """Every estimator's statistics on one batch.

    Score-function estimators of a tabular softmax policy share the batch's groups, built
    and reduced :data:`SPARSE_CHUNK_STEPS` steps at a time (so the intermediates stay in
    cache); a time-dependent policy needs no groups; anything else is evaluated densely.
    """
    policy = prepared.problem.policy
    kind = _sparse_kind(policy)
    n = batch.size
    states, actions = batch.states.T, batch.actions.T  # time-major views
    out: dict[str, BatchStats] = {}
    grouped: list[tuple[str, np.ndarray]] = []
    controls: np.ndarray | None = None
    for spec in specs:
        estimator = _resolve(prepared, spec)
        if spec.values or spec.needs_controls:
            if spec.needs_controls and controls is None:
                problem = prepared.problem
                controls = control_values(batch, problem.mdp, problem.policy, problem.theta)
            out[spec.key] = _valued_batch(prepared, spec, estimator, batch, controls)
            continue
        if estimator.weights is None or kind is None or spec.dense or spec.cross:
            out[spec.key] = _dense_batch(prepared, spec, estimator, batch)
            continue
        w = _weights(prepared, spec, estimator, batch)
        if kind == "time":
            out[spec.key] = _from_sums(n, *time_dependent_sums(states, actions, w, prepared.pi))
        else:
            grouped.append((spec.key, w))
    if grouped:
        cells = prepared.pi.size
        totals = {key: np.zeros(cells) for key, _ in grouped}
        squares = {key: np.zeros(cells) for key, _ in grouped}
        step = max(1, SPARSE_CHUNK_STEPS // max(1, actions.shape[0]))
        for start in range(0, n, step):
            stop = min(start + step, n)
            groups = TabularGroups(states[:, start:stop], actions[:, start:stop], prepared.pi)
            for key, w in grouped:
                total, square = groups.sums(w[start:stop])
                totals[key] += total
                squares[key] += square
        for key, _ in grouped:
            out[key] = _from_sums(n, totals[key], squares[key])
    return {spec.key: out[spec.key] for spec in specs}


@dataclass(frozen=True)
class Job:
    """Batches [first, first + len(sizes)) of a run, for one worker call."""

    problem: StreamProblem
    token: str
    specs: tuple[EstimatorSpec, ...]
    entropy: int | Sequence[int]
    spawn_key: tuple[int, ...]
    first: int
    sizes: tuple[int, ...]


def run_job(job: Job) -> list[dict[str, BatchStats]]:
    """Sample and reduce the job's batches (the function executors run; picklable).

    BLAS is pinned to one thread meanwhile: the products here are small, and an idle
    OpenBLAS thread spinning after each one would take a second core for nothing.
    """
    with one_blas_thread:
        return _run_job(job)


def _run_job(job: Job) -> list[dict[str, BatchStats]]:
    capacity = max(job.sizes)
    prepared = _prepare(job.problem, job.token, capacity)
    root = np.random.SeedSequence(entropy=job.entropy, spawn_key=job.spawn_key)
    results = []
    for offset, size in enumerate(job.sizes):
        rng = np.random.Generator(np.random.PCG64(batch_seed(root, job.first + offset)))
        states = prepared.states[:, :size]
        actions = prepared.actions[:, :size]
        rewards = prepared.rewards[:, :size]
        prepared.sampler.sample_into(rng, states, actions, rewards)
        batch = Batch(states.T, actions.T, rewards.T)
        results.append(batch_stats(prepared, job.specs, batch))
    return results


# ----------------------------------------------------------------------------- the run


class Stream:
    """Batches of a run, reduced by ``run_job`` serially or on any Executor, yielded in order.

    ``sizes`` is an iterable of batch sizes (finite, or endless for a run that stops when
    the caller breaks out of :meth:`batches`).  With an executor, at most ``window`` jobs
    are in flight; each job covers consecutive batches of about ``job_steps`` steps.
    """

    def __init__(
        self,
        problem: StreamProblem,
        specs: Sequence[EstimatorSpec],
        seed: np.random.SeedSequence,
        executor: Executor | None = None,
        window: int | None = None,
        job_steps: int = 1 << 24,
    ) -> None:
        self.problem = problem
        self.specs = tuple(specs)
        self.seed = seed
        self.executor = executor
        self.window = window or 2 * max(1, int(getattr(executor, "_max_workers", 2) or 2))
        self.job_steps = job_steps
        self.token = problem.token()
        if executor is not None:
            self._check_picklable()

    def _check_picklable(self) -> None:
        from pgproof.numeric.parallel import is_cloudpickle_executor

        if is_cloudpickle_executor(self.executor):
            return
        for spec in self.specs:
            if spec.estimator is None:
                continue
            try:
                pickle.dumps(spec.estimator)
            except Exception:
                raise EstimatorError(
                    f"estimator {spec.key!r} cannot be sent to worker processes (not picklable);"
                    " name it as module:function or use the serial or thread executor"
                ) from None

    def _jobs(self, sizes: Iterable[int], first: int) -> Iterator[Job]:
        horizon = self.problem.mdp.horizon
        index = first
        group: list[int] = []
        steps = 0
        for size in sizes:
            group.append(size)
            steps += size * horizon
            if steps >= self.job_steps or self.executor is None:
                yield self._job(index, group)
                index += len(group)
                group, steps = [], 0
        if group:
            yield self._job(index, group)

    def _job(self, first: int, sizes: list[int]) -> Job:
        return Job(
            self.problem,
            self.token,
            self.specs,
            self.seed.entropy,
            tuple(self.seed.spawn_key),
            first,
            tuple(sizes),
        )

    def batches(self, sizes: Iterable[int], first: int = 0) -> Iterator[dict[str, BatchStats]]:
        """Per-batch statistics, in batch order; ``sizes`` are those of batches first, …"""
        jobs = self._jobs(sizes, first)
        if self.executor is None:
            for job in jobs:
                yield from run_job(job)
            return
        pending: list[Future] = []
        try:
            for job in jobs:
                pending.append(self.executor.submit(run_job, job))
                while len(pending) >= self.window:
                    yield from pending.pop(0).result()
            while pending:
                yield from pending.pop(0).result()
        finally:
            for future in pending:
                future.cancel()
