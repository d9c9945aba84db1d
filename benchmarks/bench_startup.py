"""Cold start-up of the ``pgproof`` command, side by side with ``python -c "import sympy"``.

Each command runs as a fresh process, ``repeat`` times (at least 5), the commands
interleaved (one run of each in turn, so a change in the machine's load touches them all
alike); the table gives the median and the best wall time, and each median as a multiple
of the median of ``import sympy`` measured in the same run.  Issue 20's targets are
ratios: ``pgproof check`` of all the bundled derivations (checked from an empty folder, as
``pgproof check`` finds them) and ``pgproof check --numeric`` of SEEDS (the three seeds and
their wrong steps: ``derivations/00[0-2]_*`` and the ``wrong_steps/`` cases of those seeds)
each at most 3× ``import sympy``.  The older absolute targets (seconds) are kept.  The
LaTeX grammar's cache and Python's bytecode caches are warmed by one run of each command
first, as they are after a user's first call (an installed package has its bytecode).

Usage: python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, argv, target in seconds or None, target as a multiple of ``import sympy`` or None)
Command = tuple[str, list[str], float | None, float | None]


def commands(pgproof: list[str], seeds: list[str]) -> list[Command]:
    return [
        ('python -c "import sympy"', [sys.executable, "-c", "import sympy"], None, None),
        ("pgproof --version", [*pgproof, "--version"], 0.5, None),
        ("pgproof check SEEDS", [*pgproof, "check", *seeds], 1.0, None),
        ("pgproof check --numeric SEEDS", [*pgproof, "check", "--numeric", *seeds], 2.0, 3.0),
        ("pgproof check (all bundled)", [*pgproof, "check"], None, 3.0),
        ("pgproof check --numeric (all)", [*pgproof, "check", "--numeric"], None, None),
    ]


#: the wrong steps of the seeds, as bundled when the start-up targets were set
SEED_CASES = (
    "001_literal_initial_state",
    "001_literal_missing_gradient",
    "dropped_policy_term",
    "dropped_policy_term_silently",
    "integral_without_density",
    "log_derivative_of_reward",
    "missing_initial_factor",
    "sign_error",
    "wrong_factor_log_derivative",
    "wrong_index_range",
)


def seed_files(root: Path) -> list[str]:
    """SEEDS: the three seeds and their wrong-step cases."""
    seeds = sorted(str(p) for p in root.glob("00[0-2]_*.pgproof.toml"))
    return seeds + [str(root / "wrong_steps" / f"{name}.pgproof.toml") for name in SEED_CASES]


def wall_time(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    """Seconds of one fresh process running ``argv``."""
    tick = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - tick


def interleaved(
    table: list[Command], repeat: int, cwd: str, env: dict[str, str]
) -> list[list[float]]:
    """``repeat`` wall times of each command, the commands run in turn in each round."""
    times: list[list[float]] = [[] for _ in table]
    for _ in range(repeat):
        for k, (_label, argv, _seconds, _ratio) in enumerate(table):
            times[k].append(wall_time(argv, cwd, env))
    return times


def _goal(seconds: float | None, ratio: float | None) -> str:
    parts = ([f"≤ {seconds:g} s"] if seconds is not None else []) + (
        [f"≤ {ratio:g}×"] if ratio is not None else []
    )
    return ", ".join(parts)


def _verdict(median: float, ratio: float, seconds: float | None, goal: float | None) -> str:
    checks = ([median <= seconds] if seconds is not None else []) + (
        [ratio <= goal] if goal is not None else []
    )
    if not checks:
        return ""
    return "met" if all(checks) else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (≥ 5)")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat must be at least 5 (the medians are of 5 or more runs)")
    found = shutil.which("pgproof")
    pgproof = [found] if found else [sys.executable, "-m", "pgproof"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"cold processes, {args.repeat} interleaved runs each (median / best wall time)")
    root = Path(__file__).resolve().parents[1] / "derivations"
    seeds = seed_files(root)
    print(f"SEEDS: the {len(seeds)} files of 000–002 and their wrong steps\n")
    header = (
        f"{'command':30} {'median s':>9} {'best s':>8} {'× import sympy':>15} "
        f"{'target':>14} {'':>6}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as empty:
        table = commands(pgproof, seeds)
        interleaved(table, 1, empty, env)  # warm the grammar and bytecode caches once
        times = interleaved(table, args.repeat, empty, env)
        base = statistics.median(times[0])
        for (label, _argv, seconds, ratio), runs in zip(table, times, strict=True):
            median = statistics.median(runs)
            goal = _goal(seconds, ratio)
            verdict = _verdict(median, median / base, seconds, ratio)
            print(
                f"{label:30} {median:9.3f} {min(runs):8.3f} {median / base:15.2f} "
                f"{goal:>14} {verdict:>6}"
            )


if __name__ == "__main__":
    main()
