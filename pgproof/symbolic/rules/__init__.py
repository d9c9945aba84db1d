"""The rules of pgproof, registered by importing their modules."""

from . import algebra, calculus, chain, definitions, expectation, logs, score  # noqa: F401
from .apply import apply_rule
from .base import REGISTRY, Context, Rule, UnknownRule, all_names, lookup

__all__ = ["REGISTRY", "Context", "Rule", "UnknownRule", "all_names", "apply_rule", "lookup"]
