"""pgproof.safety and pgproof.output: the LaTeX allowlist, escaping, and terminal output."""

from __future__ import annotations

import io
import sys

import pytest

from pgproof.latex.prescan import KNOWN_COMMANDS
from pgproof.output import SafeStream, ascii_degrade, is_unicode_stream, safe_streams
from pgproof.safety import (
    ALLOWED_COMMANDS,
    UnsafeLatex,
    check_latex,
    control_character,
    is_safe_latex,
    latex_comment,
    latex_text,
    terminal_text,
)

SAFE = [
    r"J\left(\theta\right) = \mathbb{E}_{\tau \sim p_{\theta}\left(\tau\right)}\left[r\right]",
    r"\nabla_{\theta} \log{\left(p \right)} \, d\tau",
    r"\textcolor[HTML]{eb3a32}{p_{\theta}(\tau)} \color{red!50!black} x",
    r"\definecolor{mine}{rgb}{0.1,0.2,0.3} \textcolor{mine}{x}",
    r"\sum_{\substack{t=1 \\ t'=t}}^{T} \cancel{\nabla \log corr(s_{1})} + \{a\} \% \# \_",
    r"\text{(1) log\_derivative\_trick} \quad \frac{1}{m}",
]

UNSAFE = {
    # (formula, what the message says)
    "input": (r"x \input{/etc/passwd}", r"\\input is not an allowed"),
    "write18": (r"\immediate\write18{touch x}", r"\\immediate is not an allowed"),
    "catcode": (r"\catcode`\^=7", r"\\catcode"),
    "csname": (r"\csname input\endcsname{x}", r"\\csname"),
    "makeatletter": (r"\makeatletter", r"\\makeatletter"),
    "def": (r"\def\x{y}", r"\\def"),
    "hat_backslash": (r"x^^5cinput{y}", r"\^\^ notation"),
    "hat_brace": (r"\textcolor{red^^7d}{x}", r"\^\^ notation"),
    "hat_newline": ("x ^^J y", r"\^\^ notation"),
    "colour_arg": (r"\textcolor{red\input x}{y}", r"may only hold"),
    "colour_space": (r"\color{red black}", r"may only hold"),
    "colour_model": (r"\color[HT ML]{ff0000}", r"colour model"),
    "colour_unbraced": (r"\color red", r"needs its colour in braces"),
    "definecolor_spec": (r"\definecolor{a}{HTML}{ff\x00}", r"may only hold"),
    "definecolor_missing": (r"\definecolor{a}{HTML}", r"needs its colour in braces"),
    "comment": ("x % comment", r"comment character"),
    "parameter": ("#1", r"macro parameter"),
    "math_shift": ("$x$", r"math shift"),
    "alignment": ("a & b", r"alignment"),
    "newline": ("a\nb", r"control character U\+000A"),
    "carriage_return": ("a\rb", r"control character U\+000D"),
    "escape": ("a\x1b[31mb", r"control character U\+001B"),
    "non_ascii": ("θ", r"non-ASCII character U\+03B8"),
    "unbalanced_close": ("a}b{", r"never opened"),
    "unbalanced_open": ("{{a}", r"left open"),
    "trailing_backslash": ("a\\", r"backslash ends"),
    "control_symbol": (r"\@x", r"\\@ is not an allowed"),
    "begin": (r"\begin{verbatim}", r"\\begin"),
}


@pytest.mark.parametrize("text", SAFE)
def test_allowlisted_latex_passes(text: str) -> None:
    check_latex(text)
    assert is_safe_latex(text)


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_dangerous_latex_is_refused_with_a_column(case: str) -> None:
    text, message = UNSAFE[case]
    with pytest.raises(UnsafeLatex, match=message) as info:
        check_latex(text)
    assert 1 <= info.value.column <= len(text) + 1  # one past the end: "missing"
    assert not is_safe_latex(text)


def test_every_command_the_grammar_reads_is_reviewed_for_rendering() -> None:
    """A command added to the grammar must be added to the render allowlist on purpose."""
    assert sorted(KNOWN_COMMANDS - ALLOWED_COMMANDS) == []


def test_the_allowlist_has_no_primitive_that_reads_writes_or_redefines() -> None:
    for name in ("input", "include", "write", "openout", "openin", "read", "immediate",
                 "csname", "catcode", "def", "let", "makeatletter", "special", "string",
                 "expandafter", "newcommand", "renewcommand", "usepackage", "begin", "end",
                 "verb", "url", "lowercase", "uppercase", "scantokens", "directlua"):  # fmt: skip
        assert name not in ALLOWED_COMMANDS


def test_latex_text_escapes_every_special_character() -> None:
    hostile = "a\\b{c}$d&e#f%g_h^^5ci~j<k>l|m\nn\ro"
    out = latex_text(hostile)
    assert "^^" not in out and "\n" not in out and "\r" not in out
    for special in "{}$&#%_":
        assert f"\\{special}" in out
    assert r"\textbackslash{}" in out and r"\^{}\^{}5c" in out
    assert latex_text("θ café") == "? caf?"


def test_latex_comment_cannot_end_its_line() -> None:
    text = "title\n\\input{x}\rmore\x0bx\x0cy\x85z\u2028w"
    out = latex_comment(text)
    assert all(ch not in out for ch in "\n\r\x0b\x0c\x85\u2028")
    assert "\\input{x}" in out  # inert inside the comment
    assert latex_comment("∇ log π") == "∇ log π"


def test_terminal_text_shows_escape_sequences_instead_of_obeying_them() -> None:
    assert terminal_text("plain\ttext\n") == "plain\ttext\n"
    assert terminal_text("\x1b[2Jred") == "\\x1b[2Jred"
    assert terminal_text("a\rb") == "a\\x0db"
    assert terminal_text("\rbar", leading_return=True) == "\rbar"
    assert terminal_text("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert terminal_text("\x9b31m") == "\\x9b31m"


def test_control_character_names_the_first_one() -> None:
    assert control_character("fine\ttext") is None
    assert control_character("two\nlines") == "U+000A LINE FEED"
    assert control_character("two\nlines", allow_newlines=True) is None
    assert control_character("ansi\x1b[0m").startswith("U+001B")
    assert control_character("bidi\u202e").startswith("U+202E")


class _Stream(io.StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def test_output_degrades_to_ascii_when_the_stream_cannot_encode_utf8() -> None:
    ascii_stream = _Stream("ascii")
    assert not is_unicode_stream(ascii_stream) and is_unicode_stream(_Stream("utf-8"))
    SafeStream(ascii_stream).write("✓ step 1  ∇_θ J(θ) = E_{τ∼p_θ(τ)} ≠ ∫ — ok ☃\n")
    out = ascii_stream.getvalue()
    out.encode("ascii")
    assert out == "[ok] step 1  grad_theta J(theta) = E_{tau~p_theta(tau)} != Int -- ok \\u2603\n"
    assert ascii_degrade("café θ", "latin-1") == "café theta"


def test_safe_streams_neutralise_and_restore(capsys: pytest.CaptureFixture[str]) -> None:
    before = sys.stdout
    with safe_streams():
        print("title \x1b[31mred\x1b[0m")
        print("\x07bell", file=sys.stderr)
    assert sys.stdout is before
    captured = capsys.readouterr()
    assert captured.out == "title \\x1b[31mred\\x1b[0m\n"
    assert captured.err == "\\x07bell\n"
