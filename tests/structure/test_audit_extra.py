"""Hypothesis is the ``audit`` extra's: checking a derivation never needs it.

Only :mod:`pgproof.audit` (the soundness audit, the rules' differential tests) and
:mod:`pgproof.strategies` (public Hypothesis strategies for users' property tests) import
Hypothesis.  ``check``, ``check --numeric``, ``render``, ``report`` and ``verify`` run with
Hypothesis unimportable (``sys.modules["hypothesis"] = None``, which is how a missing
package looks to ``import``); the audit, the strategies and the audit's script then say in
one line which extra to install.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import pgproof

ROOT = Path(pgproof.__file__).parent
REPO = ROOT.parent
EXAMPLE = pgproof.examples_path() / "000_deriving_policy_gradient.pgproof.toml"

#: the modules allowed to import Hypothesis, relative to the package
HYPOTHESIS_USERS = ("audit/", "strategies.py")

#: Python code that makes Hypothesis unimportable, as if it were not installed
WITHOUT_HYPOTHESIS = "import sys; sys.modules['hypothesis'] = None\n"

#: in a subprocess: the loaded modules of Hypothesis and of the audit, one per line
LOADED = (
    "print('\\n'.join(sorted(m for m, v in sys.modules.items() if v is not None and ("
    "m.partition('.')[0] == 'hypothesis' or m.startswith(('pgproof.audit', "
    "'pgproof.strategies'))))))\n"
)


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )


def hypothesis_imports(source: str) -> list[int]:
    """Lines of ``source`` that import Hypothesis: ``import``/``from`` statements anywhere
    (in functions and under ``if TYPE_CHECKING:`` too) and ``import_module``/``__import__``
    calls with a literal name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if not node.level else []
        elif isinstance(node, ast.Call) and (
            getattr(node.func, "id", None) == "__import__"
            or getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        ):
            first = node.args[0] if node.args else None
            names = [first.value] if isinstance(first, ast.Constant) else []
        else:
            continue
        if any(str(name).partition(".")[0] == "hypothesis" for name in names):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_every_kind_of_import() -> None:
    source = (
        "import os\n"
        "import hypothesis.strategies as st\n"
        "from hypothesis import given\n"
        "def f():\n"
        "    from hypothesis.extra.numpy import arrays\n"
        "if TYPE_CHECKING:\n"
        "    import hypothesis\n"
        "importlib.import_module('hypothesis.errors')\n"
        "__import__('hypothesis')\n"
        "from .hypothesis import x\n"  # a relative module of that name is not Hypothesis
        "import hypothesis_other\n"
        "find_spec('hypothesis')\n"
    )
    assert hypothesis_imports(source) == [2, 3, 5, 7, 8, 9]


def test_only_the_audit_and_the_strategies_import_hypothesis() -> None:
    found: dict[str, list[int]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if lines := hypothesis_imports(path.read_text(encoding="utf-8")):
            found[path.relative_to(ROOT).as_posix()] = lines
    outside = {n: lines for n, lines in found.items() if not n.startswith(HYPOTHESIS_USERS)}
    assert not outside, f"Hypothesis imported outside the audit and the strategies: {outside}"
    # the scan sees the real users (else it would pass on any tree)
    assert "audit/expressions.py" in found and "strategies.py" in found


def test_check_of_a_bundled_example_never_imports_hypothesis() -> None:
    code = (
        "import sys, contextlib, io\n"
        "import pgproof, pgproof.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = pgproof.cli.main(['check', sys.argv[1]])\n"
        "assert 'pgproof.symbolic.checker' in sys.modules\n"
        "print('status', status)\n" + LOADED
    )
    run = _python(code, str(EXAMPLE))
    assert run.returncode == 0, run.stderr
    status, *loaded = run.stdout.split()[1:]
    assert status == "0", run.stdout
    assert loaded == [], f"pgproof check loaded {loaded}"


def test_check_render_report_and_verify_run_without_hypothesis(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    commands = [
        ["check", str(EXAMPLE)],
        ["check", "--numeric", "--trials", "2", str(EXAMPLE)],
        ["render", str(EXAMPLE)],
        ["report", "--no-plots", "--trials", "2", "-o", str(html), str(EXAMPLE)],
        ["verify", "--states", "2", "--actions", "2", "--horizon", "2", "--seed", "0"],
    ]
    code = (
        WITHOUT_HYPOTHESIS + "import contextlib, io, json\n"
        "try:\n"
        "    import hypothesis\n"
        "except ImportError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('Hypothesis is still importable')\n"
        "import pgproof.cli\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        status = pgproof.cli.main(argv)\n"
        "    print(argv[0], status)\n" + LOADED
    )
    run = _python(code, json.dumps(commands))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    lines = run.stdout.strip().splitlines()  # then the loaded modules: none
    assert lines == ["check 0", "check 0", "render 0", "report 0", "verify 0"], run.stdout
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("module", "user"),
    [
        ("pgproof.audit", "the soundness audit"),
        ("pgproof.audit.mutations", "the soundness audit"),  # no Hypothesis of its own
        ("pgproof.audit.expressions", "the soundness audit"),
        ("pgproof.strategies", "pgproof.strategies"),
    ],
)
def test_the_audit_without_hypothesis_names_the_extra(module: str, user: str) -> None:
    code = (
        WITHOUT_HYPOTHESIS + "try:\n"
        f"    import {module}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    run = _python(code)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout == (
        f"{user} needs Hypothesis, in the 'audit' extra: pip install 'pgproof[audit]'\n"
    )


def test_the_audit_script_without_hypothesis_is_one_line_and_exit_2() -> None:
    script = REPO / "benchmarks" / "soundness_audit.py"
    if not script.is_file():  # an installed package without the repository's benchmarks
        pytest.skip("benchmarks/soundness_audit.py is not beside the package")
    code = (
        WITHOUT_HYPOTHESIS
        + "import runpy\nsys.argv = [sys.argv[1], '--quick']\n"
        + "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    run = _python(code, str(script))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        "soundness_audit: error: the soundness audit needs Hypothesis, in the 'audit' extra: "
        "pip install 'pgproof[audit]'\n"
    )


MODULE_NEEDING_AN_EXTRA = """
from tests.extras import require_extra

require_extra("missing_for_the_test")

import no_such_module_of_the_extra  # never reached: the module is skipped above


def test_never_run():
    raise AssertionError("ran without its extra")
"""


@pytest.fixture
def extra_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import extras

    monkeypatch.setitem(extras.EXTRAS, "missing_for_the_test", ("no_such_module_of_the_extra",))
    monkeypatch.delenv(extras.REQUIRE, raising=False)


def test_a_module_whose_imports_need_a_missing_extra_is_skipped_naming_it(
    pytester: pytest.Pytester, extra_not_installed: None
) -> None:
    """How the audit's test modules are marked: ``require_extra`` before their imports."""
    pytester.makepyfile(test_needs_extra=MODULE_NEEDING_AN_EXTRA)
    result = pytester.runpytest_inprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    reason = "needs the 'missing_for_the_test' extra: pip install 'pgproof[missing_for_the_test]'"
    assert reason in result.stdout.str()


def test_a_module_whose_imports_need_a_missing_required_extra_fails(
    pytester: pytest.Pytester, extra_not_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPROOF_REQUIRE_EXTRAS", "1")
    pytester.makepyfile(test_needs_extra=MODULE_NEEDING_AN_EXTRA)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*PGPROOF_REQUIRE_EXTRAS is set*no_such_module_of_the_extra*"])
