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


class Undecided(BaseException):
    """The work stopped before the step could be decided: a budget or a size limit."""


class BudgetExceeded(Undecided):
    """The work did not finish within its time budget (the safety net)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"could not be decided within {seconds:g} s (the safety net)")
        self.seconds = seconds


class SizeLimit(Undecided):
    """A size limit, not a budget, stopped the work (an expansion into more terms than
    pgproof lets SymPy make): a larger work budget would not decide it."""


class WorkExhausted(Undecided):
    """The work did not finish within its work budget (``budget`` is the one spent)."""

    def __init__(self, budget: WorkBudget) -> None:
        super().__init__(f"could not be decided within {budget.units:,} units of work")
        self.budget = budget


class WorkBudget:
    """One active work budget: ``units`` from the count at which it was opened."""

    __slots__ = ("units", "limit", "start")

    def __init__(self, units: int, start: int, limit: int) -> None:
        self.units = units
        self.start = start
        self.limit = limit  # the absolute count past which this budget is spent

    @property
    def spent(self) -> int:
        """Units charged since this budget was opened."""
        return _state.spent - self.start


class _State(threading.local):
    """The work count and the active budgets, per thread (a budget is the work of one
    computation, and threads do not share computations)."""

    def __init__(self) -> None:
        self.spent = 0
        self.budgets: list[WorkBudget] = []
        self.tightest = math.inf  # the smallest limit among the active budgets


_state = _State()


def charge(units: int = 1) -> None:
    """Count ``units`` of work; raise :class:`WorkExhausted` once a budget is spent.

    Where several budgets are spent at once, the outermost is named: the step ran out,
    not only the search inside it."""
    state = _state
    state.spent += units
    if state.spent > state.tightest:
        spent = next((b for b in state.budgets if state.spent > b.limit), None)
        if spent is None:  # a stale limit (an alarm interrupted a budget's closing)
            state.tightest = min((b.limit for b in state.budgets), default=math.inf)
            return
        raise WorkExhausted(spent)


def work_spent() -> int:
    """The units charged so far in this thread (to measure what a piece of work costs)."""
    return _state.spent


@contextmanager
def work_budget(units: int | None) -> Iterator[WorkBudget | None]:
    """Run the block within ``units`` of work (None: no budget of its own).

    Yields the budget, so that a caller can tell its own exhaustion from an enclosing
    one's: ``except WorkExhausted as e: if e.budget is not mine: raise``."""
    if units is None:
        yield None
        return
    if not (isinstance(units, int) and units > 0):
        raise ValueError(f"a work budget must be a positive whole number, not {units!r}")
    state = _state
    budget = WorkBudget(units, state.spent, state.spent + units)
    state.budgets.append(budget)
    state.tightest = min(state.tightest, budget.limit)
    try:
        yield budget
    finally:  # recomputed, not restored: an alarm landing here leaves nothing stale
        if budget in state.budgets:
            state.budgets.remove(budget)
        state.tightest = min((b.limit for b in state.budgets), default=math.inf)


def spent_by(exc: WorkExhausted, budget: WorkBudget | None) -> bool:
    """Whether ``exc`` is the exhaustion of ``budget`` itself (not of an enclosing one)."""
    return budget is not None and exc.budget is budget


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
