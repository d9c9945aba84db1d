"""Hostile input, round 3, for ``pgproof verify``: scheduler addresses and long horizons.

Each case runs ``python -m pgproof verify …`` as a subprocess under the corpus's CPU,
memory and wall-clock limits (:func:`tests.hostile.runner.run`) and must end with exit
status 2 and one line on stderr that says what is wrong, with a peak resident memory below
500 MB.  The wall-clock limit is generous (a loaded machine must pass): a case only fails
on time when the process had to be killed.  Only 127.0.0.1 is ever connected to.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.hostile.runner import MEMORY_BYTES, run

#: wall-clock limit of a case (the runner kills the process group after this plus a grace)
WALL_SECONDS = 30.0
SMALL = ["verify", "--states", "2", "--actions", "2", "--horizon", "3"]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refused(args: list[str], tmp_path: Path) -> str:
    """Run the command; assert exit 2, one stderr line, no stdout, < 500 MB; return the line."""
    outcome = run(args, tmp_path, wall_seconds=WALL_SECONDS)
    assert not outcome.killed, outcome
    assert outcome.status == 2, (outcome.status, outcome.stderr)
    assert len(outcome.stderr_lines) == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr and outcome.stdout == ""
    assert outcome.max_rss_bytes < MEMORY_BYTES, outcome.max_rss_bytes
    assert outcome.changes == [], outcome.changes
    line = outcome.stderr_lines[0]
    assert line.startswith("pgproof verify: error: ")
    return line


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("tls://127.0.0.1:8786", r"tls:// needs certificates"),
        ("ucx://127.0.0.1:8786", r"ucx:// needs the UCX transport"),
        ("inproc://192.168.1.5/1234/1", r"inproc:// addresses exist only inside the process"),
        ("ws://127.0.0.1:8786", r"ws:// \(websocket\) schedulers are not supported"),
        ("127.0.0.1", r"is not an address"),
        ("tcp://127.0.0.1:70000", r"port 70000 is not in 1\.\.65535"),
    ],
)
def test_an_unusable_scheduler_address_is_refused_before_any_work(address, says, tmp_path):
    line = refused([*SMALL, "--scheduler", address], tmp_path)
    assert re.search(says, line), line
    assert "tcp://" in line  # says what is accepted


def test_a_scheduler_address_with_control_characters_is_escaped(tmp_path):
    line = refused([*SMALL, "--scheduler", "tls://evil\n\x1b[2Jverdict: ACCEPTED:1"], tmp_path)
    assert "\x1b" not in line and "\\n" in line and "\\x1b" in line


def test_a_closed_port_on_localhost_is_refused_at_once(tmp_path):
    port = closed_port()
    line = refused([*SMALL, "--scheduler", f"tcp://127.0.0.1:{port}"], tmp_path)
    assert f"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}'" in line
    assert re.search(r"[Rr]efused", line), line


@pytest.mark.parametrize(
    "extra",
    [
        ["--samples", "1000", "--estimator", "reinforce"],  # the old estimate: 2 minutes
        [],  # --samples auto, 4,000,000 at most
    ],
    ids=["1000 samples", "auto"],
)
def test_a_million_step_horizon_is_refused_with_its_estimate(extra, tmp_path):
    args = ["verify", "--states", "2", "--actions", "2", "--horizon", "1000000", *extra]
    line = refused(args, tmp_path)
    assert re.search(r"would take about [\d.]+ (h|days|min)", line), line
    assert "per-step overhead" in line and "--max-seconds" in line
