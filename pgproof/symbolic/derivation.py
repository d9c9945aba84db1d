"""A derivation: title, source, notation, and a list of claimed steps.

Each step claims an equation ``lhs = rhs`` and names the rules that justify it:

* ``source="previous"`` (the default): the rules turn the previous step's
  equation into this one. A step without ``lhs`` continues the chain
  (``= rhs``): its left side is the previous one's.
* ``source="self"``: the rules turn ``lhs`` into ``rhs`` — how a derivation
  starts (``J(θ) = E[R(τ)]`` by definition) or proves a lemma.
* ``source=k``: the rules turn step k's equation into this one.

``reference=k`` is the step that ``substitute`` uses; ``terms`` are the terms
a step claims are free of θ (checked by ``drop_zero_gradient``); ``factor`` is
what ``multiply_divide`` multiplies and divides by.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Basic

from .errors import DerivationError
from .notation import Notation
from .rules import UnknownRule, lookup

__all__ = ["Derivation", "DerivationError", "ExpectedRejection", "Step"]


@dataclass(frozen=True)
class Step:
    rhs: Basic
    rules: tuple[str, ...]
    lhs: Basic | None = None
    source: str | int = "previous"
    reference: int | None = None
    terms: tuple[Basic, ...] = ()
    factor: Basic | None = None
    note: str = ""
    #: the author's LaTeX, when the step was read from a file (used for rendering).
    latex: str | None = None
    #: 1-based line in the derivation file, when read from one.
    line: int | None = None
    #: how pgproof read what the formula leaves out (``\\sum_t`` without limits)
    readings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExpectedRejection:
    """The derivation is expected to be refused at ``step`` by ``rule`` for ``condition``
    (a failed condition's code, see :class:`pgproof.symbolic.refusal.Refusal`), and, when
    ``reason`` is given, with those words in the message."""

    step: int
    rule: str
    condition: str
    reason: str = ""

    def matches(self, rule: str, condition: str, text: str) -> bool:
        """Whether a refusal (rule, condition code, words) is the expected one."""
        if condition != self.condition or _rule_name(rule) != _rule_name(self.rule):
            return False
        return self.reason.lower() in text.lower()

    def describe(self) -> str:
        words = f", “{self.reason}”" if self.reason else ""
        return f"{self.rule}: {self.condition}{words}"


def _rule_name(name: str) -> str:
    """A rule's registered name (aliases resolved); other names (``claim``) as given."""
    try:
        return lookup(name).name
    except UnknownRule:
        return name


@dataclass(frozen=True)
class Derivation:
    title: str
    source: str
    notation: Notation
    steps: tuple[Step, ...]
    expected: ExpectedRejection | None = None
    unfinished: bool = False
    file: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def _repr_latex_(self) -> str:
        """Jupyter shows a derivation as its checked ``align*`` block."""
        from .checker import check_derivation
        from .render import render

        return render(check_derivation(self))

    @property
    def start(self) -> Step:
        """The starting expression is the first step's claim."""
        return self.steps[0]
