"""The policy-class keys of a notation and their choices (no dependencies).

``scope`` is one of :data:`SCOPES`, ``policy_class`` one of :data:`POLICY_CLASSES`; the
classes of :data:`FINITE_ACTIONS` have a finite set of actions (Σ_a and E_a as a sum make
sense).  What each class's π_θ(a|s) is: :mod:`pgproof.symbolic.policy_classes`.
"""

from __future__ import annotations

__all__ = ["FINITE_ACTIONS", "POLICY_CLASSES", "SCOPES"]

SCOPES = ("trajectory", "state")
POLICY_CLASSES = ("tabular", "linear_softmax", "gaussian")
#: classes whose actions are a finite set (Σ_a and E_a as a sum make sense)
FINITE_ACTIONS = ("tabular", "linear_softmax")
