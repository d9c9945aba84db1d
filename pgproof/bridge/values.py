"""Numeric values with named axes, the currency of the evaluator.

Error messages name the expression (``what``) and are built only when raised.

A :class:`Value` is a NumPy array together with one name per dimension:

* a trajectory axis ``"τ"``, ``"τ^(1)"``, ``"τ^(i)"`` … runs over a table of trajectories
  (all enumerated ones, or a sampled batch): one axis per free trajectory variable;
* the gradient axis :data:`GRAD` runs over the coordinates θ_k of θ (flattened [S·A]).

Operations broadcast by name: ``f(τ) + g(τ^(1))`` has both axes, ``f(τ)·g(τ)`` one.

Gradient semantics.  The symbolic engine treats θ as one scalar coordinate (``Grad.doit``
differentiates by θ).  Numerically every expression is read *per coordinate*: ∇_θ f is the
vector (∂f/∂θ_k)_k, and an expression holding ∇ is evaluated for each k along the same
GRAD axis, so ∇f·∇g is (∂_k f ∂_k g)_k and ∇∇f is (∂_k² f)_k.  Every identity of scalar
calculus the rules use holds coordinate by coordinate, and for the usual case of at most
one ∇ per product this is the ordinary vector reading.

Two failures are distinguished: :class:`NotEvaluable` (the expression has no numeric
meaning here: an unknown constant, a state outside the trajectory) and :class:`Undefined`
(it has one, but not at this point: the log of a negative reward, a division by zero).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sympy import Basic, Integer

from pgproof.symbolic.text import show

#: Name of the axis over the coordinates θ_k of θ.
GRAD = "∂θ"


def integer_values(expr: Basic, env: Mapping[str, int]) -> dict[Basic, Basic]:
    """The integers ``env`` gives the free symbols of ``expr`` (by name), for ``xreplace``."""
    return {s: Integer(env[s.name]) for s in expr.free_symbols if s.name in env}


class NotEvaluable(ValueError):
    """The expression has no numeric meaning in the tabular model; the message says why."""


class Undefined(ArithmeticError):
    """The expression is meaningful but undefined at this point (log of x ≤ 0, 1/0)."""


@dataclass(frozen=True, eq=False)
class Value:
    """An array with one named axis per dimension."""

    data: np.ndarray
    axes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if np.ndim(self.data) != len(self.axes):
            raise ValueError(f"{np.ndim(self.data)}-d data with axes {self.axes}")

    @staticmethod
    def scalar(x: float) -> Value:
        return Value(np.asarray(x, dtype=np.float64), ())

    @property
    def is_integer(self) -> bool:
        return np.issubdtype(self.data.dtype, np.integer)

    def size_of(self, axis: str) -> int:
        return int(self.data.shape[self.axes.index(axis)])

    def select(self, axis: str, index: int) -> Value:
        """The slice at ``index`` along ``axis`` (the axis disappears)."""
        k = self.axes.index(axis)
        return Value(np.take(self.data, index, axis=k), self.axes[:k] + self.axes[k + 1 :])

    def reduce(self, axis: str, weights: Value | None = None) -> Value:
        """Σ over ``axis`` (of weights·self when weights are given)."""
        value = self if weights is None else multiply([weights, self])
        if axis not in value.axes:
            raise NotEvaluable(f"nothing to sum over {axis}")
        k = value.axes.index(axis)
        return Value(value.data.sum(axis=k), value.axes[:k] + value.axes[k + 1 :])

    def transpose_to(self, axes: Sequence[str]) -> np.ndarray:
        """The data with axes in the given order (every axis of self must be listed)."""
        return np.transpose(self.data, [self.axes.index(a) for a in axes])


def union_axes(values: Sequence[Value]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(a for a in value.axes if a not in out)
    return tuple(out)


def align(values: Sequence[Value]) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """Arrays broadcastable against each other over the union of the axes."""
    axes = union_axes(values)
    arrays = []
    for value in values:
        present = [a for a in axes if a in value.axes]
        data = value.transpose_to(present)
        shape = [value.size_of(a) if a in value.axes else 1 for a in axes]
        arrays.append(data.reshape(shape))
    return axes, arrays


def _combine(values: Sequence[Value], op: Callable[..., np.ndarray], identity: float) -> Value:
    """Fold ``op`` over values aligned by axis name (``identity`` for none)."""
    if not values:
        return Value.scalar(identity)
    axes, arrays = align(values)
    total = arrays[0].astype(np.float64)
    for array in arrays[1:]:
        total = op(total, array)
    return Value(np.asarray(total, dtype=np.float64), axes)


def add(values: Sequence[Value]) -> Value:
    return _combine(values, np.add, 0.0)


def multiply(values: Sequence[Value]) -> Value:
    return _combine(values, np.multiply, 1.0)


def power(base: Value, exponent: Value, what: Basic) -> Value:
    axes, (b, e) = align([base, exponent])
    b, e = np.broadcast_arrays(b.astype(np.float64), e.astype(np.float64))
    integral = e == np.round(e)
    bad = ((b == 0) & (e < 0)) | ((b < 0) & ~integral)
    if bad.any():
        k = np.argwhere(bad)[0]
        raise Undefined(
            f"{show(what)} is undefined: {b[tuple(k)]:.6g} to the power {e[tuple(k)]:.6g}"
        )
    return Value(np.asarray(np.power(b, e), dtype=np.float64), axes)


def divide(numerator: Value, denominator: Value, what: Basic) -> Value:
    if np.any(denominator.data == 0):
        raise Undefined(f"{show(what)} divides by zero")
    return multiply([numerator, Value(1.0 / denominator.data.astype(np.float64), denominator.axes)])


def log(value: Value, what: Basic) -> Value:
    data = value.data.astype(np.float64)
    if np.any(data <= 0):
        worst = float(data.flat[int(np.argmin(data))])
        raise Undefined(f"{show(what)} is undefined: the log of {worst:.6g} ≤ 0")
    return Value(np.log(data), value.axes)


def take(table: np.ndarray, indices: Sequence[Value], what: Basic) -> Value:
    """``table[i, j, …]`` with index Values broadcast by axis name."""
    for index in indices:
        if not index.is_integer or GRAD in index.axes:
            raise NotEvaluable(f"{show(what)}: its arguments must be states and actions")
    axes, arrays = align(indices)
    for k, array in enumerate(arrays):
        if array.size and (array.min() < 0 or array.max() >= table.shape[k]):
            raise NotEvaluable(f"{show(what)}: an argument is not a valid state or action")
    return Value(np.asarray(table[tuple(arrays)], dtype=np.float64), axes)


def stack(values: Sequence[Value], axis: str) -> Value:
    """Stack along a new last axis ``axis``."""
    axes, arrays = align(values)
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    data = np.stack([np.broadcast_to(a, shape) for a in arrays], axis=-1)
    return Value(np.asarray(data, dtype=np.float64), (*axes, axis))
