"""Bound indices are compared up to renaming (alpha-equivalence) in the canonical form.

Σ_{t=1}^{T} r(s_t,a_t) and Σ_{t'=1}^{T} r(s_{t'},a_{t'}) are the same sum; Σ_{t'} r(s_t,a_t)
(t free) is not, and no renaming may turn a free index into a bound one or back.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest
from sympy import Function, Integer, Integral, Product, Sum, Symbol, Tuple

from pgproof.files import load_derivation
from pgproof.kernel.objects import (
    ConditionalExpectation,
    Equation,
    Expectation,
    PGExpr,
    SampleMean,
)
from pgproof.symbolic.canonical import (
    alpha_equal,
    canonical,
    rename_bound,
    smallest_difference,
)
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.refusal import Refusal
from pgproof.symbolic.text import show

from .helpers import N, identity

t, T, tau, i, m = N.t, N.T, N.tau, N.i, N.m
t1 = Symbol("t'", integer=True)
t2 = Symbol("t''", integer=True)
u, v = Symbol("u", integer=True), Symbol("v", integer=True)
g = Function("g")


def r(k):
    return N.r(k)


def same(a, b) -> bool:
    return canonical(a) == canonical(b)


# ------------------------------------------------------------------ accepted renamings


def test_renaming_the_index_of_a_sum_or_a_product() -> None:
    assert same(Sum(r(t), (t, 1, T)), Sum(r(t1), (t1, 1, T)))
    assert same(Sum(r(t1), (t1, 1, T)), Sum(r(t2), (t2, 1, T)))
    assert same(Product(N.pi(t), (t, 1, T)), Product(N.pi(t1), (t1, 1, T)))


def test_the_canonical_name_does_not_depend_on_the_authors_name() -> None:
    for index in (t, t1, t2):
        (limit,) = canonical(Sum(r(index), (index, 1, T))).limits
        assert limit[0] == t


def test_nested_sums_renamed_together() -> None:
    assert same(
        Sum(Sum(g(t, t1), (t1, 1, T)), (t, 1, T)),
        Sum(Sum(g(t1, t2), (t2, 1, T)), (t1, 1, T)),
    )
    assert same(  # one Sum with two limits (innermost first): t' is the outer index
        Sum(Sum(g(t, t1), (t1, 1, T)), (t, 1, T)),
        Sum(g(t1, t), (t, 1, T), (t1, 1, T)),
    )
    assert same(Sum(g(t, t1), (t1, 1, T), (t, 1, T)), Sum(g(t1, t), (t, 1, T), (t1, 1, T)))


def test_an_inner_limit_may_refer_to_the_outer_index() -> None:
    # Σ_{t=1}^{T} Σ_{t'=t}^{T} r_{t'} = Σ_{t'=1}^{T} Σ_{t''=t'}^{T} r_{t''}
    reward_to_go = Sum(Sum(r(t1), (t1, t, T)), (t, 1, T))
    renamed = Sum(Sum(r(t2), (t2, t1, T)), (t1, 1, T))
    assert same(reward_to_go, renamed)
    assert show(canonical(renamed)) == show(reward_to_go)  # the names a reader expects


def test_renaming_makes_like_terms() -> None:
    both = Sum(r(t), (t, 1, T)) + Sum(r(t1), (t1, 1, T))
    assert same(both, 2 * Sum(r(t), (t, 1, T)))


def test_sums_inside_kept_binders_are_renamed() -> None:
    # E_τ[·] and the sample mean keep their variables (τ, i), their Σ_t inside are renamed
    assert same(N.expectation(Sum(r(t1), (t1, 1, T))), N.expectation(Sum(r(t), (t, 1, T))))
    sample_t = SampleMean(Sum(N.r(t, N.sample()), (t, 1, T)), i, m)
    sample_t1 = SampleMean(Sum(N.r(t1, N.sample()), (t1, 1, T)), i, m)
    assert same(sample_t, sample_t1)


def test_sums_inside_a_conditional_expectation_are_renamed() -> None:
    # E[Σ_{t''=1}^{T} r_{t''} | s_t, a_t]: the Σ is renamed, what is given stays
    def ce(index, body=None):
        body = r(index) if body is None else body
        given = Tuple(N.s(t), N.a(t))
        return ConditionalExpectation(Sum(body, (index, 1, T)), tau, N.density_of(), given)

    assert same(ce(t2), ce(t1))
    assert not same(ce(t2), ce(t1, r(t)))
    out = canonical(ce(t2))
    assert t in out.free_symbols
    assert out.args[0].limits[0][0] == t1  # not t: s_t is given beside it


def test_names_around_a_sum_are_not_reused() -> None:
    # the renaming is sound without it; a reader would misread Σ_t (g_t + Σ_t r_t)
    inner = Sum(r(t2), (t2, 1, T))
    nested = canonical(Sum(g(t) + inner, (t, 1, T)))
    assert show(nested) == show(Sum(g(t) + Sum(r(t1), (t1, 1, T)), (t, 1, T)))
    # each side of an equation is named on its own: the left keeps t
    equation = canonical(Equation(Sum(r(t1), (t1, 1, T)), r(t) * Sum(Integer(1), (t2, 1, T))))
    assert equation.lhs == Sum(r(t), (t, 1, T))
    assert equation.rhs.has(t1) and not equation.rhs.has(t2)


def test_equations_and_the_algebra_rule() -> None:
    lhs, rhs = Sum(r(t), (t, 1, T)), Sum(r(t1), (t1, 1, T))
    assert canonical(Equation(lhs, rhs)) == canonical(Equation(lhs, lhs))
    assert identity(lhs, rhs, "algebra").accepted
    assert identity(lhs, rhs).accepted  # restating


def test_any_names_are_alpha_equal() -> None:
    # canonical renames within a family (t, t', t''); alpha_equal whatever the names
    a = canonical(Sum(g(t, t1), (t1, 1, T), (t, 1, T)))
    b = canonical(Sum(g(u, v), (v, 1, T), (u, 1, T)))
    assert a != b
    assert alpha_equal(a, b)


# ------------------------------------------------------------------ refused non-equivalences


def test_an_unused_index_is_not_the_free_one() -> None:
    # Σ_{t'} r_t (t free: T copies of r_t) is not Σ_t r_t
    wrong = Sum(r(t), (t1, 1, T))
    assert not same(wrong, Sum(r(t), (t, 1, T)))
    assert not alpha_equal(canonical(wrong), canonical(Sum(r(t), (t, 1, T))))
    assert t in canonical(wrong).free_symbols


def test_swapped_nested_indices_are_not_equal() -> None:
    a = Sum(Sum(g(t, t1), (t1, 1, T)), (t, 1, T))
    swapped = Sum(Sum(g(t1, t), (t1, 1, T)), (t, 1, T))
    assert not same(a, swapped)
    assert not alpha_equal(
        canonical(Sum(g(u, v), (v, 1, T), (u, 1, T))),
        canonical(Sum(g(v, u), (v, 1, T), (u, 1, T))),
    )


def test_the_outer_index_in_an_inner_limit_is_not_captured() -> None:
    reward_to_go = Sum(Sum(r(t1), (t1, t, T)), (t, 1, T))  # Σ_t Σ_{t'=t}^{T} r_{t'}
    # Σ_{t'} Σ_{t=t'}^{T} r_{t'}: the summand is the outer index's reward
    outer_reward = Sum(Sum(r(t1), (t, t1, T)), (t1, 1, T))
    assert not same(reward_to_go, outer_reward)
    # Σ_t Σ_{t'=1}^{T} r_{t'}: the inner limit no longer refers to t
    assert not same(reward_to_go, Sum(Sum(r(t1), (t1, 1, T)), (t, 1, T)))


def test_a_free_index_stays_free() -> None:
    # Σ_{t'=t}^{T} r_{t'} with t free: t' may not become t (it would capture the limit)
    tail = Sum(r(t1), (t1, t, T))
    out = rename_bound(tail)
    assert t in out.free_symbols
    assert out.limits[0][0] == t1
    assert rename_bound(Sum(r(t2), (t2, t, T))) == out
    # Σ_{t'} r_{t'} r_t: t' may not become t either (it would capture the summand's t)
    beside = Sum(r(t1) * r(t), (t1, 1, T))
    assert t in canonical(beside).free_symbols
    assert same(beside, Sum(r(t2) * r(t), (t2, 1, T)))
    assert not same(beside, Sum(r(t) * r(t), (t, 1, T)))
    for expr in (tail, beside, Sum(r(t), (t1, 1, T)), Sum(r(t1), (t1, 1, T)) + r(t)):
        assert rename_bound(expr).free_symbols == expr.free_symbols


def test_the_index_keeps_its_assumptions() -> None:
    # the sample index is a positive integer, the time index an integer: not one symbol
    over_i = Sum(g(i), (i, 1, m))
    out = canonical(over_i)
    assert out.limits[0][0].is_positive and out.limits[0][0].is_integer
    assert not same(over_i, Sum(g(t), (t, 1, m)))
    assert not alpha_equal(over_i, Sum(g(t), (t, 1, m)))


def test_a_kept_binder_does_not_capture_a_renamed_index() -> None:
    # Σ_{t'} E_{t∼p(t)}[g(t', t)]: the Σ's index may not be renamed t (the E binds t)
    density = Function("p")(t)
    expr = Sum(Expectation(g(t1, t), t, density), (t1, 1, T))
    out = canonical(expr)
    (index, _, _) = out.limits[0]
    assert index != t
    assert out.function.args[0] == g(index, t)
    assert not same(expr, Sum(Expectation(g(t, t), t, density), (t, 1, T)))


class Bind(PGExpr):
    """A binder canonical.py does not know (its variable is args[1])."""

    @property
    def free_symbols(self):
        return self.args[0].free_symbols - {self.args[1]}


def test_an_unknown_binder_does_not_capture_a_renamed_index() -> None:
    expr = Sum(Bind(g(t1, t), t), (t1, 1, T))  # Σ_{t'} B_t[g(t', t)]
    out = canonical(expr)
    (index, _, _) = out.limits[0]
    assert index != t
    assert out.function == Bind(g(index, t), t)
    assert not same(expr, Sum(Bind(g(t, t), t), (t, 1, T)))
    # B_t shadows the outer Σ_t: renaming t' to t would make g(t', t) into g(t, t)
    shadowing = Sum(Sum(Bind(g(t1, t), t), (t1, 1, T)), (t, 1, T))
    assert not same(shadowing, Sum(Sum(Bind(g(t, t), t), (t1, 1, T)), (t, 1, T)))
    assert rename_bound(shadowing) == shadowing  # its scopes are unknown: left as written


def test_a_known_binder_shadowing_a_sum_index() -> None:
    # Σ_t Σ_{t'} E_{t∼p(t)}[g(t', t)]: inside E, t is E's variable
    density = Function("p")(t)
    expr = Sum(Sum(Expectation(g(t1, t), t, density), (t1, 1, T)), (t, 1, T))
    other = Sum(Sum(Expectation(g(t, t), t, density), (t1, 1, T)), (t, 1, T))
    assert not same(expr, other)
    assert rename_bound(expr).free_symbols == expr.free_symbols


def test_reversed_ranges_are_still_refused() -> None:
    with pytest.raises(Refusal):
        canonical(Sum(r(t1), (t1, 3, 1)))


def test_foreign_binders_are_left_as_written() -> None:
    x = Symbol("x")
    expr = Sum(Integral(g(x, t1), (x, 0, 1)), (t1, 1, T))
    assert rename_bound(expr) == expr
    assert rename_bound(Integral(g(x), (x, 0, 1))) == Integral(g(x), (x, 0, 1))


def test_renaming_is_deterministic_and_idempotent() -> None:
    expr = Sum(Sum(g(t2, t1) * r(t), (t2, t1, T)), (t1, 1, T))
    once = canonical(expr)
    assert canonical(expr) == once
    assert canonical(once) == once
    assert rename_bound(once) == once


def test_the_smallest_difference_is_shown_in_the_authors_letters() -> None:
    got = canonical(Sum(r(t), (t1, 1, T)))
    wanted = canonical(Sum(r(t), (t, 1, T)))
    ours, theirs = smallest_difference(got, wanted)
    names = {s.name for s in ours.atoms(Symbol) | theirs.atoms(Symbol)}
    assert names <= {"t", "t'", "T", "tau"}


# ------------------------------------------------------------------ random nested sums


def _value(expr, env: dict) -> int:
    """expr evaluated with g(a, b) = 7a + b² + ab³, every Σ summed term by term."""
    if isinstance(expr, Sum):
        function, *limits = expr.args

        def run(k: int, env: dict) -> int:
            if k < 0:
                return _value(function, env)
            index, low, high = limits[k]
            values = range(_value(low, env), _value(high, env) + 1)
            return sum(run(k - 1, {**env, index: v}) for v in values)

        return run(len(limits) - 1, env)
    if expr.func == g:
        a, b = (_value(x, env) for x in expr.args)
        return 7 * a + b**2 + a * b**3
    if expr.is_Add:
        return sum(_value(x, env) for x in expr.args)
    if expr.is_Mul:
        out = 1
        for x in expr.args:
            out *= _value(x, env)
        return out
    if expr.is_Pow:
        return _value(expr.base, env) ** int(expr.exp)
    return int(expr) if expr.is_Integer else env[expr]


def test_random_nested_sums_equal_canonical_forms_have_equal_values() -> None:
    rng = random.Random(0)
    indices = [t, t1, t2]

    def term(depth: int):
        roll = rng.random()
        if depth == 0 or roll < 0.3:
            return g(rng.choice([*indices, Integer(1)]), rng.choice([*indices, Integer(2)]))
        if roll < 0.45:
            return term(depth - 1) + term(depth - 1)
        if roll < 0.55:
            return term(depth - 1) * term(depth - 1)
        index = rng.choice(indices)
        low = rng.choice([Integer(1), Integer(1), *(k for k in indices if k != index)])
        return Sum(term(depth - 1), (index, low, Integer(2)))

    envs = [dict(zip(indices, values, strict=True)) for values in [(1, 2, 1), (2, 1, 2)]]
    seen: dict = {}
    renamed = 0  # different expressions with one canonical form
    for _ in range(1000):
        expr = term(3)
        try:
            out = canonical(expr)
        except Refusal:  # a lower limit that is a free index: not provably ordered
            continue
        values = [_value(expr, env) for env in envs]
        assert [_value(out, env) for env in envs] == values, (expr, out)
        first, first_values = seen.setdefault(out, (expr, values))
        assert first_values == values, (expr, first, out)
        renamed += first != expr
    assert len(seen) > 200 and renamed > 20


# ------------------------------------------------------------------ end to end

HEADER = """title = "bound renaming"
source = "test"

[notation]
state = "s"
action = "a"
"""


def check_text(tmp_path: Path, body: str):
    path = tmp_path / "case.pgproof.toml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return check_derivation(load_derivation(path))


@pytest.mark.parametrize("by", ["algebra", "restate"])
def test_a_step_renaming_t_to_t_prime_is_accepted(tmp_path: Path, by: str) -> None:
    report = check_text(
        tmp_path,
        """
        [[step]]
        formula = '''\\sum_{t=1}^{T} r(s_t, a_t) = \\sum_{t=1}^{T} r(s_t, a_t)'''
        by = "restate"
        from = "self"

        [[step]]
        formula = '''= \\sum_{t'=1}^{T} r(s_{t'}, a_{t'})'''
        by = "BY"
        """.replace("BY", by),
    )
    assert [s.status for s in report.steps] == ["accepted", "accepted"], report.steps[1].reason


@pytest.mark.parametrize("by", ["algebra", "restate"])
def test_a_wrong_renaming_is_refused(tmp_path: Path, by: str) -> None:
    # Σ_{t'} r(s_t, a_t): the index is renamed in the Σ and not in the summand
    report = check_text(
        tmp_path,
        """
        [[step]]
        formula = '''\\sum_{t=1}^{T} r(s_t, a_t) = \\sum_{t'=1}^{T} r(s_t, a_t)'''
        by = "BY"
        from = "self"
        """.replace("BY", by),
    )
    (step,) = report.steps
    assert step.status == "rejected"
    assert "Dummy" not in step.reason and "_0" not in step.reason


def test_nested_renaming_end_to_end(tmp_path: Path) -> None:
    to_go = r"\sum_{t=1}^{T} \sum_{t'=t}^{T} r(s_{t'}, a_{t'})"
    renamed = r"\sum_{t'=1}^{T} \sum_{t''=t'}^{T} r(s_{t''}, a_{t''})"
    captured = r"\sum_{t'=1}^{T} \sum_{t=t'}^{T} r(s_{t'}, a_{t'})"  # the outer reward
    report = check_text(
        tmp_path,
        f"""
        [[step]]
        formula = '''{to_go} = {renamed}'''
        by = "algebra"
        from = "self"

        [[step]]
        formula = '''= {captured}'''
        by = "algebra"
        """,
    )
    assert [s.status for s in report.steps] == ["accepted", "rejected"]


def test_constants_are_not_renamed() -> None:
    # a Σ whose summand is free of its index: Σ_{t'=1}^{T} 1 next to a free t
    expr = Sum(Integer(1), (t1, 1, T)) * r(t)
    assert t in canonical(expr).free_symbols
    assert show(canonical(expr)).count("t'") == 1
