"""Cold start-up of the ``pgproof`` command, side by side with ``python -c "import sympy"``.

Each command runs as a fresh process (``repeat`` times; the table gives the median and the
best wall time).  The bundled derivations are checked from an empty folder, so ``pgproof
check`` uses them.  The LaTeX grammar's cache is warmed by one run first, as it is after a
user's first call.

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


#: (label, argv, target in seconds or None)
def commands(pgproof: list[str]) -> list[tuple[str, list[str], float | None]]:
    return [
        ('python -c "import sympy"', [sys.executable, "-c", "import sympy"], None),
        ("pgproof --version", [*pgproof, "--version"], 0.5),
        ("pgproof check", [*pgproof, "check"], 1.0),
        ("pgproof check --numeric", [*pgproof, "check", "--numeric"], 2.0),
    ]


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
    print(f"cold processes, {args.repeat} runs each (median / best wall time)\n")
    header = f"{'command':28} {'median s':>9} {'best s':>8} {'× import sympy':>15} {'target':>8}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as empty:
        table = commands(pgproof)
        wall_times(table[2][1], 1, empty)  # warm the grammar cache once
        base = None
        for label, argv, target in table:
            times = wall_times(argv, args.repeat, empty)
            median = statistics.median(times)
            base = base or median
            goal = "" if target is None else f"≤ {target:g}"
            verdict = "" if target is None else ("  met" if median <= target else "  MISSED")
            print(
                f"{label:28} {median:9.3f} {min(times):8.3f} {median / base:15.2f} "
                f"{goal:>8}{verdict}"
            )


if __name__ == "__main__":
    main()
