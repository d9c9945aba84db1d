"""Big operators: ``\\sum``/``\\prod`` over the time or sample index, ``\\sum_\\tau``.

``\\sum_{t=a}^{b}`` and ``\\sum^{b}_{t=a}`` give ``Sum(body, (t, a, b))``;
``\\sum_t`` (no bounds) uses the notation's range first_index..horizon; a primed
index (``\\sum_{t'=t}^{T}``) is a new integer symbol ``t'``; ``\\sum_i`` over the
sample index runs from 1 to the sample count m; ``\\sum_\\tau`` is a
``TrajectorySum``.  ``\\prod`` is the same with ``Product``.  Both stay
unevaluated.  ``\\sum_{t=a}^{\\infty}`` over a time index is an ``InfiniteSum``, read
only in a notation whose horizon is ``\\infty`` (where ``\\sum_t`` runs from the first
index to ∞); ``\\prod`` up to ∞ is refused.
"""

from __future__ import annotations

from lark import Token, Tree
from sympy import Expr, Integer, Product, S, Sum, Symbol

from pgproof.kernel.objects import TrajectorySum
from pgproof.symbolic.series import InfiniteSum

from .spine import Layer
from .tree import single_factor, subtrees

__all__ = ["BigOpsMixin"]


class BigOpsMixin:
    """``bigop`` nodes to spine layers; mixed into :class:`pgproof.latex.builder.Builder`."""


    def bigop(self, node: Tree) -> tuple[Layer, Symbol]:
        op: Token = node.children[0]
        symbol = "\\sum" if op.type == "SUM" else "\\prod"
        scripts = subtrees(node)
        sub, sup = self.scripts(scripts[0] if scripts else None)
        if sub is None:
            raise self.error(
                f"{symbol} needs an index: {symbol}_t, {symbol}_{{t=1}}^{{T}} or \\sum_\\tau", op
            )
        inner = self.arg_node(sub)
        lower: Expr | None = None
        if isinstance(inner, Tree) and len(inner.children) == 3:
            lhs, rel, rhs = inner.children
            if rel.type != "EQUAL":
                raise self.error(f"write {symbol}_{{t=1}}^{{T}}", rel)
            factor = single_factor(lhs)
            if factor is None or factor.data != "named" or len(factor.children) != 1:
                raise self.error(f"{self.src(lhs)} is not a summation index", lhs)
            key = self.name_key(factor.children[0])
            index_node = lhs
        else:
            key = self.arg_key(sub)
            index_node = sub
            if key is None:
                raise self.error(f"{self.src(inner)} is not a summation index", sub)
        index = self._index(key, index_node, symbol)
        if index == self.n.tau:
            if (
                op.type != "SUM"
                or sup is not None
                or isinstance(inner, Tree)
                and len(inner.children) == 3
            ):
                raise self.error("a sum over trajectories is written \\sum_\\tau", sub)
            return Layer(lambda e, tau=index: TrajectorySum(e, tau), index), index
        if isinstance(inner, Tree) and len(inner.children) == 3:
            lower = self.sum(inner.children[2])
        if sup is None and lower is not None:
            raise self.error(f"{symbol}_{{{self.src(inner)}}} needs an upper bound ^{{...}}", sub)
        default_lower, default_upper = (
            (Integer(1), self.n.m) if index == self.n.i else (self.n.first, self.n.T)
        )
        if lower is None and sup is None:  # \sum_t: said in the report, never silent
            shown = "\\infty" if default_upper is S.Infinity else default_upper
            self.read_as(
                f"{symbol}_{{{self.src(inner)}}} without limits is read as "
                f"{symbol}_{{{key}={default_lower}}}^{{{shown}}}"
            )
        lower = default_lower if lower is None else lower
        if sup is not None and _is_infinity(sup):
            upper = self._infinite_upper(op, index, symbol, sup)
        else:
            upper = default_upper if sup is None else self.script_value(sup)
        for bound in (lower, upper):
            if index in bound.free_symbols:
                raise self.error(f"a bound of {symbol} mentions its own index {key}", sub)
        if upper is S.Infinity:
            if op.type != "SUM":
                raise self.error(
                    "\\prod up to \\infty is not read: an infinite product of probabilities is 0 "
                    "(an infinite trajectory has no density of its own)",
                    op,
                )
            return Layer(lambda e, lim=(index, lower): InfiniteSum(e, *lim), index), index
        cls = Sum if op.type == "SUM" else Product
        return Layer(lambda e, c=cls, lim=(index, lower, upper): c(e, lim), index), index

    def _infinite_upper(self, op: Token, index: Symbol, symbol: str, sup: Tree) -> Expr:
        """∞ as the upper limit of a sum over time, in an infinite-horizon notation only."""
        if index == self.n.i:
            raise self.error(f"{symbol} over the samples runs to {self.n.sample_count}, not ∞", sup)
        if not self.n.infinite_horizon:
            raise self.error(
                f"{symbol} up to \\infty needs an infinite horizon: this notation's horizon is "
                f"{self.n.horizon} (write horizon = '\\infty' and discount = '\\gamma')",
                sup,
            )
        return S.Infinity

    def _index(self, key: str, node, symbol: str) -> Symbol:
        roles = self.roles.of(key)
        if "trajectory" in roles:
            return self.n.tau
        if "sample_index" in roles:
            return self.n.i
        if "time" in roles:
            return self.n.t
        if self.roles.is_time_name(key):
            return Symbol(key, integer=True)
        raise self.error(
            f"{key} is not an index of this notation: {symbol} runs over the time index "
            f"{self.n.time_index}, the sample index {self.n.sample_index} or the trajectory",
            node,
        )


def _is_infinity(arg: Tree) -> bool:
    """Whether a script argument is ``\\infty`` alone (``^\\infty`` or ``^{\\infty}``)."""
    kids = arg.children
    if len(kids) == 1:
        return isinstance(kids[0], Token) and kids[0].type == "INFTY"
    relation = kids[1]
    if len(relation.children) != 1:
        return False
    factor = single_factor(relation.children[0])
    return factor is not None and factor.data == "infinity"
