"""Bounded reads of files written by others, and caps on how deeply their data nests.

* :func:`read_bytes` reads a *regular file* of at most ``limit`` bytes.  What the path
  names is checked with ``stat`` before anything is opened, so a device (``/dev/zero``,
  also through a symbolic link), a FIFO or a socket is refused by name, unopened; the
  file is then opened without blocking, checked again on the open descriptor (it must
  be the file that was stat'ed), and read with a cap, so a file that grows meanwhile is
  refused too.
* :func:`read_text` is the same for a derivation file, as UTF-8 (a leading byte order
  mark is dropped), raising :class:`DerivationFileError`.
* :func:`json_depth` and :func:`toml_depth` measure nesting in linear time without
  recursion, so a file nested 100 000 deep is refused before a recursive parser sees it.

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
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "ReadError",
    "json_depth",
    "read_bytes",
    "read_text",
    "toml_depth",
]

#: largest derivation file read
MAX_FILE_BYTES = 2_000_000
#: deepest nesting of arrays and tables accepted in TOML and JSON input
MAX_NESTING = 32

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


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A derivation file's text; devices, FIFOs, sockets and oversized files are refused."""
    try:
        return decode_utf8(read_bytes(path, limit))
    except ReadError as exc:
        raise DerivationFileError(str(path), str(exc)) from None


# --------------------------------------------------------------------------- nesting

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _STEP[_open], _STEP[_close] = 1, -1


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in JSON ``raw`` (brackets in strings ignored)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


_TOML_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""+'  # multi-line basic string
    r"|'''(?:[^']|'(?!''))*'''+"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'  # basic string
    r"|'[^'\n]*'"  # literal string
    r"|#[^\n]*"  # comment
    r"|[\[{]+"  # openings
    r"|[\]}]",  # a closing
    re.S,
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
