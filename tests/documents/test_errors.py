"""A document's errors: all of them in one run, each with file:line:column, never a traceback."""

from __future__ import annotations

import builtins
import time
from pathlib import Path

import pytest
import sympy

from pgproof.cli import main
from pgproof.files import load_derivation

from .conftest import errors_of, write

GOOD = r"J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)]"


def test_every_error_of_a_document_in_one_run(tmp_path: Path, capsys) -> None:
    text = "\n".join(
        [
            f"$${GOOD}$$",  # 1
            r"$$\nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau +$$",
            r"$$= \int p_\theta(\tau) \nabla_\theta \log p_\theta(\tau) r(\tau) d\tau"
            r" % pgproof: by = 'log trick'",
            "$$",
            r"$$J(\theta) = E[r(\tau)] \quad \text{see \eqref{eq:nowhere}}$$",  # 5
            r"$$\nabla_\theta J(\theta) = \nabal_\theta J(\theta)$$",
            r"\[ J(\theta) = E[r(\tau)]",
        ]
    )
    path = write(tmp_path, "many.md", text + "\n")
    errors = errors_of(path)
    found = [(e.line, e.column, e.message.split(":")[0].split(" (")[0]) for e in errors]
    assert found[1:] == [
        (3, 84, "unknown rule 'log trick'"),
        (5, 42, "using must be a step number or a step's label"),
        (6, 29, "\\nabal is not a command pgproof knows"),
        (7, 1, "the display opened with \\[ is never closed"),
    ]
    assert errors[0].line == 2 and errors[0].column is not None  # the dangling '+'
    assert "is what authors call log_derivative_trick" in errors[1].message
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count(f"pgproof: error: {path}:") == 5 and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("$$= " + GOOD.split(" = ")[1] + "$$", "the document's first step starts with '='", (1, 3)),
        (f"$${GOOD} % pgproof: from = 'x\n$$", "cannot read the % pgproof: comment", (1, 64)),
        (f"$${GOOD} % pgproof: form = 1\n$$", "unknown key 'form' (did you mean from?)", (1, 64)),
        (f"$${GOOD}$$\n$${GOOD} % pgproof: from = 'frist'\n$$",
         "from must be \"previous\", \"self\", a step number or a step's label: no step is "
         "labelled",
         (2, 64)),
        (f"$${GOOD} \\label{{a}}$$\n$${GOOD} \\label{{a}}$$",
         "the label 'a' is already step 1's (line 1): labels must differ", (2, 53)),
        (f"$${GOOD} \\label{{3}}$$", "3 cannot be a label: a number names a step", (1, 53)),
        (f"$${GOOD}$$\n$$J(\\theta) = \\int_\\tau p_\\theta(\\tau) r(\\tau) + 1$$",
         "\\int_{\\tau} has no differential d\\tau and its integrand is a sum", (2, 15)),
        (f"$${GOOD} \\quad \\text{{a\x1b[2Jb}}$$", "note contains the control character U+001B",
         (1, 59)),
        ("---\ntitle: \"a\\u001bb\"\n---\n$$" + GOOD + "$$",
         "title contains the control character U+001B", (2, 8)),
    ],
)  # fmt: skip
def test_document_errors(tmp_path: Path, text: str, message: str, where: tuple) -> None:
    errors = errors_of(write(tmp_path, "e.md", text + "\n"))
    assert message in errors[0].message, errors
    assert (errors[0].line, errors[0].column) == where, errors


def test_a_later_label_is_not_an_earlier_step(tmp_path: Path) -> None:
    text = (
        f"$${GOOD} \\quad \\text{{by \\eqref{{b}}}}$$\n"
        f"$$J(\\theta) = \\int p_\\theta(\\tau) r(\\tau) d\\tau \\label{{b}}$$\n"
    )
    (error,) = errors_of(write(tmp_path, "l.md", text))
    assert "using = 'b' names step 2, which comes later" in error.message


def test_a_directive_names_rules_labels_and_terms(tmp_path: Path) -> None:
    text = rf"""\begin{{align}}
{GOOD} \\ % pgproof: label = "obj", by = "definition", from = "self"
&= \int p_\theta(\tau) r(\tau) d\tau % pgproof: by = "expectation_to_integral"
\end{{align}}
\[ \nabla_\theta J(\theta) = \int \nabla_\theta p_\theta(\tau) r(\tau) d\tau
% pgproof: from = "obj", by = ["differentiate_both_sides", "grad_under_integral"], note = "Leibniz"
\]
% pgproof: from = "obj"
"""
    (error,) = errors_of(write(tmp_path, "d.tex", text))
    assert (error.line, error.column) == (8, 12)
    assert "from is a key of a step, not of the document" in error.message
    d = load_derivation(write(tmp_path, "d.tex", text.replace('% pgproof: from = "obj"\n', "")))
    assert [s.rules for s in d.steps] == [
        ("definition",),
        ("expectation_to_integral",),
        ("differentiate_both_sides", "grad_under_integral"),
    ]
    assert d.steps[2].source == 1 and d.steps[2].note == "Leibniz"


def test_a_directive_on_a_line_of_its_own_is_for_the_next_row(tmp_path: Path) -> None:
    text = rf"""\begin{{align*}}
{GOOD} \\
% pgproof: by = "expectation_to_integral"
&= \int p_\theta(\tau) r(\tau) d\tau
\end{{align*}}
"""
    d = load_derivation(write(tmp_path, "d.tex", text))
    assert [s.rules for s in d.steps] == [(), ("expectation_to_integral",)]


def test_a_display_the_author_skips(tmp_path: Path) -> None:
    text = f"$$q = 1 % pgproof: skip\n$$\n$${GOOD}$$\n"
    d = load_derivation(write(tmp_path, "s.md", text))
    assert len(d.steps) == 1 and "marked % pgproof: skip" in d.notes[1]


def test_notes_belong_to_the_step_they_follow(tmp_path: Path) -> None:
    text = (
        r"$$\text{Hence } J(\theta) = E_{\tau \sim p_\theta(\tau)}[r(\tau)] \text{(def)}"
        r" = \int p_\theta(\tau) r(\tau) d\tau \quad \text{(integral)}$$"
    )
    d = load_derivation(write(tmp_path, "n.md", text + "\n"))
    assert [s.note for s in d.steps] == ["Hence; (def)", "(integral)"]


@pytest.fixture
def no_code_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("a document made pgproof execute or sympify text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)


@pytest.mark.parametrize(
    "body",
    [
        r"$$J(\theta) = \input{/etc/passwd}$$",
        r"$$\newcommand{\x}{\write18{touch pwned}}J(\theta) = \x$$",
        r"$$J(\theta) = \csname x\endcsname$$",
        r"$$J(\theta) = \color{red^^5c}r(\tau)$$",
        r"$$J(\theta) = __import__('os').system('touch pwned')$$",
        "$$J(\\theta) = " + "{" * 5000 + "r" + "}" * 5000 + "$$",
        r"$$\def\a{\a\a}J(\theta) = \a$$",
    ],
)
def test_hostile_documents_are_refused_quickly_and_run_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_code_execution: None, body: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "h.md", f"Intro\n\n{body}\n")
    start = time.monotonic()
    errors = errors_of(path)
    assert time.monotonic() - start < 5
    assert errors and all(str(e).startswith(f"{path}:3:") for e in errors), errors
    assert not (tmp_path / "pwned").exists()


def test_a_ten_megabyte_document_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    with open(path, "wb") as handle:
        handle.truncate(10_000_000)
    (error,) = errors_of(path)
    assert "the limit is 2,000,000" in error.message
    (tmp_path / "fifo.tex").unlink(missing_ok=True)


def test_a_document_that_is_a_device_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "zero.tex"
    path.symlink_to("/dev/zero")
    (error,) = errors_of(path)
    assert "is a character device (through a symbolic link), not a regular file" in str(error)
