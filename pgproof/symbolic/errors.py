"""Errors of a derivation that cannot be checked as written."""

from __future__ import annotations


class DerivationError(ValueError):
    """A derivation that cannot be checked as written (a bad reference, a missing lhs)."""

    def __init__(self, message: str, step: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.step = step
        self.line = line
