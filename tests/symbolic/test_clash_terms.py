"""The clash mode of the differential tests (:mod:`pgproof.audit.clashes`): its renamings keep
a term's meaning (a name free in the binder's scope is never taken: that would capture it),
and what it reports as clashing or shadowed is."""

from __future__ import annotations

from ..extras import require_extra

require_extra("audit")  # before the audit's imports: a skip naming the extra, not an ImportError

from sympy import Sum  # noqa: E402

from pgproof.audit.clashes import (  # noqa: E402
    clashing_names,
    primed_time,
    rebind,
    renamings,
    shadowed,
    trap,
)
from pgproof.audit.expressions import NOTATIONS  # noqa: E402
from pgproof.bridge.judge import EQUAL, WRONG, judge_claim  # noqa: E402
from pgproof.kernel.binders import bound_variables  # noqa: E402
from pgproof.symbolic.traversal import replace_at  # noqa: E402

N = NOTATIONS[0]
T, TP = N.t, primed_time(N)
_, FIRST, LAST = N.time_range()


def _sum(body, index=TP, low=FIRST, high=LAST):
    return Sum(body, (index, low, high))


def test_a_renaming_to_a_name_free_elsewhere_keeps_the_meaning() -> None:
    inner = _sum(N.r(TP))
    term = inner * N.r(T)  # Σ_{t'} r_{t'} · r_t
    assert rebind(inner, T) == _sum(N.r(T), T)
    renamed = _sum(N.r(T), T) * N.r(T)  # Σ_t r_t · r_t: the same number, t bound and free
    assert clashing_names(renamed) == {T.name} and not clashing_names(term)
    assert judge_claim(term, renamed, N, trials=1).verdict == EQUAL


def test_a_renaming_that_would_capture_is_refused() -> None:
    """Σ_{t'} r_{t'} r_t renamed to t would read Σ_t r_t r_t: a different number."""
    term = _sum(N.r(TP) * N.r(T))
    assert rebind(term, T) is None
    captured = _sum(N.r(T) * N.r(T), T)
    assert judge_claim(term, captured, N, trials=1).verdict == WRONG  # the evaluator sees it


def test_every_renaming_offered_keeps_the_meaning() -> None:
    expr = _sum(N.r(TP) * N.r(T)) + _sum(N.r(TP) * _sum(N.r(T), T)) * N.r(T)
    options = renamings(expr)
    assert len(options) >= 2
    for path, node in options:
        twin = replace_at(expr, path, node)
        assert twin != expr and twin.free_symbols == expr.free_symbols
        assert judge_claim(expr, twin, N, trials=1).verdict == EQUAL, twin


def test_a_renaming_renames_an_inner_binder_of_the_new_name() -> None:
    """Σ_{t'} (r_{t'} Σ_t r_t r_{t'}) renamed to t: the inner t is renamed first, else it
    would capture the t' put in."""
    term = _sum(N.r(TP) * _sum(N.r(T) * N.r(TP), T))
    renamed = rebind(term, T)
    assert renamed is not None and bound_variables(renamed) == (T,)
    inner = renamed.function.atoms(Sum).pop()
    assert bound_variables(inner) != (T,)
    assert judge_claim(term, renamed, N, trials=1).verdict == EQUAL


def test_clashes_and_shadowing_are_reported_as_they_are() -> None:
    nested = _sum(N.r(T) * _sum(N.r(T), T), T)  # Σ_t (r_t Σ_t r_t)
    assert shadowed(nested) and not clashing_names(nested)
    beside = _sum(N.r(T), T) + N.r(T)
    assert clashing_names(beside) == {T.name} and not shadowed(beside)
    apart = _sum(N.r(TP)) + N.r(T)
    assert not clashing_names(apart) and not shadowed(apart)


def test_the_trap_keeps_the_limits_and_binds_a_name_they_mention() -> None:
    """Σ_{t'=t}^{T} r_{t'} gets a factor Σ_t r_t r_{t'}: the t of its lower limit is bound
    inside (putting t for t' there without renaming would capture it)."""
    togo = _sum(N.r(TP), TP, T, LAST)
    trapped = trap(togo, N)
    assert trapped.limits == togo.limits
    assert T.name in clashing_names(trapped)
    inner = trapped.function.atoms(Sum).pop()
    assert bound_variables(inner) == (T,) and TP in inner.free_symbols
