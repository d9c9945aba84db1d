"""The README's Python examples run as printed (from the repository root)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_a_readme_example_runs(
    index: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"readme_example_{index}"}
    exec(compile(BLOCKS[index], f"README.md python block {index + 1}", "exec"), namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()  # the example's own property test
    out = capsys.readouterr().out
    if "print(" in BLOCKS[index]:
        assert "✓" in out or "\\begin{align*}" in out


def _output_blocks():
    from tests.readme_outputs import README, blocks

    return [b for b in blocks(README.read_text(encoding="utf-8")) if b.runnable()]


@pytest.mark.parametrize("block", _output_blocks(), ids=lambda b: b.command[2:60])
def test_a_readme_output_is_what_the_command_prints(block) -> None:
    from tests.extras import require_extra
    from tests.readme_outputs import expected_text, run

    if block.command.startswith("$ pgproof report") and "--no-plots" not in block.command:
        require_extra("plots")  # its output counts the plots

    assert block.printed == expected_text(block, run(block.command))
