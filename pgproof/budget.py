"""Time budgets: a piece of work that runs past its budget is stopped, never left to hang.

SymPy offers no way to stop a computation from outside, so the budget is an interval timer
(``signal.setitimer``): when it fires, :class:`BudgetExceeded` is raised wherever the
computation is, and the caller reports "could not be decided within N s".  Signals reach
only the main thread: elsewhere (a worker thread) the budget is not enforced, and the
size limits (:data:`MAX_RANGE`, the parser's limits) are what bound the work.

Budgets nest: an inner budget never extends an outer one.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: default budget of one step of the symbolic checker, in seconds (the bundled derivations'
#: slowest step takes about 0.1 s)
STEP_SECONDS = 3.0
#: default budget of a whole derivation: the steps after it is spent are not checked
DERIVATION_SECONDS = 60.0
#: the longest concrete range Σ_{t=a}^{b} / ∏ that is expanded term by term (symbolically
#: in algebra, numerically in the evaluator); longer ones stay opaque or are not evaluated
MAX_RANGE = 10_000


class BudgetExceeded(Exception):
    """The work did not finish within its time budget."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"could not be decided within {seconds:g} s")
        self.seconds = seconds


_deadlines: list[float] = []  # the active budgets' deadlines (monotonic), innermost last
_seconds: list[float] = []  # the budget each deadline came from, for the message


def _enforceable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


#: once due, the alarm fires again every REFIRE seconds until the block is left: Python
#: swallows an exception raised inside a garbage-collection callback (where the first alarm
#: may land), so one alarm alone could be lost and the block run on past its budget
REFIRE = 0.05


def _on_alarm(signum: int, frame: object) -> None:
    if _deadlines:
        raise BudgetExceeded(_seconds[-1])


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Run the block within ``seconds`` (None or inf: no budget of its own)."""
    if seconds is None or math.isinf(seconds) or not _enforceable():
        yield
        return
    if not seconds > 0:
        raise ValueError(f"a time budget must be positive, not {seconds!r}")
    now = time.monotonic()
    deadline = min([now + seconds, *_deadlines])
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append(deadline)
    _seconds.append(seconds if deadline == now + seconds else _seconds[-1])
    signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 1e-6), REFIRE)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _deadlines.pop()
        _seconds.pop()
        if _deadlines:  # re-arm the enclosing budget
            left = max(_deadlines[-1] - time.monotonic(), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, left, REFIRE)
        signal.signal(signal.SIGALRM, previous)
