"""The kernel stands alone, and every expression class declares once what it binds.

* pgproof/kernel imports only the standard library, SymPy and itself: at module level, under
  TYPE_CHECKING and inside functions (an AST walk, not an import-time check);
* it stays small enough to read (issue 20: at most 2,500 lines);
* every pgproof expression class has a declaration (its own or inherited), none computes its
  free symbols by hand, and the free symbols follow from the declaration.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

from sympy import Basic, Integer, Symbol

import pgproof
from pgproof.kernel import objects, series, state_objects, visitation
from pgproof.kernel.binders import Declaration, declaration_of

KERNEL = Path(pgproof.__file__).parent / "kernel"
MAX_LINES = 2500


def _imports(path: Path) -> list[tuple[int, str, int]]:
    """(line, module, level) of every import in ``path``, wherever it is."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.lineno, node.module or "", node.level))
    return out


def test_the_kernel_imports_only_the_standard_library_sympy_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"sympy", "__future__"}
    found = []
    for path in sorted(KERNEL.glob("*.py")):
        for line, module, level in _imports(path):
            top = module.split(".")[0]
            if level == 0 and module.startswith("pgproof.kernel"):
                continue
            if level == 1 or (level == 0 and top in allowed):
                continue
            found.append(f"{path.name}:{line}: {'.' * level}{module}")
    assert not found, found
    assert sorted(KERNEL.glob("*.py")), "no kernel modules found"


def test_the_kernel_is_small_enough_to_read() -> None:
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in KERNEL.glob("*.py"))
    assert 0 < lines <= MAX_LINES


def _expression_classes() -> list[type]:
    classes = []
    for module in (objects, series, state_objects, visitation):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, Basic):
                classes.append(cls)
    return classes


def test_every_expression_class_declares_what_it_binds() -> None:
    classes = _expression_classes()
    assert len(classes) > 20
    for cls in classes:
        assert isinstance(declaration_of(cls), Declaration), cls
        if issubclass(cls, objects.PGExpr) and cls is not objects.PGExpr:
            assert "free_symbols" not in cls.__dict__, f"{cls.__name__} computes its own"


def test_free_symbols_follow_from_the_declaration() -> None:
    t, tau, theta, m = Symbol("t"), Symbol("tau"), Symbol("theta"), Symbol("m")
    g = objects.Reward("r", objects.State("s", tau, t), objects.Action("a", tau, t))
    density = objects.TrajectoryDensity("p", tau, theta)
    assert objects.Expectation(g, tau, density).free_symbols == {t, theta}
    assert objects.Grad(g, theta).free_symbols == {t, tau, theta}
    assert objects.SampleMean(g * Symbol("i"), Symbol("i"), m).free_symbols == {t, tau, m}
    assert series.InfiniteSum(g, t, Integer(1)).free_symbols == {tau}
    assert series.InfiniteSum(g, t, t).free_symbols == {tau, t}  # the lower limit is outside


def test_an_undeclared_binder_is_unknown_not_plain() -> None:
    class Bind(objects.PGExpr):
        @property
        def free_symbols(self):  # binds args[1] without saying so
            return self.args[0].free_symbols - {self.args[1]}

    assert declaration_of(Bind) is None


def test_the_readme_gives_the_kernels_size() -> None:
    """README's "What you must trust" says how many lines the kernel has: it must be true."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`pgproof/kernel/`, ([\d,]+) lines", readme)
    assert found is not None, "README does not give the kernel's size"
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in KERNEL.glob("*.py"))
    assert int(found.group(1).replace(",", "")) == lines
