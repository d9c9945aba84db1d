"""A rule's refusal: which subterm, and which side condition failed, in words."""

from __future__ import annotations

from sympy import Basic


class Refusal(Exception):
    """Raised by a rule (or the canonical form) when a side condition fails.

    ``condition`` names the failed condition for machines (a derivation file's ``[expect]``
    matches it exactly); ``reason`` says it in words for people."""

    def __init__(
        self,
        subterm: Basic | None,
        reason: str,
        rule: str | None = None,
        *,
        condition: str,
    ) -> None:
        super().__init__(reason)
        self.subterm = subterm
        self.reason = reason
        self.rule = rule
        self.condition = condition

    def __str__(self) -> str:
        return self.reason
