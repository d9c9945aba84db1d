"""Where things sit in a derivation file: step headers, ``formula =`` lines, keys, columns."""

from __future__ import annotations

import re

#: the text before a line's first "=" (a key, when the line assigns one)
_ASSIGNED = re.compile(r"\s*([^=]*?)\s*=")


class FileLines:
    """Line numbers (1-based) of a TOML derivation file's keys and ``[[step]]`` tables."""

    def __init__(self, text: str) -> None:
        # lines end at "\n" only, as TOML's do (splitlines would also cut at U+2028 …)
        self.lines = text.split("\n")
        #: for each ``[[step]]``: (its header line, the line of its ``formula =``)
        self.steps: list[tuple[int, int | None]] = []
        #: the line of every table header (``[notation]``, ``[[step]]`` …)
        self.headers: list[int] = []
        #: a bare key → the first line that assigns it (built on first use)
        self._assigned: dict[str, int] | None = None
        for number, line in enumerate(self.lines, start=1):
            if re.match(r"\s*\[", line) and not re.match(r"\s*\[[^\]]*=", line):
                self.headers.append(number)
            if re.match(r"\s*\[\[\s*step\s*(?![\w-])", line):
                self.steps.append((number, None))
            elif self.steps and self.steps[-1][1] is None and re.match(r"\s*formula\s*=", line):
                self.steps[-1] = (self.steps[-1][0], number)

    def step_line(self, step: int) -> int | None:
        """The line of step k's formula (else its header), when the file has that step."""
        if not 1 <= step <= len(self.steps):
            return None
        header, formula = self.steps[step - 1]
        return formula or header

    def step_key_line(self, step: int, key: str) -> int | None:
        """The line that assigns ``key`` in step k's table (else the step's line)."""
        if not 1 <= step <= len(self.steps):
            return None
        header = self.steps[step - 1][0]
        end = next((h for h in self.headers if h > header), len(self.lines) + 1)
        for number in range(header + 1, end):
            if re.match(rf"\s*{re.escape(key)}\s*=", self.lines[number - 1]):
                return number
        return self.step_line(step)

    def line_text(self, line: int | None) -> str:
        return self.lines[line - 1] if line is not None and 1 <= line <= len(self.lines) else ""

    def key_line(self, key: str) -> int | None:
        """The first line that assigns ``key`` (in constant time for a bare key: a file
        with thousands of unknown keys asks for each of them)."""
        if "=" in key or key != key.strip():  # no bare key: look line by line
            for number, line in enumerate(self.lines, start=1):
                if re.match(rf"\s*{re.escape(key)}\s*=", line):
                    return number
            return None
        if self._assigned is None:
            self._assigned = {}
            for number, line in enumerate(self.lines, start=1):
                m = _ASSIGNED.match(line)
                if m is not None:
                    self._assigned.setdefault(m.group(1), number)
        return self._assigned.get(key)

    def column_of(self, step: int, formula: str, column: int) -> int | None:
        """The file column of a formula's column, when the formula sits on one line."""
        line = self.steps[step - 1][1] if 1 <= step <= len(self.steps) else None
        if line is None:
            return None
        first = formula.splitlines()[0] if formula else ""
        start = self.lines[line - 1].find(first)
        return start + column if start >= 0 else None
