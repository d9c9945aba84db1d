"""Calibration of pgproof's bias test: false alarms, samples against an oracle, power curves.

False alarms.  For every hard case (an MDP, a policy, θ, an estimator that is exactly
unbiased by enumeration or by construction, and m) the test of E[ĝ] = ∇J(θ) is repeated
on fresh samples, with the design ``pgproof verify`` would use (control variates, the split
of α, the tolerance 5 % of |∇J|_∞), and the rate of "biased" verdicts is reported with its
95% Clopper–Pearson interval.  The bound to meet: the interval's upper end ≤ 1.5 α.  A
"biased" verdict counts if the sequence excluded ∇J at any batch up to m (it is anytime
valid): that bounds the false-alarm rate of ``--samples auto`` runs that stop before m.
Rows cover what breaks asymptotic tests: a rarely visited state, peaked θ, small m,
time-dependent policies, discounting, negative rewards, T = 1, deterministic transitions,
many parameters, linear features, baselines.  Hotelling's T² (diagnostics enforced) is run
on the same samples: how often its diagnostics let it decide, and its false-alarm rate then.

Samples against an oracle.  ``--samples auto`` on exactly unbiased REINFORCE, repeated on
fresh seeds, stops when it has confirmed the tolerance; the oracle knows every coordinate's
variance, uses a Gaussian test at fixed m with Bonferroni over the coordinates at the same
α and tolerance, and decides "unbiased" at m when |ḡ_j − ∇J_j| + z_{α/2d} σ_j/√m ≤ δ for
every j.  With √m(ḡ − ∇J) ~ N(0, Σ), the m it needs is M = max_j ((|Z_j| + z σ_j)/δ)²,
Z ~ N(0, Σ): its median and 90 % point are read off draws of M.  The table gives the
median stopping m of the betting test with each of its parts switched off, and the ratio
to the oracle's median.

Power.  For every biased estimator pgproof ships, on the README's discounted problem: the
detection rate ("biased" verdicts) at fixed m on a grid, beside the oracle's (Gaussian,
known variances, Bonferroni: ∃j |ḡ_j − ∇J_j| > z σ_j/√m), and ``--plot FILE`` draws the
curves (matplotlib: ``pip install 'pgproof[plots]'``).

Repetitions are vectorised: R repetitions of m trajectories are sampled at once, estimates
and control variates are formed densely, and one BettingSequence over R·d coordinates (α
split over the d of one repetition) receives the repetitions' values in the batch sizes of
a streaming run — the same class, design, bets and batches as ``run_bias_tests`` (a test
checks that both give the same intervals on the same trajectories).

Usage: python benchmarks/calibration.py [--quick] [--reps N] [--alpha A] [--no-oracle]
       [--no-power] [--plot FILE]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pgproof.numeric.betting import BettingSequence
from pgproof.numeric.bias_test import EXACT_MAX_PARAMS, plan_tests, run_bias_tests, start_tests
from pgproof.numeric.confidence import BatchMoments, clopper_pearson
from pgproof.numeric.control_variates import control_values, subtract_controls
from pgproof.numeric.dp import exact_gradient_dp
from pgproof.numeric.enumeration import exact_gradient_enumeration, trajectory_count
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import TabularMDP, random_mdp
from pgproof.numeric.policies import LinearSoftmax, Policy, TabularSoftmax, TimeDependentSoftmax
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.stats import hotelling, rarest_visits
from pgproof.numeric.streaming import BatchStats, merge_stats, plan_batches

Problem = tuple[TabularMDP, Policy, np.ndarray]
#: at most this many float64 estimates (and control variates) are formed at once
MAX_ENTRIES = 12_000_000
#: the tolerance of every test, relative to |∇J|_∞ (``pgproof verify``'s default)
RELATIVE_TOLERANCE = 0.05


# ----------------------------------------------------------------------------- problems


def _softmax_theta(pi: np.ndarray) -> np.ndarray:
    return np.log(pi)


def rare_state(rng: np.random.Generator) -> Problem:
    """State 2 is entered with probability ~1e-3 per trajectory (start or transition)."""
    n_states, n_actions, horizon = 3, 2, 4
    base = random_mdp(n_states, n_actions, horizon, rng)
    initial = np.array([0.6, 0.4 - 3e-4, 3e-4])
    transition = base.transition.copy()
    transition[:, :, 2] = 2e-4
    transition[:2, :, :2] /= transition[:2, :, :2].sum(axis=2, keepdims=True) / (1 - 2e-4)
    transition[2] = base.transition[2]
    mdp = TabularMDP(initial, transition, base.reward, horizon)
    policy = TabularSoftmax(n_states, n_actions)
    return mdp, policy, policy.random_theta(rng)


def peaked_theta(rng: np.random.Generator) -> Problem:
    """Every state has an action of probability 5e-4 (the other two share the rest)."""
    mdp = random_mdp(3, 3, 4, rng)
    small = 5e-4
    pi = np.tile([(1 - small) / 2, (1 - small) / 2, small], (3, 1))
    policy = TabularSoftmax(3, 3)
    return mdp, policy, _softmax_theta(pi)


def ordinary(index: int) -> Callable[[np.random.Generator], Problem]:
    def build(rng: np.random.Generator) -> Problem:
        rng = np.random.default_rng(1000 + index)
        n_states, n_actions, horizon = (int(x) for x in rng.integers(2, 5, size=3))
        mdp = random_mdp(n_states, n_actions, horizon, rng)
        policy = TabularSoftmax(n_states, n_actions)
        return mdp, policy, policy.random_theta(rng)

    build.__doc__ = f"ordinary random MDP #{index + 1} (seed {1000 + index})"
    return build


def time_dependent(rng: np.random.Generator) -> Problem:
    mdp = random_mdp(3, 2, 5, rng)
    policy = TimeDependentSoftmax(3, 2, 5)
    return mdp, policy, policy.random_theta(rng)


def discounted(rng: np.random.Generator) -> Problem:
    mdp = random_mdp(4, 3, 5, rng, discount=0.9)
    policy = TabularSoftmax(4, 3)
    return mdp, policy, policy.random_theta(rng)


def negative_one_step(rng: np.random.Generator) -> Problem:
    mdp = random_mdp(3, 4, 1, rng, min_reward=-5.0, max_reward=-1.0)
    policy = TabularSoftmax(3, 4)
    return mdp, policy, policy.random_theta(rng, scale=2.0)


def deterministic(rng: np.random.Generator) -> Problem:
    n_states, n_actions, horizon = 4, 2, 6
    transition = np.zeros((n_states, n_actions, n_states))
    for s in range(n_states):
        for a in range(n_actions):
            transition[s, a, (s + a + 1) % n_states] = 1.0
    initial = np.eye(n_states)[0]
    mdp = TabularMDP(initial, transition, rng.random((n_states, n_actions)), horizon)
    policy = TabularSoftmax(n_states, n_actions)
    return mdp, policy, policy.random_theta(rng)


def many_parameters(rng: np.random.Generator) -> Problem:
    mdp = random_mdp(20, 5, 10, rng, discount=0.95)
    policy = TabularSoftmax(20, 5)
    return mdp, policy, policy.random_theta(rng)


def linear_features(rng: np.random.Generator) -> Problem:
    mdp = random_mdp(4, 3, 4, rng)
    policy = LinearSoftmax(rng.standard_normal((4, 3, 3)))
    return mdp, policy, policy.random_theta(rng)


def sparse_reward(rng: np.random.Generator) -> Problem:
    """One (s, a) pays 1, everything else 0: returns are rare events."""
    mdp = random_mdp(4, 3, 4, rng)
    reward = np.zeros((4, 3))
    reward[3, 2] = 1.0
    mdp = TabularMDP(mdp.initial, mdp.transition, reward, mdp.horizon)
    policy = TabularSoftmax(4, 3)
    return mdp, policy, policy.random_theta(rng)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[np.random.Generator], Problem]
    m: int
    estimator: str = "reinforce"
    seed: int = 0


ISSUE = [  # the cases of issue 11
    Case("rare state (p≈1e-3)", rare_state, 2000),
    Case("peaked θ (min π = 5e-4)", peaked_theta, 2000),
    Case("peaked θ (min π = 5e-4)", peaked_theta, 10_000),
    *(Case(f"ordinary random MDP {i + 1}/7", ordinary(i), 50) for i in range(7)),
    *(Case(f"ordinary random MDP {i + 1}/7", ordinary(i), 200) for i in range(7)),
    Case("time-dependent policy", time_dependent, 50),
]
OURS = [
    Case("discount 0.9", discounted, 500, "reward_to_go"),
    Case("discount 0.9", discounted, 500, "discounted_return"),
    Case("discount 0.9", discounted, 500, "state_baseline"),
    Case("discount 0.9, tiny m", discounted, 10, "reinforce"),
    Case("negative rewards, T = 1", negative_one_step, 20, "constant_baseline"),
    Case("deterministic transitions", deterministic, 100, "reward_to_go"),
    Case("S=20 A=5 T=10 (100 parameters)", many_parameters, 1000, "reward_to_go"),
    Case("linear softmax features", linear_features, 300),
    Case("sparse reward", sparse_reward, 300),
    Case("peaked θ, state baseline", peaked_theta, 2000, "state_baseline"),
    Case("time-dependent policy, m = 2", time_dependent, 2, "reward_to_go"),
    # well mixed, large m: where Hotelling's diagnostics let it decide
    Case("well mixed: random MDP 1/7", ordinary(0), 5000),
    Case("well mixed: discount 0.9", discounted, 5000, "reward_to_go"),
]
CASES = ISSUE + OURS
#: the subset run in CI (tests/numeric/test_calibration.py): ≤ 2 minutes on 2 cores
FAST = [
    Case("rare state (p≈1e-3)", rare_state, 2000),
    Case("peaked θ (min π = 5e-4)", peaked_theta, 2000),
    Case("ordinary random MDP 1/7", ordinary(0), 50),
    Case("time-dependent policy", time_dependent, 50),
    Case("discount 0.9", discounted, 200, "discounted_return"),
    Case("negative rewards, T = 1", negative_one_step, 20, "constant_baseline"),
]


# ----------------------------------------------------------------------------- engine


@dataclass
class Prepared:
    """A case ready to be tested: the problem, ∇J, the design ``run_bias_tests`` uses."""

    mdp: TabularMDP
    policy: Policy
    theta: np.ndarray
    gradient: np.ndarray
    estimator: str
    tolerance: float
    track: object  # the run's Track: bounds, exact summary, design
    limit: int | None
    exact_bias: float | None
    mean: np.ndarray | None
    covariance: np.ndarray | None
    rarest: float

    @property
    def design(self):
        return self.track.design


def verify_problem(n_states: int, n_actions: int, horizon: int, seed: int, discount=1.0):
    """The random problem ``pgproof verify --states S --actions A --horizon T --seed N``
    draws (child 0 of SeedSequence(N) builds it)."""

    def build(rng: np.random.Generator) -> Problem:
        problem_seed = np.random.SeedSequence(seed).spawn(2)[0]
        rng = np.random.default_rng(problem_seed)
        mdp = random_mdp(n_states, n_actions, horizon, rng, discount)
        policy = TabularSoftmax(n_states, n_actions)
        return mdp, policy, policy.random_theta(rng)

    gamma = "" if discount == 1.0 else f" --discount {discount:g}"
    build.__doc__ = f"verify --states {n_states} --actions {n_actions} --horizon {horizon}{gamma}"
    build.__doc__ += f" --seed {seed}"
    return build


def prepare(case: Case, estimator: str | None = None, alpha: float = 0.05) -> Prepared:
    mdp, policy, theta = case.build(np.random.default_rng(case.seed))
    name = estimator or case.estimator
    if trajectory_count(mdp) <= 2_000_000:
        gradient = exact_gradient_enumeration(mdp, policy, theta)
    else:
        gradient = exact_gradient_dp(mdp, policy, theta)
    tolerance = RELATIVE_TOLERANCE * float(np.max(np.abs(gradient)))
    plan = plan_tests(
        [ESTIMATORS[name]], mdp, policy, theta, gradient, samples=max(case.m, 2),
        alpha=alpha, tolerance=tolerance,
    )  # fmt: skip
    if plan.pilot:
        raise NotImplementedError(f"{case.name}: a pilot design is not vectorised here")
    track = plan.tracks[0]
    start_tests([track], gradient, plan.settings)  # a plain design where none was found
    bias = mean = covariance = None
    if track.exact is not None:
        mean, covariance = track.exact.mean, track.exact.covariance
        bias = float(np.max(np.abs(mean - gradient)))
    rarest = rarest_visits(mdp, policy, theta)
    return Prepared(
        mdp, policy, theta, gradient, name, tolerance, track, plan.limit, bias, mean,
        covariance, rarest,
    )  # fmt: skip


@dataclass
class Outcome:
    reps: int
    alarms: int  # "biased" verdicts
    hotelling_applied: int
    hotelling_alarms: int

    def interval(self) -> tuple[float, float]:
        return clopper_pearson(self.alarms, self.reps)

    @property
    def rate(self) -> float:
        return self.alarms / self.reps


def sequences(
    prepared: Prepared, values: np.ndarray, controls: np.ndarray | None, alpha: float
) -> BettingSequence:
    """One BettingSequence over R repetitions of m estimates (``values`` [R, m, d], their
    controls [R, m, d, K]), fed in the batch sizes of a streaming run."""
    count, m, d = values.shape
    design = prepared.design
    tested = values
    if controls is not None and design.controlled.any():
        tested = subtract_controls(values, controls, design.beta)
    sequence = BettingSequence(
        np.tile(design.lower, count),
        np.tile(design.upper, count),
        alpha,
        np.tile(prepared.gradient.ravel(), count),
        tolerance=prepared.tolerance,
        planned=m,
        weights=np.tile(design.weights, count),
        group=d,
    )
    exact = d <= EXACT_MAX_PARAMS
    start = 0
    for size in plan_batches(m, prepared.mdp.horizon, prepared.limit):
        part = tested[:, start : start + size]  # [R, size, d]
        start += size
        if exact:
            sequence.update(part.transpose(1, 0, 2).reshape(size, count * d))
        else:
            mean = part.mean(axis=1)
            m2 = ((part - mean[:, None, :]) ** 2).sum(axis=1)
            sequence.update(moments=BatchMoments(size, mean.ravel(), m2.ravel()))
    return sequence


def _hotelling_stats(values: np.ndarray, horizon: int, limit) -> list[BatchStats]:
    count, m, d = values.shape
    stats: list[BatchStats | None] = [None] * count
    start = 0
    for size in plan_batches(m, horizon, limit):
        part = values[:, start : start + size]
        start += size
        mean = part.mean(axis=1)
        centred = part - mean[:, None, :]
        for r in range(count):
            piece = BatchStats(
                size, mean[r], (centred[r] ** 2).sum(axis=0), cross=centred[r].T @ centred[r],
                m3=(centred[r] ** 3).sum(axis=0), m4=np.zeros(d),
            )  # fmt: skip
            stats[r] = merge_stats(stats[r], piece)
    return stats  # type: ignore[return-value]


def repeat_test(
    prepared: Prepared,
    m: int,
    reps: int,
    alpha: float,
    seed: int,
    with_hotelling: bool = True,
) -> Outcome:
    """``reps`` independent tests of m samples each (see the module docstring)."""
    mdp, policy, theta = prepared.mdp, prepared.policy, prepared.theta
    function = ESTIMATORS[prepared.estimator]
    d = policy.n_params
    controlled = prepared.design.controlled.any()
    width = d * (4 if controlled else 1) + mdp.horizon + 1
    chunk = max(1, min(reps, MAX_ENTRIES // max(1, m * width)))
    rng = np.random.default_rng(seed)
    alarms = applied = hot_alarms = done = 0
    while done < reps:
        count = min(chunk, reps - done)
        batch = sample_trajectories(mdp, policy, theta, count * m, rng)
        values = function(batch, mdp, policy, theta).reshape(count, m, d)
        controls = None
        if controlled:
            controls = control_values(batch, mdp, policy, theta).reshape(count, m, d, -1)
        sequence = sequences(prepared, values, controls, alpha)
        alarms += int(sequence.excludes_target().reshape(count, d).any(axis=1).sum())
        if with_hotelling:
            for stats in _hotelling_stats(values, mdp.horizon, prepared.limit):
                outcome = hotelling(stats, prepared.gradient.ravel(), alpha, rarest=prepared.rarest)
                if outcome.applies:
                    applied += 1
                    hot_alarms += outcome.p_value < alpha
        done += count
    return Outcome(reps, alarms, applied, hot_alarms)


# ----------------------------------------------------------------------------- oracle


def _noise(covariance: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """Draws of Z ~ N(0, Σ) (Σ positive semi-definite), [draws, d]."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    root = eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))
    return np.random.default_rng(seed).standard_normal((draws, covariance.shape[0])) @ root.T


def oracle_samples(
    covariance: np.ndarray, tolerance: float, alpha: float, draws: int = 20_000, seed: int = 0
) -> np.ndarray:
    """Draws of the m at which the oracle decides "unbiased" (module docstring)."""
    from scipy.special import ndtri

    d = covariance.shape[0]
    z = float(ndtri(1.0 - alpha / (2 * d)))
    sigma = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    noise = np.abs(_noise(covariance, draws, seed))
    return np.max(((noise + z * sigma) / tolerance) ** 2, axis=1)


def oracle_power(
    bias: np.ndarray, covariance: np.ndarray, m: int, alpha: float, draws: int = 20_000
) -> float:
    """P(∃j: |ḡ_j − ∇J_j| > z σ_j/√m) for ḡ − ∇J ~ N(bias, Σ/m)."""
    from scipy.special import ndtri

    d = covariance.shape[0]
    z = float(ndtri(1.0 - alpha / (2 * d)))
    sigma = np.sqrt(np.maximum(np.diag(covariance), 0.0))
    shifted = np.sqrt(m) * np.ravel(bias) + _noise(covariance, draws, m)
    return float(np.mean(np.any(np.abs(shifted) > z * sigma, axis=1)))


# ----------------------------------------------------------------------------- tables


def false_alarm_table(
    cases: list[Case], reps: int, alpha: float, seed: int = 1, with_hotelling: bool = True
) -> list[tuple[Case, Outcome]]:
    rows = []
    header = (
        f"{'case':34} {'estimator':18} {'m':>6} {'reps':>5} {'rate':>6} {'95% CP interval':>17}"
        f" {'≤1.5α':>5}   {'Hotelling: decides':>18} {'rate':>6}"
    )
    print(header)
    print("-" * len(header))
    for index, case in enumerate(cases):
        prepared = prepare(case, alpha=alpha)
        outcome = repeat_test(prepared, case.m, reps, alpha, seed + index, with_hotelling)
        low, high = outcome.interval()
        ok = "yes" if high <= 1.5 * alpha else "NO"
        if with_hotelling and outcome.hotelling_applied:
            decides = f"{outcome.hotelling_applied / reps:18.1%}"
            rate = f"{outcome.hotelling_alarms / outcome.hotelling_applied:6.3f}"
        else:
            decides, rate = f"{'never':>18}", f"{'—':>6}"
        print(
            f"{case.name:34} {case.estimator:18} {case.m:>6} {reps:>5} {outcome.rate:6.3f} "
            f"[{low:.4f}, {high:.4f}] {ok:>5}   {decides} {rate}",
            flush=True,
        )
        rows.append((case, outcome))
    return rows


ORACLE_PROBLEMS = [
    ("well mixed", verify_problem(3, 2, 4, 101)),
    ("well mixed", verify_problem(2, 2, 3, 0)),
    ("well mixed", verify_problem(4, 3, 5, 0, 0.9)),
    ("well mixed", ordinary(0)),
    ("rare state (p≈1e-3)", rare_state),
    ("peaked θ (min π = 5e-4)", peaked_theta),
]
#: the parts of the test switched on: (control variates, α split by difficulty)
VARIANTS = [(True, True), (True, False), (False, True), (False, False)]


def auto_samples(
    build, runs: int, alpha: float, control_variates: bool, weighted: bool, seed: int = 1000
) -> list[float]:
    """Stopping m of ``--samples auto`` on REINFORCE (inf when it did not confirm)."""
    mdp, policy, theta = build(np.random.default_rng(0))
    gradient = exact_gradient_enumeration(mdp, policy, theta)
    tolerance = RELATIVE_TOLERANCE * float(np.max(np.abs(gradient)))
    out = []
    for r in range(runs):
        run = run_bias_tests(
            [ESTIMATORS["reinforce"]], mdp, policy, theta, gradient, samples="auto",
            seed=seed + r, alpha=alpha, tolerance=tolerance,
            control_variates=control_variates, weighted=weighted,
        )  # fmt: skip
        result = run.results[0]
        out.append(float(result.comparison.n_samples) if result.verdict == "unbiased" else math.inf)
    return out


def oracle_table(runs: int, alpha: float, variants=VARIANTS) -> list[dict]:
    """The median samples of each variant against the oracle's (module docstring)."""
    names = {
        (True, True): "betting+CV+α",
        (True, False): "betting+CV",
        (False, True): "betting+α",
        (False, False): "betting",
    }
    header = f"{'problem':58} {'oracle m (median / 90%)':>24} " + " ".join(
        f"{names[v]:>19}" for v in variants
    )
    print(header)
    print("-" * len(header))
    rows = []
    for kind, build in ORACLE_PROBLEMS:
        mdp, policy, theta = build(np.random.default_rng(0))
        prepared = prepare(Case(kind, build, 2), "reinforce", alpha)
        label = f"{kind}: {(build.__doc__ or '').strip()}"[:58]
        oracle = oracle_samples(prepared.covariance, prepared.tolerance, alpha)
        median = float(np.median(oracle))
        cells, row = [], {"problem": label, "oracle": median}
        for variant in variants:
            stops = auto_samples(build, runs, alpha, *variant)
            ours = float(np.median(stops))
            row[names[variant]] = ours
            cells.append(f"{ours:>10,.0f} ({ours / median:4.2f}×)")
        print(
            f"{label:58} {median:>11,.0f} / {np.quantile(oracle, 0.9):>10,.0f} "
            + " ".join(f"{c:>19}" for c in cells),
            flush=True,
        )
        rows.append(row)
    return rows


POWER_PROBLEM = ("verify 4×3×5, γ = 0.9, seed 0", verify_problem(4, 3, 5, 0, 0.9))
BIASED = [name for name, e in ESTIMATORS.items() if not e.expected_unbiased]
GRID = (30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10_000, 20_000, 30_000)


def power_table(reps: int, alpha: float, grid: tuple[int, ...] = GRID, seed: int = 7) -> dict:
    """Detection rates of every biased estimator on a grid of m, ours and the oracle's."""
    label, build = POWER_PROBLEM
    header = f"{'estimator':26} {'|exact bias|':>12} {'':8} " + " ".join(
        f"{'m=' + format(m, ','):>9}" for m in grid
    )
    print(f"problem: {label}, α = {alpha}, {reps} repetitions per cell\n")
    print(header)
    print("-" * len(header))
    curves = {}
    for name in BIASED:
        prepared = prepare(Case(label, build, max(grid)), name, alpha)
        if ESTIMATORS[name].is_expected_unbiased(prepared.mdp):
            continue
        bias = prepared.mean - prepared.gradient
        ours = [repeat_test(prepared, m, reps, alpha, seed + m, False) for m in grid]
        oracle = [oracle_power(bias, prepared.covariance, m, alpha) for m in grid]
        curves[name] = {"ours": ours, "oracle": oracle, "bias": prepared.exact_bias}
        print(
            f"{name:26} {prepared.exact_bias:12.3g} {'betting':8} "
            + " ".join(f"{o.rate:9.3f}" for o in ours)
        )
        print(f"{'':26} {'':12} {'oracle':8} " + " ".join(f"{p:9.3f}" for p in oracle), flush=True)
    return {"grid": grid, "curves": curves, "alpha": alpha, "reps": reps, "problem": label}


def plot_power(table: dict, path: str) -> None:
    """Detection rate against m, ours (with 95% Clopper–Pearson bars) beside the oracle's."""
    from pgproof.plots import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure

    curves = table["curves"]
    figure = Figure(figsize=(10, 7), dpi=100)
    axes = figure.subplots(2, (len(curves) + 1) // 2, squeeze=False).ravel()
    grid = np.asarray(table["grid"])
    for axis, (name, curve) in zip(axes, curves.items(), strict=False):
        rates = np.array([o.rate for o in curve["ours"]])
        bars = np.array([o.interval() for o in curve["ours"]]).T
        axis.errorbar(
            grid, rates, yerr=[rates - bars[0], bars[1] - rates], marker="o", capsize=3,
            label="pgproof (betting + control variates)",
        )  # fmt: skip
        axis.plot(grid, curve["oracle"], "k--", marker="s", label="oracle (known variances)")
        axis.set_xscale("log")
        axis.set_ylim(-0.03, 1.03)
        axis.set_title(f"{name} (|bias| = {curve['bias']:.3g})", fontsize=10)
        axis.set_xlabel("m (trajectories)")
        axis.set_ylabel("detection rate")
        axis.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    figure.suptitle(
        f"Power of the bias test at α = {table['alpha']}, {table['problem']} "
        f"({table['reps']} repetitions per point)",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the CI subset, fewer runs")
    parser.add_argument("--reps", type=int, default=1000, help="repetitions per case (1000)")
    parser.add_argument("--alpha", type=float, default=0.05, help="level of the false alarms")
    parser.add_argument("--runs", type=int, default=30, help="auto runs per oracle cell (30)")
    parser.add_argument("--power-reps", type=int, default=200, help="repetitions per m (200)")
    parser.add_argument("--no-false-alarms", action="store_true", help="skip that table")
    parser.add_argument("--no-oracle", action="store_true", help="skip the oracle table")
    parser.add_argument("--no-power", action="store_true", help="skip the power table")
    parser.add_argument("--plot", metavar="FILE", help="draw the power curves (PNG)")
    args = parser.parse_args()
    start = time.perf_counter()
    if not args.no_false_alarms:
        cases = FAST if args.quick else CASES
        print(
            f"False-alarm rate of the bias test at α = {args.alpha} (betting confidence "
            f"sequence with control variates; bound: 95% CP upper end ≤ {1.5 * args.alpha:g})"
        )
        print()
        rows = false_alarm_table(cases, args.reps, args.alpha)
        worst = max(outcome.interval()[1] for _, outcome in rows)
        print(f"\nlargest upper end: {worst:.4f} (bound {1.5 * args.alpha:g})\n")
    if not args.no_oracle:
        runs = 5 if args.quick else args.runs
        print(
            f"--samples auto on REINFORCE at α = 0.01, tolerance {RELATIVE_TOLERANCE} × |∇J|_∞:"
            f" median stopping m over {runs} seeds (ratio to the oracle's median)\n"
        )
        oracle_table(runs, 0.01)
        print()
    if not args.no_power:
        grid = GRID[:8] if args.quick else GRID
        table = power_table(min(args.power_reps, 50) if args.quick else args.power_reps, 0.01, grid)
        if args.plot:
            plot_power(table, args.plot)
            print(f"\npower curves written to {args.plot}")
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
