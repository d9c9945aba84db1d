"""What pgproof writes to a terminal: control characters neutralised, ASCII when needed.

:func:`safe_streams` wraps ``sys.stdout`` and ``sys.stderr`` for the duration of a command:

* every control character a user's file could smuggle into the output (an ANSI escape in
  a title, a carriage return in a file name, a bidirectional override) is shown as a
  visible escape (``\\x1b``) instead of being obeyed (:func:`pgproof.safety.terminal_text`);
* the names given to :func:`guard_names` (the command's arguments and the files it reads)
  are shown with *every* control character escaped, newlines and tabs too, wherever they
  appear in the output (:func:`pgproof.safety.terminal_name`): a file name cannot print a
  line of its own, such as a fake ``verdict: ACCEPTED``;
* on a stream whose encoding cannot hold pgproof's symbols (``PYTHONIOENCODING=ascii``, a
  Latin-1 terminal) the text degrades to ASCII: ``θ`` → ``theta``, ``✓`` → ``[ok]``,
  ``∇`` → ``grad`` …, and anything else to a ``\\u`` escape, instead of a traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TextIO

from .safety import terminal_name, terminal_text

__all__ = [
    "SafeStream",
    "ascii_degrade",
    "guard_names",
    "guarded",
    "is_unicode_stream",
    "safe_streams",
]

#: ASCII spellings of the symbols pgproof prints
ASCII = {
    "✓": "[ok]", "✗": "[x]", "≟": "[?]", "—": "--", "–": "-", "…": "...", "−": "-",
    "θ": "theta", "τ": "tau", "π": "pi", "μ": "mu", "γ": "gamma", "α": "alpha",
    "ρ": "rho", "σ": "sigma", "ε": "eps", "λ": "lambda", "φ": "phi", "Σ": "Sum",
    "∏": "Prod", "∑": "Sum", "∫": "Int", "∇": "grad", "∼": "~", "≈": "~=", "≠": "!=",
    "≤": "<=", "≥": ">=", "→": "->", "←": "<-", "⇒": "=>", "⇔": "<=>", "↔": "<->",
    "·": "*", "×": "x", "±": "+-", "²": "^2", "³": "^3", "¹": "^1", "₀": "_0", "₁": "_1",
    "₂": "_2", "ĝ": "g^", "∂": "d", "∈": " in ", "√": "sqrt", "∞": "inf", "‖": "||",
    "’": "'", "‘": "'", "“": '"', "”": '"',
}  # fmt: skip

_HANDLER = "pgproof-ascii"


def _degrade_error(error: UnicodeError) -> tuple[str, int]:
    """A codecs error handler: ASCII spellings for what the target encoding lacks."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for ch in error.object[error.start : error.end]:
        if ch in ASCII:
            out.append(ASCII[ch])
            continue
        plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        out.append(plain if plain.strip() else f"\\u{ord(ch):04x}")
    return "".join(out), error.end


codecs.register_error(_HANDLER, _degrade_error)


def _encoding(stream: object) -> str | None:
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str):
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def is_unicode_stream(stream: object) -> bool:
    """Whether ``stream`` encodes all of Unicode (UTF-8/16/32, or no declared encoding)."""
    encoding = _encoding(stream)
    return encoding is None or encoding.startswith("utf")


def ascii_degrade(text: str, encoding: str = "ascii") -> str:
    """``text`` with every character ``encoding`` cannot hold spelled in ASCII."""
    return text.encode(encoding, _HANDLER).decode(encoding)


#: names shown escaped wherever they are printed: each raw string → its escaped form
_GUARDED: dict[str, str] = {}

#: what a derivation file's name loses on its way into other names (``a.pgproof.toml`` →
#: the stem ``a`` of the witness ``a.step3.json``)
_SUFFIXES = (".pgproof.toml", ".toml", ".json", ".tex", ".md", ".rst", ".ipynb")


def _pieces(name: str) -> set[str]:
    """``name``, each of its path components, and each component without its suffix."""
    pieces = {name}
    for part in name.replace(os.sep, "/").split("/"):
        pieces.add(part)
        for suffix in _SUFFIXES:
            if part.endswith(suffix):
                pieces.add(part.removesuffix(suffix))
    return pieces


def guard_names(names: Iterable[str]) -> None:
    """Show each of ``names`` with every control character escaped (newlines and tabs too)
    wherever it, a path component of it, or such a component without its suffix is
    printed, until the outermost :func:`safe_streams` block ends.  Names without control
    characters (nearly all) cost nothing."""
    for name in names:
        for piece in _pieces(str(name)):
            shown = terminal_name(piece)
            if shown != piece:
                _GUARDED[piece] = shown


def guarded(text: str) -> str:
    """``text`` with every name given to :func:`guard_names` in its escaped form."""
    for raw in sorted(_GUARDED, key=len, reverse=True):
        if raw in text:
            text = text.replace(raw, _GUARDED[raw])
    return text


class SafeStream:
    """A text stream that neutralises control characters and degrades to ASCII if needed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        encoding = _encoding(stream)
        self._encoding = None if encoding is None or encoding.startswith("utf") else encoding

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def write(self, text: str) -> int:
        if _GUARDED:
            text = guarded(text)
        # a progress bar redraws its line with a leading carriage return: let that one pass
        text = terminal_text(text, leading_return=True)
        if self._encoding is not None:
            text = ascii_degrade(text, self._encoding)
        return self._stream.write(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def safe_streams() -> Iterator[None]:
    """Wrap ``sys.stdout`` and ``sys.stderr`` in :class:`SafeStream` for a block (the
    outermost block also forgets the names of :func:`guard_names` when it ends)."""
    saved = sys.stdout, sys.stderr
    outermost = not isinstance(sys.stdout, SafeStream)
    if outermost:
        sys.stdout = SafeStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        if outermost:
            _GUARDED.clear()


#: longest error line printed
MAX_MESSAGE = 2000


def one_line(text: str) -> str:
    """``text`` on one line, shortened to :data:`MAX_MESSAGE` characters (the names of
    :func:`guard_names` escaped first, so that they stay recognisable)."""
    text = " ".join(guarded(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class WarningNotes:
    """``warnings.showwarning`` for a command: each warning once, as one line
    ``pgproof: note: MESSAGE (CATEGORY)`` on stderr, without the source file, line and
    code that Python's own format shows."""

    def __init__(self) -> None:
        self.shown: set[str] = set()

    def __call__(self, message, category, filename, lineno, file=None, line=None) -> None:
        name = getattr(category, "__name__", "Warning")
        note = f"pgproof: note: {one_line(str(message))} ({name})"
        if note not in self.shown:
            self.shown.add(note)
            print(note, file=sys.stderr)
