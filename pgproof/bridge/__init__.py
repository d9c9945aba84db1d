"""The bridge between the symbolic and the numeric halves of pgproof.

Modules (one job each):

* :mod:`.values`          arrays with named axes (τ, τ^(k), ∂θ), NotEvaluable / Undefined;
* :mod:`.instance`        MDP + θ + trajectory table, the notation's horizon → steps mapping;
* :mod:`.evaluate`        the tree-driven evaluator of any expression of the notation;
* :mod:`.jets`            exact derivatives along θ (forward-mode jets of order ≤ 2);
* :mod:`.value_jets`      V, Q, A, d^π, Pr(s_t = s), J with their exact derivatives;
* :mod:`.compare`         tolerance, free-symbol assignments, expectations of estimates;
* :mod:`.witness`         witnesses (MDP, θ, location, the two numbers) and their files;
* :mod:`.steps`           numeric verdicts for every step of a checked derivation;
* :mod:`.report`          those verdicts as result types, with their text and JSON;
* :mod:`.estimator`       a derivation's sample estimate compiled into a numeric estimator;
* :mod:`.final_estimate`  the final estimate tested for bias, with its text and JSON;
* :mod:`.judge`           the numeric judge of the soundness audit (:mod:`pgproof.audit`).
"""

from .estimator import compile_estimator, final_estimate, test_sample_estimate_bias
from .evaluate import evaluate
from .final_estimate import FinalEstimate, test_final_estimate
from .instance import Instance, draw_instance, enumerate_instance
from .report import NumericReport, NumericStep
from .steps import verify_step_numerically, verify_steps_numerically
from .values import NotEvaluable, Undefined, Value

__all__ = [
    "FinalEstimate",
    "Instance",
    "NotEvaluable",
    "NumericReport",
    "NumericStep",
    "Undefined",
    "Value",
    "compile_estimator",
    "draw_instance",
    "enumerate_instance",
    "evaluate",
    "final_estimate",
    "test_final_estimate",
    "test_sample_estimate_bias",
    "verify_step_numerically",
    "verify_steps_numerically",
]
