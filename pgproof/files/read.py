"""Bounded reads of files written by others, and caps on how deeply their data nests.

* :func:`read_bytes` reads a *regular file* of at most ``limit`` bytes.  What the path
  names is checked with ``stat`` before anything is opened, so a device (``/dev/zero``,
  also through a symbolic link), a FIFO or a socket is refused by name, unopened; the
  file is then opened without blocking, checked again on the open descriptor (it must
  be the file that was stat'ed), and read with a cap, so a file that grows meanwhile is
  refused too.
* :func:`read_text` is the same for a derivation file, as UTF-8 (a leading byte order
  mark is dropped, CRLF line ends read as LF), raising :class:`DerivationFileError`.
* :func:`json_depth` (:func:`json_nesting_line`: where) and :func:`toml_depth` measure
  nesting in linear time, without a regular expression that walks a string character by
  character (a 15 MB JSON string costs a few copies of itself, not 1.8 GB), so a file
  nested 100 000 deep is refused before a recursive parser sees it;
  :func:`json_long_integer` and :func:`toml_long_integer` find an integer of more than
  :data:`MAX_DIGITS` digits (Python refuses to convert one of more than 4,300), with its
  line, before the parser converts it; :func:`toml_refusal` is both checks of a TOML text.
* :func:`newlines_as_lf`: a file written with CRLF (Windows) or CR line ends reads as its
  LF twin, with the same lines and columns.

Nothing here imports more than the standard library.
"""

from __future__ import annotations

import os
import re
import stat
from itertools import accumulate
from pathlib import Path

from .errors import DerivationFileError

__all__ = [
    "MAX_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "ReadError",
    "json_depth",
    "json_long_integer",
    "json_nesting_line",
    "newlines_as_lf",
    "read_bytes",
    "read_text",
    "toml_depth",
    "toml_long_integer",
    "toml_refusal",
]

#: largest derivation file read
MAX_FILE_BYTES = 2_000_000
#: deepest nesting of arrays and tables accepted in TOML and JSON input
MAX_NESTING = 32
#: most digits of an integer in TOML or JSON input (Python converts at most 4,300)
MAX_DIGITS = 4_000

_BOM = "\ufeff"


class ReadError(OSError):
    """A file that is not read: its message names the problem (the caller adds the path)."""


def kind_of(mode: int) -> str | None:
    """What a ``stat`` mode names, when it is not a regular file."""
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def _refuse_kind(path: Path, mode: int) -> None:
    kind = kind_of(mode)
    if kind is None:
        return
    try:
        through = " (through a symbolic link)" if os.path.islink(path) else ""
    except OSError:
        through = ""
    raise ReadError(f"is {kind}{through}, not a regular file; it was not read")


def read_bytes(path: str | os.PathLike, limit: int) -> bytes:
    """The contents of the regular file ``path``, refused unread if over ``limit`` bytes."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ReadError("no such file") from None
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror}") from None
    _refuse_kind(path, info.st_mode)
    if info.st_size > limit:
        raise ReadError(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror}") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise ReadError("the file was replaced while it was being opened; it was not read")
        _refuse_kind(path, opened.st_mode)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        if isinstance(exc, ReadError):
            raise
        raise ReadError(f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:  # grew since stat
        raise ReadError(f"file is over the limit of {limit:,} bytes")
    return b"".join(chunks)


def decode_utf8(raw: bytes) -> str:
    """UTF-8 text without a leading byte order mark (raises ReadError if not UTF-8)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text[1:] if text.startswith(_BOM) else text


def newlines_as_lf(text: str, lone_cr: bool = True) -> str:
    """``text`` with each CRLF (and, with ``lone_cr``, each lone CR) as LF."""
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n") if lone_cr else text


def read_text(path: Path, limit: int = MAX_FILE_BYTES, lone_cr: bool = False) -> str:
    """A derivation file's text, its CRLF line ends as LF (and its lone CRs too, with
    ``lone_cr``: TOML refuses them, a document's reader takes them for line ends);
    devices, FIFOs, sockets and oversized files are refused."""
    try:
        return newlines_as_lf(decode_utf8(read_bytes(path, limit)), lone_cr)
    except ReadError as exc:
        raise DerivationFileError(str(path), str(exc)) from None


# --------------------------------------------------------------------------- nesting

_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1
#: bytes of JSON scanned at a time by _nesting
_CHUNK = 1 << 16
_QUOTE_OR_BRACKET = re.compile(rb'["\[\]{}]')
#: an integer of more than MAX_DIGITS digits (not a fraction's, not an exponent's)
_JSON_LONG_INTEGER = re.compile(rb"(?<![\w.+-])-?[0-9]{%d,}+(?![.eE])" % (MAX_DIGITS + 1))


#: every digit as b"0", every other byte as a space
_DIGITS_AS_ZEROS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))


def _has_digit_run(raw: bytes) -> bool:
    """Whether ``raw`` holds more than MAX_DIGITS digits in a row (anywhere)."""
    return b"0" * (MAX_DIGITS + 1) in raw.translate(_DIGITS_AS_ZEROS)


def _unescaped(raw: bytes) -> bytes:
    """JSON ``raw`` with its ``\\\\`` and ``\\"`` escapes blanked (two spaces each, so every
    offset is kept): each ``"`` left opens or closes a string."""
    return raw.replace(b"\\\\", b"  ").replace(b'\\"', b"  ")


def _outside_strings(reduced: bytes, inside: bool) -> bytes:
    """The brackets of ``reduced`` (quotes and brackets only) that lie outside strings,
    ``inside``: whether it starts in a string.  Splitting at the quotes is one C pass (no
    regular expression over the strings, whose engine would keep state per match)."""
    pieces = reduced.split(b'"')
    return b"".join(pieces[1 if inside else 0 :: 2])


def _nesting(raw: bytes, limit: int | None = None) -> tuple[int, int | None]:
    """(deepest nesting of JSON ``raw``, the offset where it first nests deeper than
    ``limit``, or None): linear, :data:`_CHUNK` bytes at a time (so in constant memory
    beyond a copy of ``raw``)."""
    text = _unescaped(raw)
    depth = deepest = 0
    where = None
    inside = False  # whether the chunk starts in a string
    for start in range(0, len(text), _CHUNK):
        chunk = text[start : start + _CHUNK]
        reduced = chunk.translate(None, _NOT_QUOTES_OR_BRACKETS)
        steps = list(accumulate(map(_STEP.__getitem__, _outside_strings(reduced, inside))))
        top = depth + max(steps, default=0)
        if where is None and limit is not None and top > limit:
            n, state = 0, inside
            for token in _QUOTE_OR_BRACKET.finditer(chunk):
                if token.group() == b'"':
                    state = not state
                elif not state:
                    if depth + steps[n] > limit:
                        where = start + token.start()
                        break
                    n += 1
        deepest = max(deepest, top)
        depth += steps[-1] if steps else 0
        inside ^= reduced.count(b'"') % 2 == 1
    return deepest, where


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in JSON ``raw`` (brackets in strings ignored)."""
    return _nesting(raw)[0]


def json_nesting_line(raw: bytes, limit: int = MAX_NESTING) -> int:
    """The 1-based line of JSON ``raw`` where arrays and objects first nest deeper than
    ``limit`` (1 if they never do)."""
    where = _nesting(raw, limit)[1]
    return 1 if where is None else raw.count(b"\n", 0, where) + 1


def json_long_integer(raw: bytes) -> tuple[int, int] | None:
    """(digits, 1-based line) of the first integer of JSON ``raw`` with more than
    :data:`MAX_DIGITS` digits (digits in strings do not count), or None."""
    if not _has_digit_run(raw):  # the common case, in one fast pass
        return None
    text = _unescaped(raw)
    quotes, last = 0, 0
    for found in _JSON_LONG_INTEGER.finditer(text):
        quotes += text.count(b'"', last, found.start())
        last = found.start()
        if quotes % 2 == 0:  # not in a string
            return len(found.group().lstrip(b"-")), raw.count(b"\n", 0, found.start()) + 1
    return None


# possessive (*+): the engine keeps no backtracking state per character of a string
_TOML_STRINGS = (
    r'"""[^"\\]*+(?:(?:\\.|"(?!""))[^"\\]*+)*+"""+'  # multi-line basic string
    r"|'''[^']*+(?:'(?!'')[^']*+)*+'''+"  # multi-line literal string
    r'|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'  # basic string
    r"|'[^'\n]*+'"  # literal string
    r"|#[^\n]*+"  # comment
)
_TOML_TOKEN = re.compile(
    _TOML_STRINGS
    + r"|[\[{]+"  # openings
    + r"|[\]}]",  # a closing
    re.S,
)
#: strings and comments (skipped), or an integer with more than MAX_DIGITS digits
_TOML_LONG_INTEGER = re.compile(
    _TOML_STRINGS + r"|(?<![\w.+-])[+-]?[0-9][0-9_]{%d,}+(?![.eE])" % MAX_DIGITS, re.S
)


def toml_depth(text: str) -> tuple[int, int]:
    """(deepest nesting of arrays and inline tables, the 1-based line where it is reached)."""
    depth = deepest = 0
    where = 0
    for match in _TOML_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "[{":
            depth += len(token)
            if depth > deepest:
                deepest, where = depth, match.start()
        elif first in "]}":
            depth -= 1
    return deepest, text.count("\n", 0, where) + 1


def toml_long_integer(text: str) -> tuple[int, int] | None:
    """(digits, 1-based line) of the first integer of TOML ``text`` with more than
    :data:`MAX_DIGITS` digits (in strings and comments they do not count), or None."""
    if not _has_digit_run(text.replace("_", "").encode("utf-8", "replace")):  # the common case
        return None
    for match in _TOML_LONG_INTEGER.finditer(text):
        token = match.group()
        if token[0] in "\"'#":
            continue
        digits = sum(ch.isdigit() for ch in token)
        if digits > MAX_DIGITS:
            return digits, text.count("\n", 0, match.start()) + 1
    return None


def toml_refusal(text: str) -> tuple[str, int] | None:
    """(message, 1-based line) when TOML ``text`` nests deeper than :data:`MAX_NESTING` or
    holds an integer of more than :data:`MAX_DIGITS` digits: refused before ``tomllib``
    (which recurses, and converts integers of any length) reads it; None otherwise."""
    depth, line = toml_depth(text)
    if depth > MAX_NESTING:
        return f"arrays or tables nest {depth:,} deep (the limit is {MAX_NESTING})", line
    long = toml_long_integer(text)
    if long is not None:
        digits, line = long
        return f"an integer of {digits:,} digits (the limit is {MAX_DIGITS:,})", line
    return None
