"""Soundness audit of the symbolic checker against the numeric evaluator.

Every accepted step of the seed derivations is mutated by every operator of
``pgproof.audit.mutations``, in six families: its claim (a flipped sign, a dropped or
duplicated factor, ∇ moved, s_t and s_{t+1} swapped, π_θ replaced by the dynamics, p(s_1)
removed, an index range changed, reversed or shifted), its relation (= ↔ ≈), its rules
(swapped, dropped, or the step re-derived by another rule, with estimate chains after it),
its links (``from``/``using`` pointed at other steps, or at a step that was itself mutated
and refused), the terms it claims free of θ (θ-dependent ones swapped in), and the notation
it is read in (first index, trajectory space, constants named like θ, τ, t, text without θ,
…).  Each mutant is checked symbolically and its claim evaluated on random tabular MDPs.
The tables count, per derivation, per mutation and in total, the mutants tried, refused as
unusable input, refused, accepted, numerically wrong, wrong and refused, and ACCEPTED &
WRONG (the goal: 0).

Usage: python benchmarks/soundness_audit.py [--quick | --limit N] [--trials N] [--seed S]
           [--family F ...] [--reproducers DIR] [--show N] [PATH ...]
Exit status 1 when an accepted mutant is numerically wrong, 2 without the ``audit`` extra
(Hypothesis: ``pip install 'pgproof[audit]'``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

try:
    import pgproof.audit  # noqa: F401  (the audit extra, Hypothesis: checked before its use)
except ImportError as missing:  # pgproof.audit.MissingExtra: one line naming the extra
    print(f"soundness_audit: error: {missing}", file=sys.stderr)
    raise SystemExit(2) from None

from pgproof.audit.audit import (  # noqa: E402
    AuditResult,
    AuditSummary,
    all_mutants,
    audit_mutant,
    sample,
)
from pgproof.audit.mutations import FAMILIES  # noqa: E402
from pgproof.commands.common import load_all  # noqa: E402
from pgproof.symbolic.checker import check_derivation  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "derivations").glob("0*.pgproof.toml"))
QUICK_MUTANTS = 300

HEADER = (
    "",
    "tried",
    "unusable",
    "refused (cond.)",
    "accepted",
    "num. wrong",
    "wrong & refused",
    "ACCEPTED & WRONG",
    "equal (acc.)",
    "not eval.",
)


def row(label: str, s: AuditSummary) -> tuple[str, ...]:
    equal = f"{s.equal_accepted + s.equal_refused} ({s.equal_accepted})"
    return (
        label,
        str(s.tried),
        str(s.unusable),
        f"{s.refused} ({s.conditional})",
        str(s.accepted),
        str(s.wrong),
        str(s.wrong_refused),
        str(s.accepted_but_wrong),
        equal,
        str(s.not_evaluated),
    )


def table(title: str, rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[k]) for r in [HEADER, *rows]) for k in range(len(HEADER))]
    lines = [title]
    for r in [HEADER, *rows]:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells))
    return "\n".join(lines) + "\n"


def tables(results: list[AuditResult]) -> str:
    """The three tables: by derivation, by mutation (family/kind), total."""
    by_file: dict[str, list[AuditResult]] = defaultdict(list)
    by_kind: dict[str, list[AuditResult]] = defaultdict(list)
    for r in results:
        by_file[Path(r.file).name.removesuffix(".pgproof.toml")].append(r)
        by_kind[f"{r.family}: {r.kind}"].append(r)
    kinds = sorted(by_kind, key=lambda k: (list(FAMILIES).index(k.split(":")[0]), k))
    return "\n".join(
        [
            table("by derivation", [row(k, AuditSummary.of(v)) for k, v in by_file.items()]),
            table("by mutation", [row(k, AuditSummary.of(by_kind[k])) for k in kinds]),
            table("total", [row("all", AuditSummary.of(results))]),
        ]
    )


def findings(results: list[AuditResult], show: int) -> str:
    """The accepted-but-wrong mutants, crashes, silent readings, strict-judge disagreements."""
    lines: list[str] = []
    bad = [r for r in results if r.accepted_but_wrong]
    via_refused = [r for r in bad if r.uses_refused]
    if not bad:
        lines.append("no accepted mutant is numerically wrong")
    if bad:
        lines.append(
            f"ACCEPTED BUT NUMERICALLY WRONG: {len(bad)} ({len(via_refused)} of them use a "
            "step the checker refused)"
        )
        groups: dict[tuple[str, str, bool], list[AuditResult]] = defaultdict(list)
        for r in bad:
            groups[(r.family, r.kind, r.uses_refused)].append(r)
        for (family, kind, refused), group in groups.items():
            how = ", using a refused step" if refused else ""
            lines.append(f"  {family}: {kind}{how}: {len(group)}")
            for r in group[:show]:
                name = Path(r.file).name.removesuffix(".pgproof.toml")
                lines.append(f"    {name} step {r.step}: {r.mutant}")
                lines.append(f"      {r.reason}")
    crashes = [r for r in results if r.unusable.startswith("CRASH")]
    if crashes:
        lines.append(f"checker crashes (counted as unusable): {len(crashes)}")
        for r in crashes[:show]:
            lines.append(f"  {r.file} step {r.step} [{r.kind}] {r.mutant}: {r.unusable}")
    silent = sorted({(r.file, r.kind) for r in results if r.silent})
    if silent:
        lines.append("text mutants read exactly as the original text (silently):")
        lines += [f"  {Path(f).name}: {kind}" for f, kind in silent]
    undefined = [
        r
        for r in results
        if r.accepted and r.numeric == "not evaluated" and r.project.startswith("confirmed")
    ]
    if undefined:
        lines.append(
            f"accepted, confirmed by check --numeric, but not evaluated by the audit's judge: "
            f"{len(undefined)}"
        )
        for r in undefined[:show]:
            lines.append(f"  {r.file} step {r.step} [{r.kind}] {r.mutant}: {r.reason}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=SEEDS, help="derivation files or folders")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MUTANTS} sampled mutants")
    parser.add_argument("--limit", type=int, help="at most N mutants (every kind sampled)")
    parser.add_argument("--trials", type=int, default=3, help="random MDPs per mutant (3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (0)")
    parser.add_argument(
        "--family", action="append", choices=list(FAMILIES), help="only these families"
    )
    parser.add_argument("--reproducers", help="write each accepted-but-wrong mutant's file here")
    parser.add_argument("--show", type=int, default=3, help="examples listed per finding (3)")
    args = parser.parse_args()

    derivations, errors = load_all(args.paths)
    for error in errors:
        print(f"error: {error}")
    reports = [check_derivation(d) for d in derivations]
    families = tuple(args.family) if args.family else None
    chosen = all_mutants(reports, families)
    total = len(chosen)
    limit = QUICK_MUTANTS if args.quick else args.limit
    if limit is not None:
        chosen = sample(chosen, limit, args.seed)

    start = time.perf_counter()
    results = [audit_mutant(report, m, args.trials, args.seed) for report, m in chosen]
    elapsed = time.perf_counter() - start

    scope = f"{len(results)} of {total} mutants" if len(results) < total else f"{total} mutants"
    print(
        f"soundness audit: {scope} of the accepted steps, {args.trials} random MDPs each, "
        f"seed {args.seed}, {elapsed:.1f} s\n"
    )
    print(tables(results))
    print(findings(results, args.show))
    summary = AuditSummary.of(results)
    print(
        f"numerically wrong mutants refused by the checker: {summary.wrong_refused} of "
        f"{summary.wrong}; accepted and wrong: {summary.accepted_but_wrong}"
    )
    if args.reproducers:
        folder = Path(args.reproducers)
        folder.mkdir(parents=True, exist_ok=True)
        for n, r in enumerate((r for r in results if r.accepted_but_wrong), start=1):
            name = f"{n:03d}_{Path(r.file).name.removesuffix('.pgproof.toml')}_step{r.step}"
            (folder / f"{name}.pgproof.toml").write_text(r.reproducer, encoding="utf-8")
        print(f"reproducers written to {folder}/")
    return 1 if summary.accepted_but_wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
