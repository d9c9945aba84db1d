"""Benchmark of the numeric half: exact gradients, sampling + estimation, false alarms.

Prints, in one run:

1. ∇J by vectorised enumeration against the plain Python loop over trajectories a user
   would write (Σ_τ p(τ) R(τ) Σ_t ∇log π), and against dynamic programming;
2. ∇J by dynamic programming for growing S, A, T, against a naive NumPy DP (Q_t by an
   [S, A, S] contraction at every step) and, only when JAX is importable, jax.jit(jax.grad)
   of the same DP value;
3. sampling m trajectories plus the REINFORCE estimate (trajectory-steps per second)
   against a plain Python loop using Generator.choice;
4. the measured false-alarm rate of the Hotelling test for the unbiased estimators.

Usage: python benchmarks/bench_numeric.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable

import numpy as np

from pgproof.numeric.dp import exact_gradient_dp
from pgproof.numeric.enumeration import exact_gradient_enumeration, trajectory_count
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import TabularMDP, random_mdp
from pgproof.numeric.policies import TabularSoftmax
from pgproof.numeric.sampling import sample_trajectories
from pgproof.numeric.stats import compare_with_exact

try:  # optional peer, never required
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = None


def best_time(function: Callable[[], object], repeat: int, budget: float = 2.0) -> float:
    """Smallest wall time of up to ``repeat`` calls (stops early after ``budget`` seconds)."""
    best, start = np.inf, time.perf_counter()
    for _ in range(repeat):
        tick = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - tick)
        if time.perf_counter() - start > budget:
            break
    return best


def problem(n_states: int, n_actions: int, horizon: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount=0.99)
    policy = TabularSoftmax(n_states, n_actions)
    return mdp, policy, policy.random_theta(rng)


def plain_loop_enumeration(mdp: TabularMDP, policy, theta, limit: int) -> tuple[int, float]:
    """The loop a user writes; runs over the first ``limit`` trajectories, returns (n, s)."""
    pi = policy.probs(theta, mdp.horizon)[0]
    score = policy.score(theta, mdp.horizon)[0]
    gradient = np.zeros(policy.param_shape)
    ranges = [range(mdp.n_states)] + [range(mdp.n_actions), range(mdp.n_states)] * mdp.horizon
    start = time.perf_counter()
    n = 0
    for path in itertools.islice(itertools.product(*ranges), limit):
        states, actions = path[0::2], path[1::2]
        p = mdp.initial[states[0]]
        ret, total_score = 0.0, 0.0
        for t, a in enumerate(actions):
            s = states[t]
            p *= pi[s, a] * mdp.transition[s, a, states[t + 1]]
            ret += mdp.discount**t * mdp.reward[s, a]
            total_score = total_score + score[s, a]
        gradient += p * ret * total_score
        n += 1
    return n, time.perf_counter() - start


def naive_dp_gradient(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """Textbook NumPy DP: an [S, A, S] contraction for d_{t+1} and for Q_t at every step."""
    pi = policy.probs(theta, mdp.horizon)[0]
    visitation = [mdp.initial]
    for _ in range(mdp.horizon - 1):
        visitation.append(np.einsum("s,sa,sax->x", visitation[-1], pi, mdp.transition))
    value = np.zeros(mdp.n_states)
    gradient = np.zeros(policy.param_shape)
    for t in range(mdp.horizon - 1, -1, -1):
        q = mdp.reward + mdp.discount * np.einsum("sax,x->sa", mdp.transition, value)
        weights = mdp.discount**t * visitation[t][:, None] * pi * q
        gradient += weights - weights.sum(axis=1, keepdims=True) * pi
        value = (pi * q).sum(axis=1)
    return gradient


def jax_dp_gradient(mdp: TabularMDP):
    """jax.jit(jax.grad) of J(θ) computed by the backward recursion (tabular softmax)."""
    transition, reward = jnp.asarray(mdp.transition), jnp.asarray(mdp.reward)
    initial, gamma, horizon = jnp.asarray(mdp.initial), mdp.discount, mdp.horizon

    def objective(theta):
        pi = jax.nn.softmax(theta, axis=1)
        kernel = jnp.einsum("sa,sax->sx", pi, transition)
        reward_pi = (pi * reward).sum(axis=1)

        def step(value, _):
            return reward_pi + gamma * kernel @ value, None

        value, _ = jax.lax.scan(step, jnp.zeros(reward.shape[0]), None, length=horizon)
        return initial @ value

    return jax.jit(jax.grad(objective))


def plain_loop_sampling(mdp: TabularMDP, policy, theta, m: int, rng) -> float:
    """Sample m trajectories with Generator.choice and accumulate REINFORCE; returns seconds."""
    pi = policy.probs(theta, mdp.horizon)[0]
    score = policy.score(theta, mdp.horizon)[0]
    gradient = np.zeros(policy.param_shape)
    start = time.perf_counter()
    for _ in range(m):
        s = rng.choice(mdp.n_states, p=mdp.initial)
        ret, total_score = 0.0, 0.0
        for t in range(mdp.horizon):
            a = rng.choice(mdp.n_actions, p=pi[s])
            ret += mdp.discount**t * mdp.reward[s, a]
            total_score = total_score + score[s, a]
            s = rng.choice(mdp.n_states, p=mdp.transition[s, a])
        gradient += ret * total_score
    return time.perf_counter() - start


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)))


def bench_enumeration(quick: bool) -> None:
    sizes = (
        [(2, 2, 3), (3, 2, 5), (3, 3, 6)] if quick else [(2, 2, 4), (3, 2, 6), (3, 3, 6), (4, 3, 6)]
    )
    rows = []
    for shape in sizes:
        mdp, policy, theta = problem(*shape)
        count = trajectory_count(mdp)
        args = (mdp, policy, theta)
        vectorised = best_time(lambda args=args: exact_gradient_enumeration(*args), 3)
        n, loop = plain_loop_enumeration(mdp, policy, theta, min(count, 3000 if quick else 20000))
        dp = best_time(lambda args=args: exact_gradient_dp(*args), 20)
        rows.append(
            [
                "x".join(map(str, shape)),
                f"{count:,}",
                f"{vectorised * 1e3:.2f}",
                f"{count / vectorised:.3g}",
                f"{n / loop:.3g}",
                f"{(count / vectorised) / (n / loop):.0f}x",
                f"{dp * 1e3:.3f}",
            ]
        )
    table(
        "Exact ∇J by enumeration (vectorised vs plain Python loop) and by DP",
        ["SxAxT", "trajectories", "enum ms", "enum traj/s", "loop traj/s", "speed-up", "DP ms"],
        rows,
    )


def bench_dp(quick: bool) -> None:
    sizes = [(20, 4, 20), (50, 5, 50), (200, 10, 100)]
    if not quick:
        sizes.append((500, 10, 200))
    header = ["SxAxT", "DP ms", "T·S/s (DP)", "naive numpy ms", "max |DP - naive|"]
    if jax is not None:
        header.append("jax.jit(grad) ms")
    rows = []
    for shape in sizes:
        mdp, policy, theta = problem(*shape)
        args = (mdp, policy, theta)
        dp = best_time(lambda args=args: exact_gradient_dp(*args), 50 if quick else 200)
        naive = best_time(lambda args=args: naive_dp_gradient(*args), 5 if quick else 20)
        gap = np.max(
            np.abs(exact_gradient_dp(mdp, policy, theta) - naive_dp_gradient(mdp, policy, theta))
        )
        row = [
            "x".join(map(str, shape)),
            f"{dp * 1e3:.2f}",
            f"{shape[0] * shape[2] / dp:.3g}",
            f"{naive * 1e3:.2f}",
            f"{gap:.1e}",
        ]
        if jax is not None:
            gradient, argument = jax_dp_gradient(mdp), jnp.asarray(theta)
            gradient(argument).block_until_ready()
            seconds = best_time(lambda g=gradient, x=argument: g(x).block_until_ready(), 20)
            row.append(f"{seconds * 1e3:.2f}")
        rows.append(row)
    table("Exact ∇J by dynamic programming (tabular softmax, γ = 0.99)", header, rows)


def bench_sampling(quick: bool) -> None:
    rows = []
    for shape, m in [((5, 3, 50), 200_000), ((20, 4, 100), 100_000)]:
        if quick:
            m //= 4
        mdp, policy, theta = problem(*shape)
        reinforce = ESTIMATORS["reinforce"]
        rng = np.random.default_rng(0)

        def vectorised(mdp=mdp, policy=policy, theta=theta, m=m, rng=rng, estimator=reinforce):
            batch = sample_trajectories(mdp, policy, theta, m, rng)
            return estimator(batch, mdp, policy, theta).mean(axis=0)

        seconds = best_time(vectorised, 3)
        loop_m = 200 if quick else 1000
        loop = plain_loop_sampling(mdp, policy, theta, loop_m, np.random.default_rng(0))
        steps = m * shape[2] / seconds
        loop_steps = loop_m * shape[2] / loop
        rows.append(
            [
                "x".join(map(str, shape)),
                f"{m:,}",
                f"{seconds * 1e3:.0f}",
                f"{steps / 1e6:.1f} M",
                f"{loop_steps / 1e6:.3f} M",
                f"{steps / loop_steps:.0f}x",
            ]
        )
    table(
        "Sampling m trajectories + REINFORCE estimate (trajectory-steps per second)",
        ["SxAxT", "m", "ms", "vectorised", "plain loop", "speed-up"],
        rows,
    )


def bench_false_alarms(quick: bool) -> None:
    repetitions, alpha, m = (200 if quick else 1000), 0.05, 2000
    mdp, policy, theta = problem(3, 2, 4, seed=2024)
    gradient = exact_gradient_dp(mdp, policy, theta)
    rng = np.random.default_rng(1)
    names = [name for name, estimator in ESTIMATORS.items() if estimator.expected_unbiased]
    alarms = dict.fromkeys(names, 0)
    for _ in range(repetitions):
        batch = sample_trajectories(mdp, policy, theta, m, rng)
        for name in names:
            samples = ESTIMATORS[name](batch, mdp, policy, theta)
            alarms[name] += compare_with_exact(samples, gradient, alpha).verdict == "biased"
    half_width = 1.96 * np.sqrt(alpha * (1 - alpha) / repetitions)
    rows = [
        [name, f"{alarms[name] / repetitions:.3f}", f"{alpha:.3f} ± {half_width:.3f}"]
        for name in names
    ]
    table(
        f"False-alarm rate of the Hotelling test ({repetitions} runs of m = {m}, 3x2x4 MDP)",
        ["estimator", "measured", "nominal (95% band)"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, finishes in seconds")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"numpy {np.__version__}; JAX {'available' if jax is not None else 'not installed'}")
    bench_enumeration(args.quick)
    bench_dp(args.quick)
    bench_sampling(args.quick)
    bench_false_alarms(args.quick)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
