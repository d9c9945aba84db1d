"""The ``pgproof`` command line: check, render, rules, verify.

One top-level handler for every command: input pgproof cannot use is one line on stderr
and exit status 2; an unexpected exception is one line saying it is a pgproof bug (exit
status 70, EX_SOFTWARE; ``--debug`` shows the traceback).  Everything printed goes through
:func:`pgproof.output.safe_streams`: control characters from users' files are shown, not
obeyed, the command's arguments and the names of the files it reads are shown with every
control character escaped (a newline in a file name too), and the output degrades to
ASCII on a terminal that cannot encode UTF-8.  An integer option has at most
:data:`~pgproof.commands.common.MAX_DIGITS` digits.  A Python warning (numpy's overflow,
say) is one line ``pgproof: note: …``, not a source path and a line of pgproof's code.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .commands import check, render, report, rules, verify
from .commands.common import integer
from .output import WarningNotes, guard_names, one_line, safe_streams
from .safety import terminal_name

#: subcommand registrars, in the order --help lists them
COMMANDS = (
    check.add_parser,
    render.add_parser,
    report.add_parser,
    rules.add_parser,
    verify.add_parser,
)

#: exit status for an unexpected exception (a pgproof bug): EX_SOFTWARE of sysexits.h
EXIT_BUG = 70

DESCRIPTION = """pgproof checks derivations of the policy-gradient theorem: symbolically, step
by step (check, render, rules), and numerically on tabular MDPs (verify)."""

EXAMPLES = """examples:
  pgproof check                       # the derivations in ./derivations (or the bundled seeds)
  pgproof render derivations/ --standalone -o proofs.tex
  pgproof verify --states 2 --actions 2 --horizon 3 --seed 0
  pgproof <command> --help

exit status: 2 for input pgproof cannot use (one line on stderr), 70 for a pgproof bug
(--debug shows its traceback); each command's --help gives the others.
"""

#: exceptions that mean "this input cannot be used", by module and name: looked up in
#: sys.modules, so the handler imports nothing (an exception's module is already loaded)
INPUT_ERRORS = (
    ("pgproof.files.errors", "DerivationFileError"),
    ("pgproof.symbolic.errors", "DerivationError"),
    ("pgproof.symbolic.render", "RenderError"),
    ("pgproof.safety", "UnsafeLatex"),
    ("pgproof.numeric.mdp", "MDPError"),
    ("pgproof.numeric.estimators", "EstimatorError"),
    ("pgproof.commands.verify", "UsageError"),
    ("pgproof.numeric.resources", "ResourceError"),
    ("pgproof.numeric.parallel", "ExecutorError"),
    ("pgproof.commands.common", "CommandError"),
)

class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit status 2), and whose
    ``type=int`` options read at most :data:`~pgproof.commands.common.MAX_DIGITS` digits
    (:func:`~pgproof.commands.common.integer`; its subcommands' parsers are Parsers too)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.register("type", int, integer)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="pgproof",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pgproof {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an unexpected error"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    for sub in subparsers.choices.values():  # `pgproof check --debug …` works too
        sub.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the traceback of an unexpected error",
        )
    return parser


def _input_error_types() -> tuple[type[BaseException], ...]:
    found = []
    for module, name in INPUT_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def input_error_message(exc: BaseException) -> str | None:
    """The one-line message of an input error, or None for an unexpected exception."""
    if isinstance(exc, _input_error_types()):
        return one_line(str(exc))
    if isinstance(exc, OSError):
        where = f"{terminal_name(str(exc.filename))}: " if exc.filename else ""
        return one_line(where + (exc.strerror or str(exc)))
    if isinstance(exc, MemoryError):
        return "out of memory: the input is too large"
    return None


def report_exception(exc: BaseException, debug: bool) -> int:
    """Print one line for ``exc`` (and its traceback with ``debug``); the exit status."""
    if debug:
        import traceback

        traceback.print_exception(exc)
    message = input_error_message(exc)
    if message is not None:
        print(f"pgproof: error: {message}", file=sys.stderr)
        return 2
    detail = one_line(f"{type(exc).__name__}: {exc}")
    hint = "" if debug else "; run `pgproof --debug …` to see the traceback"
    print(f"pgproof: internal error (a pgproof bug): {detail}{hint}", file=sys.stderr)
    return EXIT_BUG


def _files_read(args: argparse.Namespace) -> Iterator[str]:
    """The derivation files a command with PATH arguments reads from folders (the files
    it is given by name are among its arguments)."""
    paths = getattr(args, "paths", None)
    if not isinstance(paths, list):
        return
    from .commands.common import default_paths
    from .files import derivation_files

    folders = [Path(p) for p in paths] if paths else default_paths()
    for path in derivation_files([p for p in folders if p.is_dir()]):
        yield str(path)


def main(argv: list[str] | None = None) -> int:
    with safe_streams(), warnings.catch_warnings():
        warnings.showwarning = WarningNotes()
        guard_names(sys.argv[1:] if argv is None else argv)
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        debug = bool(getattr(args, "debug", False) or os.environ.get("PGPROOF_DEBUG"))
        try:
            guard_names(_files_read(args))
            return int(args.func(args))
        except BrokenPipeError:  # e.g. `pgproof check | head`: stop quietly, like other tools
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except KeyboardInterrupt:
            print("pgproof: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # also MemoryError and RecursionError
            return report_exception(exc, debug)


if __name__ == "__main__":
    sys.exit(main())
