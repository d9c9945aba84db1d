"""One registration per rule: every rule carries all of its parts, and no other module
keeps a table of its own keyed by rule names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pgproof
from pgproof.files import synonyms
from pgproof.symbolic.rules import REGISTRY
from pgproof.symbolic.rules.base import rule

PACKAGE = Path(pgproof.__file__).parent
#: the registry itself: rule modules name their own rule
REGISTRY_FOLDER = PACKAGE / "symbolic" / "rules"
#: still keyed by rule name: the audit's redex strategies (Hypothesis, which rule modules
#: may not import), and the derived rules' reasons why a family result stays primitive;
#: every other module reads the registry
NOT_YET = (PACKAGE / "audit", PACKAGE / "derived" / "__init__.py")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_rule_is_registered_with_all_of_its_parts(name: str) -> None:
    registered = REGISTRY[name]
    assert registered.name == name
    assert registered.formula, f"{name}: no formula in its docstring"
    assert registered.label and registered.label.isascii(), f"{name}: no ASCII label"
    assert registered.phrases, f"{name}: no phrases"
    for phrase in registered.phrases:
        assert phrase == synonyms._normal(phrase), f"{name}: {phrase!r} is not normalised"
    assert isinstance(registered.priority, int), f"{name}: no priority"


def test_there_are_35_rules_and_each_label_is_its_own() -> None:
    assert len(REGISTRY) == 35
    labels = [r.label for r in REGISTRY.values()]
    assert len(set(labels)) == len(labels)


def test_no_phrase_names_two_rules() -> None:
    owners: dict[str, list[str]] = {}
    for name in sorted(REGISTRY):
        for phrase in REGISTRY[name].phrases:
            owners.setdefault(phrase, []).append(name)
    assert {p: o for p, o in owners.items() if len(o) > 1} == {}
    # and each phrase, written by an author, means its own rule first, strictly
    for name in sorted(REGISTRY):
        for phrase in REGISTRY[name].phrases:
            ranked = synonyms._ranked(phrase)
            assert ranked[0][0] == name, (phrase, ranked[:3])
            assert len(ranked) == 1 or ranked[1][1] < ranked[0][1], (phrase, ranked[:3])


def test_a_phrase_registered_for_a_second_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="phrase 'log trick' names log_derivative_trick"):
        rule("my_log_rule", phrases=("log trick",))(lambda node, ctx: None)
    assert "my_log_rule" not in REGISTRY


def test_the_search_reads_priority_and_never_infers_restate() -> None:
    from pgproof.symbolic.inference import rule_order

    order = [r.name for r in rule_order("")]
    assert "restate" not in order
    assert not REGISTRY["restate"].inferred
    priorities = [REGISTRY[n].priority for n in order]
    assert priorities == sorted(priorities)
    assert order[:3] == ["definition", "expectation_to_integral", "expectation_to_sum"]


def _rule_name_tables(source: str) -> list[str]:
    """Dict literals with two rule names as keys, and tuples, lists or sets of two rule
    names, in ``source``: line and names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            items = node.keys
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        else:
            continue
        named = [i.value for i in items if isinstance(i, ast.Constant) and i.value in REGISTRY]
        if len(named) >= 2:
            found.append(f"{node.lineno}: {', '.join(named)}")
    return found


def test_the_table_check_finds_tables_of_rule_names() -> None:
    source = (
        'LABELS = {"algebra": "algebra", "restate": "restated"}\n'
        'USUAL = ("baseline", "causality")\n'
        'ONE = {"algebra": 1}\n'
    )
    assert _rule_name_tables(source) == ["1: algebra, restate", "2: baseline, causality"]


def test_no_module_outside_the_registry_keeps_a_table_of_rules() -> None:
    modules = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if REGISTRY_FOLDER not in path.parents
        and not any(p == path or p in path.parents for p in NOT_YET)
    ]
    assert len(modules) > 50
    found = [
        f"{path.relative_to(PACKAGE)}:{table}"
        for path in modules
        for table in _rule_name_tables(path.read_text(encoding="utf-8"))
    ]
    assert found == []
