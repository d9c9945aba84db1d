"""Units of work per step: how far the bundled derivations and document fixtures are from
their budgets, and what a unit costs in time on this machine.

The checker's verdicts depend on units of work (:mod:`pgproof.budget`), never on the
clock.  This prints, for every derivation of ``derivations/`` (wrong steps included) and
every document fixture, the units its costliest step spent, the most that a successful
rule search spent, and the margins to the step budget and the search budget; then the
units per second measured on this machine (the rate behind ``--timeout``'s conversion,
``UNITS_PER_SECOND``).  Units are counted the same on any machine; seconds are not.

Usage: python benchmarks/bench_work.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "documents" / "fixtures"
PREAMBLES = {"spinning_up.rst": FIXTURES / "spinning_up_macros.tex"}


def sources() -> list[tuple[Path, Path | None]]:
    derivations = sorted((ROOT / "derivations").rglob("*.pgproof.toml"))
    documents = sorted(
        p for p in FIXTURES.iterdir()
        if p.suffix in (".md", ".tex", ".rst", ".ipynb") and not p.stem.endswith("_macros")
    )  # fmt: skip
    return [(p, None) for p in derivations] + [(p, PREAMBLES.get(p.name)) for p in documents]


def main() -> None:
    import pgproof.symbolic.checker as checker
    from pgproof.budget import STEP_WORK, work_spent
    from pgproof.commands.common import UNITS_PER_SECOND
    from pgproof.documents import document_kind, load_document
    from pgproof.files import load_derivation
    from pgproof.symbolic.inference import SEARCH_WORK

    searches: list[tuple[int, float, bool]] = []  # (units, seconds, found)
    real_search = checker.search

    def measured_search(*args, **kwargs):
        start, clock = work_spent(), time.perf_counter()
        found = real_search(*args, **kwargs)
        spent = work_spent() - start
        searches.append((spent, time.perf_counter() - clock, found.chain is not None))
        return found

    checker.search = measured_search
    real_step = checker._check_or_infer
    steps: list[tuple[int, float, str, int, str]] = []  # (units, seconds, file, step, status)

    rows = []
    for path, preamble in sources():
        def measured_step(derivation, index, *args, _path=path, **kwargs):
            start, clock = work_spent(), time.perf_counter()
            report = real_step(derivation, index, *args, **kwargs)
            steps.append(
                (work_spent() - start, time.perf_counter() - clock, _path.name, index,
                 report.status)
            )  # fmt: skip
            return report

        checker._check_or_infer = measured_step
        first = len(steps)
        if document_kind(path) is not None:
            derivation = load_document(path, preamble)
        else:
            derivation = load_derivation(path)
        report = checker.check_derivation(derivation)
        mine = steps[first:]
        worst = max(mine, key=lambda s: s[0])
        rows.append((path.relative_to(ROOT), len(mine), worst[0], worst[3], report.verdict))
    checker._check_or_infer = real_step
    checker.search = real_search

    print(f"step budget {STEP_WORK:,} units; main search budget {SEARCH_WORK:,}")
    print(f"{'file':62} {'steps':>5} {'max units':>10} {'at':>4}  verdict")
    for name, count, units, at, verdict in rows:
        print(f"{str(name)[-62:]:62} {count:5d} {units:10,d} {at:4d}  {verdict}")
    worst_step = max(steps, key=lambda s: s[0])
    found = [s for s in searches if s[2]]
    worst_found = max(s[0] for s in found)
    undecided = sum(1 for s in steps if s[4] == "undecided")
    print()
    print(f"costliest step: {worst_step[0]:,} units ({worst_step[2]} step {worst_step[3]}); "
          f"margin to the step budget {STEP_WORK / worst_step[0]:.1f}x")
    glance = STEP_WORK // checker.GLANCE_SHARE
    print(f"costliest successful search: {worst_found:,} units; margin to the main search "
          f"budget {SEARCH_WORK / worst_found:.1f}x (to the first look's {glance:,}: "
          f"{glance / worst_found:.1f}x)")
    print(f"undecided steps: {undecided} of {len(steps)}")
    rates = [units / seconds for units, seconds, *_ in steps if seconds > 0.05]
    if rates:
        print(
            f"units per second on this machine (steps over 50 ms): median "
            f"{statistics.median(rates):,.0f}, range {min(rates):,.0f}-{max(rates):,.0f} "
            f"(--timeout converts at {UNITS_PER_SECOND:,})"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
