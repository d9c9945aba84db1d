r"""Render a checked derivation to LaTeX: an ``align*`` block, one line per step.

Each line is ``lhs &= rhs && \text{rule}``, with ``\approx`` for estimates and
refused steps marked in red with the subterms that differ. By default the
formulas are printed from the objects pgproof read (so the output shows what
was checked); ``as_written=True`` uses the author's LaTeX instead, with
KaTeX-only spellings (``\textcolor{#eb3a32}``) turned into LaTeX.

Safe by construction: the output is handed to TeX, and derivation files are written by
others.  Every string a user wrote reaches the output through :mod:`pgproof.safety`:
titles, sources, rule names and reasons are escaped (:func:`~pgproof.safety.latex_text`
in text, :func:`~pgproof.safety.latex_comment` in ``%`` lines); a name printed inside a
formula that is not allowlisted LaTeX is printed as escaped text; and every formula —
printed by SymPy or as the author wrote it — must pass
:func:`~pgproof.safety.check_latex` token by token, or :class:`RenderError` is raised and
nothing is rendered.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sympy import Basic
from sympy.printing.latex import LatexPrinter

from pgproof.safety import UnsafeLatex, check_latex, is_safe_latex, latex_comment, latex_text

if TYPE_CHECKING:
    from .report import DerivationReport, StepReport

__all__ = ["PREAMBLE", "RenderError", "formula_latex", "render", "render_document", "text_escape"]


class RenderError(ValueError):
    """A formula that cannot be handed to TeX: ``file:line: step k: what is wrong``."""


PREAMBLE = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage{cancel}
\usepackage[margin=2cm,landscape]{geometry}
\allowdisplaybreaks
\begin{document}
"""


def text_escape(text: str) -> str:
    """Escape plain text for ``\\text{}``; non-ASCII characters are dropped to '?'."""
    return latex_text(text)


class SafeLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, printing a name that is not allowlisted LaTeX as escaped text.

    Names (display names of the notation, symbol names) are the user's strings inside a
    printed formula: ``\\mathbf{s}`` passes, ``\\input{x}`` is printed as escaped text
    (``\\text{\\textbackslash{}input\\{x\\}}``).
    """

    def _print_Str(self, s) -> str:
        return _safe_name(super()._print_Str(s), s.name)

    def _print_Symbol(self, expr, style: str = "plain") -> str:
        return _safe_name(super()._print_Symbol(expr, style), expr.name)


def _safe_name(printed: str, name: str) -> str:
    return printed if is_safe_latex(printed) else r"\text{%s}" % latex_text(name)


def formula_latex(expr: Basic) -> str:
    """``expr`` as LaTeX, checked token by token (raises :class:`UnsafeLatex`)."""
    text = SafeLatexPrinter().doprint(expr)
    check_latex(text)
    return text


def _long_hex(match: re.Match[str]) -> str:
    digits = match.group(2)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return r"\%s[HTML]{%s}" % (match.group(1), digits)


def _katex_to_latex(formula: str) -> str:
    formula = re.sub(
        r"\\(textcolor|color)\s*\{#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})\}", _long_hex, formula
    )
    formula = formula.replace(r"\\", " ").replace("&", " ")
    formula = " ".join(formula.split())  # one line: no line break reaches the output
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


def _checked(text: str, report: DerivationReport, step: StepReport, what: str) -> str:
    """``text`` if it passes the allowlist, else :class:`RenderError` naming file and step."""
    try:
        check_latex(text)
    except UnsafeLatex as exc:
        raise _error(report, step, what, exc) from None
    return text


def _formula(expr: Basic, report: DerivationReport, step: StepReport, what: str) -> str:
    try:
        return formula_latex(expr)
    except UnsafeLatex as exc:
        raise _error(report, step, what, exc) from None


def _error(report: DerivationReport, step: StepReport, what: str, exc: UnsafeLatex) -> RenderError:
    where = report.derivation.file or "<derivation>"
    if step.step.line:
        where += f":{step.step.line}"
    return RenderError(f"{where}: step {step.index}: cannot render {what} as LaTeX: {exc}")


def _line(
    report: DerivationReport, step: StepReport, as_written: bool, previous_lhs: str | None
) -> str:
    relation = r"\approx" if step.estimate else "="
    if as_written and step.step.latex:
        written = _checked(_katex_to_latex(step.step.latex), report, step, "the formula as written")
        lhs, rhs = _split_at_equals(written)
    else:
        lhs = _formula(step.claim.lhs, report, step, "the left side")
        rhs = _formula(step.claim.rhs, report, step, "the right side")
    if lhs and lhs == previous_lhs:
        lhs = ""
    rules = ", ".join(step.step.rules) or "restate"
    note = r"\text{(%d) %s}" % (step.index, latex_text(rules))
    if step.accepted:
        mark = r"\textcolor{green!50!black}{\checkmark}"
    else:
        mark = r"\textcolor{red}{\times\ \text{refused}}"
    line = r"%s &%s %s && %s\ %s" % (lhs, relation, rhs, mark, note)
    if not step.accepted and step.difference is not None:
        ours, theirs = step.difference
        line += r" \\ & && \textcolor{red}{\text{rule gives } %s \neq %s}" % (
            _formula(ours, report, step, "what the rule gives"),
            _formula(theirs, report, step, "the claim's differing part"),
        )
    if not step.accepted:  # reasons as comments above the line (a comment ends the line)
        comments = "".join(f"% reason: {latex_comment(r)}\n  " for r in step.reasons)
        line = comments + line
    return line


def render(report: DerivationReport, *, as_written: bool = False) -> str:
    """The derivation as an ``align*`` block (with a title comment).

    Raises :class:`RenderError` when a formula does not pass the LaTeX allowlist.
    """
    d = report.derivation
    lines: list[str] = []
    previous: str | None = None
    for step in report.steps:
        lines.append(_line(report, step, as_written, previous))
        previous = (
            _formula(step.claim.lhs, report, step, "the left side") if not as_written else None
        )
    body = " \\\\\n  ".join(lines)
    verdict = f"% verdict: {report.verdict}" + (" (unfinished)" if d.unfinished else "")
    return (
        f"% {latex_comment(d.title)}\n% source: {latex_comment(d.source)}\n{verdict}\n"
        "\\begin{align*}\n  " + body + "\n\\end{align*}\n"
    )


def render_document(reports: list[DerivationReport], *, as_written: bool = False) -> str:
    """A standalone LaTeX document with one section per derivation."""
    parts = [PREAMBLE]
    for report in reports:
        d = report.derivation
        parts.append("\\section*{%s}\n" % latex_text(d.title))
        parts.append(
            "Source: \\texttt{%s}. Verdict: \\textbf{%s}%s.\n\n"
            % (
                latex_text(d.source),
                report.verdict,
                " (the write-up is unfinished)" if d.unfinished else "",
            )
        )
        parts.append(render(report, as_written=as_written))
    parts.append("\\end{document}\n")
    return "".join(parts)
