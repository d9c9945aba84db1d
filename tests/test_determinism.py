"""Same input, same verdict (issue 19, item 2): on an idle machine and on a loaded one.

The bundled derivations (``pgproof check`` in the repository, which reads derivations/;
also ``--numeric`` for the three seeds) and the document fixtures (tests/documents/fixtures,
the reST one with its macro preamble) are checked with ``--json`` twice: once one run after
the other, as they come, and once all runs at the same time while four busy-loop processes
(``while True: pass``) compete with them for the cores, and with BLAS, OpenMP and numba
held to one thread.
Everything the reports say must be identical: per derivation its verdict and whether it
is as expected, per step its status, its rule(s), its reason and failures (the refused
step and the message), and the exit status; only keys that measure time (none today)
are left out.  The busy loops are killed in a ``finally`` block.

A verdict that depends on a wall-clock budget fails here, with the steps that differed
listed first.  That the machine really was loaded is checked too: the busy loops used at
least as much CPU time as the checks they competed with (from 4/3 to 4 times as much,
while seven to five processes share the cores).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.hostile.runner import base_environment

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path("tests") / "documents" / "fixtures"
DOCUMENTS = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / FIXTURES).iterdir()
    if p.suffix in (".md", ".tex", ".rst", ".ipynb") and not p.stem.endswith("_macros")
)
#: documents that need a preamble of macros, and that preamble
PREAMBLES = {str(FIXTURES / "spinning_up.rst"): str(FIXTURES / "spinning_up_macros.tex")}

#: the seeds' derivations, checked numerically as well
SEEDS = [
    str(p.relative_to(ROOT)) for p in sorted((ROOT / "derivations").glob("00[0-2]_*.pgproof.toml"))
]
#: what is checked: the bundled derivations, then the documents (those with a preamble
#: each on its own, with it)
RUNS: list[list[str]] = [
    ["check", "--json"],
    ["check", "--json", *(d for d in DOCUMENTS if d not in PREAMBLES)],
    *(["check", "--json", "--preamble", p, d] for d, p in PREAMBLES.items()),
    # and the numeric check of the seeds: its verdicts, witnesses and bias tests too
    ["check", "--json", "--numeric", *SEEDS],
]

#: the exit statuses of `check` that carry a report: every verdict as expected, one not,
#: one undecided (2, unusable input, and 70, a pgproof bug, fail the test at once)
VERDICT_STATUSES = (0, 1, 3)
BUSY_LOOPS = 4
#: thread counts pinned in the loaded run (the idle run keeps the libraries' defaults)
ONE_THREAD = {
    name: "1"
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
}
#: a key whose value measures time, left out of the comparison
TIMING_WORDS = ("seconds", "elapsed", "duration", "wall", "time_ms")

#: far more than a run needs (about 10 s of CPU for all of them): a hang guard only
HANG_SECONDS = 300


@dataclass
class Run:
    """One ``pgproof`` process: its exit status and its JSON report."""

    status: int
    report: dict[str, Any]


def _checks(env: dict[str, str], *, together: bool) -> tuple[list[Run], float]:
    """Every run of :data:`RUNS`, one after the other or all at once, and the CPU time
    they used (that of the children reaped meanwhile: the busy loops are reaped last)."""
    before = os.times()
    with contextlib.ExitStack() as files:
        started = []
        for args in RUNS:
            out, err = (files.enter_context(tempfile.TemporaryFile()) for _ in range(2))
            command = [sys.executable, "-m", "pgproof", *args]
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            started.append((args, process, out, err))
            if not together:
                _wait(args, process)
        runs = []
        for args, process, out, err in started:
            _wait(args, process)
            out.seek(0)
            err.seek(0)
            errors = err.read().decode("utf-8")[-2000:]
            status = process.returncode
            assert status in VERDICT_STATUSES, f"pgproof {' '.join(args)}: exit {status}: {errors}"
            runs.append(Run(process.returncode, json.loads(out.read().decode("utf-8"))))
    after = os.times()
    cpu = after.children_user - before.children_user
    return runs, cpu + after.children_system - before.children_system


def _wait(args: list[str], process: subprocess.Popen) -> None:
    try:
        process.wait(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"pgproof {' '.join(args)} did not end in {HANG_SECONDS} s") from None


def _without_timing(value: Any) -> Any:
    """``value`` without the keys that measure time, at any depth."""
    if isinstance(value, dict):
        return {
            k: _without_timing(v)
            for k, v in value.items()
            if not any(word in k.lower() for word in TIMING_WORDS)
        }
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


#: what a verdict is made of, per derivation and per step
DERIVATION_KEYS = ("verdict", "as_expected")
STEP_KEYS = ("status", "rule", "rules", "inferred", "reason", "failures")


def _differences(idle: list[Run], loaded: list[Run]) -> list[str]:
    """The verdicts that differ, one line each (file, step, what, idle → loaded)."""
    lines = []
    for args, a, b in zip(RUNS, idle, loaded, strict=True):
        command = " ".join(args)
        if a.status != b.status:
            lines.append(f"{command}: exit status {a.status} idle, {b.status} loaded")
        if a.report.get("errors") != b.report.get("errors"):
            lines.append(f"{command}: errors {a.report.get('errors')} → {b.report.get('errors')}")
        ours = {d["file"]: d for d in a.report["derivations"]}
        theirs = {d["file"]: d for d in b.report["derivations"]}
        for file in sorted(set(ours) | set(theirs)):
            if file not in ours or file not in theirs:
                lines.append(f"{file}: checked in only one of the two runs")
                continue
            x, y = ours[file], theirs[file]
            lines.extend(
                f"{file}: {key} {x.get(key)!r} idle, {y.get(key)!r} loaded"
                for key in DERIVATION_KEYS
                if x.get(key) != y.get(key)
            )
            steps = {s["index"]: s for s in x["steps"]}
            other = {s["index"]: s for s in y["steps"]}
            if set(steps) != set(other):
                lines.append(f"{file}: steps {sorted(steps)} idle, {sorted(other)} loaded")
            for index in sorted(set(steps) & set(other)):
                lines.extend(
                    f"{file}: step {index}: {key} {steps[index].get(key)!r} idle, "
                    f"{other[index].get(key)!r} loaded"
                    for key in STEP_KEYS
                    if steps[index].get(key) != other[index].get(key)
                )
    return lines


def _cpu_seconds_of(process: subprocess.Popen) -> float:
    """Kill ``process`` (a busy loop this test started) and return the CPU time it used."""
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def test_verdicts_are_the_same_on_an_idle_and_on_a_loaded_machine() -> None:
    env = {k: v for k, v in base_environment().items() if k not in ONE_THREAD}
    idle, _ = _checks(env, together=False)
    assert len(idle[0].report["derivations"]) >= 30  # the bundled derivations
    read = {d["file"] for run in idle[1:] for d in run.report["derivations"]}
    assert set(DOCUMENTS) <= read  # and every document
    loops: list[subprocess.Popen] = []
    busy_cpu = 0.0
    try:
        for _ in range(BUSY_LOOPS):
            loops.append(
                subprocess.Popen(
                    [sys.executable, "-c", "while True: pass"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        loaded, checking_cpu = _checks({**env, **ONE_THREAD}, together=True)
        assert all(loop.poll() is None for loop in loops), "a busy loop ended early"
    finally:
        for loop in loops:
            if loop.returncode is None:
                busy_cpu += _cpu_seconds_of(loop)
    assert busy_cpu >= checking_cpu, (
        f"the machine was not loaded: the busy loops used {busy_cpu:.1f} s of CPU, the "
        f"checks {checking_cpu:.1f} s"
    )
    differences = _differences(idle, loaded)
    assert differences == [], "verdicts differ under load:\n" + "\n".join(differences)
    for a, b in zip(idle, loaded, strict=True):  # and everything else the reports say
        assert _without_timing(a.report) == _without_timing(b.report)


def test_a_verdict_that_differs_is_named_with_its_file_and_step() -> None:
    """The comparison itself: a step refused in one run only, and a timing key."""

    def report(status: str, reason: str, seconds: float) -> dict[str, Any]:
        step = {"index": 13, "status": status, "reason": reason, "rule": "", "seconds": seconds}
        derivation = {"file": "d.md", "verdict": status, "as_expected": True, "steps": [step]}
        return {"derivations": [derivation], "errors": []}

    idle = [Run(0, report("accepted", "", 0.5))] * len(RUNS)
    loaded = [Run(0, report("accepted", "", 2.5))] * len(RUNS)
    assert _differences(idle, loaded) == []
    assert _without_timing(idle[0].report) == _without_timing(loaded[0].report)
    refused = [Run(1, report("refused", "could not be decided within 3 s", 3.0))] * len(RUNS)
    found = _differences(idle, refused)
    assert f"{' '.join(RUNS[0])}: exit status 0 idle, 1 loaded" in found
    assert "d.md: verdict 'accepted' idle, 'refused' loaded" in found
    assert "d.md: step 13: status 'accepted' idle, 'refused' loaded" in found
    assert "d.md: step 13: reason '' idle, 'could not be decided within 3 s' loaded" in found
