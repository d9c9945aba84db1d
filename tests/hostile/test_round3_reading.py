"""Hostile input, round 3 (issue 19, item 5): reading documents and derivation files.

Each case writes a hostile file into a scratch folder and runs ``pgproof check FILE`` (or
``verify --mdp FILE``) as a subprocess under the limits of :mod:`tests.hostile.runner`
(500 MB of address space, 20 s of CPU).  Asserted for each: the exit status (2 unless the
case says otherwise), exactly one line on stderr that names the file, the line (and the
column where there is one) and the problem, never a traceback nor an internal error
(exit 70), a peak resident memory under 500 MB, and at most :data:`CPU_SECONDS` of CPU —
the child's own user + system time, which a loaded machine does not stretch as it does
wall-clock time (start-up alone costs about 1 s).  The figures measured before the
change are in each case's comment.  Big hostile files are generated, not committed.

Also here: the CRLF (and CR) twins of documents read exactly as their LF twins (same
steps, lines, columns and errors, same verdicts), and unit tests of the new pieces (the
error list, the suggestion budget, the JSON nesting scan, brace groups).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pgproof.documents.display import MAX_ROWS
from pgproof.documents.reader import (
    MAX_CELLS,
    MAX_DIRECTIVES,
    MAX_DISPLAYS,
    MAX_FRONT_KEYS,
    MAX_INLINE,
)
from pgproof.files import DerivationFileError, load_derivation
from pgproof.files.errors import (
    MAX_ERRORS,
    MAX_SUGGESTIONS,
    ErrorList,
    TooManyErrors,
    close_matches,
    suggestion_budget,
)
from pgproof.files.read import MAX_DIGITS, json_depth, json_nesting_line
from pgproof.files.schema import MAX_STEPS
from pgproof.latex.macros import MAX_DEFINITIONS, MAX_MACROS, MAX_OUTPUT, Groups, group_end

from .cases import MDP
from .runner import MEMORY_BYTES, Outcome, run

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "documents" / "fixtures"
#: CPU seconds a case may take: "about 2 s", with room for a loaded machine's slower
#: caches (the cases measure 0.35-1.2 s on an idle one, start-up included)
CPU_SECONDS = 2.5
#: wall-clock seconds before the runner kills a case: only a hang guard (4 busy loops on
#: 2 cores stretch a 2 s case to about 6 s)
HANG_SECONDS = 60.0
#: runs ``python -m pgproof ARGS`` in this process and writes its CPU time at exit
CPU_WRAPPER = """
import atexit, resource, runpy, sys
out = sys.argv.pop(1)
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "w") as handle:
        handle.write(repr(usage.ru_utime + usage.ru_stime))
atexit.register(cpu)
runpy.run_module("pgproof", run_name="__main__", alter_sys=True)
"""

GOOD = r"J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]"
GOOD_TOML = "formula = 'J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]'\n"
HEADER = 'title = "t"\nsource = "s"\n'


def _notebook(cells: list[dict], metadata: str = "{}") -> str:
    """A notebook's JSON with one cell per line (cell k on line k + 1)."""
    lines = ",\n".join(json.dumps(c) for c in cells)
    return '{"cells": [\n' + lines + '\n], "metadata": ' + metadata + ', "nbformat": 4}\n'


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


@dataclass
class Hostile:
    name: str
    file: str
    make: Callable[[], str | bytes]
    #: a regular expression the (one) error line matches after "FILE:"
    problem: str
    command: str = "check"
    status: int = 2


def _limit(n: int) -> str:
    return f"{n:,}"


# The comments say what each case did before this round (CPU seconds, or the wall-clock
# time at which the case was killed), measured on an idle 2-core machine.
CASES = [
    # ---- limits of the document reader, each before the work ----------------------------
    # 3.4 s (every display read, to say there was no derivation)
    Hostile("displays", "d.md", lambda: "\n\n".join(["$$x$$"] * 100_000) + "\n",
            rf"4001:1: more than {_limit(MAX_DISPLAYS)} displays \(the limit\)"),
    Hostile("inline_formulas", "i.md",
            lambda: f"$${GOOD}$$\n\n" + "$x$ " * 40_000 + "\n",
            rf"3:{4 * MAX_INLINE + 1}: more than {_limit(MAX_INLINE)} inline formulas \(the "
            r"limit\)"),  # 3.7 s, exit 0
    # killed at 71 s, 675 MB (a pure-Python JSON decoder)
    Hostile("notebook_cells", "n.ipynb",
            lambda: _notebook([_markdown(f"$${GOOD}$$")] * 100_000),
            rf"{MAX_CELLS + 2}:1: more than {_limit(MAX_CELLS)} cells \(the limit\)"),
    Hostile("rows_of_one_display", "r.tex",
            lambda: "\\begin{align}\n" + f"{GOOD} \\\\\n"
            + "&= E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)] \\\\\n" * 1500 + "\\end{align}\n",
            rf"{MAX_STEPS + 2}:2: more than {MAX_STEPS} rows with '=' \(the limit\): pgproof "
            rf"reads at most {MAX_STEPS} steps"),  # 2.6 s: the cap came after parsing
    Hostile("rows_across_displays", "r.md",
            lambda: "\n\n".join([f"$${GOOD}$$"] * 1500) + "\n",
            rf"{2 * MAX_STEPS + 1}:3: more than {MAX_STEPS} rows with '=' \(the limit\)"),
    Hostile("rows_without_equals", "r.tex",
            lambda: "\\begin{align}\n" + f"{GOOD} \\\\\n" + "x \\\\\n" * 200_000
            + "\\end{align}\n",
            rf"{MAX_ROWS + 2}:1: a display of more than {_limit(MAX_ROWS)} rows \(the limit\)"),
    # killed at 71 s (row gluing was quadratic)
    Hostile("directives", "p.tex",
            lambda: "\\begin{align}\n" + f"{GOOD} \\\\\n" + '% pgproof: note = "n"\n'
            * 80_000 + "&= \\int p_\\theta(\\tau) r(\\tau) d\\tau\n\\end{align}\n",
            rf"{MAX_DIRECTIVES + 3}:12: more than {_limit(MAX_DIRECTIVES)} % pgproof: comments "
            r"\(the limit\)"),  # killed at 71 s
    Hostile("front_matter_keys", "f.md",
            lambda: "---\n" + "".join(f"key{i}: 1\n" for i in range(50_000))
            + f"---\n$${GOOD}$$\n",
            rf"{MAX_FRONT_KEYS + 2}:1: more than {_limit(MAX_FRONT_KEYS)} front-matter keys "
            r"\(the limit\)"),  # 4.9 s, exit 0 (50,000 keys under pgproof: killed at 81 s)
    Hostile("front_matter_comments", "f.tex",
            lambda: '% pgproof: horizon = "T"\n' * 50_000 + f"\\[{GOOD}\\]\n",
            rf"{MAX_FRONT_KEYS + 1}:12: more than {_limit(MAX_FRONT_KEYS)} front-matter keys"),
    # 1.7 s, exit 0
    Hostile("front_matter_rst_block", "f.rst",
            lambda: ".. pgproof:\n" + '   horizon = "T"\n' * 50_000
            + f"\n.. math::\n\n   {GOOD}\n",
            rf"{MAX_FRONT_KEYS + 2}:4: more than {_limit(MAX_FRONT_KEYS)} front-matter keys"),
    # 1.5 s, exit 0 (the block of each .. pgproof: line copied the rest of the file)
    Hostile("macros", "m.tex",
            lambda: "".join(f"\\newcommand{{\\m{_letters(i)}}}{{x}}\n"
                            for i in range(50_000)) + f"\\[{GOOD}\\]\n",
            rf"{MAX_MACROS + 1}:1: more than {MAX_MACROS} macros are defined \(the limit\)"),
    # killed at 71 s (an error for each definition past 500, collected in O(n²))
    Hostile("macro_redefinitions", "m.tex",
            lambda: "\\newcommand{\\m}{x}\n" + "\\renewcommand{\\m}{x}\n" * 80_000
            + f"\\[{GOOD}\\]\n",
            rf"{MAX_DEFINITIONS + 1}:1: more than {_limit(MAX_DEFINITIONS)} macro definitions "
            r"\(the limit\)"),  # 1.5 s, exit 0 (no limit)
    # killed at 62 s (each unclosed body a scan to the end of the display)
    Hostile("macro_definitions_in_a_display", "m.md",
            lambda: "$$" + GOOD + "\\newcommand{\\a}{" * 100_000 + "$$\n",
            rf"1:\d+: more than {_limit(MAX_DEFINITIONS)} macro definitions \(the limit\)"),
    Hostile("toml_steps", "s.pgproof.toml",
            lambda: HEADER + f"[[step]]\n{GOOD_TOML}" * 5000,
            rf"{2 * MAX_STEPS + 3}: more than {MAX_STEPS} steps \(the limit\)"),  # 45 s
    # ---- macro substitution bounded while it builds the text ------------------------------
    Hostile("macro_repeating_a_long_argument", "m.tex",
            lambda: "\\newcommand{\\m}[1]{" + "#1" * 999 + "}\n\\[" + GOOD + " + \\m{"
            + "x" * 180_000 + "}\\]\n",
            rf"2:\d+: the expansion of the macros here is longer than {_limit(MAX_OUTPUT)} "
            "characters"),  # 15.5 s and 4.4 GB
    # ---- linear scans ---------------------------------------------------------------------
    Hostile("integrals_5000", "g.md",
            lambda: "$$J(\\theta) = " + " ".join(["\\int_\\tau p_\\theta(\\tau)"] * 5000) + "$$\n",
            r"1:3: the formula is too long"),  # killed at 71 s (28 s in the issue)
    Hostile("integrals_5000_sides", "g.md",
            lambda: "$$J(\\theta) = " + " = ".join(["\\int_\\tau p_\\theta(\\tau)"] * 5000)
            + "$$\n", r"1:3: the formula is too long"),  # 56.6 s
    Hostile("fixed_subscripts_20000", "g.md",
            lambda: "$$\\rho_0(s_0) = 1$$\n$$J(\\theta) = " + " ".join(["\\rho_0"] * 20_000)
            + "$$\n", r"2:3: the formula is too long"),  # 8.0 s
    Hostile("inline_formulas_in_one_paragraph", "i.md",
            lambda: f"$${GOOD}$$\n\n" + " ".join(["$x$"] * (MAX_INLINE - 1)) + "\n",
            r"1 of 1 derivations as expected", status=0),
    Hostile("inline_parentheses_never_closed", "i.md",
            lambda: f"$${GOOD}$$\n\n" + "\\( " * 200_000 + "\n",
            r"1 of 1 derivations as expected", status=0),  # 49.8 s
    Hostile("html_comments_never_closed", "c.md",
            lambda: f"$${GOOD}$$\n\n" + "<!-- " * 200_000 + "\n",
            r"1 of 1 derivations as expected", status=0),  # killed at 71 s
    Hostile("text_groups_never_closed", "t.md",
            lambda: "$$" + GOOD + " \\text{" * 100_000 + "$$\n",
            r"1:3: the formula is too long"),  # killed at 71 s
    Hostile("intertext_never_closed", "t.tex",
            lambda: "\\begin{align}" + GOOD + " \\intertext{" * 100_000 + "\\end{align}\n",
            r"1:14: the formula is too long"),  # killed at 71 s
    # ---- the JSON nesting check over long strings -----------------------------------------
    Hostile("notebook_string_15_megabytes", "s.ipynb",
            lambda: _notebook([_markdown(f"$${GOOD}$$"), {"cell_type": "code", "metadata": {},
                               "source": "x" * 15_000_000, "outputs": [],
                               "execution_count": 1}]),
            r"1 of 1 derivations as expected", status=0),  # 1.8 GB
    Hostile("mdp_string_15_megabytes", "big.json",
            lambda: json.dumps({**MDP, "note": "x" * 15_000_000}),
            r" unknown key\(s\) 'note'", command="verify --mdp"),  # 1.8 GB
    # ---- nesting and digits on every parse path (exit 70, or no line, before) -----------
    Hostile("directive_nested", "d.tex",
            lambda: f"\\[{GOOD} % pgproof: by = " + "[" * 100_000 + "]" * 100_000 + "\n\\]\n",
            r"1:\d+: cannot read the % pgproof: comment: arrays or tables nest 100,001 deep "
            r"\(the limit is 32\)"),
    Hostile("directive_digits", "d.tex",
            lambda: f"\\[{GOOD} % pgproof: from = " + "9" * 5000 + "\n\\]\n",
            rf"1:\d+: cannot read the % pgproof: comment: an integer of 5,000 digits \(the "
            rf"limit is {_limit(MAX_DIGITS)}\)"),
    Hostile("front_matter_nested", "f.md",
            lambda: "---\ntitle: " + "[" * 100_000 + "]" * 100_000 + f"\n---\n$${GOOD}$$\n",
            r"2:8: title: arrays or tables nest 100,000 deep \(the limit is 32\)"),
    Hostile("front_matter_digits", "f.md",
            lambda: "---\nfirst_index: " + "9" * 5000 + f"\n---\n$${GOOD}$$\n",
            r"2:14: first_index: an integer of 5,000 digits"),
    Hostile("notebook_nested", "n.ipynb",
            lambda: _notebook([_markdown(f"$${GOOD}$$")], "[\n" * 40 + "]" * 40),
            r"34: arrays or objects nest 41 deep \(the limit is 32\): not a notebook"),
    Hostile("notebook_digits", "n.ipynb",
            lambda: _notebook([_markdown(f"$${GOOD}$$")], '{"n":\n' + "9" * 5000 + "}"),
            r"4: an integer of 5,000 digits \(the limit is 4,000\): not a notebook"),
    Hostile("toml_digits", "k.pgproof.toml",
            lambda: HEADER + "[expect]\nrule = 'r'\ncondition = 'c'\nrejected_at = "
            + "9" * 5000 + f"\n[[step]]\n{GOOD_TOML}",
            r"6: an integer of 5,000 digits \(the limit is 4,000\)"),
    Hostile("toml_digits_with_underscores", "k.pgproof.toml",
            lambda: HEADER + "notes = 1" + "_000" * 1500 + f"\n[[step]]\n{GOOD_TOML}",
            r"3: an integer of 4,501 digits"),
]  # fmt: skip

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"


def _letters(i: int) -> str:
    """A macro name's letters for number ``i`` (a macro name has no digits)."""
    return "".join(chr(97 + (i // 26**k) % 26) for k in range(4))


def _run(case: Hostile, folder: Path) -> tuple[Outcome, float]:
    """Run one case in ``folder``/scratch: its outcome and the child's CPU seconds."""
    scratch = folder / "scratch"
    scratch.mkdir()
    content = case.make()
    path = scratch / case.file
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    cpu_file = folder / "cpu.txt"
    args = [*case.command.split(), case.file]
    command = [sys.executable, "-c", CPU_WRAPPER, str(cpu_file), *args]
    outcome = run(args, scratch, command=command, wall_seconds=HANG_SECONDS)
    path.unlink()  # the canary stays: nothing else may be written
    cpu = float(cpu_file.read_text()) if cpu_file.exists() else float("inf")
    return outcome, cpu


def _selected(request: pytest.FixtureRequest, test: str) -> list[str]:
    return [
        item.callspec.params["name"]
        for item in request.session.items
        if item.path == Path(__file__) and getattr(item, "originalname", "") == test
        and hasattr(item, "callspec")
    ]  # fmt: skip


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Outcome, float]]:
    """Every selected case run, two at a time (two cores), before any is asserted."""
    names = _selected(request, "test_hostile_reading")
    folders = {name: tmp_path_factory.mktemp(f"round3-{name}") for name in names}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run, BY_NAME[name], folders[name]) for name in names}
        return {name: future.result() for name, future in futures.items()}


def _describe(case: Hostile, outcome: Outcome, cpu: float) -> str:
    return (
        f"{case.name}: pgproof {case.command} {case.file}\n  exit {outcome.status}, "
        f"{cpu:.2f} s CPU, {outcome.seconds:.2f} s, {outcome.max_rss_bytes / 2**20:.0f} MB"
        f"{', KILLED' if outcome.killed else ''}\n  stderr: {outcome.stderr[-1500:]!r}\n"
        f"  stdout: {outcome.stdout[-600:]!r}"
    )


def _assert_bounded(case: Hostile, outcome: Outcome, cpu: float) -> str:
    about = _describe(case, outcome, cpu)
    assert not outcome.killed, about
    assert cpu <= CPU_SECONDS, about
    assert outcome.max_rss_bytes < MEMORY_BYTES, about
    for stream in (outcome.stdout, outcome.stderr):
        assert "Traceback" not in stream and "internal error" not in stream, about
    assert outcome.changes == [], f"the scratch folder changed: {outcome.changes}\n{about}"
    return about


@pytest.mark.parametrize("name", [pytest.param(c.name, id=c.name) for c in CASES])
def test_hostile_reading(name: str, outcomes: dict[str, tuple[Outcome, float]]) -> None:
    case = BY_NAME[name]
    outcome, cpu = outcomes[name]
    about = _assert_bounded(case, outcome, cpu)
    assert outcome.status == case.status, about
    if case.status == 2:
        (line,) = outcome.stderr_lines
        assert re.search(re.escape(f"{case.file}:") + case.problem, line), about
    else:
        assert outcome.stderr_lines == [], about
        assert re.search(case.problem, outcome.stdout), about


# --------------------------------------------------------------------------- many errors

ERROR_CASES = [
    # 5,000 bad labels in one row: one error each (distinct columns); 10.9 s
    Hostile("bad_labels", "l.md", lambda: "$$" + GOOD + "\\label{1}" * 5000 + "$$\n",
            r"1:\d+: 1 cannot be a label"),
    # 50,000 unknown keys: their lines were looked for in O(n²); killed at 71 s
    Hostile("unknown_toml_keys", "k.pgproof.toml",
            lambda: HEADER + "".join(f"key{i} = 1\n" for i in range(50_000))
            + f"[[step]]\n{GOOD_TOML}",
            r"\d+: unknown key 'key\d+'"),
    # 90,000 definitions never closed: each was a scan to the end of the file; killed at 66 s
    Hostile("definitions_never_closed", "m.tex",
            lambda: "\\newcommand{\\a}[1][" * 90_000 + f"\n\\[{GOOD}\\]\n",
            r"1:\d+: the default argument of \\a is longer than 2,000 characters"),
]  # fmt: skip


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_thousands_of_errors_stop_the_reading(case: Hostile, tmp_path: Path) -> None:
    """Past MAX_ERRORS errors the reading stops: the first ErrorList.LIMIT are shown, one
    line each with the file and the line, and a last line says why the rest are not."""
    outcome, cpu = _run(case, tmp_path)
    about = _assert_bounded(case, outcome, cpu)
    assert outcome.status == 2, about
    lines = outcome.stderr_lines
    assert len(lines) == ErrorList.LIMIT + 1, about
    for line in lines[:-1]:
        assert re.search(re.escape(f"{case.file}:") + case.problem, line), about
    shown = MAX_ERRORS - ErrorList.LIMIT
    assert lines[-1].endswith(
        f"{case.file}: … and {shown} more error(s) not shown; pgproof stopped reading the "
        f"file after {MAX_ERRORS:,} errors (the limit)"
    ), about


def test_thousands_of_unknown_labels_get_few_suggestions(tmp_path: Path) -> None:
    """499 steps whose from and using name unknown labels, among 499 long labels: a
    difflib search for each took 10 s; the first MAX_SUGGESTIONS get one."""
    tail = "x" * 40
    steps = "".join(
        f"[[step]]\n{GOOD_TOML}label = 'a-long-label-of-step-{i:05d}-{tail}'\n"
        f"from = 'an-unknown-label-{i:05d}-{tail}'\nusing = 'another-unknown-label-{i:05d}'\n"
        for i in range(499)
    )
    case = Hostile("labels", "k.pgproof.toml", lambda: HEADER + steps, "")
    outcome, cpu = _run(case, tmp_path)
    about = _assert_bounded(case, outcome, cpu)
    assert outcome.status == 2, about
    lines = outcome.stderr_lines
    assert len(lines) == ErrorList.LIMIT + 1 and "more error(s) not shown" in lines[-1], about
    suggested = [line for line in lines if "(did you mean" in line]
    assert 0 < len(suggested) <= MAX_SUGGESTIONS, about
    assert all("no step is labelled" in line for line in lines[:-1]), about


# --------------------------------------------------------------------------- CRLF twins

TWINS = {
    "front_matter.md": (
        '---\ntitle: "A title"\npgproof:\n  horizon: T\n  first_index: 1\n---\n\n# Heading\n\n'
        f"Some $p_\\theta(\\tau)$ prose.\n\n$${GOOD}$$\n\n"
        "$$= \\int p_\\theta(\\tau) r(\\tau) d\\tau \\quad \\text{(integral)}$$\n"
    ),
    "directives.tex": (
        '% pgproof:\n%   title = "t"\n%   horizon = "T"\n\\begin{align}\n'
        f'{GOOD} \\\\ % pgproof: label = "obj"\n'
        '% pgproof: by = "expectation_to_integral"\n'
        "&= \\int p_\\theta(\\tau)\n   r(\\tau) d\\tau \\label{b}\n\\end{align}\n"
    ),
    "block.rst": (
        'Title\n=====\n\n.. pgproof:\n   horizon = "T"\n   first_index = 1\n\n.. math::\n'
        f"   :label: one\n\n   {GOOD}\n\n.. math::\n\n   = \\int p_\\theta(\\tau) r(\\tau) d\\tau\n"
    ),
    "errors.md": (
        '---\ntitle: "t"\nhorizon: ' + "[" * 34 + "T" + "]" * 34 + "\n"
        f"---\n$${GOOD} % pgproof: by = 'log trick'\n$$\n\n"
        "\\begin{align}\nJ(\\theta) &= \\nabal J \\\\\n&= 1\n\\end{align}\n"
    ),
}


def _reading(path: Path) -> list[tuple]:
    """What the reader makes of ``path``: every step's fields, or every error."""
    try:
        d = load_derivation(path)
    except DerivationFileError as exc:
        return [(e.line, e.column, e.step, e.message) for e in getattr(exc, "errors", [exc])]
    out: list[tuple] = [(d.title, d.source, d.unfinished, d.notes, d.notation)]
    for s in d.steps:
        out.append((s.line, s.latex, s.lhs, s.rhs, s.rules, s.source, s.reference, s.terms,
                    s.factor, s.note, s.readings))  # fmt: skip
    return out


def _twins(tmp_path: Path, name: str, raw: bytes) -> dict[str, Path]:
    """The LF file and its CRLF and CR twins, under the same name in three folders."""
    paths = {}
    for ending in ("\n", "\r\n", "\r"):
        folder = tmp_path / {"\n": "lf", "\r\n": "crlf", "\r": "cr"}[ending]
        folder.mkdir(exist_ok=True)
        paths[ending] = folder / name
        paths[ending].write_bytes(raw.replace(b"\n", ending.encode()))
    return paths


@pytest.mark.parametrize("name", sorted(TWINS))
def test_crlf_and_cr_twins_read_as_the_lf_file(tmp_path: Path, name: str) -> None:
    paths = _twins(tmp_path, name, TWINS[name].encode())
    lf = _reading(paths["\n"])
    assert len(lf) > 1
    assert _reading(paths["\r\n"]) == lf
    assert _reading(paths["\r"]) == lf


def test_the_twins_errors_name_the_same_lines_and_columns(tmp_path: Path) -> None:
    found = _reading(_twins(tmp_path, "errors.md", TWINS["errors.md"].encode())["\r\n"])
    where = [(line, column, message.split(" (")[0].split(":")[0]) for line, column, _, message
             in found]  # fmt: skip
    assert where == [
        (3, 10, "horizon"),
        (5, 64, "unknown rule 'log trick'"),
        (9, 14, "\\nabal is not a command pgproof knows"),
    ]


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir()))
def test_crlf_twins_of_the_document_fixtures(tmp_path: Path, fixture: str) -> None:
    paths = _twins(tmp_path, fixture, (FIXTURES / fixture).read_bytes())
    lf = _reading(paths["\n"])
    assert _reading(paths["\r\n"]) == lf
    assert _reading(paths["\r"]) == lf


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "derivations").glob("*.pgproof.toml"))
)
def test_crlf_twins_of_the_bundled_derivations(tmp_path: Path, name: str) -> None:
    paths = _twins(tmp_path, name, (ROOT / "derivations" / name).read_bytes())
    assert _reading(paths["\r\n"]) == _reading(paths["\n"])


@pytest.mark.parametrize("name", ["000_deriving_policy_gradient.md", "cs285_notes.tex"])
def test_crlf_twins_get_the_same_verdict(tmp_path: Path, capsys, name: str) -> None:
    from pgproof.cli import main

    paths = _twins(tmp_path, name, (FIXTURES / name).read_bytes())
    reports = {}
    for ending in ("\n", "\r\n"):
        status = main(["check", "--json", str(paths[ending])])
        out = capsys.readouterr().out.replace(str(paths[ending].parent), "FOLDER")
        reports[ending] = (status, out)
    assert reports["\n"][0] in (0, 1, 3) and '"steps"' in reports["\n"][1]
    assert reports["\r\n"] == reports["\n"]


# --------------------------------------------------------------------------- unit tests


def test_the_error_list_keeps_each_error_once_and_stops_past_the_limit() -> None:
    errors = ErrorList("f.md")
    for n in range(MAX_ERRORS):
        errors.add(f"error {n}", n + 1)
        errors.add(f"error {n}", n + 1)  # the same again: not kept
    assert len(errors) == MAX_ERRORS
    errors.add("error 0", 1)  # seen: still no stop
    with pytest.raises(TooManyErrors):
        errors.add("one more", 1)
    with pytest.raises(DerivationFileError) as info:
        errors.raise_if_any()
    shown = info.value.errors
    assert len(shown) == ErrorList.LIMIT + 1
    assert "stopped reading the file after 1,000 errors (the limit)" in shown[-1].message


def test_reading_turns_too_many_errors_into_the_collected_ones() -> None:
    errors = ErrorList("f.md")
    with pytest.raises(DerivationFileError) as info, errors.reading():
        for n in range(2 * MAX_ERRORS):
            errors.add(f"error {n}", n + 1)
    assert [e.line for e in info.value.errors[:3]] == [1, 2, 3]


def test_suggestions_have_a_budget_per_file() -> None:
    known = {"horizon", "first_index", "density"}
    assert close_matches("horizn", known) == ["horizon"]  # no budget: always
    with suggestion_budget():
        found = [close_matches("horizn", known) for _ in range(MAX_SUGGESTIONS + 5)]
    assert found == [["horizon"]] * MAX_SUGGESTIONS + [[]] * 5
    with suggestion_budget():
        assert close_matches("horizon" * 20, known | {"horizon" * 20 + "x"}) == []


def test_brace_groups_end_where_group_end_says() -> None:
    rng = np.random.default_rng(19)
    for _ in range(3000):
        text = "".join(rng.choice(list("{}\\ab"), size=int(rng.integers(1, 30))))
        groups = Groups(text)
        for pos in (k for k, ch in enumerate(text) if ch == "{"):
            assert groups.end(pos) == group_end(text, pos), (text, pos)


def _random_json(rng: np.random.Generator, depth: int = 0) -> object:
    if depth > 6 or rng.random() < 0.3:
        return [1, "a[b", '"]{', "\\[", "x\\\\", 2.5, None, '\\"[['][int(rng.integers(8))]
    if rng.random() < 0.5:
        return [_random_json(rng, depth + 1) for _ in range(int(rng.integers(4)))]
    return {f"k{n}[": _random_json(rng, depth + 1) for n in range(int(rng.integers(4)))}


def _nesting(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    return 0


def _first_line_deeper_than(text: str, limit: int) -> int:
    """The line where JSON ``text`` first nests deeper than ``limit``, by a plain scan."""
    depth, inside, escaped, line = 0, False, False, 1
    for ch in text:
        line += ch == "\n"
        if inside:
            escaped, inside = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            inside = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth -= 1
    return 1


def test_the_json_nesting_scan_ignores_brackets_in_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pgproof.files.read as read

    rng = np.random.default_rng(5)
    for chunk in (3, 1 << 16):  # strings and escapes across the scan's chunks, or not
        monkeypatch.setattr(read, "_CHUNK", chunk)
        for _ in range(500):
            value = _random_json(rng)
            text = json.dumps(value, indent=1 if rng.random() < 0.5 else None)
            assert json_depth(text.encode()) == _nesting(value), text
            for limit in (0, 1, 2, 3):
                assert json_nesting_line(text.encode(), limit) == _first_line_deeper_than(
                    text, limit
                ), (text, limit)
