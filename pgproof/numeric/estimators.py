"""Per-trajectory policy-gradient estimators and their registry.

Every built-in estimator has the score-function form

    ĝ(τ) = Σ_{t=1}^{T} w_t(τ) ∇_θ log π_θ,t(a_t | s_t),      ∇J ≈ (1/m) Σ_i ĝ(τ_i),

and differs only in the weight w_t (R, R_{≥t}, G_t as in :mod:`pgproof.numeric.trajectories`;
V_t, Q_t from :mod:`pgproof.numeric.dp`):

    reinforce                   w_t = R(τ)                                      unbiased
    reward_to_go                w_t = R_{≥t}                                    unbiased
    discounted_return           w_t = γ^{t-1} G_t                               unbiased
    constant_baseline           w_t = R(τ) - b,  b = mean(r) Σ_t γ^{t-1}        unbiased
    state_baseline              w_t = R_{≥t} - γ^{t-1} V_t(s_t)                 unbiased
    action_baseline             w_t = R_{≥t} - γ^{t-1} (T-t+1) r(s_t, a_t)      biased
    reward_to_go_skip_current   w_t = R_{>t} = R_{≥t} - γ^{t-1} r_t             biased
    discount_confusion          w_t = G_t  (γ^{t'-t} without the γ^{t-1})      biased if γ<1, T>1
    discount_off_by_one         w_t = γ^{t} G_t  (γ^t instead of γ^{t-1})       biased if γ < 1

Bounds.  Every weight above is affine in the rewards r_1..r_T (plus V_t or b), so with
r_min ≤ r(s, a) ≤ r_max and D_t = Σ_{t' ≥ t} γ^{t'-1} it lies in a known interval
[w_lo,t, w_hi,t]: e.g. R(τ) ∈ [r_min D_1, r_max D_1] (r_min may be negative), R_{≥t} ∈
[r_min D_t, r_max D_t], R_{>t} ∈ [r_min D_{t+1}, r_max D_{t+1}], and the baselines shift
these by the range of V_t(s) or by b.  Each built-in carries its weight rule and these
bounds (:class:`ScoreWeights`); :mod:`pgproof.numeric.bounds` turns them into bounds on
every coordinate of ĝ (which is what makes a finite-sample test possible) and
:mod:`pgproof.numeric.streaming` uses the rule to accumulate statistics without forming ĝ.

A baseline b is harmless exactly when E[∇ log π(a_t|s_t) b] = Σ_a ∇π(a|s_t) b = 0, i.e. when b
does not depend on a_t; the biased entries are the classic convention bugs (their bias is
checked with exact moments in the tests, not assumed).  An estimator is any function
``(batch, mdp, policy, theta) -> ndarray[m, *param_shape]``; :func:`register_estimator`
adds one to :data:`ESTIMATORS`, and :func:`resolve_estimator` also accepts
``"module:function"`` or ``"path/to/file.py:function"`` for user code.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgproof.numeric.dp import solve
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy
from pgproof.numeric.trajectories import Batch, total_return

EstimatorFn = Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]


class EstimatorError(ValueError):
    """An estimator could not be found, loaded, or returned an unusable array."""


WeightRule = Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]
WeightBounds = Callable[[TabularMDP, Policy, np.ndarray], tuple[np.ndarray, np.ndarray]]
CoordinateBounds = Callable[[TabularMDP, Policy, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class ScoreWeights:
    """ĝ(τ) = Σ_t w_t(τ) ∇_θ log π_θ,t(a_t|s_t) with w from ``rule`` and w_lo,t ≤ w_t ≤ w_hi,t.

    ``rule(batch, mdp, policy, theta)`` returns the weights [m, T] (or [m] when w_t is the
    same at every step); ``bounds(mdp, policy, theta)`` returns (w_lo [T], w_hi [T]).
    """

    rule: WeightRule
    bounds: WeightBounds
    #: True when w_t does not depend on t (one weight per trajectory, e.g. REINFORCE)
    per_trajectory: bool = False


@dataclass(frozen=True)
class Estimator:
    """A named per-trajectory estimator with its formula and whether its mean should be ∇J.

    ``weights`` describes a score-function estimator (all built-ins); ``bounds`` gives
    per-coordinate bounds lo ≤ ĝ ≤ hi directly (param_shape each) for other estimators.
    """

    name: str
    function: EstimatorFn
    expected_unbiased: bool
    formula: str = ""
    #: optional refinement: returns True for MDPs on which a nominally biased form is unbiased
    unbiased_when: Callable[[TabularMDP], bool] | None = None
    weights: ScoreWeights | None = None
    bounds: CoordinateBounds | None = None

    def is_expected_unbiased(self, mdp: TabularMDP) -> bool:
        if self.expected_unbiased:
            return True
        return bool(self.unbiased_when is not None and self.unbiased_when(mdp))

    def __call__(
        self, batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray
    ) -> np.ndarray:
        """Per-trajectory estimates [m, *param_shape], checked for shape and finiteness."""
        result = np.asarray(self.function(batch, mdp, policy, theta), dtype=np.float64)
        expected = (batch.size, *policy.param_shape)
        if result.shape != expected:
            raise EstimatorError(
                f"estimator {self.name!r} returned shape {list(result.shape)}, "
                f"expected [m, *param_shape] = {list(expected)}"
            )
        if not np.all(np.isfinite(result)):
            raise EstimatorError(f"estimator {self.name!r} returned NaN or infinite values")
        return result


ESTIMATORS: dict[str, Estimator] = {}


def register_estimator(estimator: Estimator, *, replace: bool = False) -> Estimator:
    """Add ``estimator`` to :data:`ESTIMATORS` under its name (refusing duplicates)."""
    if estimator.name in ESTIMATORS and not replace:
        raise EstimatorError(f"an estimator named {estimator.name!r} is already registered")
    ESTIMATORS[estimator.name] = estimator
    return estimator


def _weighted(rule: WeightRule):
    """Turn a weight rule w_t(τ) into the estimator Σ_t w_t ∇ log π(a_t|s_t)."""

    def estimate(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
        w = rule(batch, mdp, policy, theta)
        return policy.score_sum(theta, batch.states, batch.actions, w)

    estimate.__doc__ = rule.__doc__
    return estimate


def _steps(mdp: TabularMDP) -> np.ndarray:
    return np.arange(1, mdp.horizon + 1)


#: the last (mdp, policy, θ) whose V_t(s) table was computed, and the table: a run calls
#: the state baseline once per batch of one problem, and the DP costs T steps each time
_VALUES_CACHE: list = [None, None, b"", None]
_VALUES_LOCK = threading.Lock()


def value_table(mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
    """V_t(s) [T+1, S] by the DP, recomputed only when the problem changes (read-only)."""
    key = np.ascontiguousarray(theta, dtype=np.float64).tobytes()
    with _VALUES_LOCK:
        last_mdp, last_policy, last_key, values = _VALUES_CACHE
        if last_mdp is mdp and last_policy is policy and last_key == key:
            return values
    values = solve(mdp, policy, theta).values
    values.setflags(write=False)
    with _VALUES_LOCK:
        _VALUES_CACHE[:] = [mdp, policy, key, values]
    return values


def _state_values(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray):
    values = value_table(mdp, policy, theta)
    return values[np.arange(mdp.horizon), batch.states[:, : mdp.horizon]]


def _tail(weights: np.ndarray, skip: int = 0) -> np.ndarray:
    """Σ_{t' ≥ t + skip} weights[t'] for every t (0 beyond the end), shape [T]."""
    tail = np.cumsum(weights[::-1])[::-1]
    return np.concatenate([tail[skip:], np.zeros(skip)])


def _span(mdp: TabularMDP, coefficients: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range of Σ_k c_k r_k for c_k ≥ 0 summing to ``coefficients`` [T]: [r_min c, r_max c]."""
    return mdp.reward.min() * coefficients, mdp.reward.max() * coefficients


def _return_bounds(mdp, policy, theta):
    return _span(mdp, np.full(mdp.horizon, mdp.discounts.sum()))


def _to_go_bounds(mdp, policy, theta):
    return _span(mdp, _tail(mdp.discounts))


def _baseline_bounds(mdp, policy, theta):
    low, high = _return_bounds(mdp, policy, theta)
    b = mdp.reward.mean() * mdp.discounts.sum()
    return low - b, high - b


def _state_baseline_bounds(mdp, policy, theta):
    low, high = _to_go_bounds(mdp, policy, theta)
    values = value_table(mdp, policy, theta)[: mdp.horizon]  # V_t(s), t = 1..T
    return low - mdp.discounts * values.max(axis=1), high - mdp.discounts * values.min(axis=1)


def _action_baseline_bounds(mdp, policy, theta):
    # w_t = γ^{t-1} (1 - (T-t+1)) r_t + R_{>t}: a non-positive coefficient on r_t
    low, high = _span(mdp, _tail(mdp.discounts, skip=1))
    own = mdp.discounts * (1.0 - (mdp.horizon + 1 - _steps(mdp)))
    r_min, r_max = mdp.reward.min(), mdp.reward.max()
    return low + own * r_max, high + own * r_min


def _skip_bounds(mdp, policy, theta):
    return _span(mdp, _tail(mdp.discounts, skip=1))


def _confusion_bounds(mdp, policy, theta):
    # G_t = Σ_{k=0}^{T-t} γ^k r_{t+k}: coefficients summing to 1 + γ + … + γ^{T-t}
    return _span(mdp, np.cumsum(mdp.discounts)[::-1].copy())


def _off_by_one_bounds(mdp, policy, theta):
    return _span(mdp, mdp.discount * _tail(mdp.discounts))


def reward_to_go(batch: Batch, mdp: TabularMDP) -> np.ndarray:
    """R_{≥t} = Σ_{t' ≥ t} γ^{t'-1} r_t', [m, T] — summed along time in time-major memory.

    Sampled batches are time-major ([T, m] transposed), so the sum over t is a sum of
    contiguous rows; :func:`pgproof.numeric.trajectories.reward_to_go` gives the same.
    """
    totals = np.ascontiguousarray(batch.rewards.T) * mdp.discounts[:, None]  # [T, m]
    for t in range(totals.shape[0] - 2, -1, -1):  # row by row: contiguous, unlike cumsum
        totals[t] += totals[t + 1]
    return totals.T


def return_from(batch: Batch, mdp: TabularMDP) -> np.ndarray:
    """G_t = Σ_{t' ≥ t} γ^{t'-t} r_t', [m, T], by the backward recursion over time-major rows."""
    rewards = np.ascontiguousarray(batch.rewards.T)  # [T, m]
    returns = np.empty(rewards.shape)
    running = np.zeros(rewards.shape[1])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running *= mdp.discount
        running += rewards[t]
        returns[t] = running
    return returns.T


def _reinforce(b, mdp, p, th):
    return total_return(b, mdp)


def _reward_to_go(b, mdp, p, th):
    return reward_to_go(b, mdp)


def _discounted_return(b, mdp, p, th):
    return mdp.discounts * return_from(b, mdp)


def _constant_baseline(b, mdp, p, th):
    return total_return(b, mdp) - mdp.reward.mean() * mdp.discounts.sum()


def _state_baseline(b, mdp, p, th):
    return reward_to_go(b, mdp) - mdp.discounts * _state_values(b, mdp, p, th)


def _action_baseline(b, mdp, p, th):
    return reward_to_go(b, mdp) - mdp.discounts * (mdp.horizon + 1 - _steps(mdp)) * b.rewards


def _skip_current(b, mdp, p, th):
    return reward_to_go(b, mdp) - mdp.discounts * b.rewards


def _discount_confusion(b, mdp, p, th):
    return return_from(b, mdp)


def _discount_off_by_one(b, mdp, p, th):
    return mdp.discount * mdp.discounts * return_from(b, mdp)


_BUILTINS = [
    ("reinforce", _reinforce, _return_bounds, True, "w_t = R(τ)"),
    ("reward_to_go", _reward_to_go, _to_go_bounds, True, "w_t = R_{≥t}"),
    ("discounted_return", _discounted_return, _to_go_bounds, True, "w_t = γ^{t-1} G_t"),
    (
        "constant_baseline",
        _constant_baseline,
        _baseline_bounds,
        True,
        "w_t = R(τ) - mean(r) Σ_t γ^{t-1}",
    ),
    (
        "state_baseline",
        _state_baseline,
        _state_baseline_bounds,
        True,
        "w_t = R_{≥t} - γ^{t-1} V_t(s_t)",
    ),
    (
        "action_baseline",
        _action_baseline,
        _action_baseline_bounds,
        False,
        "w_t = R_{≥t} - γ^{t-1} (T-t+1) r(s_t, a_t)   [baseline depends on a_t]",
    ),
    (
        "reward_to_go_skip_current",
        _skip_current,
        _skip_bounds,
        False,
        "w_t = R_{>t}   [drops the current reward r_t]",
    ),
    (
        "discount_confusion",
        _discount_confusion,
        _confusion_bounds,
        False,
        "w_t = G_t   [γ^{t'-t} without the γ^{t-1} factor]",
        lambda mdp: mdp.discount == 1.0 or mdp.horizon == 1,
    ),
    (
        "discount_off_by_one",
        _discount_off_by_one,
        _off_by_one_bounds,
        False,
        "w_t = γ^t G_t   [γ^t instead of γ^{t-1}]",
        lambda mdp: mdp.discount == 1.0,
    ),
]

#: built-ins whose weight is one number per trajectory
_PER_TRAJECTORY = {"reinforce", "constant_baseline"}

for _name, _rule, _bounds, _unbiased, _formula, *_when in _BUILTINS:
    register_estimator(
        Estimator(
            name=_name,
            function=_weighted(_rule),
            expected_unbiased=_unbiased,
            formula=f"Σ_t w_t ∇log π(a_t|s_t), {_formula}",
            unbiased_when=_when[0] if _when else None,
            weights=ScoreWeights(_rule, _bounds, per_trajectory=_name in _PER_TRAJECTORY),
        )
    )


def _load_function(spec: str) -> EstimatorFn:
    target, _, attribute = spec.rpartition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise EstimatorError(f"estimator file {target} does not exist")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise EstimatorError(f"cannot import estimator file {target}")
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as error:  # user code: report, never crash
            raise EstimatorError(f"importing {target} failed: {error!r}") from None
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as error:
            raise EstimatorError(f"cannot import module {target!r}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise EstimatorError(f"{target} has no function {attribute!r}")
    return function


def resolve_estimator(name: str) -> Estimator:
    """A registered estimator by name, or a user function given as ``module:function``.

    User functions are expected to be unbiased (that is the claim being checked).
    """
    if name in ESTIMATORS:
        return ESTIMATORS[name]
    if ":" not in name:
        known = ", ".join(sorted(ESTIMATORS))
        raise EstimatorError(f"unknown estimator {name!r} (known: {known}; or module:function)")
    return Estimator(
        name=name,
        function=_load_function(name),
        expected_unbiased=True,
        formula=f"user function {name}",
    )
