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

Derivatives.  A value may carry its exact derivatives along θ, ``jets`` = (∂x, ∂²x, …)
read per coordinate as above (each over :func:`jet_axes`: the value's axes plus GRAD), as
many orders as the enclosing ∇s need (:mod:`.jets`); ``free`` marks a θ-free value (every
derivative 0), and a value with neither has derivatives that are not known here (a ∇ over
it is not evaluated, never read as 0).  Every operation below propagates them by the
rules of calculus (sum, Leibniz, chain rule).

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

from .jets import jet_product, jet_unary

#: Name of the axis over the coordinates θ_k of θ.
GRAD = "∂θ"


def integer_values(expr: Basic, env: Mapping[str, int]) -> dict[Basic, Basic]:
    """The integers ``env`` gives the free symbols of ``expr`` (by name), for ``xreplace``."""
    return {s: Integer(env[s.name]) for s in expr.free_symbols if s.name in env}


class NotEvaluable(ValueError):
    """The expression has no numeric meaning in the tabular model; the message says why."""


class Undefined(ArithmeticError):
    """The expression is meaningful but undefined at this point (log of x ≤ 0, 1/0)."""


def jet_axes(axes: tuple[str, ...]) -> tuple[str, ...]:
    """The axes of the derivatives of a value over ``axes``: GRAD added (last) if absent."""
    return axes if GRAD in axes else (*axes, GRAD)


@dataclass(frozen=True, eq=False)
class Value:
    """An array with one named axis per dimension, and its derivatives along θ if known."""

    data: np.ndarray
    axes: tuple[str, ...] = ()
    #: (∂x, ∂²x, …) over ``jet_axes(axes)``; None: not known (unless ``free``)
    jets: tuple[np.ndarray, ...] | None = None
    #: θ-free: every derivative is 0
    free: bool = False

    def __post_init__(self) -> None:
        if np.ndim(self.data) != len(self.axes):
            raise ValueError(f"{np.ndim(self.data)}-d data with axes {self.axes}")

    @staticmethod
    def scalar(x: float) -> Value:
        return Value(np.asarray(x, dtype=np.float64), (), free=True)

    @staticmethod
    def constant(data: np.ndarray, axes: tuple[str, ...]) -> Value:
        """A θ-free value (states, actions, tables of the MDP)."""
        return Value(data, axes, free=True)

    @property
    def order(self) -> float:
        """How many derivatives are known (infinitely many for a θ-free value)."""
        if self.free:
            return float("inf")
        return 0 if self.jets is None else len(self.jets)

    def coefficients(self, axes: tuple[str, ...], order: int) -> list[np.ndarray]:
        """[x, ∂x, …] up to ``order``, each reshaped to broadcast over ``axes`` (which must
        hold GRAD and every axis of self); zeros of shape 1 for a θ-free value."""
        ones = (1,) * len(axes)
        out = [_reshape_to(self.data, self.axes, axes)]
        for i in range(order):
            if self.free:
                out.append(np.zeros(ones))
            else:
                out.append(_reshape_to(self.jets[i], jet_axes(self.axes), axes))  # type: ignore[index]
        return out

    @property
    def is_integer(self) -> bool:
        return np.issubdtype(self.data.dtype, np.integer)

    def size_of(self, axis: str) -> int:
        return int(self.data.shape[self.axes.index(axis)])

    def select(self, axis: str, index: int) -> Value:
        """The slice at ``index`` along ``axis`` (the axis disappears; its derivatives are
        kept only when the axis is not GRAD)."""
        k = self.axes.index(axis)
        axes = self.axes[:k] + self.axes[k + 1 :]
        data = np.take(self.data, index, axis=k)
        if self.free:
            return Value(data, axes, free=True)
        if self.jets is None or axis == GRAD:
            return Value(data, axes)
        j = jet_axes(self.axes).index(axis)
        return Value(data, axes, tuple(np.take(a, index, axis=j) for a in self.jets))

    def reduce(self, axis: str, weights: Value | None = None) -> Value:
        """Σ over ``axis`` (of weights·self when weights are given), derivatives too."""
        value = self if weights is None else multiply([weights, self])
        if axis not in value.axes:
            raise NotEvaluable(f"nothing to sum over {axis}")
        k = value.axes.index(axis)
        axes = value.axes[:k] + value.axes[k + 1 :]
        data = value.data.sum(axis=k)
        if value.free or value.jets is None:
            return Value(data, axes, free=value.free)
        if axis == GRAD:  # Σ_k of per-coordinate derivatives has no per-coordinate reading
            return Value(data, axes)
        j = jet_axes(value.axes).index(axis)
        return Value(data, axes, tuple(a.sum(axis=j) for a in value.jets))

    def derivative(self, n_theta: int) -> Value:
        """(∂_k self)_k on the GRAD axis, with the derivatives left (exact, from ``jets``)."""
        axes = jet_axes(self.axes)
        if self.free:
            shape = [self.size_of(a) if a in self.axes else n_theta for a in axes]
            return Value(np.zeros(shape), axes, free=True)
        if not self.jets:
            raise NotEvaluable("its derivative along θ is not known here")
        return Value(self.jets[0], axes, self.jets[1:])

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


def _reshape_to(data: np.ndarray, own: tuple[str, ...], axes: tuple[str, ...]) -> np.ndarray:
    """``data`` over ``own`` reshaped to broadcast over ``axes`` (a superset)."""
    present = [a for a in axes if a in own]
    moved = np.transpose(data, [own.index(a) for a in present])
    shape = [data.shape[own.index(a)] if a in own else 1 for a in axes]
    return moved.reshape(shape)


def _derivative_order(values: Sequence[Value]) -> int | None:
    """The orders known for all of ``values`` (None: every one is θ-free)."""
    orders = [v.order for v in values if not v.free]
    return None if not orders else int(min(orders))


def _with_jets(
    data: np.ndarray,
    axes: tuple[str, ...],
    values: Sequence[Value],
    rule: Callable[[list[list[np.ndarray]]], list[np.ndarray]],
) -> Value:
    """The result over ``axes`` with the derivatives ``rule`` makes from the operands'
    coefficients (θ-free when every operand is; unknown when one operand's are)."""
    order = _derivative_order(values)
    if order is None:
        return Value(data, axes, free=True)
    if order == 0:
        return Value(data, axes, () if all(v.free or v.jets is not None for v in values) else None)
    grad_axes = jet_axes(axes)
    coeffs = [v.coefficients(grad_axes, order) for v in values]
    derived = rule(coeffs)[1:]
    known = [c for c, v in zip(coeffs, values, strict=True) if not v.free]
    n = known[0][1].shape[grad_axes.index(GRAD)]
    sizes = {a: data.shape[k] for k, a in enumerate(axes)}
    shape = tuple(sizes.get(a, n) for a in grad_axes)
    return Value(data, axes, tuple(np.broadcast_to(d, shape) for d in derived))


def _combine(values: Sequence[Value], op: Callable[..., np.ndarray], identity: float) -> Value:
    """Fold ``op`` over values aligned by axis name (``identity`` for none)."""
    if not values:
        return Value.scalar(identity)
    axes, arrays = align(values)
    total = arrays[0].astype(np.float64)
    for array in arrays[1:]:
        total = op(total, array)
    return Value(np.asarray(total, dtype=np.float64), axes)


def _sum_rule(coeffs: list[list[np.ndarray]]) -> list[np.ndarray]:
    return [sum(c[i] for c in coeffs) for i in range(len(coeffs[0]))]


def _product_rule(coeffs: list[list[np.ndarray]]) -> list[np.ndarray]:
    total = coeffs[0]
    for c in coeffs[1:]:
        total = jet_product(total, c)
    return total


def add(values: Sequence[Value]) -> Value:
    out = _combine(values, np.add, 0.0)
    return _with_jets(out.data, out.axes, values, _sum_rule) if values else out


def multiply(values: Sequence[Value]) -> Value:
    out = _combine(values, np.multiply, 1.0)
    return _with_jets(out.data, out.axes, values, _product_rule) if values else out


def _unary(
    value: Value, data: np.ndarray, derivatives: Callable[[np.ndarray], list[np.ndarray]]
) -> Value:
    """φ(value) = ``data``, its derivatives by the chain rule (``derivatives`` of x)."""
    return _with_jets(data, value.axes, [value], lambda c: jet_unary(c[0], derivatives))


def power(base: Value, exponent: Value, what: Basic) -> Value:
    """b^e; derivatives e b^{e−1} b', e(e−1) b^{e−2} b'² + e b^{e−1} b'' (e θ-free), and
    exp(e log b) (b > 0) when the exponent depends on θ."""
    axes, (b, e) = align([base, exponent])
    b, e = np.broadcast_arrays(b.astype(np.float64), e.astype(np.float64))
    integral = e == np.round(e)
    bad = ((b == 0) & (e < 0)) | ((b < 0) & ~integral)
    if bad.any():
        k = np.argwhere(bad)[0]
        raise Undefined(
            f"{show(what)} is undefined: {b[tuple(k)]:.6g} to the power {e[tuple(k)]:.6g}"
        )
    data = np.asarray(np.power(b, e), dtype=np.float64)
    if not exponent.free:
        if _derivative_order([base, exponent]):
            return exp(multiply([exponent, log(base, what)]))
        return _with_jets(data, axes, [base, exponent], _product_rule)
    order = _derivative_order([base])
    if not order:
        return _with_jets(data, axes, [base, exponent], _product_rule)
    grad_axes = jet_axes(axes)
    e_full = _reshape_to(e.reshape(data.shape), axes, grad_axes)
    b_full = _reshape_to(b.reshape(data.shape), axes, grad_axes)
    if np.any((b_full == 0) & (e_full != np.round(e_full)) & (e_full < order)):
        raise Undefined(f"{show(what)} has no derivative at 0")

    def derivatives(x: np.ndarray) -> list[np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.where(e_full == 0, 0.0, e_full * np.power(x, e_full - 1.0))
            c2 = e_full * (e_full - 1.0)
            second = np.where(c2 == 0, 0.0, c2 * np.power(x, e_full - 2.0))
        return [np.power(x, e_full), first, second]

    coeffs = base.coefficients(grad_axes, order)
    derived = jet_unary(coeffs, derivatives)[1:]
    n = coeffs[1].shape[grad_axes.index(GRAD)]
    sizes = {a: data.shape[k] for k, a in enumerate(axes)}
    shape = tuple(sizes.get(a, n) for a in grad_axes)
    return Value(data, axes, tuple(np.broadcast_to(d, shape) for d in derived))


def divide(numerator: Value, denominator: Value, what: Basic) -> Value:
    if np.any(denominator.data == 0):
        raise Undefined(f"{show(what)} divides by zero")
    return multiply([numerator, power(denominator, Value.scalar(-1.0), what)])


def log(value: Value, what: Basic) -> Value:
    """log x; derivatives x'/x, x''/x − x'²/x²."""
    data = value.data.astype(np.float64)
    if np.any(data <= 0):
        worst = float(data.flat[int(np.argmin(data))])
        raise Undefined(f"{show(what)} is undefined: the log of {worst:.6g} ≤ 0")
    return _unary(value, np.log(data), lambda x: [np.log(x), 1.0 / x, -1.0 / (x * x)])


def exp(value: Value) -> Value:
    """e^x; derivatives e^x x', e^x (x'² + x'')."""
    data = np.exp(value.data.astype(np.float64))
    return _unary(value, data, lambda x: [np.exp(x)] * 3)


def take(
    table: np.ndarray,
    indices: Sequence[Value],
    what: Basic,
    *,
    jets: Sequence[np.ndarray] | None = None,
    free: bool,
) -> Value:
    """``table[i, j, …]`` with index Values broadcast by axis name; ``free``: the table does
    not depend on θ, else ``jets`` are its derivatives ([..., n] each) when known."""
    for index in indices:
        if not index.is_integer or GRAD in index.axes:
            raise NotEvaluable(f"{show(what)}: its arguments must be states and actions")
    axes, arrays = align(indices)
    for k, array in enumerate(arrays):
        if array.size and (array.min() < 0 or array.max() >= table.shape[k]):
            raise NotEvaluable(f"{show(what)}: an argument is not a valid state or action")
    data = np.asarray(table[tuple(arrays)], dtype=np.float64)
    if free:
        return Value(data, axes, free=True)
    if jets is None:
        return Value(data, axes)
    index = (*np.broadcast_arrays(*arrays), slice(None)) if arrays else (slice(None),)
    taken = tuple(np.asarray(j[index], dtype=np.float64) for j in jets)
    return Value(data, axes, taken)


def gather(value: Value, axis: str, rows: np.ndarray, new_axis: str) -> Value:
    """``value`` indexed along ``axis`` by the integer array ``rows`` (a new axis
    ``new_axis`` in its place), derivatives too."""
    k = value.axes.index(axis)
    axes = value.axes[:k] + (new_axis,) + value.axes[k + 1 :]
    data = np.take(value.data, rows, axis=k)
    if value.free or value.jets is None:
        return Value(data, axes, free=value.free)
    j = jet_axes(value.axes).index(axis)
    return Value(data, axes, tuple(np.take(a, rows, axis=j) for a in value.jets))


def segment_sum(value: Value, axis: str, groups: np.ndarray, count: int, new_axis: str) -> Value:
    """Σ of ``value`` over the entries of ``axis`` in each of ``count`` groups (``groups``
    the group of each entry), on a new axis ``new_axis``; derivatives too."""

    def summed(data: np.ndarray, k: int) -> np.ndarray:
        moved = np.moveaxis(data, k, 0)
        out = np.zeros((count, *moved.shape[1:]))
        np.add.at(out, groups, moved)
        return np.moveaxis(out, 0, k)

    k = value.axes.index(axis)
    axes = value.axes[:k] + (new_axis,) + value.axes[k + 1 :]
    data = summed(value.data.astype(np.float64), k)
    if value.free or value.jets is None:
        return Value(data, axes, free=value.free)
    j = jet_axes(value.axes).index(axis)
    return Value(data, axes, tuple(summed(a, j) for a in value.jets))


def stack(values: Sequence[Value], axis: str) -> Value:
    """Stack along a new last axis ``axis`` (derivatives kept only when all are 0)."""
    axes, arrays = align(values)
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    data = np.stack([np.broadcast_to(a, shape) for a in arrays], axis=-1)
    free = all(v.free for v in values)  # a stack of θ-free values is θ-free
    return Value(np.asarray(data, dtype=np.float64), (*axes, axis), free=free)
