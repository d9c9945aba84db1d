"""Vectorised sampling of m trajectories τ ~ p_θ.

Each step draws the pair (a_t, s_{t+1}) in one go from the joint law

    q_t(a, s' | s) = π_θ,t(a | s) P(s' | s, a)          (K = A·S outcomes per state s),

with Walker's alias method: one uniform u per step gives a column j = ⌊K u⌋ and a
fraction f = K u - j, and the outcome is j if f < prob[s, j] else alias[s, j].  That
is O(1) work per trajectory-step, vectorised over a batch of trajectories.  When the
joint tables would be large (a time-dependent θ has T·S rows of A·S cells) the step is
drawn in two such stages, a_t ~ π_t(·|s_t) and s_{t+1} ~ P(·|s_t, a_t), instead.

The alias tables are built by Vose's algorithm run on all rows at once
(:func:`alias_tables`).  Randomness comes only from the caller's seeded
``numpy.random.Generator``.
"""

from __future__ import annotations

import weakref

import numpy as np
from tqdm import tqdm

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem
from pgproof.numeric.trajectories import Batch

DEFAULT_BATCH_SIZE = 1 << 15
#: Largest joint table T'·S·A·S (cells) drawn in one stage; larger ones use two stages.
JOINT_LIMIT = 1 << 20


def alias_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias tables for each row of ``probabilities`` [rows, K] (rows sum to 1).

    Returns (cutoff, alias) of shape [rows, K]: outcome j is kept with probability
    cutoff[r, j] and replaced by alias[r, j] otherwise, which reproduces row r exactly:

        p[r, j] = (cutoff[r, j] + Σ_{i: alias[r, i] = j} (1 - cutoff[r, i])) / K.

    Vose's pairing runs on all rows in lockstep: with q = K p, each round takes the top
    "small" column j (q_j < 1) and the top "large" column g (q_g ≥ 1) of every row that
    still has both, sets cutoff_j = q_j, alias_j = g, and moves the deficit 1 - q_j onto g
    (q_g ← q_g + q_j - 1), which turns g small once q_g < 1.  A row needs at most K - 1
    rounds, so the Python loop runs at most K - 1 times (not rows · K), each round a few
    flat-index operations over the rows still pairing.  Columns left over when one list
    runs dry are 1 up to rounding and keep cutoff 1.  The stacks are used in the same order
    and q is updated by the same floating-point operations as in Vose's algorithm run row
    by row, so the tables are identical to that reference.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    rows, k = probabilities.shape
    scaled = (probabilities * k).ravel()
    cutoff = np.ones(rows * k)
    alias = np.tile(np.arange(k), rows)
    is_large = (scaled >= 1.0).reshape(rows, k)
    # Row r's columns, small ones first: its small stack is stack[r, :n_small] and its large
    # stack stack[r, n_small0:top]; the small stack never outgrows n_small0 (a push always
    # follows a pop), so the two never meet.
    stack = np.argsort(is_large, axis=1, kind="stable").ravel()
    base = np.arange(rows) * k
    n_small = base + (k - np.count_nonzero(is_large, axis=1))  # flat positions from here on
    floor, top = n_small.copy(), base + k
    keep = (n_small > base) & (top > floor)
    pairing = _Rows(base[keep], n_small[keep], floor[keep], top[keep])
    while pairing.base.size:
        pairing = _vose_round(scaled, cutoff, alias, stack, pairing)
    return cutoff.reshape(rows, k), alias.reshape(rows, k)


class _Rows:
    """Flat stack positions of the rows still pairing: row start, small top, floor, large top."""

    __slots__ = ("base", "small", "floor", "top")

    def __init__(self, base: np.ndarray, small: np.ndarray, floor: np.ndarray, top: np.ndarray):
        self.base, self.small, self.floor, self.top = base, small, floor, top


def _vose_round(
    scaled: np.ndarray,
    cutoff: np.ndarray,
    alias: np.ndarray,
    stack: np.ndarray,
    rows: _Rows,
) -> _Rows:
    """One pairing round of :func:`alias_tables` (flat arrays updated in place)."""
    small = rows.small - 1  # pop the small column j
    top = rows.top
    j = stack[small]
    g = stack[top - 1]  # the large column g stays on its stack for now
    cell_j = rows.base + j
    cell_g = rows.base + g
    q_j = scaled[cell_j]
    cutoff[cell_j] = q_j
    alias[cell_j] = g
    q_g = scaled[cell_g] + (q_j - 1.0)
    scaled[cell_g] = q_g
    moved = q_g < 1.0  # g turns small: off the large stack, onto the small one
    top = top - moved
    stack[small[moved]] = g[moved]
    small = small + moved
    keep = (small > rows.base) & (top > rows.floor)
    if keep.all():  # usually: every row still has both a small and a large column
        return _Rows(rows.base, small, rows.floor, top)
    return _Rows(rows.base[keep], small[keep], rows.floor[keep], top[keep])


class _AliasRows:
    """Alias tables of many rows [rows, K], interleaved so that a draw is two ``take``s.

    Entry 2c of ``cutoff`` and 2c and 2c+1 of ``choice`` belong to cell c = row·K + j:
    choice[2c] = the alias cell row·K + alias[row, j], choice[2c+1] = c itself, so the
    drawn cell is choice[2c + (fraction < cutoff)].
    """

    def __init__(self, probabilities: np.ndarray) -> None:
        rows, k = probabilities.shape
        cutoff, alias = alias_tables(probabilities)
        aliased = (alias + np.arange(rows)[:, None] * k).ravel()
        self.outcomes = k
        self.cutoff = np.repeat(cutoff.ravel(), 2)
        self.choice = np.stack([aliased, np.arange(rows * k)], axis=1).ravel()

    def draw(self, row: np.ndarray, scaled: np.ndarray, out: np.ndarray, work: _Work) -> None:
        """out = the cell row·K + j drawn from each ``row`` with uniforms·K ``scaled``."""
        np.copyto(work.column, scaled, casting="unsafe")  # ⌊K u⌋
        np.subtract(scaled, work.column, out=work.fraction)
        np.multiply(row, self.outcomes, out=work.cell)
        work.cell += work.column
        work.cell += work.cell  # 2·cell indexes the interleaved tables
        np.take(self.cutoff, work.cell, out=work.cut, mode="clip")
        np.less(work.fraction, work.cut, out=work.keep)
        work.cell += work.keep
        np.take(self.choice, work.cell, out=out, mode="clip")


class _Work:
    """Scratch arrays of one batch of m trajectories."""

    def __init__(self, m: int) -> None:
        self.column = np.empty(m, dtype=np.intp)
        self.fraction = np.empty(m)
        self.cell = np.empty(m, dtype=np.intp)
        self.cut = np.empty(m)
        self.keep = np.empty(m, dtype=bool)
        self.row = np.empty(m, dtype=np.intp)
        self.outcome = np.empty(m, dtype=np.intp)
        self.pair = np.empty(m, dtype=np.intp)


_TRANSITIONS: weakref.WeakKeyDictionary[TabularMDP, _AliasRows] = weakref.WeakKeyDictionary()


def _transition_rows(mdp: TabularMDP) -> _AliasRows:
    """Alias tables of P(·|s,a) (row s·A + a), cached per MDP: they do not depend on θ."""
    rows = _TRANSITIONS.get(mdp)
    if rows is None:
        rows = _TRANSITIONS[mdp] = _AliasRows(mdp.transition.reshape(-1, mdp.n_states))
    return rows


class JointSampler:
    """Alias tables for one step τ_t -> (a_t, s_{t+1}), so one ``take`` serves a whole batch.

    Small problems draw the pair from the joint law q_t(a, s'|s) = π_t(a|s) P(s'|s,a)
    (one table row per (t, s), K = A·S).  When those tables would exceed
    :data:`JOINT_LIMIT` cells (a time-dependent θ with S = 100, A = 10, T = 100 needs 10⁷)
    the step is drawn in two stages, a ~ π_t(·|s) then s' ~ P(·|s,a), from T'·S·A + S·A·S
    cells, the transition part cached per MDP.  Either way the draw is exact.
    """

    def __init__(self, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> None:
        theta = check_problem(mdp, policy, theta)
        n_states, n_actions = mdp.n_states, mdp.n_actions
        pi = policy.probs(theta, mdp.horizon)
        steps = 1 if policy.time_invariant else mdp.horizon
        self.steps, self.n_states, self.n_actions = steps, n_states, n_actions
        self.horizon = mdp.horizon
        self.initial_cdf = np.cumsum(mdp.initial)
        self.initial_cdf[-1] = 1.0
        self.joint = steps * n_states * n_actions * n_states <= JOINT_LIMIT
        if self.joint:
            joint = pi[:steps, :, :, None] * mdp.transition  # [T', S, A, S']
            self.table = _AliasRows(joint.reshape(steps * n_states, n_actions * n_states))
            outcome = np.arange(joint.size) % (n_actions * n_states)
            self.action_of = outcome // n_states
            self.next_state_of = outcome % n_states
            state_of = np.arange(joint.size) // (n_actions * n_states) % n_states
            self.reward_of = mdp.reward[state_of, self.action_of]
        else:
            self.table = _AliasRows(np.ascontiguousarray(pi[:steps]).reshape(-1, n_actions))
            self.transitions = _transition_rows(mdp)
            self.action_of = np.arange(steps * n_states * n_actions) % n_actions
            self.next_state_of = np.arange(n_states * n_actions * n_states) % n_states
            self.reward_of = mdp.reward.ravel()

    def sample_into(
        self,
        rng: np.random.Generator,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
    ) -> None:
        """Fill time-major arrays states [T+1, m], actions [T, m], rewards [T, m]."""
        m = actions.shape[1]
        work = _Work(m)
        states[0] = np.searchsorted(self.initial_cdf, rng.random(m), side="right")
        uniforms = rng.random((self.horizon, m))
        uniforms *= self.table.outcomes
        if self.joint:
            for t in range(self.horizon):
                self._joint_step(t, uniforms[t], states, actions, rewards, work)
            return
        second = rng.random((self.horizon, m))
        second *= self.n_states
        for t in range(self.horizon):
            self._two_stage_step(t, uniforms[t], second[t], states, actions, rewards, work)

    def _row(self, t: int, states: np.ndarray, work: _Work) -> np.ndarray:
        """Table row of each trajectory at step t: s_t, or t·S + s_t for a time-dependent θ."""
        if self.steps == 1:
            return states[t]
        return np.add(states[t], t * self.n_states, out=work.row)

    def _joint_step(self, t, scaled, states, actions, rewards, work: _Work) -> None:
        """(a_t, s_{t+1}) in one draw from q_t(·, ·|s_t)."""
        outcome = work.outcome
        self.table.draw(self._row(t, states, work), scaled, outcome, work)
        np.take(self.action_of, outcome, out=actions[t], mode="clip")
        np.take(self.reward_of, outcome, out=rewards[t], mode="clip")
        np.take(self.next_state_of, outcome, out=states[t + 1], mode="clip")

    def _two_stage_step(self, t, scaled, second, states, actions, rewards, work: _Work) -> None:
        """a_t ~ π_t(·|s_t), then s_{t+1} ~ P(·|s_t, a_t)."""
        outcome, pair = work.outcome, work.pair
        self.table.draw(self._row(t, states, work), scaled, outcome, work)
        np.take(self.action_of, outcome, out=actions[t], mode="clip")
        if self.steps == 1:  # the drawn cell is s·A + a already
            np.copyto(pair, outcome)
        else:
            np.subtract(outcome, t * self.n_states * self.n_actions, out=pair)
        np.take(self.reward_of, pair, out=rewards[t], mode="clip")
        self.transitions.draw(pair, second, outcome, work)
        np.take(self.next_state_of, outcome, out=states[t + 1], mode="clip")


def sample_trajectories(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    m: int,
    rng: np.random.Generator,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> Batch:
    """Draw m independent trajectories from p_θ, ``batch_size`` at a time.

    ``progress=True`` shows a tqdm bar over batches (off by default).
    """
    if m < 1:
        raise ValueError(f"number of trajectories m must be positive, got {m}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    sampler = JointSampler(mdp, policy, theta)
    horizon = mdp.horizon
    # Stored time-major (contiguous per step) and returned as transposed [m, ...] views.
    states = np.empty((horizon + 1, m), dtype=np.intp)
    actions = np.empty((horizon, m), dtype=np.intp)
    rewards = np.empty((horizon, m))
    starts = range(0, m, batch_size)
    bar = tqdm(starts, desc="sampling", unit="batch", disable=not progress, leave=False)
    for start in bar:
        stop = min(start + batch_size, m)
        sampler.sample_into(
            rng, states[:, start:stop], actions[:, start:stop], rewards[:, start:stop]
        )
    return Batch(states.T, actions.T, rewards.T)
