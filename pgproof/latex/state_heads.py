"""Formulas about one state: s, a, a', π_θ(a|s), μ_θ(s), φ(s, a), and \\mathcal{N}.

With the notation's ``scope = "state"`` a bare state or action name is one state s and one
action a (no time index); a primed action a', a'' is an action bound by ``\\sum_{a'}`` or
``E_{a' \\sim \\pi_\\theta(\\cdot \\mid s)}[…]`` (:mod:`.action_binders`), and is refused
outside them.  A bare \\pi is the number π (the report says so when π also names the
policy), so that √(2π) can be written.  In the default scope a bare s still needs its
time subscript, and the message says how to write a formula about one state.
``\\mathcal{N}(x; \\mu, \\sigma^2)`` (also ``x \\mid \\mu, \\sigma^2``) is the normal
density, read in every scope; its variance must be known positive.  A function declared
to depend on θ (μ_θ(s)) is written with θ as its subscript, and a θ-free one without: the
other way round is refused, never guessed.

Mixed into :class:`pgproof.latex.builder.Builder` before the trajectory heads: each method
handles the per-state forms and leaves everything else to :mod:`.heads`.
"""

from __future__ import annotations

from lark import Token, Tree
from sympy import Expr, S

from pgproof.kernel.objects import Action, State
from pgproof.kernel.state_objects import (
    ActionSymbol,
    GaussianDensity,
    StateSymbol,
)

from .tree import single_factor, subtrees

__all__ = ["NORMAL", "StateHeadsMixin"]

#: the name key of the normal density
NORMAL = r"\mathcal{N}"


class StateHeadsMixin:
    """Per-state heads; mixed into :class:`pgproof.latex.builder.Builder`."""

    # ------------------------------------------------------------------ names

    def name_key(self, name: Tree) -> str:
        first = next(c for c in name.children if isinstance(c, Token))
        if first.type == "MATHCAL":
            letter = first.value.removeprefix("\\mathcal").strip(" {}")
            return r"\mathcal{%s}" % letter
        return super().name_key(name)

    def _plain_key(self, node: Tree) -> str | None:
        """The key of a bare name (no scripts), else None."""
        kids = subtrees(node)
        if node.data != "named" or len(kids) != 1:
            return None
        return self.name_key(kids[0])

    def f_named(self, node: Tree) -> Expr:
        key = self._plain_key(node)
        kids = subtrees(node)
        if key is None and len(kids) == 2:  # a'^2: a bare name with a power
            sub, sup = self.scripts(kids[1])
            name = self.name_key(kids[0])
            plain = self.roles.of(name) & {"state", "action"} or self.roles.is_action_name(name)
            if sub is None and sup is not None and plain and self.n.scope == "state":
                return self.make_power(self.plain_variable(name, node), sup)
        if key is not None:
            roles = self.roles.of(key)
            if key == NORMAL:
                raise self.error(
                    f"{NORMAL} needs its arguments: {NORMAL}(a; \\mu, \\sigma^2), the density "
                    "at a point, its mean and its variance",
                    node,
                )
            if "state" in roles or "action" in roles or self.roles.is_action_name(key):
                return self.plain_variable(key, node)
            if key == r"\pi" and roles <= {"policy"}:
                return self.circle_constant()
        return super().f_named(node)

    def circle_constant(self) -> Expr:
        """A bare \\pi (no subscript, no arguments) is the number π, as in √(2π); when the
        policy is also named π, the report says how it was read."""
        if self.roles.has(r"\pi", "policy"):
            self.read_as(r"\pi without arguments is the number π = 3.14159…, not the policy")
        return S.Pi

    def symbol(self, key: str, node) -> Expr:
        if key == "e" and not self.roles.of(key):
            raise self.error(
                "e is not defined by this notation: write the exponential as \\exp(...)", node
            )
        return super().symbol(key, node)

    def plain_variable(self, key: str, node: Tree) -> Expr:
        """s, a (free), or a bound a'; in the trajectory scope, the time subscript is needed."""
        n = self.n
        if n.scope != "state":
            plain = n.state_symbol() if self.roles.has(key, "state") else n.action_symbol()
            if plain in self.bound:  # bound by Σ_s or Σ_a
                return plain
            raise self.error(
                f"{key} needs a time subscript, e.g. {key}_t, or a sum that binds it, "
                f"\\sum_{{{key}}} (for a formula about one state {key} without time, set "
                'scope = "state" in the notation)',
                node,
            )
        if self.roles.has(key, "state"):
            return n.state_symbol()
        primes = len(key) - len(key.rstrip("'"))
        action = n.action_symbol(primes)
        if primes and action not in self.bound:
            raise self.error(
                f"{key} is only defined inside a sum over {key} or an expectation "
                f"E_{{{key} \\sim \\pi_\\theta(\\cdot \\mid s)}}",
                node,
            )
        return action

    # ------------------------------------------------------------------ applications

    def apply(self, key: str, name: Tree, sub, sup, args: Tree) -> Expr:
        if key == NORMAL:
            return self.normal(sub, sup, args)
        if "function" in self.roles.of(key):
            declared = self.roles.functions[key]
            if declared in self.n.parameter_functions():
                return self.parametrised(key, declared, sub, sup, args)
            if sub is not None and self.is_parameter(sub):
                raise self.error(
                    f"{key} is declared free of {self._param_tex()} (written without a "
                    f"subscript); a function that depends on {self._param_tex()} is declared "
                    "among parameter_state_functions of the notation",
                    sub,
                )
            if self._plain_arguments(args):
                return self.plain_declared(key, declared, sub, sup, args)
        if "policy" in self.roles.of(key) and self._plain_arguments(args):
            return self.plain_policy(key, sub, sup, args)
        return super().apply(key, name, sub, sup, args)

    def _plain_arguments(self, args: Tree) -> bool:
        """Some argument is a bare state or action name (a formula about one state, or a
        state or action bound by Σ_s, Σ_a in the trajectory scope)."""
        for part in self.arg_parts(args)[0]:
            factor = single_factor(part)
            key = None if factor is None else self._plain_key(factor)
            if key is not None and (
                self.roles.of(key) & {"state", "action"}
                or self.roles.is_action_name(key)
                or self._plain_index(key) is not None  # s', a' bound in the trajectory scope
            ):
                return True
        return False

    def _plain(self, part: Tree, kind: str, role: str) -> Expr:
        cls, what = (StateSymbol, "the state s") if kind == "state" else (ActionSymbol, "an action")
        value = self.sum(part)
        if not isinstance(value, cls):
            raise self.error(f"the {role} must be {what}, got {self.src(part)}", part)
        return value

    def _typed(self, part: Tree, cls: type, what: str, role: str) -> Expr:
        value = super()._typed(part, (cls, StateSymbol, ActionSymbol), what, role)
        if not isinstance(value, cls):
            raise self.error(
                f"the {role} must be {what} of the trajectory, got {self.src(part)}: in a "
                "formula about one state, s and a are read in π_θ(a|s), \\mathcal{N} and "
                "declared functions",
                part,
            )
        return value

    def plain_policy(self, key: str, sub, sup, args: Tree) -> Expr:
        """π_θ(a | s) of one state."""
        if sup is not None:
            raise self.error(f"write a power after the arguments: {key}(...)^{{...}}", sup)
        if sub is None or not self.is_parameter(sub):
            raise self.error(
                f"{key}{self.src(args)} does not say that it depends on {self._param_tex()}: "
                f"write {key}_{{{self._param_tex()}}}{self.src(args)}",
                sub if sub is not None else args,
            )
        parts, seps = self.arg_parts(args)
        if len(parts) != 2:
            raise self.error("the policy takes (a | s)", args)
        self._seps(seps, ["BAR"], "\\pi_\\theta(a \\mid s)", args)
        action = self._plain(parts[0], "action", "policy's first argument")
        state = self._plain(parts[1], "state", "policy's second argument")
        return self.n.policy_at(action, state)

    def _function_arguments(self, key: str, kinds: tuple[str, ...], args: Tree) -> list[Expr]:
        parts = self.declared_parts(key, kinds, args, "")
        values = []
        for part, kind in zip(parts, kinds, strict=True):
            value = self.sum(part)
            plain = StateSymbol if kind == "state" else ActionSymbol
            timed = State if kind == "state" else Action
            if not isinstance(value, (plain, timed)):
                what = "a state" if kind == "state" else "an action"
                raise self.error(
                    f"the {kind} argument of {key} must be {what}, got {self.src(part)}", part
                )
            values.append(value)
        first = values[0]
        for value in values[1:]:
            same_kind = isinstance(value, (StateSymbol, ActionSymbol)) == isinstance(
                first, (StateSymbol, ActionSymbol)
            )
            if not same_kind or getattr(value, "time", None) != getattr(first, "time", None):
                raise self.error(f"{key}'s arguments must be of the same step", args)
        return values

    def plain_declared(self, key: str, name: str, sub, sup, args: Tree) -> Expr:
        """b(s), φ(s, a), V^π(s), Q^π(s, a) of one state: as declared."""
        kinds, policy = self.n.declared_functions()[name]
        if sub is not None:
            raise self.error(f"{key} takes no subscript", sub)
        if policy:
            self._check_policy_mark(key, sup, args)
        elif sup is not None:
            raise self.error(f"{key} is declared without a superscript", sup)
        return self.n.function(name, *self._function_arguments(key, kinds, args))

    def parametrised(self, key: str, name: str, sub, sup, args: Tree) -> Expr:
        """μ_θ(s), h_θ(s, a): declared to depend on θ, so written with θ as subscript."""
        theta = self._param_tex()
        if sub is None or not self.is_parameter(sub):
            got = "no subscript" if sub is None else f"the subscript {self.src(sub)}"
            raise self.error(
                f"{key} is declared a function of {theta}: write {key}_{{{theta}}}"
                f"{self.src(args)} ({got} would hide or misname its dependence on {theta})",
                sub if sub is not None else args,
            )
        if sup is not None:
            raise self.error(
                f"write a power after the arguments: {key}_{{{theta}}}(...)^{{...}}", sup
            )
        kinds = self.n.parameter_functions()[name]
        return self.n.function(name, *self._function_arguments(key, kinds, args))

    def normal(self, sub, sup, args: Tree) -> Expr:
        """\\mathcal{N}(x; μ, v): the normal density at x."""
        if sub is not None or sup is not None:
            raise self.error(
                f"{NORMAL} takes no script: write {NORMAL}(a; \\mu, \\sigma^2)", sub or sup
            )
        parts, seps = self.arg_parts(args)
        if len(parts) == 2 and [s.type for s in seps] == ["COMMA"]:
            raise self.error(
                f"{NORMAL}{self.src(args)} is a distribution, not a density: write its density "
                f"at a point, {NORMAL}(a; \\mu, \\sigma^2)",
                args,
            )
        kinds = [s.type for s in seps]
        if len(parts) != 3 or kinds not in (["SEMI", "COMMA"], ["BAR", "COMMA"]):
            raise self.error(
                f"{NORMAL} takes the point, the mean and the variance: "
                f"{NORMAL}(a; \\mu, \\sigma^2), got {NORMAL}{self.src(args)}",
                args,
            )
        point, mean, variance = (self.sum(p) for p in parts)
        if variance.is_positive is not True:
            raise self.error(
                f"the variance {self.src(parts[2])} of {NORMAL} must be known to be positive "
                "(σ² with σ the Gaussian policy's standard deviation, or a positive number)",
                parts[2],
            )
        return GaussianDensity(point, mean, variance)
