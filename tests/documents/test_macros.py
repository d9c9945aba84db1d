"""An author's macros: read as data, expanded by substitution only, bounded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pgproof.files import load_derivation
from pgproof.latex.macros import (
    MAX_DEPTH,
    MacroError,
    MacroTable,
    expand,
    find_definitions,
)

from .conftest import errors_of, write


def table(source: str) -> MacroTable:
    t = MacroTable()
    for found in find_definitions(source):
        assert not isinstance(found, MacroError), found
        t.define(found)
    return t


def run(source: str, text: str) -> str:
    return expand(text, list(range(len(text))), table(source))[0]


@pytest.mark.parametrize(
    ("definitions", "text", "expanded"),
    [
        (r"\newcommand{\E}{\mathbb{E}}", r"\E[x]", r"\mathbb{E}[x]"),
        (r"\newcommand\E{\mathbb{E}}", r"\E_{\tau}", r"\mathbb{E}_{\tau}"),
        (r"\renewcommand{\g}[1]{\nabla_{#1}}", r"\g\theta J + \g{\theta} J",
         r"\nabla_{\theta} J + \nabla_{\theta} J"),
        (r"\newcommand{\p}[1][\tau]{p_\theta(#1)}", r"\p + \p[\tau^{(i)}]",
         r"p_\theta(\tau) + p_\theta(\tau^{(i)})"),
        (r"\newcommand*{\hash}{a ## b}", r"\hash", r"a # b"),
        (r"\DeclareMathOperator{\Var}{Var}", r"\Var", r"\mathrm{Var}"),
        (r"\DeclareMathOperator*{\E}{\mathbb{E}}", r"\E", r"\mathbb{E}"),
        (r"\def\grad#1{\nabla_{#1}}", r"\grad\theta", r"\nabla_{\theta}"),
        (r"\providecommand{\x}{1}\providecommand{\x}{2}", r"\x", "1"),
        (
            r"\newcommand{\underE}[2]{\underset{\begin{subarray}{c}#1 \end{subarray}}"
            r"{\mathbb{E}}\left[ #2 \right]}",
            r"\underE{\tau \sim \pi_{\theta}}{R(\tau)}",
            r"\underset{\begin{subarray}{c}\tau \sim \pi_{\theta} \end{subarray}}{\mathbb{E}}"
            r"\left[ R(\tau) \right]",
        ),
        (r"\newcommand{\a}{\b\b}\newcommand{\b}{x}", r"\a", "xx"),  # nested, defined later
        (r"\newcommand{\E}{E}", r"\\E \Eb", r"\\E \Eb"),  # \\ is a line break; \Eb another name
    ],
)  # fmt: skip
def test_expansion_is_substitution(definitions: str, text: str, expanded: str) -> None:
    assert run(definitions, text) == expanded


def test_each_character_keeps_its_position() -> None:
    t = table(r"\newcommand{\g}[1]{\nabla_{#1}}")
    text = r"a \g{xy} b"
    out, pos = expand(text, [100 + k for k in range(len(text))], t)
    assert out == r"a \nabla_{xy} b"
    assert pos[out.index("x")] == 100 + text.index("x")  # an argument keeps its place
    assert pos[out.index("n")] == 100 + text.index("\\g")  # the body is at the call


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (r"\newcommand{\x}[2]{#3}", r"the body of \x uses #3, but \x has 2 parameter(s)"),
        (r"\newcommand{\x}[12]{}", "n must be a number 0..9"),
        (r"\newcommand{\x{", r"\newcommand{…} must hold one macro name"),
        (r"\newcommand{\x}{unclosed", r"the braces of the body of \x are never closed"),
        (r"\newcommand{\x} 1", r"the body of \x must be in braces"),
        (r"\def\x#1x{#1}", r"pgproof reads only undelimited parameters"),
        (r"\newcommand{\x}[0][d]{a}", r"\x has a default argument but no parameter"),
    ],
)
def test_malformed_definitions_are_errors(source: str, message: str) -> None:
    (found,) = find_definitions(source)
    assert isinstance(found, MacroError) and message in found.message


@pytest.mark.parametrize(
    ("source", "text", "message"),
    [
        (r"\newcommand{\r}{\r}", r"\r", f"expands more than {MAX_DEPTH} levels deep"),
        (r"\newcommand{\x}[2]{#1#2}", r"\x{a}",
         r"\x takes 2 argument(s); the formula ends after 1"),
        (r"\newcommand{\x}[1]{#1}", r"{\x}", r"\x takes 1 argument(s); only 0 are given"),
        (r"\newcommand{\x}[1]{#1}", r"\x{a", r"an argument of \x is never closed"),
    ],
)  # fmt: skip
def test_bad_calls_are_errors(source: str, text: str, message: str) -> None:
    with pytest.raises(MacroError, match=message.replace("\\", "\\\\").replace("(", r"\(")
                       .replace(")", r"\)")):  # fmt: skip
        run(source, text)


def _bomb(levels: int) -> str:
    names = [chr(ord("a") + k) for k in range(levels + 1)]
    defs = r"\newcommand{\a}{xx}"
    for low, high in zip(names, names[1:], strict=False):
        defs += rf"\newcommand{{\{high}}}{{\{low}\{low}\{low}}}"
    return defs, "\\" + names[-1]


def test_a_macro_bomb_is_refused_quickly() -> None:
    defs, call = _bomb(20)  # 3^20 copies if it were expanded
    start = time.monotonic()
    with pytest.raises(MacroError, match="more than 5,000 macro expansions|longer than"):
        run(defs, call)
    assert time.monotonic() - start < 1


def test_a_bomb_that_expands_to_nothing_is_refused_too() -> None:
    defs = r"\newcommand{\z}{}\newcommand{\a}{\z\z}" + "".join(
        rf"\newcommand{{\{chr(98 + k)}}}{{\{chr(97 + k)}\{chr(97 + k)}}}" for k in range(24)
    )  # \y → 2^25 empty expansions
    start = time.monotonic()
    with pytest.raises(MacroError, match="macro expansions"):
        run(defs, r"\z\z\y")
    assert time.monotonic() - start < 1


def test_an_expansion_longer_than_the_limit_is_refused() -> None:
    t = table(r"\newcommand{\x}{" + "y" * 1500 + "}")
    with pytest.raises(MacroError, match="longer than 20,000 characters"):
        expand(r"\x" * 20, [0] * 40, t)


def test_a_macro_bomb_in_a_document_is_one_error_with_file_line_column(tmp_path: Path) -> None:
    defs, call = _bomb(20)
    path = write(tmp_path, "bomb.md", f"$${defs}$$\n\nText.\n\n$$J(\\theta) = {call}$$\n")
    start = time.monotonic()
    (error,) = errors_of(path)
    assert time.monotonic() - start < 2
    assert (error.line, error.column) == (5, 15)
    assert str(error).startswith(f"{path}:5:15: ")
    assert "macro" in error.message


def test_macros_in_a_document_read_as_written(tmp_path: Path) -> None:
    text = r"""\newcommand{\E}{\mathbb{E}}
\newcommand{\grad}{\nabla_\theta}
\newcommand{\ptheta}[1][\tau]{p_\theta(#1)}
\begin{align*}
J(\theta) &= \E_{\tau\sim\ptheta}[r(\tau)] = \int \ptheta r(\tau) d\tau \\
\grad J(\theta) &= \int \grad \ptheta\, r(\tau) d\tau
\end{align*}
\renewcommand{\E}{E}
\[ \grad J(\theta) = \E_{\tau\sim\ptheta}[\grad \log \ptheta\, r(\tau)] \]
"""
    d = load_derivation(write(tmp_path, "m.tex", text))
    assert [s.line for s in d.steps] == [5, 5, 6, 9]
    assert "\\mathbb{E}" in d.steps[0].latex and "E_{" in d.steps[3].latex


def test_an_undefined_macro_is_an_error_that_says_how_to_define_it(tmp_path: Path) -> None:
    (error,) = errors_of(write(tmp_path, "u.md", "$$J(\\theta) = \\Exp[r(\\tau)]$$\n"))
    assert (error.line, error.column) == (1, 15)
    assert "\\Exp is not a command pgproof knows" in error.message
    assert "--preamble" in error.message and "% pgproof: skip" in error.message
    (error,) = errors_of(write(tmp_path, "t.md", "$$\\nabal_\\theta J(\\theta) = 0$$\n"))
    assert "did you mean \\nabla?" in error.message


def test_the_preamble_s_errors_name_the_preamble(tmp_path: Path) -> None:
    preamble = write(tmp_path, "macros.tex", "x\n\\newcommand{\\x}[2]{#3}\n")
    doc = write(tmp_path, "d.md", "$$J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]$$\n")
    (error,) = errors_of(doc, preamble=preamble)
    assert str(error).startswith(f"{preamble}:2:1: the body of \\x uses #3")
