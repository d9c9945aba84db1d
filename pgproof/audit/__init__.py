"""The soundness audit of the checker: tooling, not needed to check a derivation.

Behind the optional ``audit`` extra (Hypothesis): ``pip install 'pgproof[audit]'``.
``pgproof check``, ``render``, ``report`` and ``verify`` never import this package.

Modules (one job each):

* :mod:`.mutations`          mutation operators on checked derivations (six families);
* :mod:`.audit`              the audit: accepted symbolically ⇒ numerically true, per mutant;
* :mod:`.expressions`        random expressions of a notation (Hypothesis) and the rules'
                             differential tests on them;
* :mod:`.state_expressions`  their per-state counterpart (formulas about one state);
* :mod:`.visitation_shapes`  redexes of the state-visitation rules.

The audit's numeric judge is :mod:`pgproof.bridge.judge` (it needs no Hypothesis).

Importing this package without Hypothesis raises :class:`MissingExtra`, an ImportError
whose message is one line naming the extra and how to install it.
"""

from __future__ import annotations

from importlib.util import find_spec

#: the optional extra that holds what this package needs
EXTRA = "audit"

#: the one-line message of a missing extra
MISSING = (
    f"the soundness audit needs Hypothesis, in the {EXTRA!r} extra: "
    f"pip install 'pgproof[{EXTRA}]'"
)


class MissingExtra(ImportError):
    """The ``audit`` extra is not installed (its message is one line saying how to)."""


# found, not imported: the modules that use Hypothesis import it themselves
if find_spec("hypothesis") is None:
    raise MissingExtra(MISSING, name="hypothesis")
