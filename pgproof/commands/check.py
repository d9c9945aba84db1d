"""``pgproof check``: check derivation files step by step."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..bridge.estimator import CompileError, check_unbiased, final_estimate
from ..bridge.report import numeric_text, step_json, witness_json
from ..bridge.steps import NumericReport, check_numeric
from ..numeric.check import EstimatorCheck
from ..symbolic.report import DerivationReport
from ..symbolic.text import show
from .common import load_and_check, print_errors

EXAMPLES = """examples:
  pgproof check                          # derivations/ here, else the bundled seeds
  pgproof check derivations/000_*.pgproof.toml
  pgproof check --json derivations/ > report.json
  pgproof check --numeric --trials 10 --seed 1 --witness-dir witnesses/

--numeric also evaluates both sides of every step on random tabular MDPs: accepted steps
are confirmed, refused ones get a witness (an MDP, θ and two numbers that differ; written
with --witness-dir for `pgproof verify --mdp`), and an accepted step whose sides differ
is reported as a CHECKER BUG.

exit status: 0 every verdict is as its file expects, 1 one is not (or --numeric found a
checker bug), 2 unusable input
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


def add_numeric_json(data: dict[str, Any], numeric: NumericReport) -> dict[str, Any]:
    """Each step gets a ``numeric`` object, and a ``witness`` when one was found."""
    for step, result in zip(data["steps"], numeric.steps, strict=True):
        step["numeric"] = step_json(result)
        witness = witness_json(result)
        if witness is not None:
            step["witness"] = witness
    data["numeric"] = {
        "trials": numeric.trials,
        "seed": numeric.seed,
        "checker_bugs": [s.index for s in numeric.checker_bugs],
    }
    return data


@dataclass
class FinalEstimate:
    """A derivation's final sample estimate, compiled and tested for bias."""

    formula: str
    result: EstimatorCheck | None = None
    error: str = ""

    @property
    def biased(self) -> bool:
        """Exactly biased (by enumeration): an accepted estimate must never be."""
        return self.result is not None and self.result.exactly_unbiased is False

    def json(self) -> dict[str, Any]:
        if self.result is None:
            return {"formula": self.formula, "error": self.error}
        c = self.result.comparison
        bias = self.result.exact_bias
        return {
            "formula": self.formula,
            "p_value": c.p_value,
            "verdict": c.verdict,
            "alpha": c.alpha,
            "samples": c.n_samples,
            "max_exact_bias": None if bias is None else float(np.max(np.abs(bias))),
            "exactly_unbiased": self.result.exactly_unbiased,
        }

    def text(self) -> str:
        head = f"  final estimate: {self.formula}"
        if self.result is None:
            return f"{head}\n    not compiled: {self.error}"
        j = self.json()
        return (
            f"{head}\n    compiled and sampled on a random MDP: m = {j['samples']}, "
            f"Hotelling p = {j['p_value']:.3g} at α = {j['alpha']} → {j['verdict']}; "
            f"exact |bias| = {j['max_exact_bias']:.2g} (by enumeration)"
        )


def final_estimate_check(report: DerivationReport, seed: int) -> FinalEstimate | None:
    """Compile and test the last step when it is an accepted sample estimate."""
    last = report.steps[-1]
    if not (last.accepted and last.estimate):
        return None
    expr = final_estimate(report)
    out = FinalEstimate(show(expr))
    try:
        out.result = check_unbiased(expr, report.derivation.notation, np.random.default_rng(seed))
    except CompileError as exc:
        out.error = str(exc)
    return out


def run_check(args: argparse.Namespace) -> int:
    reports, errors = load_and_check(args.paths)
    numeric: list[NumericReport | None] = [None] * len(reports)
    finals: list[FinalEstimate | None] = [None] * len(reports)
    if args.numeric:
        numeric = [check_numeric(r, args.trials, args.seed, args.witness_dir) for r in reports]
        finals = [final_estimate_check(r, args.seed) for r in reports]
    if args.json:
        out = []
        for r, n, f in zip(reports, numeric, finals, strict=True):
            data = report_json(r)
            if n is not None:
                data = add_numeric_json(data, n)
            if f is not None:
                data["numeric"]["final_estimate"] = f.json()
            out.append(data)
        print(json.dumps({"derivations": out, "errors": errors}, indent=2, ensure_ascii=False))
    else:
        for r, n, f in zip(reports, numeric, finals, strict=True):
            print(r.text())
            if n is not None:
                print(numeric_text(n))
            if f is not None:
                print(f.text())
            print()
        good = sum(r.as_expected for r in reports)
        print(
            f"{good} of {len(reports)} derivations as expected"
            + (f", {len(errors)} unusable" if errors else "")
        )
    bugs = [
        f"{r.derivation.file}: step {s.index}"
        for r, n in zip(reports, numeric, strict=True)
        if n is not None
        for s in n.checker_bugs
    ] + [
        f"{r.derivation.file}: the accepted final estimate is biased"
        for r, f in zip(reports, finals, strict=True)
        if f is not None and f.biased
    ]
    if args.numeric and not args.json:
        print(f"numeric: {len(bugs)} checker bug(s)" + (": " + "; ".join(bugs) if bugs else ""))
    print_errors(errors)
    for bug in bugs:
        print(f"pgproof: CHECKER BUG: {bug} (accepted but numerically false)", file=sys.stderr)
    if errors:
        return 2
    return 0 if all(r.as_expected for r in reports) and not bugs else 1


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


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
    p.add_argument(
        "--numeric",
        action="store_true",
        help="also compare both sides of every step on random tabular MDPs",
    )
    p.add_argument(
        "--trials",
        type=_positive,
        default=5,
        metavar="N",
        help="random MDPs per step for --numeric (default 5)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random MDPs (default 0)")
    p.add_argument(
        "--witness-dir",
        metavar="DIR",
        help="with --numeric: write each witness MDP as DIR/<file>.step<k>.json",
    )
    p.set_defaults(func=run_check)
