"""`pgproof render` output is safe to compile: hostile derivations, compiled with pdflatex.

Each test compiles in a scratch folder that holds a canary file, with shell escape off and
``-recorder`` (pdflatex lists every file it opened in ``job.fls``), and asserts that TeX
wrote no file but its own (.aux, .log, .pdf), never opened the canary or /etc/passwd, and
that the canary's content is not in the PDF.  A positive control compiles the raw
payload the same way and shows that the harness sees the attack.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pgproof.cli import main
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.render import RenderError, render, render_document

FILES = Path(__file__).parent / "files"
#: digits: no kerning between them in Computer Modern, so they stay one string in the PDF
CANARY = "86753091235813213455"
PAYLOAD = (
    r"\immediate\write18{touch pwned}\newwrite\f\immediate\openout\f=written.tex"
    r"\immediate\write\f{x}\immediate\closeout\f\input{canary.txt}"
)
OWN_OUTPUTS = {"job.aux", "job.log", "job.pdf", "job.fls"}

pytestmark = pytest.mark.skipif(
    shutil.which("pdflatex") is None and not os.environ.get("PGPROOF_REQUIRE_LATEX"),
    reason="pdflatex is not installed",
)


@dataclass
class Compiled:
    returncode: int
    log: str
    new_files: set[str]
    opened: set[str]
    written: set[str]
    pdf_text: str

    def assert_nothing_leaked(self) -> None:
        assert self.new_files <= OWN_OUTPUTS, f"TeX wrote {self.new_files - OWN_OUTPUTS}"
        assert {Path(p).name for p in self.written} <= OWN_OUTPUTS, self.written
        read = {p for p in self.opened if p.endswith(("canary.txt", "passwd"))}
        assert not read, f"TeX read {read}"
        assert CANARY not in self.pdf_text
        assert "root:" not in self.pdf_text


def _pdf_text(pdf: bytes) -> str:
    """The PDF with its compressed streams inflated (enough to find a string of digits)."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts).decode("latin-1")


def compile_latex(folder: Path, tex: str) -> Compiled:
    """Compile ``tex`` as folder/job.tex next to a canary file; what did TeX touch?"""
    (folder / "canary.txt").write_text(CANARY + "\n", encoding="utf-8")
    (folder / "job.tex").write_text(tex, encoding="utf-8")
    before = set(os.listdir(folder))
    result = subprocess.run(
        ["pdflatex", "-no-shell-escape", "-recorder", "-interaction=nonstopmode",
         "-halt-on-error", "job.tex"],
        cwd=folder, capture_output=True, text=True, errors="replace", timeout=120,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    fls = (folder / "job.fls").read_text(errors="replace") if (folder / "job.fls").exists() else ""
    opened = {line[6:] for line in fls.splitlines() if line.startswith("INPUT ")}
    written = {line[7:] for line in fls.splitlines() if line.startswith("OUTPUT ")}
    pdf = folder / "job.pdf"
    return Compiled(
        result.returncode,
        result.stdout,
        set(os.listdir(folder)) - before,
        opened,
        written,
        _pdf_text(pdf.read_bytes()) if pdf.exists() else "",
    )


def test_the_harness_sees_an_injection(tmp_path: Path) -> None:
    """Positive control: the raw payload, compiled the same way, is caught."""
    tex = "\\documentclass{article}\\begin{document}\n" + PAYLOAD + "\n\\end{document}\n"
    compiled = compile_latex(tmp_path, tex)
    assert "written.tex" in compiled.new_files
    assert any(p.endswith("canary.txt") for p in compiled.opened)
    assert CANARY in compiled.pdf_text
    with pytest.raises(AssertionError):
        compiled.assert_nothing_leaked()


def test_the_harness_sees_a_comment_ended_by_a_newline(tmp_path: Path) -> None:
    """Positive control for issue 10 (a): what the old renderer wrote for a title."""
    tex = "\\documentclass{article}\\begin{document}\n% title\n" + PAYLOAD + "\n\\end{document}\n"
    compiled = compile_latex(tmp_path, tex)
    assert CANARY in compiled.pdf_text and "written.tex" in compiled.new_files


@pytest.mark.parametrize("as_written", [False, True])
def test_a_title_and_source_full_of_tex_compile_inert(tmp_path: Path, as_written: bool) -> None:
    tex = tmp_path / "job.tex"
    args = [
        "render",
        "--standalone",
        "-o",
        str(tex),
        str(FILES / "title_tex_specials.pgproof.toml"),
    ]
    assert main(args + (["--as-written"] if as_written else [])) == 0
    compiled = compile_latex(tmp_path, tex.read_text(encoding="utf-8"))
    assert compiled.returncode == 0, compiled.log[-2000:]
    compiled.assert_nothing_leaked()
    assert "immediate" in compiled.pdf_text  # the title is printed, as text


@pytest.fixture
def hostile_derivation(monkeypatch: pytest.MonkeyPatch) -> Derivation:
    """Built in Python past every check on names (the loader's and Notation's own, switched
    off here): the renderer alone must cope, as a second line of defence."""
    monkeypatch.setattr(Notation, "_check_names", lambda self: None)
    notation = Notation(state=r"\input{canary.txt}", policy="\\pi\n" + PAYLOAD)
    p = notation.density_of()
    steps = (
        Step(lhs=p, rhs=p * 2, rules=("definition",), source="self"),  # refused: prints states
    )
    title = "harmless\n" + PAYLOAD + "\r" + PAYLOAD + "\u2028^^5cinput^^7bcanary.txt^^7d"
    return Derivation(title, "source\n" + PAYLOAD, notation, steps)


def test_render_alone_escapes_titles_names_and_reasons(
    tmp_path: Path, hostile_derivation: Derivation
) -> None:
    report = check_derivation(hostile_derivation)
    assert not report.steps[0].accepted
    text = render_document([report])
    for line in text.splitlines():  # the payload is only ever inert: in a comment, or escaped
        if not line.lstrip().startswith("%"):
            assert "\\input{" not in line and "\\openout" not in line, line
    compiled = compile_latex(tmp_path, text)
    assert compiled.returncode == 0, compiled.log[-2000:]
    compiled.assert_nothing_leaked()


def test_render_refuses_a_formula_the_allowlist_rejects(hostile_derivation: Derivation) -> None:
    report = check_derivation(hostile_derivation)
    step = report.steps[0].step
    hostile = Step(
        lhs=step.lhs, rhs=step.rhs, rules=step.rules, source="self",
        latex=r"p = \textcolor{red^^5cinput^^7bcanary.txt^^7d}{2p}", line=7,
    )  # fmt: skip
    report.steps[0].step = hostile
    with pytest.raises(RenderError, match=r"step 1: cannot render the formula as written"):
        render(report, as_written=True)


@pytest.mark.parametrize(
    "name",
    ["colour_hat_notation", "colour_argument", "definecolor_argument"],
)
def test_as_written_colour_tricks_are_refused_and_nothing_is_written(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "job.tex"
    path = FILES / f"{name}.pgproof.toml"
    # the reader refuses what render could not print: check and render alike
    for args in (["check"], ["render", "--as-written", "--standalone", "-o", str(out)]):
        assert main([*args, str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"pgproof: error: {path}:")
        assert "^^ notation" in err or "colour argument" in err
    assert not out.exists()


def test_the_seeds_as_written_compile_without_touching_other_files(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "job.tex"
    args = ["render", "--as-written", "--standalone", "-o", str(out), str(root / "derivations")]
    assert main(args) == 0
    compiled = compile_latex(tmp_path, out.read_text(encoding="utf-8"))
    assert compiled.returncode == 0, compiled.log[-2000:]
    compiled.assert_nothing_leaked()
