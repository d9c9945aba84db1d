"""The value functions of the tabular softmax policy with their exact θ-derivatives.

The recursions of :mod:`pgproof.numeric.value_functions`, run on jets (:mod:`.jets`), so
that ∇_θ and ∇_θ² (per coordinate) of V, Q, A, d^π, Pr(s_t = s) and J are exact:

    finite horizon:   Q_k = r + γ P V_{k+1},   V_k = Σ_a π(a|·) Q_k,   V_T = 0,
                      d_0 = ρ,  d_{k+1} = d_k P_π,   d^π = Σ_k γ^k d_k,   J = ρ · V_0;
    infinite horizon: (I − γ P_π) V = r_π,  (I − γ P_π)ᵀ d^π = ρ,  Q = r + γ P V,  J = ρ · V;
    Pr(s_k = ·) = ρ P_π^k,          P_π[s, s'] = Σ_a π(a|s) P(s'|s, a),  r_π = Σ_a π r.

Each quantity is a :class:`~.jets.Jet`; its value agrees with the plain recursion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgproof.numeric.mdp import TabularMDP

from .jets import Jet, contract, solve

__all__ = ["ValueJets", "state_marginal_jet", "value_jets"]


@dataclass(frozen=True)
class ValueJets:
    """V, Q, A (finite horizon: by step k first), unnormalised d^π [S], and J."""

    values: Jet
    q_values: Jet
    advantages: Jet
    visitation: Jet
    objective: Jet


def _kernel(pi: Jet, mdp: TabularMDP) -> Jet:
    return contract("sa,sat->st", pi, mdp.transition)


def value_jets(mdp: TabularMDP, pi: Jet, infinite: bool) -> ValueJets:
    """The value functions of π (a jet [S, A]) on ``mdp`` (γ = ``mdp.discount``)."""
    gamma = float(mdp.discount)
    n = pi.c[1].shape[-1] if pi.order else 0
    kernel = _kernel(pi, mdp)
    if infinite:
        reward_pi = contract("sa,sa->s", pi, mdp.reward)
        system = Jet.const(np.eye(mdp.n_states), pi.order, n) - kernel.scale(gamma)
        values = solve(system, reward_pi)
        initial = Jet.const(mdp.initial, pi.order, n)
        visitation = solve(system, initial, transpose=True)
        q_values = Jet.const(mdp.reward, pi.order, n) + contract(
            "sat,t->sa", mdp.transition, values
        ).scale(gamma)
        advantages = q_values - values.expand(1)
        objective = contract("s,s->", mdp.initial, values)
        return ValueJets(values, q_values, advantages, visitation, objective)
    following = Jet.const(np.zeros(mdp.n_states), pi.order, n)
    vs, qs = [], []
    for _ in range(mdp.horizon):
        q = Jet.const(mdp.reward, pi.order, n) + contract(
            "sat,t->sa", mdp.transition, following
        ).scale(gamma)
        following = contract("sa,sa->s", pi, q)
        vs.append(following)
        qs.append(q)
    vs.reverse()
    qs.reverse()
    values = _stack(vs)
    q_values = _stack(qs)
    advantages = q_values - values.expand(2)
    row = Jet.const(mdp.initial, pi.order, n)
    visitation = row
    for k in range(1, mdp.horizon):
        row = contract("s,st->t", row, kernel)
        visitation = visitation + row.scale(gamma**k)
    objective = contract("s,s->", mdp.initial, vs[0])
    return ValueJets(values, q_values, advantages, visitation, objective)


def state_marginal_jet(mdp: TabularMDP, pi: Jet, k: int) -> Jet:
    """Pr(s_k = ·) = ρ P_π^k with its derivatives, [S]."""
    n = pi.c[1].shape[-1] if pi.order else 0
    kernel = _kernel(pi, mdp)
    row = Jet.const(mdp.initial, pi.order, n)
    for _ in range(k):
        row = contract("s,st->t", row, kernel)
    return row


def _stack(jets: list[Jet]) -> Jet:
    return Jet(tuple(np.stack([j.c[i] for j in jets]) for i in range(len(jets[0].c))))
