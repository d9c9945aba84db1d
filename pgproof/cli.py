"""The ``pgproof`` command line: check, render, rules, verify."""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .commands import check, render, rules, verify

#: subcommand registrars, in the order --help lists them
COMMANDS = (check.add_parser, render.add_parser, rules.add_parser, verify.add_parser)

DESCRIPTION = """pgproof checks derivations of the policy-gradient theorem: symbolically, step
by step (check, render, rules), and numerically on tabular MDPs (verify)."""

EXAMPLES = """examples:
  pgproof check                       # the derivations in ./derivations (or the bundled seeds)
  pgproof render derivations/ --standalone -o proofs.tex
  pgproof verify --states 2 --actions 2 --horizon 3 --seed 0
  pgproof <command> --help
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgproof",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pgproof {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except BrokenPipeError:  # e.g. `pgproof check | head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("pgproof: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
