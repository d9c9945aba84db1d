"""The state-visitation form in the trajectory scope: ``\\sum_s``, ``\\sum_a``, ``\\Pr(s_t = s)``.

In the default (trajectory) scope a bare state or action name needs its time subscript,
except where a sum binds it: ``\\sum_{s}`` binds the plain state s (over the finite state
set: :class:`pgproof.kernel.visitation.StateSum`) and ``\\sum_{a}`` the plain action a
(:class:`pgproof.kernel.state_objects.ActionSum`), both written without limits.  Inside
them π_θ(a|s), Q^π(s, a), d^π(s) take the plain s and a; outside, s and a are refused with
how to write them.  ``\\Pr(s_t = s)`` is the probability under τ ∼ p_θ that the state at
step t is s (:class:`~pgproof.kernel.visitation.StateProbability`): s_t of the trajectory
on the left, a plain state on the right.
"""

from __future__ import annotations

from lark import Tree
from sympy import Expr, Symbol

from pgproof.kernel.objects import State
from pgproof.kernel.state_objects import ActionSum, StateSymbol
from pgproof.kernel.visitation import StateSum

from .spine import Layer

__all__ = ["VisitationMixin"]


class VisitationMixin:
    """Σ_s, Σ_a and Pr(s_t = s); mixed into :class:`pgproof.latex.builder.Builder`."""

    def _plain_index(self, key: str | None) -> Symbol | None:
        """The plain state or action (s, s', a, a', …) a Σ binds in the trajectory scope, if
        ``key`` names one."""
        if key is None or self.n.scope == "state":
            return None
        base = key.rstrip("'")
        primes = len(key) - len(base)
        if self.roles.has(base, "state"):
            return StateSymbol(self.n.state + "'" * primes)
        if self.roles.has(base, "action"):
            return self.n.action_symbol(primes)
        return None

    def f_named(self, node: Tree) -> Expr:
        """A primed s', a' in the trajectory scope: bound by \\sum_{s'}, \\sum_{a'} only."""
        key = self._plain_key(node)
        variable = self._plain_index(key)
        if variable is None or key == key.rstrip("'"):
            return super().f_named(node)
        if variable not in self.bound:
            raise self.error(f"{key} is only defined inside a sum over it, \\sum_{{{key}}}", node)
        return variable

    def bigop(self, node: Tree):
        found = self.unlimited_sum(node, self._plain_index, "states or actions")
        if found is None:
            return super().bigop(node)
        variable, key, sub = found
        if variable in self.bound:
            raise self.error(f"\\sum_{{{key}}} binds {key} again inside a sum over it", sub)
        cls = StateSum if isinstance(variable, StateSymbol) else ActionSum
        return Layer(lambda e, v=variable, c=cls: c(e, v), variable), variable

    def f_probability(self, node: Tree) -> Expr:
        """\\Pr(s_t = s): the law of the state at step t of τ ∼ p_θ, at the state s."""
        left, right = (c for c in node.children if isinstance(c, Tree))
        shape = "\\Pr(s_t = s), with s_t of the trajectory and s a state bound by \\sum_s"
        step = self.sum(left)
        if not isinstance(step, State) or step.trajectory != self.n.tau:
            raise self.error(f"the probability of a step's state is written {shape}", left)
        state = self.sum(right)
        if not isinstance(state, StateSymbol):
            raise self.error(f"the probability of a step's state is written {shape}", right)
        return self.n.state_probability(step, state)
