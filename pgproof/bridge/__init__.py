"""The bridge between the symbolic and the numeric halves of pgproof.

Modules (one job each):

* :mod:`.values`     arrays with named axes (τ, τ^(k), ∂θ), NotEvaluable / Undefined;
* :mod:`.instance`   MDP + θ + trajectory table, the notation's horizon → steps mapping;
* :mod:`.evaluate`   the tree-driven evaluator of any expression of the notation;
* :mod:`.compare`    tolerance, free-symbol assignments, expectations of estimates;
* :mod:`.witness`    witnesses (MDP, θ, location, the two numbers) and their files;
* :mod:`.steps`      numeric verdicts for every step of a checked derivation;
* :mod:`.report`     text and JSON of those verdicts for ``pgproof check --numeric``;
* :mod:`.estimator`  a derivation's sample estimate compiled into a numeric estimator;
* :mod:`.mutations`  mutation operators; :mod:`.audit` the soundness audit.
"""

from .estimator import check_unbiased, compile_estimator, final_estimate
from .evaluate import evaluate
from .instance import Instance, draw_instance, enumerate_instance
from .steps import NumericReport, NumericStep, check_numeric, check_step_numeric
from .values import NotEvaluable, Undefined, Value

__all__ = [
    "Instance",
    "NotEvaluable",
    "NumericReport",
    "NumericStep",
    "Undefined",
    "Value",
    "check_numeric",
    "check_step_numeric",
    "check_unbiased",
    "compile_estimator",
    "draw_instance",
    "enumerate_instance",
    "evaluate",
    "final_estimate",
]
