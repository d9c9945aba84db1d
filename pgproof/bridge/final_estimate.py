"""A derivation's final sample estimate, compiled and tested for bias, with its text and JSON.

When the last step of a derivation is an accepted estimate ĝ ≈ (1/m) Σ_i f(τ^(i)), the
estimate is compiled (:mod:`.estimator`) and tested on a random MDP against ∇J(θ): by
sampling (:func:`pgproof.numeric.bias_test.test_estimator_bias`) and exactly, by
enumeration.  An accepted estimate that is exactly biased is a checker bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pgproof.numeric.bias_test import BiasTestResult
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.text import show

from .estimator import CompileError, final_estimate, test_sample_estimate_bias


@dataclass
class FinalEstimate:
    """A derivation's final sample estimate, compiled and tested for bias."""

    formula: str
    result: BiasTestResult | None = None
    error: str = ""

    @property
    def biased(self) -> bool:
        """Exactly biased (by enumeration): an accepted estimate must never be."""
        return self.result is not None and self.result.exactly_unbiased is False

    def to_json(self) -> dict[str, Any]:
        """``formula`` and either ``error`` or the bias test's own JSON (same keys as verify)."""
        if self.result is None:
            return {"formula": self.formula, "error": self.error}
        return {"formula": self.formula, **self.result.to_json()}

    def text(self) -> str:
        head = f"  final estimate: {self.formula}"
        if self.result is None:
            return f"{head}\n    not compiled: {self.error}"
        return f"{head}\n    compiled and sampled on a random MDP: {self.result.summary()}"


def test_final_estimate(report: DerivationReport, seed: int) -> FinalEstimate | None:
    """Compile and test the last step when it is an accepted sample estimate."""
    last = report.steps[-1]
    if not (last.accepted and last.estimate) or last.conditional:
        return None
    expr = final_estimate(report)
    out = FinalEstimate(show(expr))
    try:
        out.result = test_sample_estimate_bias(
            expr, report.derivation.notation, np.random.default_rng(seed)
        )
    except CompileError as exc:
        out.error = str(exc)
    return out


test_final_estimate.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
