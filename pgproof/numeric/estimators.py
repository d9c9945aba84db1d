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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgproof.numeric.dp import solve
from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import Policy
from pgproof.numeric.trajectories import Batch, return_from, reward_to_go, total_return

EstimatorFn = Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]


class EstimatorError(ValueError):
    """An estimator could not be found, loaded, or returned an unusable array."""


@dataclass(frozen=True)
class Estimator:
    """A named per-trajectory estimator with its formula and whether its mean should be ∇J."""

    name: str
    function: EstimatorFn
    expected_unbiased: bool
    formula: str = ""
    #: optional refinement: returns True for MDPs on which a nominally biased form is unbiased
    unbiased_when: Callable[[TabularMDP], bool] | None = None

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


def _weighted(weights: Callable[[Batch, TabularMDP, Policy, np.ndarray], np.ndarray]):
    """Turn a weight rule w_t(τ) into the estimator Σ_t w_t ∇ log π(a_t|s_t)."""

    def estimate(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray) -> np.ndarray:
        w = weights(batch, mdp, policy, theta)
        return policy.score_sum(theta, batch.states, batch.actions, w)

    estimate.__doc__ = weights.__doc__
    return estimate


def _steps(mdp: TabularMDP) -> np.ndarray:
    return np.arange(1, mdp.horizon + 1)


def _state_values(batch: Batch, mdp: TabularMDP, policy: Policy, theta: np.ndarray):
    values = solve(mdp, policy, theta).values
    return values[np.arange(mdp.horizon), batch.states[:, : mdp.horizon]]


_BUILTINS = [
    ("reinforce", lambda b, mdp, p, th: total_return(b, mdp), True, "w_t = R(τ)"),
    ("reward_to_go", lambda b, mdp, p, th: reward_to_go(b, mdp), True, "w_t = R_{≥t}"),
    (
        "discounted_return",
        lambda b, mdp, p, th: mdp.discounts * return_from(b, mdp),
        True,
        "w_t = γ^{t-1} G_t",
    ),
    (
        "constant_baseline",
        lambda b, mdp, p, th: total_return(b, mdp) - mdp.reward.mean() * mdp.discounts.sum(),
        True,
        "w_t = R(τ) - mean(r) Σ_t γ^{t-1}",
    ),
    (
        "state_baseline",
        lambda b, mdp, p, th: reward_to_go(b, mdp) - mdp.discounts * _state_values(b, mdp, p, th),
        True,
        "w_t = R_{≥t} - γ^{t-1} V_t(s_t)",
    ),
    (
        "action_baseline",
        lambda b, mdp, p, th: (
            reward_to_go(b, mdp) - mdp.discounts * (mdp.horizon + 1 - _steps(mdp)) * b.rewards
        ),
        False,
        "w_t = R_{≥t} - γ^{t-1} (T-t+1) r(s_t, a_t)   [baseline depends on a_t]",
    ),
    (
        "reward_to_go_skip_current",
        lambda b, mdp, p, th: reward_to_go(b, mdp) - mdp.discounts * b.rewards,
        False,
        "w_t = R_{>t}   [drops the current reward r_t]",
    ),
    (
        "discount_confusion",
        lambda b, mdp, p, th: return_from(b, mdp),
        False,
        "w_t = G_t   [γ^{t'-t} without the γ^{t-1} factor]",
        lambda mdp: mdp.discount == 1.0 or mdp.horizon == 1,
    ),
    (
        "discount_off_by_one",
        lambda b, mdp, p, th: mdp.discount * mdp.discounts * return_from(b, mdp),
        False,
        "w_t = γ^t G_t   [γ^t instead of γ^{t-1}]",
        lambda mdp: mdp.discount == 1.0,
    ),
]

for _name, _rule, _unbiased, _formula, *_when in _BUILTINS:
    register_estimator(
        Estimator(
            name=_name,
            function=_weighted(_rule),
            expected_unbiased=_unbiased,
            formula=f"Σ_t w_t ∇log π(a_t|s_t), {_formula}",
            unbiased_when=_when[0] if _when else None,
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
