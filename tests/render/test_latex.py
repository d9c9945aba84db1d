"""Slide-ready LaTeX (issue 14, item 2): the author's formulas, rule names in words, the
refusal reason visible in red, conditional and inferred steps marked, notes that wrap; the
article and the beamer slides compiled by pdflatex, with no overfull box, and turned into
PNG pages by pdftoppm whose margins are blank (nothing runs off the page)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pgproof.cli import main
from pgproof.symbolic.render import (
    render,
    render_document,
    render_notebook,
    rule_label,
    split_relation,
)

from .conftest import CONDITIONAL, DERIVATIONS, INFERRED, check_text, require_tool, seed


def _math_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.lstrip().startswith("%")]


def test_rule_notes_are_short_names_in_words() -> None:
    out = render(seed("001"))
    assert r"(12) substitution of (11), gradient of a sum, gradient of a constant is 0" in out
    assert "drop\\_zero\\_gradient" not in out and "grad\\_of\\_sum" not in out
    assert r"\parbox[t]{5.5cm}" in out  # the note wraps in its own column
    assert rule_label("likelihood_ratio_trick") == "log-derivative trick"  # an alias
    assert rule_label("my_own_rule") == "my own rule"


def test_the_authors_term_order_and_spacing_by_default() -> None:
    out = render(seed("000"))
    # as written: p_θ(τ) r(τ) in the author's order, log without SymPy's parentheses
    assert r"\int p_{\theta}(\tau) r(\tau) d \tau" in out
    assert r"\nabla_{\theta} \log p_{\theta}(\tau)" in out
    assert r"\log{\left(" not in out
    read = render(seed("000"), form="read")
    assert r"r\left(\tau\right) p_{\theta}\left(\tau\right)" in read  # SymPy's order
    assert render(seed("000"), as_written=True) == out  # every seed formula is safe


def test_a_refused_step_shows_its_reason_in_red_on_the_page() -> None:
    out = render(seed("001"))
    refused = [line for line in _math_lines(out) if "Refused" in line]
    assert len(refused) == 1 and refused[0].lstrip().startswith(r"\intertext{")
    assert r"\textcolor{red}{Refused: log $\pi$\textsubscript{$\theta$}" in refused[0]
    assert "(rule: gradient of a constant is 0)" in refused[0]
    assert r"\textcolor{red}{\times\ \text{refused}}" in out
    sign = render(check_text_file("sign_error"))
    assert r"\textcolor{red}{\text{rule gives } 1 \neq -1}" in sign


def check_text_file(name: str):
    from pgproof.files import load_derivation
    from pgproof.symbolic.checker import check_derivation

    return check_derivation(load_derivation(DERIVATIONS / "wrong_steps" / f"{name}.pgproof.toml"))


def test_a_conditional_step_is_marked_in_latex(tmp_path: Path) -> None:
    report = check_text(CONDITIONAL, tmp_path)
    assert [s.verdict for s in report.steps] == ["rejected", "accepted", "conditional"]
    for out in (render(report), render_notebook(report), render_document([report])):
        assert r"(\checkmark)" in out
        assert "rests on refused (1)" in out
    slides = render_document([report], beamer=True)
    assert r"(\checkmark)" in slides and "Rests on refused step (1)" in slides


def test_an_inferred_step_is_marked(tmp_path: Path) -> None:
    report = check_text(INFERRED, tmp_path)
    assert report.steps[0].inferred is not None and report.steps[0].accepted
    out = render(report)
    assert r"\text{inferred}" in out and "(inferred)" in out
    assert "log-derivative trick" in out


def test_an_estimate_is_marked() -> None:
    out = render(seed("002"))
    assert out.count(r"\overset{\approx}") == 2  # steps 7 and 13


def test_a_formula_the_allowlist_refuses_is_shown_as_read_with_a_note() -> None:
    from dataclasses import replace

    from pgproof.symbolic.render import RenderError

    report = seed("000")
    first = report.steps[0]
    first.step = replace(first.step, latex=r"J = \textcolor{red^^5cinput^^7bx^^7d}{2}")
    out = render(report)
    assert "Shown as pgproof read it" in out and "^^" not in out
    assert r"J\left(\theta\right) &=" in out  # SymPy's printing of what was read
    with pytest.raises(RenderError, match="step 1: cannot render the formula as written"):
        render(report, as_written=True)


def test_split_relation() -> None:
    assert split_relation(r"a = \frac{b}{c} = d") == ("a", "=", r"\frac{b}{c} = d")
    approx = split_relation(r"\nabla J \approx \frac{1}{m}")
    assert approx == (r"\nabla J", r"\approx", r"\frac{1}{m}")
    assert split_relation(r"= x") == ("", "=", "x")
    assert split_relation(r"x_{a=b}") == ("", "=", r"x_{a=b}")


def test_the_notebook_latex_has_no_comment_lines_and_no_cancel() -> None:
    out = render_notebook(seed("001"))
    assert "%" not in out
    assert r"\cancel" not in out and r"\underbrace{" in out and r"\text{struck out}" in out
    assert r"\intertext" not in out and r"\parbox" not in out
    assert r"\color{yellow}" not in out  # the author's colours go: MathJax 2 reads \color otherwise
    assert r"{\color{red}{\text{Refused: log }\pi _{\theta }\text{(a}_{t}\vert" in out
    assert r"\textcolor" not in out  # MathJax 2 has no \textcolor without its extension
    assert r"\text{(1) definition}" in out


# --------------------------------------------------------------------------- compiled


def _compile(tex: str, folder: Path, name: str) -> str:
    require_tool("pdflatex", "PGPROOF_REQUIRE_LATEX")
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
         f"{name}.tex"],
        cwd=folder, capture_output=True, text=True, errors="replace", timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    log = (folder / f"{name}.log").read_text(errors="replace")
    assert result.returncode == 0, result.stdout[-3000:]
    return log


def _pages(pdf: Path, dpi: int) -> list[tuple[int, int, bytes]]:
    """The PDF's pages as 8-bit grey pixels (pdftoppm -gray: PGM files)."""
    require_tool("pdftoppm", "PGPROOF_REQUIRE_LATEX")
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), str(pdf), str(prefix)], check=True, timeout=300
    )
    pages = []
    for pgm in sorted(pdf.parent.glob(prefix.name + "-*.pgm")):
        data = pgm.read_bytes()
        match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
        assert match, pgm
        width, height = int(match.group(1)), int(match.group(2))
        pages.append((width, height, data[match.end() : match.end() + width * height]))
    return pages


def _ink_in_margins(page: tuple[int, int, bytes], margin: int) -> list[str]:
    width, height, pixels = page
    where = []
    for y in range(height):
        row = pixels[y * width : (y + 1) * width]
        if y < margin or y >= height - margin:
            if min(row) < 200:
                where.append(f"row {y}")
        elif min(row[:margin]) < 200 or min(row[width - margin :]) < 200:
            where.append(f"row {y} at the side")
    return where


def _overfull(log: str) -> list[str]:
    return re.findall(r"Overfull \\[hv]box[^\n]*", log)


@pytest.mark.parametrize("form", ["author", "read"])
def test_the_article_compiles_and_nothing_runs_off_the_page(tmp_path: Path, form: str) -> None:
    reports = [seed("000"), seed("001"), seed("002"), check_text(CONDITIONAL, tmp_path)]
    log = _compile(render_document(reports, form=form), tmp_path, "article")
    assert _overfull(log) == []
    pages = _pages(tmp_path / "article.pdf", 40)
    assert len(pages) >= 4
    for number, page in enumerate(pages, 1):
        # A4 landscape at 40 dpi, 2 cm margins (the page number sits 1 cm above the bottom
        # edge): nothing within 0.8 cm of an edge
        assert _ink_in_margins(page, 13) == [], f"page {number}"


def test_the_beamer_slides_compile_and_every_frame_fits(tmp_path: Path) -> None:
    path = tmp_path / "slides.tex"
    assert main(["render", str(DERIVATIONS), "--beamer", "-o", str(path)]) == 0
    log = _compile(path.read_text(encoding="utf-8"), tmp_path, "slides")
    assert _overfull(log) == []
    pages = _pages(tmp_path / "slides.pdf", 60)
    frames = path.read_text(encoding="utf-8").count(r"\begin{frame}")
    assert len(pages) == frames >= 13
    for number, page in enumerate(pages, 1):
        assert page[0] > page[1]  # 16:9
        # 160 mm × 90 mm at 60 dpi: nothing within 2.5 mm of an edge
        assert _ink_in_margins(page, 6) == [], f"slide {number}"


def test_a_long_formula_is_scaled_down_to_fit(tmp_path: Path) -> None:
    terms = " + ".join(rf"\log \pi_\theta(a_{{{k}}}|s_{{{k}}})" for k in range(1, 40))
    text = CONDITIONAL.replace(
        r"\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau",
        rf"\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau + {terms}",
    )
    report = check_text(text, tmp_path)
    for beamer in (False, True):
        name = "long_slides" if beamer else "long_article"
        log = _compile(render_document([report], beamer=beamer), tmp_path, name)
        assert _overfull(log) == [], name
