"""``pgproof render``: a derivation as LaTeX (align*), or a standalone document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLES = """examples:
  pgproof render derivations/000_deriving_policy_gradient.pgproof.toml
  pgproof render derivations/ --standalone -o derivations.tex && pdflatex derivations.tex
  pgproof render derivations/001_*.pgproof.toml --as-written
"""


def run_render(args: argparse.Namespace) -> int:
    from ..symbolic.render import render, render_document
    from .common import load_and_check, print_errors

    reports, errors = load_and_check(args.paths)
    if errors:
        print_errors(errors)
        return 2
    if args.standalone:
        text = render_document(reports, as_written=args.as_written)
    else:
        text = "\n".join(render(r, as_written=args.as_written) for r in reports)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "render",
        help="render derivations to LaTeX",
        description="Render each derivation as an align* block: one line per step, its rule "
        "as a note, refused steps marked.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (*.pgproof.toml)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--standalone", action="store_true", help="a complete LaTeX document")
    p.add_argument(
        "--as-written",
        action="store_true",
        help="use the author's LaTeX instead of what pgproof read",
    )
    p.set_defaults(func=run_render)
