"""Differential tests of every rule: what the checker establishes is numerically true.

For each registered rule, Hypothesis draws (derandomised, a bounded number of examples) a
small derivation whose last step applies the rule to a random expression of the rule's
shape, in a random context, claiming one of the rule's own results or a near miss of one
(:func:`pgproof.audit.expressions.rule_cases`).  When the checker establishes the step,
the audit's judge evaluates the claim on random MDPs: it must be equal.  Steps that cannot
be evaluated are counted, and must stay few; each rule must be established on a fair
share of its examples, or the test would test nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ..extras import require_extra

require_extra("audit")  # before the audit's imports: a skip naming the extra, not an ImportError

from pgproof.audit import expressions  # noqa: E402
from pgproof.audit.expressions import Tally, run_differential  # noqa: E402
from pgproof.bridge.judge import WRONG, clear_cache  # noqa: E402
from pgproof.symbolic.rules import REGISTRY, all_names  # noqa: E402

EXAMPLES = 30

#: examples per rule on terms whose bound names clash with free ones
CLASH_EXAMPLES = 20


def _assert_sound_and_tried(name: str, tally: Tally, examples: int, few: int = 10) -> None:
    """No WRONG, established on a fair share, few not evaluated (one in ``few``)."""
    counts = tally.counts
    assert counts[WRONG] == 0, "\n".join([f"{name}: {dict(counts)}", *tally.wrong])
    established = tally.established
    assert established >= examples // 6, f"{name} is established too rarely: {dict(counts)}"
    not_evaluated = counts["not evaluated"]
    assert not_evaluated <= max(2, established // few), f"{name}: {dict(counts)}"


#: drop_zero_gradient's shapes hold ∇ log r(s_1, a_1) on purpose (undefined wherever a
#: reward is ≤ 0); a clash context around it (·r_t + Σ_t r_t, E_τ[·]) keeps it in every
#: term, so both sides are undefined on every trial more often: one in five is allowed there
CLASH_FEW = {"drop_zero_gradient": 5}


@pytest.mark.parametrize("name", all_names())
def test_what_a_rule_establishes_is_numerically_true(name: str) -> None:
    tally = run_differential(name, examples=EXAMPLES, trials=2)
    _assert_sound_and_tried(name, tally, EXAMPLES)


@pytest.mark.parametrize("name", all_names())
def test_what_a_rule_establishes_on_clashing_names_is_numerically_true(name: str) -> None:
    """The same, on terms whose bound names clash with free ones (a free step t beside an
    inner Σ_t, E_τ beside a free τ, Σ_a beside a free a, binders of the same name nested,
    an outer binder of a name the redex mentions): and most of them really clash."""
    tally = run_differential(name, examples=CLASH_EXAMPLES, trials=2, clash_names=True)
    _assert_sound_and_tried(name, tally, CLASH_EXAMPLES, CLASH_FEW.get(name, 10))
    assert tally.clashing >= tally.cases // 2, (name, tally.clashing, tally.cases)


def test_every_rule_has_a_shape_of_its_own_or_is_root_only() -> None:
    """A rule without a redex strategy would be tried on arbitrary expressions only."""
    special = {"algebra", "restate", "substitute", "differentiate_both_sides", "log_both_sides"}
    shaped = {
        name
        for name in all_names()
        if any(expressions._shapes(n, name) is not None for n in expressions.notations_for(name))
    }
    assert "grad_of_sum" in shaped
    assert set(REGISTRY) <= shaped | special
    # the rules of formulas about one state are also tried there
    for name in ("chain_rule", "grad_of_inner_product", "definition", "sum_to_expectation"):
        assert any(n.scope == "state" for n in expressions.notations_for(name)), name


def test_the_differential_test_catches_an_unsound_rule(monkeypatch) -> None:
    """grad_of_sum made to drop a term: the differential test must report it as WRONG."""
    from sympy import Add

    from pgproof.kernel.objects import Grad

    rule = REGISTRY["grad_of_sum"]

    def unsound(node, ctx):
        if isinstance(node, Grad) and isinstance(node.expr, Add):
            return [Grad(node.expr.args[0], node.variable)]
        return None

    monkeypatch.setitem(REGISTRY, "grad_of_sum", replace(rule, function=unsound))
    clear_cache()
    tally = run_differential("grad_of_sum", examples=EXAMPLES, trials=2)
    assert tally.counts[WRONG] > 0, dict(tally.counts)


def test_the_clash_mode_nests_binders_of_the_same_name() -> None:
    """Shadowing is drawn too: a binder inside one of the same name, on a fair share."""
    tallies = [
        run_differential(name, examples=CLASH_EXAMPLES, trials=2, clash_names=True)
        for name in ("split_sum", "expectation_of_sum", "causality")
    ]
    cases = sum(t.cases for t in tallies)
    assert sum(t.shadowing for t in tallies) >= cases // 10, [t.shadowing for t in tallies]


def _capturing(expr, old, new):
    """f[old := new] that respects shadowing but renames no binder: a free name of ``new``
    is captured by a binder of ``f`` (the substitution the kernel replaced)."""
    from pgproof.kernel.binders import bound_variables

    if expr == old:
        return new
    if not expr.args or old not in expr.free_symbols or old in bound_variables(expr):
        return expr
    return expr.func(*(_capturing(a, old, new) for a in expr.args))


def _trapped_split_case(notation):
    """A clash-mode case of split_first_term: Σ_{t'=t}^{T} r_{t'} · Σ_t r_t r_{t'} (the inner
    Σ_t binds the t of the lower limit), the claim the rule itself produces."""
    from sympy import Sum

    from pgproof.audit.clashes import primed_time, trap
    from pgproof.audit.expressions import RuleCase, _derivation
    from pgproof.audit.mutations import rule_candidates
    from pgproof.kernel.objects import Equation
    from pgproof.symbolic.derivation import Step

    t, u, last = notation.t, primed_time(notation), notation.time_range()[2]
    x = trap(Sum(notation.r(u), (u, t, last)), notation)
    claims = [
        c for c in rule_candidates(Equation(x, x), "split_first_term", notation) if c.lhs == x
    ]
    step = Step(lhs=x, rhs=claims[0].rhs, rules=("split_first_term",), source="self")
    return RuleCase("split_first_term", _derivation(notation, step), 1, "trapped")


def test_the_differential_test_on_clashing_names_catches_a_capture_bug(monkeypatch) -> None:
    """split_first_term made to substitute capturing (Σ_{t'=t} f(t') ↦ f(t) with an inner Σ_t
    in f capturing the t put in): the clash mode's case is WRONG; with the kernel's
    substitution it is equal."""
    from pgproof.audit.expressions import NOTATIONS, differential_outcome
    from pgproof.symbolic.rules import sums

    notation = NOTATIONS[0]
    clear_cache()
    assert differential_outcome(_trapped_split_case(notation))[0] == "equal"
    monkeypatch.setattr(sums, "substitute", _capturing)
    clear_cache()
    outcome, detail = differential_outcome(_trapped_split_case(notation))
    assert outcome == WRONG, (outcome, detail)
