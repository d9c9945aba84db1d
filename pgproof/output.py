"""What pgproof writes to a terminal: control characters neutralised, ASCII when needed.

:func:`safe_streams` wraps ``sys.stdout`` and ``sys.stderr`` for the duration of a command:

* every control character a user's file could smuggle into the output (an ANSI escape in
  a title, a carriage return in a file name, a bidirectional override) is shown as a
  visible escape (``\\x1b``) instead of being obeyed (:func:`pgproof.safety.terminal_text`);
* on a stream whose encoding cannot hold pgproof's symbols (``PYTHONIOENCODING=ascii``, a
  Latin-1 terminal) the text degrades to ASCII: ``θ`` → ``theta``, ``✓`` → ``[ok]``,
  ``∇`` → ``grad`` …, and anything else to a ``\\u`` escape, instead of a traceback.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
import unicodedata
from collections.abc import Iterator
from typing import TextIO

from .safety import terminal_text

__all__ = ["SafeStream", "ascii_degrade", "is_unicode_stream", "safe_streams"]

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
    """Wrap ``sys.stdout`` and ``sys.stderr`` in :class:`SafeStream` for a block."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, SafeStream):
        sys.stdout = SafeStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
