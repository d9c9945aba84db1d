"""The package's import graph: no circles, and nothing heavy imported at start-up.

Edges are read from the source (every ``import`` and ``from … import``, also inside
functions, but not under ``if TYPE_CHECKING:``), so a lazy import still counts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pgproof

ROOT = Path(pgproof.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, name: str) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py") if "examples" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        # a package import runs its __init__: "from .a import b" depends on the module a
        graph[name] = {m for m in _imports(path, name) if m in modules and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _parent_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ importing its own submodules is not a circle through them."""
    out = {}
    for name, deps in graph.items():
        out[name] = {d for d in deps if not name.startswith(d + ".")}
    return out


def test_the_import_graph_has_no_circle() -> None:
    cycle = _cycle(_parent_packages(import_graph()))
    assert cycle is None, " → ".join(cycle or [])


def test_the_circle_finder_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _imported_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_command_line_starts_without_heavy_imports() -> None:
    loaded = _imported_by("import pgproof.cli; pgproof.cli.build_parser()")
    for heavy in ("sympy", "numpy", "scipy", "lark", "hypothesis"):
        assert heavy not in loaded, f"pgproof.cli imports {heavy} at start-up"


def test_a_symbolic_check_does_not_import_scipy() -> None:
    loaded = _imported_by(
        "import pgproof; pgproof.check(pgproof.load(pgproof.examples_path() / "
        "'000_deriving_policy_gradient.pgproof.toml'))"
    )
    assert "sympy" in loaded and "scipy" not in loaded and "scipy.stats" not in loaded


def test_a_numeric_check_of_every_bundled_derivation_does_not_import_numba() -> None:
    """The fused DP sweep is for MDPs of 16 states or more; the step checks draw fewer."""
    loaded = _imported_by(
        "import pgproof; [pgproof.verify_steps(path, trials=2) for path in "
        "sorted(pgproof.examples_path().glob('*.pgproof.toml'))]"
    )
    assert "pgproof.numeric.dp" in loaded and "numba" not in loaded
