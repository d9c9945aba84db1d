"""Infinite-horizon witnesses see errors that carry γ^k (k ≥ 5).

Generic trials draw γ < 0.05 (γ^5 < 3.2e-7 is below the 1e-6 tolerance there); the wide
trials draw γ across (0, 0.9) with as many steps enumerated as certify the tails, so that
wrong steps whose error is γ^5 E[r_5], γ^8 E[r_8] or γ^{t+6} E[r_{t+6}] get a witness,
while the correct forms of the same steps still agree on every trial.
"""

from __future__ import annotations

import numpy as np
import pytest
from sympy import Integer, Sum, Symbol

from pgproof.bridge.compare import compare_on, undecided
from pgproof.bridge.infinite import (
    DISCOUNT_MAX,
    TAIL_TARGET,
    WIDE_DISCOUNT_MAX,
    certified_steps,
    draw_for,
    wide_shape,
)
from pgproof.bridge.values import NotEvaluable
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.series import InfiniteSum

N = Notation(state="s", action="a", horizon=r"\infty", first_index=0, discount=r"\gamma")
G = N.gamma
t = N.t
u = Symbol("u", integer=True, nonnegative=True)
TRIALS = 5


def term(k):
    """γ^k E_{τ∼p_θ}[r(s_k, a_k)]."""
    return G**k * N.expectation(N.r(k))


def series(lower):
    return InfiniteSum(term(u), u, lower)


def verdicts(left, right, stream: int) -> list[str]:
    """'equal', 'different' or 'undecided' on each of TRIALS instances drawn as
    ``check --numeric`` draws them (odd trials generic; a trial where a side is not
    evaluated at all is undecided, as it is there)."""
    rng = np.random.default_rng([0, stream])
    out = []
    for trial in range(1, TRIALS + 1):
        inst = draw_for(N, rng, 3000, f"trial {trial}", trial % 2 == 1)
        try:
            outcome = compare_on(left, right, inst, N)
        except NotEvaluable:  # past the enumerated steps (as check --numeric, per trial)
            out.append("undecided")
            continue
        if not outcome.evaluated or undecided(outcome):
            out.append("undecided")
        else:
            out.append("equal" if outcome.agree else "different")
    return out


# (correct right side, wrong right side) for the left side J(θ) = Σ_{u≥0} γ^u E[r_u]
CLAIMS = {
    # Σ_{u=0}^{4} + Σ_{u≥5}, against dropping the term u = 5: the error is γ^5 E[r_5]
    "gamma^5": (
        Sum(term(u), (u, 0, 4)) + series(Integer(5)),
        Sum(term(u), (u, 0, 4)) + series(Integer(6)),
    ),
    # Σ_{u=0}^{7} + Σ_{u≥8}, against Σ_{u≥9}: the error is γ^8 E[r_8]
    "gamma^8": (
        Sum(term(u), (u, 0, 7)) + series(Integer(8)),
        Sum(term(u), (u, 0, 7)) + series(Integer(9)),
    ),
}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_an_error_carrying_a_power_of_gamma_gets_a_witness(name: str) -> None:
    right, wrong = CLAIMS[name]
    for stream in range(1, 4):
        assert "different" not in verdicts(N.J(), right, stream)
        assert "equal" in verdicts(N.J(), right, stream)
        assert "different" in verdicts(N.J(), wrong, stream), (name, stream)


def test_an_error_carrying_gamma_to_the_t_plus_6_gets_a_witness() -> None:
    """Σ_{u≥t} γ^u E[r_u] split at t + 6, against dropping the term u = t + 6 (free t)."""
    left = InfiniteSum(term(u), u, t)
    right = Sum(term(u), (u, t, t + 5)) + InfiniteSum(term(u), u, t + 6)
    wrong = Sum(term(u), (u, t, t + 5)) + InfiniteSum(term(u), u, t + 7)
    for stream in range(1, 4):
        assert "different" not in verdicts(left, right, stream)
        assert "different" in verdicts(left, wrong, stream)


def test_the_old_draw_could_not_see_these_errors() -> None:
    """Why the wide draw exists: below DISCOUNT_MAX the errors are under the tolerance."""
    assert DISCOUNT_MAX**5 < 1e-6 and DISCOUNT_MAX**8 < 1e-6


def test_wide_draws_cover_the_unit_interval_with_certified_tails() -> None:
    rng = np.random.default_rng(7)
    gammas = []
    for trial in range(40):
        inst = draw_for(N, rng, 3000, "t", trial % 2 == 1)
        gamma, steps = inst.mdp.discount, inst.steps
        if trial % 2 == 1:
            assert 0.0 < gamma < DISCOUNT_MAX
            continue
        gammas.append(gamma)
        assert 0.0 < gamma < WIDE_DISCOUNT_MAX and steps == certified_steps(gamma)
        assert (steps + 2) ** 2 * gamma ** (steps + 1) / (1 - gamma) ** 2 <= TAIL_TARGET
        assert np.isclose(inst.probabilities().sum(), 1.0)
    assert max(gammas) > 0.6 and min(gammas) < 0.2
    assert wide_shape(0.05, 2**15)[:2] == (1, 2) and wide_shape(0.89, 2**15)[:2] == (1, 1)


def test_the_same_draws_every_time() -> None:
    right, wrong = CLAIMS["gamma^8"]
    assert verdicts(N.J(), wrong, 2) == verdicts(N.J(), wrong, 2)
