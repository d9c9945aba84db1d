"""``pgproof report``: one self-contained HTML page for derivations, with numbers and plots."""

from __future__ import annotations

import argparse
import shlex
import sys

from .common import add_budget_options, non_negative_integer, positive_integer

EXAMPLES = """examples:
  pgproof report derivations/ -o report.html
  pgproof report derivations/001_*.pgproof.toml -o 001.html --trials 10 --seed 1
  pgproof report derivations/ -o quick.html --no-numeric
  pgproof report derivations/ -o report.html --estimator reinforce --estimator state_baseline

The page has every derivation with its steps typeset (MathML, the author's LaTeX where it
is safe), a mark per step (✓ accepted, (✓) resting on a refused step, ✗ refused, ≈ an
estimate), the reason and the differing subterm of a refused step, assumptions, the
numeric verdict of every step on random MDPs with its witness, the bias test of a final
sample estimate, and plots of estimators (matplotlib: pip install 'pgproof[plots]').  It
is one file that loads nothing and runs no script: open it anywhere, offline.

exit status: 0 every verdict is as its file expects, 1 one is not (or the numeric check
found a checker bug), 2 unusable input (the usable derivations are still reported), 3
undecided (a step's work budget was spent first, and nothing else is wrong), 70 a pgproof
bug
"""


def run_report(args: argparse.Namespace) -> int:
    from ..api import REPORT_ESTIMATORS, estimators_figure, report_entries
    from ..html.page import report_page
    from ..symbolic.render import RenderError
    from .common import (
        CommandError,
        check_output_file,
        load_and_check,
        numeric_keywords,
        print_errors,
        work_budget_of,
    )

    output = check_output_file(args.output)
    form = "read" if args.as_read else "author"
    plots = not args.no_plots and not args.no_numeric
    notes: list[str] = []
    if plots:
        from ..plots import PlotError, require_matplotlib

        try:
            require_matplotlib()
        except PlotError as exc:
            plots = False
            notes.append(f"plots left out: {exc}")
    work = work_budget_of(args)
    reports, errors = load_and_check(args.paths, work)
    if not reports and errors:
        print_errors(errors)
        return 2
    budget = numeric_keywords(work)
    entries = report_entries(
        reports,
        numeric=not args.no_numeric,
        trials=args.trials,
        seed=args.seed,
        plots=plots,
        samples=args.samples,
        **budget,
    )
    figures = []
    if plots:
        names = args.estimator or list(REPORT_ESTIMATORS)
        figures.append(estimators_figure(names, seed=args.seed, samples=args.samples))
    command = "pgproof report " + " ".join(shlex.quote(p) for p in args.paths)
    try:
        page = report_page(
            entries, title=args.title, form=form, figures=figures, command=command,
            errors=[*errors, *notes],
        )  # fmt: skip
    except RenderError as exc:
        raise CommandError(str(exc)) from None
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"-o {args.output}: cannot write: {exc.strerror}") from None
    expected = sum(e.report.as_expected for e in entries)
    bugs = sum(len(e.numeric.checker_bugs) for e in entries if e.numeric is not None)
    biased = sum(bool(e.final is not None and e.final.biased) for e in entries)
    plotted = len(figures) + sum(len(e.figures) for e in entries)
    summary = (
        f"wrote {output} ({len(page.encode('utf-8')) // 1024} kB): {len(entries)} "
        f"derivation(s), {expected} as expected"
    )
    undecided = sum(e.report.outcome == "undecided" for e in entries)
    if undecided:
        summary += f", {undecided} undecided"
    if not args.no_numeric:
        summary += f", {bugs} checker bug(s)"
    summary += f", {plotted} plot(s)"
    print(summary)
    for note in notes:
        print(f"pgproof: {note}", file=sys.stderr)
    print_errors(errors)
    from .check import exit_status

    return exit_status([e.report for e in entries], bool(errors), bool(bugs or biased))


def _samples(text: str) -> int:
    value = positive_integer(text)
    if value < 10:
        raise argparse.ArgumentTypeError(f"must be at least 10, not {value}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="write one self-contained HTML report: steps, verdicts, witnesses, plots",
        description="Check derivations (symbolically and on random MDPs) and write everything "
        "as one HTML page that loads nothing at view time.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (*.pgproof.toml)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    p.add_argument("--title", default="pgproof report", help="the page's title")
    p.add_argument(
        "--no-numeric", action="store_true", help="the symbolic check only (no MDPs, no plots)"
    )
    p.add_argument(
        "--trials", type=positive_integer, default=5, metavar="N", help="random MDPs per step (5)"
    )
    p.add_argument(
        "--seed", type=non_negative_integer, default=0, help="seed of MDPs and samples (0)"
    )
    p.add_argument("--no-plots", action="store_true", help="leave the estimator plots out")
    p.add_argument(
        "--samples",
        type=_samples,
        default=20_000,
        metavar="M",
        help="trajectories per estimator plot (20000)",
    )
    p.add_argument(
        "--estimator",
        action="append",
        metavar="NAME",
        help="an estimator for the closing plot (repeatable; default: reinforce, "
        "reward_to_go, state_baseline, action_baseline, discount_confusion)",
    )
    p.add_argument(
        "--as-read", action="store_true", help="formulas as pgproof read them (SymPy's order)"
    )
    add_budget_options(p)
    p.set_defaults(func=run_report)
