"""Policy classes, and formulas about one state: the notation keys and the definitions.

Two notation keys choose what a derivation is about:

* ``scope``: ``"trajectory"`` (the default: states and actions are s_t, a_t of τ) or
  ``"state"`` (formulas about one state s and one action a, without a time index, as
  score functions are: ∇_θ log π_θ(a|s); a bare s or a is then read as that state and
  action, and a', a'', … as actions bound by Σ_{a'} or E_{a'∼π_θ(·|s)});
* ``policy_class``: what π_θ(a|s) is, which the rule ``definition`` unfolds:

      tabular           softmax of θ[s, a] (no closed form is unfolded: θ is a table)
      linear_softmax    π_θ(a|s) = exp(θ^⊤φ(s,a)) / Σ_{a'} exp(θ^⊤φ(s,a'))
                        (``features``: φ(s, a), a vector of θ's space, free of θ)
      gaussian          π_θ(a|s) = N(a; μ_θ(s), σ²), a ∈ R
                        (``policy_mean``: μ_θ(s), a function of the state that depends
                        on θ; ``policy_std``: σ > 0, free of θ)

and N(x; μ, v) = exp(−(x − μ)²/(2v)) / √(2π v) in every notation.  The class's names
(φ; μ and σ) are declared by choosing the class: φ as a θ-free function of a state and an
action, μ as a function of the state that depends on θ (written μ_θ(s)), σ as a positive
constant.  The definitions are read on formulas about one state (a bound a' of Σ_{a'} is
an action symbol, not an action of τ).
"""

from __future__ import annotations

from sympy import Basic, Mul, exp

from pgproof.kernel.objects import Policy, Ratio
from pgproof.kernel.state_objects import (
    ActionSum,
    ActionSymbol,
    GaussianDensity,
    Inner,
    StateSymbol,
    fresh_action,
)

from .canonical import canonical
from .names import fixed_order
from .notation import (  # the notation keys' checks live with the notation
    Notation,
    check_choices,
    class_functions,
    class_symbols,
    parameter_functions,
)
from .policy_keys import FINITE_ACTIONS, POLICY_CLASSES, SCOPES
from .refusal import Refusal

__all__ = [
    "FINITE_ACTIONS",
    "POLICY_CLASSES",
    "SCOPES",
    "check_choices",
    "class_functions",
    "class_symbols",
    "fold_normal",
    "fold_policy",
    "normal_density",
    "parameter_functions",
    "unfold_policy",
]

# --------------------------------------------------------------------------- definitions


def unfold_policy(node: Basic, n: Notation) -> Basic | None:
    """The policy class's formula for π_θ(a|s) of one state, or None."""
    if not isinstance(node, Policy) or node != n.policy_at(node.args[1], node.args[2]):
        return None
    action, state = node.args[1], node.args[2]
    if not (isinstance(action, ActionSymbol) and isinstance(state, StateSymbol)):
        return None
    if n.policy_class == "linear_softmax":
        bound = fresh_action(action, node)
        logit = Inner(n.theta, n.function(n.features, state, action))
        other = Inner(n.theta, n.function(n.features, state, bound))
        return Ratio(exp(logit), ActionSum(exp(other), bound))
    if n.policy_class == "gaussian":
        mean = n.function(n.policy_mean, state)
        return GaussianDensity(action, mean, n.sigma**2)
    return None


def fold_policy(node: Basic, n: Notation) -> Basic | None:
    """π_θ(a|s) when ``node`` is its class's formula (bound actions named as they like)."""
    if n.policy_class not in ("linear_softmax", "gaussian"):
        return None
    if not isinstance(node, (Ratio, GaussianDensity)):
        return None
    states = [s for s in fixed_order(node.free_symbols) if isinstance(s, StateSymbol)]
    actions = [a for a in fixed_order(node.free_symbols) if isinstance(a, ActionSymbol)]
    for state in states:
        for action in actions:
            candidate = n.policy_at(action, state)
            if unfold_policy(candidate, n) == node:
                return candidate
    return None


def normal_density(node: Basic) -> Basic | None:
    """N(x; μ, v) = exp(−(x − μ)²/(2v)) / √(2π v)."""
    return node.formula() if isinstance(node, GaussianDensity) else None


def fold_normal(node: Basic, n: Notation) -> Basic | None:
    """N(a; μ_θ(s), σ²) when ``node`` is its formula (up to canonical form), for the
    Gaussian class's actions and states of ``node``."""
    if n.policy_class != "gaussian" or not node.has(exp) or not isinstance(node, (Mul, Ratio)):
        return None
    try:
        wanted = canonical(node)
    except Refusal:
        return None
    states = [s for s in fixed_order(node.free_symbols) if isinstance(s, StateSymbol)]
    actions = [a for a in fixed_order(node.free_symbols) if isinstance(a, ActionSymbol)]
    for state in states:
        for action in actions:
            candidate = GaussianDensity(action, n.function(n.policy_mean, state), n.sigma**2)
            if canonical(candidate.formula()) == wanted:
                return candidate
    return None
