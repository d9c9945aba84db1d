"""Which names a notation defines, and what role each plays.

Names are compared after normalising presentation: ``\\mathbf{s}``,
``\\boldsymbol{s}`` and ``s`` are all the letter ``s``; a Greek letter is the
same whether the notation spells it ``tau`` or ``\\tau``; an accent is part of
the name (``\\hat{g}`` is not ``g``).  One name may play several roles (in seed
000, ``p`` is the density, the dynamics and the initial distribution); the
builder tells them apart by the shape of the arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy import Symbol

from pgproof.symbolic.names import canonical
from pgproof.symbolic.notation import Notation

__all__ = ["canonical", "Roles", "EXPECTATION"]

EXPECTATION = "E"


@dataclass
class Roles:
    """The notation's names by role, keyed by canonical name."""

    notation: Notation
    roles: dict[str, set[str]] = field(default_factory=dict)
    constants: dict[str, Symbol] = field(default_factory=dict)
    #: declared functions: canonical key -> the name as declared
    functions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.notation
        for role, name in (
            ("trajectory", n.trajectory),
            ("parameter", n.parameter),
            ("time", n.time_index),
            ("horizon", n.horizon),
            ("state", n.state),
            ("action", n.action),
            ("policy", n.policy),
            ("dynamics", n.dynamics),
            ("initial", n.initial),
            ("reward", n.reward),
            ("return", n.return_),
            ("density", n.density),
            ("objective", n.objective),
            ("sample_index", n.sample_index),
            ("sample_count", n.sample_count),
        ):
            if role == "horizon" and n.infinite_horizon:  # ∞ is read by the grammar
                continue
            self.roles.setdefault(canonical(name), set()).add(role)
        for alias in n.density_aliases:
            self.roles.setdefault(canonical(alias), set()).add("density")
        for const in n.constants:
            self.roles.setdefault(canonical(const), set()).add("constant")
            self.constants[canonical(const)] = n.constant(const)
        if n.gamma is not None:  # the discount is a plain constant (positive)
            self.roles.setdefault(canonical(n.discount), set()).add("constant")
            self.constants[canonical(n.discount)] = n.gamma
        for name in (*n.declared_functions(), *n.parameter_functions()):
            self.roles.setdefault(canonical(name), set()).add("function")
            self.functions[canonical(name)] = name
        if n.policy_class == "gaussian":  # σ: a positive constant of the Gaussian class
            self.roles.setdefault(canonical(n.policy_std), set()).add("constant")
            self.constants[canonical(n.policy_std)] = n.sigma
        self.roles.setdefault(EXPECTATION, set()).add("expectation")

    def of(self, key: str) -> set[str]:
        return self.roles.get(key, set())

    def has(self, key: str, role: str) -> bool:
        return role in self.roles.get(key, ())

    def known(self) -> str:
        return ", ".join(sorted(self.roles))

    def is_action_name(self, key: str) -> bool:
        """a, or a primed a (a', a'') used as a bound action, in formulas about one state."""
        return self.notation.scope == "state" and self.has(key.rstrip("'"), "action")

    def is_time_name(self, key: str) -> bool:
        """t, or a primed t (t', t'') used as a summation index."""
        base = key.rstrip("'")
        return self.has(base, "time")
