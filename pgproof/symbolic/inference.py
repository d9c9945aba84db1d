"""Finding the justification of a step whose author names none.

A step without ``by`` is justified by a search over the rule registry: greedy best-first
over the equations the rules make of the step's source, up to ``MAX_DEPTH`` rules in a row,
expanding first the equation whose canonical form differs least from the claim's
(:func:`pgproof.symbolic.canonical.smallest_difference`), and trying first the rules the
author's note names (``\\text{Log-derivative trick}``).  A chain that reaches the claim is
then checked again as if the author had cited it (:func:`.checker.check_step`), so an
inferred justification meets exactly the conditions a cited one does.  The search is
bounded in expansions and in units of work (:mod:`pgproof.budget`), never by the clock:
the same step finds the same chain, or none, on any machine.  Finding nothing after
trying every chain is "no justification found"; finding nothing before the budget is
spent is said so (:attr:`Inference.cut`), never a guess.

The relation is the author's: a chain that holds an estimate (``monte_carlo_estimate``)
reaches a claim written ``=`` only as ``≈``, and is taken only when the claim is about
samples τ^{(i)} (an equality between E[f] and a sample mean can only be read as the
estimate).  A claim about no samples stays ``=``: only an equality chain justifies it, and
an estimate chain that reaches it is reported (:attr:`Inference.estimate_only`), so that
E[0] = 0 is never silently turned into E[0] ≈ 0.
"""

from __future__ import annotations

import heapq
import itertools
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pgproof.budget import SizeLimit, WorkExhausted, spent_by, work_budget
from pgproof.kernel.objects import Equation, SampledTrajectory, SampleMean

from .canonical import StepRange, canonical, size, smallest_difference
from .refusal import Refusal
from .rules import REGISTRY, Rule
from .step_check import check_step, rewrite, step_context

if TYPE_CHECKING:
    from sympy import Basic

    from .claims import Claims as Derivation  # a Derivation's data (no display)

#: the longest chain of rules tried
MAX_DEPTH = 3
#: the most equations expanded in one search
MAX_EXPANSIONS = 250
#: the units of work one search may spend (within the step's own budget; see
#: :mod:`pgproof.budget`): a few seconds on an idle machine of the kind CI runs on, and
#: over three times what the bundled derivations' and document fixtures' searches need
SEARCH_WORK = 250_000
@dataclass
class Inference:
    """The chain found (empty: the claim restates its source), or None; and how far it looked."""

    chain: tuple[str, ...] | None
    expanded: int
    closest: tuple[Basic, Basic] | None = None
    #: the claim with the relation the chain gives (≈ when it holds an estimate)
    claim: Equation | None = None
    #: side conditions that failed where a rule had the right form, from the source
    refusals: list[Refusal] | None = None
    #: why the search stopped before it had tried every chain ("budget": its work budget
    #: was spent; "size": an equation was too large to compare; "expansions": it reached
    #: ``max_expansions``), or "" when it tried them all: finding nothing after a cut
    #: decides nothing
    cut: str = ""
    #: a chain that reaches the claim only as an estimate (≈) where the claim says = about
    #: no samples: not taken (see :func:`may_read_as_estimate`), reported instead
    estimate_only: tuple[str, ...] | None = None


def may_read_as_estimate(claim: Equation) -> bool:
    """Whether a chain holding an estimate may justify ``claim`` as ``≈``: the claim is one
    (its source or its rules made it so), or it is about samples (τ^{(i)}, a sample mean),
    where ``=`` can only mean the estimate.  E_{τ∼p_θ}[0] = 0 is about no samples: it is an
    equality, and only an equality justifies it."""
    return claim.is_estimate or bool(claim.atoms(SampledTrajectory)) or claim.has(SampleMean)


_STOPWORDS = {"the", "and", "for", "with", "from", "into", "that", "this", "are", "its"}


def _words(text: str) -> set[str]:
    """Lower-case words of three letters or more, ``gradient`` counted as ``grad`` too."""
    words = {w for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) > 2}
    words |= {w[:4] for w in words if w.startswith("grad")}
    return words - _STOPWORDS


def rule_order(note: str) -> list[Rule]:
    """Registered rules, those whose name or aliases (twice as much) or formula share words
    with the author's note first, then by their registered ``priority`` (the rules
    derivations use most first); a rule registered with ``inferred=False`` never."""
    hint = _words(note)

    def key(rule: Rule) -> tuple[int, int, str]:
        names = _words(" ".join((rule.name, *rule.aliases)))
        overlap = 2 * len(hint & names) + len(hint & _words(rule.formula))
        last = rule.priority is None  # a rule registered without one: after the others
        return (-overlap, last, rule.priority or 0, rule.name)

    return sorted((r for r in REGISTRY.values() if r.inferred), key=key)


def _distance(expr: Equation, wanted: Basic, steps: StepRange | None) -> int | None:
    try:
        got = canonical(Equation(*expr.args), steps)
    except Refusal:
        return None
    difference = smallest_difference(got, wanted)
    return 0 if difference is None else size(difference[0]) + size(difference[1])


def search(
    derivation: Derivation,
    index: int,
    source: Equation,
    claim: Equation,
    claims: list[Equation],
    *,
    max_depth: int = MAX_DEPTH,
    max_expansions: int = MAX_EXPANSIONS,
    work: int | None = SEARCH_WORK,
    skip: tuple[str, ...] = (),
    thorough: bool = True,
) -> Inference:
    """A chain of rules that turns ``source`` into ``claim`` and that the checker accepts."""
    step = derivation.steps[index - 1]
    ctx = step_context(derivation, index, claim, claims)
    ctx.thorough = thorough
    try:  # compared whatever the relation: a chain with an estimate makes the claim ≈
        wanted = canonical(Equation(*claim.args), ctx.steps)
    except Refusal:
        return Inference(None, 0)
    by_estimate = ctx.reference is not None and ctx.reference.is_estimate
    rules = [r for r in rule_order(step.note) if r.name not in skip]
    tried: set[tuple[str, ...]] = set()

    def accepted(chain: tuple[str, ...], target: Equation) -> bool:
        if chain in tried:
            return False
        tried.add(chain)
        candidate = derivation.with_step(index, replace(step, rules=chain))
        report = check_step(candidate, index, source, target, claims)
        return report.accepted

    counter = itertools.count()
    seen = {source}
    expanded = 0
    closest: tuple[int, tuple[Basic, Basic] | None] = (10**9, None)
    at_source: list[Refusal] = []
    heap: list = []
    budget, cut = None, ""
    estimate_only: tuple[str, ...] | None = None
    as_estimate = may_read_as_estimate(claim)
    try:
        with work_budget(work) as budget:
            start = _distance(source, wanted, ctx.steps)
            if start == 0 and accepted((), claim):
                return Inference((), 0, claim=claim)
            heap.append((start if start is not None else 10**9, next(counter), source, ()))
            while heap and expanded < max_expansions:
                _, _, expr, chain = heapq.heappop(heap)
                expanded += 1
                for rule in rules:
                    if not rule.valid_on_estimate and expr.is_estimate:
                        continue
                    ctx.assumptions.clear()
                    refusals: list[Refusal] = at_source if not chain else []
                    for produced in rewrite(rule, [expr], claim, ctx, by_estimate, refusals):
                        if produced in seen:
                            continue
                        seen.add(produced)
                        longer = (*chain, rule.name)
                        distance = _distance(produced, wanted, ctx.steps)
                        if distance is None:
                            continue
                        if distance == 0:
                            target = produced.func(*claim.args)  # the relation the chain gives
                            if target.is_estimate and not as_estimate:
                                estimate_only = estimate_only or longer  # = stays =
                                continue
                            if accepted(longer, target):
                                return Inference(longer, expanded, claim=target)
                            continue
                        if distance < closest[0]:
                            plain = canonical(Equation(*produced.args), ctx.steps)
                            closest = (distance, smallest_difference(plain, wanted))
                        if len(longer) < max_depth:
                            heapq.heappush(heap, (distance, next(counter), produced, longer))
    except WorkExhausted as exhausted:
        if not spent_by(exhausted, budget):
            raise  # the step's own budget: the step is undecided
        cut = "budget"
    except SizeLimit:  # one equation too large to compare: the chains through it untried
        cut = "size"
    if not cut and heap:
        cut = "expansions"  # max_expansions reached: chains were left untried
    return Inference(
        None, expanded, closest[1], refusals=at_source, cut=cut, estimate_only=estimate_only
    )
