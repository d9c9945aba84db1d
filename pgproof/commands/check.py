"""``pgproof check``: check derivation files step by step."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..symbolic.checker import check
from ..symbolic.derivation import DerivationError
from ..symbolic.report import DerivationReport
from ..symbolic.text import show
from .common import load_all, print_errors

EXAMPLES = """examples:
  pgproof check                          # derivations/ here, else the bundled seeds
  pgproof check derivations/000_*.pgproof.toml
  pgproof check --json derivations/ > report.json

exit status: 0 every verdict is as its file expects, 1 one is not, 2 unusable input
"""


def report_json(report: DerivationReport) -> dict[str, Any]:
    d = report.derivation
    expected = None
    if d.expected is not None:
        expected = {"verdict": "rejected", "step": d.expected.step, "reason": d.expected.reason}
    return {
        "file": d.file,
        "title": d.title,
        "source": d.source,
        "unfinished": d.unfinished,
        "verdict": report.verdict,
        "expected": expected or {"verdict": "accepted"},
        "as_expected": report.as_expected,
        "steps": [
            {
                "index": s.index,
                "line": s.step.line,
                "rule": ", ".join(s.step.rules),
                "rules": list(s.step.rules),
                "status": s.status,
                "relation": s.relation,
                "claim": f"{show(s.claim.lhs)} {s.relation} {show(s.claim.rhs)}",
                "reason": s.reason if not s.accepted else "",
                "assumptions": s.assumptions,
            }
            for s in report.steps
        ],
    }


def run_check(args: argparse.Namespace) -> int:
    derivations, errors = load_all(args.paths)
    reports: list[DerivationReport] = []
    for d in derivations:
        try:
            reports.append(check(d))
        except DerivationError as exc:
            where = f"{d.file}:{exc.line}" if exc.line else str(d.file)
            step = f" step {exc.step}:" if exc.step else ""
            errors.append(f"{where}:{step} {exc.message}")
    if args.json:
        print(
            json.dumps(
                {"derivations": [report_json(r) for r in reports], "errors": errors},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for r in reports:
            print(r.text())
            print()
        good = sum(r.as_expected for r in reports)
        print(
            f"{good} of {len(reports)} derivations as expected"
            + (f", {len(errors)} unusable" if errors else "")
        )
    print_errors(errors)
    if errors:
        return 2
    return 0 if all(r.as_expected for r in reports) else 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="check derivation files step by step",
        description="Check each step of each derivation: ✓ accepted, ✗ refused with the reason.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (*.pgproof.toml)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_check)
