"""Rules: one small function per rule, a registry, and the context they read.

A rule is a function ``rule(node, ctx) -> iterable of rewrites`` acting on one
node of an expression. It follows ``sympy.integrals.manualintegrate``'s shape:
the formula is in its docstring, and it has three outcomes:

* rewrites of the node (one or more alternatives) — the rule applies;
* nothing — "don't know": the node is not of the rule's form;
* ``raise Refusal(subterm, reason)`` — the node has the rule's form but a side
  condition fails (the reason says which, in words).

Rules are found by name (or alias) in ``REGISTRY``; there is no dispatch on
names anywhere else.  A rule's registration is all there is to know about it: the
words a rendered step shows (``label``), the phrases authors write for it
(``phrases``, read by :mod:`pgproof.files.synonyms`) and the order inference tries it
in (``priority``); no other module keeps a table keyed by rule names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sympy import Basic, Symbol

from pgproof.kernel.objects import Equation

from ..canonical import StepRange
from ..notation import Notation
from ..refusal import Refusal

RuleFunction = Callable[[Basic, "Context"], Iterable[Basic] | None]


@dataclass
class Context:
    """What a rule may read besides the node: the notation and the step's arguments."""

    notation: Notation
    claim: Equation | None = None
    reference: Equation | None = None
    terms: tuple[Basic, ...] = ()
    factor: Basic | None = None
    assumptions: list[str] = field(default_factory=list)
    #: False for a quick look (the search for an alternative to a refused rule): rules
    #: skip their costly attempts (``algebra``'s simplify); what they accept still holds
    thorough: bool = True
    #: what a rule computes once per step rather than once per position (the canonical
    #: forms of the sides of a ``using`` step), keyed by the rule
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    #: the free time index read as a step (None: infinite horizon); what it is used for is
    #: noted in ``assumptions``
    steps: StepRange | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.notation
        if self.steps is None and not n.infinite_horizon:
            words = n.step_assumption()
            self.steps = StepRange(n.t, n.first, n.T, words, self.assumptions)

    @property
    def theta(self) -> Symbol:
        return self.notation.theta

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)


@dataclass(frozen=True)
class Rule:
    """A registered rule."""

    name: str
    function: RuleFunction
    aliases: tuple[str, ...] = ()
    #: an estimate (≈), not an equality: e.g. expectation → sample mean.
    estimate: bool = False
    #: applied only to the whole equation (not to subterms).
    root_only: bool = False
    #: may be applied at every position at once (False for insertions such as ×p/p).
    everywhere: bool = True
    #: checks the step's arguments (e.g. terms claimed θ-free) before any rewriting.
    check_arguments: Callable[[Context], None] | None = None
    #: valid on an estimate ``a ≈ b`` (rewriting a side by an identity is; ∇ or log of
    #: both sides is not: see :class:`pgproof.kernel.objects.Approximation`).
    valid_on_estimate: bool = True
    #: rewrites by an earlier step (``using``): with an estimate ``a ≈ b`` there, it is an
    #: estimate itself (linear positions only, and the result is ≈).
    by_reference: bool = False
    #: a derived rule: the names of its derivations from the primitive rules, one per form
    #: (files of :mod:`pgproof.derived`); () for a primitive rule
    derivation: tuple[str, ...] = ()
    #: the rule in words as a rendered step shows it (ASCII, so that it prints the same in
    #: TeX, HTML and a terminal): ``grad_under_integral`` → "gradient under the integral"
    label: str = ""
    #: the phrases authors write for the rule (lower case, words separated by spaces):
    #: "log trick", "likelihood ratio", "Leibniz"; each names this rule and no other
    phrases: tuple[str, ...] = ()
    #: inference tries rules of lower priority first (after those the author's note
    #: names): the rules derivations use most have the lowest
    priority: int | None = None
    #: False for a rule the search never infers: it would accept anything the checker
    #: cannot separate from its claim (``restate`` is the empty chain, tried first)
    inferred: bool = True

    @property
    def derived(self) -> bool:
        """Derived from the primitive rules (its derivations are bundled and checked)."""
        return bool(self.derivation)

    @property
    def formula(self) -> str:
        """The docstring's first paragraph on one line: the formula and its side conditions."""
        paragraph = (self.function.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in paragraph.splitlines())

    def rewrites(self, node: Basic, ctx: Context) -> list[Basic]:
        try:
            out = self.function(node, ctx)
        except Refusal as refusal:
            refusal.rule = refusal.rule or self.name
            raise
        return [] if out is None else [r for r in out if r is not None]


REGISTRY: dict[str, Rule] = {}
_ALIASES: dict[str, str] = {}
#: phrase → the one rule it names
_PHRASES: dict[str, str] = {}


class UnknownRule(KeyError):
    """A rule name that is not registered; carries the nearest known names."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions

    def __str__(self) -> str:
        hint = f" (did you mean {', '.join(self.suggestions)}?)" if self.suggestions else ""
        return f"unknown rule {self.name!r}{hint}"


def rule(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    estimate: bool = False,
    root_only: bool = False,
    everywhere: bool = True,
    check_arguments: Callable[[Context], None] | None = None,
    valid_on_estimate: bool = True,
    by_reference: bool = False,
    derivation: tuple[str, ...] = (),
    label: str = "",
    phrases: tuple[str, ...] = (),
    priority: int | None = None,
    inferred: bool = True,
) -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule function under ``name`` (and ``aliases``); ``derivation`` names the
    derivations of a derived rule from the primitives (:mod:`pgproof.derived`)."""

    def register(function: RuleFunction) -> RuleFunction:
        if name in REGISTRY or name in _ALIASES:
            raise ValueError(f"rule {name!r} registered twice")
        for alias in aliases:
            if alias in REGISTRY or _ALIASES.get(alias, name) != name or alias == name:
                raise ValueError(f"alias {alias!r} of {name} names a rule already")
        for phrase in phrases:
            if _PHRASES.get(phrase, name) != name:
                raise ValueError(f"phrase {phrase!r} names {_PHRASES[phrase]} already ({name})")
        REGISTRY[name] = Rule(
            name,
            function,
            aliases=aliases,
            estimate=estimate,
            root_only=root_only,
            everywhere=everywhere,
            check_arguments=check_arguments,
            valid_on_estimate=valid_on_estimate,
            by_reference=by_reference,
            derivation=derivation,
            label=label,
            phrases=phrases,
            priority=priority,
            inferred=inferred,
        )
        for alias in aliases:
            _ALIASES[alias] = name
        for phrase in phrases:
            _PHRASES[phrase] = name
        return function

    return register


def normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def find(name: str) -> Rule | None:
    """The rule called ``name`` (or an alias of it); None otherwise (no suggestions sought)."""
    key = normalise(name)
    return REGISTRY.get(_ALIASES.get(key, key))


def lookup(name: str) -> Rule:
    """The rule called ``name`` (or an alias of it); ``UnknownRule`` otherwise."""
    found = find(name)
    if found is not None:
        return found
    key = normalise(name)
    key = _ALIASES.get(key, key)
    known = sorted(set(REGISTRY) | set(_ALIASES))
    raise UnknownRule(name, difflib.get_close_matches(key, known, n=3, cutoff=0.5))


def all_names() -> list[str]:
    return sorted(REGISTRY)
