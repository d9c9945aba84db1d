"""Hypothesis strategies for tabular MDPs, policies and policy parameters.

In the style of ``hypothesis.extra.numpy``: plural names, keyword-only ``min_*``/``max_*``
bounds, argument errors raised as ``InvalidArgument`` when the strategy is drawn from, and
valid objects built directly rather than filtered.  Every probability vector is
softmax(logits) of drawn logits in [-max_logit, max_logit], and every reward is drawn in
[min_reward, max_reward], so examples shrink towards the smallest sizes, uniform
distributions, zero rewards, γ = 1 and θ = 0.

    from pgproof.strategies import mdps, policies, thetas, problems

    @given(problems(max_states=3, max_horizon=3))
    def test_something(problem):
        mdp, policy, theta = problem

Public API, and so outside :mod:`pgproof.audit`, but behind the same optional extra:
Hypothesis is in ``pip install 'pgproof[audit]'``.  Without it, importing this module
raises an ImportError whose message is one line saying so.
"""

from __future__ import annotations

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.extra.numpy import arrays
except ImportError:
    raise ImportError(
        "pgproof.strategies needs Hypothesis, in the 'audit' extra: "
        "pip install 'pgproof[audit]'",
        name="hypothesis",
    ) from None

from pgproof.numeric.mdp import TabularMDP
from pgproof.numeric.policies import (
    LinearSoftmax,
    Policy,
    TabularSoftmax,
    TimeDependentSoftmax,
    softmax,
)

POLICY_KINDS = ("tabular", "time_dependent", "linear")


def _check_bounds(name: str, low: int, high: int, floor: int = 1) -> None:
    for label, value in ((f"min_{name}", low), (f"max_{name}", high)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(f"{label}={value!r} must be an integer")
    if low < floor:
        raise InvalidArgument(f"min_{name}={low} must be at least {floor}")
    if high < low:
        raise InvalidArgument(f"max_{name}={high} must be at least min_{name}={low}")


def _check_range(name: str, low: float, high: float) -> None:
    if not (np.isfinite(low) and np.isfinite(high)) or high < low:
        raise InvalidArgument(f"need finite min_{name} <= max_{name}, got {low}, {high}")


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _distributions(draw, shape: tuple[int, ...], max_logit: float) -> np.ndarray:
    logits = draw(arrays(np.float64, shape, elements=_floats(-max_logit, max_logit)))
    return softmax(logits)


@st.composite
def mdps(
    draw,
    *,
    min_states: int = 1,
    max_states: int = 3,
    min_actions: int = 1,
    max_actions: int = 3,
    min_horizon: int = 1,
    max_horizon: int = 3,
    min_discount: float = 1.0,
    max_discount: float = 1.0,
    min_reward: float = -1.0,
    max_reward: float = 1.0,
    max_logit: float = 3.0,
) -> TabularMDP:
    """Random finite-horizon tabular MDPs (γ = 1 unless a discount range is given)."""
    _check_bounds("states", min_states, max_states)
    _check_bounds("actions", min_actions, max_actions)
    _check_bounds("horizon", min_horizon, max_horizon)
    _check_range("reward", min_reward, max_reward)
    if not 0.0 <= min_discount <= max_discount <= 1.0:
        raise InvalidArgument(
            f"need 0 <= min_discount <= max_discount <= 1, got {min_discount}, {max_discount}"
        )
    if not (np.isfinite(max_logit) and max_logit >= 0):
        raise InvalidArgument(f"max_logit={max_logit} must be finite and non-negative")
    n_states = draw(st.integers(min_states, max_states))
    n_actions = draw(st.integers(min_actions, max_actions))
    horizon = draw(st.integers(min_horizon, max_horizon))
    # 1.0 first so that shrinking prefers the undiscounted case when it is allowed
    choices = [st.just(max_discount)] if max_discount == 1.0 else []
    discount = draw(st.one_of(*choices, _floats(min_discount, max_discount)))
    initial = _distributions(draw, (n_states,), max_logit)
    transition = _distributions(draw, (n_states, n_actions, n_states), max_logit)
    reward = draw(
        arrays(np.float64, (n_states, n_actions), elements=_floats(min_reward, max_reward))
    )
    return TabularMDP(initial, transition, reward, horizon, discount)


@st.composite
def policies(
    draw,
    mdp: TabularMDP,
    *,
    kinds: tuple[str, ...] = POLICY_KINDS,
    min_features: int = 1,
    max_features: int = 3,
) -> Policy:
    """Policies for ``mdp``: tabular softmax, time-dependent softmax, or linear features."""
    if not isinstance(mdp, TabularMDP):
        raise InvalidArgument(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    unknown = [kind for kind in kinds if kind not in POLICY_KINDS]
    if not kinds or unknown:
        raise InvalidArgument(f"kinds must be a non-empty subset of {POLICY_KINDS}, got {kinds}")
    _check_bounds("features", min_features, max_features)
    kind = draw(st.sampled_from(kinds))
    if kind == "tabular":
        return TabularSoftmax(mdp.n_states, mdp.n_actions)
    if kind == "time_dependent":
        return TimeDependentSoftmax(mdp.n_states, mdp.n_actions, mdp.horizon)
    n_features = draw(st.integers(min_features, max_features))
    shape = (mdp.n_states, mdp.n_actions, n_features)
    return LinearSoftmax(draw(arrays(np.float64, shape, elements=_floats(-1.0, 1.0))))


@st.composite
def thetas(draw, policy: Policy, *, min_value: float = -2.0, max_value: float = 2.0):
    """Parameters θ of shape ``policy.param_shape`` with entries in [min_value, max_value]."""
    if not isinstance(policy, Policy):
        raise InvalidArgument(f"policy must be a Policy, got {type(policy).__name__}")
    _check_range("value", min_value, max_value)
    return draw(arrays(np.float64, policy.param_shape, elements=_floats(min_value, max_value)))


@st.composite
def problems(draw, *, kinds: tuple[str, ...] = POLICY_KINDS, **mdp_bounds):
    """Triples (mdp, policy, theta); keyword arguments are passed on to :func:`mdps`."""
    mdp = draw(mdps(**mdp_bounds))
    policy = draw(policies(mdp, kinds=kinds))
    return mdp, policy, draw(thetas(policy))
