"""Helpers for the rendering tests: derivation files written inline, and real tools
(pdflatex, pdftoppm, Chromium) that are required where PGPROOF_REQUIRE_* is set (CI) and
skipped elsewhere."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.report import DerivationReport

ROOT = Path(__file__).resolve().parents[2]
DERIVATIONS = ROOT / "derivations"

# step 1 is wrong (a sign), step 3 substitutes it: its rule holds, its premise does not
CONDITIONAL = r"""
title = "built on a wrong step"
source = "test"
[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta p_\theta(\tau) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)'
by = "log_derivative_trick"
from = "self"

[[step]]
formula = '\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau'
by = ["definition", "expectation_to_integral", "grad_under_integral"]
from = "self"

[[step]]
formula = '= \int -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) r(\tau) d\tau'
by = "substitute"
using = 1
"""

# no `by`: pgproof infers the rule
INFERRED = r"""
title = "a step without a rule"
source = "test"
[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta \log p_\theta(\tau) = \frac{\nabla_\theta p_\theta(\tau)}{p_\theta(\tau)}'
from = "self"
"""


def check_text(text: str, folder: Path, name: str = "case") -> DerivationReport:
    path = folder / f"{name}.pgproof.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return check_derivation(load_derivation(path))


def seed(name: str) -> DerivationReport:
    (path,) = DERIVATIONS.glob(f"{name}*.pgproof.toml")
    return check_derivation(load_derivation(path))


def require_tool(name: str, variable: str) -> str:
    """The tool's path; a failure where ``variable`` is set (CI), else a skip."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get(variable):
            pytest.fail(f"{name} is required ({variable} is set) but not installed")
        pytest.skip(f"{name} is not installed")
    return found
