"""Budgets: a piece of work that runs past its budget is stopped, never left to hang.

Two kinds, for two jobs:

* a **work budget** (:func:`work_budget`) decides verdicts.  It counts units of work that
  pgproof's own code performs — a node visited by a bottom-up traversal, a rule tried at a
  position, a candidate produced, a term an expansion would make — charged with
  :func:`charge`.  The count depends only on the input, never on the clock, the machine's
  load or the number of threads, so the same input stops at the same place with the same
  message everywhere.  When a step's budget is spent the step is **undecided** (shown
  ``?``), never refused: running out says nothing about the step's truth.
* a **time budget** (:func:`time_budget`) is only a last-resort safety net, for the one
  thing a count cannot bound: a single SymPy call that runs away.  SymPy offers no way to
  stop a computation from outside, so it is an interval timer (``signal.setitimer``); when
  it fires, :class:`BudgetExceeded` is raised wherever the computation is, and that step
  too is undecided.  Signals reach only the main thread: elsewhere the time budget is not
  enforced, and the work budget and the size limits (:data:`MAX_RANGE`, the parsers')
  bound the work.

Budgets of either kind nest: an inner budget never extends an outer one.  Their
exceptions, and :class:`SizeLimit` (a size limit that a larger budget would not lift),
are :class:`Undecided`, which derives from :class:`BaseException`, like
``KeyboardInterrupt``, so that no ``except Exception`` of a rule can swallow them.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pgproof.kernel.work import (
    SizeLimit,
    Undecided,
    WorkBudget,
    WorkExhausted,
    charge,
    spent_by,
    work_budget,
    work_spent,
)

#: default work budget of one step of the symbolic checker, in units of work (see the
#: module docstring).  The bundled derivations and document fixtures need at most a few
#: per cent of it per step (``benchmarks/bench_startup.py`` prints the largest); a
#: search that finds nothing stops on its own, smaller, budget (``inference``)
STEP_WORK = 2_000_000
#: the safety net of one step, in seconds of wall-clock time: far above what any step
#: needs on a loaded machine (the slowest bundled step takes about 0.5 s idle)
STEP_SECONDS = 120.0
#: the safety net of a whole derivation, in seconds: the steps after it is spent are not
#: checked (undecided)
DERIVATION_SECONDS = 1800.0
#: the longest concrete range Σ_{t=a}^{b} / ∏ that is expanded term by term (symbolically
#: in algebra, numerically in the evaluator); longer ones stay opaque or are not evaluated
MAX_RANGE = 10_000


__all__ = [
    "BudgetExceeded",
    "DERIVATION_SECONDS",
    "MAX_RANGE",
    "STEP_SECONDS",
    "STEP_WORK",
    "SizeLimit",
    "Undecided",
    "WorkBudget",
    "WorkExhausted",
    "charge",
    "spent_by",
    "time_budget",
    "work_budget",
    "work_spent",
]


class BudgetExceeded(Undecided):
    """The work did not finish within its time budget (the safety net)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"could not be decided within {seconds:g} s (the safety net)")
        self.seconds = seconds


# --------------------------------------------------------------------------- safety net

_deadlines: list[float] = []  # the active time budgets' deadlines (monotonic), innermost last
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
    """Run the block within ``seconds`` of wall-clock time (None or inf: no budget of its
    own).  A safety net only: nothing that decides a verdict may rest on it."""
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
