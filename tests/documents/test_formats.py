"""Documents in each format: LaTeX, Markdown, reStructuredText and notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgproof.cli import main
from pgproof.files import load_derivation
from pgproof.symbolic.checker import check_derivation

from .conftest import FIXTURES, errors_of, write

GRADIENT = r"\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau"


def test_latex_notes_with_macros_labels_and_eqref() -> None:
    d = load_derivation(FIXTURES / "cs285_notes.tex")
    assert d.title == "Policy gradient, CS285 lecture 5 (notes)"  # % pgproof: title = …
    assert d.source == "CS285 lecture 5, slides 5-8"
    assert [s.line for s in d.steps] == [16, 23, 23, 27, 28, 30, 32]
    # \label{eq:logtrick} on the equation names its last step (3); \eqref in a note uses it
    assert d.steps[5].reference == 3 and d.steps[5].note == "using (eq:logtrick)"
    assert d.steps[4].note == "differentiate under the integral"
    assert d.steps[3].source == 1  # J = ∫ …: continues the left side of step 1
    assert any("\\cdots" in n for n in d.notes)  # the sample estimate is prose maths
    assert check_derivation(d).verdict == "accepted"


def test_spinning_up_rst_with_its_macro_preamble() -> None:
    d = load_derivation(FIXTURES / "spinning_up.rst", FIXTURES / "spinning_up_macros.tex")
    n = d.notation
    assert (n.density, n.density_style, n.initial, n.first_index, n.horizon) == (
        "P",
        "given_policy",
        r"\rho",
        0,
        "T",
    )
    assert (n.return_, n.objective_style, n.trajectory_space) == ("R", "policy", "continuous")
    assert d.title == "Deriving the Simplest Policy Gradient"
    assert len(d.steps) == 11
    assert [s.note for s in d.steps[6:10]] == [
        "Expand expectation",
        "Bring gradient under integral",
        "Log-derivative trick",
        "Return to expectation form",
    ]
    # ρ₀ is a name; ∫_τ without dτ runs to the end of its side; both are shown as readings
    assert any("ρ_0 is read as" in r for r in d.steps[0].readings)
    assert any("∫_τ … is read as ∫ … dτ" in r for r in d.steps[6].readings)
    assert d.steps[2].source == 1  # log P = …: the log of both sides of step 1
    assert d.steps[10].source == "previous"  # \therefore ∇J = …


def test_spinning_up_needs_its_macros(tmp_path: Path) -> None:
    errors = errors_of(FIXTURES / "spinning_up.rst")
    assert all("underE" in e.message for e in errors), errors
    assert errors[0].line == 52 and errors[0].column is not None


def _notebook(tmp_path: Path, cells: list[list[str]]) -> Path:
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": cells[0]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
             "source": ["x = '$$J = 1$$'\n"]},
            *({"cell_type": "markdown", "metadata": {}, "source": c} for c in cells[1:]),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    return write(tmp_path, "notes.ipynb", json.dumps(nb, indent=1, ensure_ascii=False))


def test_a_notebook_s_markdown_cells_with_lines_and_columns_of_the_json(tmp_path: Path) -> None:
    path = _notebook(
        tmp_path,
        [
            [
                "# A notebook\n",
                "\n",
                "$$J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]$$\n",
            ],
            ["$$\n", GRADIENT + " \\quad \\text{Leibniz}\n", "$$"],
        ],
    )
    d = load_derivation(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert d.title == "A notebook"
    assert [s.note for s in d.steps] == ["", "Leibniz"]
    assert "J(\\\\theta)" in lines[d.steps[0].line - 1]
    assert "nabla_\\\\theta J" in lines[d.steps[1].line - 1]
    bad = _notebook(tmp_path, [["$$J(\\theta) = E[r(\\tau) - b]$$\n"]])
    (error,) = errors_of(bad)
    line = bad.read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert "b is not defined by this notation" in error.message
    assert line[error.column - 1 :].startswith("b]")  # the column counts JSON escapes


def test_a_notebook_that_is_not_one(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, "x.ipynb", '{"cells": 3}'))
    assert error.message == "not a Jupyter notebook: it has no cells"
    (error,) = errors_of(write(tmp_path, "y.ipynb", '{"cells": [}'))
    assert error.message.startswith("not a notebook (invalid JSON") and error.line == 1


def test_markdown_front_matter_gives_the_notation(tmp_path: Path) -> None:
    text = """---
title: "Sums, not integrals"
layout: post
pgproof:
  horizon: H
  first_index: 0
  state: s
---
$$J(\\theta) = \\sum_\\tau p_\\theta(\\tau) \\sum_t r(s_t, a_t)$$
"""
    d = load_derivation(write(tmp_path, "n.md", text))
    assert d.title == "Sums, not integrals"
    assert (d.notation.horizon, d.notation.first_index, d.notation.state) == ("H", 0, "s")
    assert d.notation.trajectory_space == "discrete"  # Σ_τ in the formula
    assert "\\sum_{t} without limits is read as \\sum_{t=0}^{H}" in d.steps[0].readings[0]


def test_latex_and_rst_front_matter_blocks(tmp_path: Path) -> None:
    tex = """% pgproof:
%   horizon = "H"
%   first_index = 0
\\[ J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[\\sum_t r(s_t, a_t)] \\]
"""
    d = load_derivation(write(tmp_path, "n.tex", tex))
    assert (d.notation.horizon, d.notation.first_index) == ("H", 0)
    rst = """Title
=====

.. pgproof: notation = "hugging_face"

.. math::

   J(\\theta) = E_{\\tau \\sim P(\\tau;\\theta)}[\\sum_t r(s_t, a_t)]
"""
    d = load_derivation(write(tmp_path, "n.rst", rst))
    assert (d.notation.density, d.notation.initial, d.notation.horizon) == ("P", r"\mu", "H")
    assert d.title == "Title" and d.steps[0].line == 8


def test_equation_environments_and_display_delimiters(tmp_path: Path) -> None:
    tex = r"""\begin{equation*} J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)] \end{equation*}
\begin{gather}
J(\theta) = \int p_\theta(\tau) r(\tau) d\tau \nonumber \\
\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau \tag{Leibniz}
\end{gather}
$$\nabla_\theta J(\theta) = \int p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)
  r(\tau) d\tau$$
\begin{multline}
\nabla_\theta J(\theta) = \\ E_{\tau \sim p_\theta(\tau)}[\nabla_\theta \log p_\theta(\tau) r(\tau)]
\end{multline}
"""
    d = load_derivation(write(tmp_path, "n.tex", tex))
    assert [s.line for s in d.steps] == [1, 3, 4, 6, 9]
    assert d.steps[2].note == "Leibniz"  # a \tag with words is a note
    assert [s.source for s in d.steps] == ["self"] + ["previous"] * 4


def test_code_and_comments_are_not_maths(tmp_path: Path) -> None:
    md = """Some text with a price of $5 and $6.

```latex
$$J(\\theta) = q$$
```

<!-- $$J(\\theta) = q$$ -->

`$$J = q$$`

$$J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]$$
"""
    d = load_derivation(write(tmp_path, "n.md", md))
    assert len(d.steps) == 1 and d.steps[0].line == 11
    tex = "% $$J(\\theta) = q$$\n\\begin{verbatim}\n$$J = q$$\n\\end{verbatim}\n" + (
        "\\[J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]\\]\n"
    )
    d = load_derivation(write(tmp_path, "n.tex", tex))
    assert len(d.steps) == 1 and d.steps[0].line == 5


def test_a_document_without_steps_says_what_it_reads(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, "n.md", "Prose, and $x$ inline only.\n"))
    assert "no derivation here: no display with an '=' was read as steps" in error.message


@pytest.mark.parametrize("suffix", [".md", ".tex", ".rst", ".ipynb"])
def test_check_reads_each_kind_of_document(tmp_path: Path, suffix: str, capsys) -> None:
    formula = r"J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]"
    if suffix == ".rst":
        path = write(tmp_path, "n.rst", f".. math::\n\n   {formula}\n")
    elif suffix == ".ipynb":
        path = _notebook(tmp_path, [[f"$${formula}$$\n"]])
    else:
        path = write(tmp_path, f"n{suffix}", f"\\[ {formula} \\]\n")
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "✓ step 1" in out and "notation read from the document" in out
    assert "1 of 1 derivations as expected" in out


def test_check_json_of_a_document_says_how_it_was_read(capsys) -> None:
    path = FIXTURES / "cs285_notes.tex"
    assert main(["check", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    read = data["derivations"][0]["document"]["read"]
    assert read[0].startswith("notation read from the document")
    assert read[1].startswith("skipped: the display at line 35")


def test_the_preamble_option(tmp_path: Path, capsys) -> None:
    rst = str(FIXTURES / "spinning_up.rst")
    assert main(["check", rst, "--preamble", str(FIXTURES / "spinning_up_macros.tex")]) in (0, 1)
    assert "Deriving the Simplest Policy Gradient" in capsys.readouterr().out
    assert main(["check", rst, "--preamble", str(tmp_path / "absent.tex")]) == 2
    assert "--preamble" in capsys.readouterr().err


def test_an_rst_label_names_the_directive_s_last_step(tmp_path: Path) -> None:
    rst = r""".. math::
   :label: obj

   J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]

.. math::

   J(\theta) = \int p_\theta(\tau) r(\tau) d\tau \quad \text{by \eqref{obj}}
"""
    d = load_derivation(write(tmp_path, "l.rst", rst))
    assert d.steps[1].reference == 1 and d.steps[1].note == "by (obj)"


def test_intertext_approx_and_definitions(tmp_path: Path) -> None:
    tex = r"""\begin{align*}
J(\theta) &:= E_{\tau \sim p_\theta(\tau)}[r(\tau)] \\
\intertext{which, for a continuous $\tau$, is}
&= \int p_\theta(\tau) r(\tau) d\tau \\
\nabla_\theta J(\theta) &\approx \frac{1}{m} \sum_{i=1}^{m}
  \nabla_\theta \log p_\theta(\tau^{(i)}) r(\tau^{(i)})
\end{align*}
"""
    d = load_derivation(write(tmp_path, "i.tex", tex))
    assert [s.line for s in d.steps] == [2, 4, 5]
    assert d.steps[1].note == "which, for a continuous τ, is"
    assert any("≈ is read as a claimed relation" in r for r in d.steps[2].readings)
