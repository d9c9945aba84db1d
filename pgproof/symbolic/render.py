r"""Render a checked derivation to LaTeX: a fragment, a document, slides, or a notebook cell.

One line per step, ``lhs = rhs`` aligned at the relation, with a mark (✓ accepted, (✓)
accepted but resting on a refused step, ✗ refused, ≈ above ✓ for an estimate) and a short
note in words (``(3) gradient under the integral``).  A refused step has, in red under its
line, what the rule gives against what the claim has, and the reason in words.

Which formula is shown (``form``):

* ``"author"`` (the default): the author's own LaTeX — their term order and spacing —
  wherever the step was read from a file and the formula passes the allowlist; otherwise
  (a derivation built in Python, or a formula the allowlist refuses) what pgproof read,
  printed by SymPy, and the note says so;
* ``"written"``: the author's LaTeX or nothing (:class:`RenderError` when it cannot be
  used), the old ``as_written=True``;
* ``"read"``: what pgproof read, printed by SymPy (its term order).

Where it goes (the ``flavour`` of :func:`render`): ``"fragment"`` is an ``align*`` block
for a LaTeX document that loads amsmath, amssymb, xcolor and cancel (what ``pgproof
render`` prints); :func:`render_document` is a complete article (landscape A4) or, with
``beamer=True``, slides (16:9, a few steps per frame) in which every formula is scaled
down when it is wider than the page; ``"notebook"`` is what Jupyter displays: no ``%``
lines, no ``\cancel`` or ``\intertext`` (neither MathJax nor nbconvert's LaTeX template
has them), only amsmath, amssymb and xcolor.

Safe by construction: the output is handed to TeX, and derivation files are written by
others.  Every string a user wrote reaches the output through :mod:`pgproof.safety`:
titles, sources, rule names and reasons are escaped (:func:`~pgproof.safety.latex_text`
in text, :func:`~pgproof.safety.latex_comment` in ``%`` lines); a name printed inside a
formula that is not allowlisted LaTeX is printed as escaped text; and every formula —
printed by SymPy or as the author wrote it — must pass
:func:`~pgproof.safety.check_latex` token by token before it is used.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sympy import Basic

from pgproof.present.latex_printer import PGLatexPrinter
from pgproof.safety import UnsafeLatex, check_latex, is_safe_latex, latex_comment, latex_text

from .rules import UnknownRule, lookup

if TYPE_CHECKING:
    from .report import DerivationReport, StepReport

__all__ = [
    "FORMS",
    "PREAMBLE",
    "RenderError",
    "StepView",
    "formula_latex",
    "render",
    "render_document",
    "rule_label",
    "step_views",
    "text_escape",
    "unicode_latex_text",
]

#: which formula a rendering shows: see the module docstring
FORMS = ("author", "written", "read")

#: colour of the mark of an accepted step (xcolor syntax; the notebook flavour uses none)
_GREEN = "green!50!black"


class RenderError(ValueError):
    """A formula that cannot be handed to TeX: ``file:line: step k: what is wrong``."""


#: the article's preamble: ``\pgfit{W}{math}`` scales a formula down to width W when it
#: is wider; ``\pgmeasure{math}`` keeps the widest left side in ``\pglhs``
PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage{cancel}
\usepackage{graphicx}
\usepackage[margin=2cm,landscape]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\newlength{\pglhs}\newlength{\pgbox}\newlength{\pgrhs}\newlength{\pgnotewidth}
\setlength{\pgnotewidth}{5.5cm}
\newcommand{\pgfit}[2]{\resizebox{\ifdim\width>#1 #1\else\width\fi}{!}{$\displaystyle #2$}}
\newcommand{\pgmeasure}[1]{\settowidth{\pgbox}{\pgfit{0.3\linewidth}{#1}}%
  \ifdim\pgbox>\pglhs\global\pglhs=\pgbox\fi}
\newcommand{\pgnote}[1]{\parbox[t]{\pgnotewidth}{\raggedright\small #1}}
\begin{document}
"""

#: the slides' preamble (beamer, 16:9)
BEAMER_PREAMBLE = r"""\documentclass[11pt,aspectratio=169]{beamer}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage{cancel}
\usepackage{adjustbox}
\setbeamertemplate{navigation symbols}{}
\begin{document}
"""

#: steps per slide, at most (fewer when notes are long)
SLIDE_STEPS = 3


def text_escape(text: str) -> str:
    """Escape plain text for ``\\text{}``; non-ASCII characters are dropped to '?'."""
    return latex_text(text)


# --------------------------------------------------------------------------- words

def rule_label(name: str) -> str:
    """A rule's short name in words, its registered ``label``: ``grad_under_integral`` →
    "gradient under the integral".

    Aliases resolve to their rule; a name pgproof does not know is shown with spaces for
    underscores.
    """
    with contextlib.suppress(UnknownRule):
        label = lookup(name).label
        if label:
            return label
    return name.replace("_", " ")


#: Unicode that pgproof's own messages use, as LaTeX (text mode)
_UNICODE_LATEX = {
    "θ": r"$\theta$", "τ": r"$\tau$", "π": r"$\pi$", "μ": r"$\mu$", "γ": r"$\gamma$",
    "α": r"$\alpha$", "σ": r"$\sigma$", "ρ": r"$\rho$", "λ": r"$\lambda$", "φ": r"$\phi$",
    "ε": r"$\varepsilon$", "Σ": r"$\Sigma$", "∑": r"$\Sigma$", "∏": r"$\Pi$",
    "∫": r"$\int$", "∇": r"$\nabla$", "∼": r"$\sim$", "≈": r"$\approx$", "≠": r"$\neq$",
    "≤": r"$\leq$", "≥": r"$\geq$", "→": r"$\to$", "⇒": r"$\Rightarrow$",
    "⇔": r"$\Leftrightarrow$", "↔": r"$\leftrightarrow$", "·": r"$\cdot$", "×": r"$\times$",
    "−": "-", "—": "---", "–": "--", "…": r"\dots{}", "’": "'", "‘": "`", "“": "``",
    "”": "''", "∂": r"$\partial$", "∞": r"$\infty$", "∈": r"$\in$", "≟": r"$\overset{?}{=}$",
    "ĝ": r"$\hat{g}$",
}  # fmt: skip


def unicode_latex_text(text: str) -> str:
    """``text`` for LaTeX text mode, like :func:`~pgproof.safety.latex_text`, except that
    the Greek letters and symbols of pgproof's own messages (θ, ∇, ∫, ≠ …) are typeset
    instead of dropped to '?'.  The replacements are fixed strings: nothing of ``text`` is
    read as LaTeX."""
    return "".join(_UNICODE_LATEX.get(ch) or latex_text(ch) for ch in text)


_SCRIPT = re.compile(r"([_^])(\{[^{}]*\}|\([^()]*\)|[^\s{}()|,;:.])")


def _rule_names_pattern() -> re.Pattern[str]:
    from .rules import REGISTRY

    names = set(REGISTRY)
    for rule in REGISTRY.values():
        names.update(rule.aliases)
    words = sorted((n for n in names if "_" in n), key=len, reverse=True)
    return re.compile(r"\b(%s)\b" % "|".join(map(re.escape, words)))


def message_pieces(text: str) -> list[tuple[str, str]]:
    """A message of pgproof's in pieces (kind, text), kind "" for plain text, "sub" or
    "sup" for what ``show`` writes as ``_x``, ``_{t + 1}``, ``^(i)``.  Rule names in it
    (``log_derivative_trick``) are replaced by their words first."""
    text = _rule_names_pattern().sub(lambda m: rule_label(m.group(1)), text)
    pieces: list[tuple[str, str]] = []
    pos = 0
    for match in _SCRIPT.finditer(text):
        if match.start() > pos:
            pieces.append(("", text[pos : match.start()]))
        body = match.group(2)
        if body.startswith("{"):
            body = body[1:-1]
        pieces.append(("sub" if match.group(1) == "_" else "sup", body))
        pos = match.end()
    if pos < len(text):
        pieces.append(("", text[pos:]))
    return pieces


def message_latex(text: str) -> str:
    """A message of pgproof's (a reason, an assumption) for LaTeX text mode, with the
    subscripts and Greek letters of its formulas typeset (see :func:`message_pieces`)."""
    out = []
    for kind, piece in message_pieces(text):
        escaped = unicode_latex_text(piece)
        if kind == "sub":
            escaped = r"\textsubscript{%s}" % escaped
        elif kind == "sup":
            escaped = r"\textsuperscript{%s}" % escaped
        out.append(escaped)
    return "".join(out)


#: Unicode of pgproof's messages, as math-mode LaTeX (for the notebook flavour)
_UNICODE_MATH = {
    "θ": r"\theta", "τ": r"\tau", "π": r"\pi", "μ": r"\mu", "γ": r"\gamma",
    "α": r"\alpha", "σ": r"\sigma", "ρ": r"\rho", "λ": r"\lambda", "φ": r"\phi",
    "ε": r"\varepsilon", "Σ": r"\Sigma", "∑": r"\Sigma", "∏": r"\Pi", "∫": r"\int",
    "∇": r"\nabla", "∼": r"\sim", "≈": r"\approx", "≠": r"\neq", "≤": r"\leq", "≥": r"\geq",
    "→": r"\to", "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "↔": r"\leftrightarrow",
    "·": r"\cdot", "×": r"\times", "∂": r"\partial", "∞": r"\infty", "∈": r"\in",
    "≟": r"\overset{?}{=}", "ĝ": r"\hat{g}", "…": r"\ldots", "|": r"\vert", "<": "<",
    ">": ">", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
    "~": r"\sim", "\\": r"\backslash", "_": r"\_", "^": r"\hat{}",
}  # fmt: skip
_PLAIN = {"−": "-", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"'}
#: what \text{} holds alike in LaTeX and MathJax
_TEXT_SAFE = re.compile(r"[A-Za-z0-9 .,:;()'!?*+=/\[\]\"@-]")


def _math_run(text: str, words: bool) -> str:
    """Plain text as math-mode LaTeX: words in ``\\text{}`` (when ``words``), symbols as
    commands, anything else as '?'."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(r"\text{%s}" % "".join(run) if words else "".join(run))
            run.clear()

    for ch in text:
        ch = _PLAIN.get(ch, ch)
        if _TEXT_SAFE.fullmatch(ch) and (words or ch != " "):
            run.append(ch)
        elif ch in _UNICODE_MATH:
            flush()
            command = _UNICODE_MATH[ch]
            out.append(command + " " if command[-1].isalpha() else command)
        elif ch.isspace() or unicodedata.category(ch)[0] == "C":
            run.append(" ") if words else None
        else:
            run.append("?")
    flush()
    return "".join(out)


def message_math(text: str) -> str:
    """A message of pgproof's as math-mode LaTeX that LaTeX and MathJax both read: words in
    ``\\text{}`` (letters, digits, plain punctuation only), θ ∇ ∫ … as commands, ``_x``
    and ``^(i)`` as scripts.  Nothing of ``text`` is read as LaTeX."""
    return _pieces_math(message_pieces(text))


def message_lines(text: str, width: int) -> list[str]:
    """A message wrapped at about ``width`` characters between words, as
    :func:`message_math` lines (a subscript is never split)."""
    pieces = message_pieces(text)
    tokens: list[tuple[str, str]] = []
    for kind, piece in pieces:
        if kind:
            tokens.append((kind, piece))
        else:
            tokens.extend(("", word) for word in re.split(r"(?<= )", piece) if word)
    lines: list[list[tuple[str, str]]] = [[]]
    length = 0
    for kind, piece in tokens:
        if length + len(piece) > width and lines[-1] and not kind:
            lines.append([])
            length = 0
        lines[-1].append((kind, piece))
        length += len(piece)
    out = []
    for line in lines:
        merged: list[tuple[str, str]] = []
        for kind, piece in line:
            if not kind and merged and not merged[-1][0]:
                merged[-1] = ("", merged[-1][1] + piece)
            else:
                merged.append((kind, piece))
        out.append(_pieces_math(merged))
    return [line for line in out if line]


def _pieces_math(pieces: list[tuple[str, str]]) -> str:
    parts = []
    for kind, piece in pieces:
        if kind:
            parts.append(("_{%s}" if kind == "sub" else "^{%s}") % _math_run(piece, False))
        else:
            parts.append(_math_run(piece, True))
    return "".join(p for p in parts if p)


def failure_message(rule: str, text: str) -> str:
    """A refusal in words: ``rule: text`` becomes ``text (rule: words)``."""
    prefix = f"{rule}: "
    if not text.startswith(prefix):
        return text
    return f"{text[len(prefix) :]} (rule: {rule_label(rule)})"


# --------------------------------------------------------------------------- formulas


class SafeLatexPrinter(PGLatexPrinter):
    """pgproof's LaTeX printer, printing a name that is not allowlisted LaTeX as escaped text.

    Names (display names of the notation, symbol names) are the user's strings inside a
    printed formula: ``\\mathbf{s}`` passes, ``\\input{x}`` is printed as escaped text
    (``\\text{\\textbackslash{}input\\{x\\}}``).  With ``highlight``, every occurrence of
    that subterm is wrapped in ``\\textcolor{pgdiff}{…}`` (the HTML report marks it).
    """

    def __init__(self, settings=None, highlight: Basic | None = None) -> None:
        super().__init__(settings)
        self._highlight = highlight

    def _print(self, expr, **kwargs) -> str:
        text = super()._print(expr, **kwargs)
        if self._highlight is not None and isinstance(expr, Basic) and expr == self._highlight:
            return r"\textcolor{pgdiff}{%s}" % text
        return text

    def _print_Str(self, s) -> str:
        return _safe_name(super()._print_Str(s), s.name)

    def _print_Symbol(self, expr, style: str = "plain") -> str:
        return _safe_name(super()._print_Symbol(expr, style), expr.name)


def _safe_name(printed: str, name: str) -> str:
    return printed if is_safe_latex(printed) else r"\text{%s}" % latex_text(name)


def formula_latex(expr: Basic, highlight: Basic | None = None) -> str:
    """``expr`` as LaTeX, checked token by token (raises :class:`UnsafeLatex`).

    With ``highlight``, that subterm is wrapped in ``\\textcolor{pgdiff}{…}`` wherever it
    occurs (after the check: the wrapper is pgproof's own).
    """
    text = SafeLatexPrinter().doprint(expr)
    check_latex(text)
    if highlight is not None:
        text = SafeLatexPrinter(highlight=highlight).doprint(expr)
    return text


def _long_hex(match: re.Match[str]) -> str:
    digits = match.group(2)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return r"\%s[HTML]{%s}" % (match.group(1), digits.upper())


def katex_to_latex(formula: str) -> str:
    r"""The author's formula as one line of LaTeX: KaTeX's ``\textcolor{#eb3a32}`` becomes
    ``\textcolor[HTML]{EB3A32}``, alignment marks (``&``, ``\\``) and line breaks go, a
    trailing full stop or comma goes.  Not checked: see :func:`pgproof.safety.check_latex`."""
    formula = re.sub(
        r"\\(textcolor|color)\s*\{#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})\}", _long_hex, formula
    )
    formula = formula.replace(r"\\", " ").replace("&", " ")
    formula = " ".join(formula.split())  # one line: no line break reaches the output
    return formula.strip().rstrip(".,").strip()


def split_relation(formula: str) -> tuple[str, str, str]:
    """Split the author's formula at its first top-level ``=`` or ``\\approx``:
    (left side, relation, right side); ("", "=", formula) when there is none."""
    depth = 0
    i = 0
    while i < len(formula):
        c = formula[i]
        if c == "\\" and formula.startswith(r"\approx", i) and depth == 0:
            end = i + len(r"\approx")
            if end >= len(formula) or not formula[end].isalpha():
                return formula[:i].strip(), r"\approx", formula[end:].strip()
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "=" and depth == 0:
            return formula[:i].strip(), "=", formula[i + 1 :].strip()
        i += 1
    return "", "=", formula


def _braced(text: str, start: int) -> int:
    """The index just past the brace group opening at ``text[start]`` (balanced text)."""
    depth = 0
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


_COMMAND = re.compile(r"\\(b?cancel|xcancel|textcolor|color)(?![A-Za-z])\s*")


def portable_latex(formula: str) -> str:
    r"""A checked formula rewritten for MathJax and nbconvert's LaTeX template alike:
    ``\cancel{x}`` (cancel.sty, which neither loads) becomes ``\underbrace{x}_{\text{struck
    out}}``, and the author's colours go (``\textcolor{c}{x}`` → ``{x}``, ``\color{c}`` →
    nothing): MathJax 2 reads ``\color`` differently from LaTeX, and ``[HTML]`` models not
    at all.  pgproof's own ``\textcolor{red}`` marks are added after this."""
    out: list[str] = []
    pos = 0
    for match in _COMMAND.finditer(formula):
        if match.start() < pos:
            continue
        out.append(formula[pos : match.start()])
        command, i = match.group(1), match.end()
        if command in ("color", "textcolor"):
            if formula.startswith("[", i):
                i = formula.index("]", i) + 1
            i = _braced(formula, formula.index("{", i))  # the colour
            out.append(" ")
            pos = i
            continue
        end = _braced(formula, i) if formula.startswith("{", i) else i
        inner = formula[i + 1 : end - 1] if end > i else ""
        out.append(r"\underbrace{%s}_{\text{struck out}}" % portable_latex(inner))
        pos = end
    out.append(formula[pos:])
    return " ".join("".join(out).split())


def _core_colour(text: str) -> str:
    r"""``\textcolor{c}{x}`` → ``{\color{c}{x}}``: the one colour spelling LaTeX (xcolor),
    MathJax 2 without its colour extension (where ``\color`` takes the coloured part as an
    argument) and MathJax 3 (where it is a switch, as in LaTeX) all read alike."""
    out: list[str] = []
    pos = 0
    marker = r"\textcolor{"
    while (start := text.find(marker, pos)) >= 0:
        colour_end = _braced(text, start + len(marker) - 1)
        body_start = colour_end
        body_end = _braced(text, body_start)
        out.append(text[pos:start])
        out.append(
            r"{\color%s{%s}}"
            % (
                text[start + len(marker) - 1 : colour_end],
                _core_colour(text[body_start + 1 : body_end - 1]),
            )
        )
        pos = body_end
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- step views


@dataclass
class StepView:
    """One step, ready to typeset: the formula's sides as checked LaTeX, the mark, the notes.

    Built by :func:`step_views`; the LaTeX renderings here and the HTML report
    (:mod:`pgproof.html`) print the same views.
    """

    index: int
    line: int | None
    #: "accepted", "rejected", "undecided" or "conditional" (accepted, resting on a refused
    #: or undecided step)
    verdict: str
    estimate: bool
    #: the relation pgproof checked: "=" or "≈"
    relation: str
    #: the relation as displayed between ``lhs`` and ``rhs`` (LaTeX)
    relation_latex: str
    lhs: str
    rhs: str
    #: "written" (the author's LaTeX) or "read" (printed by SymPy from what pgproof read)
    origin: str
    #: why the author's LaTeX is not shown although there is one ("" when it is)
    fallback: str = ""
    rules: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    #: the step ``substitute`` uses, and the step the rules start from when not the previous
    reference: int | None = None
    source: int | None = None
    rests_on: tuple[int, ...] = ()
    #: those of ``rests_on`` that are undecided, not refused
    rests_on_undecided: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    #: what the rules give vs the claim's differing part (LaTeX), on a refused step
    difference: tuple[str, str] | None = None
    #: the claim as pgproof read it, with the differing subterm in \textcolor{pgdiff}
    highlighted: tuple[str, str] | None = None
    assumptions: tuple[str, ...] = ()
    readings: tuple[str, ...] = ()
    #: the rules were found by pgproof (the author cited none): ``rules`` are those
    inferred: bool = False
    #: for a step refused as cited: rules that would justify it
    alternative: tuple[str, ...] = ()
    #: the step's comment in the file (``note``)
    note: str = ""

    @property
    def accepted(self) -> bool:
        """Accepted by its rules (also when conditional)."""
        return self.verdict not in ("rejected", "undecided")

    @property
    def premise_words(self) -> str:
        """What the steps this one rests on are: "refused", "undecided", or both."""
        undecided = set(self.rests_on_undecided)
        if not undecided:
            return "refused"
        return "undecided" if undecided == set(self.rests_on) else "refused or undecided"

    @property
    def note_text(self) -> str:
        """``(k) label, label`` in words, with what the step substitutes or starts from."""
        labels = list(self.labels)
        if self.reference is not None and "substitution" in labels:
            at = labels.index("substitution")
            labels[at] = f"substitution of ({self.reference})"
        head = f"({self.index}) " + (", ".join(labels) or "restated")
        if self.inferred:
            head += " (inferred)"
        if self.source is not None:
            head += f", from ({self.source})"
        return head


def _labels(rules: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for name in rules:
        label = rule_label(name)
        if label not in out:
            out.append(label)
    return tuple(out)


def _error(report: DerivationReport, step: StepReport, what: str, exc: UnsafeLatex) -> RenderError:
    where = report.derivation.file or "<derivation>"
    if step.step.line:
        where += f":{step.step.line}"
    return RenderError(f"{where}: step {step.index}: cannot render {what} as LaTeX: {exc}")


def _formula(
    expr: Basic,
    report: DerivationReport,
    step: StepReport,
    what: str,
    highlight: Basic | None = None,
) -> str:
    try:
        return formula_latex(expr, highlight)
    except UnsafeLatex as exc:
        raise _error(report, step, what, exc) from None


def _written(step: StepReport) -> str:
    """The author's formula of a step, checked (raises UnsafeLatex)."""
    written = katex_to_latex(step.step.latex or "")
    check_latex(written)
    return written


def step_views(report: DerivationReport, *, form: str = "author") -> list[StepView]:
    """The steps of a checked derivation, ready to typeset (see :class:`StepView`).

    Raises :class:`RenderError` when a formula cannot be used: with ``form="written"``, an
    author's formula the allowlist refuses; with any form, a formula SymPy prints that it
    refuses.
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    views: list[StepView] = []
    previous: str | None = None
    for step in report.steps:
        read_lhs = _formula(step.claim.lhs, report, step, "the left side")
        read_rhs = _formula(step.claim.rhs, report, step, "the right side")
        relation_latex = r"\approx" if step.estimate else "="
        origin, fallback = "read", ""
        lhs, rhs = read_lhs, read_rhs
        if form != "read" and step.step.latex:
            try:
                written = _written(step)
            except UnsafeLatex as exc:
                if form == "written":
                    raise _error(report, step, "the formula as written", exc) from None
                fallback = f"the formula as written cannot be typeset safely: {exc}"
            else:
                lhs, relation_latex, rhs = split_relation(written)
                origin = "written"
        if origin == "read" and lhs == previous:
            lhs = ""
        previous = read_lhs
        difference = highlighted = None
        if not step.accepted and step.difference is not None:
            ours, theirs = step.difference
            difference = (
                _formula(ours, report, step, "what the rule gives"),
                _formula(theirs, report, step, "the claim's differing part"),
            )
            highlighted = (
                _formula(step.claim.lhs, report, step, "the left side", theirs),
                _formula(step.claim.rhs, report, step, "the right side", theirs),
            )
        source = step.step.source
        inferred = getattr(step, "inferred", None)
        rules = tuple(inferred) if inferred is not None else tuple(step.step.rules)
        alternative = getattr(step, "alternative", None)
        views.append(
            StepView(
                index=step.index,
                line=step.step.line,
                verdict=step.verdict,
                estimate=step.estimate,
                relation=step.relation,
                relation_latex=relation_latex,
                lhs=lhs,
                rhs=rhs,
                origin=origin,
                fallback=fallback,
                rules=rules,
                labels=_labels(rules),
                reference=step.step.reference,
                source=source if isinstance(source, int) else None,
                rests_on=tuple(step.rests_on),
                rests_on_undecided=tuple(step.rests_on_undecided),
                reasons=tuple(failure_message(f.rule, f.text) for f in step.failures)
                if not step.accepted
                else (),
                difference=difference,
                highlighted=highlighted,
                assumptions=tuple(step.assumptions),
                readings=tuple(step.step.readings),
                inferred=inferred is not None,
                alternative=tuple(alternative or ()),
                note=step.step.note,
            )
        )
    return views


# --------------------------------------------------------------------------- LaTeX pieces


def _mark(view: StepView, colour: bool = True) -> str:
    """The mark as math-mode LaTeX."""
    if view.verdict == "rejected":
        mark = r"\textcolor{red}{\times\ \text{refused}}"
    elif view.verdict == "undecided":
        mark = r"\textcolor{orange}{?\ \text{undecided}}"
    else:
        mark = r"\checkmark" if view.verdict == "accepted" else r"(\checkmark)"
        if view.estimate:
            mark = r"\overset{\approx}{%s}" % mark
        if colour and view.verdict == "accepted":
            mark = r"\textcolor{%s}{%s}" % (_GREEN, mark)
    if view.inferred:
        mark += r"\ \text{inferred}"
    return mark


def _side_notes(view: StepView) -> list[str]:
    """What goes under a step, in words (Unicode): refusal, premise, estimate, assumptions."""
    notes: list[str] = []
    if view.verdict == "rejected":
        notes.extend(f"Refused: {reason}" for reason in view.reasons or ("refused",))
        if view.alternative:
            words = ", ".join(rule_label(r) for r in view.alternative)
            notes.append(f"Refused as cited; {words} would justify it.")
    if view.verdict == "undecided":
        notes.extend(f"Undecided: {reason}" for reason in view.reasons or ("undecided",))
    if view.inferred:
        notes.append("Inferred: the author cites no rule; pgproof found the rules shown.")
    if view.verdict == "conditional":
        which = ", ".join(f"({k})" for k in view.rests_on)
        notes.append(
            f"Rests on {view.premise_words} step {which}: the rule holds, the premise is not "
            "established."
            if view.rests_on_undecided
            else f"Rests on refused step {which}: the rule holds, the premise does not."
        )
    if view.estimate and view.accepted:
        notes.append("Estimate: the right side estimates the left, it does not equal it.")
    notes.extend(f"Assumes: {a}" for a in view.assumptions)
    notes.extend(f"Reads: {r}" for r in view.readings)
    if view.fallback:
        notes.append(f"Shown as pgproof read it: {view.fallback}.")
    return notes


def _note_latex(view: StepView) -> str:
    text = unicode_latex_text(view.note_text)
    if view.verdict == "conditional":
        which = ", ".join(f"({k})" for k in view.rests_on)
        text += r"; \textcolor{red}{rests on %s %s}" % (view.premise_words, which)
    return text


def _difference_row(difference: tuple[str, str], flavour: str) -> str:
    ours, theirs = difference
    formula = r"\textcolor{red}{\text{rule gives } %s \neq %s}" % (ours, theirs)
    if flavour == "document":
        formula = r"\pgfit{\pgrhs}{%s}" % formula
    return "& " + formula


def _notes_intertext(view: StepView) -> str:
    notes = _side_notes(view)
    if not notes:
        return ""
    parts = []
    for note in notes:
        text = message_latex(note)
        if note.startswith("Refused"):
            text = r"\textcolor{red}{%s}" % text
        parts.append(text)
    return r"\intertext{\small (%d) %s}" % (view.index, r"\endgraf ".join(parts))


def _rows(views: list[StepView], flavour: str) -> list[str]:
    """The rows of the align* (or aligned) block, one or more per step; a row that starts
    with ``\\intertext`` is a paragraph between rows."""
    rows: list[str] = []
    for view in views:
        lhs, rhs = view.lhs, view.rhs
        difference = view.difference
        if flavour == "notebook":
            lhs, rhs = portable_latex(lhs), portable_latex(rhs)
            if difference is not None:
                difference = (portable_latex(difference[0]), portable_latex(difference[1]))
        if flavour == "document":
            lhs = r"\pgfit{0.3\linewidth}{%s}" % lhs if lhs else ""
            rhs = r"\pgfit{\pgrhs}{%s}" % rhs
        mark = _mark(view, colour=flavour != "notebook")
        if flavour == "document":
            note = r"\pgnote{$%s$\ %s}" % (mark, _note_latex(view))
        elif flavour == "fragment":
            note = r"%s\ \parbox[t]{5.5cm}{\raggedright\small %s}" % (mark, _note_latex(view))
        elif flavour == "slides":
            note = r"%s\ \text{(%d)}" % (mark, view.index)
        else:  # notebook: one line of words, no \parbox (MathJax has none)
            note = r"%s\ %s" % (mark, message_math(view.note_text))
            if view.verdict == "conditional":
                which = ", ".join(f"({k})" for k in view.rests_on)
                note += r"\ \textcolor{red}{\text{rests on %s %s}}" % (view.premise_words, which)
        row = r"%s &%s %s && %s" % (lhs, view.relation_latex, rhs, note)
        if flavour == "fragment" and view.verdict in ("rejected", "undecided"):
            # the reasons also as comments above the line, for who reads the .tex
            comments = "".join(f"% reason: {latex_comment(r)}\n  " for r in view.reasons)
            row = comments + row
        rows.append(row)
        if difference is not None:
            rows.append(_difference_row(difference, flavour))
        if flavour in ("document", "fragment"):
            notes = _notes_intertext(view)
            if notes:
                rows.append(notes)
        elif flavour == "notebook":
            for note in _side_notes(view):
                red = note.startswith("Refused")
                for line in message_lines(note, 90):
                    rows.append("& " + (r"\textcolor{red}{%s}" % line if red else line))
    return rows


def _join_rows(rows: list[str]) -> str:
    """Rows separated by ``\\\\``; an ``\\intertext`` ends its row by itself."""
    out = ""
    for i, row in enumerate(rows):
        out += row
        if i + 1 < len(rows):
            out += "\n  " if row.startswith(r"\intertext") else " \\\\\n  "
    return out


def _header_comments(report: DerivationReport) -> str:
    d = report.derivation
    verdict = f"% verdict: {report.verdict}" + (" (unfinished)" if d.unfinished else "")
    return f"% {latex_comment(d.title)}\n% source: {latex_comment(d.source)}\n{verdict}\n"


def _resolve_form(as_written: bool, form: str | None) -> str:
    if form is None:
        return "written" if as_written else "author"
    if as_written and form != "written":
        raise ValueError("as_written=True and form=%r contradict each other" % form)
    return form


def render(
    report: DerivationReport,
    *,
    as_written: bool = False,
    form: str | None = None,
    flavour: str = "fragment",
) -> str:
    r"""The derivation as an ``align*`` block.

    ``flavour="fragment"`` (the default): for a LaTeX document loading amsmath, amssymb,
    xcolor and cancel, with ``%`` lines for the title, source and verdict; refusal reasons,
    assumptions and readings in ``\intertext`` under their step; notes in a 5.5 cm column.
    ``flavour="notebook"``: what Jupyter shows (see the module docstring).  ``form``: see
    :data:`FORMS` (``as_written=True`` is ``form="written"``).

    Raises :class:`RenderError` when a formula does not pass the LaTeX allowlist.
    """
    if flavour not in ("fragment", "notebook"):
        raise ValueError(f"flavour must be 'fragment' or 'notebook', not {flavour!r}")
    views = step_views(report, form=_resolve_form(as_written, form))
    body = _join_rows(_rows(views, flavour))
    block = "\\begin{align*}\n  " + body + "\n\\end{align*}\n"
    if flavour == "notebook":
        return _core_colour(block)
    return _header_comments(report) + block


def _document_section(report: DerivationReport, form: str) -> str:
    d = report.derivation
    views = step_views(report, form=form)
    parts = [
        "\\section*{%s}\n" % latex_text(d.title),
        "Source: \\texttt{%s}. Verdict: \\textbf{%s}%s.\n\n"
        % (
            latex_text(d.source),
            report.verdict,
            " (the write-up is unfinished)" if d.unfinished else "",
        ),
    ]
    measure = "".join("\\pgmeasure{%s}" % v.lhs for v in views if v.lhs)
    parts.append(
        "\\setlength{\\pglhs}{0pt}%s%%\n"
        "\\setlength{\\pgrhs}{\\dimexpr\\linewidth-\\pglhs-\\pgnotewidth-8em\\relax}%%\n" % measure
    )
    parts.append("\\begin{align*}\n  " + _join_rows(_rows(views, "document")) + "\n\\end{align*}\n")
    return "".join(parts)


def _slide_groups(views: list[StepView]) -> list[list[StepView]]:
    """Steps per slide: at most :data:`SLIDE_STEPS`, fewer when their notes are long."""
    groups: list[list[StepView]] = []
    current: list[StepView] = []
    budget = 0
    for view in views:
        cost = 2 + sum(1 + len(n) // 110 for n in _side_notes(view))
        if view.difference is not None:
            cost += 1
        if current and (len(current) == SLIDE_STEPS or budget + cost > 9):
            groups.append(current)
            current, budget = [], 0
        current.append(view)
        budget += cost
    if current:
        groups.append(current)
    return groups


def _slides(report: DerivationReport, form: str) -> str:
    d = report.derivation
    title = latex_text(d.title)
    verdict = report.verdict + (" (the write-up is unfinished)" if d.unfinished else "")
    frames = [
        "\\begin{frame}{%s}\n  Source: \\texttt{%s}\\\\[1ex]\n  Verdict: \\textbf{%s}, "
        "%d steps.\n\\end{frame}\n" % (title, latex_text(d.source), verdict, len(report.steps))
    ]
    for group in _slide_groups(step_views(report, form=form)):
        first, last = group[0].index, group[-1].index
        steps = f"step {first}" if first == last else f"steps {first}--{last}"
        rows = " \\\\\n    ".join(_rows(group, "slides"))
        notes = []
        for view in group:
            line = unicode_latex_text(view.note_text)
            for note in _side_notes(view):
                text = message_latex(note)
                line += r"\\ \hspace*{1.5em}" + (
                    r"\textcolor{red}{%s}" % text if note.startswith("Refused") else text
                )
            if view.verdict == "conditional":
                line = r"\textcolor{red}{%s}" % line
            notes.append(line)
        frames.append(
            "\\begin{frame}{%s}\n  \\framesubtitle{%s}\n"
            "  \\begin{adjustbox}{max width=\\linewidth, max totalheight=0.5\\textheight, "
            "center}\n  $\\displaystyle\\begin{aligned}\n    %s\n  \\end{aligned}$\n"
            "  \\end{adjustbox}\n  \\vfill\n  {\\footnotesize\\raggedright %s\\par}\n"
            "\\end{frame}\n" % (title, steps, rows, "\\par\n  ".join(notes))
        )
    return "".join(frames)


def render_document(
    reports: list[DerivationReport],
    *,
    as_written: bool = False,
    form: str | None = None,
    beamer: bool = False,
) -> str:
    """A standalone LaTeX document: an article with one section per derivation, or with
    ``beamer=True`` slides (a title frame per derivation, then a few steps per frame).

    Every formula is scaled down when it is wider than the page, rule notes are short and
    wrap, and a refused step has its reason in red under it.
    """
    form = _resolve_form(as_written, form)
    if beamer:
        return BEAMER_PREAMBLE + "".join(_slides(r, form) for r in reports) + "\\end{document}\n"
    parts = [PREAMBLE]
    parts.extend(_document_section(r, form) for r in reports)
    parts.append("\\end{document}\n")
    return "".join(parts)


def render_notebook(report: DerivationReport) -> str:
    """What Jupyter shows for a report as LaTeX (``_repr_latex_``): see the module docstring.

    A formula the allowlist refuses is shown as pgproof read it.
    """
    return render(report, flavour="notebook")
