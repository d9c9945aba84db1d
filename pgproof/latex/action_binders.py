"""Sums and expectations over actions: ``\\sum_{a'}`` and ``E_{a' \\sim \\pi_\\theta(\\cdot|s)}``.

In a formula about one state (``scope = "state"``), a big operator or an expectation whose
index is the action's letter, primed or not (a, a', a''), binds that action:
``\\sum_{a'} f(a')`` is :class:`pgproof.kernel.state_objects.ActionSum` (finitely many
actions, so not for a Gaussian policy, and written without limits), and
``E_{a' \\sim \\pi_\\theta(\\cdot \\mid s)}[f(a')]`` (also ``\\pi_\\theta(a' \\mid s)``) is
:class:`~pgproof.kernel.state_objects.ActionExpectation` under the policy.  An action
bound again inside its own sum is refused (name the inner one a'').  Everything else is
left to :mod:`.bigops` and :mod:`.heads`.
"""

from __future__ import annotations

from collections.abc import Callable

from lark import Token, Tree
from sympy import Expr, Symbol

from pgproof.kernel.state_objects import (
    ActionExpectation,
    ActionSum,
    ActionSymbol,
    StateSymbol,
)
from pgproof.symbolic.policy_classes import FINITE_ACTIONS

from .spine import Layer
from .tree import single_factor, subtrees

__all__ = ["ActionBindersMixin"]


class ActionBindersMixin:
    """Σ_{a'} and E_{a'}; mixed into :class:`pgproof.latex.builder.Builder`."""

    # ------------------------------------------------------------------ Σ_{a'} and E_{a'}

    def _action_index(self, key: str | None) -> ActionSymbol | None:
        if key is None or self.n.scope != "state" or not self.roles.is_action_name(key):
            return None
        return self.n.action_symbol(len(key) - len(key.rstrip("'")))

    def _check_binds(self, action: Symbol, node, what: str) -> None:
        if action in self.bound:
            raise self.error(
                f"{what} binds {action.name} again inside a sum or expectation over it: name "
                "the inner action differently (a'')",
                node,
            )
        if self.n.policy_class not in FINITE_ACTIONS and what.startswith("\\sum"):
            raise self.error(
                f"{what}: the {self.n.policy_class} policy's actions are real numbers, not a "
                "finite set: write E_{a' \\sim \\pi_\\theta(\\cdot \\mid s)}[…]",
                node,
            )

    def bigop(self, node: Tree):
        found = self.unlimited_sum(node, self._action_index, "actions")
        if found is None:
            return super().bigop(node)
        action, key, sub = found
        self._check_binds(action, sub, f"\\sum_{{{key}}}")
        return Layer(lambda e, a=action: ActionSum(e, a), action), action

    def unlimited_sum(
        self, node: Tree, index_of: Callable[[str | None], Symbol | None], what: str
    ) -> tuple[Symbol, str, Tree] | None:
        """(the variable, its key, the subscript) of ``\\sum_{x}`` when ``index_of`` reads x
        as a bound state or action (Σ_{a'}, Σ_s), else None.  Such a sum has no limits:
        ``\\sum_{x = …}`` is refused as a sum over the ``what``, and so are a superscript
        and \\prod."""
        op: Token = node.children[0]
        scripts = subtrees(node)
        sub, sup = self.scripts(scripts[0] if scripts else None)
        key = self.arg_key(sub) if sub is not None else None
        inner = self.arg_node(sub) if sub is not None else None
        if key is None and isinstance(inner, Tree) and len(inner.children) == 3:  # a = 1
            factor = single_factor(inner.children[0])
            lower = None if factor is None else self._plain_key(factor)
            if index_of(lower) is not None:
                raise self.error(
                    f"a sum over the {what} is written \\sum_{{{lower}}}, without limits", sub
                )
        variable = index_of(key)
        if variable is None:
            return None
        over = "states" if isinstance(variable, StateSymbol) else "actions"
        if op.type != "SUM" or sup is not None:
            raise self.error(
                f"a sum over the {over} is written \\sum_{{{key}}}, without limits", sub
            )
        return variable, key, sub

    def expectation(self, sub: Tree | None, args: Tree) -> Expr:
        spec = self._action_distribution(sub)
        if spec is None:
            return super().expectation(sub, args)
        action, state = spec
        with self.binding({action}):
            body = self.group_value(args)
        return ActionExpectation(body, action, self.n.policy_at(action, state))

    def _action_distribution(self, sub: Tree | None) -> tuple[ActionSymbol, Expr] | None:
        """(the bound action, the state) of ``a' \\sim \\pi_\\theta(\\cdot \\mid s)``."""
        if sub is None or self.n.scope != "state":
            return None
        inner = self.arg_node(sub)
        if isinstance(inner, Token) or len(inner.children) != 3:
            return None
        lhs, op, rhs = inner.children
        factor = single_factor(lhs)
        key = None if factor is None else self._plain_key(factor)
        action = self._action_index(key)
        if action is None or op.type != "SIM":
            return None
        self._check_binds(action, lhs, f"E_{{{key} \\sim \\ldots}}")
        policy = single_factor(rhs)
        shape = f"E_{{{key} \\sim \\pi_\\theta(\\cdot \\mid s)}}"
        if policy is None or policy.data != "applied":
            raise self.error(f"the actions' distribution is the policy: write {shape}", rhs)
        kids = subtrees(policy)
        if not self.roles.has(self.name_key(kids[0]), "policy"):
            raise self.error(f"the actions' distribution is the policy: write {shape}", rhs)
        scripts = kids[1] if kids[1].data == "scripts" else None
        p_sub, p_sup = self.scripts(scripts)
        if p_sub is None or not self.is_parameter(p_sub) or p_sup is not None:
            raise self.error(f"the policy must be written with its parameter: {shape}", rhs)
        args = next(k for k in kids if k.data == "args")
        parts, seps = self.arg_parts(args, allow_open=True)
        if len(parts) != 2 or [s.type for s in seps] != ["BAR"]:
            raise self.error(f"write {shape}", args)
        first, given = parts
        if first.data != "placeholder":
            with self.binding({action}):
                value = self.sum(first)
            if value != action:
                raise self.error(
                    f"the policy's action must be \\cdot (or {key} itself): write {shape}", first
                )
        if given.data == "placeholder":
            raise self.error(f"the policy is given a state: write {shape}", given)
        state = self._plain(given, "state", "policy's state")
        return action, state
