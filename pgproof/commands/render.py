"""``pgproof render``: a derivation as LaTeX (align*), a standalone document, or slides."""

from __future__ import annotations

import argparse
import sys

from .common import add_budget_options

EXAMPLES = """examples:
  pgproof render derivations/000_deriving_policy_gradient.pgproof.toml
  pgproof render derivations/ --standalone -o derivations.tex && pdflatex derivations.tex
  pgproof render derivations/ --beamer -o slides.tex && pdflatex slides.tex
  pgproof render derivations/001_*.pgproof.toml --as-read

Formulas are shown as their authors wrote them (term order, spacing, colours) wherever
that LaTeX passes the allowlist, else as pgproof read them; --as-read always shows what
pgproof read (printed by SymPy), --as-written insists on the author's LaTeX.  Rule notes are
short names in words ("(3) gradient under the integral"); a refused step has what the rule
gives and the reason in red under it.  --standalone is a landscape A4 article and --beamer
16:9 slides, both with every formula scaled down to fit the page.

Everything from a derivation file is escaped or checked token by token against an
allowlist of math commands before it is written, so the output is safe to compile even
when the file is not yours; a formula that fails the allowlist (with --as-written, say a
colour argument holding ^^5c) is an error, and nothing is written.

exit status: 0 rendered, 2 unusable input (nothing is written), 70 a pgproof bug
"""


def run_render(args: argparse.Namespace) -> int:
    from ..symbolic.render import RenderError, render, render_document
    from .common import (
        CommandError,
        check_output_file,
        load_and_check,
        print_errors,
        work_budget_of,
    )

    output = check_output_file(args.output) if args.output else None
    reports, errors = load_and_check(args.paths, work_budget_of(args))
    if errors:
        print_errors(errors)
        return 2
    if args.as_written and args.as_read:
        raise CommandError("--as-written and --as-read contradict each other: give one")
    form = "written" if args.as_written else "read" if args.as_read else "author"
    try:
        if args.standalone or args.beamer:
            text = render_document(reports, form=form, beamer=args.beamer)
        else:
            text = "\n".join(render(r, form=form) for r in reports)
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
        description="Render each derivation as an align* block, a document or slides: one "
        "line per step with its mark and rule in words, refused steps with their reason.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (*.pgproof.toml)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--standalone", action="store_true", help="a complete LaTeX document")
    p.add_argument(
        "--beamer", action="store_true", help="a complete beamer document: a few steps a slide"
    )
    p.add_argument(
        "--as-written",
        action="store_true",
        help="only the author's LaTeX (an error where it cannot be used safely)",
    )
    p.add_argument(
        "--as-read",
        action="store_true",
        help="what pgproof read, printed by SymPy, instead of the author's LaTeX",
    )
    add_budget_options(p)
    p.set_defaults(func=run_render)
