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

from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.text import show

from .estimator import CompileError, EstimateBias, final_estimate, test_sample_estimate_bias
from .values import NotEvaluable


@dataclass
class FinalEstimate:
    """A derivation's final sample estimate ``lhs ≈ ĝ``, compiled and tested for bias against
    its own left side."""

    formula: str
    result: EstimateBias | None = None
    error: str = ""

    @property
    def biased(self) -> bool:
        """Exactly biased (by enumeration): an accepted estimate must never be."""
        return self.result is not None and not self.result.exactly_unbiased

    def to_json(self) -> dict[str, Any]:
        """``formula``, the left side, the exact bias, and the sampled test's own JSON (the
        same keys as ``verify``), or ``error``."""
        if self.result is None:
            return {"formula": self.formula, "error": self.error}
        result = self.result
        sampled = result.sampled.to_json() if result.sampled is not None else {}
        return {
            **sampled,
            "formula": self.formula,
            "compared_with": show(result.claim.lhs),
            "max_exact_bias": result.max_exact_bias,
            "exactly_unbiased": result.exactly_unbiased,
        }

    def text(self) -> str:
        head = f"  final estimate: {self.formula}"
        if self.result is None:
            return f"{head}\n    not compiled: {self.error}"
        result = self.result
        exact = (
            f"E[ĝ] − {show(result.claim.lhs)}: max |exact bias| = {result.max_exact_bias:.2g} "
            f"(by enumeration) → {'unbiased' if result.exactly_unbiased else 'BIASED'}"
        )
        lines = [head, f"    compiled and tested on a random MDP against {show(result.claim.lhs)}"]
        if result.sampled is not None:
            lines.append(f"    sampled: {result.sampled.summary()}")
        lines.append(f"    exact: {exact}")
        return "\n".join(lines)


def test_final_estimate(report: DerivationReport, seed: int) -> FinalEstimate | None:
    """Compile and test the last step when it is an accepted sample estimate."""
    last = report.steps[-1]
    if not (last.accepted and last.estimate) or last.conditional:
        return None
    claim = final_estimate(report)
    out = FinalEstimate(show(claim.rhs))
    try:
        out.result = test_sample_estimate_bias(
            claim, report.derivation.notation, np.random.default_rng(seed)
        )
    except (CompileError, NotEvaluable) as exc:
        out.error = str(exc)
    return out


test_final_estimate.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
