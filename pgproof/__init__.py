"""pgproof: check derivations of the policy-gradient theorem, symbolically and numerically.

The public API, importable from ``pgproof`` directly (each name is imported on first use,
so ``import pgproof`` costs nothing until one is needed)::

    import pgproof

    derivation = pgproof.load("derivations/000_deriving_policy_gradient.pgproof.toml")
    report = pgproof.check(derivation)              # step by step, symbolically
    print(report.text())                            # or report.to_json()
    numeric = pgproof.verify_steps(report, trials=5, seed=0)
    print(numeric.text())
    print(pgproof.render(report))                   # LaTeX align*
    html = pgproof.html_report([report])            # one self-contained HTML page

Numeric half: :class:`TabularMDP`, :func:`random_mdp`, the policies, the exact gradients
(:func:`exact_gradient_dp`, :func:`exact_gradient_enumeration`), sampling, the estimator
type :class:`Estimator` and the built-in ones (``ESTIMATORS``, a dict by name),
:func:`test_estimator_bias`, and :func:`estimator_traces` / :func:`save_plot` for plots
(matplotlib: ``pip install 'pgproof[plots]'``).  In Jupyter, a :class:`Derivation` or a
:class:`DerivationReport` displays itself (HTML; LaTeX for nbconvert).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS = {
    # symbolic side
    "load": "pgproof.api",
    "check": "pgproof.api",
    "verify_steps": "pgproof.api",
    "html_report": "pgproof.api",
    "check_derivation": "pgproof.symbolic.checker",
    "Derivation": "pgproof.symbolic.derivation",
    "Step": "pgproof.symbolic.derivation",
    "Notation": "pgproof.symbolic.notation",
    "DerivationReport": "pgproof.symbolic.report",
    "StepReport": "pgproof.symbolic.report",
    "render": "pgproof.symbolic.render",
    "render_document": "pgproof.symbolic.render",
    "RenderError": "pgproof.symbolic.render",
    "rules": "pgproof.api",
    "DerivationFileError": "pgproof.files",
    "load_derivation": "pgproof.files",
    # bridge
    "verify_steps_numerically": "pgproof.bridge.steps",
    "NumericReport": "pgproof.bridge.report",
    "test_final_estimate": "pgproof.bridge.final_estimate",
    "compile_estimator": "pgproof.bridge.estimator",
    # numeric side
    "TabularMDP": "pgproof.numeric.mdp",
    "random_mdp": "pgproof.numeric.mdp",
    "TabularSoftmax": "pgproof.numeric.policies",
    "TimeDependentSoftmax": "pgproof.numeric.policies",
    "LinearSoftmax": "pgproof.numeric.policies",
    "exact_objective_dp": "pgproof.numeric.dp",
    "exact_gradient_dp": "pgproof.numeric.dp",
    "exact_gradient_enumeration": "pgproof.numeric.enumeration",
    "sample_trajectories": "pgproof.numeric.sampling",
    "ESTIMATORS": "pgproof.numeric.estimators",
    "Estimator": "pgproof.numeric.estimators",
    "register_estimator": "pgproof.numeric.estimators",
    "estimator_traces": "pgproof.plots",
    "save_plot": "pgproof.plots",
    "test_estimator_bias": "pgproof.numeric.bias_test",
    "BiasTestResult": "pgproof.numeric.bias_test",
}

__all__ = [
    "BiasTestResult",
    "Derivation",
    "DerivationFileError",
    "DerivationReport",
    "ESTIMATORS",
    "Estimator",
    "LinearSoftmax",
    "Notation",
    "NumericReport",
    "RenderError",
    "Step",
    "StepReport",
    "TabularMDP",
    "TabularSoftmax",
    "TimeDependentSoftmax",
    "__version__",
    "check",
    "check_derivation",
    "compile_estimator",
    "estimator_traces",
    "exact_gradient_dp",
    "exact_gradient_enumeration",
    "exact_objective_dp",
    "examples_path",
    "html_report",
    "load",
    "load_derivation",
    "random_mdp",
    "register_estimator",
    "render",
    "render_document",
    "rules",
    "sample_trajectories",
    "save_plot",
    "test_estimator_bias",
    "test_final_estimate",
    "verify_steps",
    "verify_steps_numerically",
]


def examples_path() -> Path:
    """The folder of derivations bundled with pgproof (the seeds and the wrong-step cases)."""
    return Path(__file__).parent / "examples"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pgproof' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from pgproof.api import check, html_report, load, rules, verify_steps
    from pgproof.bridge.estimator import compile_estimator
    from pgproof.bridge.final_estimate import test_final_estimate
    from pgproof.bridge.report import NumericReport
    from pgproof.bridge.steps import verify_steps_numerically
    from pgproof.files import DerivationFileError, load_derivation
    from pgproof.numeric.bias_test import BiasTestResult, test_estimator_bias
    from pgproof.numeric.dp import exact_gradient_dp, exact_objective_dp
    from pgproof.numeric.enumeration import exact_gradient_enumeration
    from pgproof.numeric.estimators import ESTIMATORS, Estimator, register_estimator
    from pgproof.numeric.mdp import TabularMDP, random_mdp
    from pgproof.numeric.policies import LinearSoftmax, TabularSoftmax, TimeDependentSoftmax
    from pgproof.numeric.sampling import sample_trajectories
    from pgproof.plots import estimator_traces, save_plot
    from pgproof.symbolic.checker import check_derivation
    from pgproof.symbolic.derivation import Derivation, Step
    from pgproof.symbolic.notation import Notation
    from pgproof.symbolic.render import RenderError, render, render_document
    from pgproof.symbolic.report import DerivationReport, StepReport
