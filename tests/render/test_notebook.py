"""Jupyter (issue 14, item 4): reports and derivations display as HTML, and as LaTeX
without ``%`` lines that a notebook exported through nbconvert's LaTeX template compiles;
their ``repr`` is short."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

import pgproof

from .conftest import CONDITIONAL, DERIVATIONS, check_text, require_tool, seed


def test_a_report_and_a_derivation_display_as_html() -> None:
    report = seed("001")
    page = report._repr_html_()
    assert page.startswith('<div class="pgproof"><style>') and "<math" in page
    assert "<script" not in page.lower() and "http" not in page.replace(
        "http://www.w3.org/1998/Math/MathML", ""
    )
    assert "✗" in page and 'class="pg-refusal"' in page and "Refused" in page
    derivation = pgproof.load(DERIVATIONS / "000_deriving_policy_gradient.pgproof.toml")
    assert derivation._repr_html_().count('class="pg-step pg-accepted"') == 13


def test_the_latex_of_a_report_has_no_comment_lines() -> None:
    for name in ("000", "001", "002"):
        latex = seed(name)._repr_latex_()
        assert "%" not in latex and latex.startswith(r"\begin{align*}")
        assert r"\cancel" not in latex


def test_reprs_are_short() -> None:
    report = seed("000")
    assert len(repr(report)) < 200 and "accepted" in repr(report)
    assert len(repr(report.derivation)) < 200
    assert len(repr(report.steps[-1])) < 200 and len(repr(report.derivation.steps[-1])) < 200
    assert repr(seed("001")).endswith("rejected at step 12 of 12 steps, as expected>")


def _notebook(outputs: list[dict[str, str]]):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    for i, data in enumerate(outputs, 1):
        cell = nbformat.v4.new_code_cell("report")
        cell.outputs = [nbformat.v4.new_output("execute_result", data=data, execution_count=i)]
        notebook.cells.append(cell)
    return notebook


def test_a_notebook_exported_through_nbconvert_latex_compiles(tmp_path: Path) -> None:
    if os.environ.get("PGPROOF_REQUIRE_LATEX"):
        import nbconvert  # noqa: F401  (a test dependency: required where TeX is)
    exporter = pytest.importorskip("nbconvert").LatexExporter
    require_tool("pdflatex", "PGPROOF_REQUIRE_LATEX")
    reports = [seed("000"), seed("001"), seed("002"), check_text(CONDITIONAL, tmp_path)]
    outputs = [
        {"text/plain": repr(r), "text/html": r._repr_html_(), "text/latex": r._repr_latex_()}
        for r in reports
    ]
    body, _ = exporter().from_notebook_node(_notebook(outputs))
    assert r"\cancel" not in body and "struck out" in body
    (tmp_path / "notebook.tex").write_text(body, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
         "notebook.tex"],
        cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    log = (tmp_path / "notebook.log").read_text(errors="replace")
    assert "Undefined control sequence" not in log
    assert not re.search(r"LaTeX Error", log)
