"""Sampling: shapes, consistency, reproducibility, and the right distribution (fixed seeds).

The distribution tests are chi-square goodness-of-fit tests at false-alarm rate 1e-4 on
fixed seeds, so they are deterministic; a wrong sampler fails them overwhelmingly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pgproof.numeric.dp import solve
from pgproof.numeric.enumeration import iter_trajectories
from pgproof.numeric.sampling import alias_tables, sample_trajectories

ALPHA = 1e-4


def test_batch_shapes_rewards_and_reproducibility(problem):
    mdp, policy, theta = problem
    batch = sample_trajectories(mdp, policy, theta, 1000, np.random.default_rng(0), batch_size=300)
    assert batch.states.shape == (1000, mdp.horizon + 1)
    assert batch.actions.shape == batch.rewards.shape == (1000, mdp.horizon)
    np.testing.assert_array_equal(batch.rewards, mdp.reward[batch.states[:, :-1], batch.actions])
    again = sample_trajectories(mdp, policy, theta, 1000, np.random.default_rng(0), batch_size=300)
    np.testing.assert_array_equal(batch.states, again.states)
    np.testing.assert_array_equal(batch.actions, again.actions)


def test_whole_trajectories_follow_their_exact_probabilities(problem):
    mdp, policy, theta = problem
    m = 40_000
    batch = sample_trajectories(mdp, policy, theta, m, np.random.default_rng(1))
    radix = mdp.n_states * mdp.n_actions
    code = np.zeros(m, dtype=np.int64)
    for t in range(mdp.horizon):
        code = code * radix + batch.states[:, t] * mdp.n_actions + batch.actions[:, t]
    code = code * mdp.n_states + batch.states[:, -1]
    expected = np.zeros(radix**mdp.horizon * mdp.n_states)
    for chunk in iter_trajectories(mdp, policy, theta):
        chunk_code = np.zeros(len(chunk.prob), dtype=np.int64)
        for t in range(mdp.horizon):
            chunk_code = (
                chunk_code * radix + chunk.states[:, t] * mdp.n_actions + chunk.actions[:, t]
            )
        chunk_code = chunk_code * mdp.n_states + chunk.states[:, -1]
        np.add.at(expected, chunk_code, chunk.prob)
    observed = np.bincount(code, minlength=expected.size)
    assert observed[expected == 0].sum() == 0
    # pool cells with small expected counts so the chi-square approximation holds
    order = np.argsort(expected)
    small = np.cumsum(expected[order] * m) < 20
    keep = order[~small]
    obs = np.append(observed[keep], observed[order[small]].sum())
    exp = np.append(expected[keep], expected[order[small]].sum()) * m
    obs, exp = obs[exp > 0], exp[exp > 0]
    assert stats.chisquare(obs, exp).pvalue > ALPHA


def test_state_visitation_matches_dp_on_a_long_horizon(problem_factory):
    mdp, policy, theta = problem_factory("tabular", seed=2, shape=(4, 3, 30), discount=0.9)
    batch = sample_trajectories(mdp, policy, theta, 20_000, np.random.default_rng(2))
    visitation = solve(mdp, policy, theta).visitation
    for t in (0, 10, 30):
        observed = np.bincount(batch.states[:, t], minlength=mdp.n_states)
        assert stats.chisquare(observed, visitation[t] * batch.size).pvalue > ALPHA


def test_alias_tables_reproduce_each_row_exactly():
    rows = np.array([[0.5, 0.0, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0]])
    cutoff, alias = alias_tables(rows)
    k = rows.shape[1]
    rebuilt = np.zeros_like(rows)
    for r in range(len(rows)):
        for j in range(k):
            rebuilt[r, j] += cutoff[r, j] / k
            rebuilt[r, alias[r, j]] += (1 - cutoff[r, j]) / k
    np.testing.assert_allclose(rebuilt, rows, atol=1e-15)


def test_progress_bar_only_when_asked(problem, capsys):
    mdp, policy, theta = problem
    sample_trajectories(mdp, policy, theta, 100, np.random.default_rng(3), batch_size=10)
    assert capsys.readouterr().err == ""
    sample_trajectories(
        mdp, policy, theta, 100, np.random.default_rng(3), batch_size=10, progress=True
    )
    assert "sampling" in capsys.readouterr().err


def test_bad_sample_counts_are_rejected(problem):
    mdp, policy, theta = problem
    with pytest.raises(ValueError, match="m must be positive, got 0"):
        sample_trajectories(mdp, policy, theta, 0, np.random.default_rng(0))
