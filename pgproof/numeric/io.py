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
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from pgproof.numeric.mdp import MDPError, TabularMDP, as_float_array
from pgproof.numeric.policies import Policy, policy_for_theta

REQUIRED_KEYS = ("initial", "transition", "reward", "horizon", "theta")
OPTIONAL_KEYS = ("discount",)


def _read_json(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MDPError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MDPError(f"{path}: cannot read ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MDPError(
            f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if not isinstance(data, dict):
        raise MDPError(f"{path}: expected a JSON object with keys {', '.join(REQUIRED_KEYS)}")
    return data


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
