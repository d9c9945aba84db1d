"""θ^⊤x: the inner product of the parameter and a vector of features.

``\\theta^\\top \\phi(s, a)`` (or ``\\phi(s, a)^\\top \\theta``) is one factor, the scalar
θ^⊤φ(s, a) (:class:`pgproof.kernel.state_objects.Inner`): operators before it apply to
the whole, so ``\\nabla_\\theta \\theta^\\top \\phi(s, a)`` is ∇_θ(θ^⊤φ(s, a)) and
``\\exp \\theta^\\top \\phi(s, a)`` is exp(θ^⊤φ(s, a)).  One side must be the parameter θ
and the other a vector of features (every term one declared feature vector, as the
linear-softmax class's φ(s, a)): anything else written with ``^\\top`` is refused, since
pgproof has no other vectors to transpose.
"""

from __future__ import annotations

from lark import Token, Tree
from sympy import Add, Expr, Mul

from pgproof.kernel.state_objects import FeatureVector, Inner

from .tree import subtrees

__all__ = ["VectorsMixin", "is_top"]


class VectorsMixin:
    """Transposes; mixed into :class:`pgproof.latex.builder.Builder`."""

    def factor_values(self, factors: list[Tree]) -> list[Expr]:
        """The values of a product's factors, x^⊤ and the factor after it read as one."""
        values = []
        k = 0
        while k < len(factors):
            transposed = self.transposed(factors[k])
            if transposed is None:
                values.append(self.factor(factors[k]))
                k += 1
                continue
            if k + 1 == len(factors):
                raise self.error(
                    f"{self.src(factors[k])}: a transpose is read in x^\\top y, with the "
                    "vector y after it",
                    factors[k],
                )
            ops, core = transposed
            value = self.inner(core, factors[k + 1])
            for op in reversed(ops):
                value = self.unop(op)(value)
            values.append(value)
            k += 2
        return values

    def transposed(self, node: Tree) -> tuple[list[Tree], Tree] | None:
        """(the operators applied to it, outermost first; the factor) when ``node`` is a
        factor x^⊤, possibly under ∇, log or exp."""
        ops: list[Tree] = []
        while node.data in ("nf", "xf") and subtrees(node)[0].data == "unop":
            op, node = subtrees(node)
            ops.append(op)
        return (ops, node) if _transpose_script(node) is not None else None

    def inner(self, core: Tree, following: Tree) -> Expr:
        """θ^⊤x or x^⊤θ (``core`` is the factor written with ^⊤, ``following`` the next one)."""
        left, right = self.factor(_without_transpose(core)), self.factor(following)
        theta = self.n.theta
        vector = right if left == theta else left if right == theta else None
        if vector is None or theta in vector.free_symbols or not _is_vector(vector):
            raise self.error(
                f"{self.src(core)} {self.src(following)}: x^\\top y is read as the inner "
                f"product of the parameter {self._param_tex()} and a vector of features "
                f"({self.n.features}(s, a) of the linear-softmax policy)",
                core,
            )
        return Inner(left, right)


def is_top(arg: Tree) -> bool:
    """A script argument that is ``\\top`` (or ``{\\top}``)."""
    return any(isinstance(c, Token) and c.type == "TOP" for c in arg.children)


def _transpose_script(node: Tree) -> Tree | None:
    """The ``^\\top`` script of a named factor, or the power of an applied one, if any."""
    if node.data == "named" and len(node.children) > 1:
        for script in subtrees(node.children[1]):
            mark, arg = script.children
            if mark.type == "SUP" and is_top(arg):
                return script
    if node.data == "applied":
        power = subtrees(node)[-1]
        if power.data == "power" and is_top(subtrees(power)[0]):
            return power
    return None


def _without_transpose(core: Tree) -> Tree:
    script = _transpose_script(core)
    if core.data == "applied":
        return Tree("applied", [c for c in core.children if c is not script], core.meta)
    scripts = core.children[1]
    kept = [c for c in scripts.children if c is not script]
    children = [core.children[0]] + ([Tree("scripts", kept, scripts.meta)] if kept else [])
    return Tree("named", children, core.meta)


def _is_vector(expr: Expr) -> bool:
    """Every term has exactly one feature-vector factor (φ(s, a), c·φ(s, a), φ − φ')."""
    for term in Add.make_args(expr):
        vectors = [f for f in Mul.make_args(term) if isinstance(f, FeatureVector)]
        if len(vectors) != 1:
            return False
    return True
