"""Benchmark of the numeric half, each fast route side by side with the simple way to write it.

Prints, in one run:

1. ∇J by dynamic programming (``exact_gradient_dp``; with numba installed, and again as
   it runs without numba: the BLAS loop) against a textbook NumPy DP (Q_t by
   an [S, A, S] contraction at every step) and, only when JAX is importable, against
   ``jax.jit(jax.grad(J))`` of the same DP value (J by the backward recursion);
   plus the batched API (``exact_gradient_dp_batch``) per θ;
2. ∇J by enumeration over the trajectory tree against the plain Python loop over
   trajectories a user would write (Σ_τ p(τ) R(τ) Σ_t ∇log π), and against DP;
3. alias tables for a time-dependent θ: vectorised Vose against the pure-Python one, and
   the sampler's own construction;
4. sampling m trajectories plus the REINFORCE estimate (trajectory-steps per second)
   against a plain Python loop using Generator.choice;
5. the measured false-alarm rate of the sampled test for the unbiased estimators;
6. streaming bias tests at S=100, A=10, T=100 (trajectory-steps per second, peak memory);
   ``--long`` adds 10⁸ REINFORCE trajectories (10¹⁰ steps, several minutes).

Settings (printed with the machine): float64 everywhere (JAX with jax_enable_x64).  The
process is pinned to one CPU with os.sched_setaffinity before JAX is imported, and
XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" is set
before importing it: the flags alone still let XLA use about 1.6 of 2 cores (measured),
the affinity does not, and the printed CPU/wall ratio of the JAX runs shows it.  pgproof
pins BLAS to one thread itself (pgproof.numeric.threads); nothing is set for it here.
Times are the best of several runs, alternating between the contenders.

Usage: python benchmarks/bench_numeric.py [--quick] [--long]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from collections.abc import Callable

import numpy as np

from pgproof.numeric import fused
from pgproof.numeric.bias_test import test_estimator_bias
from pgproof.numeric.bounds import declared_bounds
from pgproof.numeric.dp import exact_gradient_dp, exact_gradient_dp_batch
from pgproof.numeric.enumeration import exact_gradient_enumeration, trajectory_count
from pgproof.numeric.estimators import ESTIMATORS
from pgproof.numeric.mdp import TabularMDP, random_mdp
from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax
from pgproof.numeric.sampling import JointSampler, alias_tables, sample_trajectories
from pgproof.numeric.stats import compare_with_exact

REINFORCE = ESTIMATORS["reinforce"]
XLA_SINGLE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
jax = jnp = None  # set by load_jax()


# ----------------------------------------------------------------------------- set-up


def pin_process() -> str:
    """Pin this process to one CPU (before JAX sizes its thread pool); say which."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no os.sched_setaffinity)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu} (os.sched_setaffinity)"


def load_jax() -> bool:
    """Import JAX (optional peer) with XLA_FLAGS set first and float64 enabled."""
    global jax, jnp
    flags = os.environ.get("XLA_FLAGS", "")
    os.environ["XLA_FLAGS"] = f"{flags} {XLA_SINGLE_THREAD}".strip()
    try:
        import jax as jax_module
        import jax.numpy as jnp_module
    except ImportError:
        return False
    jax, jnp = jax_module, jnp_module
    jax.config.update("jax_enable_x64", True)
    return True


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def blas_description() -> str:
    from threadpoolctl import threadpool_info

    libraries = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(
        f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})" for i in libraries
    )


def print_settings(pinning: str, has_jax: bool) -> None:
    print(f"machine: {cpu_model()}, nproc = {os.cpu_count()}; process {pinning}")
    print(f"numpy {np.__version__}, BLAS {blas_description()}; dtype float64 throughout")
    print("threads: pgproof pins BLAS to 1 thread (threadpoolctl, inside pgproof)")
    if fused.available():
        import numba

        print(
            f"DP kernel: one fused sweep per step compiled by numba {numba.__version__} "
            f"(S ≥ {fused.MIN_STATES}, single-threaded); 'BLAS ms' is the DP without it"
        )
    else:
        print("DP kernel: BLAS matrix-vector products (numba not installed: pgproof[fast])")
    if has_jax:
        print(f"JAX {jax.__version__}: jax_enable_x64, XLA_FLAGS='{XLA_SINGLE_THREAD}'")
    else:
        print("JAX: jax not installed (pip install -e '.[bench]' to compare)")


# ----------------------------------------------------------------------------- timing


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


def race(contenders: dict[str, Callable[[], object]], budget: float) -> dict[str, float]:
    """Best time of each function, measured in alternating rounds within about ``budget`` s."""
    for function in contenders.values():
        function()  # warm up (and compile)
    best = dict.fromkeys(contenders, np.inf)
    start = time.perf_counter()
    while time.perf_counter() - start < budget:
        for name, function in contenders.items():
            best[name] = min(best[name], best_time(function, 20, budget / 20))
    return best


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)))


def shape_name(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def problem(n_states: int, n_actions: int, horizon: int, seed: int = 0, time_dependent=False):
    rng = np.random.default_rng(seed)
    mdp = random_mdp(n_states, n_actions, horizon, rng, discount=0.99)
    if time_dependent:
        policy = TimeDependentSoftmax(n_states, n_actions, horizon)
    else:
        policy = TabularSoftmax(n_states, n_actions)
    return mdp, policy, policy.random_theta(rng)


# ------------------------------------------------------------ the simple ways, for reference


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


def python_alias_tables(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's algorithm row by row in plain Python (pgproof's previous implementation)."""
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
    return cutoff, alias


def plain_loop_sampling(mdp: TabularMDP, policy, theta, m: int, rng) -> float:
    """Sample m trajectories with Generator.choice and accumulate REINFORCE; returns seconds.

    The score of a (time-dependent) tabular softmax, e_a - π_t(·|s) in row (t, s), is added
    per step to a per-trajectory table, as one writes it by hand.
    """
    pi = policy.probs(theta, mdp.horizon)
    per_step = not policy.time_invariant
    gradient = np.zeros(policy.param_shape)
    start = time.perf_counter()
    for _ in range(m):
        s = rng.choice(mdp.n_states, p=mdp.initial)
        ret, score = 0.0, np.zeros(policy.param_shape)
        for t in range(mdp.horizon):
            a = rng.choice(mdp.n_actions, p=pi[t, s])
            ret += mdp.discount**t * mdp.reward[s, a]
            row = score[t, s] if per_step else score[s]
            row -= pi[t, s]
            row[a] += 1.0
            s = rng.choice(mdp.n_states, p=mdp.transition[s, a])
        gradient += ret * score
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- sections


def jax_row(mdp: TabularMDP, theta, dp_seconds: float, budget: float) -> list[str]:
    """[jax ms, DP/jax, CPU/wall of the JAX runs, max |DP - jax|] for the DP table."""
    gradient, argument = jax_dp_gradient(mdp), jnp.asarray(theta)
    seconds = race({"jax": lambda: gradient(argument).block_until_ready()}, budget)["jax"]
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(max(1, int(0.2 / seconds))):
        gradient(argument).block_until_ready()
    load = (time.process_time() - cpu) / (time.perf_counter() - wall)
    policy = TabularSoftmax(mdp.n_states, mdp.n_actions)
    gap = np.max(np.abs(np.asarray(gradient(argument)) - exact_gradient_dp(mdp, policy, theta)))
    return [f"{seconds * 1e3:.3f}", f"{dp_seconds / seconds:.2f}", f"{load:.2f}", f"{gap:.0e}"]


def without_fused_sweep(mdp: TabularMDP, policy, theta) -> np.ndarray:
    """exact_gradient_dp as it runs when numba is not installed (the BLAS loop)."""
    available, fused._available = fused.available(), False
    try:
        return exact_gradient_dp(mdp, policy, theta)
    finally:
        fused._available = available


def bench_dp(quick: bool, has_jax: bool) -> None:
    sizes = [(20, 4, 50), (200, 10, 100)]
    if not quick:
        sizes = [(20, 4, 50), (50, 5, 50), (200, 10, 100), (500, 10, 200), (1000, 10, 100)]
    header = ["SxAxT", "DP ms", "BLAS ms", "naive ms", "naive/DP", "max |DP-naive|"]
    if has_jax:
        header += ["jax ms", "DP/jax", "jax cpu/wall", "max |DP-jax|"]
    rows = []
    for shape in sizes:
        mdp, policy, theta = problem(*shape)
        budget = (0.5 if quick else 1.5) * (1 + shape[0] // 500)
        times = race(
            {
                "dp": lambda a=(mdp, policy, theta): exact_gradient_dp(*a),
                "blas": lambda a=(mdp, policy, theta): without_fused_sweep(*a),
                "naive": lambda a=(mdp, policy, theta): naive_dp_gradient(*a),
            },
            budget,
        )
        gap = np.max(
            np.abs(exact_gradient_dp(mdp, policy, theta) - naive_dp_gradient(mdp, policy, theta))
        )
        row = [
            shape_name(shape),
            f"{times['dp'] * 1e3:.3f}",
            f"{times['blas'] * 1e3:.3f}",
            f"{times['naive'] * 1e3:.2f}",
            f"{times['naive'] / times['dp']:.1f}x",
            f"{gap:.0e}",
        ]
        if has_jax:
            row += jax_row(mdp, theta, times["dp"], budget)
        rows.append(row)
    table(
        "1. Exact ∇J by DP, float64, tabular softmax, γ = 0.99 (DP/jax ≤ 1 means pgproof faster)",
        header,
        rows,
    )


def bench_dp_batch(quick: bool) -> None:
    batch = 64
    rows = []
    for shape in [(20, 4, 50)] if quick else [(20, 4, 50), (50, 5, 50), (100, 5, 100)]:
        mdp, policy, theta = problem(*shape)
        thetas = theta + 0.1 * np.random.default_rng(1).standard_normal((batch, *theta.shape))
        args = (mdp, policy, thetas)
        times = race(
            {
                "single": lambda a=args: [exact_gradient_dp(a[0], a[1], x) for x in a[2]],
                "batch": lambda a=args: exact_gradient_dp_batch(*a),
            },
            0.5 if quick else 1.0,
        )
        gap = np.max(
            np.abs(
                exact_gradient_dp_batch(mdp, policy, thetas)
                - np.stack([exact_gradient_dp(mdp, policy, x) for x in thetas])
            )
        )
        rows.append(
            [
                shape_name(shape),
                f"{times['single'] / batch * 1e6:.1f}",
                f"{times['batch'] / batch * 1e6:.1f}",
                f"{times['single'] / times['batch']:.1f}x",
                f"{gap:.0e}",
            ]
        )
    table(
        f"1b. Many θ at once: exact_gradient_dp_batch on {batch} θ vs a loop of single calls",
        ["SxAxT", "single µs/θ", "batch µs/θ", "speed-up", "max |batch-single|"],
        rows,
    )


def bench_enumeration(quick: bool) -> None:
    sizes = [(2, 2, 8), (3, 2, 7)] if quick else [(2, 2, 8), (3, 2, 7), (3, 3, 6), (4, 3, 6)]
    rows = []
    for shape in sizes:
        mdp, policy, theta = problem(*shape)
        count = trajectory_count(mdp)
        args = (mdp, policy, theta)
        tree = best_time(lambda args=args: exact_gradient_enumeration(*args), 5)
        n, loop = plain_loop_enumeration(mdp, policy, theta, min(count, 5000 if quick else 20000))
        dp = best_time(lambda args=args: exact_gradient_dp(*args), 50)
        gap = np.max(
            np.abs(exact_gradient_enumeration(*args) - exact_gradient_dp(mdp, policy, theta))
        )
        rows.append(
            [
                shape_name(shape),
                f"{count:,}",
                f"{tree * 1e3:.2f}",
                f"{count / tree:.3g}",
                f"{n / loop:.3g}",
                f"{(count / tree) / (n / loop):.0f}x",
                f"{dp * 1e3:.3f}",
                f"{gap:.0e}",
            ]
        )
    table(
        "2. Exact ∇J by enumeration: trajectory tree vs plain Python loop (traj/s), and DP",
        [
            "SxAxT",
            "trajectories",
            "tree ms",
            "tree traj/s",
            "loop traj/s",
            "speed-up",
            "DP ms",
            "max |enum-DP|",
        ],
        rows,
    )


def bench_alias(quick: bool) -> None:
    sizes = [(20, 4, 100)] if quick else [(20, 4, 100), (100, 10, 100)]
    rows = []
    for shape in sizes:
        mdp, policy, theta = problem(*shape, time_dependent=True)
        n_states, n_actions, horizon = shape
        joint = policy.probs(theta, horizon)[:, :, :, None] * mdp.transition
        joint = joint.reshape(horizon * n_states, n_actions * n_states)
        vectorised = best_time(lambda joint=joint: alias_tables(joint), 3)
        python = best_time(lambda joint=joint: python_alias_tables(joint), 1)
        sampler = best_time(lambda a=(mdp, policy, theta): JointSampler(*a), 5)
        rows.append(
            [
                shape_name(shape),
                f"{joint.shape[0]:,} x {joint.shape[1]:,}",
                f"{python:.3f}",
                f"{vectorised:.3f}",
                f"{python / vectorised:.1f}x",
                f"{sampler * 1e3:.1f}",
            ]
        )
    table(
        "3. Alias tables of q_t(a, s'|s) for a time-dependent θ: vectorised Vose vs pure Python",
        ["SxAxT", "rows x K", "python s", "vectorised s", "speed-up", "JointSampler ms"],
        rows,
    )


def bench_sampling(quick: bool) -> None:
    cases = [((5, 3, 50), 200_000, False), ((20, 4, 100), 100_000, False)]
    cases.append(((20, 4, 50), 10_000, True))
    rows = []
    for shape, m, time_dependent in cases:
        if quick:
            m //= 4
        mdp, policy, theta = problem(*shape, time_dependent=time_dependent)
        rng = np.random.default_rng(0)
        sample = best_time(lambda a=(mdp, policy, theta, m, rng): sample_trajectories(*a), 3)
        batch = sample_trajectories(mdp, policy, theta, m, rng)
        estimate = best_time(lambda a=(batch, mdp, policy, theta): REINFORCE(*a).mean(axis=0), 3)
        seconds = sample + estimate
        loop_m = 200 if quick else 1000
        loop = plain_loop_sampling(mdp, policy, theta, loop_m, np.random.default_rng(0))
        steps = m * shape[2] / seconds
        loop_steps = loop_m * shape[2] / loop
        rows.append(
            [
                shape_name(shape) + (" (θ_t)" if time_dependent else ""),
                f"{m:,}",
                f"{sample * 1e3:.0f}",
                f"{estimate * 1e3:.0f}",
                f"{steps / 1e6:.1f} M",
                f"{loop_steps / 1e6:.3f} M",
                f"{steps / loop_steps:.0f}x",
            ]
        )
    table(
        "4. Sampling m trajectories + REINFORCE estimate (trajectory-steps per second)",
        ["SxAxT", "m", "sample ms", "estimate ms", "vectorised", "plain loop", "speed-up"],
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
            bounds = declared_bounds(ESTIMATORS[name], mdp, policy, theta)
            result = compare_with_exact(samples, gradient, alpha, bounds=bounds)
            alarms[name] += result.verdict == "biased"
    rows = [[name, f"{alarms[name] / repetitions:.3f}", f"≤ {alpha:.3f}"] for name in names]
    table(
        f"5. False-alarm rate of the sampled test ({repetitions} runs of m = {m}, 3x2x4 MDP)",
        ["estimator", "measured", "≤ α"],
        rows,
    )


STREAM_SHAPE = (100, 10, 100)


def streamed_run(name: str, count: int) -> tuple[float, str, float]:
    """One streaming bias test in this (fresh) process: (seconds, verdict, peak RSS in MB).

    The peak is VmHWM of /proc/self/status, which starts afresh at exec (getrusage's
    ru_maxrss would carry over the parent's peak from the fork).
    """
    mdp, policy, theta = problem(*STREAM_SHAPE, seed=7)
    gradient = exact_gradient_dp(mdp, policy, theta)
    start = time.perf_counter()
    result = test_estimator_bias(
        ESTIMATORS[name], mdp, policy, theta, gradient, m=count, seed=3, exact=False
    )
    seconds = time.perf_counter() - start
    return seconds, result.verdict, peak_resident_mb()


def peak_resident_mb() -> float:
    """This process's peak resident memory in MB (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def bench_streaming(quick: bool, long: bool) -> None:
    """Streaming bias tests (estimate reduced per batch) at S=100, A=10, T=100, one core.

    Each run is a fresh process (inheriting this one's CPU pinning), so that its peak
    resident memory is its own; the time is measured inside it.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    m = 20_000 if quick else 2_000_000  # steady batches from about 10⁶ on
    names = [name for name, estimator in ESTIMATORS.items() if estimator.expected_unbiased]
    runs = [(name, m) for name in names] + ([("reinforce", 10**8)] if long else [])
    rows = []
    context = multiprocessing.get_context("spawn")
    for name, count in runs:
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            seconds, verdict, memory = pool.submit(streamed_run, name, count).result()
        steps = count * STREAM_SHAPE[2] / seconds
        rows.append(
            [name, f"{count:,}", f"{seconds:.1f}", f"{steps / 1e6:.1f} M", verdict, f"{memory:.0f}"]
        )
    table(
        f"6. Streaming bias test, {shape_name(STREAM_SHAPE)} "
        "(estimate reduced per batch; one core)",
        ["estimator", "m", "s", "steps/s", "verdict", "peak RSS MB"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, finishes in seconds")
    parser.add_argument(
        "--long", action="store_true", help="also stream 10^8 REINFORCE trajectories (minutes)"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    pinning = pin_process()
    has_jax = load_jax()
    print_settings(pinning, has_jax)
    bench_dp(args.quick, has_jax)
    bench_dp_batch(args.quick)
    bench_enumeration(args.quick)
    bench_alias(args.quick)
    bench_sampling(args.quick)
    bench_false_alarms(args.quick)
    bench_streaming(args.quick, args.long)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
