"""Random expressions of the notation, and differential tests of the rules on them.

Hypothesis strategies in the style of :mod:`pgproof.strategies`:

* :func:`expressions` — random expressions of a notation: π_θ(a_t|s_t), p(s_{t+1}|s_t,a_t),
  p(s_first), r(s_t,a_t), R(τ), p_θ(τ), J(θ) and small integers, combined by +, ·, −, a/b,
  powers, log, ∇_θ, E_{τ∼p_θ}[·], ∫ dτ or Σ_τ, and Σ_t/∏_t over the notation's range (or a
  shifted, concrete, or reversed one) — every one of them has a numeric meaning;
* :func:`rule_cases` — for one rule, a small derivation whose last step applies the rule to
  a random expression *of the rule's shape* (∇ of a sum for grad_of_sum, log of a product
  for log_of_product, E[·] for the expectation rules, …) set in a random context, claiming
  one of the results the rule itself produces, or a near miss of one (a single mutation).

A differential test (:func:`differential_outcome`) checks the derivation and, when its last
step is established (accepted, resting on no refused step), evaluates the claim on random
MDPs with the audit's judge (:func:`pgproof.bridge.judge.judge_claim`):

    established  ⇒  numerically equal        (else the rule, or the checker, is unsound).

:func:`run_differential` runs the derandomised examples of one rule and tallies the
outcomes: ``equal``, ``WRONG``, ``not evaluated``, ``refused``, ``conditional``,
``unusable``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sympy import Add, Basic, Integer, Mul, Pow, Product, S, Sum, expand, expand_log, log, powsimp

from pgproof.bridge.judge import WRONG, judge_claim
from pgproof.kernel.objects import (
    Equation,
    Expectation,
    Grad,
    Ratio,
    SampleMean,
    TrajectoryAggregate,
)
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.notation import Notation

from .clashes import clash, clash_contexts, clashing_names, renamed, shadowed
from .mutations import grad_depth, mutants, rule_candidates
from .state_expressions import (
    STATE_NOTATIONS,
    chain_shapes,
    state_contexts,
    state_expressions,
    state_shapes,
)
from .visitation_shapes import visitation_shapes

#: notations the examples are drawn in: seed 000's, a discrete one, one counted from 0
NOTATIONS = (
    Notation(state="s", action="a"),
    Notation(state="s", action="a", trajectory_space="discrete"),
    Notation(
        state="s",
        action="a",
        horizon="H",
        first_index=0,
        dynamics="P",
        initial=r"\mu",
        return_="R",
        density="P",
        density_style="semicolon",
        trajectory_space="discrete",
    ),
)


@cache
def notations() -> st.SearchStrategy[Notation]:
    return st.sampled_from(NOTATIONS)


@cache
def notations_for(name: str) -> tuple[Notation, ...]:
    """The notations rule ``name``'s cases are drawn in: the trajectory notations, and the
    notations about one state (:mod:`.state_expressions`) where the rule has a shape there."""
    about_one_state = tuple(n for n in STATE_NOTATIONS if state_shapes(n, name) is not None)
    if _shapes(NOTATIONS[0], name) is None and about_one_state:
        return about_one_state
    return NOTATIONS + about_one_state


@cache
def atoms(n: Notation, inside_t: bool = False) -> st.SearchStrategy[Basic]:
    """Objects of the notation: at time t inside a Σ_t/∏_t body, else at a concrete time."""
    times = st.just(n.t) if inside_t else st.sampled_from([n.first, n.T])
    return st.one_of(
        st.builds(n.pi, times),
        st.builds(n.p, times),
        st.builds(n.r, times),
        st.just(n.p0()),
        st.just(n.R()),
        st.just(n.density_of()),
        st.just(n.J()),
        st.integers(2, 3).map(Integer),
    )


@cache
def ranges(n: Notation) -> st.SearchStrategy[tuple]:
    """The notation's range mostly; sometimes shifted, concrete, or reversed."""
    t, a, b = n.time_range()
    return st.sampled_from([(t, a, b)] * 6 + [(t, a + 2, a)])


@cache
def expressions(
    n: Notation, inside_t: bool = False, max_leaves: int = 4
) -> st.SearchStrategy[Basic]:
    """Random expressions of ``n`` (see the module docstring); at most one level of ∇ in ∇."""
    theta = n.theta

    def extend(children: st.SearchStrategy[Basic]) -> st.SearchStrategy[Basic]:
        options = [
            st.lists(children, min_size=2, max_size=3).map(lambda xs: Add(*xs)),
            st.lists(children, min_size=2, max_size=3).map(lambda xs: Mul(*xs)),
            children.map(lambda e: -e),
            st.builds(Ratio, children, children),
            st.builds(Pow, children, st.sampled_from([2, -1])),
            children.filter(_loggable).map(log),
            positive(n).map(log),
            children.filter(lambda e: grad_depth(e) < 1).map(lambda e: Grad(e, theta)),
        ]
        if not inside_t:  # no E or ∫ inside Σ_t, and none inside another (no shadowed τ)
            flat = children.filter(is_flat)
            body_t = expressions(n, True, 2)
            options += [
                flat.map(n.expectation),
                flat.map(lambda f: n.aggregate(n.density_of() * f)),
                st.builds(lambda f, r: Sum(f, r), body_t, ranges(n)),
                st.builds(lambda f, r: Product(f, r), body_t, ranges(n)),
            ]
        return st.one_of(options)

    return st.recursive(atoms(n, inside_t), extend, max_leaves=max_leaves)


def _loggable(expr: Basic) -> bool:
    """Known positive (logs of rewards, undefined where they are negative, are drawn only
    where a rule's domain is tested: log_of_product, algebra, drop_zero_gradient).  A quotient
    is left out: its positivity is tested by the rules of formulas about one state."""
    return bool(expr.is_positive) and not expr.has(Ratio)


def is_flat(expr: Basic) -> bool:
    """No E and no ∫/Σ_τ in ``expr`` (so wrapping it in one shadows no τ)."""
    return not expr.has(Expectation, TrajectoryAggregate)


@cache
def positive(n: Notation) -> st.SearchStrategy[Basic]:
    """Expressions SymPy knows are positive (densities, policies, their products, ∏)."""
    base = st.one_of(
        st.builds(n.pi, st.sampled_from([n.first, n.T])),
        st.builds(n.p, st.sampled_from([n.first, n.T])),
        st.just(n.p0()),
        st.just(n.density_of()),
    )
    return st.one_of(
        base,
        st.lists(base, min_size=2, max_size=3).map(lambda xs: Mul(*xs)),
        st.just(Product(n.pi() * n.p(), n.time_range())),
    )


@cache
def contexts(n: Notation) -> st.SearchStrategy[Callable[[Basic], Basic]]:
    """Where the rule's redex sits: alone, times or plus something, in E[·], or in Σ_t."""
    other = expressions(n, max_leaves=2)

    def within_sum(hole: Basic) -> Basic:
        return Sum(hole, n.time_range()) if n.t in hole.free_symbols else hole

    def within_expectation(hole: Basic) -> Basic:
        return n.expectation(hole) if is_flat(hole) else hole

    def under_gradient(hole: Basic) -> Basic:
        return Grad(hole, n.theta) if grad_depth(hole) == 0 else hole

    return st.one_of(
        st.just(lambda hole: hole),
        other.map(lambda c: lambda hole: hole * c),
        other.map(lambda c: lambda hole: hole + c),
        st.just(within_expectation),
        st.just(within_sum),
        st.just(under_gradient),
    )


# ----------------------------------------------------------------------------- shapes


@cache
def _shapes(n: Notation, name: str) -> st.SearchStrategy[Basic] | None:
    """A redex of rule ``name`` (what it rewrites); None for a rule without a shape."""
    if n.scope == "state":
        return state_shapes(n, name)
    theta = n.theta
    e = expressions(n, max_leaves=3)
    flat = e.filter(is_flat)
    et = expressions(n, True, 3)
    ee = expressions(n, max_leaves=2)
    grad = lambda x: Grad(x, theta)  # noqa: E731
    pairs = st.lists(e, min_size=2, max_size=3)
    flat_pairs = st.lists(flat, min_size=2, max_size=3)
    table: dict[str, st.SearchStrategy[Basic]] = {
        "grad_of_sum": st.one_of(
            pairs.map(lambda xs: grad(Add(*xs))),
            st.builds(lambda f, r: grad(Sum(f, r)), et, ranges(n)),
            flat.map(lambda f: grad(n.aggregate(n.density_of() * f))),
        ),
        "constant_factor": pairs.map(lambda xs: grad(Mul(*xs))),
        "product_rule": pairs.map(lambda xs: grad(Mul(*xs))),
        "drop_zero_gradient": st.one_of(
            e.map(grad),
            pairs.map(lambda xs: grad(Add(*xs))),
            st.sampled_from([n.r(n.first), n.R()]).map(lambda r: grad(log(r))),
        ),
        "grad_under_integral": flat.map(lambda f: grad(n.aggregate(n.density_of() * f))),
        "expectation_to_integral": flat.map(n.expectation),
        "expectation_to_sum": flat.map(n.expectation),
        "integral_to_expectation": flat.map(lambda f: n.aggregate(n.density_of() * f)),
        "sum_to_expectation": flat.map(lambda f: n.aggregate(n.density_of() * f)),
        "linearity_of_expectation": st.one_of(
            flat_pairs.map(lambda xs: n.expectation(Add(*xs))),
            flat_pairs.map(lambda xs: n.expectation(Mul(*xs))),
        ),
        "monte_carlo_estimate": st.one_of(
            flat.map(n.expectation),
            flat_pairs.map(lambda xs: Mul(*(n.expectation(x) for x in xs))),
            flat.map(lambda f: Pow(n.expectation(f), 2)),
        ),
        "log_derivative_trick": st.one_of(
            e.map(lambda f: grad(log(f))),
            e.map(grad),
            positive(n).map(lambda f: f * grad(log(f))),
            positive(n).map(lambda f: Ratio(grad(f), f)),
        ),
        "log_of_product": st.one_of(
            pairs.map(lambda xs: log(Mul(*xs))),
            st.builds(lambda f, r: log(Product(f, r)), et, ranges(n)),
            positive(n).map(lambda f: log(Pow(f, 2))),
        ),
        "split_sum": st.builds(lambda f, g, r: Sum(f + g, r), et, et, ranges(n)),
        "sum_of_zeros": st.one_of(
            ranges(n).map(lambda r: Sum(S.Zero, r)),
            st.just(n.aggregate(S.Zero)),
            st.builds(lambda f, r: Sum(f, r), et, ranges(n)),
        ),
        "merge_sums": st.builds(
            lambda f, g, r: Sum(f, r) + Sum(g, r), et, et, st.just(n.time_range())
        ),
        "multiply_divide": e,
        "algebra": st.one_of(
            st.builds(lambda c, f, g: c * (f + g), ee, ee, ee),
            st.builds(lambda f, g: log(f * g), ee, ee),
            st.builds(lambda f, g: log(f * g), positive(n), positive(n)),
            st.builds(lambda f, g: Ratio(f * g, g), ee, positive(n)),
            st.builds(lambda f, g: Ratio(f * g, g), ee, ee),
            st.builds(lambda f: Pow(f, 2) * Pow(f, -1), ee),
            st.builds(lambda f, r: Sum(f, r), et, st.just((n.t, n.first + 2, n.first))),
            st.builds(lambda f, r: Product(f, r), et, st.just((n.t, n.first + 2, n.first))),
            e,
        ),
        **_score_shapes(n, et, flat),
        **visitation_shapes(n),
        "chain_rule": chain_shapes(e, positive(n), theta),
        "definition": st.one_of(
            st.sampled_from([n.density_of(), n.R(), n.J()]),
            st.sampled_from([n.trajectory_density(), n.return_expansion()]),
        ),
    }
    return table.get(name)


def _score_shapes(
    n: Notation, et: st.SearchStrategy[Basic], flat: st.SearchStrategy[Basic]
) -> dict[str, st.SearchStrategy[Basic]]:
    """Redexes of the score rules: E over τ of a score (of π_θ at t, or of p_θ(τ)) times a
    factor, with or without Σ_t around it, and the two forms of the causality product."""
    theta, t = n.theta, n.t
    score = Grad(log(n.pi()), theta)
    whole = Grad(log(n.density_of()), theta)
    rewards = Sum(n.r(), n.time_range())
    factors = st.one_of(
        st.sampled_from([S.One, Integer(2), n.p0(), n.r(n.first), n.R(), n.r(), n.pi()]), et
    )
    with_sums = st.one_of(
        factors.map(lambda f: n.expectation(score * f)),
        st.builds(lambda f, r: n.expectation(Sum(score * f, r)), factors, ranges(n)),
        factors.map(lambda f: n.expectation(whole * f)),
    )
    return {
        "normalization": st.one_of(
            st.just(n.aggregate(n.density_of())),
            st.just(n.expectation(S.One)),
            flat.map(lambda f: n.aggregate(n.density_of() * f)),
        ),
        "score_has_zero_mean": with_sums,
        "baseline": with_sums,
        "causality": st.one_of(
            st.just(n.expectation(Sum(score, n.time_range()) * rewards)),
            st.builds(
                lambda f, r: n.expectation(Sum(score, r) * Sum(f, n.time_range())), et, ranges(n)
            ),
            st.builds(
                lambda f: n.expectation(Sum(score * Sum(f, n.time_range()), (t, n.first, n.T))), et
            ),
        ),
        "expectation_of_sum": st.builds(lambda f, r: n.expectation(Sum(f, r)), et, ranges(n)),
        **_conditional_shapes(n, et),
    }


def _conditional_shapes(n: Notation, et: st.SearchStrategy[Basic]) -> dict:
    """Redexes of the tower and Markov properties and of split_first_term: the reward-to-go
    against the score, conditional expectations given (s_t, a_t) or with an earlier step."""
    t = n.t
    score = Grad(log(n.pi()), n.theta)
    togo = n.reward_to_go(t)
    given = st.sampled_from(
        [(n.s(t), n.a(t)), (n.s(t),), (n.s(t), n.a(t), n.s(t + 1)), (n.s(t + 1),)]
    )
    bodies = st.sampled_from([togo, n.reward_to_go(t + 1), n.r(t), n.p(t), n.R()])
    ce = st.builds(lambda x, g: n.conditional_expectation(x, *g), bodies, given)
    return {
        "iterated_expectation": st.one_of(
            st.builds(lambda f: n.expectation(Sum(score * f, n.time_range())), bodies),
            st.builds(lambda c: n.expectation(score * c), ce),
            ce,
        ),
        "markov_property": ce,
        "split_first_term": st.one_of(
            st.builds(
                lambda f, lo: Sum(f, (t, lo, n.T)), et, st.sampled_from([n.first, n.first + 1])
            ),
            st.just(togo),
        ),
    }


@dataclass(frozen=True)
class RuleCase:
    """A small derivation whose step ``target`` applies ``rule``; ``how`` says what it is."""

    rule: str
    derivation: Derivation
    target: int
    how: str


def _derivation(n: Notation, *steps: Step) -> Derivation:
    return Derivation("differential test", "pgproof.audit.expressions", n, tuple(steps))


def _algebra_variants(x: Basic) -> list[Basic]:
    """Rewritings of ``x`` SymPy considers equal (not all are: that is what is tested):
    expanded, logs split (forced), powers combined, Ratio divided out, ranges done."""
    out = []
    for f in (
        expand,
        lambda e: expand_log(e, force=True),
        lambda e: powsimp(e, force=True),
        lambda e: e.replace(lambda r: isinstance(r, Ratio), lambda r: r.doit()),
        lambda e: e.replace(lambda r: isinstance(r, Sum | Product), lambda r: r.doit()),
    ):
        try:
            y = f(x)
        except Exception:  # noqa: BLE001 - a rewriting SymPy cannot do is skipped
            continue
        if y != x and y not in out:
            out.append(y)
    return out


@st.composite
def rule_cases(draw, name: str, clash_names: bool = False) -> RuleCase:
    """A derivation whose last step applies rule ``name`` (see the module docstring).

    With ``clash_names`` the expression the rule rewrites has bound names that clash with
    free ones (:func:`.clashes.clash`: a clash context, then capture-free renamings), and
    so has the definition a step rests on."""
    n = draw(st.sampled_from(notations_for(name)))
    near_miss = draw(st.integers(0, 3)) == 0  # a quarter of the claims are near misses
    if name in ("differentiate_both_sides", "log_both_sides"):
        if name == "log_both_sides":
            lhs = n.density_of()
            factor = draw(st.one_of(st.just(Integer(1)), positive(n)))
            if clash_names:  # a free step t beside a ∏_t binding it (both positive)
                factor = factor * n.pi(n.t) * Product(n.pi(), n.time_range())
            context: Callable[[Basic], Basic] = lambda hole: hole * factor  # noqa: E731
        else:
            lhs = draw(st.sampled_from([n.J(), n.density_of(), n.R()]))
            context = draw(clash_contexts(n) if clash_names else contexts(n))
        sides = [context(lhs), context(_unfold(n, lhs))]
        if clash_names:
            sides = [draw(renamed(side)) for side in sides]
        first = Step(lhs=sides[0], rhs=sides[1], rules=("definition",), source="self")
        source = Equation(first.lhs, first.rhs)
        claims = rule_candidates(source, name, n, limit=1)
        assume(claims)
        claim = _maybe_mutated(draw, claims[0], near_miss, n)
        step = Step(lhs=claim.lhs, rhs=claim.rhs, rules=(name,))
        return RuleCase(name, _derivation(n, first, step), 2, "from a definition")
    if name == "substitute":
        a = draw(st.sampled_from([n.density_of(), n.R(), n.J()]))
        reference = Step(lhs=a, rhs=_unfold(n, a), rules=("definition",), source="self")
        x = draw(contexts(n))(a)
        if clash_names:
            x = draw(clash(x, n))
        claims = rule_candidates(
            Equation(x, x), name, n, Equation(reference.lhs, reference.rhs), limit=2
        )
        claims = [c for c in claims if c.lhs == x]
        assume(claims)
        claim = _maybe_mutated(draw, draw(st.sampled_from(claims)), near_miss, n)
        step = Step(lhs=x, rhs=claim.rhs, rules=(name,), source="self", reference=1)
        return RuleCase(name, _derivation(n, reference, step), 2, "using a definition")
    shape = _shapes(n, name)
    if n.scope == "state":
        x = draw(state_contexts(n))(draw(state_expressions(n, 3) if shape is None else shape))
    else:
        x = draw(contexts(n))(draw(expressions(n, max_leaves=3) if shape is None else shape))
    if clash_names:
        x = draw(clash(x, n))
    assume(grad_depth(x) <= 2)
    factor = draw(positive(n)) if name == "multiply_divide" else None
    terms: tuple[Basic, ...] = ()
    if name in ("algebra", "restate"):
        options = [x]
        if name == "algebra":
            p = n.density_of() if n.scope != "state" else n.policy_at(*_plain(n))
            j = n.J() if n.scope != "state" else p
            variants = _algebra_variants(x)
            trivial = [x * Ratio(p, p), x + j - j]
            options = variants if variants and draw(st.integers(0, 3)) else trivial
        misses = [m.expr for m in mutants(x, n)]
        if near_miss and misses:
            options = [draw(st.sampled_from(misses[:12]))]
        assume(options)
        rhs = draw(st.sampled_from(options))
    else:
        claims = [
            c
            for c in rule_candidates(Equation(x, x), name, n, factor=factor, limit=2)
            if c.lhs == x
        ]
        assume(claims)
        rhs = _maybe_mutated(draw, draw(st.sampled_from(claims)), near_miss, n).rhs
    if name == "drop_zero_gradient":
        terms = tuple(g.expr for g in x.atoms(Grad) if n.theta not in g.expr.free_symbols)[:2]
    step = Step(lhs=x, rhs=rhs, rules=(name,), source="self", terms=terms, factor=factor)
    return RuleCase(name, _derivation(n, step), 1, "a self step")


def _plain(n: Notation) -> tuple[Basic, Basic]:
    """The action a and the state s of formulas about one state."""
    return n.action_symbol(), n.state_symbol()


def _unfold(n: Notation, obj: Basic) -> Basic:
    if obj == n.density_of():
        return n.trajectory_density()
    if obj == n.R():
        return n.return_expansion()
    if obj == n.J():
        return n.objective_definition()
    return obj


def _maybe_mutated(draw, claim: Equation, near_miss: bool, n: Notation) -> Equation:
    if not near_miss:
        return claim
    options = mutants(claim.rhs, n)
    if not options:
        return claim
    picked = draw(st.sampled_from(options[:12]))
    return Equation(claim.lhs, picked.expr)


def _self_case(name: str, n: Notation, lhs: Basic, rhs: Basic, how: str) -> RuleCase:
    step = Step(lhs=lhs, rhs=rhs, rules=(name,), source="self")
    return RuleCase(name, _derivation(n, step), 1, how)


def anchors(name: str) -> list[RuleCase]:
    """Fixed cases run before the random ones: the shapes of known soundness bugs, so that
    every run tries them whatever Hypothesis draws."""
    n = NOTATIONS[0]
    theta, r, big_r = n.theta, n.r(), n.R()
    sample_mean = SampleMean(n.R(n.sample()), n.i, n.m)
    cases = {
        "algebra": [  # Karr's convention: Σ_{t=3}^{1} f = −f(2)
            _self_case(name, n, Sum(r, (n.t, n.first + 2, n.first)), -n.r(n.first + 1), "Karr")
        ],
        "monte_carlo_estimate": [  # an estimate under ∇, and inside a product
            _self_case(name, n, Grad(n.expectation(big_r), theta), Grad(sample_mean, theta), "∇"),
            _self_case(name, n, Pow(n.expectation(big_r), 2), Pow(sample_mean, 2), "square"),
        ],
        "drop_zero_gradient": [  # ∇ of a θ-free term that is undefined where r ≤ 0, alone
            # and as a factor beside a dropped one (0 · undefined is not 0)
            _self_case(name, n, Grad(log(n.r(n.first)), theta), Integer(0), "log r"),
            _self_case(
                name,
                n,
                Grad(log(n.p(n.first)), theta) * Grad(log(n.r(n.first)), theta),
                Integer(0),
                "0 · ∇ log r",
            ),
        ],
    }
    return cases.get(name, [])


# ----------------------------------------------------------------------------- outcomes

UNUSABLE = "unusable"
REFUSED = "refused"
CONDITIONAL = "conditional"


def differential_outcome(case: RuleCase, trials: int = 2, seed: int = 0) -> tuple[str, str]:
    """(outcome, detail) of one case: the checker's verdict, then the judge's if established."""
    from pgproof.files import DerivationFileError
    from pgproof.latex.parser import LatexError
    from pgproof.symbolic.checker import check_derivation
    from pgproof.symbolic.errors import DerivationError

    try:
        report = check_derivation(case.derivation)
    except (DerivationError, DerivationFileError, LatexError) as exc:
        return UNUSABLE, str(exc)
    if any(not s.accepted for s in report.steps[: case.target - 1]):
        return CONDITIONAL, "an earlier step is refused"
    step = report.steps[case.target - 1]
    if not step.accepted:
        return REFUSED, step.reason
    if getattr(step, "conditional", False):
        return CONDITIONAL, "rests on a refused step"
    claim = step.claim
    judgement = judge_claim(
        claim.lhs,
        claim.rhs,
        case.derivation.notation,
        step.estimate,
        trials,
        seed,
        stream=case.target,
    )
    return judgement.verdict, judgement.reason


@dataclass
class Tally:
    """Outcomes of one rule's examples, and the first wrong ones (as text); how many of the
    expressions rewritten had a bound name that is also free in them (``clashing``), or a
    binder inside one of the same name (``shadowing``)."""

    rule: str
    counts: Counter
    wrong: list[str]
    clashing: int = 0
    shadowing: int = 0

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    @property
    def established(self) -> int:
        return self.counts["equal"] + self.counts[WRONG] + self.counts["not evaluated"]


def run_differential(
    name: str, examples: int = 20, trials: int = 2, seed: int = 0, clash_names: bool = False
) -> Tally:
    """Run the fixed cases (:func:`anchors`) and ``examples`` derandomised cases of rule
    ``name`` (with bound names that clash with free ones if ``clash_names``: see
    :func:`rule_cases`), and tally their outcomes."""
    from pgproof.symbolic.text import show

    tally = Tally(name, Counter(), [])

    def record(case: RuleCase) -> None:
        outcome, detail = differential_outcome(case, trials, seed)
        tally.counts[outcome] += 1
        steps = case.derivation.steps[: case.target]
        rewritten = [s.lhs for s in steps if s.lhs is not None] + [s.rhs for s in steps[:-1]]
        tally.clashing += any(clashing_names(x) for x in rewritten)
        tally.shadowing += any(shadowed(x) for x in rewritten)
        if outcome == WRONG and len(tally.wrong) < 5:
            steps = "; ".join(
                f"{show(s.lhs) if s.lhs is not None else ''} = {show(s.rhs)} by "
                f"{', '.join(s.rules)}"
                for s in case.derivation.steps
            )
            tally.wrong.append(f"{steps}  —  {detail}")

    for case in anchors(name):
        record(case)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(rule_cases(name))
    def run(case: RuleCase) -> None:
        record(case)

    # a function of its own: Hypothesis derives the derandomised examples from the source,
    # so the cases without clashes stay the ones drawn before the clash mode existed
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(rule_cases(name, clash_names=True))
    def run_clashing(case: RuleCase) -> None:
        record(case)

    (run_clashing if clash_names else run)()
    return replace(tally)
