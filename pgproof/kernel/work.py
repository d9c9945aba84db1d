"""Units of work: the one measure that decides when a computation is cut off.

A unit is charged (:func:`charge`) for each node a traversal visits, each rule tried at a
position, each candidate compared, each term an expansion would make.  The count depends
only on the input, never on the clock, the machine's load or the number of threads, so a
budget (:func:`work_budget`) stops the same input at the same place everywhere.  Running out
is :class:`Undecided` (derived from ``BaseException``, like ``KeyboardInterrupt``, so that no
``except Exception`` swallows it), never a refusal: it says nothing about a step's truth.
Budgets nest: an inner budget never extends an outer one.  The wall-clock safety net lives
outside the kernel (:mod:`pgproof.budget`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "SizeLimit",
    "Undecided",
    "WorkBudget",
    "WorkExhausted",
    "charge",
    "charge_each",
    "spent_by",
    "work_budget",
    "work_spent",
]


class Undecided(BaseException):
    """The work stopped before the step could be decided: a budget or a size limit."""


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


def charge_each(units: int) -> None:
    """Count ``units`` of work one at a time: exactly what ``units`` calls of
    :func:`charge` do (the same budget runs out at the same count), in one step while no
    budget runs out."""
    state = _state
    if state.spent + units <= state.tightest:
        state.spent += units
        return
    for _ in range(units):
        charge()


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
