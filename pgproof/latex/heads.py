"""Named objects: states, actions, the policy, dynamics, densities, rewards, J and E.

A name's role comes from the notation; when one name plays several roles (``p``
in seed 000) the *shape* decides: a trajectory argument or a θ marker makes
the density, one state the initial distribution, ``x | y, z`` the dynamics,
``(s_t, a_t)`` the reward, ``(τ)`` the return.  A wrong argument is an error
naming what was expected, never a silent reinterpretation.
"""

from __future__ import annotations

from lark import Token, Tree
from sympy import Expr, Integer, Mul

from pgproof.kernel.objects import Action, InitialDistribution, SampledTrajectory, State

from .scripts import ScriptsMixin
from .tree import single_factor, subtrees

__all__ = ["HeadsMixin"]

_FUNCTIONS = ("policy", "density", "dynamics", "initial", "reward", "return", "objective")


class HeadsMixin(ScriptsMixin):
    """Named and applied heads; mixed into :class:`pgproof.latex.builder.Builder`."""

    # ------------------------------------------------------------------ bare names

    def f_named(self, node: Tree) -> Expr:
        kids = subtrees(node)
        key = self.name_key(kids[0])
        sub, sup = self.scripts(kids[1] if len(kids) > 1 else None)
        roles = self.roles.of(key)
        if roles & {"state", "action"}:
            if sub is None:
                raise self.error(f"{key} needs a time subscript, e.g. {key}_t", node)
            traj = self.trajectory_of(sup)
            make = self.n.s if "state" in roles else self.n.a
            return make(self.time_of(sub), traj)
        if "reward" in roles and sub is not None:
            marker = self.sample_marker(sup)
            traj = self.n.tau if marker is None else self.n.sample(marker)
            reward = self.n.r(self.time_of(sub), traj)
            return reward if sup is None or marker is not None else self.make_power(reward, sup)
        if "trajectory" in roles and (sub is not None or sup is not None):
            if sub is not None:
                raise self.error(f"{key} takes no subscript", sub)
            return self.trajectory_of(sup)
        if roles & set(_FUNCTIONS) and not self.is_plain(key):
            raise self.error(f"{self.src(node)} needs its arguments, e.g. {_example(roles)}", node)
        if "expectation" in roles:
            raise self.error("E needs a bracketed argument: E[...]", node)
        value = self.word_product(key, kids[0])
        if value is None:
            value = self.symbol(key, kids[0])
        if sub is not None:
            raise self.error(f"{key} takes no subscript", sub)
        return value if sup is None else self.make_power(value, sup)

    # ------------------------------------------------------------------ applications

    def f_applied(self, node: Tree) -> Expr:
        kids = subtrees(node)
        name, rest = kids[0], kids[1:]
        scripts = rest.pop(0) if rest and rest[0].data == "scripts" else None
        args = rest.pop(0)
        power = rest[0] if rest else None
        key = self.name_key(name)
        sub, sup = self.scripts(scripts)
        value = self.apply(key, name, sub, sup, args)
        return self.power(value, power) if power is not None else value

    def apply(self, key: str, name: Tree, sub, sup, args: Tree) -> Expr:
        roles = self.roles.of(key)
        if "expectation" in roles:
            if sup is not None:
                raise self.error("E takes no superscript", sup)
            return self.expectation(sub, args)
        if "function" in roles:
            return self.declared(key, sub, sup, args)
        if not roles & set(_FUNCTIONS) or self.is_plain(key):
            if roles & {"state", "action"}:
                raise self.error(f"{key} is not a function of {self.src(args)}", args)
            head = self.f_named(Tree("named", [name]))
            if sub is not None:
                raise self.error(f"{key} takes no subscript", sub)
            if sup is not None:
                head = self.make_power(head, sup)
            value = self.group_value(args)
            if isinstance(value, (State, Action, SampledTrajectory)) or value == self.n.tau:
                # b(s_t) looks like a function of the state: never read it as b·s_t
                inside = self.src(args).removeprefix("(").removesuffix(")")
                raise self.error(
                    f"{key}{self.src(args)} reads as a function of {inside}, but {key} is a "
                    f"plain symbol of this notation; for a product write {key} \\cdot {inside}",
                    args,
                )
            return Mul(head, value)
        if sup is not None:
            raise self.error(f"write a power after the arguments: {key}(...)^{{...}}", sup)
        parts, seps = self.arg_parts(args)
        first = single_factor(parts[0])
        trajectory_first = first is not None and self._is_trajectory_node(first)
        if (
            "density" in roles
            and (sub is not None or trajectory_first)
            and (sub is not None or len(parts) > 1 or "return" not in roles)
        ):
            return self.density(key, sub, parts, seps, args)
        if "return" in roles and len(parts) == 1 and sub is None and trajectory_first:
            return self.n.R(self.sum(parts[0]))
        if "policy" in roles:
            if sub is not None and not self.is_parameter(sub):
                raise self.error(
                    f"the policy's subscript must be the parameter {self._param_tex()}", sub
                )
            if sub is None:  # never add a θ the author did not write
                raise self.error(
                    f"{key}{self.src(args)} does not say that it depends on "
                    f"{self._param_tex()}: write {key}_{{{self._param_tex()}}}{self.src(args)}",
                    args,
                )
            return self.policy(parts, seps, args)
        if sub is not None:
            raise self.error(f"{key} takes no subscript here", sub)
        if "objective" in roles:
            return self.objective(parts, args)
        if "dynamics" in roles and len(parts) == 3:
            return self.dynamics(parts, seps)
        if "initial" in roles and len(parts) == 1:
            return self.initial(parts[0])
        if "reward" in roles and len(parts) == 2:
            return self.reward(parts, seps)
        raise self.error(
            f"{key}({self.src(args)[1:-1]}) has the wrong arguments; expected {_example(roles)}",
            args,
        )

    def declared(self, key: str, sub, sup, args: Tree) -> Expr:
        """b(s_t), φ(s_t, a_t), V^π(s_t), Q^π(s_t, a_t): as declared, arguments checked."""
        name = self.roles.functions[key]
        kinds, policy = self.n.declared_functions()[name]
        if sub is not None:
            raise self.error(f"{key} takes no subscript", sub)
        if policy:
            self._check_policy_mark(key, sup, args)
        elif sup is not None:
            hint = ""
            if self._is_policy_mark(sup):
                hint = (
                    f": {key}^{{{self.n.policy}}} depends on the policy, so declare {key} "
                    "among the policy_ functions of the notation"
                )
            raise self.error(f"{key} is declared without a superscript{hint}", sup)
        parts = self.declared_parts(key, kinds, args, "_t")
        values = []
        for part, kind in zip(parts, kinds, strict=True):
            cls, what = (State, "a state") if kind == "state" else (Action, "an action")
            values.append(self._typed(part, cls, what, f"{kind} argument of {key}"))
        first = values[0]
        for value in values[1:]:
            if value.time != first.time or value.trajectory != first.trajectory:
                raise self.error(f"{key}'s arguments must be of the same step", args)
        return self.n.function(name, *values)

    def declared_parts(self, key: str, kinds: tuple[str, ...], args: Tree, time: str) -> list:
        """The argument trees of a declared function, as many as declared, comma-separated."""
        parts, seps = self.arg_parts(args)
        shape = ", ".join(("s" if k == "state" else "a") + time for k in kinds)
        if len(parts) != len(kinds) or any(sep.type != "COMMA" for sep in seps):
            raise self.error(
                f"{key} is declared a function of ({shape}), but here it has "
                f"{len(parts)} argument(s): {self.src(args)}",
                args,
            )
        return parts

    def _check_policy_mark(self, key: str, sup, args: Tree) -> None:
        """A function declared of the policy is written with the policy as superscript: V^π."""
        if sup is None or not self._is_policy_mark(sup):
            raise self.error(
                f"{key} is declared a function of the policy: write it "
                f"{key}^{{{self.n.policy}}}(...), as it depends on {self._param_tex()} "
                "through the policy",
                args,
            )

    def _is_policy_mark(self, sup: Tree) -> bool:
        """A superscript naming the policy: π or π_θ."""
        return self.src(sup).strip("{} ").replace(" ", "") in {
            self.n.policy.replace(" ", ""),
            f"{self.n.policy}_{{{self._param_tex()}}}".replace(" ", ""),
            f"{self.n.policy}_{self._param_tex()}".replace(" ", ""),
        }

    def _is_trajectory_node(self, factor: Tree) -> bool:
        if factor.data != "named":
            return False
        return self.roles.has(self.name_key(factor.children[0]), "trajectory")

    # ------------------------------------------------------------------ the objects

    def _typed(self, part: Tree, cls: type, what: str, role: str) -> Expr:
        value = self.sum(part)
        if not isinstance(value, cls):
            raise self.error(f"the {role} must be {what}, got {self.src(part)}", part)
        return value

    def _seps(self, seps: list[Token], expected: list[str], shape: str, node) -> None:
        if [s.type for s in seps] != expected:
            raise self.error(f"write this as {shape}", seps[0] if seps else node)

    def policy(self, parts, seps, args) -> Expr:
        if len(parts) != 2:
            raise self.error("the policy takes (a_t | s_t)", args)
        self._seps(seps, ["BAR"], "\\pi_\\theta(a_t \\mid s_t)", args)
        action = self._typed(parts[0], Action, "an action", "policy's first argument")
        state = self._typed(parts[1], State, "a state", "policy's second argument")
        if action.time != state.time or action.trajectory != state.trajectory:
            raise self.error("the policy's action and state must be of the same step", args)
        return self.n.pi(state.time, state.trajectory)

    def dynamics(self, parts, seps) -> Expr:
        self._seps(seps, ["BAR", "COMMA"], "p(s_{t+1} \\mid s_t, a_t)", parts[0])
        nxt = self._typed(parts[0], State, "a state", "dynamics' first argument")
        state = self._typed(parts[1], State, "a state", "dynamics' second argument")
        action = self._typed(parts[2], Action, "an action", "dynamics' third argument")
        traj, time = state.trajectory, state.time
        if action.time != time or action.trajectory != traj or nxt.trajectory != traj:
            raise self.error("the dynamics' state and action must be of the same step", parts[2])
        if (nxt.time - time - 1).expand() != 0:
            raise self.error(
                f"the dynamics' first argument must be the next state (time {time + 1}), "
                f"got {self.src(parts[0])}",
                parts[0],
            )
        return self.n.p(time, traj)

    def initial(self, part) -> Expr:
        state = self._typed(part, State, "a state", "initial distribution's argument")
        if not isinstance(state.time, Integer):
            raise self.error(
                f"the initial distribution's argument must be a first state such as "
                f"s_{self.n.first_index}, got {self.src(part)}",
                part,
            )
        return InitialDistribution(self.n.initial, self.n.s(state.time, state.trajectory))

    def reward(self, parts, seps) -> Expr:
        self._seps(seps, ["COMMA"], "r(s_t, a_t)", parts[0])
        state = self._typed(parts[0], State, "a state", "reward's first argument")
        action = self._typed(parts[1], Action, "an action", "reward's second argument")
        if action.time != state.time or action.trajectory != state.trajectory:
            raise self.error("the reward's state and action must be of the same step", parts[1])
        return self.n.r(state.time, state.trajectory)

    def objective(self, parts, args) -> Expr:
        if len(parts) == 1:
            first = single_factor(parts[0])
            if first is not None and (self._is_policy_ref(first) or self._is_param_ref(first)):
                return self.n.J()
        raise self.error(
            f"the objective is {self.n.objective}(\\theta) or {self.n.objective}(\\pi_\\theta), "
            f"got {self.n.objective}{self.src(args)}",
            args,
        )

    def density(self, key, sub, parts, seps, args) -> Expr:
        traj = self._trajectory_arg(parts[0])
        if sub is not None:
            ok = not seps and (self.is_parameter(sub) or self._policy_script(sub))
        elif not seps:
            # p(τ) names no parameter: reading it as p_θ(τ) would add a θ the author did not
            # write (and an integral over a θ-free p(τ) is another integral)
            raise self.error(
                f"{key}{self.src(args)} does not say that it depends on "
                f"{self._param_tex()}: write {key}_{{{self._param_tex()}}}{self.src(args)}, "
                f"{key}(\\tau \\mid \\pi_{{{self._param_tex()}}}) or "
                f"{key}(\\tau; {self._param_tex()})",
                args,
            )
        else:
            marker = single_factor(parts[1]) if len(parts) == 2 else None
            given = seps[0].type == "BAR" and marker is not None and self._is_policy_ref(marker)
            ok = marker is not None and (given or self._is_param_ref(marker))
        if not ok:
            raise self.error(
                f"{key}{self.src(args)} is not a trajectory density: write p_\\theta(\\tau), "
                "P(\\tau \\mid \\pi_\\theta) or P(\\tau; \\theta)",
                args,
            )
        return self.n.density_of(traj)

    def _trajectory_arg(self, part: Tree) -> Expr:
        value = self.sum(part)
        if value != self.n.tau and not isinstance(value, SampledTrajectory):
            raise self.error(
                f"expected the trajectory {self._traj_tex()}, got {self.src(part)}", part
            )
        return value

    def _is_param_ref(self, factor: Tree) -> bool:
        return (
            factor.data == "named"
            and len(factor.children) == 1
            and self.roles.has(self.name_key(factor.children[0]), "parameter")
        )

    def _is_policy_ref(self, factor: Tree) -> bool:
        """π_θ (or π) written as a distribution, without arguments."""
        if factor.data != "named" or not self.roles.has(
            self.name_key(factor.children[0]), "policy"
        ):
            return False
        if len(factor.children) == 1:
            return True
        sub, sup = self.scripts(factor.children[1])
        return sup is None and sub is not None and self.is_parameter(sub)

    def _policy_script(self, arg: Tree) -> bool:
        inner = self.arg_node(arg)
        if isinstance(inner, Token):
            return self.roles.has(inner.value, "policy")
        factor = single_factor(inner.children[0]) if len(inner.children) == 1 else None
        return factor is not None and self._is_policy_ref(factor)

    # ------------------------------------------------------------------ expectations

    def f_underset(self, node: Tree) -> Expr:
        relation, name, args = subtrees(node)
        if self.name_key(name) != "E":
            raise self.error(f"\\underset{{...}}{{{self.src(name)}}} is not an expectation", name)
        return self.expectation(Tree("script_arg", [Token("LBRACE", "{"), relation]), args)

    def expectation(self, sub: Tree | None, args: Tree) -> Expr:
        if sub is not None:
            self._check_distribution(sub)
        parts, seps = self.arg_parts(args)
        if seps and seps[0].type == "BAR":
            return self.conditional_expectation(parts, seps, args)
        with self.binding({self.n.tau}):
            body = self.group_value(args)
        return self.n.expectation(body)

    def conditional_expectation(self, parts, seps, args: Tree) -> Expr:
        """E[X | s_t, a_t]: given states and actions of the trajectory, one or more."""
        if any(sep.type != "COMMA" for sep in seps[1:]):
            raise self.error("write a conditional expectation as E[X \\mid s_t, a_t]", args)
        with self.binding({self.n.tau}):
            body = self.sum(parts[0])
        given = []
        for part in parts[1:]:
            value = self.sum(part)
            if not isinstance(value, (State, Action)) or value.trajectory != self.n.tau:
                raise self.error(
                    f"an expectation is conditioned on states and actions of "
                    f"{self._traj_tex()}, such as s_t, a_t; got {self.src(part)}",
                    part,
                )
            if value in given:
                raise self.error(f"{self.src(part)} is given twice", part)
            given.append(value)
        return self.n.conditional_expectation(body, *given)

    def _check_distribution(self, sub: Tree) -> None:
        inner = self.arg_node(sub)
        if isinstance(inner, Token) or len(inner.children) == 1:
            if self.is_trajectory(sub) or self._policy_script(sub):
                return
            if isinstance(inner, Token):
                raise self.error(self._bad_distribution(inner), inner)
            self._check_density(inner.children[0])
            return
        lhs, op, rhs = inner.children
        if op.type != "SIM":
            raise self.error(f"write E_{{\\tau \\sim ...}}, not E_{{{self.src(inner)}}}", op)
        first = single_factor(lhs)
        if first is None or not self._is_trajectory_node(first) or len(first.children) > 1:
            raise self.error(
                f"the expectation's variable must be the trajectory {self._traj_tex()}, "
                f"got {self.src(lhs)}",
                lhs,
            )
        factor = single_factor(rhs)
        if factor is not None and (self._is_policy_ref(factor) or self._is_density_ref(factor)):
            return
        self._check_density(rhs)

    def _is_density_ref(self, factor: Tree) -> bool:
        """p_θ (or p_{π_θ}) written as a distribution, without its argument τ."""
        if factor.data != "named" or len(factor.children) != 2:
            return False
        if not self.roles.has(self.name_key(factor.children[0]), "density"):
            return False
        sub, sup = self.scripts(factor.children[1])
        return (
            sup is None and sub is not None and (self.is_parameter(sub) or self._policy_script(sub))
        )

    def _check_density(self, node: Tree) -> None:
        from .errors import LatexError

        try:
            value = self.sum(node)
        except LatexError:
            value = None
        if value != self.n.density_of():
            raise self.error(self._bad_distribution(node), node)

    def _bad_distribution(self, node) -> str:
        return (
            "an expectation must be over the trajectory distribution (the density "
            f"p_\\theta(\\tau) or the policy \\pi_\\theta), got {self.src(node)}"
        )


def _example(roles: set[str]) -> str:
    shapes = {
        "policy": "\\pi_\\theta(a_t \\mid s_t)",
        "density": "p_\\theta(\\tau)",
        "dynamics": "p(s_{t+1} \\mid s_t, a_t)",
        "initial": "p(s_1)",
        "reward": "r(s_t, a_t)",
        "return": "R(\\tau)",
        "objective": "J(\\theta)",
    }
    return " or ".join(shapes[r] for r in _FUNCTIONS if r in roles)
