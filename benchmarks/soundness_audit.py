"""Soundness audit of the symbolic checker against the numeric evaluator.

Every accepted step of the seed derivations is mutated at every position by every operator
of ``pgproof.bridge.mutations`` (change an index range, drop or duplicate a factor, flip a
sign, swap s_t and s_{t+1}, replace π_θ by the dynamics, remove p(s_1), move ∇ across a
product).  Each mutant is re-checked symbolically (that step alone, against its source)
and numerically on random tabular MDPs.  The table counts, per derivation and per
operator, how many mutants were tried, how many are numerically wrong, how many of those
the checker refused (the goal: all of them), and the accepted-but-wrong ones (the goal: 0).

Usage: python benchmarks/soundness_audit.py [--quick] [--trials N] [--seed S] [PATH ...]
Exit status 1 when an accepted mutant is numerically wrong.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from pgproof.bridge.audit import AuditResult, AuditSummary, all_mutants, audit_mutant
from pgproof.commands.common import load_all
from pgproof.symbolic.checker import check_derivation

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "derivations").glob("0*.pgproof.toml"))
QUICK_MUTANTS = 150

HEADER = ("", "tried", "num. wrong", "wrong & refused", "ACCEPTED & WRONG", "equal", "not eval.")


def row(label: str, s: AuditSummary) -> tuple[str, ...]:
    equal = f"{s.equal_accepted + s.equal_refused} ({s.equal_accepted} acc.)"
    return (
        label,
        str(s.tried),
        str(s.wrong),
        str(s.wrong_refused),
        str(s.accepted_but_wrong),
        equal,
        str(s.not_evaluated),
    )


def print_table(title: str, rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[k]) for r in [HEADER, *rows]) for k in range(len(HEADER))]
    print(title)
    for r in [HEADER, *rows]:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        print("  " + "  ".join(cells))
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=SEEDS, help="derivation files or folders")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MUTANTS} random mutants")
    parser.add_argument("--trials", type=int, default=3, help="random MDPs per mutant (3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (0)")
    args = parser.parse_args()

    derivations, errors = load_all(args.paths)
    for error in errors:
        print(f"error: {error}")
    reports = [check_derivation(d) for d in derivations]
    chosen = list(all_mutants(reports))
    total = len(chosen)
    if args.quick and total > QUICK_MUTANTS:
        rng = np.random.default_rng(args.seed)
        keep = sorted(rng.choice(total, QUICK_MUTANTS, replace=False))
        chosen = [chosen[k] for k in keep]

    start = time.perf_counter()
    results: list[AuditResult] = []
    for report, index, mutant in chosen:
        results.append(audit_mutant(report, index, mutant, args.trials, args.seed))
    elapsed = time.perf_counter() - start

    by_file: dict[str, list[AuditResult]] = defaultdict(list)
    by_kind: dict[str, list[AuditResult]] = defaultdict(list)
    for r in results:
        by_file[Path(r.file).name.removesuffix(".pgproof.toml")].append(r)
        by_kind[r.kind].append(r)
    scope = f"{len(results)} of {total} mutants" if len(results) < total else f"{total} mutants"
    print(
        f"soundness audit: {scope} of the accepted steps, {args.trials} random MDPs each, "
        f"seed {args.seed}, {elapsed:.1f} s\n"
    )
    print_table("by derivation", [row(k, AuditSummary.of(v)) for k, v in by_file.items()])
    print_table("by mutation", [row(k, AuditSummary.of(v)) for k, v in by_kind.items()])
    summary = AuditSummary.of(results)
    print_table("total", [row("all", summary)])
    bad = [r for r in results if r.accepted_but_wrong]
    for r in bad:
        print(f"ACCEPTED BUT NUMERICALLY WRONG: {r.file} step {r.step} [{r.kind}] {r.mutant}")
    refused = f"{summary.wrong_refused} of {summary.wrong}"
    print(f"numerically wrong mutants refused by the checker: {refused}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
