"""``pgproof rules``: the registered rules, their aliases and formulas."""

from __future__ import annotations

import argparse
import textwrap


def run_rules(args: argparse.Namespace) -> int:
    from ..symbolic.rules import REGISTRY

    for name in sorted(REGISTRY):
        rule = REGISTRY[name]
        kind = " (estimate ≈)" if rule.estimate else ""
        formula = textwrap.fill(
            rule.formula, width=96, initial_indent="    ", subsequent_indent="      "
        )
        print(f"{name}{kind}\n{formula}")
        if rule.aliases:
            print(f"    also: {', '.join(rule.aliases)}")
        if rule.derived:
            derived = f"derived from the primitive rules: {', '.join(rule.derivation)}"
            print(
                textwrap.fill(derived, width=96, initial_indent="    ", subsequent_indent="      ")
            )
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rules",
        help="list the rules a step may cite",
        description="List every rule with its formula, its side conditions and its aliases.",
        epilog="example:\n  pgproof rules",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=run_rules)
