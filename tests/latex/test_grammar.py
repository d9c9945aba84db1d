"""The grammar is LALR(1) without conflicts: no choice is made silently."""

from __future__ import annotations

import logging
from importlib import resources

from lark import Lark, logger


def test_grammar_has_no_lalr_conflicts(caplog):
    grammar = resources.files("pgproof.latex").joinpath("grammar.lark").read_text("utf-8")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(grammar, parser="lalr", lexer="contextual", debug=True)
    finally:
        logger.setLevel(old)
    conflicts = [r.getMessage() for r in caplog.records if "onflict" in r.getMessage()]
    assert conflicts == []
