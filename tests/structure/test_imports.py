"""The package's import graph: no circles, and nothing heavy imported at start-up.

Edges are read from the source with ``ast``: every ``import`` and ``from … import``,
relative or absolute, at module level, inside functions (a lazy import still counts) and
under ``if TYPE_CHECKING:`` (a type a module names is a dependency too); ``from . import x``
is an edge to the submodule x.
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


def _imports(path: Path, name: str) -> set[str]:
    """The modules ``path`` (module ``name``) imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
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


def _edges_of(source: str, name: str, tmp_path: Path, init: bool = False) -> set[str]:
    path = tmp_path / ("__init__.py" if init else "m.py")
    path.write_text(source, encoding="utf-8")
    return _imports(path, name)


def test_every_kind_of_import_is_an_edge(tmp_path: Path) -> None:
    source = """
from typing import TYPE_CHECKING
import pgproof.alpha
from pgproof.beta import B
from .gamma import G
from . import delta
from .. import epsilon
if TYPE_CHECKING:
    from .zeta import Z
else:
    from .eta import E
def lazy():
    from pgproof.theta import T
    class Inner:
        def method(self):
            import pgproof.iota.kappa
"""
    edges = _edges_of(source, "pgproof.pkg.m", tmp_path)
    for wanted in (
        "pgproof.alpha",
        "pgproof.beta",
        "pgproof.pkg.gamma",
        "pgproof.pkg.delta",  # from . import x: the submodule x
        "pgproof.epsilon",
        "pgproof.pkg.zeta",  # under TYPE_CHECKING
        "pgproof.pkg.eta",
        "pgproof.theta",  # inside a function
        "pgproof.iota.kappa",  # inside a method of a class in a function
    ):
        assert wanted in edges, wanted
    # in a package's __init__, "." is the package itself
    assert "pgproof.pkg.delta" in _edges_of("from . import delta", "pgproof.pkg", tmp_path, True)


def test_a_circle_through_a_type_checking_import_is_found(tmp_path: Path) -> None:
    """The graph of two modules that import each other, one only for a type, has a circle."""
    (tmp_path / "a.py").write_text("from .b import f\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import T\n",
        encoding="utf-8",
    )
    graph = {
        name: {m for m in _imports(tmp_path / f"{name[-1]}.py", name) if m in ("p.a", "p.b")}
        for name in ("p.a", "p.b")
    }
    assert _cycle(graph) == ["p.a", "p.b", "p.a"]


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
