"""Parse tree -> SymPy: sums, products, operators, groups and numbers.

The names themselves (states, the policy, the density, E, ...) are read by
:mod:`pgproof.latex.heads`; big operators and their bounds by
:mod:`pgproof.latex.bigops`.  Nothing here evaluates text: every object is built
with a SymPy or pgproof constructor from tokens the grammar has already checked.
"""

from __future__ import annotations

from collections.abc import Callable

from lark import Token, Tree
from sympy import Add, Expr, Integer, Mul, Pow, Symbol, exp, log, sqrt

from pgproof.kernel.objects import Cancelled, Grad, Ratio, TrajectoryIntegral
from pgproof.symbolic.domain import condition_order, domain_conditions, holds
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.text import show

from .action_binders import ActionBindersMixin
from .bigops import BigOpsMixin
from .errors import LatexError
from .heads import HeadsMixin
from .names import Roles
from .spine import Layer, Spine, absorb_terms
from .state_heads import StateHeadsMixin
from .tree import Node, end_of, flatten_product, single_factor, start_of, subtrees
from .vectors import VectorsMixin, is_top
from .visitation import VisitationMixin

__all__ = ["Builder", "MAX_EXPONENT"]

#: Largest integer exponent written literally; larger ones are refused, not evaluated.
MAX_EXPONENT = 1000
#: Largest integer power evaluated, in bits of the result.
MAX_POWER_BITS = 100_000


class Builder(
    StateHeadsMixin,
    VisitationMixin,
    ActionBindersMixin,
    VectorsMixin,
    HeadsMixin,
    BigOpsMixin,
):
    """Build one formula's parts from its parse tree."""

    def __init__(self, text: str, notation: Notation) -> None:
        self.text = text
        self.n = notation
        self.roles = Roles(notation)
        self.bound: set[Symbol] = set()
        #: what the logs, divisions and powers read so far need (see _check_nothing_cancelled)
        self.read_conditions: set = set()
        #: how the formula was read where it leaves something out (``\\sum_t`` without
        #: limits): shown in the report, never silent
        self.readings: list[str] = []

    # ------------------------------------------------------------------ errors, text

    def error(self, message: str, node: Node | int) -> LatexError:
        pos = node if isinstance(node, int) else start_of(node)
        return LatexError(message, pos + 1, self.text)

    def src(self, node: Node) -> str:
        return " ".join(self.text[start_of(node) : end_of(node)].split())

    # ------------------------------------------------------------------ formula

    def formula(self, tree: Tree) -> list[Expr | None]:
        parts: list[Expr | None] = []
        kids = tree.children
        if kids and isinstance(kids[0], Token) and kids[0].type == "EQUAL":
            parts.append(None)
        for child in kids:
            if isinstance(child, Tree) and child.data == "sum":
                parts.append(self.sum(child))
        self._check_nothing_cancelled(parts)
        return parts

    def read_as(self, text: str) -> None:
        """Record a reading of something the formula leaves out (shown in the report)."""
        if text not in self.readings:
            self.readings.append(text)

    def _read(self, expr: Expr) -> Expr:
        """Record what a log, division or power just read needs to be defined."""
        self.read_conditions |= domain_conditions(expr)
        return expr

    def _check_nothing_cancelled(self, parts: list[Expr | None]) -> None:
        """SymPy simplifies as it builds (x − x → 0, x·x⁻¹ → 1): refuse a formula in which
        that dropped a log, division or power not known to be defined (1/0 − 1/0)."""
        kept: set = set()
        for part in parts:
            if part is not None:
                kept |= domain_conditions(part)
        for kind, arg in sorted(self.read_conditions - kept, key=condition_order):
            if not holds((kind, arg)):
                raise LatexError(
                    f"reading this formula would cancel a term that needs {show(arg)} "
                    f"{kind}, which is not known: write the formula without that term",
                    1,
                    self.text,
                )

    # ------------------------------------------------------------------ sums and terms

    def sum(self, node: Tree) -> Expr:
        signed: list[tuple[int, Tree]] = []
        sign = 1
        for child in node.children:
            if isinstance(child, Token):
                sign = -1 if child.type == "MINUS" else 1
            else:
                signed.append((sign, child))
                sign = 1
        first_sign, first_node = signed[0]
        first = self.term(first_node)
        if first_sign < 0:
            first = first.wrapped(Layer(lambda e: -e))
        rest = [(s, self._deferred_term(t)) for s, t in signed[1:]]
        parts = absorb_terms(first, rest)
        return parts[0] if len(parts) == 1 else _add(parts)

    def _deferred_term(self, node: Tree) -> Callable[[set[Symbol]], Spine]:
        def build(open_indices: set[Symbol]) -> Spine:
            with self.binding(open_indices):
                return self.term(node)

        return build

    def term(self, node: Tree) -> Spine:
        kids = subtrees(node)
        if kids[-1].data != "opened":
            return Spine([], self.product(kids[0]))
        opened = self.opened(kids[-1])
        if len(kids) == 1:
            return opened
        prefix = self.product(kids[0])
        return opened.wrapped(Layer(lambda e, p=prefix: Mul(p, e)))

    def opened(self, node: Tree) -> Spine:
        head, rest = subtrees(node)
        negated = any(isinstance(c, Token) for c in node.children)
        if head.data == "unop":
            return self.opened(rest).wrapped(Layer(self.unop(head)))
        layer, index = self.bigop(head)
        with self.binding({index}):
            body = self.term(rest)
        if negated:
            body = body.wrapped(Layer(lambda e: -e))
        return body.wrapped(layer)

    def product(self, node: Tree) -> Expr:
        factors = flatten_product(node)
        if len(factors) > 1:
            for f in factors:
                self._check_invisible_braces(f, "a product")
        values = self.factor_values(factors)
        return values[0] if len(values) == 1 else Mul(*values)

    # ------------------------------------------------------------------ factors

    def factor(self, node: Tree) -> Expr:
        handler = getattr(self, "f_" + node.data, None)
        if handler is None:  # pragma: no cover - every factor rule has a handler
            raise self.error(f"cannot read {self.src(node)}", node)
        return handler(node)

    def f_nf(self, node: Tree) -> Expr:
        op, operand = subtrees(node)
        self._check_invisible_braces(operand, "an operand", strict=True)
        return self.unop(op)(self.factor(operand))

    f_xf = f_nf

    def unop(self, node: Tree) -> Callable[[Expr], Expr]:
        tok = node.children[0]
        if tok.type == "LOG":
            return lambda x: self._read(log(x))
        if tok.type == "EXP":
            return exp
        scripts = [c for c in node.children if isinstance(c, Tree)]
        sub, sup = self.scripts(scripts[0]) if scripts else (None, None)
        if sup is not None:
            raise self.error("\\nabla takes no superscript", sup)
        if sub is not None and not self.is_parameter(sub):
            raise self.error(
                f"\\nabla_{{{self.src(sub)}}}: the gradient is taken with respect to "
                f"the parameter {self._param_tex()}",
                sub,
            )
        theta = self.n.theta
        return lambda e: Grad(e, theta)

    def f_number(self, node: Tree) -> Expr:
        tok = node.children[0]
        value = Integer(int(tok.value))
        return self.power(value, node.children[1]) if len(node.children) > 1 else value

    def f_infinity(self, node: Tree) -> Expr:
        raise self.infinity_error(node)

    def infinity_error(self, node: Node) -> LatexError:
        """∞ is read in one place only: the upper limit of a sum over time (bigops)."""
        return self.error(
            "\\infty is read only as the upper limit of a sum over time, "
            "\\sum_{t=0}^{\\infty}, in a notation whose horizon is '\\infty'",
            node,
        )

    def f_group(self, node: Tree) -> Expr:
        kids = subtrees(node)
        value = self.group_value(kids[0])
        return self.power(value, kids[1]) if len(kids) > 1 else value

    def group_value(self, args: Tree) -> Expr:
        parts, seps = self.arg_parts(args)
        if seps:
            raise self.error(
                f"{seps[0].value!r} separates arguments, but this bracket does not follow a "
                "function name",
                seps[0],
            )
        return self.sum(parts[0])

    def arg_parts(self, args: Tree, allow_open: bool = False) -> tuple[list[Tree], list[Token]]:
        """The arguments and their separators; a ``\\cdot`` placeholder only where a
        distribution leaves its argument open (``allow_open``)."""
        arglist = subtrees(args)[0]
        parts = [c for c in arglist.children if c.data in ("sum", "placeholder")]
        seps = [c.children[0] for c in arglist.children if c.data == "sep"]
        for part in parts:
            if part.data == "placeholder" and not allow_open:
                raise self.error(
                    "\\cdot as an argument stands for the open argument of a distribution, "
                    "read only in E_{a \\sim \\pi_\\theta(\\cdot \\mid s)}",
                    part,
                )
        return parts, seps

    def f_frac(self, node: Tree) -> Expr:
        num, den = subtrees(node)
        return self._read(Ratio(self.sum(num), self.sum(den)))

    def f_sqrt(self, node: Tree) -> Expr:
        """\\sqrt{x}: the square root (x ≥ 0 is what it needs, as for any fractional power)."""
        kids = subtrees(node)
        if len(kids) == 2:
            raise self.error(
                f"\\sqrt[{self.src(kids[0])}]{{...}}: only the square root \\sqrt{{...}} is read "
                f"(write x^{{1/{self.src(kids[0])}}} for another root)",
                kids[0],
            )
        value = self.sum(kids[0])
        if value.is_negative:
            raise self.error(
                f"\\sqrt{{{self.src(kids[0])}}}: the square root of a negative number is not "
                "a real number",
                kids[0],
            )
        return self._read(sqrt(value))

    def f_cancel(self, node: Tree) -> Expr:
        return Cancelled(self.sum(subtrees(node)[0]))

    def f_colored(self, node: Tree) -> Expr:
        return self.sum(subtrees(node)[0])

    def f_braced(self, node: Tree) -> Expr:
        kids = subtrees(node)
        if len(kids) == 1:
            return self.sum(kids[0])
        inner = single_factor(kids[0])
        if inner is None or inner.data != "named" or len(subtrees(inner)) != 1:
            scripts = subtrees(kids[1])
            if len(scripts) == 1 and scripts[0].children[0].type == "SUP":
                return self.make_power(self.sum(kids[0]), scripts[0].children[1])
            raise self.error(
                f"a script after {{{self.src(kids[0])}}} needs a single name inside the braces",
                kids[1],
            )
        return self.f_named(Tree("named", [inner.children[0], kids[1]], inner.meta))

    def f_integral(self, node: Tree) -> Expr:
        kids = subtrees(node)
        if kids[0].data == "scripts":
            sub, sup = self.scripts(kids[0])
            if sup is not None or (sub is not None and not self.is_trajectory(sub)):
                raise self.error(
                    "\\int ranges over the trajectory space: write \\int ... d\\tau or "
                    "\\int_\\tau ... d\\tau",
                    kids[0],
                )
            kids = kids[1:]
        body_node, var = kids
        if not self.roles.has(self.name_key(var), "trajectory"):
            raise self.error(
                f"d{self.src(var)}: the integral is over the trajectory {self._traj_tex()}", var
            )
        with self.binding({self.n.tau}):
            body = self.sum(body_node)
        return TrajectoryIntegral(body, self.n.tau)

    # ------------------------------------------------------------------ powers

    def power(self, base: Expr, power_node: Tree) -> Expr:
        arg = subtrees(power_node)[0]
        return self.make_power(base, arg)

    def make_power(self, base: Expr, arg: Tree) -> Expr:
        if is_top(arg):
            raise self.error(
                f"^\\top: a transpose is read in x^\\top y (the inner product of the parameter "
                f"{self._param_tex()} and a vector of features), not here",
                arg,
            )
        if self.sample_marker(arg) is not None:
            raise self.error(f"^{self.src(arg)} marks a sample, but {base} is not sampled", arg)
        exponent = self.script_value(arg)
        if exponent.is_Integer:
            if abs(int(exponent)) > MAX_EXPONENT:
                raise self.error(
                    f"the exponent {exponent} is too large (the limit is {MAX_EXPONENT})", arg
                )
            if base.is_Integer and abs(int(base)).bit_length() * abs(int(exponent)) > (
                MAX_POWER_BITS
            ):
                raise self.error("this power of a number is too large to evaluate", arg)
        if exponent.is_negative:
            # x^{-k} is 1/x^k, kept as a Ratio: SymPy would cancel x^{-1}·x to 1 (and turn
            # 0^{-1} into zoo) as it builds the product; dividing needs x ≠ 0, which the
            # canonical form checks (nothing is rewritten while reading)
            return self._read(Ratio(Integer(1), Pow(base, -exponent)))
        return self._read(Pow(base, exponent))

    # ------------------------------------------------------------------ brace checks

    def _check_invisible_braces(self, node: Tree, where: str, strict: bool = False) -> None:
        """Braces do not print: a braced sum in a product reads differently than it parses."""
        if node.data not in ("braced", "colored") or (
            node.data == "braced" and len(subtrees(node)) > 1
        ):
            return
        content = subtrees(node)[0]
        terms = [c for c in content.children if isinstance(c, Tree)]
        several = len(terms) > 1 or isinstance(content.children[0], Token)
        if not several and strict:
            kids = subtrees(terms[0])
            several = kids[-1].data == "opened" or len(flatten_product(kids[0])) > 1
        if several:
            raise self.error(
                f"braces around {self.src(content)} do not print, so as {where} it would read "
                "differently than written: use ( ) or \\left( \\right)",
                node,
            )


def _add(parts: list[Expr]) -> Expr:
    return Add(*parts)
