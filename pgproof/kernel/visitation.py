"""Objects of the state-visitation form: Pr(s_t = s) and Σ_s over the states.

The policy-gradient theorem in state-visitation form is a sum over the (finitely many)
states of functions of one state s, weighted by how often the trajectory visits it:

    ∇_θ J(θ) = Σ_s d^π(s) Σ_a ∇_θ π_θ(a|s) Q^π(s, a),
    d^π(s)   = Σ_{t=first}^{T} γ^{t−first} Pr(s_t = s)        (T may be ∞)

(the *unnormalised* discounted visitation, of total mass Σ_t γ^{t−first}: 1/(1 − γ) with an
infinite horizon; Sutton & Barto's μ(s) is the normalised one, hence their ∝).  The formulas
mix the two worlds of pgproof: the trajectory τ ∼ p_θ, its steps s_t, a_t and Σ_t, and a
plain state s and action a bound by Σ_s and Σ_a.  The objects here:

    Pr(s_t = s)     StateProbability(s_t, s, p_θ(τ)): the marginal law of the state at step
                    t of τ ∼ p_θ, at the state s (a function of t, s and θ; τ is bound)
    Σ_s f(s)        StateSum(f, s): over the finite state set (never empty); the state s
                    is bound, and Σ_s compares equal up to its name (as Σ_{a'} does)

Σ_a over the actions is :class:`.state_objects.ActionSum`.  In the trajectory scope a
plain s or a is only read bound by Σ_s or Σ_a (:mod:`pgproof.latex.action_binders`).
"""

from __future__ import annotations

from sympy import Basic

from .binders import Declaration
from .objects import PGExpr, State
from .state_objects import _BoundSum

__all__ = ["StateProbability", "StateSum"]


class StateProbability(PGExpr):
    """Pr(s_t = s): ``StateProbability(s_t, s, p_θ(τ))``, the probability under τ ∼ p_θ
    that the state at step t is s.  Positive is not assumed (a state may be unreachable);
    it lies in [0, 1]."""

    is_extended_real = True
    is_nonnegative = True

    @property
    def step(self) -> State:
        """s_t: the state of the trajectory whose law is taken."""
        return self.args[0]

    @property
    def state(self) -> Basic:
        """s: the state at which the law is evaluated."""
        return self.args[1]

    @property
    def density(self) -> Basic:
        return self.args[2]

    #: τ (the trajectory of s_t) is bound in s_t and in p_θ(τ), not in the state s
    declaration = Declaration(body=(), variable=(0, 1), scope=(0, 2), leaf=True)


class StateSum(_BoundSum):
    """Σ_s f(s): ``StateSum(f, s)``, over the finite state set; s is bound."""
