"""Vectorised sampling of m trajectories τ ~ p_θ.

Each step draws the pair (a_t, s_{t+1}) in one go from the joint law

    q_t(a, s' | s) = π_θ,t(a | s) P(s' | s, a)          (K = A·S outcomes per state s),

with Walker's alias method: one uniform u per step gives a column j = ⌊K u⌋ and a
fraction f = K u - j, and the outcome is j if f < prob[s, j] else alias[s, j].  That
is O(1) work per trajectory-step, vectorised over a batch of trajectories; the alias
tables are built once per (t, s) row with Vose's algorithm.  Randomness comes only from
the caller's seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem
from pgproof.numeric.trajectories import Batch

DEFAULT_BATCH_SIZE = 1 << 15


def alias_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias tables for each row of ``probabilities`` [rows, K] (rows sum to 1).

    Returns (cutoff, alias) of shape [rows, K]: outcome j is kept with probability
    cutoff[r, j] and replaced by alias[r, j] otherwise, which reproduces row r exactly.
    """
    rows, k = probabilities.shape
    cutoff = np.ones((rows, k))
    alias = np.tile(np.arange(k), (rows, 1))
    scaled_rows = probabilities * k
    for r in range(rows):
        scaled = scaled_rows[r].tolist()
        small = [j for j, q in enumerate(scaled) if q < 1.0]
        large = [j for j, q in enumerate(scaled) if q >= 1.0]
        while small and large:
            j, g = small.pop(), large[-1]
            cutoff[r, j], alias[r, j] = scaled[j], g
            scaled[g] += scaled[j] - 1.0
            if scaled[g] < 1.0:
                small.append(large.pop())
        # leftovers are 1 up to rounding: keep them (cutoff 1)
    return cutoff, alias


class JointSampler:
    """Alias tables for q_t(a, s' | s), flattened so one ``take`` serves a whole batch."""

    def __init__(self, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> None:
        theta = check_problem(mdp, policy, theta)
        n_states, n_actions = mdp.n_states, mdp.n_actions
        pi = policy.probs(theta, mdp.horizon)
        steps = 1 if policy.time_invariant else mdp.horizon
        joint = pi[:steps, :, :, None] * mdp.transition  # [T', S, A, S']
        k = n_actions * n_states
        cutoff, alias = alias_tables(joint.reshape(steps * n_states, k))
        cells = steps * n_states * k
        # Interleaved tables indexed by 2·cell: choice[2c] = alias (global), choice[2c+1] = c.
        self.outcomes = k
        self.steps = steps
        self.cutoff = np.repeat(cutoff.ravel(), 2)
        self.choice = np.stack(
            [(alias + np.arange(steps * n_states)[:, None] * k).ravel(), np.arange(cells)], axis=1
        ).ravel()
        outcome = np.arange(cells) % k
        self.action_of = outcome // n_states
        self.next_state_of = outcome % n_states
        state_of = np.arange(cells) // k % n_states
        self.reward_of = mdp.reward[state_of, self.action_of]
        self.initial_cdf = np.cumsum(mdp.initial)
        self.initial_cdf[-1] = 1.0
        self.n_states = n_states
        self.horizon = mdp.horizon

    def sample_into(
        self,
        rng: np.random.Generator,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
    ) -> None:
        """Fill time-major arrays states [T+1, m], actions [T, m], rewards [T, m]."""
        horizon, k = self.horizon, self.outcomes
        m = actions.shape[1]
        states[0] = np.searchsorted(self.initial_cdf, rng.random(m), side="right")
        uniforms = rng.random((horizon, m))
        uniforms *= k
        column = np.empty(m, dtype=np.intp)
        fraction = np.empty(m)
        cell = np.empty(m, dtype=np.intp)
        cut = np.empty(m)
        keep = np.empty(m, dtype=bool)
        outcome = np.empty(m, dtype=np.intp)
        for t in range(horizon):
            np.copyto(column, uniforms[t], casting="unsafe")  # ⌊K u⌋
            np.subtract(uniforms[t], column, out=fraction)
            row = t * self.n_states if self.steps > 1 else 0
            np.add(states[t], row, out=cell)
            cell *= k
            cell += column
            cell += cell  # 2·cell indexes the interleaved tables
            np.take(self.cutoff, cell, out=cut, mode="clip")
            np.less(fraction, cut, out=keep)
            cell += keep
            np.take(self.choice, cell, out=outcome, mode="clip")
            np.take(self.action_of, outcome, out=actions[t], mode="clip")
            np.take(self.reward_of, outcome, out=rewards[t], mode="clip")
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
