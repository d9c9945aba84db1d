"""Properties of the kernel's binder layer on random terms whose bound names clash with free ones.

Terms are built from rewards r(s_u, a_u) of one random trajectory of a random MDP, the discount
γ, integers and the time names t, t', t'' (free or bound, chosen independently, so a bound
name often equals a free one), under +, ·, γ^k, Σ and ∏.  The ground truth is a small
evaluator written here (environment semantics: a binder extends the environment), which shares
no code with the kernel.

* substitution commutes with evaluation: ⟦f[x := e]⟧ρ = ⟦f⟧ρ[x ↦ ⟦e⟧ρ];
* free symbols are what evaluation reads: changing a symbol that is not free changes nothing;
* alpha-equivalent terms (a bound index renamed capture-free) canonicalise equal, and terms
  that evaluate differently never canonicalise equal;
* the footprint's renaming of bound indices (the score rules' side conditions read ranges off
  it) records for each index the range its own binder writes: a sibling's renaming never
  changes it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Add, Basic, Integer, Mul, Pow, Product, Sum, Symbol, preorder_traversal

from pgproof.kernel.binders import all_names, fresh_symbol, substitute
from pgproof.kernel.objects import Action, Reward, State
from pgproof.symbolic.canonical import canonical
from pgproof.symbolic.refusal import Refusal
from pgproof.symbolic.rules.score import _rename_bound

NAMES = ("t", "t'", "t''")
TIMES = tuple(Symbol(n, integer=True) for n in NAMES)
TAU = Symbol("tau")
GAMMA = Symbol("gamma", positive=True)
HORIZON = 3


def reward(time: Basic) -> Reward:
    return Reward("r", State("s", TAU, time), Action("a", TAU, time))


def _trajectory_rewards(seed: int) -> dict[int, Fraction]:
    """r(s_u, a_u) along one trajectory of a random MDP (S = 3, A = 2), u = −12 … 12, exact."""
    rng = np.random.default_rng(seed)
    table = rng.integers(-4, 5, size=(3, 2))
    state, out = int(rng.integers(3)), {}
    transitions = rng.integers(3, size=(3, 2))
    for u in range(-12, 13):
        action = int(rng.integers(2))
        out[u] = Fraction(int(table[state, action]))
        state = int(transitions[state, action])
    return out


def evaluate(expr: Basic, env: dict[Basic, Fraction], rewards: dict[int, Fraction]) -> Fraction:
    """⟦expr⟧env, independently of the kernel (a Σ/∏ binds its index in its summand)."""
    if isinstance(expr, Symbol):
        return env[expr]
    if expr.is_Integer or expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    if isinstance(expr, Reward):
        time = evaluate(expr.args[1].args[2], env, rewards)
        return rewards[int(time)]
    if isinstance(expr, Add):
        return sum((evaluate(a, env, rewards) for a in expr.args), Fraction(0))
    if isinstance(expr, Mul):
        out = Fraction(1)
        for a in expr.args:
            out *= evaluate(a, env, rewards)
        return out
    if isinstance(expr, Pow):
        base, power = evaluate(expr.base, env, rewards), evaluate(expr.exp, env, rewards)
        return base ** int(power)
    if isinstance(expr, (Sum, Product)):
        return _limits(expr, list(expr.limits), env, rewards)
    raise TypeError(type(expr))


def _limits(expr, limits, env, rewards) -> Fraction:
    if not limits:
        return evaluate(expr.function, env, rewards)
    *inner, (index, low, high) = limits  # the last limit is the outermost
    lo, hi = int(evaluate(low, env, rewards)), int(evaluate(high, env, rewards))
    values = [_limits(expr, inner, {**env, index: Fraction(u)}, rewards) for u in range(lo, hi + 1)]
    if isinstance(expr, Sum):
        return sum(values, Fraction(0))
    out = Fraction(1)
    for v in values:
        out *= v
    return out


times = st.sampled_from(TIMES)
offsets = st.integers(-1, 1)


@st.composite
def time_terms(draw) -> Basic:
    """u + c for a time name u and c ∈ {−1, 0, 1}: where a term reads a reward or a limit."""
    return draw(times) + draw(offsets)


def terms(depth: int = 3) -> st.SearchStrategy[Basic]:
    leaves = st.one_of(
        time_terms().map(reward),
        st.integers(-2, 2).map(Integer),
        time_terms().map(lambda u: Pow(GAMMA, u - TIMES[0])),
        times,
    )

    def extend(children: st.SearchStrategy[Basic]) -> st.SearchStrategy[Basic]:
        pair = st.tuples(children, children)
        limit = st.tuples(
            times, st.integers(1, 2).map(Integer), st.integers(1, HORIZON).map(Integer)
        )
        return st.one_of(
            pair.map(lambda p: Add(*p)),
            pair.map(lambda p: Mul(*p)),
            st.tuples(children, limit).map(lambda p: Sum(p[0], p[1])),
            st.tuples(children, limit, time_terms()).map(
                lambda p: Sum(p[0], (p[1][0], p[1][1], p[2] + HORIZON))
            ),
            st.tuples(children, limit).map(lambda p: Product(p[0], (p[1][0], 1, 2))),
        )

    return st.recursive(leaves, extend, max_leaves=6)


environments = st.fixed_dictionaries({u: st.integers(-2, 2).map(Fraction) for u in TIMES})
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)


def _env(env: dict, gamma: Fraction) -> dict:
    return {**env, GAMMA: gamma}


@SETTINGS
@given(terms(), times, time_terms(), environments, st.integers(0, 2**16))
def test_substitution_commutes_with_evaluation(f, x, e, env, seed) -> None:
    rewards = _trajectory_rewards(seed)
    rho = _env(env, Fraction(1, 2))
    expected = evaluate(f, {**rho, x: evaluate(e, rho, rewards)}, rewards)
    assert evaluate(substitute(f, x, e), rho, rewards) == expected


@SETTINGS
@given(terms(), environments, st.integers(0, 2**16))
def test_free_symbols_are_what_evaluation_reads(f, env, seed) -> None:
    rewards = _trajectory_rewards(seed)
    rho = _env(env, Fraction(1, 3))
    value = evaluate(f, rho, rewards)
    for u in TIMES:
        if u not in f.free_symbols:
            assert evaluate(f, {**rho, u: rho[u] + 5}, rewards) == value


def _rename_bound_indices(expr: Basic) -> Basic:
    """An alpha-equivalent twin: the outermost index of every Σ/∏ renamed to a fresh name
    of its family (t → t''', …), capture-free by construction."""
    if not expr.args:
        return expr
    args = [_rename_bound_indices(a) for a in expr.args]
    if isinstance(expr, (Sum, Product)):
        function, limits = args[0], [limit.args for limit in expr.limits]
        *inner, (index, low, high) = limits
        body = expr.func(function, *inner) if inner else function
        fresh = fresh_symbol(index, all_names(expr))
        body = substitute(body, index, fresh)
        if inner:
            return expr.func(
                body.function, *[limit.args for limit in body.limits], (fresh, low, high)
            )
        return expr.func(body, (fresh, low, high))
    return expr.func(*args)


@SETTINGS
@given(terms(), environments, st.integers(0, 2**16))
def test_alpha_equivalent_terms_canonicalise_equal(f, env, seed) -> None:
    twin = _rename_bound_indices(f)
    rewards = _trajectory_rewards(seed)
    rho = _env(env, Fraction(2, 3))
    assert evaluate(twin, rho, rewards) == evaluate(f, rho, rewards)
    assert _canonical_or_refusal(twin) == _canonical_or_refusal(f)


@SETTINGS
@given(terms(), terms(), environments, st.integers(0, 2**16))
def test_terms_that_differ_never_canonicalise_equal(f, g, env, seed) -> None:
    rewards = _trajectory_rewards(seed)
    rho = _env(env, Fraction(2, 3))
    if evaluate(f, rho, rewards) != evaluate(g, rho, rewards):
        ours, theirs = _canonical_or_refusal(f), _canonical_or_refusal(g)
        assert ours == "refused" or ours != theirs


def _canonical_or_refusal(expr: Basic) -> Basic | str:
    """The canonical form, or "refused" (limits not provably ordered: the same for twins)."""
    try:
        return canonical(expr)
    except Refusal:
        return "refused"


def test_the_evaluator_sees_capture() -> None:
    """The ground truth is not blind to the bug it guards against: xreplace captures."""
    t, t1 = TIMES[0], TIMES[1]
    f = Sum(t1, (t, 1, 2))  # Σ_{t=1}^{2} t'
    rho = _env({t: Fraction(7), t1: Fraction(1), TIMES[2]: Fraction(0)}, Fraction(1, 2))
    rewards = _trajectory_rewards(0)
    assert evaluate(f, {**rho, t1: rho[t]}, rewards) == 14  # Σ_{t=1}^{2} 7
    assert evaluate(f.xreplace({t1: t}), rho, rewards) == 3  # captured: Σ_{t=1}^{2} t
    assert evaluate(substitute(f, t1, t), rho, rewards) == 14


def _binders_written(expr: Basic) -> dict[Basic, tuple[Basic, Basic]]:
    """Each Σ/∏ index of ``expr`` with its limits as written there."""
    found: dict[Basic, tuple[Basic, Basic]] = {}
    for node in preorder_traversal(expr):
        if isinstance(node, (Sum, Product)):
            for index, low, high in node.limits:
                found[index] = (low, high)
    return found


@SETTINGS
@given(terms(), environments, st.integers(0, 2**16))
def test_a_renaming_never_changes_a_siblings_range(f, env, seed) -> None:
    """The side conditions of the score rules read the range of each bound index off the
    footprint's renaming: every recorded range is the one its own binder writes (a sibling's
    renaming never reaches it), and the renamed term means what the term meant."""
    ranges: dict[Basic, tuple[Basic, Basic]] = {}
    renamed = _rename_bound(f, ranges)
    assert ranges == _binders_written(renamed)
    rewards = _trajectory_rewards(seed)
    rho = _env(env, Fraction(1, 2))
    assert evaluate(renamed, rho, rewards) == evaluate(f, rho, rewards)
