"""How the reports print quantities that are zero up to round-off.

An exactly unbiased estimator's bias E[ĝ] − ∇J, or the difference between ∇J by
enumeration and by dynamic programming, is a sum of rounding errors: 4.09e-16 on one CPU,
4.30e-16 on another, depending on the BLAS kernel and the thread count.  Printed as a
number it would make the same input print different text on different machines.  Every
such figure of the text reports goes through :func:`roundoff_figure`, which prints values
below :data:`ROUNDOFF_FLOOR` as ``< 1e-12``; JSON keeps the float.
"""

from __future__ import annotations

#: magnitudes below this are printed as "< 1e-12" (round-off, not a measurement)
ROUNDOFF_FLOOR = 1e-12


def roundoff_figure(value: float, spec: str = ".2e") -> str:
    """``value`` formatted with ``spec``, or ``"< 1e-12"`` when |value| < ROUNDOFF_FLOOR."""
    if abs(value) < ROUNDOFF_FLOOR:
        return f"< {ROUNDOFF_FLOOR:g}"
    return format(value, spec)


def roundoff_relation(value: float, spec: str = ".2e") -> str:
    """``= value``, or ``< 1e-12`` (for "x = 1.2e-03" and "x < 1e-12" alike)."""
    figure = roundoff_figure(value, spec)
    return figure if figure.startswith("<") else f"= {figure}"
