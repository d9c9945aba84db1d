"""Control variates with known mean zero for score-function estimators.

For a policy π_θ and any quantity c_t that is fixed once s_t is reached (it may depend on
s_1, a_1, …, s_t, never on a_t), E[c_t ∇_θ log π_θ(a_t|s_t) | s_1, …, s_t] = c_t Σ_a ∇π_θ(a|s_t)
= 0.  So every

    h_k(τ) = Σ_t c_kt(τ) ∇_θ log π_θ,t(a_t|s_t)

has E[h_k] = 0 exactly, whatever the MDP, and y = ĝ - Σ_k β_k h_k has the mean of ĝ for any
coefficients β fixed in advance: testing E[y] = ∇J is testing E[ĝ] = ∇J.  The three
controls used here (per coordinate j of θ, with its own β_jk):

    c_0t = 1                          (a constant baseline per coordinate),
    c_1t = R_{<t} = Σ_{t'<t} γ^{t'-1} r_t'   (the rewards already collected),
    c_2t = γ^{t-1} V_t(s_t)           (the state value, from the DP),

so that REINFORCE minus h_1 + h_2 is the state-baseline estimator; the fitted β do better
still (on the 3×2×4 example, REINFORCE's largest coordinate variance 1.66 becomes 0.045).
They are computed on the sampled trajectories like any score-function estimator.

β must not look at the samples it is applied to: it comes from exact moments (enumeration:
:func:`fit_coefficients` on E[(ĝ - c) h_k], E[h_k h_l]) or from a pilot batch that is
then dropped (:mod:`pgproof.numeric.bias_test`).  The bounds of y follow from those of ĝ and
of each h_k (:func:`controlled_bounds`), or exactly by enumeration.
"""

from __future__ import annotations

import numpy as np

from pgproof.numeric.bounds import score_weighted_bounds
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy
from pgproof.numeric.trajectories import Batch

#: the controls' weights c_kt, in the order of the last axis of :func:`control_values`
CONTROLS = ("1", "R_{<t}", "γ^{t-1} V_t(s_t)")
#: ridge added to the Gram matrix of the controls, relative to its trace
RIDGE = 1e-9


def control_weights(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray):
    """The weights c_kt of the controls, each [m, T]."""
    from pgproof.numeric.estimators import value_table

    m, horizon = batch.size, mdp.horizon
    discounted = batch.rewards * mdp.discounts
    past = np.cumsum(discounted, axis=1) - discounted
    values = value_table(mdp, policy, theta)
    state_values = values[np.arange(horizon), batch.states[:, :horizon]] * mdp.discounts
    return [np.ones((m, horizon)), past, state_values]


def control_values(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray):
    """h_k(τ_i) for every trajectory of the batch and coordinate of θ: [m, d, K]."""
    m = batch.size
    columns = [
        policy.score_sum(theta, batch.states, batch.actions, weights).reshape(m, -1)
        for weights in control_weights(batch, mdp, policy, theta)
    ]
    return np.stack(columns, axis=-1)


def control_bounds(mdp: TabularMDP, policy: Policy, theta: np.ndarray):
    """Bounds (lo, hi) of every control, each [d, K], from the rewards, horizon and policy
    (None when the policy's score cannot be bounded)."""
    from pgproof.numeric.estimators import value_table

    horizon = mdp.horizon
    discounts = mdp.discounts
    past = np.concatenate([[0.0], np.cumsum(discounts)[:-1]])
    r_min, r_max = float(mdp.reward.min()), float(mdp.reward.max())
    values = value_table(mdp, policy, theta)[:horizon]
    weights = [
        (np.ones(horizon), np.ones(horizon)),
        (np.minimum(r_min * past, r_max * past), np.maximum(r_min * past, r_max * past)),
        (discounts * values.min(axis=1), discounts * values.max(axis=1)),
    ]
    lows, highs = [], []
    for w_lo, w_hi in weights:
        found = score_weighted_bounds(w_lo, w_hi, mdp, policy, theta)
        if found is None:
            return None
        lows.append(np.ravel(found[0]))
        highs.append(np.ravel(found[1]))
    return np.stack(lows, axis=-1), np.stack(highs, axis=-1)


def fit_coefficients(cross: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """β_j = argmin Var(ĝ_j - β·h_j) per coordinate: cross [d, K] = Cov(ĝ_j, h_jk), gram
    [d, K, K] = Cov(h_jk, h_jl); a tiny ridge keeps coordinates that are never visited
    (all h_j = 0) at β = 0."""
    cross = np.asarray(cross, dtype=np.float64)
    gram = np.asarray(gram, dtype=np.float64)
    k = gram.shape[-1]
    scale = np.trace(gram, axis1=1, axis2=2)[:, None, None] / k
    ridge = RIDGE * np.maximum(scale, 1e-300) * np.eye(k)
    return np.linalg.solve(gram + ridge, cross[..., None])[..., 0]


def residual_variance(
    variance: np.ndarray, cross: np.ndarray, gram: np.ndarray, beta: np.ndarray
) -> np.ndarray:
    """Var(ĝ_j - β_j·h_j) = Var ĝ_j - 2 β·Cov(ĝ, h) + βᵀ Cov(h) β, per coordinate."""
    quadratic = np.einsum("dk,dkl,dl->d", beta, gram, beta)
    return np.maximum(variance - 2.0 * np.sum(beta * cross, axis=1) + quadratic, 0.0)


def controlled_bounds(
    low: np.ndarray,
    high: np.ndarray,
    beta: np.ndarray,
    control_low: np.ndarray,
    control_high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of y_j = ĝ_j - Σ_k β_jk h_jk from bounds of ĝ_j [d] and of h_jk [d, K]."""
    ends = np.stack([beta * control_low, beta * control_high])
    return low - ends.max(axis=0).sum(axis=1), high - ends.min(axis=0).sum(axis=1)


def subtract_controls(values: np.ndarray, controls: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """y = ĝ - Σ_k β_k h_k for values [..., d], controls [..., d, K] and β [d, K] — the one
    formula every route uses, so the sampled y and its exact range agree to the last bit
    (each element is ((ĝ - β_0 h_0) - β_1 h_1) - …, whatever the batch)."""
    out = np.array(values, dtype=np.float64)
    for k in range(beta.shape[-1]):
        out -= controls[..., k] * beta[:, k]
    return out
