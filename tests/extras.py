"""Optional extras in the tests: a skip on a bare install, a failure where they are required.

``pip install '.[test]'`` runs the whole suite; a test that needs an optional extra
(``audit``, ``distributed``, ``plots``) says so with the marker ``@pytest.mark.extra("plots")``
(or a module's ``pytestmark``), or calls :func:`require_extra` where the need is found at
run time, or at the top of a module whose imports need the extra (before them).  Without
the extra the test is skipped with a reason naming it and how to install it; where
``PGPROOF_REQUIRE_EXTRAS`` is set (CI, which installs every extra) its absence is a failure
instead, as ``PGPROOF_REQUIRE_LATEX`` and ``PGPROOF_REQUIRE_BROWSER`` do for TeX and the
browser.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

#: the environment variable that turns a missing extra into a failure
REQUIRE = "PGPROOF_REQUIRE_EXTRAS"

#: each optional extra of pyproject.toml a test may need, and the modules it provides
EXTRAS: dict[str, tuple[str, ...]] = {
    "audit": ("hypothesis",),
    "distributed": ("distributed",),
    "plots": ("matplotlib", "PIL"),  # Pillow comes with matplotlib
}


def reason(extra: str) -> str:
    """Why a test of ``extra`` does not run: the extra and how to install it."""
    return f"needs the {extra!r} extra: pip install 'pgproof[{extra}]'"


def require_extra(extra: str) -> ModuleType:
    """The first module of ``extra``, imported; else a skip (of the whole module where it is
    called at a module's top), or a failure under ``PGPROOF_REQUIRE_EXTRAS=1``."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    modules = []
    for name in EXTRAS[extra]:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            if os.environ.get(REQUIRE):
                pytest.fail(
                    f"{reason(extra)} ({REQUIRE} is set, but {name} cannot be imported: {exc})"
                )
            pytest.skip(reason(extra), allow_module_level=True)
    return modules[0]
