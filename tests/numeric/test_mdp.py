"""Validation of TabularMDP: every error names the entry and the size of the violation."""

from __future__ import annotations

import numpy as np
import pytest

from pgproof.numeric.mdp import (
    MDPError,
    TabularMDP,
    as_float_array,
    check_distribution,
    random_mdp,
)


def valid_fields():
    return {
        "initial": [0.5, 0.5],
        "transition": [[[1.0, 0.0], [0.3, 0.7]], [[0.2, 0.8], [0.0, 1.0]]],
        "reward": [[1.0, 0.0], [0.5, 2.0]],
        "horizon": 3,
    }


def build(**changes):
    fields = valid_fields()
    fields.update(changes)
    return TabularMDP(**fields)


def test_valid_mdp_exposes_sizes_and_read_only_arrays():
    mdp = build(discount=0.5)
    assert (mdp.n_states, mdp.n_actions, mdp.horizon) == (2, 2, 3)
    np.testing.assert_allclose(mdp.discounts, [1.0, 0.5, 0.25])
    with pytest.raises(ValueError):
        mdp.reward[0, 0] = 3.0


def test_row_that_does_not_sum_to_one_is_named_with_the_amount():
    transition = valid_fields()["transition"]
    transition[1][0] = [0.2, 0.77]
    with pytest.raises(MDPError, match=r"transition\[1\]\[0\] sums to 0\.97.*off by -0\.03"):
        build(transition=transition)


def test_initial_distribution_sum_is_checked():
    with pytest.raises(MDPError, match=r"initial sums to 0\.9, not 1 \(off by -0\.1\)"):
        build(initial=[0.5, 0.4])


def test_negative_probability_is_named_with_its_value():
    transition = valid_fields()["transition"]
    transition[0][1] = [1.25, -0.25]
    with pytest.raises(MDPError, match=r"transition\[0\]\[1\]\[1\] = -0\.25 is negative"):
        build(transition=transition)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reward", [[1.0, 0.0]], r"reward has shape \[1, 2\], expected \[2, 2\]"),
        (
            "transition",
            [[[1.0], [1.0]], [[1.0], [1.0]]],
            r"shape \[2, 2, 1\], expected \[2, 2, 2\]",
        ),
        (
            "transition",
            [[[1.0, 0.0]], [[0.0, 1.0]]],
            r"reward has shape \[2, 2\], expected \[2, 1\]",
        ),
        ("transition", [[1.0, 0.0], [0.0, 1.0]], r"transition has shape \[2, 2\]"),
        ("initial", [[0.5, 0.5]], r"initial must be a non-empty vector"),
        ("reward", [[1.0, float("nan")], [0.0, 0.0]], r"reward\[0\]\[1\] is nan"),
        ("reward", [[1.0, 0.0], [float("inf"), 0.0]], r"reward\[1\]\[0\] is inf"),
        ("reward", [[1.0, 0.0], [0.0]], r"reward is not a rectangular array"),
        ("horizon", 2.5, r"horizon must be a positive integer, got 2\.5"),
        ("horizon", 0, r"horizon must be a positive integer, got 0"),
        ("horizon", True, r"horizon must be a positive integer, got True"),
        ("discount", 1.5, r"discount must lie in \[0, 1\], got 1\.5"),
    ],
)
def test_invalid_fields_are_reported(field, value, message):
    with pytest.raises(MDPError, match=message):
        build(**{field: value})


def test_random_mdp_is_valid_and_reproducible():
    first = random_mdp(4, 3, 5, np.random.default_rng(7), discount=0.9)
    second = random_mdp(4, 3, 5, np.random.default_rng(7), discount=0.9)
    np.testing.assert_array_equal(first.transition, second.transition)
    np.testing.assert_allclose(first.transition.sum(axis=-1), 1.0)
    assert first.discount == 0.9


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.5, "0.5"], r"x\[1\] must be a number, not '0.5'"),
        ([True, 0.0], r"x\[0\] must be a number, not True"),
        ([None, 1.0], r"x\[0\] must be a number, not None"),
        (np.array(["0.5", "0.5"]), "must hold numbers"),
        (np.array([True, False]), "must hold numbers"),
    ],
)
def test_only_numbers_are_numbers(value, message: str) -> None:
    with pytest.raises(MDPError, match=message):
        as_float_array("x", value)


def test_no_negative_probability_is_tolerated() -> None:
    with pytest.raises(MDPError, match="is negative"):
        check_distribution("p", np.array([1.0 + 1e-12, -1e-12]))
