r"""Where the maths is in a document: display and inline regions, front matter, the title.

What counts as maths, by format:

* **LaTeX** (``.tex``): ``\[…\]``, ``$$…$$``, and the environments ``equation``,
  ``align``, ``gather``, ``multline``, ``flalign``, ``eqnarray``, ``alignat``,
  ``displaymath`` (starred or not) are displays; ``$…$`` and ``\(…\)`` are inline.
  ``%`` comments and ``verbatim``-like environments are not read as text; a comment
  ``% pgproof: key = value`` outside maths is front matter.
* **Markdown** (``.md``, and a notebook's Markdown cells): the same delimiters (as MathJax
  and KaTeX read them); fenced code blocks, code spans and HTML comments are skipped; a
  ``---`` block at the very top is front matter (YAML-like ``key: value`` lines, the
  pgproof keys at the top level or under ``pgproof:``).
* **reStructuredText** (``.rst``): the ``.. math::`` directive (each paragraph of its
  content is one display; ``:label:`` names it) and the ``:math:`…``` role; a comment
  block ``.. pgproof:`` is front matter.

Only displays are read as derivation steps; inline maths is evidence of the notation.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .source import Located

__all__ = ["Extracted", "FrontItem", "Region", "extract"]

#: display environments (the starred forms too)
MATH_ENVIRONMENTS = frozenset(
    {"equation", "align", "gather", "multline", "flalign", "eqnarray", "alignat", "displaymath"}
)
#: longest title kept
MAX_TITLE = 200

_OPENER = re.compile(r"\$\$|\\\[|\\\(|\\begin\s*\{(?P<env>[A-Za-z]+\*?)\}|\$")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
_KEY_VALUE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<key>[A-Za-z_][\w.\-]*)[ \t]*(?P<sep>[:=])[ \t]*(?P<value>.*?)[ \t]*$"
)


@dataclass
class Region:
    """Maths in the document: a display or an inline formula."""

    kind: str  # "display" or "inline"
    #: offset of the opening delimiter
    start: int
    #: what is between the delimiters
    content: Located
    #: the environment (align*, equation …) for \begin…\end displays, else the delimiter
    env: str
    #: a label given outside the maths (reStructuredText's :label:)
    label: str | None = None
    #: offset of that label
    label_pos: int = 0


@dataclass
class FrontItem:
    """One ``key: value`` of the front matter, with the offsets of the key and the value."""

    key: str
    value: str
    key_pos: int
    value_pos: int
    #: the key was written under ``pgproof:`` (or in a pgproof-only block)
    namespaced: bool = True


@dataclass
class Extracted:
    """What the reader needs from a document, in document order."""

    regions: list[Region] = field(default_factory=list)
    front: list[FrontItem] = field(default_factory=list)
    title: str | None = None
    title_pos: int = 0
    #: stretches of text outside maths where LaTeX macro definitions may appear (LaTeX
    #: only), each with the offset where it starts
    preamble: list[tuple[int, str]] = field(default_factory=list)
    #: (message, offset) of what could not be read
    errors: list[tuple[str, int]] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def _escaped(text: str, pos: int) -> bool:
    """Whether the character at ``pos`` is escaped by an odd run of backslashes."""
    count = 0
    while pos - count - 1 >= 0 and text[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span blanked (newlines kept, so offsets and lines stay)."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def _unescaped_find(text: str, needle: str, pos: int, stop: int | None = None) -> int:
    while True:
        k = text.find(needle, pos, len(text) if stop is None else stop)
        if k < 0 or not _escaped(text, k):
            return k
        pos = k + 1


class _Next:
    """The next (unescaped, with ``escapes``) ``needle`` of a text at or after a position,
    remembered: the searches of a scan that moves forward cost one pass over the text in
    all, however often the same stretch is asked about (ten thousand ``\\(`` never closed,
    or single ``$`` in a paragraph that never ends)."""

    def __init__(self, text: str, needle: str, escapes: bool = True) -> None:
        self.text, self.needle, self.escapes = text, needle, escapes
        self.asked = -1  # where the last search started
        self.found = -1  # what it found (-1: nothing after it)

    def find(self, pos: int, stop: int | None = None) -> int:
        """The first occurrence at or after ``pos`` (and ending by ``stop``), else -1."""
        if not (self.asked >= 0 and self.asked <= pos and (self.found < 0 or self.found >= pos)):
            self.asked = pos
            if self.escapes:
                self.found = _unescaped_find(self.text, self.needle, pos)
            else:
                self.found = self.text.find(self.needle, pos)
        if self.found < 0 or (stop is not None and self.found + len(self.needle) > stop):
            return -1
        return self.found


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``offset`` lies in one of ``spans`` (in order, not overlapping)."""
    k = bisect_right(spans, (offset, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= offset < spans[k][1]


def _clean_title(raw: str) -> str:
    title = re.sub(r"\\[A-Za-z]+\*?", " ", raw)
    title = re.sub(r"[{}]", "", title)
    title = " ".join(title.split())
    return title[: MAX_TITLE - 1] + "…" if len(title) > MAX_TITLE else title


# --------------------------------------------------------------------------- maths regions


def _regions(text: str, masked: str, inline_dollars: bool, out: Extracted) -> list[tuple[int, int]]:
    """Find the maths of ``masked`` (``text`` with comments and code blanked); return the
    spans they occupy."""
    spans: list[tuple[int, int]] = []
    closing_paren = _Next(masked, "\\)")
    dollar = _Next(masked, "$")
    blank_line = _Next(masked, "\n\n", escapes=False)
    pos = 0
    while (m := _OPENER.search(masked, pos)) is not None:
        start, opener = m.start(), m.group()
        if _escaped(masked, start):
            pos = start + 1
            continue
        env = m.group("env")
        if env is not None:
            if env.rstrip("*") not in MATH_ENVIRONMENTS:
                pos = m.end()
                continue
            closer = re.compile(r"\\end\s*\{" + re.escape(env) + r"\}")
            end_match = closer.search(masked, m.end())
            if end_match is None:
                out.errors.append((f"\\begin{{{env}}} is never closed by \\end{{{env}}}", start))
                break
            inner_start = m.end()
            if env.rstrip("*") == "alignat":  # \begin{alignat}{2}
                arg = re.match(r"\s*\{\s*\d+\s*\}", masked[inner_start:])
                inner_start += arg.end() if arg else 0
            out.regions.append(
                Region("display", start, Located.span(text, inner_start, end_match.start()), env)
            )
            spans.append((start, end_match.end()))
            pos = end_match.end()
            continue
        if opener in ("$$", "\\["):
            close = "$$" if opener == "$$" else "\\]"
            end = _unescaped_find(masked, close, m.end())
            if end < 0:
                shown = "$$" if opener == "$$" else "\\["
                out.errors.append((f"the display opened with {shown} is never closed", start))
                break
            out.regions.append(Region("display", start, Located.span(text, m.end(), end), opener))
            spans.append((start, end + len(close)))
            pos = end + len(close)
            continue
        if opener == "\\(":
            end = closing_paren.find(m.end())
            if end < 0:
                pos = m.end()
                continue
            out.regions.append(Region("inline", start, Located.span(text, m.end(), end), "\\("))
            spans.append((start, end + 2))
            pos = end + 2
            continue
        # a single $: inline maths up to the next $ of the same paragraph
        paragraph_end = blank_line.find(m.end())
        end = dollar.find(m.end(), None if paragraph_end < 0 else paragraph_end)
        if not inline_dollars or end < 0 or end == m.end():
            pos = m.end()
            continue
        out.regions.append(Region("inline", start, Located.span(text, m.end(), end), "$"))
        spans.append((start, end + 1))
        pos = end + 1
    return spans


# --------------------------------------------------------------------------- front matter


def _key_values(
    lines: list[tuple[str, int]], namespaced: bool, out: Extracted, *, nested: bool
) -> None:
    """``key: value`` / ``key = value`` lines (each with its offset) into front items.

    With ``nested``, a top-level ``pgproof:`` key opens a block of indented pgproof keys."""
    in_block = False
    block_indent = 0
    for line, offset in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _KEY_VALUE.match(line)
        if m is None:
            if not (in_block and line.startswith((" ", "\t"))):
                in_block = False
            continue
        indent = len(m.group("indent"))
        key, value = m.group("key"), m.group("value")
        key_pos = offset + m.start("key")
        value_pos = offset + m.start("value")
        if nested and indent == 0 and key == "pgproof" and not value:
            in_block, block_indent = True, -1
            continue
        if nested and in_block:
            if indent == 0:
                in_block = False
            else:
                if block_indent < 0:
                    block_indent = indent
                out.front.append(FrontItem(key, value, key_pos, value_pos, True))
                continue
        if nested and indent > 0:
            continue  # a nested mapping of another tool
        out.front.append(FrontItem(key, value, key_pos, value_pos, namespaced))


def _lines(text: str, start: int, end: int) -> list[tuple[str, int]]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        out.append((line, pos))
        pos += len(line) + 1
    return out


def _yaml_front_matter(text: str, out: Extracted) -> int:
    """Read a leading ``---`` block; return the offset where the body starts."""
    first = text.split("\n", 1)[0].rstrip()
    if first != "---":
        return 0
    m = re.compile(r"^(---|\.\.\.)[ \t]*$", re.M).search(text, len(first) + 1)
    if m is None:
        out.errors.append(("the front matter opened by --- is never closed by ---", 0))
        return 0
    _key_values(_lines(text, len(first) + 1, m.start()), False, out, nested=True)
    for item in out.front:
        if item.key == "title" and out.title is None:
            out.title, out.title_pos = _unquote(item.value), item.value_pos
    return m.end()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _comment_front_matter(comments: list[tuple[str, int]], out: Extracted) -> None:
    """``% pgproof: key = value`` lines, or a ``% pgproof:`` line then ``%   key = value``
    lines (LaTeX comments outside maths; each is (text after %, offset of that text))."""
    block = False
    for body, offset in comments:
        stripped = body.strip()
        m = re.match(r"pgproof\s*:", stripped)
        if m is not None:
            rest_start = body.index(stripped) + m.end()
            rest = body[rest_start:]
            if rest.strip():
                _inline_items(rest, offset + rest_start, out)
                block = False
            else:
                block = True
            continue
        if block and _KEY_VALUE.match(body):
            _key_values([(body, offset)], True, out, nested=False)
            continue
        block = False


def _inline_items(rest: str, offset: int, out: Extracted) -> None:
    """``key = value, key2 = value2`` on one line (split at commas outside quotes/brackets)."""
    for piece, start in _split_items(rest):
        m = _KEY_VALUE.match(piece)
        if m is None:
            if piece.strip():
                out.errors.append(
                    (f"expected key = value after pgproof:, got {piece.strip()!r}", offset + start)
                )
            continue
        out.front.append(
            FrontItem(
                m.group("key"),
                m.group("value"),
                offset + start + m.start("key"),
                offset + start + m.start("value"),
                True,
            )
        )


def _split_items(text: str) -> list[tuple[str, int]]:
    """Split ``a = 1, b = "x, y", c = [1, 2]`` at top-level commas."""
    pieces: list[tuple[str, int]] = []
    depth, quote, start = 0, "", 0
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append((text[start:k], start))
            start = k + 1
    pieces.append((text[start:], start))
    return pieces


# --------------------------------------------------------------------------- formats


def _markdown_masks(text: str) -> list[tuple[int, int]]:
    """Fenced code blocks, code spans and HTML comments of a Markdown text."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _FENCE.search(text, pos)) is not None:
        fence = m.group(1)
        closer = re.compile(
            r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M
        )
        line_end = text.find("\n", m.end())
        if line_end < 0:
            spans.append((m.start(), len(text)))
            break
        close = closer.search(text, line_end + 1)
        end = len(text) if close is None else close.end()
        spans.append((m.start(), end))
        pos = end
    masked = _mask(text, spans)
    pos = 0
    while (start := masked.find("<!--", pos)) >= 0:
        end = masked.find("-->", start + 4)
        if end < 0:  # never closed: neither is any later one
            break
        spans.append((start, end + 3))
        pos = end + 3
    masked = _mask(text, spans)
    for m in re.finditer(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", masked, re.S):
        if "\n\n" not in m.group(2):
            spans.append(m.span())
    return spans


def extract_markdown(text: str) -> Extracted:
    out = Extracted()
    body = _yaml_front_matter(text, out)
    spans = [(0, body)] if body else []
    spans += _markdown_masks(text)
    masked = _mask(text, spans)
    _regions(text, masked, True, out)
    if out.title is None:
        for m in _HEADING.finditer(masked):
            out.title, out.title_pos = _clean_title(m.group(1)), m.start(1)
            break
    return out


_TEX_VERBATIM = re.compile(r"\\begin\s*\{(verbatim\*?|Verbatim|lstlisting|minted|comment)\}")


def _verbatim(text: str) -> list[tuple[int, int]]:
    """The spans of the verbatim-like environments, each from its ``\\begin`` to its first
    ``\\end`` (an environment never closed is not one, nor is any later one of its name)."""
    spans: list[tuple[int, int]] = []
    unclosed: set[str] = set()
    pos = 0
    for begin in _TEX_VERBATIM.finditer(text):
        name = begin.group(1)
        if begin.start() < pos or name in unclosed:
            continue
        end = re.compile(r"\\end\s*\{" + re.escape(name) + r"\}").search(text, begin.end())
        if end is None:
            unclosed.add(name)
            continue
        spans.append((begin.start(), end.end()))
        pos = end.end()
    return spans


def _tex_comments(text: str) -> tuple[list[tuple[int, int]], list[tuple[str, int]]]:
    """The spans of the ``%`` comments of a LaTeX text, and (comment text, offset)."""
    spans: list[tuple[int, int]] = []
    comments: list[tuple[str, int]] = []
    pos = 0
    while (k := text.find("%", pos)) >= 0:
        if _escaped(text, k):
            pos = k + 1
            continue
        end = text.find("\n", k)
        end = len(text) if end < 0 else end
        spans.append((k, end))
        comments.append((text[k + 1 : end], k + 1))
        pos = end
    return spans, comments


def extract_latex(text: str) -> Extracted:
    out = Extracted()
    masked = _mask(text, _verbatim(text))
    comment_spans, comments = _tex_comments(masked)
    masked = _mask(masked, comment_spans)
    math = _regions(text, masked, True, out)
    outside = [c for c in comments if not _inside(c[1], math)]
    _comment_front_matter(outside, out)
    # the text outside maths, for \newcommand and friends (comments blanked)
    last = 0
    for start, end in sorted(math):
        out.preamble.append((last, masked[last:start]))
        last = end
    out.preamble.append((last, masked[last:]))
    for item in out.front:
        if item.key == "title" and out.title is None:
            out.title, out.title_pos = _unquote(item.value), item.value_pos
    if out.title is None:
        m = re.search(r"\\title\s*(?:\[[^\]]*\])?\s*\{", masked)
        if m is not None:
            depth, k = 1, m.end()
            while k < len(masked) and depth:
                depth += {"{": 1, "}": -1}.get(masked[k], 0)
                k += 1
            out.title, out.title_pos = _clean_title(masked[m.end() : k - 1]), m.end()
    return out


_RST_MATH = re.compile(r"^(?P<indent>[ \t]*)\.\.[ \t]+math::[ \t]*(?P<arg>.*)$", re.M)
_RST_ROLE = re.compile(r":math:`([^`]+)`")
_RST_OPTION = re.compile(r"^[ \t]+:(?P<name>[\w-]+):[ \t]*(?P<value>.*)$")
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:._])\1+[ \t]*$")


def extract_rst(text: str) -> Extracted:
    out = Extracted()
    lines = _lines(text, 0, len(text))
    k = 0
    used: list[tuple[int, int]] = []
    while k < len(lines):
        line, offset = lines[k]
        m = _RST_MATH.match(line)
        if m is None:
            _rst_front(lines, k, out)
            k += 1
            continue
        indent = len(m.group("indent").expandtabs())
        paragraphs: list[list[tuple[str, int]]] = []
        if m.group("arg").strip():
            paragraphs.append([(m.group("arg"), offset + m.start("arg"))])
        label, label_pos = None, 0
        k += 1
        options = True
        current: list[tuple[str, int]] = []
        while k < len(lines):
            line, offset = lines[k]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            if options and (o := _RST_OPTION.match(line)) is not None and not current:
                if o.group("name") == "label":
                    label, label_pos = o.group("value").strip(), offset + o.start("value")
                k += 1
                continue
            if not line.strip():
                options = False
                if current:
                    paragraphs.append(current)
                    current = []
            else:
                options = False
                current.append((line, offset))
            k += 1
        if current:
            paragraphs.append(current)
        for n, paragraph in enumerate(paragraphs):
            start = paragraph[0][1]
            end = paragraph[-1][1] + len(paragraph[-1][0])
            region = Region("display", start, Located.span(text, start, end), "math")
            if n == len(paragraphs) - 1 and label:
                region.label, region.label_pos = label, label_pos
            out.regions.append(region)
            used.append((start, end))
    masked = _mask(text, used)
    for m in _RST_ROLE.finditer(masked):
        out.regions.append(
            Region("inline", m.start(), Located.span(text, m.start(1), m.end(1)), "$")
        )
    out.regions.sort(key=lambda r: r.start)
    for n in range(len(lines) - 1):
        title, _ = lines[n]
        under, _ = lines[n + 1]
        if (
            title.strip()
            and not title.startswith((" ", ".."))
            and _RST_ADORNMENT.match(under)
            and len(under.rstrip()) >= len(title.rstrip())
        ):
            out.title, out.title_pos = _clean_title(title), lines[n][1]
            break
    for item in out.front:
        if item.key == "title":
            out.title, out.title_pos = _unquote(item.value), item.value_pos
    return out


def _rst_front(lines: list[tuple[str, int]], k: int, out: Extracted) -> None:
    line, offset = lines[k]
    m = re.match(r"^\.\.[ \t]+pgproof[ \t]*:(?P<rest>.*)$", line)
    if m is None:
        return
    if m.group("rest").strip():
        _inline_items(m.group("rest"), offset + m.start("rest"), out)
    block: list[tuple[str, int]] = []
    for n in range(k + 1, len(lines)):
        line, offset = lines[n]
        if line.strip() and not line.startswith((" ", "\t")):
            break
        block.append((line, offset))
    _key_values(block, True, out, nested=False)


def extract(text: str, kind: str) -> Extracted:
    """The maths, front matter and title of a document of ``kind``
    ("latex", "markdown" or "rst"; a notebook is read as Markdown)."""
    if kind == "latex":
        return extract_latex(text)
    if kind == "rst":
        return extract_rst(text)
    return extract_markdown(text)
