"""The JSON interchange format for an MDP and a policy parameter.

    {
      "initial":    [S]         ρ(s),
      "transition": [S][A][S]   P(s' | s, a),
      "reward":     [S][A]      r(s, a),
      "horizon":    T           positive integer,
      "theta":      [S][A]      tabular softmax logits (or [T][S][A] for a time-dependent one),
      "discount":   γ           optional, default 1
    }

Loading validates everything (see :class:`pgproof.numeric.mdp.TabularMDP`) and raises
:class:`MDPError` whose message starts with the file name, e.g.
``mdp.json: transition[1][0] sums to 0.97, not 1 (off by -0.03)``.

The file is read as data written by someone else: only a regular file of at most
:data:`MAX_JSON_BYTES` (a device, FIFO or socket is refused by name, unread), nested at
most :data:`pgproof.files.read.MAX_NESTING` deep, without duplicate keys; every entry of
the arrays must be a JSON number (not a string such as ``"0.9"``, not ``true``), finite
as a 64-bit float, and the probabilities must not be negative (not even -1e-9).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from pgproof.files.read import (
    MAX_DIGITS,
    MAX_NESTING,
    ReadError,
    decode_utf8,
    json_depth,
    read_bytes,
)
from pgproof.numeric.mdp import MDPError, TabularMDP, as_float_array
from pgproof.numeric.policies import Policy, policy_for_theta

REQUIRED_KEYS = ("initial", "transition", "reward", "horizon", "theta")
OPTIONAL_KEYS = ("discount",)
#: largest |reward| accepted: squares of returns must stay finite in the statistics
MAX_REWARD = 1e100
#: the arrays of the format: (are their entries probabilities, the largest |entry|)
ARRAYS: dict[str, tuple[bool, float | None]] = {
    "initial": (True, None),
    "transition": (True, None),
    "reward": (False, MAX_REWARD),
    "theta": (False, None),
}

#: largest MDP file read (about a million numbers)
MAX_JSON_BYTES = 20_000_000


class _Refused(ValueError):
    """Raised inside ``json.loads`` by the hooks below."""


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    data: dict = {}
    for key, value in pairs:
        if key in data:
            raise _Refused(f"duplicate key {key!r}")
        data[key] = value
    return data


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(f"an integer with {digits:,} digits (the limit is {MAX_DIGITS})")
    return int(text)


def _read_json(path: Path) -> dict:
    try:
        raw = read_bytes(path, MAX_JSON_BYTES)
        text = decode_utf8(raw)
    except ReadError as error:
        raise MDPError(f"{path}: {error}") from None
    depth = json_depth(raw)
    del raw
    if depth > MAX_NESTING:
        raise MDPError(
            f"{path}: arrays or objects nest {depth:,} deep (the limit is {MAX_NESTING})"
        )
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise MDPError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except _Refused as error:
        raise MDPError(f"{path}: {error}") from None
    except RecursionError:  # nesting the depth scan did not see
        raise MDPError(f"{path}: arrays or objects nest too deeply") from None
    if not isinstance(data, dict):
        raise MDPError(f"{path}: expected a JSON object with keys {', '.join(REQUIRED_KEYS)}")
    return data


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)[:40]}"
    if value is None:
        return "null"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _check_number(
    name: str, value: object, probability: bool = False, bound: float | None = None
) -> None:
    """A JSON number that is a finite float64 (≥ 0 for a probability, |x| ≤ ``bound``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MDPError(f"{name} must be a number, not {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise MDPError(
            f"{name} = {str(value)[:12]}… ({len(str(abs(value)))} digits) is too large "
            "for a 64-bit float"
        ) from None
    if not math.isfinite(number):
        hint = " (numbers beyond ±1.8e308 read as inf)" if math.isinf(number) else ""
        raise MDPError(f"{name} is {number}; all entries must be finite{hint}")
    if probability and number < 0:
        raise MDPError(f"{name} = {number:.6g} is negative: a probability is at least 0")
    if bound is not None and abs(number) > bound:
        raise MDPError(
            f"{name} = {number:.6g} is out of range: |{name.split('[')[0]}| ≤ {bound:g} "
            "(larger values overflow the statistics)"
        )


def _fine(item: object, probability: bool, bound: float | None) -> bool:
    """The common case, decided quickly: a finite float (or small int) within range."""
    if type(item) is float:
        number = item
        if not math.isfinite(number):
            return False
    elif type(item) is int and -(2**53) <= item <= 2**53:
        number = float(item)
    else:
        return False
    return not (probability and number < 0) and (bound is None or abs(number) <= bound)


def _check_numbers(
    name: str, value: object, probability: bool, bound: float | None, path: tuple[int, ...] = ()
) -> None:
    """Every leaf of nested lists ``value`` is a number (the depth is capped on reading)."""
    if not isinstance(value, list):
        _check_number(name, value, probability, bound)
        return
    for i, item in enumerate(value):
        if isinstance(item, list):
            _check_numbers(name, item, probability, bound, (*path, i))
        elif not _fine(item, probability, bound):  # the entry's name only for the message
            where = name + "".join(f"[{j}]" for j in (*path, i))
            _check_number(where, item, probability, bound)


def _check_types(data: dict) -> None:
    for key, (probability, bound) in ARRAYS.items():
        if not isinstance(data[key], list):
            raise MDPError(f"{key} must be an array of numbers, not {_kind(data[key])}")
        _check_numbers(key, data[key], probability, bound)
    if "discount" in data:
        _check_number("discount", data["discount"])
    if isinstance(data["horizon"], bool):
        raise MDPError(
            f"horizon must be a positive integer, not the boolean {json.dumps(data['horizon'])}"
        )


def _parse_horizon(value: object) -> object:
    """Accept integral JSON numbers such as 3 or 3.0; pass anything else on to be rejected."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def load_problem(path: str | os.PathLike) -> tuple[TabularMDP, Policy, np.ndarray]:
    """Read a file and return the MDP, the policy its θ shape implies, and θ."""
    path = Path(path)
    data = _read_json(path)
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise MDPError(f"{path}: missing key(s) {', '.join(map(repr, missing))}")
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise MDPError(f"{path}: unknown key(s) {', '.join(map(repr, unknown))}")
    try:
        _check_types(data)
        mdp = TabularMDP(
            initial=data["initial"],
            transition=data["transition"],
            reward=data["reward"],
            horizon=_parse_horizon(data["horizon"]),
            discount=data.get("discount", 1.0),
        )
        theta = as_float_array("theta", data["theta"])
        policy = policy_for_theta(theta, mdp.n_states, mdp.n_actions, mdp.horizon)
    except MDPError as error:
        raise MDPError(f"{path}: {error}") from None
    return mdp, policy, theta


def load_mdp_json(path: str | os.PathLike) -> tuple[TabularMDP, np.ndarray]:
    """Read a file and return (MDP, θ); errors raise MDPError starting with the file name."""
    mdp, _, theta = load_problem(path)
    return mdp, theta


def mdp_to_dict(mdp: TabularMDP, theta: np.ndarray) -> dict:
    """The JSON-ready dictionary for ``mdp`` and ``theta`` (floats round-trip exactly)."""
    data = {
        "initial": mdp.initial.tolist(),
        "transition": mdp.transition.tolist(),
        "reward": mdp.reward.tolist(),
        "horizon": mdp.horizon,
        "theta": np.asarray(theta, dtype=np.float64).tolist(),
    }
    if mdp.discount != 1.0:
        data["discount"] = mdp.discount
    return data


def dump_mdp_json(path: str | os.PathLike, mdp: TabularMDP, theta: np.ndarray) -> None:
    """Write ``mdp`` and ``theta`` in the interchange format."""
    theta = np.asarray(theta, dtype=np.float64)
    policy_for_theta(theta, mdp.n_states, mdp.n_actions, mdp.horizon)  # shape check
    Path(path).write_text(json.dumps(mdp_to_dict(mdp, theta), indent=1) + "\n", encoding="utf-8")
