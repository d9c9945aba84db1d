"""Every hostile case runs as a subprocess under limits (see runner.py and cases.py).

Asserted for each case: the expected exit status (2 unless the case says otherwise); one
clear line on stderr naming the file (or option) and the problem, never a traceback nor
an "internal error"; at most 5 s of wall-clock time and 500 MB of memory; nothing written
in the scratch folder (which holds a canary file).  The cases run two at a time (two
cores), before the first of them is asserted.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .cases import CASES, FILES, Case, prepare
from .runner import MEMORY_BYTES, WALL_SECONDS, Outcome, run

BY_NAME = {case.name: case for case in CASES}


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case.name, id=case.name, marks=marks)


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Run the selected cases, two at a time; a dict from case name to Outcome."""
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if item.path == Path(__file__) and hasattr(item, "callspec")
        and "name" in item.callspec.params
    ]  # fmt: skip
    scratches = {}
    for name in selected:
        scratch = tmp_path_factory.mktemp(f"hostile-{name[:40]}")
        prepare(BY_NAME[name], scratch)
        scratches[name] = scratch
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(run, BY_NAME[name].args, scratches[name], BY_NAME[name].env)
            for name in selected
        }
        return {name: future.result() for name, future in futures.items()}


def _describe(case: Case, outcome: Outcome) -> str:
    return (
        f"{case.name}: pgproof {' '.join(case.args)}\n  exit {outcome.status}, "
        f"{outcome.seconds:.2f} s, {outcome.max_rss_bytes / 2**20:.0f} MB"
        f"{', KILLED' if outcome.killed else ''}\n  stderr: {outcome.stderr[-1500:]!r}\n"
        f"  stdout: {outcome.stdout[-800:]!r}"
    )


@pytest.mark.parametrize("name", [_param(case) for case in CASES])
def test_hostile_input(name: str, outcomes: dict[str, Outcome]) -> None:
    case, outcome = BY_NAME[name], outcomes[name]
    about = _describe(case, outcome)
    assert not outcome.killed and outcome.seconds <= WALL_SECONDS, about
    assert outcome.max_rss_bytes <= MEMORY_BYTES, about
    assert outcome.status in case.statuses, about
    for stream in (outcome.stdout, outcome.stderr):
        assert "Traceback" not in stream and "internal error" not in stream, about
        assert "\x1b" not in stream and "\r" not in stream, about  # shown, not obeyed
    assert "out of memory" not in outcome.stderr, about
    if outcome.status == 2:
        lines = outcome.stderr_lines
        assert len(lines) == 1, about
        assert re.search(case.problem, lines[0]), about
        assert case.named in lines[0], about
    else:  # nothing on stderr but notes (what pgproof read differently, e.g. --timeout)
        assert all(line.startswith("pgproof: note: ") for line in outcome.stderr_lines), about
        assert re.search(case.problem, outcome.stdout), about
    if case.env.get("PYTHONIOENCODING") == "ascii":
        (outcome.stdout + outcome.stderr).encode("ascii")
    assert outcome.changes == [], f"the scratch folder changed: {outcome.changes}\n{about}"


def test_every_fixture_file_is_used_by_a_case() -> None:
    used = {name for case in CASES for name in case.files}
    used |= {"density_style.pgproof.toml"}  # also copied under a hostile name
    assert {p.name for p in FILES.iterdir()} <= used


def test_the_pytest_plugin_does_not_hang_on_a_hostile_file(tmp_path: Path) -> None:
    """pytest with pgproof_timeout = 1 (its old name, read as 50,000 units of work) on a
    file that makes SymPy work for ever."""
    (tmp_path / "pytest.ini").write_text("[pytest]\npgproof_timeout = 1\n", encoding="utf-8")
    target = tmp_path / "budget_product_power.pgproof.toml"
    target.write_bytes((FILES / "budget_product_power.pgproof.toml").read_bytes())
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target.name]
    outcome = run([], tmp_path, command=command, wall_seconds=8)
    assert not outcome.killed and outcome.seconds <= 8, outcome.stdout[-2000:]
    assert "could not be decided within 50,000 units" in outcome.stdout, outcome.stdout[-2000:]
