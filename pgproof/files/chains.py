"""What a display chain means as one step.

A step is one equality ``lhs = rhs`` (or ``= rhs``, continuing the previous left side).
Two chains are read as one step, and nothing else:

* ``a = ĝ = b`` where the middle part is a declared constant: it names the right side;
* ``a = b = c`` where ``a = b`` repeats the previous step: the display continues it.
"""

from __future__ import annotations

from sympy import Basic

from pgproof.symbolic.notation import Notation


class ChainError(ValueError):
    """A formula that is not one equality."""


def chain_sides(
    parts: list[Basic | None], notation: Notation, previous: tuple[Basic | None, Basic] | None
) -> tuple[Basic | None, Basic]:
    """(lhs or None, rhs) of a formula split at its '=' signs (``parts[0]`` None for ``= rhs``)."""
    names = {notation.constant(c) for c in notation.constants}
    core = [p for i, p in enumerate(parts) if not (0 < i < len(parts) - 1 and p in names)]
    if len(core) == 3 and previous is not None:
        lhs, rhs = previous
        if core[1] == rhs and core[0] in (None, lhs):
            core = [None, core[2]]
    if len(core) != 2:
        raise ChainError(
            f"a step is one equality, this formula has {len(parts) - 1} '=' signs: "
            "split the chain into one step per '='"
        )
    return core[0], core[1]
