"""Names in a notation cannot alias each other or a role (soundness issue, item 3)."""

from __future__ import annotations

import pytest

try:
    from pgproof.files import DerivationFileError
except ImportError:  # the layout before the restructuring
    from pgproof.loader import DerivationFileError  # type: ignore[no-redef]

from pgproof.symbolic.notation import Notation

STEP = r"""
[[step]]
formula = '\nabla_\theta \theta = 0'
by = "drop_zero_gradient"
from = "self"
"""


def test_a_constant_named_theta_is_refused(check_text) -> None:
    with pytest.raises(DerivationFileError, match="already the parameter"):
        check_text("[notation]\nconstants = ['\\theta']\n" + STEP)


def test_theta_times_j_cannot_leave_the_gradient_through_an_alias(check_text) -> None:
    body = r"""[notation]
constants = ['\theta']

[[step]]
formula = '\nabla_\theta [\theta J(\theta)] = \theta \nabla_\theta J(\theta)'
by = "constant_factor"
from = "self"
"""
    with pytest.raises(DerivationFileError, match="already the parameter"):
        check_text(body)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"constants": ("theta",)}, "already the parameter"),
        ({"constants": ("b", "b")}, "already the constant b"),
        ({"constants": ("p",)}, "a function's name cannot also be a symbol's"),
        ({"state": "i"}, "already the sample index"),
        ({"action": "t"}, "already the time index"),
        ({"reward": "T"}, "a function's name cannot also be a symbol's"),
        ({"constants": ("E",)}, "already the expectation E"),
        ({"policy": ""}, "non-empty name"),
        ({"state": "  "}, "non-empty name"),
        ({"objective_style": "anything"}, "objective_style must be one of"),
        ({"density_style": "anything"}, "density_style must be one of"),
    ],
)
def test_colliding_or_empty_names_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Notation(**kwargs)


def test_function_heads_may_share_a_name() -> None:
    # seed 000: p is the density, the dynamics and the initial distribution
    Notation(density="p", dynamics="p", initial="p", reward="r", return_="r")
