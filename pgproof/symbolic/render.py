r"""Render a checked derivation to LaTeX: an ``align*`` block, one line per step.

Each line is ``lhs &= rhs && \text{rule}``, with ``\approx`` for estimates and
refused steps marked in red with the subterms that differ. By default the
formulas are printed from the objects pgproof read (so the output shows what
was checked); ``as_written=True`` uses the author's LaTeX instead, with
KaTeX-only spellings (``\textcolor{#eb3a32}``) turned into LaTeX.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sympy import latex

if TYPE_CHECKING:
    from .report import DerivationReport, StepReport

PREAMBLE = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage{cancel}
\usepackage[margin=2cm,landscape]{geometry}
\allowdisplaybreaks
\begin{document}
"""

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
    "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
}  # fmt: skip


def text_escape(text: str) -> str:
    """Escape plain text for ``\\text{}``; non-ASCII characters are dropped to '?'."""
    out = "".join(_TEXT_ESCAPES.get(c, c) for c in text)
    return out.encode("ascii", "replace").decode("ascii")


def _katex_to_latex(formula: str) -> str:
    formula = re.sub(r"\\textcolor\{#([0-9A-Fa-f]{6})\}", r"\\textcolor[HTML]{\1}", formula)
    formula = re.sub(r"\\color\{#([0-9A-Fa-f]{6})\}", r"\\color[HTML]{\1}", formula)
    formula = formula.replace(r"\\", " ").replace("&", " ")
    return formula.strip().rstrip(".,").strip()


def _split_at_equals(formula: str) -> tuple[str, str]:
    """Split the author's formula at its first top-level '='."""
    depth = 0
    for i, c in enumerate(formula):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "=" and depth == 0:
            return formula[:i].strip(), formula[i + 1 :].strip()
    return "", formula


def _line(step: StepReport, as_written: bool, previous_lhs: str | None) -> str:
    relation = r"\approx" if step.estimate else "="
    if as_written and step.step.latex:
        lhs, rhs = _split_at_equals(_katex_to_latex(step.step.latex))
    else:
        lhs, rhs = latex(step.claim.lhs), latex(step.claim.rhs)
    if lhs and lhs == previous_lhs:
        lhs = ""
    rules = ", ".join(step.step.rules) or "restate"
    note = r"\text{(%d) %s}" % (step.index, text_escape(rules))
    if step.accepted:
        mark = r"\textcolor{green!50!black}{\checkmark}"
    else:
        mark = r"\textcolor{red}{\times\ \text{refused}}"
    line = r"%s &%s %s && %s\ %s" % (lhs, relation, rhs, mark, note)
    if not step.accepted and step.difference is not None:
        ours, theirs = step.difference
        line += r" \\ & && \textcolor{red}{\text{rule gives } %s \neq %s}" % (
            latex(ours),
            latex(theirs),
        )
    if not step.accepted:  # reasons as comments above the line (a comment ends the line)
        comments = "".join(f"% reason: {r}".replace("\n", " ") + "\n  " for r in step.reasons)
        line = comments + line
    return line


def render(report: DerivationReport, *, as_written: bool = False) -> str:
    """The derivation as an ``align*`` block (with a title comment)."""
    d = report.derivation
    lines: list[str] = []
    previous: str | None = None
    for step in report.steps:
        lines.append(_line(step, as_written, previous))
        previous = latex(step.claim.lhs) if not as_written else None
    body = " \\\\\n  ".join(lines)
    verdict = f"% verdict: {report.verdict}" + (" (unfinished)" if d.unfinished else "")
    return (
        f"% {d.title}\n% source: {d.source}\n{verdict}\n"
        "\\begin{align*}\n  " + body + "\n\\end{align*}\n"
    )


def render_document(reports: list[DerivationReport], *, as_written: bool = False) -> str:
    """A standalone LaTeX document with one section per derivation."""
    parts = [PREAMBLE]
    for report in reports:
        d = report.derivation
        parts.append("\\section*{%s}\n" % text_escape(d.title))
        parts.append(
            "Source: \\texttt{%s}. Verdict: \\textbf{%s}%s.\n\n"
            % (
                text_escape(d.source),
                report.verdict,
                " (the write-up is unfinished)" if d.unfinished else "",
            )
        )
        parts.append(render(report, as_written=as_written))
    parts.append("\\end{document}\n")
    return "".join(parts)
