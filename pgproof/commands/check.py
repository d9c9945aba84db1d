"""``pgproof check``: check derivation files step by step."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import add_budget_options, non_negative_integer, positive_integer

EXAMPLES = """examples:
  pgproof check                          # derivations/ here, else the bundled seeds
  pgproof check derivations/000_*.pgproof.toml
  pgproof check notes.md                 # a document: .tex, .md, .rst, .ipynb
  pgproof check notes.tex --preamble macros.tex
  pgproof check --json derivations/ > report.json
  pgproof check --numeric --trials 10 --seed 1 --witness-dir witnesses/
  pgproof check --strict derivations/    # derived rules checked from the primitives

A document's display maths is read as the derivation: each '=' of a display is a step,
\\text{} notes are hints, \\label{} names a step, the author's \\newcommand macros are
expanded, and the notation is read from the symbols the document uses (or from its front
matter). Every error of every file is printed, with file:line:column.

--strict expands every step citing a derived rule (score_has_zero_mean, baseline) into
primitive steps at the step: the rule's derivation from the primitive rules, bundled with
pgproof, is matched against the subterm the step rewrote (its schematic names b, s, t, T, θ
and the state's and action's names instantiated by the step's terms, bound τ, a', t matched
up to renaming), every line instantiated with capture-avoiding substitution and checked
again, and rewriting the subterm by the instantiated conclusion must give the step's claim.
The step is established only then ("expanded into N primitive steps at the step"); else it
is NOT established, with the line of the instantiated derivation that is refused (exit
status 1).  The derivations are also checked in their general form (every step accepted,
the last line the form it derives, no form cited before it is derived).  A family result
that is not derived (causality, markov_property) is reported as resting on that rule as a
primitive.

--numeric also evaluates both sides of every step on random tabular MDPs: accepted steps
are confirmed, refused ones get a witness (an MDP, θ and two numbers that differ; written
with --witness-dir for `pgproof verify --mdp`), and an accepted step whose sides differ
is reported as a CHECKER BUG.

exit status: 0 every verdict is as its file expects, 1 one is not (or --numeric found a
checker bug), 2 unusable input, 3 undecided (a step's work budget was spent before it could
be accepted or refused, and nothing else is wrong), 70 a pgproof bug
"""


def run_check(args: argparse.Namespace) -> int:
    from ..output import is_unicode_stream
    from .common import (
        check_output_folder,
        is_document,
        load_and_check,
        numeric_keywords,
        print_errors,
        work_budget_of,
    )

    if args.numeric and args.witness_dir is not None:
        check_output_folder(args.witness_dir, "--witness-dir")
    work = work_budget_of(args)
    preamble = getattr(args, "preamble", None)
    if preamble is not None:
        from .common import CommandError

        if not Path(preamble).exists():
            raise CommandError(f"--preamble {preamble}: no such file")
    reports, errors = load_and_check(args.paths, work, preamble)
    numeric: list = [None] * len(reports)
    finals: list = [None] * len(reports)
    if args.numeric:
        from ..bridge.final_estimate import test_final_estimate
        from ..bridge.steps import verify_steps_numerically

        budget = numeric_keywords(work)
        numeric = [
            verify_steps_numerically(r, args.trials, args.seed, args.witness_dir, **budget)
            for r in reports
        ]
        finals = [test_final_estimate(r, args.seed) for r in reports]
    strict: list = [None] * len(reports)
    if getattr(args, "strict", False):
        from ..derived.strict import strict_notes

        strict = [strict_notes(r) for r in reports]
    if args.json:
        out = []
        for r, n, f in zip(reports, numeric, finals, strict=True):
            data = r.to_json()
            if n is not None:
                data = n.add_to_json(data)
            if f is not None:
                data["numeric"]["final_estimate"] = f.to_json()
            if is_document(r.derivation):
                data["document"] = {"read": list(r.derivation.notes)}
            if strict[len(out)] is not None:
                data["strict"] = [note.to_json() for note in strict[len(out)]]
            out.append(data)
        # \u escapes where the terminal cannot encode UTF-8: the JSON stays the same data
        ascii_only = not is_unicode_stream(sys.stdout)
        print(json.dumps({"derivations": out, "errors": errors}, indent=2, ensure_ascii=ascii_only))
    else:
        for r, n, f, notes in zip(reports, numeric, finals, strict, strict=True):
            print(r.text())
            if is_document(r.derivation):
                for note in r.derivation.notes:
                    print(f"  {note}")
            for note in notes or ():
                print(note.text())
            if n is not None:
                print(n.text())
            if f is not None:
                print(f.text())
            print()
        good = sum(r.as_expected for r in reports)
        open_ = sum(r.outcome == "undecided" for r in reports)
        unusable = getattr(errors, "files", len(errors))
        print(
            f"{good} of {len(reports)} derivations as expected"
            + (f", {open_} undecided" if open_ else "")
            + (f", {unusable} unusable" if errors else "")
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
    broken = [
        f"{r.derivation.file}: step {note.step} rests on the derived rule {note.rule}, "
        "whose derivation is refused"
        for r, notes in zip(reports, strict, strict=True)
        for note in notes or ()
        if note.broken
    ] + [
        f"{r.derivation.file}: step {note.step} cites the derived rule {note.rule} but cannot "
        "be expanded into primitive steps at the step"
        for r, notes in zip(reports, strict, strict=True)
        for note in notes or ()
        if note.not_expanded
    ]
    if args.numeric and not args.json:
        print(f"numeric: {len(bugs)} checker bug(s)" + (": " + "; ".join(bugs) if bugs else ""))
    print_errors(errors)
    for bug in bugs:
        print(f"pgproof: CHECKER BUG: {bug} (accepted but numerically false)", file=sys.stderr)
    for line in broken:
        print(f"pgproof: --strict: {line}", file=sys.stderr)
    return exit_status(reports, bool(errors), bool(bugs) or bool(broken))


#: the exit status when no verdict contradicts an expectation but a step is undecided
UNDECIDED = 3


def exit_status(reports: list, unusable: bool = False, bugs: bool = False) -> int:
    """2 unusable input; 1 a verdict not as expected (or a checker bug); 3 undecided (a
    budget was spent before a step could be decided, and nothing else is wrong); 0 all as
    expected."""
    if unusable:
        return 2
    if bugs or any(r.outcome == "NOT as expected" for r in reports):
        return 1
    return UNDECIDED if any(r.outcome == "undecided" for r in reports) else 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="check derivation files step by step",
        description="Check each step of each derivation: ✓ accepted, ✗ refused with the reason, "
        "? undecided (its work budget was spent first).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (*.pgproof.toml), or documents (.tex, .md, .rst, .ipynb)",
    )
    p.add_argument(
        "--preamble",
        metavar="FILE",
        help="a LaTeX file of \\newcommand/\\DeclareMathOperator macros (and %% pgproof: "
        "front matter) the documents use",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--numeric",
        action="store_true",
        help="also compare both sides of every step on random tabular MDPs",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="expand each step citing a derived rule into primitive steps at the step (its "
        "bundled derivation instantiated with the step's terms and checked); a step that "
        "cannot be expanded is not established",
    )
    p.add_argument(
        "--trials",
        type=positive_integer,
        default=5,
        metavar="N",
        help="random MDPs per step for --numeric (default 5)",
    )
    p.add_argument(
        "--seed", type=non_negative_integer, default=0, help="seed of the random MDPs (default 0)"
    )
    p.add_argument(
        "--witness-dir",
        metavar="DIR",
        help="with --numeric: write each witness MDP as DIR/<file>.step<k>.json",
    )
    add_budget_options(p)
    p.set_defaults(func=run_check)
