"""Property: every unbiased estimator passes on random MDPs, at a stated false-alarm rate.

Each example samples with a seed fixed by the example itself and the run is derandomised,
so the suite is deterministic.  The stated rate: every comparison uses α = ALPHA_EACH, so
with N_EXAMPLES × (number of unbiased estimators) comparisons the probability that a
correct implementation fails under fresh randomness is at most their product (Bonferroni),
about 0.3 %.  The real per-test false-alarm rate is measured in the slow test below.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from pgproof.numeric.bounds import declared_bounds
from pgproof.numeric.dp import exact_gradient_dp
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import random_mdp
from pgproof.numeric.policies import TabularSoftmax
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.stats import compare_with_exact
from pgproof.strategies import problems

N_EXAMPLES = 15
ALPHA_EACH = 5e-5
UNBIASED = [name for name, e in ESTIMATORS.items() if e.expected_unbiased]


@settings(max_examples=N_EXAMPLES, deadline=None, derandomize=True, database=None)
@given(problems(max_states=3, max_actions=3, max_horizon=4, min_discount=0.5))
def test_every_unbiased_estimator_passes_on_random_mdps(problem):
    mdp, policy, theta = problem
    gradient = exact_gradient_dp(mdp, policy, theta)
    seed = int(abs(gradient).sum() * 1e6) % 2**32
    batch = sample_trajectories(mdp, policy, theta, 4000, np.random.default_rng(seed))
    for name in UNBIASED:
        estimates = ESTIMATORS[name](batch, mdp, policy, theta)
        bounds = declared_bounds(ESTIMATORS[name], mdp, policy, theta)
        result = compare_with_exact(estimates, gradient, alpha=ALPHA_EACH, bounds=bounds)
        assert result.verdict == "unbiased", (name, result.p_value)


@pytest.mark.slow
def test_measured_false_alarm_rate_is_close_to_alpha():
    """Real false-alarm rate of the sampled test at α = 0.05 over 1000 fresh samples: at
    most α (it is conservative, so not close to it)."""
    rng = np.random.default_rng(2024)
    mdp = random_mdp(3, 2, 4, rng, discount=0.9)
    policy = TabularSoftmax(3, 2)
    theta = policy.random_theta(rng)
    gradient = exact_gradient_dp(mdp, policy, theta)
    repetitions, alpha = 1000, 0.05
    alarms = dict.fromkeys(UNBIASED, 0)
    for _ in range(repetitions):
        batch = sample_trajectories(mdp, policy, theta, 2000, rng)
        for name in UNBIASED:
            result = compare_with_exact(
                ESTIMATORS[name](batch, mdp, policy, theta), gradient, alpha,
                bounds=declared_bounds(ESTIMATORS[name], mdp, policy, theta),
            )  # fmt: skip
            alarms[name] += result.verdict == "biased"
    rates = {name: count / repetitions for name, count in alarms.items()}
    print("measured false-alarm rates at alpha = 0.05:", rates)
    # the test is valid (rate <= alpha) and conservative: 99.9 % of binomial(1000, 0.05)
    # counts lie below 74
    assert all(rate <= 0.074 for rate in rates.values()), rates
