"""``pgproof render``: a derivation as LaTeX (align*), or a standalone document."""

from __future__ import annotations

import argparse
import sys

from .common import add_timeout_option

EXAMPLES = """examples:
  pgproof render derivations/000_deriving_policy_gradient.pgproof.toml
  pgproof render derivations/ --standalone -o derivations.tex && pdflatex derivations.tex
  pgproof render derivations/001_*.pgproof.toml --as-written

Everything from a derivation file is escaped or checked token by token against an
allowlist of math commands before it is written, so the output is safe to compile even
when the file is not yours; a formula that fails the allowlist (with --as-written, say a
colour argument holding ^^5c) is an error, and nothing is written.

exit status: 0 rendered, 2 unusable input (nothing is written), 70 a pgproof bug
"""


def run_render(args: argparse.Namespace) -> int:
    from ..symbolic.render import RenderError, render, render_document
    from .common import CommandError, check_output_file, load_and_check, print_errors

    output = check_output_file(args.output) if args.output else None
    reports, errors = load_and_check(args.paths, getattr(args, "timeout", None))
    if errors:
        print_errors(errors)
        return 2
    try:
        if args.standalone:
            text = render_document(reports, as_written=args.as_written)
        else:
            text = "\n".join(render(r, as_written=args.as_written) for r in reports)
    except RenderError as exc:
        raise CommandError(str(exc)) from None
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"-o {args.output}: cannot write: {exc.strerror}") from None
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
    add_timeout_option(p)
    p.set_defaults(func=run_render)
