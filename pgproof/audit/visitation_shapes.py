"""Redexes of the state-visitation rules, for the differential test of :mod:`.expressions`.

state_action_marginal   E_{τ∼p_θ}[f] with f a product (or sum) of π_θ(a_t|s_t),
                        ∇_θ log π_θ(a_t|s_t), ∇_θ π_θ(a_t|s_t), r(s_t, a_t), p(s_first)
                        at one step, sometimes with a factor of another step
                        (p(s_{t+1}|s_t, a_t)) or R(τ), which the rule must refuse
swap_sums               Σ_{t=first}^{T} c_t Σ_s Pr(s_t = s) g(s), g a function of the
                        state alone or Σ_a over its actions
"""

from __future__ import annotations

from hypothesis import strategies as st
from sympy import Add, Basic, Integer, Mul, Sum, log

from pgproof.kernel.objects import Grad
from pgproof.kernel.state_objects import ActionSum
from pgproof.kernel.visitation import StateSum
from pgproof.symbolic.notation import Notation

__all__ = ["visitation_shapes"]


def _one_step(n: Notation, t: Basic) -> list[Basic]:
    theta = n.theta
    factors = [n.pi(t), Grad(log(n.pi(t)), theta), Grad(n.pi(t), theta), n.r(t), Integer(2)]
    return factors + ([n.p0()] if t == n.first else [])


def visitation_shapes(n: Notation) -> dict[str, st.SearchStrategy[Basic]]:
    """The redexes of ``state_action_marginal`` and ``swap_sums`` in notation ``n``."""
    theta, s, a = n.theta, n.state_symbol(), n.action_symbol()
    times = st.sampled_from([n.first, n.T])

    def bodies(t: Basic) -> st.SearchStrategy[Basic]:
        factor = st.sampled_from(_one_step(n, t))
        products = st.lists(factor, min_size=1, max_size=3).map(lambda xs: Mul(*xs))
        return st.one_of(
            products,
            st.tuples(products, products).map(lambda xs: Add(*xs)),
            products.map(lambda f: f * n.p(t)),  # of two steps: refused
            products.map(lambda f: f * n.R()),  # of the whole trajectory: refused
        )

    marginal = times.flatmap(bodies).map(n.expectation)
    per_state = st.sampled_from(
        [
            Integer(1),
            n.r(n.first).xreplace({n.s(n.first): s, n.a(n.first): a}) * n.policy_at(a, s),
            Grad(n.policy_at(a, s), theta),
            n.state_probability(n.s(n.first), s),
        ]
    )
    inside = per_state.map(
        lambda g: StateSum(n.state_probability(n.s(n.t), s) * _over_actions(g, a), s)
    )
    outside = st.sampled_from([Integer(1), Integer(2), n.r(n.t), Grad(n.pi(n.t), theta)])
    swap = st.builds(lambda c, g: Sum(c * g, n.time_range()), outside, inside)
    return {"state_action_marginal": marginal, "swap_sums": swap}


def _over_actions(g: Basic, a: Basic) -> Basic:
    return ActionSum(g, a) if a in g.free_symbols else g
