"""Build one-step checks for rule tests."""

from __future__ import annotations

from sympy import Basic

from pgproof.kernel.objects import Approximation, Equation, Grad
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import StepReport
from pgproof.symbolic.rules import lookup
from pgproof.symbolic.step_check import check_step

N = Notation(state="s", action="a")
DISCRETE = Notation(state="s", action="a", trajectory_space="discrete")


def grad(expr: Basic, n: Notation = N) -> Grad:
    return Grad(expr, n.theta)


def prove(
    source: tuple[Basic, Basic],
    claim: tuple[Basic, Basic],
    *rules: str,
    terms: tuple[Basic, ...] = (),
    factor: Basic | None = None,
    reference: tuple[Basic, Basic] | None = None,
    n: Notation = N,
) -> StepReport:
    """Check that ``rules`` turn the equation ``source`` into ``claim``."""
    ref = Equation(*reference) if reference is not None else Equation(source[0], source[0])
    estimate = any(lookup(name).estimate for name in rules)
    src, cl = Equation(*source), (Approximation if estimate else Equation)(*claim)
    step = Step(
        rhs=cl.rhs,
        lhs=cl.lhs,
        rules=rules,
        terms=terms,
        factor=factor,
        reference=1 if reference is not None else None,
    )
    d = Derivation("t", "t", n, (Step(rhs=ref.rhs, lhs=ref.lhs, rules=()), step))
    return check_step(d, 2, src, cl, [ref, cl])


def identity(lhs: Basic, rhs: Basic, *rules: str, **kw) -> StepReport:
    """Check ``lhs = rhs`` by ``rules`` applied to lhs (a step with from = "self")."""
    return prove((lhs, lhs), (lhs, rhs), *rules, **kw)
