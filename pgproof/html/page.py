"""The HTML report: one self-contained page, or a fragment for Jupyter.

Per derivation: its title, source and verdict; a table of its steps, each typeset (MathML,
:mod:`.mathml`) with its mark — ✓ accepted, (✓) accepted but resting on a refused step, ✗
refused, ≈ an estimate, and an "inferred" tag when a step carries one — its rules in
words (and their code names), and its numeric verdict when there is one; under a refused
step, in red, the reason, what the rule gives against what the claim has, and the claim
as pgproof read it with the differing subterm highlighted; assumptions and readings in
grey; numeric witnesses in a fold-out.  Then the final estimate's test, and the estimator
plots (PNG, inline as ``data:`` URIs).

Self-contained and inert: the style sheet is inline, images are ``data:`` URIs, there is
no script, font or link to load, and a Content-Security-Policy (``default-src 'none'``)
forbids the browser to fetch anything or run anything even if it were there.  Every string
from a derivation file — title, source, file name, notes, rule names, reasons, witnesses —
is HTML-escaped; formulas pass the LaTeX allowlist and a MathML writer that escapes every
text node (:mod:`.mathml`).

This module imports no numeric code: it prints results computed by the caller
(``pgproof report``, or ``_repr_html_`` for Jupyter).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from pgproof.symbolic.render import (
    RenderError,
    StepView,
    message_pieces,
    rule_label,
    step_views,
)

from .mathml import MathMLError, latex_to_mathml

if TYPE_CHECKING:
    from pgproof.symbolic.report import DerivationReport

__all__ = [
    "CSP",
    "Entry",
    "Figure",
    "derivation_html",
    "notebook_html",
    "report_page",
]

#: the page's Content-Security-Policy: nothing is fetched, nothing runs
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_MARKS = {"accepted": "✓", "conditional": "(✓)", "rejected": "✗", "undecided": "?"}
_VERDICT_WORDS = {
    "accepted": "accepted",
    "conditional": "accepted by its rule, but rests on a refused or undecided step",
    "rejected": "refused",
    "undecided": "undecided: its work budget was spent first",
}
#: numeric verdicts (pgproof.bridge.report) → mark and CSS class
_NUMERIC = {
    "confirmed": ("✓", "pg-ok"),
    "refuted": ("✗", "pg-bad"),
    "true but not proved": ("≟", "pg-warn"),
    "not evaluated": ("?", ""),
    "not compared": ("–", ""),
    "CHECKER BUG": ("!!!", "pg-bad"),
}


def esc(text: object) -> str:
    """Any value as escaped HTML text."""
    return html.escape(str(text), quote=True)


def style() -> str:
    """The report's style sheet."""
    return resources.files("pgproof.html").joinpath("style.css").read_text(encoding="utf-8")


@dataclass
class Figure:
    """A plot for the report: PNG bytes, a caption, and the numbers as text."""

    png: bytes
    caption: str
    text: str = ""
    alt: str = "plot of the estimators' running-mean error and variance"


@dataclass
class Entry:
    """One derivation's results: its report, and its numeric results when computed."""

    report: DerivationReport
    #: pgproof.bridge.report.NumericReport, or None
    numeric: Any = None
    #: pgproof.bridge.final_estimate.FinalEstimate, or None
    final: Any = None
    figures: list[Figure] = field(default_factory=list)


def message_html(text: str) -> str:
    """A message of pgproof's as HTML: escaped, with its subscripts as <sub>/<sup>."""
    out = []
    for kind, piece in message_pieces(text):
        piece = esc(piece)
        out.append(f"<{kind}>{piece}</{kind}>" if kind else piece)
    return "".join(out)


def _math(latex: str, display: bool = False) -> str:
    try:
        return latex_to_mathml(latex, display=display)
    except MathMLError as exc:
        return f'<code class="pg-bad">formula not shown: {esc(exc)}</code>'


def _equation(lhs: str, relation: str, rhs: str) -> str:
    """A step's formula: inline MathML (left-aligned), shown in display style by the CSS."""
    return _math(f"{lhs} {relation} {rhs}".strip())


def _mark_cell(view: StepView) -> str:
    mark = _MARKS[view.verdict]
    title = _VERDICT_WORDS[view.verdict]
    if view.estimate and view.accepted:
        mark = "≈" + mark
        title += "; an estimate (≈): the right side estimates the left"
    tags = '<span class="pg-tag">inferred</span>' if view.inferred else ""
    return f'<td class="pg-mark" title="{esc(title)}">{esc(mark)}{tags}</td>'


def _rule_cell(view: StepView) -> str:
    words = esc(view.note_text.partition(") ")[2])
    codes = esc(("inferred: " if view.inferred else "") + (", ".join(view.rules) or "restate"))
    return f'<td class="pg-rule">{words}<code>{codes}</code></td>'


def _numeric_cell(step: Any | None) -> str:
    if step is None:
        return '<td class="pg-numeric"></td>'
    mark, css = _NUMERIC.get(step.verdict, ("?", ""))
    out_of = step.requested or step.trials
    if step.verdict == "confirmed":
        words = f"equal on {step.trials} of {out_of} {getattr(step, 'problems', 'MDPs')}"
    elif step.verdict == "refuted":
        words = "numerically false"
    else:
        words = step.verdict
    if step.estimate and step.verdict == "confirmed":
        words += " (in expectation)"
    return f'<td class="pg-numeric {css}">{esc(mark)} {esc(words)}</td>'


def _details(view: StepView, numeric: Any | None) -> str:
    parts: list[str] = []
    if view.verdict == "rejected":
        box = ["<p><strong>✗ Refused.</strong></p>"]
        box += [f"<p>{message_html(reason)}</p>" for reason in view.reasons]
        if view.alternative:
            words = ", ".join(rule_label(r) for r in view.alternative)
            box.append(f"<p>Refused as cited; {esc(words)} would justify it.</p>")
        if view.difference is not None:
            ours, theirs = view.difference
            box.append(f"<p>The rule gives {_math(ours)} where the claim has {_math(theirs)}.</p>")
        if view.highlighted is not None and "pgdiff" in "".join(view.highlighted):
            lhs, rhs = view.highlighted
            box.append(
                "<p>The claim as pgproof read it, the differing part marked: "
                f"{_math(f'{lhs} {view.relation_latex} {rhs}' if lhs else rhs)}</p>"
            )
        parts.append('<div class="pg-refusal">' + "".join(box) + "</div>")
    if view.verdict == "undecided":
        box = ["<p><strong>? Undecided.</strong></p>"]
        box += [f"<p>{message_html(reason)}</p>" for reason in view.reasons]
        parts.append('<div class="pg-refusal">' + "".join(box) + "</div>")
    if view.verdict == "conditional":
        which = ", ".join(f"({k})" for k in view.rests_on)
        premise = "the premise does not" if not view.rests_on_undecided else (
            "the premise is not established"
        )
        parts.append(
            f'<div class="pg-conditional-note">(✓) Rests on {esc(view.premise_words)} step '
            f"{esc(which)}: the rule holds, {premise}.</div>"
        )
    if view.inferred:
        parts.append(
            '<p class="pg-note">Inferred: the author cites no rule; pgproof found the rules '
            "shown.</p>"
        )
    if view.estimate and view.accepted:
        parts.append(
            '<p class="pg-note">≈ Estimate: the right side estimates the left, it does not '
            "equal it.</p>"
        )
    parts += [f'<p class="pg-note">Assumes: {message_html(a)}</p>' for a in view.assumptions]
    parts += [f'<p class="pg-note">Reads: {message_html(r)}</p>' for r in view.readings]
    if view.fallback:
        parts.append(f'<p class="pg-note">Shown as pgproof read it: {esc(view.fallback)}.</p>')
    if view.note:
        parts.append(f'<p class="pg-note">Note: {esc(view.note)}</p>')
    if numeric is not None and (numeric.verdict != "confirmed" or numeric.side_conditions):
        lines = "\n".join(line.strip("\n") for line in numeric.text_lines())
        open_ = " open" if numeric.witness is not None or numeric.loud else ""
        what = "numeric check and witness" if numeric.witness is not None else "numeric check"
        parts.append(
            f"<details{open_}><summary>{esc(what)}</summary><pre>{esc(lines)}</pre></details>"
        )
    if not parts:
        return ""
    return f'<tr class="pg-detail"><td></td><td></td><td colspan="3">{"".join(parts)}</td></tr>'


def _steps_table(views: list[StepView], numeric: Any | None) -> str:
    numeric_steps = {s.index: s for s in numeric.steps} if numeric is not None else {}
    rows = [
        '<table class="pg-steps"><thead><tr><th></th><th>step</th><th>claim</th>'
        "<th>rule</th><th>" + ("numeric" if numeric is not None else "") + "</th></tr></thead>"
        "<tbody>"
    ]
    for view in views:
        step_numeric = numeric_steps.get(view.index)
        line = f"line {view.line}" if view.line else ""
        rows.append(
            f'<tr class="pg-step pg-{view.verdict}" title="{esc(line)}">'
            f"{_mark_cell(view)}"
            f'<td class="pg-index">({view.index})</td>'
            f'<td class="pg-formula">{_equation(view.lhs, view.relation_latex, view.rhs)}</td>'
            f"{_rule_cell(view)}{_numeric_cell(step_numeric)}</tr>"
        )
        rows.append(_details(view, step_numeric))
    rows.append("</tbody></table>")
    return "".join(rows)


def _badge(verdict: str, unfinished: bool = False) -> str:
    words = verdict.upper() + (" (unfinished)" if unfinished else "")
    return f'<span class="pg-badge pg-{esc(verdict)}">{esc(words)}</span>'


def _figure_html(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    text = f"<pre>{esc(figure.text)}</pre>" if figure.text else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(figure.alt)}">'
        f"<figcaption>{esc(figure.caption)}</figcaption>{text}</figure>"
    )


def derivation_html(
    entry: Entry | DerivationReport, *, form: str = "author", anchor: str = "", level: int = 2
) -> str:
    """One derivation's section (see the module docstring)."""
    if not isinstance(entry, Entry):
        entry = Entry(entry)
    report = entry.report
    d = report.derivation
    try:
        views = step_views(report, form=form)
    except RenderError:  # only with form="written": show what pgproof read instead
        views = step_views(report, form="read")
    expected = "as expected" if report.as_expected else "NOT AS EXPECTED"
    expected_css = "pg-expected" if report.as_expected else "pg-unexpected"
    ident = f' id="{esc(anchor)}"' if anchor else ""
    parts = [
        f"<section{ident}><h{level}>{esc(d.title)}{_badge(report.verdict, d.unfinished)}"
        f'<span class="pg-badge {expected_css}">{esc(expected)}</span></h{level}>',
        f'<p class="pg-meta">source: {esc(d.source)}'
        + (f" · file: <code>{esc(d.file)}</code>" if d.file else "")
        + f" · {esc(report.expectation)}</p>",
    ]
    parts.extend(f'<p class="pg-note">{esc(n)}</p>' for n in d.notes)
    parts.append(_steps_table(views, entry.numeric))
    if entry.numeric is not None:
        bugs = entry.numeric.checker_bugs
        summary = (
            f"numeric check: {entry.numeric.trials} random "
            f"{getattr(entry.numeric, 'problems', 'MDPs')} per step, seed "
            f"{entry.numeric.seed}; "
            + (
                f"CHECKER BUG at step(s) {', '.join(str(s.index) for s in bugs)}"
                if bugs
                else "no checker bug"
            )
        )
        css = "pg-bad" if bugs else "pg-meta"
        parts.append(f'<p class="{css}">{esc(summary)}</p>')
    if entry.final is not None:
        css = "pg-bad" if entry.final.biased else "pg-meta"
        parts.append(
            f"<h{level + 1}>Final estimate</h{level + 1}>"
            f'<pre class="{css}">{esc(entry.final.text().strip())}</pre>'
        )
    parts.extend(_figure_html(f) for f in entry.figures)
    parts.append("</section>")
    return "".join(parts)


def notebook_html(report: DerivationReport) -> str:
    """What Jupyter shows for a report (``_repr_html_``): its section, with the style."""
    return f'<div class="pgproof"><style>{style()}</style>{derivation_html(report, level=3)}</div>'


def _summary_table(entries: Sequence[Entry]) -> str:
    rows = [
        '<table class="pg-summary"><thead><tr><th>derivation</th><th>verdict</th>'
        "<th>expected</th><th>steps</th><th>numeric</th></tr></thead><tbody>"
    ]
    for i, entry in enumerate(entries, 1):
        report = entry.report
        refused = [s.index for s in report.steps if s.rejected or s.undecided]
        verdict = report.verdict + (f" at step {refused[0]}" if refused else "")
        numeric = ""
        expected = {"as expected": "yes", "undecided": "undecided"}.get(report.outcome, "NO")
        if entry.numeric is not None:
            bugs = len(entry.numeric.checker_bugs)
            numeric = f"{bugs} checker bug(s)"
        rows.append(
            f'<tr><td><a href="#d{i}">{esc(report.derivation.title)}</a></td>'
            f"<td>{esc(verdict)}</td>"
            f"<td>{expected}</td>"
            f"<td>{len(report.steps)}</td><td>{esc(numeric)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


_LEGEND = (
    "✓ accepted · (✓) accepted by its rule but resting on a refused step · ✗ refused · "
    "? undecided (the step's work budget was spent first) · "
    "≈ an estimate (the right side estimates the left) · numeric: ✓ equal on random MDPs, "
    "✗ numerically false (with a witness), ≟ true but not proved by the cited rule, "
    "? not evaluated"
)


def report_page(
    entries: Sequence[Entry],
    *,
    title: str = "pgproof report",
    form: str = "author",
    figures: Sequence[Figure] = (),
    command: str = "",
    errors: Sequence[str] = (),
    generated: datetime | None = None,
) -> str:
    """The whole report as one self-contained HTML page."""
    from pgproof import __version__

    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>body {{ margin: 1.5rem 2rem; }}\n{style()}</style>"
        "</head>"
    )
    body = [
        '<body><main class="pgproof">',
        f"<h1>{esc(title)}</h1>",
        f'<p class="pg-meta">pgproof {esc(__version__)} · {esc(when)}'
        + (f" · <code>{esc(command)}</code>" if command else "")
        + "</p>",
        _summary_table(entries),
        f'<p class="pg-legend">{esc(_LEGEND)}</p>',
    ]
    body.extend(f'<p class="pg-bad">unusable: {esc(error)}</p>' for error in errors)
    for i, entry in enumerate(entries, 1):
        body.append(derivation_html(entry, form=form, anchor=f"d{i}"))
    if figures:
        body.append("<section><h2>Estimators</h2>")
        body.extend(_figure_html(f) for f in figures)
        body.append("</section>")
    body.append("</main></body></html>\n")
    return head + "".join(body)
