"""``pgproof verify``: check policy-gradient estimators on a tabular MDP.

Computes J(θ), the exact ∇J(θ) by enumeration (Σ_τ p_θ(τ) R(τ) Σ_t ∇log π) and by dynamic
programming (the policy-gradient theorem), samples m trajectories, and for each estimator
ĝ reports its mean, standard error, variance, exact bias (when enumerable) and the verdict
of a Hotelling T² test of E[ĝ] = ∇J at level α.  Exit status: 0 when every verdict is as
expected, 1 otherwise, 2 for unusable input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from pgproof.numeric.bias_test import BiasTestResult

EXAMPLES = """\
examples:
  pgproof verify --states 3 --actions 2 --horizon 4 --seed 0
  pgproof verify --mdp problem.json --samples 20000 --estimator reinforce state_baseline
  pgproof verify --states 4 --actions 3 --horizon 5 --discount 0.9 --json
  pgproof verify --mdp problem.json --estimator my_estimators.py:my_gradient

A user estimator is a function (batch, mdp, policy, theta) -> array [m, *theta.shape] of
per-trajectory estimates; it is expected to be unbiased.  Built-in estimators:
  {names}
"""


class UsageError(Exception):
    """Unusable input: reported on one line with exit status 2."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``verify`` subcommand (its handler is ``args.func = run_verify``)."""
    parser = subparsers.add_parser(
        "verify",
        help="check policy-gradient estimators against the exact gradient of a tabular MDP",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
        epilog=EXAMPLES.format(names=", ".join(BUILTIN_ESTIMATORS)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_argument_group("problem (a JSON file, or a random MDP)")
    source.add_argument("--mdp", metavar="FILE.json", help="MDP and theta in the JSON format")
    source.add_argument("--states", type=int, metavar="S", help="number of states (random MDP)")
    source.add_argument("--actions", type=int, metavar="A", help="number of actions")
    source.add_argument("--horizon", type=int, metavar="T", help="horizon")
    source.add_argument("--discount", type=float, metavar="G", help="γ for a random MDP")
    source.add_argument(
        "--policy",
        choices=("tabular", "time-dependent"),
        default="tabular",
        help="softmax parametrisation of a random problem (default: tabular)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for MDP and samples (0)")
    parser.add_argument(
        "--samples",
        type=int,
        default=10_000,
        metavar="M",
        help="number of sampled trajectories (default 10000)",
    )
    parser.add_argument(
        "--estimator",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="estimators to check (default: all built-in); "
        "NAME may be module:function or file.py:function",
    )
    parser.add_argument(
        "--alpha", type=float, default=0.01, help="false-alarm rate of each test (default 0.01)"
    )
    parser.add_argument(
        "--max-trajectories",
        type=int,
        default=1_000_000,
        metavar="N",
        help="enumerate only up to N trajectories (default 1000000)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.set_defaults(func=run_verify)


#: the built-in estimators' names, for --help without importing numpy (a test keeps them
#: equal to ``pgproof.numeric.estimators.ESTIMATORS``)
BUILTIN_ESTIMATORS = (
    "reinforce",
    "reward_to_go",
    "discounted_return",
    "constant_baseline",
    "state_baseline",
    "action_baseline",
    "reward_to_go_skip_current",
    "discount_confusion",
    "discount_off_by_one",
)


def _problem(args: argparse.Namespace, rng: np.random.Generator):
    from pgproof.numeric.io import load_problem
    from pgproof.numeric.mdp import random_mdp
    from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax

    random_flags = (args.states, args.actions, args.horizon)
    if args.mdp is not None:
        if any(flag is not None for flag in (*random_flags, args.discount)):
            raise UsageError(
                "--mdp cannot be combined with --states/--actions/--horizon/--discount"
            )
        return load_problem(args.mdp)
    if any(flag is None for flag in random_flags):
        raise UsageError("give --mdp FILE.json, or all of --states, --actions and --horizon")
    if min(random_flags) < 1:
        raise UsageError("--states, --actions and --horizon must be positive")
    mdp = random_mdp(*random_flags, rng, 1.0 if args.discount is None else args.discount)
    if args.policy == "tabular":
        policy = TabularSoftmax(mdp.n_states, mdp.n_actions)
    else:
        policy = TimeDependentSoftmax(mdp.n_states, mdp.n_actions, mdp.horizon)
    return mdp, policy, policy.random_theta(rng)


def _compute(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from pgproof.numeric.bias_test import test_estimator_bias
    from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp
    from pgproof.numeric.enumeration import exact_gradient_enumeration, trajectory_count
    from pgproof.numeric.estimators import ESTIMATORS, EstimatorError, resolve_estimator
    from pgproof.numeric.sampling import sample_trajectories

    if args.samples < 2:
        raise UsageError(f"--samples must be at least 2, got {args.samples}")
    if not 0 < args.alpha < 1:
        raise UsageError(f"--alpha must lie in (0, 1), got {args.alpha}")
    problem_seed, sample_seed = np.random.SeedSequence(args.seed).spawn(2)
    mdp, policy, theta = _problem(args, np.random.default_rng(problem_seed))
    estimators = [resolve_estimator(name) for name in (args.estimator or list(ESTIMATORS))]
    grad_dp = exact_gradient_dp(mdp, policy, theta)
    count = trajectory_count(mdp)
    enumerable = count <= args.max_trajectories
    grad_exact = exact_gradient_enumeration(mdp, policy, theta) if enumerable else grad_dp
    batch = sample_trajectories(
        mdp,
        policy,
        theta,
        args.samples,
        np.random.default_rng(sample_seed),
        progress=args.progress,
    )
    checks = {}
    for estimator in estimators:
        try:
            checks[estimator.name] = test_estimator_bias(
                estimator,
                mdp,
                policy,
                theta,
                grad_exact,
                batch=batch,
                alpha=args.alpha,
                exact=enumerable,
            )
        except EstimatorError:
            raise
        except Exception as error:
            if estimator.name in ESTIMATORS:
                raise
            raise UsageError(f"estimator {estimator.name} raised {error!r}") from None
    return {
        "mdp": mdp,
        "policy": policy,
        "theta": theta,
        "count": count,
        "enumerable": enumerable,
        "J": exact_objective_dp(mdp, policy, theta),
        "grad_exact": grad_exact,
        "grad_dp": grad_dp,
        "checks": checks,
    }


def _to_json(args: argparse.Namespace, found: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    mdp = found["mdp"]
    return {
        "J": found["J"],
        "grad_exact": found["grad_exact"].tolist(),
        "grad_dp": found["grad_dp"].tolist(),
        "grad_exact_method": "enumeration" if found["enumerable"] else "dp",
        "max_abs_difference": float(np.max(np.abs(found["grad_exact"] - found["grad_dp"]))),
        "mdp": {
            "source": args.mdp or "random",
            "states": mdp.n_states,
            "actions": mdp.n_actions,
            "horizon": mdp.horizon,
            "discount": mdp.discount,
            "policy": repr(found["policy"]),
            "trajectories": found["count"],
        },
        "samples": args.samples,
        "alpha": args.alpha,
        "seed": args.seed,
        "estimators": {name: c.to_json() for name, c in found["checks"].items()},
        "ok": all(c.as_expected for c in found["checks"].values()),
    }


def _print_text(args: argparse.Namespace, found: dict[str, Any]) -> None:
    import numpy as np

    from pgproof.numeric.bias_test import BiasTestResult, format_array

    mdp = found["mdp"]
    method = "enumeration" if found["enumerable"] else "dynamic programming (too many to enumerate)"
    difference = float(np.max(np.abs(found["grad_exact"] - found["grad_dp"])))
    print(
        f"MDP {args.mdp or 'random'}: S={mdp.n_states} A={mdp.n_actions} T={mdp.horizon} "
        f"γ={mdp.discount:g}, {found['policy']!r}, {found['count']:.4g} trajectories"
    )
    print(f"J(θ) = {found['J']:.12g}")
    print(f"∇J(θ) by {method}:\n{format_array(found['grad_exact'])}")
    if found["enumerable"]:
        print(f"max |enumeration - DP| = {difference:.2e}")
    print(f"\n{args.samples} sampled trajectories, α = {args.alpha} per estimator\n")
    print(BiasTestResult.TABLE_HEADER)
    check: BiasTestResult
    for check in found["checks"].values():
        print("\n".join(check.text_lines()))


def run_verify(args: argparse.Namespace) -> int:
    """Run the check; 0 if all verdicts are as expected, 1 if not, 2 for unusable input."""
    from pgproof.numeric.estimators import EstimatorError
    from pgproof.numeric.mdp import MDPError

    try:
        found = _compute(args)
    except (UsageError, MDPError, EstimatorError) as error:
        print(f"pgproof verify: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_to_json(args, found), indent=2))
    else:
        _print_text(args, found)
    return 0 if all(check.as_expected for check in found["checks"].values()) else 1
