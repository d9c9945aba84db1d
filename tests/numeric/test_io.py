"""JSON interchange: round trip, policy choice from θ's shape, and file-named errors."""

from __future__ import annotations

import json
import os

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


def raw(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


VALID = json.dumps(valid_data())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace('"initial": [0.25', '"initial": ["0.25"'),
            r'initial\[0\] must be a number, not the string "0\.25"',
        ),
        (
            VALID.replace('"initial": [0.25, 0.75]', '"initial": [0, true]'),
            r"initial\[1\] must be a number, not the boolean true",
        ),
        (
            VALID.replace('"reward": [[1.0', '"reward": [[null'),
            r"reward\[0\]\[0\] must be a number, not null",
        ),
        (
            VALID.replace('"reward": [[1.0', '"reward": [[{"a": 1}'),
            r"reward\[0\]\[0\] must be a number, not an object",
        ),
        (
            json.dumps({**valid_data(), "reward": "[[1.0, 0.0]]"}),
            r"reward must be an array of numbers, not the string",
        ),
        (VALID[:-1] + ', "horizon": 3}', r"duplicate key 'horizon'"),
        (
            VALID.replace('"initial": [0.25, 0.75]', '"initial": [1.000000001, -1e-09]'),
            r"initial\[1\] = -1e-09 is negative: a probability is at least 0",
        ),
        (
            VALID.replace("[[0.1, 0.9]", "[[-0.0000001, 1.0000001]"),
            r"transition\[1\]\[0\]\[0\] = -1e-07 is negative",
        ),
        (
            VALID.replace('"reward": [[1.0', '"reward": [[1e400'),
            r"reward\[0\]\[0\] is inf; all entries must be finite",
        ),
        (
            VALID.replace('"reward": [[1.0', '"reward": [[1' + "0" * 400),
            r"reward\[0\]\[0\] = 100000000000… \(401 digits\) is too large for a 64-bit float",
        ),
        (
            VALID.replace('"reward": [[1.0', '"reward": [[1e300'),
            r"reward\[0\]\[0\] = 1e\+300 is out of range: \|reward\| ≤ 1e\+100",
        ),
        (
            VALID.replace('"horizon": 2', '"horizon": ' + "9" * 5000),
            r"an integer with 5,000 digits \(the limit is 4000\)",
        ),
        (
            VALID.replace('"horizon": 2', '"horizon": true'),
            r"horizon must be a positive integer, not the boolean true",
        ),
        (VALID[:-1] + ', "discount": "0.9"}', r'discount must be a number, not the string "0\.9"'),
        ("[" * 200_000 + "]" * 200_000, r"arrays or objects nest 200,000 deep \(the limit is 32\)"),
        ('{"a": ' + '{"b": ' * 40 + "1" + "}" * 41, r"nest 41 deep"),
    ],
)
def test_json_is_data_from_someone_else(tmp_path, text, message):
    path = raw(tmp_path / "bad.json", text)
    with pytest.raises(MDPError, match=message) as caught:
        load_mdp_json(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_brackets_in_json_strings_are_not_nesting(tmp_path):
    path = raw(tmp_path / "p.json", VALID[:-1] + ', "' + "[" * 100 + '": 1}')
    with pytest.raises(MDPError, match=r"unknown key"):  # read, then refused for the key
        load_mdp_json(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_mdp_json(path)[0].horizon == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.symlink_to("/dev/zero"), r"is a character device \(through a symbolic link\)"),
        (os.mkfifo, r"is a FIFO \(named pipe\), not a regular file; it was not read"),
        (lambda p: p.mkdir(), r"is a folder, not a regular file"),
    ],
)
def test_only_regular_files_are_read(tmp_path, make, message):
    path = tmp_path / "mdp.json"
    make(path)
    with pytest.raises(MDPError, match=message) as caught:
        load_mdp_json(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_large_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    with open(path, "wb") as handle:  # sparse: 100 MB that take no disk space
        handle.write(b'{"initial": [')
        handle.truncate(100_000_000)

    def no_read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(os, "read", no_read)
    with pytest.raises(MDPError, match=r"file is 100,000,000 bytes; the limit is 20,000,000"):
        load_mdp_json(path)
