r"""LaTeX → MathML for the HTML report, through a path that cannot inject markup.

The LaTeX is the author's formula or SymPy's printing of what pgproof read; either must
first pass :func:`pgproof.safety.check_latex` (the allowlist of math commands).  It is
parsed by latex2mathml into an element tree — latex2mathml's own ``convert()`` is *not*
used: it un-escapes its serialised output, so ``\text{<b>}`` would come out as markup.
pgproof serialises the tree itself:

* only MathML elements on :data:`ELEMENTS` are written; any other element becomes an
  ``mrow`` of its children (so ``menclose``, which browsers do not draw, becomes an ``mrow``
  with a CSS class: ``\cancel`` is a strike drawn by the style sheet);
* only attributes on :data:`ATTRIBUTES` are kept, each value checked against a pattern
  (colours: a name or ``#hex``; pgproof's ``\textcolor{pgdiff}`` becomes ``class="pg-diff"``);
* every text node is HTML-escaped (after latex2mathml's own character references are
  resolved), and so is every attribute value.

Nothing in the output can be an element, an attribute or an entity that the checks did
not write: no script, no event handler, no link.
"""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element

from pgproof.safety import check_latex

__all__ = ["ATTRIBUTES", "ELEMENTS", "MathMLError", "latex_to_mathml"]

#: MathML elements written as they are (MathML Core, which browsers draw)
ELEMENTS = frozenset(
    (
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
        "munder", "mover", "munderover", "mfrac", "msqrt", "mroot", "mstyle", "mtable", "mtr",
        "mtd", "mpadded", "mphantom",
    )
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_LENGTH = re.compile(r"[-+]?[0-9.]*(em|ex|px|pt|mu|%)?|[a-z]+")
_BOOLEAN = re.compile(r"true|false")
_COLOUR = re.compile(r"[A-Za-z]+|#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}")

#: attributes kept, with the pattern their value must match in full
ATTRIBUTES = {
    "display": re.compile(r"block|inline"),
    "mathvariant": _WORD,
    "stretchy": _BOOLEAN,
    "fence": _BOOLEAN,
    "separator": _BOOLEAN,
    "accent": _BOOLEAN,
    "accentunder": _BOOLEAN,
    "movablelimits": _BOOLEAN,
    "largeop": _BOOLEAN,
    "symmetric": _BOOLEAN,
    "displaystyle": _BOOLEAN,
    "form": re.compile(r"prefix|infix|postfix"),
    "lspace": _LENGTH,
    "rspace": _LENGTH,
    "width": _LENGTH,
    "height": _LENGTH,
    "depth": _LENGTH,
    "minsize": _LENGTH,
    "maxsize": _LENGTH,
    "linethickness": _LENGTH,
    "scriptlevel": re.compile(r"[-+]?[0-9]"),
    "columnalign": re.compile(r"(left|center|right)( (left|center|right))*"),
    "rowspacing": re.compile(r"[0-9. a-z]*"),
    "columnspacing": re.compile(r"[0-9. a-z]*"),
    "mathcolor": _COLOUR,
    "mathbackground": _COLOUR,
}

#: pgproof's own marker colour for the subterm where a refused step differs
DIFF_COLOUR = "pgdiff"

_HTML_COLOUR = re.compile(r"\\(textcolor|color)\[HTML\]\{([0-9A-Fa-f]{6})\}")


class MathMLError(ValueError):
    """LaTeX that cannot be converted (it fails the allowlist, or latex2mathml fails)."""


def _text(value: str | None) -> str:
    return html.escape(html.unescape(value or ""), quote=True)


def _attributes(element: Element, tag: str) -> tuple[list[str], list[str]]:
    out: list[str] = []
    classes: list[str] = []
    for name, value in sorted(element.attrib.items()):
        if name == "mathcolor" and value == DIFF_COLOUR:
            classes.append("pg-diff")
            continue
        if name == "notation" and tag == "menclose":
            if "strike" in value:
                classes.append("pg-cancel")
            continue
        pattern = ATTRIBUTES.get(name)
        if pattern is None or not pattern.fullmatch(value):
            continue
        out.append(f' {name}="{_text(value)}"')
    return out, classes


def _write(element: Element, out: list[str]) -> None:
    tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else "mrow"
    attributes, classes = _attributes(element, tag)
    if tag not in ELEMENTS:
        tag = "mrow"
    if tag == "mi" and (element.text or "").strip() == "~":  # latex2mathml's \sim
        tag, element_text = "mo", "\u223c"
    else:
        element_text = element.text
    if classes:
        attributes.append(f' class="{" ".join(classes)}"')
    if tag == "math":
        attributes.insert(0, ' xmlns="http://www.w3.org/1998/Math/MathML"')
    out.append(f"<{tag}{''.join(attributes)}>")
    out.append(_text(element_text))
    children = list(element)
    for i, child in enumerate(children):
        _write(child, out)
        out.append(_text(child.tail))
        if _is_function_name(child) and i + 1 < len(children):
            following = children[i + 1]
            if not (following.tag == "mo" and (following.text or "") in _OPENING):
                out.append('<mspace width="0.1667em"></mspace>')  # \log x: a thin space
    out.append(f"</{tag}>")


#: what may follow a function name without the thin space (as in TeX: \log(x))
_OPENING = {"(", "[", "{", "&#x00028;", "&#x0005B;", "&#x0007B;"}


def _is_function_name(element: Element) -> bool:
    """An ``mi`` of several letters: latex2mathml's \\log, \\exp, \\max …"""
    text = element.text or ""
    return element.tag == "mi" and len(text) > 1 and text.isalpha()


def latex_to_mathml(latex: str, *, display: bool = False) -> str:
    """``latex`` (checked against the allowlist first) as a ``<math>`` element's markup.

    Raises :class:`MathMLError` when the allowlist refuses it or it cannot be converted.
    """
    from latex2mathml.converter import convert_to_element

    try:
        check_latex(latex)
    except ValueError as exc:
        raise MathMLError(str(exc)) from None
    prepared = _HTML_COLOUR.sub(lambda m: r"\%s{#%s}" % (m.group(1), m.group(2)), latex)
    try:
        root = convert_to_element(prepared, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml's own errors have no common base class
        raise MathMLError(f"cannot convert to MathML: {type(exc).__name__}: {exc}") from None
    out: list[str] = []
    _write(root, out)
    return "".join(out)
