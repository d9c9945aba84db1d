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


def rebuild_from_alias_tables(cutoff: np.ndarray, alias: np.ndarray) -> np.ndarray:
    """p[r, j] = (cutoff[r, j] + Σ_{i: alias[r, i] = j} (1 - cutoff[r, i])) / K, term by term."""
    rows, k = cutoff.shape
    rebuilt = np.zeros((rows, k))
    for r in range(rows):
        for j in range(k):
            rebuilt[r, j] += cutoff[r, j] / k
            rebuilt[r, alias[r, j]] += (1 - cutoff[r, j]) / k
    return rebuilt


def test_alias_tables_reproduce_each_row_exactly():
    rows = np.array([[0.5, 0.0, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0]])
    cutoff, alias = alias_tables(rows)
    np.testing.assert_allclose(rebuild_from_alias_tables(cutoff, alias), rows, atol=1e-15)


def alias_test_rows() -> list[np.ndarray]:
    """Random and degenerate rows: zeros, one-hot rows, uniform rows, a single outcome."""
    rng = np.random.default_rng(7)
    cases = [rng.dirichlet(np.ones(k), size=40) for k in (1, 2, 3, 8, 50)]
    cases.append(rng.dirichlet(np.full(30, 0.05), size=40))  # spiky: many near-zero entries
    sparse = rng.dirichlet(np.ones(20), size=40)
    sparse[sparse < 0.04] = 0.0
    cases.append(sparse / sparse.sum(axis=1, keepdims=True))
    eye = np.eye(6)
    cases.append(np.vstack([eye, np.full((1, 6), 1 / 6), [[0.5, 0.5, 0, 0, 0, 0]]]))
    return cases


@pytest.mark.parametrize("case", range(len(alias_test_rows())))
def test_vectorised_alias_tables_are_exact_on_random_and_degenerate_rows(case):
    rows = alias_test_rows()[case]
    cutoff, alias = alias_tables(rows)
    assert cutoff.shape == alias.shape == rows.shape
    assert np.all((cutoff >= 0.0) & (cutoff <= 1.0))
    assert np.all((alias >= 0) & (alias < rows.shape[1]))
    np.testing.assert_allclose(rebuild_from_alias_tables(cutoff, alias), rows, rtol=0, atol=1e-12)
    zero = rows == 0.0  # an impossible outcome is never kept and never an alias
    assert np.all(cutoff[zero] == 0.0)
    assert not np.any(zero[np.arange(len(rows))[:, None], alias] & (cutoff < 1.0))


def test_two_stage_sampler_for_large_joint_tables(problem_factory, monkeypatch):
    """Above JOINT_LIMIT a step is a ~ π_t(·|s) then s' ~ P(·|s, a): same law."""
    import pgproof.numeric.sampling as sampling

    mdp, policy, theta = problem_factory("time_dependent", seed=5, shape=(3, 2, 4), discount=0.9)
    assert sampling.JointSampler(mdp, policy, theta).joint
    monkeypatch.setattr(sampling, "JOINT_LIMIT", 0)
    assert not sampling.JointSampler(mdp, policy, theta).joint
    test_whole_trajectories_follow_their_exact_probabilities((mdp, policy, theta))
    test_batch_shapes_rewards_and_reproducibility((mdp, policy, theta))


@pytest.mark.parametrize("kind", ["tabular", "linear"])
def test_two_stage_sampler_visits_states_like_dp(problem_factory, monkeypatch, kind):
    import pgproof.numeric.sampling as sampling

    monkeypatch.setattr(sampling, "JOINT_LIMIT", 0)
    mdp, policy, theta = problem_factory(kind, seed=3, shape=(4, 3, 20), discount=0.9)
    batch = sample_trajectories(mdp, policy, theta, 20_000, np.random.default_rng(4))
    visitation = solve(mdp, policy, theta).visitation
    for t in (1, 7, 20):
        observed = np.bincount(batch.states[:, t], minlength=mdp.n_states)
        assert stats.chisquare(observed, visitation[t] * batch.size).pvalue > ALPHA


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


def vose_row_by_row(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's algorithm one row at a time in plain Python (the reference)."""
    rows, k = probabilities.shape
    cutoff, alias = np.ones((rows, k)), np.tile(np.arange(k), (rows, 1))
    for r in range(rows):
        scaled = (probabilities[r] * k).tolist()
        small = [j for j, q in enumerate(scaled) if q < 1.0]
        large = [j for j, q in enumerate(scaled) if q >= 1.0]
        while small and large:
            j, g = small.pop(), large[-1]
            cutoff[r, j], alias[r, j] = scaled[j], g
            scaled[g] += scaled[j] - 1.0
            if scaled[g] < 1.0:
                small.append(large.pop())
    return cutoff, alias


@pytest.mark.parametrize("case", range(len(alias_test_rows())))
def test_vectorised_alias_tables_pair_exactly_as_vose_row_by_row(case):
    """Same pairing order and the same floating-point operations: identical tables."""
    rows = alias_test_rows()[case]
    cutoff, alias = alias_tables(rows)
    expected_cutoff, expected_alias = vose_row_by_row(rows)
    np.testing.assert_array_equal(cutoff, expected_cutoff)
    np.testing.assert_array_equal(alias, expected_alias)
