"""Where a big operator's body ends: the spine of a term and the absorption rule.

A term such as ``x \\nabla \\sum_t f g`` is kept as *layers* wrapped around a
*core*: ``[x·□, ∇□, Σ_t □]`` around ``f g``.  The term's value folds the layers
over the core.  When the next term of a sum has a bound index of one of those
layers free (seed 000 writes ``\\sum_{t=1}^{T} \\log π(a_t|s_t) + \\log p(s_{t+1}|s_t,a_t)``
for one sum), it is added to that layer's body: the innermost such layer wins,
and layers inside it are closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sympy import Add, Expr, Symbol

__all__ = ["Layer", "Spine", "absorb_terms"]


@dataclass(frozen=True)
class Layer:
    """One wrapper around a term's core; ``index`` is set for a big operator."""

    wrap: Callable[[Expr], Expr]
    index: Symbol | None = None


@dataclass
class Spine:
    layers: list[Layer] = field(default_factory=list)
    core: Expr | None = None

    def value(self) -> Expr:
        return fold(self.layers, self.core)

    def indices(self) -> set[Symbol]:
        return {layer.index for layer in self.layers if layer.index is not None}

    def wrapped(self, layer: Layer) -> Spine:
        return Spine([layer, *self.layers], self.core)

    def absorb(self, term: Expr) -> bool:
        """Add ``term`` to the body of the innermost layer binding one of its free symbols."""
        free = term.free_symbols
        for k in range(len(self.layers) - 1, -1, -1):
            index = self.layers[k].index
            if index is not None and index in free:
                body = fold(self.layers[k + 1 :], self.core)
                self.layers = self.layers[: k + 1]
                self.core = Add(body, term)
                return True
        return False


def fold(layers: list[Layer], core: Expr | None) -> Expr:
    value = core
    for layer in reversed(layers):
        value = layer.wrap(value)
    return value


def absorb_terms(
    first: Spine, rest: list[tuple[int, Callable[[set[Symbol]], Spine]]]
) -> list[Expr]:
    """Fold a sum's signed terms, absorbing each into an open big operator when it applies.

    ``rest`` holds (sign, build) pairs; ``build(bound)`` builds the term with the
    open operators' indices in scope (so a primed index t' may appear in it).
    """
    done: list[Expr] = []
    current = first
    for sign, build in rest:
        spine = build(current.indices())
        if sign < 0:
            spine = spine.wrapped(Layer(lambda e: -e))
        if current.absorb(spine.value()):
            continue
        done.append(current.value())
        current = spine
    done.append(current.value())
    return done
