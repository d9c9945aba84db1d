"""The README's pasted command outputs, re-run: ``python -m tests.readme_outputs --write``
rewrites them from what the commands print now; the test suite checks they still match.

A block is a ```text fence whose first line is ``$ pgproof …``; a block ending in ``…`` is
compared (and rewritten) up to that many lines.  Blocks whose command names a file that is
not in the repository (an example of bad input) are left alone.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"```text\n(\$ pgproof [^\n]*)\n(.*?)```", re.S)


@dataclass
class Block:
    command: str
    printed: str
    start: int
    end: int

    @property
    def truncated(self) -> bool:
        return self.printed.rstrip("\n").endswith("…")

    def runnable(self) -> bool:
        words = shlex.split(self.command[2:])
        files = [w for w in words if w.endswith((".toml", ".json", ".md", ".tex"))]
        return all((ROOT / w).exists() or "*" in w for w in files)


def blocks(text: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), m.start(2), m.end(2)) for m in FENCE.finditer(text)]


def run(command: str) -> str:
    env = {**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    words = shlex.split(command[2:], posix=True)
    expanded: list[str] = []
    for word in words:
        if "*" in word:  # a shell pattern, relative to the repository
            expanded.extend(sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(word)) or [word])
        else:
            expanded.append(word)
    exe = [sys.executable, "-m", "pgproof", *expanded[1:]]
    out = subprocess.run(exe, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return out.stdout + out.stderr


def expected_text(block: Block, output: str) -> str:
    if block.truncated:
        keep = len(block.printed.rstrip("\n").splitlines()) - 1
        return "\n".join(output.splitlines()[:keep]) + "\n…\n"
    return output if output.endswith("\n") else output + "\n"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    for block in reversed(blocks(text)):
        if block.runnable():
            new = expected_text(block, run(block.command))
            text = text[: block.start] + new + text[block.end :]
    if "--write" in sys.argv:
        README.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
