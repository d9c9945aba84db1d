"""Run one pgproof command as a hostile user would, under limits, and record what it did.

:func:`run` starts ``python -m pgproof ARGS`` in a scratch folder that holds a canary
file, with ``resource.setrlimit`` limits (address space, CPU time, file size, no core
dumps) and a wall-clock limit (the process group is killed when it is exceeded), and
returns the exit status, the output, the wall-clock time, the peak resident memory
(``os.wait4``'s rusage of that one child) and every change to the scratch folder.

Also a script: ``python -m tests.hostile.runner`` runs the corpus and prints a table.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

#: the limits every hostile case must stay within
WALL_SECONDS = 5.0
MEMORY_BYTES = 500 * 1024 * 1024
#: the process is killed this long after the wall-clock limit
GRACE_SECONDS = 1.0
CPU_SECONDS = 20
OUTPUT_BYTES = 20 * 1024 * 1024

CANARY_NAME = "canary.txt"
CANARY = "86753091235813213455"


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int
    killed: bool
    changes: list[str]

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def _limits() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_BYTES, OUTPUT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under ``folder`` (not following links) with its type, size and mtime."""
    out: dict[str, tuple] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            info = path.lstat()
            out[str(path.relative_to(folder))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return out


def changes(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    added = [f"+{p}" for p in sorted(set(after) - set(before))]
    removed = [f"-{p}" for p in sorted(set(before) - set(after))]
    changed = [f"~{p}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return added + removed + changed


def base_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGPROOF_", "PYTHONIO"))}
    env.update(PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra or {})
    return env


def run(
    args: list[str],
    scratch: Path,
    env: dict[str, str] | None = None,
    wall_seconds: float = WALL_SECONDS,
    command: list[str] | None = None,
) -> Outcome:
    """Run ``pgproof ARGS`` (or ``command``) in ``scratch`` under the limits."""
    (scratch / CANARY_NAME).write_text(CANARY + "\n", encoding="utf-8")
    before = snapshot(scratch)
    argv = command or [sys.executable, "-m", "pgproof", *args]
    with tempfile.TemporaryDirectory(prefix="pgproof-hostile-") as logs:
        out_path, err_path = Path(logs, "stdout"), Path(logs, "stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.monotonic()
            process = subprocess.Popen(
                argv,
                cwd=scratch,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=base_environment(env),
                preexec_fn=_limits,
                start_new_session=True,
            )
            killed = threading.Event()

            def kill() -> None:
                killed.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)

            timer = threading.Timer(wall_seconds + GRACE_SECONDS, kill)
            timer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                timer.cancel()
            seconds = time.monotonic() - start
            process.returncode = os.waitstatus_to_exitcode(status)
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
    return Outcome(
        status=process.returncode,
        stdout=stdout,
        stderr=stderr,
        seconds=seconds,
        max_rss_bytes=usage.ru_maxrss * 1024,  # kilobytes on Linux
        killed=killed.is_set(),
        changes=changes(before, snapshot(scratch)),
    )


def main() -> int:  # pragma: no cover - a manual tool
    from .cases import CASES, prepare

    print(f"{'case':36} {'exit':>4} {'s':>5} {'MB':>5}  first line of stderr")
    for case in CASES:
        with tempfile.TemporaryDirectory() as folder:
            scratch = Path(folder)
            prepare(case, scratch)
            outcome = run(case.args, scratch, case.env)
        first = outcome.stderr_lines[0] if outcome.stderr_lines else ""
        mb = outcome.max_rss_bytes / 2**20
        print(f"{case.name:36} {outcome.status:>4} {outcome.seconds:5.2f} {mb:5.0f}  {first[:110]}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
