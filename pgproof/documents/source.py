"""Text that remembers where each character came from, and where that is in the file.

A document is read as one *logical text* (for a notebook: its Markdown cells, one after
another).  :class:`Located` is a piece of it with the logical offset of every character,
which survives the reader's edits (comments and notes removed, macros expanded: a
character of a macro's body is "at" the call).  :class:`Locator` turns a logical offset
into the file's own ``(line, column)``, both 1-based.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

__all__ = ["Located", "Locator"]


class Located:
    """A string and, for each character, its offset in the logical text."""

    __slots__ = ("text", "pos")

    def __init__(self, text: str, pos: list[int]) -> None:
        if len(text) != len(pos):
            raise ValueError("one position per character")
        self.text = text
        self.pos = pos

    @classmethod
    def span(cls, source: str, start: int, end: int) -> Located:
        """``source[start:end]`` at its own offsets."""
        return cls(source[start:end], list(range(start, end)))

    @classmethod
    def join(cls, pieces: Iterable[Located], sep: str = "") -> Located:
        texts: list[str] = []
        pos: list[int] = []
        for k, piece in enumerate(pieces):
            if k and sep:
                texts.append(sep)
                pos.extend([pos[-1] if pos else 0] * len(sep))
            texts.append(piece.text)
            pos.extend(piece.pos)
        return cls("".join(texts), pos)

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> Located:
        return Located(self.text[key], self.pos[key])

    def at(self, index: int) -> int:
        """The offset of character ``index`` (the last one's for an index past the end)."""
        if not self.pos:
            return 0
        return self.pos[min(max(index, 0), len(self.pos) - 1)]

    def strip(self) -> Located:
        start = len(self.text) - len(self.text.lstrip())
        end = len(self.text.rstrip())
        return self[start:end] if start < end else self[0:0]

    def without(self, spans: Iterable[tuple[int, int]], fill: str = "") -> Located:
        """A copy with each ``[start, end)`` span removed (or replaced by ``fill``)."""
        texts: list[str] = []
        pos: list[int] = []
        last = 0
        for start, end in sorted(spans):
            if start < last:
                continue
            texts.append(self.text[last:start])
            pos.extend(self.pos[last:start])
            if fill:
                texts.append(fill)
                pos.extend([self.at(start)] * len(fill))
            last = end
        texts.append(self.text[last:])
        pos.extend(self.pos[last:])
        return Located("".join(texts), pos)

    def replace_span(self, start: int, end: int, new: str) -> Located:
        """A copy with ``[start, end)`` replaced by ``new`` (its characters at ``start``)."""
        return self.edited([(start, end, new)])

    def edited(self, edits: Iterable[tuple[int, int, str]]) -> Located:
        """A copy with each ``(start, end, new)`` edit made: ``[start, end)`` replaced by
        ``new``, whose characters are at ``start``'s offset.  The edits (in any order) must
        not overlap; all of them cost one copy of the text."""
        texts: list[str] = []
        pos: list[int] = []
        last = 0
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1])):
            if start < last:
                raise ValueError("overlapping edits")
            texts.append(self.text[last:start])
            pos.extend(self.pos[last:start])
            texts.append(new)
            pos.extend([self.at(start)] * len(new))
            last = end
        texts.append(self.text[last:])
        pos.extend(self.pos[last:])
        return Located("".join(texts), pos)

    def __repr__(self) -> str:
        return f"Located({self.text!r})"


class Locator:
    """Logical offsets → the file's (line, column), 1-based.

    For a plain file the logical text is the file's text.  For a notebook, ``raw`` maps
    each logical offset to the offset of that character in the JSON file (inside its
    string, escapes counted), and ``file`` locates those.
    """

    def __init__(
        self, text: str, raw: list[int] | None = None, file: Locator | None = None
    ) -> None:
        self.text = text
        self.starts = [0]
        k = text.find("\n")
        while k >= 0:
            self.starts.append(k + 1)
            k = text.find("\n", k + 1)
        self.raw = raw
        self.file = file

    def where(self, offset: int) -> tuple[int, int]:
        offset = max(offset, 0)
        if self.raw is not None and self.file is not None:
            if not self.raw:
                return 1, 1
            return self.file.where(self.raw[min(offset, len(self.raw) - 1)])
        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1

    def line(self, offset: int) -> int:
        return self.where(offset)[0]
