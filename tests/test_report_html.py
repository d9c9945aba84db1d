"""`pgproof report` (issue 14, item 1): one self-contained HTML page, loaded in a real
headless Chromium (Debian's package, driven through chromedriver): no console error, no
network request, every step typeset, refused steps with their reason and highlighted
subterm, and a screenshot that shows the steps.  Hostile strings stay text."""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement

import pytest

from pgproof.cli import main
from pgproof.html.mathml import _write, latex_to_mathml

from .browser import Browser

ROOT = Path(__file__).resolve().parent.parent
DERIVATIONS = ROOT / "derivations"

HOSTILE = r"""title = "<script>alert('title')</script> & \"quotes\" <img src=x onerror=alert(1)>"
source = "</p><iframe src='http://example.invalid/'></iframe>"
notes = ["<style>body { display: none }</style>"]

[notation]
state = "s"
action = "a"

[[step]]
formula = '\nabla_\theta p_\theta(\tau) = -p_\theta(\tau) \nabla_\theta \log p_\theta(\tau)'
by = "log_derivative_trick"
from = "self"
note = "<a href='javascript:alert(1)'>click</a>"
"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(DERIVATIONS), "-o", str(out), "--samples", "4000"]) == 0
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    session = Browser(tmp_path_factory.mktemp("profile"))
    yield session
    session.close()


def _refused_in(folder: Path) -> int:
    import pgproof

    return sum(
        not step.accepted
        for path in folder.rglob("*.pgproof.toml")
        for step in pgproof.check(path).steps
    )


def _steps_in(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*.pgproof.toml"):
        total += len(re.findall(r"(?m)^\[\[step\]\]", path.read_text(encoding="utf-8")))
    return total


@pytest.mark.extra("plots")  # the report's plots
def test_the_report_is_one_self_contained_file(report_file: Path) -> None:
    page = report_file.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert """content="default-src 'none'; img-src data:; style-src 'unsafe-inline'""" in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "url(" not in page
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert page.count('<tr class="pg-step ') == _steps_in(DERIVATIONS)
    assert page.count("<math") >= _steps_in(DERIVATIONS)
    assert "<h2>Estimators</h2>" in page and "pg-diff" in page
    assert page.count('class="pg-refusal"') == _refused_in(DERIVATIONS)  # one per refused step


def test_the_command_line_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    path = DERIVATIONS / "wrong_steps" / "sign_error.pgproof.toml"
    assert main(["report", str(path), "-o", str(out), "--no-numeric"]) == 0
    line = capsys.readouterr().out
    assert line.startswith(f"wrote {out} (") and "1 derivation(s), 1 as expected, 0 plot(s)" in line
    assert main(["report", str(tmp_path / "missing.pgproof.toml"), "-o", str(out)]) == 2
    assert main(["report", str(path), "-o", str(tmp_path / "no" / "r.html")]) == 2


def test_the_mathml_writer_cannot_emit_markup() -> None:
    text = latex_to_mathml(r"x + \text{<script>alert(1)</script> <b>}")
    assert "<script" not in text and "<b>" not in text and "&lt;script&gt;" in text
    with pytest.raises(ValueError):
        latex_to_mathml(r"\input{x}")
    root = Element("math")
    script = SubElement(root, "script", {"onload": "alert(1)", "mathcolor": 'red" onclick="x'})
    script.text = "alert(1)"
    SubElement(root, "mi", {"mathvariant": "normal", "href": "javascript:alert(1)"}).text = "<"
    out: list[str] = []
    _write(root, out)
    written = "".join(out)
    assert written == (
        '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>alert(1)</mrow>'
        '<mi mathvariant="normal">&lt;</mi></math>'
    )


def test_hostile_strings_are_text(tmp_path: Path, browser: Browser) -> None:
    path = tmp_path / "hostile.pgproof.toml"
    path.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    # refused (a sign error) and not expected to be: exit status 1, the page written
    assert main(["report", str(path), "-o", str(out), "--no-numeric"]) == 1
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x" not in page and "<iframe" not in page
    assert "href='javascript" not in page and "<style>body { display" not in page
    browser.open(out.as_uri())
    found = browser.run(
        "return [document.querySelectorAll('script, iframe, img, a[href^=javascript]').length,"
        " document.querySelector('h2').textContent, document.body.offsetHeight]"
    )
    assert found[0] == 0
    assert found[1].startswith("<script>alert('title')</script> & \"quotes\" <img src=x")
    assert found[2] > 200  # the injected style did not hide the page
    assert [e for e in browser.console() if e["level"] in ("SEVERE", "WARNING")] == []


@pytest.mark.extra("plots")  # the report's plots (and Pillow, to read the screenshot)
def test_the_report_loads_in_chromium_and_shows_the_steps(
    report_file: Path, browser: Browser, tmp_path: Path
) -> None:
    browser.open(report_file.as_uri())
    assert [e for e in browser.console() if e["level"] in ("SEVERE", "WARNING")] == []
    fetched = browser.run(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:'))"
    )
    assert fetched == []  # nothing loaded at view time
    layout = browser.run(
        """
        const rows = [...document.querySelectorAll('tr.pg-step')];
        const sized = rows.filter(r => {
          const m = r.querySelector('td.pg-formula math');
          if (!m) return false;
          const box = m.getBoundingClientRect();
          return box.width > 20 && box.height > 10;
        });
        const refusals = [...document.querySelectorAll('.pg-refusal')]
          .filter(e => e.getBoundingClientRect().height > 10);
        const images = [...document.images].filter(i => i.complete && i.naturalWidth > 300);
        const marked = [...document.querySelectorAll('.pg-diff')]
          .filter(e => getComputedStyle(e).backgroundColor !== 'rgba(0, 0, 0, 0)');
        return {rows: rows.length, sized: sized.length, refusals: refusals.length,
                images: images.length, marked: marked.length,
                mathml: MathMLElement !== undefined};
        """
    )
    assert layout["mathml"] and layout["rows"] == _steps_in(DERIVATIONS)
    assert layout["sized"] == layout["rows"]  # every formula laid out as MathML
    assert layout["refusals"] == _refused_in(DERIVATIONS) and layout["marked"] >= 1
    assert layout["images"] == 5  # the final estimates of 002, 004, 005 and 006, and the estimators

    from PIL import Image

    shot = browser.screenshot("#d2 table.pg-steps")  # seed 001: refused at step 12
    (tmp_path / "steps.png").write_bytes(shot)
    image = Image.open(io.BytesIO(shot)).convert("L")
    width, height = image.size
    assert width > 800 and height > 12 * 35  # twelve steps, each a row of formula
    pixels = image.tobytes()
    assert sum(p < 128 for p in pixels) / len(pixels) > 0.01  # ink: text and formulas
    rows_with_ink = sum(min(pixels[y * width : (y + 1) * width]) < 128 for y in range(height))
    assert rows_with_ink > height / 3
    rgb = Image.open(io.BytesIO(shot)).convert("RGB").tobytes()
    reds = sum(
        r > 150 and g < 90 and b < 90
        for r, g, b in zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
    )
    assert reds > 50  # the ✗ and the refusal in red
