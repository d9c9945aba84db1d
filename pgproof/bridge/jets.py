"""Exact derivatives along θ: truncated Taylor jets (forward-mode duals of order ≤ 2).

A jet of x is the list of its derivatives ``[x, ∂x, ∂²x]`` along θ, read *per coordinate*
(:mod:`.values`): ``∂x[..., k] = ∂x/∂θ_k`` and ``∂²x[..., k] = ∂²x/∂θ_k²``, so that every
array but the value carries a last axis over the coordinates θ_k.  The rules are those of
calculus, coordinate by coordinate:

    (x + y)' = x' + y',          (x y)' = x' y + x y',     (x y)'' = x'' y + 2 x' y' + x y'',
    φ(x)' = φ'(x) x',            φ(x)'' = φ''(x) x'² + φ'(x) x''      (log, exp, x^c, 1/x),
    (M x = b):   x' = M⁻¹(b' − M' x),   x'' = M⁻¹(b'' − M'' x − 2 M' x').

The tabular softmax π = softmax_a θ[s, a], θ_k = θ[s', b] (flattened), has

    ∂_k π(a|s)       = 1[s = s'] π(a|s) (1[a = b] − π(b|s)),
    ∂²_k π(a|s)      = 1[s = s'] (∂_k π(a|s) (1[a = b] − π(b|s)) − π(a|s) ∂_k π(b|s)),
    ∂_k log π(a|s)   = 1[s = s'] (1[a = b] − π(b|s)),
    ∂²_k log π(a|s)  = −1[s = s'] π(b|s) (1 − π(b|s)).

Used by :mod:`.evaluate` for ∇_θ, and by :class:`Jet` for the value functions (V, Q, A, d^π,
Pr(s_t = s) by DP or a linear solve): no finite differences anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MAX_ORDER",
    "Jet",
    "jet_product",
    "linear_softmax_jets",
    "log_softmax_jets",
    "softmax_jets",
    "tanh_linear_jets",
]

#: the deepest nesting of ∇ evaluated exactly (∇ of a body holding one ∇); the evaluator
#: refuses deeper ones as not evaluated
MAX_ORDER = 2

Coefficients = list[np.ndarray]


def jet_product(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> Coefficients:
    """Leibniz: the coefficients of x·y from those of x and y (broadcastable arrays)."""
    order = min(len(a), len(b)) - 1
    out = [a[0] * b[0]]
    if order >= 1:
        out.append(a[1] * b[0] + a[0] * b[1])
    if order >= 2:
        out.append(a[2] * b[0] + 2.0 * a[1] * b[1] + a[0] * b[2])
    return out


def jet_unary(
    x: Sequence[np.ndarray], derivatives: Callable[[np.ndarray], Sequence[np.ndarray]]
) -> Coefficients:
    """φ(x) by the chain rule; ``derivatives(x0)`` gives φ(x0), φ'(x0), φ''(x0) (as many as
    needed); x0 must broadcast against the other coefficients."""
    order = len(x) - 1
    phi = derivatives(x[0])
    out = [phi[0]]
    if order >= 1:
        out.append(phi[1] * x[1])
    if order >= 2:
        out.append(phi[2] * x[1] * x[1] + phi[1] * x[2])
    return out


def softmax_jets(theta: np.ndarray, order: int) -> Coefficients:
    """[π, ∂π, ∂²π] of the tabular softmax, π [S, A], derivatives [S, A, S·A]."""
    logits = np.asarray(theta, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    pi = shifted / shifted.sum(axis=-1, keepdims=True)
    out = [pi]
    if order == 0:
        return out
    n_states, n_actions = pi.shape
    eye = np.eye(n_actions)
    jac = pi[:, :, None] * (eye - pi[:, None, :])  # [s, a, b] = ∂π(a|s)/∂θ[s, b]
    out.append(_own_state(jac, n_states, n_actions))
    if order >= 2:
        diag = np.einsum("sbb->sb", jac)  # ∂π(b|s)/∂θ[s, b]
        second = jac * (eye - pi[:, None, :]) - pi[:, :, None] * diag[:, None, :]
        out.append(_own_state(second, n_states, n_actions))
    return out


def linear_softmax_jets(logits: np.ndarray, slopes: np.ndarray, order: int) -> Coefficients:
    """[π, ∂π, ∂²π] of π = softmax_a l with l linear in θ (∂_k l = ``slopes[..., k]``,
    ∂²l = 0): with m = Σ_b π_b ∂l_b,

        ∂π_a = π_a (∂l_a − m),    ∂²π_a = ∂π_a (∂l_a − m) − π_a Σ_b ∂π_b ∂l_b."""
    top = logits.max(axis=-1, keepdims=True)
    shifted = np.exp(logits - top)
    pi = shifted / shifted.sum(axis=-1, keepdims=True)
    out = [pi]
    if order == 0:
        return out
    mean = np.einsum("...a,...ak->...k", pi, slopes)[..., None, :]
    first = pi[..., None] * (slopes - mean)
    out.append(first)
    if order >= 2:
        spread = np.einsum("...ak,...ak->...k", first, slopes)[..., None, :]
        out.append(first * (slopes - mean) - pi[..., None] * spread)
    return out


def tanh_linear_jets(argument: np.ndarray, slopes: np.ndarray, order: int) -> Coefficients:
    """[y, ∂y, ∂²y] of y = tanh(z), z linear in θ (∂_k z = ``slopes[..., k]``):
    ∂y = (1 − y²) ∂z,  ∂²y = −2 y (1 − y²) (∂z)²."""
    y = np.tanh(argument)
    out = [y]
    if order >= 1:
        out.append((1.0 - y * y)[..., None] * slopes)
    if order >= 2:
        out.append((-2.0 * y * (1.0 - y * y))[..., None] * slopes * slopes)
    return out


def log_softmax_jets(theta: np.ndarray, order: int) -> Coefficients:
    """[log π, ∂ log π, ∂² log π] of the tabular softmax (shapes as :func:`softmax_jets`)."""
    logits = np.asarray(theta, dtype=np.float64)
    top = logits.max(axis=-1, keepdims=True)
    log_pi = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
    out = [log_pi]
    if order == 0:
        return out
    pi = np.exp(log_pi)
    n_states, n_actions = pi.shape
    eye = np.eye(n_actions)
    out.append(_own_state(eye - pi[:, None, :], n_states, n_actions))
    if order >= 2:
        curvature = np.broadcast_to(
            -(pi * (1.0 - pi))[:, None, :], (n_states, n_actions, n_actions)
        )
        out.append(_own_state(curvature, n_states, n_actions))
    return out


def _own_state(block: np.ndarray, n_states: int, n_actions: int) -> np.ndarray:
    """[s, a, b] (derivative along θ[s, b]) spread to [s, a, k] with k = s'·A + b (0 off s)."""
    full = np.zeros((n_states, n_actions, n_states, n_actions))
    index = np.arange(n_states)
    full[index, :, index, :] = block
    return full.reshape(n_states, n_actions, n_states * n_actions)


@dataclass(frozen=True)
class Jet:
    """An array with its derivatives along θ: ``c[0]`` [X], ``c[i]`` [X, n] (i ≥ 1)."""

    c: tuple[np.ndarray, ...]

    @staticmethod
    def const(x: np.ndarray, order: int, n: int) -> Jet:
        x = np.asarray(x, dtype=np.float64)
        return Jet((x, *(np.zeros((*x.shape, n)) for _ in range(order))))

    @property
    def order(self) -> int:
        return len(self.c) - 1

    def __add__(self, other: Jet) -> Jet:
        return Jet(tuple(a + b for a, b in zip(self.c, other.c, strict=True)))

    def __sub__(self, other: Jet) -> Jet:
        return Jet(tuple(a - b for a, b in zip(self.c, other.c, strict=True)))

    def scale(self, factor: float) -> Jet:
        return Jet(tuple(factor * a for a in self.c))

    def __getitem__(self, index) -> Jet:
        """The same index on the value and on every derivative (leading axes only)."""
        return Jet(tuple(a[index] for a in self.c))

    def expand(self, axis: int) -> Jet:
        """A new axis of size 1 at ``axis`` of the value (before the coordinate axis)."""
        return Jet(
            (np.expand_dims(self.c[0], axis), *(np.expand_dims(a, axis) for a in self.c[1:]))
        )


def contract(spec: str, x: Jet | np.ndarray, y: Jet | np.ndarray) -> Jet:
    """einsum(spec) of two jets (or a jet and a θ-free array), bilinear: Leibniz per
    coordinate k (the letter ``z`` is the coordinate axis and must not occur in ``spec``)."""
    inputs, output = spec.split("->")
    left, right = inputs.split(",")
    xs = x.c if isinstance(x, Jet) else (np.asarray(x),)
    ys = y.c if isinstance(y, Jet) else (np.asarray(y),)
    order = max(len(xs), len(ys)) - 1

    def term(i: int, j: int) -> np.ndarray | None:
        if i >= len(xs) or j >= len(ys):
            return None
        a, b = xs[i], ys[j]
        la, lb = left + ("z" if i else ""), right + ("z" if j else "")
        lo = output + ("z" if i or j else "")
        return np.einsum(f"{la},{lb}->{lo}", a, b)

    out = []
    weights = {0: [(0, 0, 1.0)], 1: [(1, 0, 1.0), (0, 1, 1.0)]}
    weights[2] = [(2, 0, 1.0), (1, 1, 2.0), (0, 2, 1.0)]
    for level in range(order + 1):
        total = None
        for i, j, w in weights[level]:
            got = term(i, j)
            if got is not None:
                total = w * got if total is None else total + w * got
        out.append(total)
    return Jet(tuple(out))


def solve(system: Jet, rhs: Jet, transpose: bool = False) -> Jet:
    """x with M x = b (Mᵀ x = b when ``transpose``), M [S, S], b [S], derivatives by
    x' = M⁻¹(b' − M' x), x'' = M⁻¹(b'' − M'' x − 2 M' x')."""
    m = [a.swapaxes(0, 1) if transpose else a for a in system.c]
    x0 = np.linalg.solve(m[0], rhs.c[0])
    out = [x0]
    order = min(system.order, rhs.order)
    if order >= 1:
        x1 = np.linalg.solve(m[0], rhs.c[1] - np.einsum("stz,t->sz", m[1], x0))
        out.append(x1)
    if order >= 2:
        extra = np.einsum("stz,t->sz", m[2], x0) + 2.0 * np.einsum("stz,tz->sz", m[1], out[1])
        out.append(np.linalg.solve(m[0], rhs.c[2] - extra))
    return Jet(tuple(out))
