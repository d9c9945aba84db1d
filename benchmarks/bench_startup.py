"""Cold start-up of the ``pgproof`` command, side by side with ``python -c "import sympy"``.

Each command runs as a fresh process (``repeat`` times; the table gives the median and the
best wall time).  The targets are for the three seeds and their wrong steps (the files the
start-up issue measured: ``derivations/00[0-2]_*`` and the ``wrong_steps/`` cases of those
seeds); the bundle has since grown (003–012, the results courses derive next), so all the
bundled derivations are timed too, checked from an empty folder as ``pgproof check`` finds
them, without a target.  The LaTeX grammar's cache is warmed by one run first, as it is
after a user's first call.

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


#: (label, argv, target in seconds or None)
def commands(pgproof: list[str], seeds: list[str]) -> list[tuple[str, list[str], float | None]]:
    return [
        ('python -c "import sympy"', [sys.executable, "-c", "import sympy"], None),
        ("pgproof --version", [*pgproof, "--version"], 0.5),
        ("pgproof check SEEDS", [*pgproof, "check", *seeds], 1.0),
        ("pgproof check --numeric SEEDS", [*pgproof, "check", "--numeric", *seeds], 2.0),
        ("pgproof check (all bundled)", [*pgproof, "check"], None),
        ("pgproof check --numeric (all)", [*pgproof, "check", "--numeric"], None),
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


def wall_times(argv: list[str], repeat: int, cwd: str) -> list[float]:
    out = []
    for _ in range(repeat):
        tick = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - tick)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    found = shutil.which("pgproof")
    pgproof = [found] if found else [sys.executable, "-m", "pgproof"]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"cold processes, {args.repeat} runs each (median / best wall time)")
    root = Path(__file__).resolve().parents[1] / "derivations"
    seeds = seed_files(root)
    print(f"SEEDS: the {len(seeds)} files of 000–002 and their wrong steps\n")
    header = f"{'command':30} {'median s':>9} {'best s':>8} {'× import sympy':>15} {'target':>8}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as empty:
        table = commands(pgproof, seeds)
        wall_times(table[2][1], 1, empty)  # warm the grammar cache once
        base = None
        for label, argv, target in table:
            times = wall_times(argv, args.repeat, empty)
            median = statistics.median(times)
            base = base or median
            goal = "" if target is None else f"≤ {target:g}"
            verdict = "" if target is None else ("  met" if median <= target else "  MISSED")
            print(
                f"{label:30} {median:9.3f} {min(times):8.3f} {median / base:15.2f} "
                f"{goal:>8}{verdict}"
            )


if __name__ == "__main__":
    main()
