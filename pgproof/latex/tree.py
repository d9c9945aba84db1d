"""Small helpers over Lark parse trees: positions, source slices, shapes."""

from __future__ import annotations

from lark import Token, Tree

__all__ = [
    "Node",
    "start_of",
    "end_of",
    "subtrees",
    "tokens",
    "single_factor",
    "flatten_product",
    "tree_depth",
]

Node = Tree | Token


def start_of(node: Node) -> int:
    """0-based offset of the first character of ``node``."""
    if isinstance(node, Token):
        return node.start_pos or 0
    if not node.meta.empty:
        return node.meta.start_pos
    for child in node.children:  # pragma: no cover - empty trees carry no position
        return start_of(child)
    return 0  # pragma: no cover


def end_of(node: Node) -> int:
    if isinstance(node, Token):
        return node.end_pos or 0
    if not node.meta.empty:
        return node.meta.end_pos
    return start_of(node)  # pragma: no cover


def subtrees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree)]


def tokens(node: Tree) -> list[Token]:
    return [c for c in node.children if isinstance(c, Token)]


_SEQ = ("seq", "seq_n", "seq_x")


def flatten_product(node: Tree) -> list[Tree]:
    """The factors of a left-recursive product, left to right (``\\cdot`` dropped)."""
    factors: list[Tree] = []
    while isinstance(node, Tree) and node.data in _SEQ:
        kids = subtrees(node)
        factors.append(kids[-1])
        node = kids[0]
    factors.append(node)
    factors.reverse()
    return factors


def single_factor(sum_node: Tree) -> Tree | None:
    """The only factor of a sum that is one unsigned term of one factor, else None."""
    if sum_node.data != "sum" or len(sum_node.children) != 1:
        return None
    term = sum_node.children[0]
    if len(term.children) != 1 or term.children[0].data == "opened":
        return None
    factors = flatten_product(term.children[0])
    return factors[0] if len(factors) == 1 else None


def tree_depth(node: Node) -> int:
    """Depth of a tree, computed without recursion; product chains count once."""
    deepest = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, Tree):
            step = 0 if current.data in _SEQ else 1
            stack.extend((c, depth + step) for c in current.children)
    return deepest
