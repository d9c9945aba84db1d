"""Read a derivation file as text: a regular file, at most ``limit`` bytes, UTF-8."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import DerivationFileError

MAX_FILE_BYTES = 2_000_000


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The file's text; devices, FIFOs, sockets and oversized files are refused unread."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise DerivationFileError(str(path), f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DerivationFileError(str(path), "not a regular file (a device, FIFO or socket)")
    if info.st_size > limit:
        raise DerivationFileError(
            str(path), f"file is {info.st_size:,} bytes; the limit is {limit:,}"
        )
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise DerivationFileError(str(path), f"cannot read: {exc.strerror}") from None
    if len(raw) > limit:  # grew since stat
        raise DerivationFileError(str(path), f"file is over the limit of {limit:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DerivationFileError(str(path), f"not UTF-8 text ({exc.reason})") from None
