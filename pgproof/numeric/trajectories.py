"""Batches of trajectories and the returns computed from them.

A batch holds m trajectories τ_i = (s_i1, a_i1, ..., s_iT, a_iT, s_i,T+1) as arrays
``states[m, T+1]``, ``actions[m, T]`` and ``rewards[m, T]`` with rewards[i, t] = r(s_it, a_it)
(0-based: ``states[:, 0]`` is s_1).  The returns used by the estimators are

    R(τ)          = Σ_{t=1}^{T} γ^{t-1} r_t                       (:func:`total_return`)
    R_{≥t}(τ)     = Σ_{t'=t}^{T} γ^{t'-1} r_{t'}                   (:func:`reward_to_go`)
    G_t(τ)        = Σ_{t'=t}^{T} γ^{t'-t} r_{t'} = γ^{-(t-1)} R_{≥t}  (:func:`return_from`)

Enumeration yields :class:`TrajectoryChunk` records (states, actions, prob); with the MDP's
reward table they convert to a :class:`Batch` so the same estimator code runs on both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgproof.numeric.mdp import TabularMDP


@dataclass(frozen=True, eq=False)
class Batch:
    """m trajectories: states [m, T+1], actions [m, T], rewards [m, T]."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray

    @property
    def size(self) -> int:
        return int(self.actions.shape[0])

    @property
    def horizon(self) -> int:
        return int(self.actions.shape[1])


@dataclass(frozen=True, eq=False)
class TrajectoryChunk:
    """Enumerated trajectories with their probabilities p_θ(τ): prob has shape [n]."""

    states: np.ndarray
    actions: np.ndarray
    prob: np.ndarray

    def to_batch(self, mdp: TabularMDP) -> Batch:
        rewards = mdp.reward[self.states[:, :-1], self.actions]
        return Batch(self.states, self.actions, rewards)


def total_return(batch: Batch, mdp: TabularMDP) -> np.ndarray:
    """R(τ_i) = Σ_t γ^{t-1} r_it, shape [m]."""
    return batch.rewards @ mdp.discounts


def reward_to_go(batch: Batch, mdp: TabularMDP) -> np.ndarray:
    """R_{≥t}(τ_i) = Σ_{t' ≥ t} γ^{t'-1} r_it', shape [m, T]."""
    discounted = batch.rewards * mdp.discounts
    return np.cumsum(discounted[:, ::-1], axis=1)[:, ::-1]


def return_from(batch: Batch, mdp: TabularMDP) -> np.ndarray:
    """G_t(τ_i) = Σ_{t' ≥ t} γ^{t'-t} r_it', shape [m, T] (computed by a backward recursion)."""
    returns = np.empty_like(batch.rewards, dtype=np.float64)
    running = np.zeros(batch.size)
    for t in range(batch.horizon - 1, -1, -1):
        running = batch.rewards[:, t] + mdp.discount * running
        returns[:, t] = running
    return returns
