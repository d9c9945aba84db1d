"""The rules of pgproof, registered by importing their modules."""

from . import (  # noqa: F401
    algebra,
    calculus,
    chain,
    conditional,
    definitions,
    expectation,
    logs,
    score,
    sums,
    visitation,
)
from .apply import apply_rule
from .base import REGISTRY, Context, Rule, UnknownRule, all_names, lookup

__all__ = ["REGISTRY", "Context", "Rule", "UnknownRule", "all_names", "apply_rule", "lookup"]
