"""``pgproof verify``: check policy-gradient estimators on a tabular MDP.

Computes J(θ), the exact ∇J(θ) by enumeration (Σ_τ p_θ(τ) R(τ) Σ_t ∇log π) and by dynamic
programming (the policy-gradient theorem), samples trajectories in batches, and gives each
estimator ĝ one of three verdicts about E[ĝ] = ∇J: consistent with unbiased (no bias
larger than the tolerance, at 1 - α), biased, or inconclusive; with its exact bias and
variance when the MDP can be enumerated.  Exit status: 0 when every verdict is the expected
one, 1 when one is not (contrary or inconclusive: the report says which), 2 for unusable
input or a request over the memory/time limits (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgproof.numeric.verification import VerifyReport

EXAMPLES = """\
examples:
  pgproof verify --states 3 --actions 2 --horizon 4 --seed 0
  pgproof verify --mdp problem.json --samples 20000 --estimator reinforce state_baseline
  pgproof verify --states 4 --actions 3 --horizon 5 --discount 0.9 --json
  pgproof verify --states 3 --actions 2 --horizon 4 --discount 0.9 --plot estimators.png
  pgproof verify --mdp problem.json --estimator my_estimators.py:my_gradient --bound 50
  pgproof verify --states 100 --actions 10 --horizon 100 --samples 1e6 --executor processes

verdicts: "unbiased" means consistent with unbiased: the 1-α confidence set excludes every
bias larger than the tolerance (default 5% of |∇J|_∞, --tolerance / --abs-tolerance);
"biased" means it excludes zero bias; "inconclusive" means neither, at this many samples.
The default test (a betting confidence sequence, on the estimates minus control variates
of known mean zero) is valid for every m, also when --samples auto keeps sampling until
every verdict is definite (at most --max-samples).

A user estimator is a function (batch, mdp, policy, theta) -> array [m, *theta.shape] of
per-trajectory estimates; it is expected to be unbiased.  Its bounds come from
enumeration when the MDP is small, from --bound B (|ĝ| ≤ B), or from an attribute
bounds(mdp, policy, theta) -> (lo, hi) of the function.  Built-in estimators:
  {names}
"""

_INTEGER = re.compile(r"^\s*(\d[\d_]*)\s*$")
_SCIENTIFIC = re.compile(r"^\s*(\d+(?:\.\d*)?)[eE]\+?(\d+)\s*$")
_POWER = re.compile(r"^\s*(\d+)\s*\^\s*(\d+)\s*$")


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
    test = parser.add_argument_group("the test")
    test.add_argument(
        "--samples",
        default="auto",
        metavar="M|auto",
        help="sampled trajectories: a number (1e6 and 10^6 work), or auto (default): "
        "sample until every verdict is definite",
    )
    test.add_argument(
        "--max-samples",
        default="4000000",
        metavar="N",
        help="budget of --samples auto (default 4000000)",
    )
    test.add_argument(
        "--estimator",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="estimators to check (default: all built-in); "
        "NAME may be module:function or file.py:function",
    )
    test.add_argument(
        "--alpha", type=float, default=0.01, help="false-alarm rate of each test (default 0.01)"
    )
    test.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        metavar="F",
        help="largest bias that still counts as unbiased, as a fraction of |∇J|_∞ (0.05)",
    )
    test.add_argument(
        "--abs-tolerance", type=float, metavar="D", help="the same, in absolute terms"
    )
    test.add_argument(
        "--test",
        choices=("betting", "hotelling", "auto", "bernstein"),
        default="betting",
        help="betting: finite-sample, valid for every m and when sampling until a decision "
        "(default; bernstein is its old name); hotelling: asymptotic, used only where its "
        "diagnostics hold; auto: betting when bounds are known",
    )
    test.add_argument(
        "--bound",
        type=float,
        metavar="B",
        help="declare |ĝ_j| ≤ B for estimators whose bounds are not known",
    )
    test.add_argument(
        "--max-trajectories",
        type=int,
        default=1_000_000,
        metavar="N",
        help="enumerate (exact ∇J, bias and variance) only up to N trajectories (1000000)",
    )
    run = parser.add_argument_group("where it runs")
    run.add_argument(
        "--executor",
        choices=("serial", "threads", "processes", "dask"),
        default=None,
        help="serial (default), a thread or process pool, or Dask's distributed scheduler",
    )
    run.add_argument("--workers", type=int, metavar="N", help="workers of the pool (2)")
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler, e.g. tcp://host:8786 (implies --executor dask; needs the "
        "optional extra pgproof[distributed])",
    )
    run.add_argument(
        "--max-memory",
        default="4G",
        metavar="SIZE",
        help="refuse requests estimated to need more memory (default 4G)",
    )
    run.add_argument(
        "--max-seconds",
        "--max-time",
        dest="max_time",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="refuse requests estimated to take longer (default 600; the estimate counts "
        "work, it does not time the run); --max-time is the old name",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="also write a plot (PNG, SVG or PDF by FILE's suffix): each estimator's "
        "running-mean error ‖ḡ_m − ∇J‖₂ against m with its band if unbiased and ‖∇J‖₂, and "
        "its total variance tr Cov(ĝ) (needs matplotlib: pip install 'pgproof[plots]')",
    )
    parser.add_argument(
        "--progress", action="store_true", help="show a progress bar and the sampling time"
    )
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


def parse_count(flag: str, text: str, *, allow_auto: bool = False) -> int | str:
    """'auto', '20000', '20_000', '1e6' or '10^6' → int (≥ 2)."""
    from .common import MAX_DIGITS

    text = str(text)
    if allow_auto and text.strip() == "auto":
        return "auto"
    if sum(c.isdigit() for c in text) > MAX_DIGITS:  # before int() reads them
        raise UsageError(
            f"{flag} must be a whole number of at most {MAX_DIGITS} digits, got "
            f"{text[:20]!r}… ({len(text):,} characters)"
        )
    value = None
    if match := _INTEGER.match(text):
        value = int(match.group(1).replace("_", ""))
    elif match := _SCIENTIFIC.match(text):
        mantissa, exponent = match.groups()
        if int(exponent) <= 30:
            number = float(mantissa) * 10 ** int(exponent)
            value = int(number) if number == int(number) else None
        else:
            value = 10**31
    elif match := _POWER.match(text):
        base, exponent = int(match.group(1)), int(match.group(2))
        value = base**exponent if exponent * math.log10(max(base, 2)) <= 30 else 10**31
    if value is None:
        what = "a whole number or auto" if allow_auto else "a whole number"
        raise UsageError(f"{flag} must be {what}, got {text!r}")
    if value < 2:
        raise UsageError(f"{flag} must be at least 2, got {value}")
    return value


def _validate(args: argparse.Namespace) -> dict:
    from pgproof.numeric.resources import parse_size

    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    samples = parse_count("--samples", args.samples, allow_auto=True)
    max_samples = parse_count("--max-samples", args.max_samples)
    if not 0 < args.alpha < 1:
        raise UsageError(f"--alpha must lie in (0, 1), got {args.alpha}")
    if not (args.tolerance >= 0 and math.isfinite(args.tolerance)):
        raise UsageError(f"--tolerance must be a non-negative fraction, got {args.tolerance}")
    if args.abs_tolerance is not None and not (
        args.abs_tolerance >= 0 and math.isfinite(args.abs_tolerance)
    ):
        raise UsageError(f"--abs-tolerance must be non-negative, got {args.abs_tolerance}")
    if args.bound is not None and not (args.bound > 0 and math.isfinite(args.bound)):
        raise UsageError(f"--bound must be positive, got {args.bound}")
    if args.max_trajectories < 0:
        raise UsageError(f"--max-trajectories must be non-negative, got {args.max_trajectories}")
    if not (args.max_time > 0 and math.isfinite(args.max_time)):
        raise UsageError(f"--max-seconds must be a positive number, got {args.max_time}")
    try:
        max_memory = parse_size(args.max_memory)
    except ValueError as error:
        raise UsageError(f"--max-memory: {error}") from None
    executor = args.executor or ("dask" if args.scheduler else "serial")
    if args.scheduler and executor != "dask":
        raise UsageError("--scheduler needs --executor dask (or no --executor)")
    if args.scheduler is not None:
        from pgproof.numeric.parallel import scheduler_endpoint

        scheduler_endpoint(args.scheduler)  # tcp://HOST:PORT, or an ExecutorError
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be positive, got {args.workers}")
    if samples == "auto" and args.test == "hotelling":
        raise UsageError(
            "--test hotelling is not valid when sampling until a decision: give --samples M"
        )
    return {
        "samples": samples,
        "max_samples": max_samples,
        "max_memory": max_memory,
        "executor": executor,
    }


def _problem_shape(args: argparse.Namespace) -> tuple[int, int, int]:
    random_flags = (args.states, args.actions, args.horizon)
    if args.mdp is not None:
        if any(flag is not None for flag in (*random_flags, args.discount)):
            raise UsageError(
                "--mdp cannot be combined with --states/--actions/--horizon/--discount"
            )
        return (0, 0, 0)
    if any(flag is None for flag in random_flags):
        raise UsageError("give --mdp FILE.json, or all of --states, --actions and --horizon")
    if min(random_flags) < 1:
        raise UsageError("--states, --actions and --horizon must be positive")
    if args.discount is not None and not 0.0 <= args.discount <= 1.0:
        raise UsageError(f"--discount must lie in [0, 1], got {args.discount}")
    return random_flags


def _compute(args: argparse.Namespace) -> tuple[VerifyReport, Any, list]:
    """The report, with θ and the estimators it tested (for the plot)."""
    import numpy as np

    from pgproof.numeric.estimators import ESTIMATORS, EstimatorError, resolve_estimator
    from pgproof.numeric.io import load_problem
    from pgproof.numeric.mdp import MDPError, random_mdp
    from pgproof.numeric.parallel import ExecutorError, make_executor
    from pgproof.numeric.policies import TabularSoftmax, TimeDependentSoftmax
    from pgproof.numeric.resources import check_request
    from pgproof.numeric.verification import (
        policy_kind,
        request_for,
        trajectory_count_or_none,
        verify_problem,
    )

    settings = _validate(args)
    shape = _problem_shape(args)
    if args.scheduler is not None:
        from pgproof.numeric.parallel import check_reachable

        check_reachable(args.scheduler)  # before any work: a closed port is refused at once
    estimators = [resolve_estimator(name) for name in (args.estimator or list(ESTIMATORS))]
    budget = settings["max_samples"] if settings["samples"] == "auto" else settings["samples"]
    problem_seed, sample_seed = np.random.SeedSequence(args.seed).spawn(2)

    def check(n_states, n_actions, horizon, kind, n_params=None, random=True):
        count = trajectory_count_or_none(
            n_states, n_actions, horizon, min(args.max_trajectories, 20_000_000)
        )
        request = request_for(
            n_states,
            n_actions,
            horizon,
            kind,
            budget,
            estimators,
            count or 0,
            args.test,
            random,
            n_params,
        )
        return check_request(request, settings["max_memory"], args.max_time)

    if args.mdp is not None:
        try:
            mdp, policy, theta = load_problem(args.mdp)
        except (OverflowError, MemoryError, RecursionError) as error:
            raise UsageError(f"{args.mdp}: unusable numbers ({error})") from None
        estimate = check(
            mdp.n_states,
            mdp.n_actions,
            mdp.horizon,
            policy_kind(policy),
            policy.n_params,
            random=False,
        )
    else:
        n_states, n_actions, horizon = shape
        estimate = check(n_states, n_actions, horizon, args.policy)
        rng = np.random.default_rng(problem_seed)
        discount = 1.0 if args.discount is None else args.discount
        mdp = random_mdp(n_states, n_actions, horizon, rng, discount)
        if args.policy == "tabular":
            policy = TabularSoftmax(n_states, n_actions)
        else:
            policy = TimeDependentSoftmax(n_states, n_actions, horizon)
        theta = policy.random_theta(rng)
    tolerance = args.abs_tolerance
    where = settings["executor"]
    if where in ("threads", "processes", "dask"):
        label = f"{where} ({args.scheduler or f'{args.workers or 2} workers'})"
    else:
        label = "this process"
    user = any(e.name not in ESTIMATORS for e in estimators)
    try:
        with make_executor(where, args.workers, args.scheduler) as executor:
            report = verify_problem(
                mdp,
                policy,
                theta,
                estimators,
                source=args.mdp or "random",
                samples=settings["samples"],
                seed=args.seed,
                alpha=args.alpha,
                relative_tolerance=None if tolerance is not None else args.tolerance,
                tolerance=tolerance,
                method=args.test,
                executor=executor,
                executor_name=label,
                max_samples=settings["max_samples"],
                max_trajectories=args.max_trajectories,
                bounds=args.bound,
                progress=args.progress,
                sample_seed=sample_seed,
                estimate=estimate,
                show_timing=args.progress,
            )
        return report, theta, estimators
    except (MDPError, EstimatorError, ExecutorError):
        raise
    except Exception as error:  # user code, or an input the library refuses
        if user or isinstance(error, ValueError):
            raise UsageError(f"{type(error).__name__}: {error}") from None
        raise


def run_verify(args: argparse.Namespace) -> int:
    """Run the check; exit 0/1 by the verdicts (see the module docstring), 2 for bad input."""
    from pgproof.numeric.estimators import EstimatorError
    from pgproof.numeric.mdp import MDPError
    from pgproof.numeric.parallel import ExecutorError
    from pgproof.numeric.resources import ResourceError

    try:
        _check_plot(args)
        report, theta, estimators = _compute(args)
        plot = _plot(args, report, theta, estimators) if args.plot else None
    except (UsageError, MDPError, EstimatorError, ResourceError, ExecutorError) as error:
        from pgproof.output import guarded

        message = guarded(str(error)).replace("\n", " ")
        print(f"pgproof verify: error: {message}", file=sys.stderr)
        return 2
    if args.json:
        data = report.to_json()
        if plot is not None:
            data["plot"] = {k: v for k, v in plot.items() if k != "text"}
        print(json.dumps(data, indent=2))
    else:
        print(layout_text(report))
        if plot is not None:
            print(
                f"\nplot written to {plot['file']}: each estimator's running-mean error against "
                f"m, over {plot['samples']:,} trajectories drawn for it (seed {args.seed}), and "
                "its total variance"
            )
            print(plot["text"])
    return report.exit_status


#: at most this many numbers (trajectories × θ coordinates) per estimator in a plot
PLOT_NUMBERS = 5_000_000


def _check_plot(args: argparse.Namespace) -> None:
    """Refuse --plot FILE before any work: an unknown suffix, a missing folder, no
    matplotlib."""
    if not args.plot:
        return
    from pgproof.plots import PlotError, check_plot_path, require_matplotlib

    from .common import CommandError, check_output_file

    try:
        check_plot_path(args.plot)
        check_output_file(args.plot, "--plot")
        require_matplotlib()
    except (PlotError, CommandError) as error:
        raise UsageError(str(error)) from None


def _plot(args: argparse.Namespace, report: VerifyReport, theta: Any, estimators: list) -> dict:
    """Draw the plot of ``--plot``; what it shows, for the text and the JSON."""
    from pgproof.plots import estimator_traces, save_plot

    mdp = report.mdp
    samples = max(10, min(report.run.samples, PLOT_NUMBERS // max(1, report.policy.n_params)))
    problem = (
        f"{'random MDP' if report.source == 'random' else report.source} S={mdp.n_states} "
        f"A={mdp.n_actions} T={mdp.horizon} γ={mdp.discount:g}"
    )
    traces = estimator_traces(
        mdp,
        report.policy,
        theta,
        estimators,
        samples=samples,
        seed=args.seed,
        alpha=report.alpha,
        gradient=report.grad_exact,
        problem=problem,
    )
    try:
        save_plot(traces, args.plot)
    except OSError as error:
        raise UsageError(f"--plot {args.plot}: cannot write: {error.strerror}") from None
    final = {t.name: float(t.errors[-1]) for t in traces.traces}
    return {
        "file": args.plot,
        "samples": samples,
        "seed": args.seed,
        "gradient_norm": traces.gradient_norm,
        "final_error": final,
        "total_variance": {t.name: t.variance for t in traces.traces},
        "text": traces.text(),
    }


# --------------------------------------------------------------------------- text layout


def _tables(named: list[tuple[str, object]], indent: str = "    ", digits: int = 6) -> list[str]:
    """Arrays of θ's shape side by side, each as rows s=0,1,… and columns a=0,1,…, under
    its name: ∇J(θ), mean ĝ, standard error … read in the same layout.  A time-dependent θ
    [T, S, A] gets one block per t; any other shape is shown as one column per array."""
    import numpy as np

    arrays = [np.asarray(a, dtype=float) for _, a in named]
    shape = arrays[0].shape
    if len(shape) == 3:
        lines: list[str] = []
        for t in range(shape[0]):
            lines.append(f"{indent}t={t + 1}:")
            pairs = [(n, a[t]) for (n, _), a in zip(named, arrays, strict=True)]
            lines += _tables(pairs, indent, digits)
        return lines
    if len(shape) != 2:
        arrays = [a.reshape(-1, 1) for a in arrays]
        labels, columns = [f"θ[{k}]" for k in range(arrays[0].shape[0])], [""]
    else:
        labels, columns = [f"s={s}" for s in range(shape[0])], [f"a={a}" for a in range(shape[1])]
    cells = [[[f"{x:.{digits}g}" for x in row] for row in a] for a in arrays]
    width = max(len(c) for table in cells for row in table for c in row)
    width = max(width, *(len(c) for c in columns))
    label = max(len(x) for x in labels)
    blocks = []
    for (name, _), table in zip(named, cells, strict=True):
        block_width = len(columns) * (width + 1) - 1
        head = [name.ljust(block_width), " ".join(c.rjust(width) for c in columns)]
        body = [" ".join(c.rjust(width) for c in row) for row in table]
        blocks.append((head, body, block_width))
    gap = "   "
    names = indent + " " * label + "  " + gap.join(h[0].ljust(w) for h, _, w in blocks)
    lines = [names.rstrip()] if names.strip() else []
    lines.append(indent + " " * label + "  " + gap.join(h[1].ljust(w) for h, _, w in blocks))
    for r, row_label in enumerate(labels):
        lines.append(
            indent + row_label.ljust(label) + "  "
            + gap.join(b[r].ljust(w) for _, b, w in blocks).rstrip()
        )  # fmt: skip
    return lines


def layout_text(report: VerifyReport) -> str:
    """The report's text with every θ-shaped array in the S×A layout of θ: ∇J(θ) labelled
    by state and action, and under each estimator its sampled mean, standard error and
    mean − ∇J in the same layout, instead of flat vectors."""
    from pgproof.numeric.bias_test import format_array

    text = report.text()
    gradient = report.grad_exact
    text = text.replace(format_array(gradient), "\n".join(_tables([("", gradient)], "")), 1)
    for check in report.checks:
        result = check.comparison
        flat = (
            f"    mean   {format_array(result.mean.ravel())}\n"
            f"    stderr {format_array(result.stderr.ravel())}"
        )
        named = [
            ("mean ĝ (sampled)", result.mean),
            ("standard error", result.stderr),
            ("mean ĝ − ∇J(θ)", result.mean - gradient),
        ]
        text = text.replace(flat, "\n".join(_tables(named, digits=4)), 1)
    return text
