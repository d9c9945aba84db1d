"""∇J(θ) by central finite differences of the exact objective.

Second order (``order=2``), for each coordinate e_i:

    ∂J/∂θ_i ≈ [J(θ + h e_i) - J(θ - h e_i)] / (2h),                    error O(h²) + O(ε/h);

fourth order (``order=4``), the five-point stencil

    ∂J/∂θ_i ≈ [-J(θ + 2h e_i) + 8 J(θ + h e_i) - 8 J(θ - h e_i) + J(θ - 2h e_i)] / (12h),

with error O(h⁴) + O(ε/h), which reaches ~1e-11 at h ≈ 1e-3.  J defaults to the dynamic
programme (:func:`pgproof.numeric.dp.exact_objective_dp`); pass ``objective`` to
difference another route (e.g. enumeration).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pgproof.numeric.dp import exact_objective_dp
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy, check_problem

Objective = Callable[[TabularMDP, Policy, np.ndarray], float]

_STENCILS: dict[int, tuple[tuple[float, float], ...]] = {
    2: ((1.0, 0.5), (-1.0, -0.5)),
    4: ((2.0, -1.0 / 12), (1.0, 8.0 / 12), (-1.0, -8.0 / 12), (-2.0, 1.0 / 12)),
}


def finite_difference_gradient(
    mdp: TabularMDP,
    policy: Policy,
    theta: np.ndarray,
    h: float = 1e-6,
    order: int = 2,
    objective: Objective = exact_objective_dp,
) -> np.ndarray:
    """Central-difference ∇J(θ) of the given ``order`` (2 or 4), shape ``param_shape``."""
    if order not in _STENCILS:
        raise ValueError(f"order must be one of {sorted(_STENCILS)}, got {order}")
    if not h > 0:
        raise ValueError(f"step h must be positive, got {h}")
    theta = check_problem(mdp, policy, theta)
    flat = theta.ravel()
    gradient = np.zeros(flat.size)
    for i in range(flat.size):
        for offset, coefficient in _STENCILS[order]:
            shifted = flat.copy()
            shifted[i] += offset * h
            gradient[i] += coefficient * objective(mdp, policy, shifted.reshape(theta.shape))
    return (gradient / h).reshape(theta.shape)
