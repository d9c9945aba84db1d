"""Shared test configuration: the pytester plugin, and the ``extra`` marker.

``@pytest.mark.extra("plots")`` on a test (or ``pytestmark`` of a module) runs it only
where the optional extra is installed: a skip naming the extra on a bare
``pip install '.[test]'``, a failure where ``PGPROOF_REQUIRE_EXTRAS`` is set (see
:mod:`tests.extras`).
"""

from __future__ import annotations

import pytest

from tests.extras import require_extra

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "extra(name, ...): needs the optional extra(s) pgproof[name] (skipped without them, "
        "a failure where PGPROOF_REQUIRE_EXTRAS is set)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="extra"):
        for extra in mark.args:
            require_extra(extra)
