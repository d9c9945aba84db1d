"""JSON interchange: round trip, policy choice from θ's shape, and file-named errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pgproof.numeric.io import dump_mdp_json, load_mdp_json, load_problem
from pgproof.numeric.mdp import MDPError
from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax


def write(path, data):
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("kind", ["tabular", "time_dependent"])
def test_round_trip_is_exact(tmp_path, kind, problem_factory):
    mdp, policy, theta = problem_factory(kind, seed=3, discount=0.95)
    path = tmp_path / "problem.json"
    dump_mdp_json(path, mdp, theta)
    loaded, loaded_theta = load_mdp_json(path)
    np.testing.assert_array_equal(loaded.transition, mdp.transition)
    np.testing.assert_array_equal(loaded.initial, mdp.initial)
    np.testing.assert_array_equal(loaded.reward, mdp.reward)
    np.testing.assert_array_equal(loaded_theta, theta)
    assert (loaded.horizon, loaded.discount) == (mdp.horizon, mdp.discount)
    _, loaded_policy, _ = load_problem(path)
    expected = TabularSoftmax if kind == "tabular" else TimeDependentSoftmax
    assert type(loaded_policy) is expected


def test_discount_is_optional_and_defaults_to_one(tmp_path, problem_factory):
    mdp, _, theta = problem_factory("tabular", seed=4)
    path = tmp_path / "p.json"
    dump_mdp_json(path, mdp, theta)
    assert "discount" not in json.loads(path.read_text())
    assert load_mdp_json(path)[0].discount == 1.0


def valid_data():
    return {
        "initial": [0.25, 0.75],
        "transition": [[[0.5, 0.5], [1.0, 0.0]], [[0.1, 0.9], [0.6, 0.4]]],
        "reward": [[1.0, 0.0], [0.5, -1.0]],
        "horizon": 2,
        "theta": [[0.1, -0.2], [0.3, 0.0]],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"initial": [0.7, 0.2]}, r"initial sums to 0\.9, not 1 \(off by -0\.1\)"),
        ({"horizon": 1.5}, r"horizon must be a positive integer, got 1\.5"),
        ({"horizon": -1}, r"horizon must be a positive integer, got -1"),
        ({"theta": [[0.0, 0.0]]}, r"theta has shape \[1, 2\], expected \[S, A\] = \[2, 2\]"),
        ({"reward": [[0.0, float("nan")], [0.0, 0.0]]}, r"reward\[0\]\[1\] is nan"),
        ({"transition": [[[0.5, 0.5], [0.5, 0.5]]]}, r"transition has shape \[1, 2, 2\]"),
        ({"colour": "blue"}, r"unknown key\(s\) 'colour'"),
    ],
)
def test_errors_start_with_the_file_name(tmp_path, change, message):
    data = valid_data()
    data.update(change)
    path = write(tmp_path / "bad.json", data)
    with pytest.raises(MDPError, match=message) as caught:
        load_mdp_json(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_key_and_broken_json_are_reported(tmp_path):
    data = valid_data()
    del data["reward"]
    path = write(tmp_path / "missing.json", data)
    with pytest.raises(MDPError, match=r"missing\.json: missing key\(s\) 'reward'"):
        load_mdp_json(path)
    broken = tmp_path / "broken.json"
    broken.write_text('{"initial": [1.0,\n  ]}')
    with pytest.raises(MDPError, match=r"broken\.json: invalid JSON at line 2 column 3"):
        load_mdp_json(broken)
    with pytest.raises(MDPError, match=r"absent\.json: no such file"):
        load_mdp_json(tmp_path / "absent.json")
