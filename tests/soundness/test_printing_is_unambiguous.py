"""Different expressions print differently (soundness issue, item 10)."""

from __future__ import annotations

import pytest
from sympy import Sum, log

from pgproof.kernel.objects import Grad
from pgproof.present import latex
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.text import show

N = Notation()
R, PI = N.r(), N.pi()


def pairs():
    s = N.time_range()
    return [
        (Sum(R, s) ** 2, Sum(R**2, s)),
        (Grad(PI, N.theta) ** 2, Grad(PI**2, N.theta)),
        (log(PI) ** 2, log(PI**2)),
        (PI * Sum(R, s), Sum(PI * R, s)),
        (Grad(PI, N.theta) * R, Grad(PI * R, N.theta)),
    ]


@pytest.mark.parametrize(("a", "b"), pairs())
def test_text_tells_them_apart(a, b) -> None:
    assert a != b and show(a) != show(b)


@pytest.mark.parametrize(("a", "b"), pairs()[:2])
def test_latex_tells_powers_apart(a, b) -> None:
    assert latex(a) != latex(b)
