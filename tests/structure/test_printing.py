"""Printing lives in printers: no expression object prints itself, and every one is printed.

SymPy's printers first call an object's own ``_latex`` / ``_sympystr`` / ``_pretty`` /
``_mathml…`` method when it has one; pgproof's objects have none, and the printers of
:mod:`pgproof.present` (and the reader's text printer of :mod:`pgproof.symbolic.text`)
carry one ``_print_<Class>`` per class instead, found along the class's MRO as SymPy's
dispatch finds it.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from sympy import Basic, Integer, Symbol
from sympy.printing.printer import Printer

import pgproof
import pgproof.kernel
import pgproof.symbolic
from pgproof.kernel.objects import (
    Approximation,
    Cancelled,
    Equation,
    PGExpr,
    SampledTrajectory,
    SampleMean,
    State,
)
from pgproof.kernel.state_objects import (
    ActionSum,
    ActionSymbol,
    GaussianDensity,
    Inner,
    StateSymbol,
    parametrised,
)
from pgproof.kernel.visitation import StateProbability
from pgproof.present import PGLatexPrinter, PGStrPrinter, latex, sstr
from pgproof.symbolic.domain import condition_order
from pgproof.symbolic.series import InfiniteSum
from pgproof.symbolic.text import TextPrinter, show

ROOT = Path(pgproof.__file__).parent

#: an object's own printing method, as SymPy's printers look for it
PRINTING = re.compile(r"_(latex|sympystr|pretty|mathml\w*)")

#: bases that are never built themselves, only their subclasses
ABSTRACT = frozenset(
    {"PGExpr", "_Operator", "TrajectoryAggregate", "_BoundAction", "_TrajectoryVariable"}
)


def expression_classes() -> list[type]:
    """Every SymPy class defined under pgproof.kernel (the expression objects) and
    pgproof.symbolic, in a fixed order."""
    found: dict[str, type] = {}
    infos = [
        *pkgutil.walk_packages(pgproof.kernel.__path__, "pgproof.kernel."),
        *pkgutil.walk_packages(pgproof.symbolic.__path__, "pgproof.symbolic."),
    ]
    for info in infos:
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Basic)
                and (value.__module__ or "").startswith("pgproof.")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def printing_methods(cls: type) -> list[str]:
    """The printing methods ``cls`` has, its own or inherited."""
    return sorted(name for name in dir(cls) if PRINTING.fullmatch(name))


def class_bodies_that_print(path: Path) -> list[str]:
    """``Class.method`` for every printing method a class in ``path`` defines or assigns."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            names: list[str] = []
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [item.name]
            elif isinstance(item, ast.Assign):
                names = [t.id for t in item.targets if isinstance(t, ast.Name)]
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names = [item.target.id]
            out.extend(f"{node.name}.{n}" for n in names if PRINTING.fullmatch(n))
    return out


def dispatched(printer: type[Printer], cls: type) -> type | None:
    """The printer class whose ``_print_<C>`` SymPy's dispatch calls for an instance of
    ``cls`` (C the first class of its MRO the printer has a method for)."""
    for klass in cls.__mro__:
        method = getattr(printer, "_print_" + klass.__name__, None)
        if method is not None:
            return next(p for p in printer.__mro__ if method.__name__ in vars(p))
    return None


# --------------------------------------------------------------------------- the checks


def test_the_scan_finds_the_expression_classes() -> None:
    names = {cls.__name__ for cls in expression_classes()}
    assert {"Grad", "Expectation", "ActionSum", "StateSum", "InfiniteSum", "Equation"} <= names
    assert len(names) >= 35
    assert names >= ABSTRACT
    for cls in expression_classes():  # an abstract base is one: it has subclasses
        if cls.__name__ in ABSTRACT:
            assert cls.__subclasses__(), cls


@pytest.mark.parametrize("cls", expression_classes(), ids=lambda c: c.__name__)
def test_no_expression_class_prints_itself(cls: type) -> None:
    assert printing_methods(cls) == []


def test_no_class_in_the_package_defines_a_printing_method() -> None:
    found = {
        str(path.relative_to(ROOT)): class_bodies_that_print(path)
        for path in sorted(ROOT.rglob("*.py"))
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_the_checks_see_a_printing_method(tmp_path: Path) -> None:
    """The two checks above can fail: a class that prints itself is caught by both."""

    class Printing(PGExpr):
        def _latex(self, printer) -> str:
            return "x"

    class Inheriting(Printing):
        _mathml_content = None

    assert printing_methods(Printing) == ["_latex"]
    assert printing_methods(Inheriting) == ["_latex", "_mathml_content"]
    source = tmp_path / "m.py"
    source.write_text(
        "class A:\n    def _sympystr(self, p):\n        return ''\n"
        "class B:\n    _pretty = None\n    def _print_B(self, e):\n        return ''\n",
        encoding="utf-8",
    )
    assert class_bodies_that_print(source) == ["A._sympystr", "B._pretty"]


@pytest.mark.parametrize("printer", [PGLatexPrinter, TextPrinter], ids=lambda p: p.__name__)
@pytest.mark.parametrize(
    "cls",
    [c for c in expression_classes() if c.__name__ not in ABSTRACT],  # bases: their subclasses
    ids=lambda c: c.__name__,
)
def test_every_expression_class_has_a_print_method(printer: type[Printer], cls: type) -> None:
    owner = dispatched(printer, cls)
    assert owner is not None and owner.__module__.startswith("pgproof."), (cls, owner)


def test_dispatch_falls_back_to_sympy_without_a_method() -> None:
    """``dispatched`` tells a pgproof method from SymPy's own fallback."""

    class Unprinted(PGExpr):
        pass

    owner = dispatched(PGLatexPrinter, Unprinted)
    assert owner is not None and not owner.__module__.startswith("pgproof.")


# --------------------------------------------------------------------------- outputs

TAU, THETA, I, M, T = Symbol("tau"), Symbol("theta"), Symbol("i"), Symbol("m"), Symbol("t")
GAMMA = Symbol("gamma")
S, A, A2 = StateSymbol("s"), ActionSymbol("a"), ActionSymbol("a'")
PI = parametrised(r"\pi", THETA, A, S)
STATE_T = State("s", TAU, T)


def cases() -> list[tuple[Basic, str, str]]:
    """(expression, its LaTeX, its text): the output of the objects' own methods before
    printing moved into the printers."""
    sample = State("s", SampledTrajectory(TAU, I), T)
    return [
        (sample, r"{s}_{t}^{(i)}", "s_t^(i)"),
        (SampleMean(sample, I, M), r"\frac{1}{m} \sum_{i=1}^{m} {s}_{t}^{(i)}",
         "(1/m) Σ_{i=1}^{m} s_t^(i)"),
        (Cancelled(STATE_T + 1), r"\cancel{{s}_{t} + 1}", "cancel[s_t + 1]"),
        (Approximation(STATE_T, Integer(1)), r"{s}_{t} \approx 1", "s_t ≈ 1"),
        (Equation(STATE_T, Integer(1)), r"{s}_{t} = 1", "s_t = 1"),
        (InfiniteSum(GAMMA**T * STATE_T, T, Integer(0)),
         r"\sum_{t=0}^{\infty} \left(\gamma^{t} {s}_{t}\right)", "Σ_{t=0}^{∞} (γ^{t}*s_t)"),
        (ActionSum(PI * A2, A2), r"\sum_{a'} \left(a' \pi_{\theta}\left(a, s\right)\right)",
         "Σ_{a'} (a'*π_θ(a, s))"),
        (Inner(THETA, S + A), r"\theta^{\top} \left(a + s\right)", "θ^⊤(a + s)"),
        (GaussianDensity(A, S, THETA), r"\mathcal{N}\left(a; s, \theta\right)", "N(a; s, θ)"),
        (StateProbability(STATE_T, S, Integer(1)), r"\Pr\left({s}_{t} = s\right)",
         "Pr(s_t = s)"),
    ]  # fmt: skip


@pytest.mark.parametrize(("expr", "tex", "text"), cases(), ids=lambda x: type(x).__name__)
def test_printers_write_what_the_objects_wrote(expr: Basic, tex: str, text: str) -> None:
    assert latex(expr) == tex
    assert show(expr) == text


def test_str_printer_writes_the_one_state_objects() -> None:
    assert sstr(ActionSum(PI * A2, A2)) == "Σ_{a'} (a'*\\pi_theta(a, s))"
    assert sstr(Approximation(S, A)) == "s ≈ a"
    assert isinstance(TextPrinter(), PGStrPrinter)



def test_conditions_are_ordered_as_str_ordered_them() -> None:
    """condition_order is str((kind, x)) with x through pgproof's str printer: the key
    str gave for SymPy's own expressions, and Σ_{a'} … (not ActionSum(…)) for a sum over
    actions, as the objects' _sympystr wrote it."""
    plain = [("positive", THETA + 1), ("nonzero", THETA), ("nonzero", THETA**2 + THETA)]
    assert [condition_order(c) for c in plain] == [str(c) for c in plain]
    summed = ("positive", ActionSum(PI, A2))
    assert condition_order(summed) == "('positive', Σ_{a'} \\pi_theta(a, s))"
