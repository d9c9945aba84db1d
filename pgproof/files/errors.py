"""The one error type for unusable derivation files, and the collector of a file's errors.

* :class:`DerivationFileError` is one error, ``file:line:column: step k: what is wrong``;
  :class:`DerivationFileErrors` all the errors of a file, one per line;
* :class:`ErrorList` collects them while a file is read (each distinct error once, in
  constant time) and stops the reading, with :class:`TooManyErrors`, past
  :data:`MAX_ERRORS`: a file with thousands of errors is not a derivation;
* :func:`close_matches` is the ``did you mean …?`` search (difflib) of every reader, with
  a budget per file (:func:`suggestion_budget`): a file with thousands of unknown keys or
  labels gets suggestions for the first :data:`MAX_SUGGESTIONS` only, and a word longer
  than :data:`MAX_SUGGESTED_LENGTH` none.

Nothing here imports more than the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NoReturn

#: most distinct errors collected from one file; the reading stops at the next one
MAX_ERRORS = 1_000
#: most "did you mean" searches (difflib) made while one file is read
MAX_SUGGESTIONS = 20
#: longest word a suggestion is searched for (a longer one is no typo of a short name)
MAX_SUGGESTED_LENGTH = 100


class DerivationFileError(ValueError):
    """Unusable input: ``file:line:column: step k: what is wrong``."""

    def __init__(
        self,
        path: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        step: int | None = None,
    ) -> None:
        self.path, self.message = path, message
        self.line, self.column, self.step = line, column, step
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        step = f" step {self.step}:" if self.step is not None else ""
        return f"{where}:{step} {self.message}"


class DerivationFileErrors(DerivationFileError):
    """Every error found in one file (or more): ``errors`` in file order; ``str()`` is one
    line per error.  The attributes of the first error are this exception's own."""

    def __init__(self, errors: list[DerivationFileError]) -> None:
        if not errors:
            raise ValueError("no errors")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.path, first.message, first.line, first.column, first.step)

    def __str__(self) -> str:
        return "\n".join(DerivationFileError.__str__(e) for e in self.errors)


class TooManyErrors(Exception):
    """Raised by :meth:`ErrorList.append` past :data:`MAX_ERRORS`: the reader stops and
    reports what it has (:meth:`ErrorList.raise_if_any`).  Not a DerivationFileError, so
    that no reader's recovery (which catches those) swallows it."""


class ErrorList:
    """Collects the errors of one file, so that one run reports all of them."""

    #: errors shown per file (the rest are counted in a last line)
    LIMIT = 100

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[DerivationFileError] = []
        self.seen: set[str] = set()
        #: the reading stopped at :data:`MAX_ERRORS`
        self.stopped = False

    def add(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        step: int | None = None,
        path: str | None = None,
    ) -> DerivationFileError:
        error = DerivationFileError(path or self.path, message, line, column, step)
        self.append(error)
        return error

    def append(self, error: DerivationFileError) -> None:
        if isinstance(error, DerivationFileErrors):
            for e in error.errors:
                self.append(e)
            return
        text = str(error)
        if text in self.seen:
            return
        if len(self.errors) >= MAX_ERRORS:
            self.stopped = True
            raise TooManyErrors(self.path)
        self.seen.add(text)
        self.errors.append(error)

    def stop(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> NoReturn:
        """Add the error that ends the reading (a limit of the file is exceeded) and raise
        every error collected."""
        self.add(message, line, column, path=path)
        self.raise_if_any()
        raise AssertionError("unreachable: an error was just added")

    @contextmanager
    def reading(self) -> Iterator[ErrorList]:
        """The block that reads the file: suggestions within the file's budget, and the
        errors collected so far raised when there are too many."""
        with suggestion_budget():
            try:
                yield self
            except TooManyErrors:
                self.raise_if_any()
                raise

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def raise_if_any(self) -> None:
        """Raise the errors, in the order of the file (lines, then columns), if any."""
        if not self.errors:
            return
        ordered = sorted(
            self.errors,
            key=lambda e: (e.path == self.path, e.line or 0, e.column or 0),
        )
        if len(ordered) > self.LIMIT:
            more = len(ordered) - self.LIMIT
            stopped = (
                f"; pgproof stopped reading the file after {MAX_ERRORS:,} errors (the limit)"
                if self.stopped
                else ""
            )
            ordered = ordered[: self.LIMIT] + [
                DerivationFileError(self.path, f"… and {more} more error(s) not shown{stopped}")
            ]
        if len(ordered) == 1:
            raise ordered[0]
        raise DerivationFileErrors(ordered)


# --------------------------------------------------------------------------- suggestions

#: the searches left to the file being read (None: no budget, outside a reader)
_BUDGET: ContextVar[list[int] | None] = ContextVar("pgproof_suggestions", default=None)


@contextmanager
def suggestion_budget(limit: int = MAX_SUGGESTIONS) -> Iterator[None]:
    """Within this block, :func:`close_matches` searches at most ``limit`` times."""
    token = _BUDGET.set([limit])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def may_suggest(word: str) -> bool:
    """Whether a suggestion may be searched for ``word`` (and, if so, one search is spent)."""
    if len(word) > MAX_SUGGESTED_LENGTH:
        return False
    budget = _BUDGET.get()
    if budget is None:
        return True
    if budget[0] <= 0:
        return False
    budget[0] -= 1
    return True


def close_matches(word: str, known: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """``difflib.get_close_matches`` within the file's budget (none once it is spent, or for
    a word longer than :data:`MAX_SUGGESTED_LENGTH`); the known words in sorted order."""
    if not may_suggest(word):
        return []
    candidates = sorted(k for k in known if len(k) <= MAX_SUGGESTED_LENGTH)
    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
