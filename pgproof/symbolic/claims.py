"""What a derivation claims: title, source, notation, and a list of claimed steps.

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

These are data: the checker, inference and the reports read them (and import them from
here); :class:`pgproof.symbolic.derivation.Derivation`, the class a user builds, adds
Jupyter's display of the checked derivation, which needs the checker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Self

from sympy import Basic

from .errors import DerivationError
from .notation import Notation
from .rules.base import find

__all__ = ["Claims", "DerivationError", "ExpectedRejection", "Step"]


def _fail(cls: str, name: str, wanted: str, value: object) -> TypeError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return TypeError(f"{cls}({name}=...) must be {wanted}, not {type(value).__name__} {shown}")


def _strings(cls: str, name: str, value: object, example: str) -> tuple[str, ...]:
    """A sequence of strings as a tuple; a bare string is refused (it is not a list)."""
    if isinstance(value, str):
        raise TypeError(
            f"{cls}({name}=...) takes a sequence of strings, e.g. {name}=({value!r},), "
            f"not the string {value!r} (which would be read as a list of characters)"
        )
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise _fail(cls, name, f"a tuple of strings (e.g. {example})", value)
    return tuple(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Step:
    """One claimed step: ``lhs = rhs`` (or ``≈``), justified by ``rules`` applied in order.

    ``rhs`` and ``lhs`` are pgproof's symbolic objects (see :class:`pgproof.Notation`);
    ``rules`` is a tuple of rule names (``pgproof rules`` lists them); ``source`` is
    ``"previous"``, ``"self"`` or a step number; ``reference`` the step ``substitute``
    uses; ``terms`` the terms claimed free of θ; ``factor`` what ``multiply_divide``
    multiplies and divides by.  A wrong type is a :class:`TypeError` at construction.
    """

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

    def __post_init__(self) -> None:
        if not isinstance(self.rhs, Basic):
            raise _fail("Step", "rhs", "a symbolic expression (a SymPy Basic)", self.rhs)
        if self.lhs is not None and not isinstance(self.lhs, Basic):
            raise _fail("Step", "lhs", "a symbolic expression or None", self.lhs)
        object.__setattr__(
            self, "rules", _strings("Step", "rules", self.rules, "('log_derivative_trick',)")
        )
        if not (self.source in ("previous", "self") or _is_int(self.source)):
            raise _fail("Step", "source", '"previous", "self" or a step number', self.source)
        if self.reference is not None and not _is_int(self.reference):
            raise _fail("Step", "reference", "a step number or None", self.reference)
        if isinstance(self.terms, Basic) or not isinstance(self.terms, Sequence):
            raise _fail("Step", "terms", "a tuple of symbolic expressions", self.terms)
        if not all(isinstance(t, Basic) for t in self.terms):
            raise _fail("Step", "terms", "a tuple of symbolic expressions", self.terms)
        object.__setattr__(self, "terms", tuple(self.terms))
        if self.factor is not None and not isinstance(self.factor, Basic):
            raise _fail("Step", "factor", "a symbolic expression or None", self.factor)
        if not isinstance(self.note, str):
            raise _fail("Step", "note", "a string", self.note)
        if self.latex is not None and not isinstance(self.latex, str):
            raise _fail("Step", "latex", "a string or None", self.latex)
        if self.line is not None and not _is_int(self.line):
            raise _fail("Step", "line", "a line number or None", self.line)
        object.__setattr__(self, "readings", _strings("Step", "readings", self.readings, "('…',)"))

    def __repr__(self) -> str:
        from .text import show

        claim = show(self.rhs) if self.lhs is None else f"{show(self.lhs)} = {show(self.rhs)}"
        if len(claim) > 70:
            claim = claim[:67] + "..."
        where = f", line={self.line}" if self.line else ""
        return f"Step({claim!r}, rules={self.rules!r}{where})"


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
    found = find(name)
    return name if found is None else found.name


@dataclass(frozen=True)
class Claims:
    """A derivation's data: ``title``, ``source``, the author's ``notation`` and ``steps``.

    ``expected`` is the refusal the derivation is expected to get (None: it should be
    accepted); ``unfinished`` marks a write-up its author left unfinished; ``file`` is the
    file it was read from.  Build a :class:`pgproof.symbolic.derivation.Derivation` (these
    data, displayed checked in Jupyter).
    """

    title: str
    source: str
    notation: Notation
    steps: tuple[Step, ...]
    expected: ExpectedRejection | None = None
    unfinished: bool = False
    file: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("title", "source"):
            if not isinstance(getattr(self, name), str):
                raise _fail("Derivation", name, "a string", getattr(self, name))
        if not isinstance(self.notation, Notation):
            raise _fail("Derivation", "notation", "a pgproof.Notation", self.notation)
        if isinstance(self.steps, Step) or not isinstance(self.steps, Sequence):
            raise _fail("Derivation", "steps", "a tuple of pgproof.Step", self.steps)
        if not self.steps or not all(isinstance(s, Step) for s in self.steps):
            raise _fail("Derivation", "steps", "a non-empty tuple of pgproof.Step", self.steps)
        object.__setattr__(self, "steps", tuple(self.steps))
        if self.expected is not None and not isinstance(self.expected, ExpectedRejection):
            raise _fail("Derivation", "expected", "an ExpectedRejection or None", self.expected)
        if not isinstance(self.unfinished, bool):
            raise _fail("Derivation", "unfinished", "True or False", self.unfinished)
        if self.file is not None and not isinstance(self.file, str):
            raise _fail("Derivation", "file", "a string or None", self.file)
        object.__setattr__(self, "notes", _strings("Derivation", "notes", self.notes, "('…',)"))

    def with_step(self, k: int, step: Step) -> Self:
        """This derivation with step ``k`` (1-based) replaced by ``step``."""
        steps = list(self.steps)
        steps[k - 1] = step
        return replace(self, steps=tuple(steps))

    def __repr__(self) -> str:
        where = f", file={self.file!r}" if self.file else ""
        return f"<Derivation {self.title!r}: {len(self.steps)} steps{where}>"

    @property
    def start(self) -> Step:
        """The starting expression is the first step's claim."""
        return self.steps[0]
