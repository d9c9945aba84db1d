"""``pgproof rules``: the registered rules, their aliases and formulas."""

from __future__ import annotations

import argparse


def run_rules(args: argparse.Namespace) -> int:
    from ..symbolic.rules import REGISTRY

    for name in sorted(REGISTRY):
        rule = REGISTRY[name]
        kind = " (estimate ≈)" if rule.estimate else ""
        print(f"{name}{kind}\n    {rule.formula}")
        if rule.aliases:
            print(f"    also: {', '.join(rule.aliases)}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rules",
        help="list the rules a step may cite",
        description="List every rule with its formula and aliases.",
        epilog="example:\n  pgproof rules",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=run_rules)
