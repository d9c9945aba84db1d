"""Witnesses: a concrete MDP, θ and the two numbers that differ.

A witness records the instance (MDP and θ, replayable with ``pgproof verify --mdp`` once
written by :func:`write_witness` through :func:`pgproof.numeric.io.dump_mdp_json`), the
values of free symbols (t, m), the point where the difference is largest — one enumerated
trajectory per trajectory axis, shown as s_{first}, a_{first}, …, and the coordinate θ[s, a]
of the gradient when the values are vectors — and the two numbers there.  For a formula
about one state (:class:`.state_problem.StateInstance`) the point is a state s and an action
a, and the problem (θ, the features, σ) is written as JSON of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pgproof.numeric.io import dump_mdp_json, mdp_to_dict

from .compare import Outcome
from .instance import Instance
from .state_problem import StateInstance
from .values import GRAD


@dataclass
class Witness:
    """A point at which two expressions (``left``, ``right``) differ, or a term is not θ-free."""

    kind: str  # "step" (the two sides differ) or "side condition" (∇ of a term is not 0)
    instance: Instance
    left_expr: str
    right_expr: str
    outcome: Outcome
    trajectories: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    coordinate: tuple[int, ...] | None = None
    file: str | None = None
    #: the name of the time index, to name s_t and a_t at the witness
    time_index: str = "t"
    #: the state and action of a formula about one state: ["s=1", "a=0"]
    point: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        kind: str,
        instance: Instance,
        left_expr: str,
        right_expr: str,
        outcome: Outcome,
        time_index: str = "t",
    ) -> Witness:
        trajectories: dict[str, dict[str, list[int]]] = {}
        coordinate = None
        point: list[str] = []
        for axis, k in outcome.location.items():
            if axis == GRAD:
                coordinate = tuple(int(i) for i in np.unravel_index(k, instance.theta.shape))
            elif isinstance(instance, StateInstance):
                shown = instance.axis_value(axis, k)
                if shown is not None:
                    point.append(shown)
            else:
                trajectories[axis] = {
                    "states": [int(x) for x in instance.states[k]],
                    "actions": [int(x) for x in instance.actions[k]],
                }
        return cls(
            kind,
            instance,
            left_expr,
            right_expr,
            outcome,
            trajectories,
            coordinate,
            None,
            time_index,
            point,
        )

    def trajectory_text(self, axis: str) -> str:
        first = self.instance.first
        traj = self.trajectories[axis]
        parts = []
        for k, s in enumerate(traj["states"]):
            parts.append(f"s_{first + k}={s}")
            if k < len(traj["actions"]):
                parts.append(f"a_{first + k}={traj['actions'][k]}")
        return f"{axis} = ({', '.join(parts)})"

    def where(self) -> str:
        bits = [f"{k}={v}" for k, v in self.outcome.assignment.items()]
        bits += self.point
        bits += [self.trajectory_text(axis) for axis in self.trajectories]
        if self.time_index in self.outcome.assignment and len(self.trajectories) == 1:
            t = self.outcome.assignment[self.time_index]
            (traj,) = self.trajectories.values()
            k = t - self.instance.first
            if k < len(traj["actions"]):
                bits.append(f"so s_{t}={traj['states'][k]}, a_{t}={traj['actions'][k]}")
        if self.coordinate is not None:
            bits.append(f"coordinate θ[{','.join(map(str, self.coordinate))}]")
        return ", ".join(bits)

    def text(self) -> str:
        inst, o = self.instance, self.outcome
        theta = np.array2string(inst.theta, precision=3, separator=", ").replace("\n", "")
        what = "problem" if isinstance(inst, StateInstance) else "MDP"
        lines = [f"witness: {what} {inst.describe()} ({inst.label}), θ = {theta}"]
        where = self.where()
        lines.append(f"  at {where}:" if where else "  everywhere:")
        if o.undefined:
            lines.append(f"  {self.left_expr}  vs  {self.right_expr}: {o.undefined}")
        elif self.kind == "side condition":
            lines.append(f"  {self.left_expr} = {o.left:.6g} ≠ 0")
        else:
            lines.append(f"  {self.left_expr} = {o.left:.6g}")
            tails = f" + tails {o.slack:.1g}" if o.slack > 0 else ""
            lines.append(
                f"  {self.right_expr} = {o.right:.6g}"
                f"   (they differ by {o.difference:.3g} > tolerance {o.tolerance:.1g}{tails})"
            )
        if self.file and isinstance(inst, StateInstance):
            lines.append(f"  problem written to {self.file}")
        elif self.file:
            lines.append(f"  MDP written to {self.file} (replay: pgproof verify --mdp {self.file})")
        return "\n".join(lines)

    def _problem(self) -> dict[str, Any]:
        if isinstance(self.instance, StateInstance):
            return {"problem": self.instance.to_dict()}
        return {"mdp": mdp_to_dict(self.instance.mdp, self.instance.theta)}

    def to_json(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "kind": self.kind,
            **self._problem(),
            "trial": self.instance.label,
            "first_index": self.instance.first,
            "assignment": dict(o.assignment),
            "trajectories": self.trajectories,
            "coordinate": list(self.coordinate) if self.coordinate is not None else None,
            "point": list(self.point),
            "left": {"expression": self.left_expr, "value": o.left},
            "right": {"expression": self.right_expr, "value": o.right},
            "difference": o.difference,
            "tolerance": o.tolerance,
            "undefined": o.undefined or None,
            "file": self.file,
        }


def write_witness(witness: Witness, directory: str | Path, name: str) -> Path:
    """Write the witness MDP and θ in the interchange format as ``directory/name.json`` (a
    problem about one state as its own JSON)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    if isinstance(witness.instance, StateInstance):
        text = json.dumps(witness.instance.to_dict(), indent=2, sort_keys=True)
        path.write_text(text + "\n", encoding="utf-8")
        witness.file = str(path)
        return path
    dump_mdp_json(path, witness.instance.mdp, witness.instance.theta)
    witness.file = str(path)
    return path
