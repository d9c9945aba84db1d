"""Names, sub/superscripts, plain symbols, time indices and sample markers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lark import Token, Tree
from sympy import Add, Expr, Integer, Mul, Symbol

from .names import canonical
from .tree import Node, single_factor, subtrees

__all__ = ["ScriptsMixin"]

_PLAIN = ("parameter", "trajectory", "time", "horizon", "sample_index", "sample_count", "constant")


class ScriptsMixin:
    """Reading names and scripts; mixed into :class:`pgproof.latex.builder.Builder`."""

    #: the indices bound by the operators around the part being read (Σ_t, E_τ, ∫ dτ)
    bound: set[Symbol]

    @contextmanager
    def binding(self, indices: set[Symbol]) -> Iterator[None]:
        """Read a body with ``indices`` bound, as inside Σ_t … or E_τ[…]; restored after."""
        saved = self.bound
        self.bound = saved | indices
        try:
            yield
        finally:
            self.bound = saved

    # ------------------------------------------------------------------ names

    def name_key(self, name: Tree) -> str:
        toks = [c for c in name.children if isinstance(c, Token)]
        first = toks[0]
        inner = [t for t in toks if t.type in ("WORD", "GREEK")]
        if first.type == "MATHBB_E":
            return "E"
        if first.type == "FONT":
            return canonical(inner[0].value)
        if first.type == "ACCENT":
            return "\\%s{%s}" % (first.value.lstrip("\\"), canonical(inner[0].value))
        return canonical(first.value)

    def scripts(self, node: Tree | None) -> tuple[Tree | None, Tree | None]:
        """(subscript, superscript) script_arg nodes; each at most once."""
        sub = sup = None
        if node is None:
            return sub, sup
        for script in subtrees(node):
            mark, arg = script.children
            if mark.type == "SUB":
                if sub is not None:
                    raise self.error("a second subscript: write one _{...}", mark)
                sub = arg
            else:
                if sup is not None:
                    raise self.error("a second superscript: write one ^{...}", mark)
                sup = arg
        return sub, sup

    def arg_node(self, arg: Tree) -> Node:
        """The content of a script argument: a token, or the relation tree."""
        kids = arg.children
        return kids[0] if len(kids) == 1 else kids[1]

    def arg_key(self, arg: Tree) -> str | None:
        """The name a script argument consists of, if it is a bare name."""
        inner = self.arg_node(arg)
        if isinstance(inner, Token):
            return canonical(inner.value)
        if len(inner.children) != 1:
            return None
        factor = single_factor(inner.children[0])
        if factor is None or factor.data != "named" or len(factor.children) != 1:
            return None
        return self.name_key(factor.children[0])

    def is_parameter(self, arg: Tree) -> bool:
        return self.roles.has(self.arg_key(arg) or "", "parameter")

    def is_trajectory(self, arg: Tree) -> bool:
        return self.roles.has(self.arg_key(arg) or "", "trajectory")

    def _param_tex(self) -> str:
        return canonical(self.n.parameter)

    def _traj_tex(self) -> str:
        return canonical(self.n.trajectory)

    # ------------------------------------------------------------------ values

    def script_value(self, arg: Tree) -> Expr:
        inner = self.arg_node(arg)
        if isinstance(inner, Token):
            if inner.type == "INFTY":
                raise self.infinity_error(inner)
            if inner.value.isdigit():
                return Integer(int(inner.value))
            return self.symbol(canonical(inner.value), inner)
        kids = inner.children
        if len(kids) != 1:
            raise self.error(f"{self.src(inner)}: a relation is not a value here", kids[1])
        return self.sum(kids[0])

    def symbol(self, key: str, node: Node) -> Expr:
        """A plain symbol of the notation (θ, τ, t, T, i, m, a constant, a bound t')."""
        n = self.n
        roles = self.roles.of(key)
        if "constant" in roles:
            return self.roles.constants[key]
        for role, value in (
            ("parameter", n.theta),
            ("trajectory", n.tau),
            ("time", n.t),
            ("horizon", n.T),
            ("sample_index", n.i),
            ("sample_count", n.m),
        ):
            if role in roles:
                return value
        if self.roles.is_time_name(key):
            index = Symbol(key, integer=True)
            if index in self.bound:
                return index
            raise self.error(f"{key} is only defined inside a sum over {key}", node)
        if roles:
            raise self.error(f"{key} needs its arguments here", node)
        raise self.error(
            f"{key} is not defined by this notation (known: {self.roles.known()})", node
        )

    def is_plain(self, key: str) -> bool:
        return bool(self.roles.of(key) & set(_PLAIN)) or (
            self.roles.is_time_name(key) and Symbol(key, integer=True) in self.bound
        )

    def word_product(self, key: str, node: Node) -> Expr | None:
        """``bc`` for declared single-letter symbols b and c reads as b·c; else None."""
        if len(key) < 2 or not key.isalpha() or self.roles.of(key):
            return None
        if all(self.is_plain(letter) for letter in key):
            return Mul(*(self.symbol(letter, node) for letter in key))
        return None

    # ------------------------------------------------------------------ time and samples

    def time_of(self, arg: Tree) -> Expr:
        """A time subscript: an integer expression in t (or a bound t'), T and i."""
        from .errors import LatexError

        message = f"subscript {self.src(self.arg_node(arg))} is not a time index"
        try:
            value = self.script_value(arg)
        except LatexError as err:
            if "only defined inside" in err.message:
                raise
            raise self.error(message, arg) from err
        allowed = {self.n.t, self.n.T, self.n.i} | {
            s for s in self.bound if self.roles.is_time_name(s.name)
        }
        if not _integer_polynomial(value) or not value.free_symbols <= allowed:
            raise self.error(message, arg)
        return value

    def sample_marker(self, arg: Tree | None) -> Expr | None:
        """i for a superscript ``{(i)}`` (or an integer ``{(1)}``), else None."""
        if arg is None:
            return None
        inner = self.arg_node(arg)
        if isinstance(inner, Token) or len(inner.children) != 1:
            return None
        factor = single_factor(inner.children[0])
        if factor is None or factor.data != "group" or len(factor.children) != 1:
            return None
        args = factor.children[0]
        if args.children[0].type != "LPAR":
            return None
        parts, seps = self.arg_parts(args)
        key_factor = single_factor(parts[0]) if not seps else None
        if key_factor is not None and key_factor.data == "number":
            return Integer(int(key_factor.children[0].value))
        if (
            key_factor is not None
            and key_factor.data == "named"
            and len(key_factor.children) == 1
            and self.roles.has(self.name_key(key_factor.children[0]), "sample_index")
        ):
            return self.n.i
        raise self.error(
            f"^{{{self.src(inner)}}}: a sample marker is (i) with the sample index "
            f"{self.n.sample_index}",
            arg,
        )

    def trajectory_of(self, sup: Tree | None) -> Expr:
        index = self.sample_marker(sup)
        if sup is not None and index is None:
            raise self.error(f"^{self.src(sup)} is not a sample marker (i)", sup)
        return self.n.tau if index is None else self.n.sample(index)


def _integer_polynomial(value: Expr) -> bool:
    if value.is_Integer:
        return True
    if isinstance(value, Symbol):
        return bool(value.is_integer)
    if isinstance(value, (Add, Mul)):
        return all(_integer_polynomial(a) for a in value.args)
    return False
