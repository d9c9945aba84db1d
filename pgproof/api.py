"""The few calls most users need: load a derivation file, check it, verify its steps on
random MDPs, render it (LaTeX or an HTML report), list the rules.

Each is importable from ``pgproof`` directly.  Everything heavy (NumPy, the numeric side,
matplotlib) is imported by the call that needs it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.rules import REGISTRY
from pgproof.symbolic.rules.base import Rule

if TYPE_CHECKING:
    from pgproof.bridge.report import NumericReport
    from pgproof.html.page import Entry, Figure

__all__ = [
    "check",
    "estimators_figure",
    "final_estimate_figure",
    "html_report",
    "load",
    "report_entries",
    "rules",
    "verify_steps",
]


def load(path: str | os.PathLike[str]) -> Derivation:
    """Read a ``*.pgproof.toml`` derivation file (raises ``DerivationFileError``)."""
    return load_derivation(Path(path))


def check(
    derivation: Derivation | str | os.PathLike[str], *, work: int | None = None
) -> DerivationReport:
    """Check every step of a derivation (or of the derivation file at that path), each
    within ``work`` units of work (default: the checker's; :mod:`pgproof.budget`): a step
    that cannot be decided within them is undecided."""
    if not isinstance(derivation, Derivation):
        derivation = load(derivation)
    return check_derivation(derivation, **({} if work is None else {"work": work}))


def rules() -> dict[str, Rule]:
    """The registered rules by name (each with its formula, aliases and side conditions)."""
    return dict(REGISTRY)


def verify_steps(
    report: DerivationReport | Derivation | str | os.PathLike[str],
    trials: int = 5,
    seed: int = 0,
    witness_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> NumericReport:
    """Evaluate both sides of every step on ``trials`` random tabular MDPs (seeded): what
    ``pgproof check --numeric`` does.  ``report`` may also be a derivation or a path (it is
    checked first).  Returns a :class:`pgproof.NumericReport` (``.text()``, witnesses);
    ``witness_dir`` writes each witness MDP for ``pgproof verify --mdp``.  The same as
    :func:`pgproof.verify_steps_numerically`."""
    from pgproof.bridge.steps import verify_steps_numerically

    if not isinstance(report, DerivationReport):
        report = check(report)
    return verify_steps_numerically(report, trials, seed, witness_dir, **options)


#: built-in estimators in the report's "Estimators" plot: three unbiased, two classic bugs
REPORT_ESTIMATORS = (
    "reinforce",
    "reward_to_go",
    "state_baseline",
    "action_baseline",
    "discount_confusion",
)


def _as_reports(items: Any) -> list[DerivationReport]:
    if isinstance(items, (DerivationReport, Derivation, str, os.PathLike)):
        items = [items]
    out = []
    for item in items:
        if isinstance(item, DerivationReport):
            out.append(item)
        elif isinstance(item, Derivation):
            out.append(check_derivation(item))
        elif isinstance(item, (str, os.PathLike)):
            from pgproof.files import derivation_files

            out.extend(check(path) for path in derivation_files([Path(item)]))
        else:
            raise TypeError(
                f"expected derivation reports, derivations or paths, not {type(item).__name__}"
            )
    return out


def report_entries(
    items: Any,
    *,
    numeric: bool = True,
    trials: int = 5,
    seed: int = 0,
    plots: bool = True,
    samples: int = 20_000,
    **options: Any,
) -> list[Entry]:
    """Check (and, with ``numeric``, verify numerically) each derivation for a report.

    ``items``: reports, derivations, files or folders.  With ``numeric``, each entry gets
    its numeric step verdicts and its final estimate's bias test; with ``plots`` as well
    (matplotlib needed), a derivation ending in a sample estimate gets a plot of that
    estimate's running-mean error and variance beside built-in estimators on the same MDP.
    ``options`` go to :func:`pgproof.verify_steps_numerically` (``work``, ``timeout``).
    """
    from pgproof.html.page import Entry

    entries = [Entry(report) for report in _as_reports(items)]
    if not numeric:
        return entries
    from pgproof.bridge.final_estimate import test_final_estimate
    from pgproof.bridge.steps import verify_steps_numerically

    for entry in entries:
        entry.numeric = verify_steps_numerically(entry.report, trials, seed, **options)
        entry.final = test_final_estimate(entry.report, seed)
        if plots and entry.final is not None and entry.final.result is not None:
            figure = final_estimate_figure(entry.report, seed=seed, samples=samples)
            if figure is not None:
                entry.figures.append(figure)
    return entries


#: built-in estimators drawn beside a derivation's own estimate
COMPARED_ESTIMATORS = ("reinforce", "reward_to_go", "state_baseline", "action_baseline")


def final_estimate_figure(
    report: DerivationReport, *, seed: int = 0, samples: int = 20_000
) -> Figure | None:
    """The plot of a derivation's final sample estimate ĝ (compiled from its last step)
    against built-in estimators, on a random MDP; None when it does not end in one."""
    import numpy as np

    from pgproof.bridge.estimator import CompileError, compile_estimator, final_estimate
    from pgproof.bridge.infinite import draw_for
    from pgproof.html.page import Figure
    from pgproof.numeric.estimators import ESTIMATORS
    from pgproof.plots import estimator_traces, plot_bytes

    last = report.steps[-1]
    if not (last.accepted and last.estimate) or last.conditional:
        return None
    notation = report.derivation.notation
    if notation.infinite_horizon:  # not compiled (see test_sample_estimate_bias)
        return None
    claim = final_estimate(report)
    rng = np.random.default_rng(seed)
    instance = draw_for(notation, rng, 2_000)
    try:
        own = compile_estimator(
            claim.rhs, notation, "ĝ (this derivation)", instance.constants, instance.functions
        )
    except CompileError:
        return None
    estimators = [own, *(ESTIMATORS[name] for name in COMPARED_ESTIMATORS)]
    mdp = instance.mdp
    problem = f"random MDP S={mdp.n_states} A={mdp.n_actions} T={mdp.horizon}"
    traces = estimator_traces(
        mdp, instance.policy, instance.theta, estimators, samples=samples, seed=seed,
        problem=problem,
    )  # fmt: skip
    caption = (
        f"The derivation's final estimate ĝ, compiled from its last step, beside built-in "
        f"estimators on a {problem}: left, the error ‖ḡ_m − ∇J(θ)‖₂ of each running mean "
        f"against the number of trajectories m, with the band in which it stays with "
        f"probability {1 - traces.alpha:.0%} at each m if the estimator is unbiased, and "
        "‖∇J(θ)‖₂ dashed; right, each estimator's total variance tr Cov(ĝ)."
    )
    return Figure(plot_bytes(traces), caption, traces.text())


def html_report(
    items: Any,
    *,
    numeric: bool = True,
    trials: int = 5,
    seed: int = 0,
    plots: bool = True,
    samples: int = 20_000,
    form: str = "author",
    title: str = "pgproof report",
    estimators: Sequence[str] = REPORT_ESTIMATORS,
) -> str:
    """One self-contained HTML page for derivations (reports, derivations, files or
    folders): steps typeset with their marks, reasons, numeric verdicts, witnesses and
    estimator plots; no script and nothing loaded at view time.  What ``pgproof report``
    writes (see :func:`report_entries` for the options; ``estimators``: the built-in
    estimators of the closing plot, none for no such plot)."""
    from pgproof.html.page import report_page

    entries = report_entries(
        items, numeric=numeric, trials=trials, seed=seed, plots=plots, samples=samples
    )
    figures = []
    if plots and estimators:
        figures.append(estimators_figure(estimators, seed=seed, samples=samples))
    return report_page(entries, title=title, form=form, figures=figures)


def estimators_figure(
    names: Sequence[str] = REPORT_ESTIMATORS,
    *,
    states: int = 3,
    actions: int = 2,
    horizon: int = 4,
    discount: float = 0.9,
    seed: int = 0,
    samples: int = 20_000,
) -> Figure:
    """The plot of built-in (or ``module:function``) estimators on a random tabular MDP:
    running-mean error against m with its band if unbiased, ‖∇J‖₂, and total variance."""
    import numpy as np

    from pgproof.html.page import Figure
    from pgproof.numeric.estimators import resolve_estimator
    from pgproof.numeric.mdp import random_mdp
    from pgproof.numeric.policies import TabularSoftmax
    from pgproof.plots import estimator_traces, plot_bytes

    estimators = [resolve_estimator(name) for name in names]
    rng = np.random.default_rng(seed)
    mdp = random_mdp(states, actions, horizon, rng, discount)
    policy = TabularSoftmax(states, actions)
    theta = policy.random_theta(rng)
    problem = f"random MDP S={states} A={actions} T={horizon} γ={discount:g}"
    traces = estimator_traces(
        mdp, policy, theta, estimators, samples=samples, seed=seed, problem=problem
    )
    caption = (
        f"Estimators on a {problem} (seed {seed}): left, the error ‖ḡ_m − ∇J(θ)‖₂ of each "
        f"estimator's running mean against the number of trajectories m; shaded, the band "
        f"in which it stays with probability {1 - traces.alpha:.0%} at each m if the "
        "estimator is unbiased (from its exact covariance); dashed, ‖∇J(θ)‖₂. An unbiased "
        "estimator falls like 1/√m inside its band; a biased one (marked) levels off at its "
        "bias. Right: each estimator's total variance tr Cov(ĝ) (hatched: biased)."
    )
    return Figure(plot_bytes(traces), caption, traces.text())
