"""The LaTeX a notebook shows (``_repr_latex_``) typeset by MathJax as Jupyter does
(issue 14, item 4): no ``%`` line shown as text, no command MathJax does not know, no
error.  MathJax 2.7 is Debian's ``libjs-mathjax``, loaded from disk in headless Chromium
with the classic notebook's settings (``processEnvironments``, ``noUndefined``)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pytest

from ..browser import Browser
from .conftest import CONDITIONAL, INFERRED, check_text, seed

MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [['$','$'], ['\\\\(','\\\\)']],
            displayMath: [['$$','$$'], ['\\\\[','\\\\]']],
            processEscapes: true, processEnvironments: true},
  TeX: {extensions: ["AMSmath.js", "AMSsymbols.js", "noErrors.js", "noUndefined.js"]},
  messageStyle: "none"
});
MathJax.Hub.Queue(function () { document.body.setAttribute("data-typeset", "yes"); });
</script>
<script src="%s?config=TeX-AMS_HTML"></script></head>
<body>%s</body></html>
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not MATHJAX.exists():
        if os.environ.get("PGPROOF_REQUIRE_BROWSER"):
            pytest.fail("MathJax (libjs-mathjax) is required (PGPROOF_REQUIRE_BROWSER is set)")
        pytest.skip("MathJax (libjs-mathjax) is not installed")
    session = Browser(tmp_path_factory.mktemp("profile"))
    yield session
    session.close()


def test_mathjax_typesets_the_notebook_latex_cleanly(browser: Browser, tmp_path: Path) -> None:
    reports = [seed("000"), seed("001"), seed("002"), check_text(CONDITIONAL, tmp_path, "c")]
    reports.append(check_text(INFERRED, tmp_path, "i"))
    cells = "".join(f'<div class="cell">{html.escape(r._repr_latex_())}</div>' for r in reports)
    page = tmp_path / "notebook.html"
    page.write_text(PAGE % (MATHJAX.as_uri(), cells), encoding="utf-8")
    browser.open(page.as_uri())
    for _ in range(600):
        if browser.run("return document.body.getAttribute('data-typeset')") == "yes":
            break
        browser.run("return new Promise(r => setTimeout(r, 50))")
    else:
        pytest.fail("MathJax did not finish")
    found = browser.run(
        """
        const cells = [...document.querySelectorAll('div.cell')];
        return {
          typeset: cells.map(c => c.querySelectorAll('.MathJax').length),
          errors: document.querySelectorAll('.MathJax_Error, merror, .noError').length,
          text: document.body.innerText,
          red: [...document.querySelectorAll('.MathJax span')]
                 .filter(s => s.style.color === 'red' && s.textContent.startsWith('\\\\'))
                 .map(s => s.textContent),
        };
        """
    )
    assert all(n >= 1 for n in found["typeset"]), found["typeset"]
    assert found["errors"] == 0
    assert found["red"] == []  # no undefined command (noUndefined shows them in red)
    shown = [line for line in found["text"].splitlines() if "%" in line or "\\" in line]
    assert shown == []
    assert "refused" in found["text"] and "struck out" in found["text"]
