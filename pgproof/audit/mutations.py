r"""Mutations of checked derivations, for the soundness audit.

A mutant changes one thing in an accepted step k of a checked derivation, and the audit
(:mod:`.audit`) asks whether the checker accepts a mutant whose claim is numerically
false.  Six families:

**expression** — one node of step k's claimed right side (:func:`mutants`, every
position the traversal's :func:`~pgproof.symbolic.traversal.mutable_children` reaches):

    flip sign         x → −x
    drop factor       f·g·h → f·h
    duplicate factor  f·g → f·g·g
    move ∇            (∇f)·g → ∇(f·g)   and   ∇(f·g) → (∇f)·g
    swap s_t/s_t+1    p(s_{t+1}|s_t,a_t) → p(s_t|s_{t+1},a_t);  s_t → s_{t±1}
    policy→dynamics   π_θ(a_t|s_t) → p(s_{t+1}|s_t,a_t)
    remove p(s_1)     p(s_first) → 1
    index range       Σ/∏_{t=a}^{b} → a±1 or b±1
    reversed range    Σ/∏_{t=a}^{b} → Σ/∏_{t=b}^{a}
    shifted range     Σ/∏_{t=a}^{b} → Σ/∏_{t=a±1}^{b±1}

**relation** — ``= ↔ ≈``: the claim with the other relation (when the checker's claims
carry their relation, :class:`~pgproof.kernel.objects.Approximation`).

**rule** — the citation: a cited rule swapped for every other rule, or dropped (the claim
kept); *re-derived*: step k by one rule R alone, its claim what R produces from step k's
source (so the checker meets claims its rules make, in the seeds' contexts); *estimate
chain*: after a re-derived estimate (≈), a second step by every rule, and after ∇ or log
of both sides of it, a third (the pattern J ≈ mean → ∇J ≈ ∇mean → ∇J ≈ 0).

**link** — ``from`` and ``using`` pointed at every other step (and at the step itself:
unusable); *refused source*: step j that step k uses is mutated (an expression mutant,
refused) and the same change carried into step k's claim, so that step k follows from a
refused step by its own rule.

**terms** — the terms a step claims free of θ (``terms`` of drop_zero_gradient): each
swapped for, or joined by, a θ-dependent term (π_θ, log π_θ, p_θ(τ), J(θ), E_{τ∼p_θ}[R],
or a θ-dependent subterm of the step's source).

**notation** — the derivation file read again with its ``[notation]`` changed (first
index, trajectory space, a constant named like θ, τ or t, the horizon renamed, another
density style) or its formulas' text changed (θ dropped from p_θ(τ) and π_θ, the bounds
of Σ_{t=a}^{b} dropped, a factor x^{-1} x inserted).

A mutant equal to the original is skipped.  Mutants are mathematically arbitrary: most
are false, some happen to be true, some have no numeric meaning.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sympy import Basic, Integer, Mul, Product, Sum, log

from pgproof.kernel import objects
from pgproof.kernel.objects import (
    Action,
    Dynamics,
    Equation,
    Grad,
    InitialDistribution,
    Policy,
    State,
)
from pgproof.symbolic.checker import premises
from pgproof.symbolic.derivation import Derivation, Step
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.report import DerivationReport
from pgproof.symbolic.rules import REGISTRY, Context, apply_rule, lookup
from pgproof.symbolic.text import show
from pgproof.symbolic.traversal import Path as TreePath
from pgproof.symbolic.traversal import mutable_children, positions, replace_at

Operator = Callable[[Basic, Notation], list[Basic]]

# ----------------------------------------------------------------------------- expressions


def _limit_variants(node: Basic, changes: Callable[[Basic, Basic], list[tuple]]) -> list[Basic]:
    if not isinstance(node, (Sum, Product)):
        return []
    out = []
    for k, (index, low, high) in enumerate(node.limits):
        for new in changes(low, high):
            limits = list(node.limits)
            limits[k] = (index, *new)
            out.append(node.func(node.function, *limits))
    return out


def index_range(node: Basic, notation: Notation) -> list[Basic]:
    return _limit_variants(node, lambda a, b: [(a + 1, b), (a - 1, b), (a, b - 1), (a, b + 1)])


def reversed_range(node: Basic, notation: Notation) -> list[Basic]:
    return _limit_variants(node, lambda a, b: [(b, a)])


def shifted_range(node: Basic, notation: Notation) -> list[Basic]:
    return _limit_variants(node, lambda a, b: [(a + 1, b + 1), (a - 1, b - 1)])


def drop_factor(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Mul):
        return []
    return [Mul(*(a for j, a in enumerate(node.args) if j != k)) for k in range(len(node.args))]


def duplicate_factor(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Mul):
        return []
    return [node * a for a in node.args]


def flip_sign(node: Basic, notation: Notation) -> list[Basic]:
    if isinstance(node, (State, Action)) or node.is_Atom:
        return []
    return [-node]


def swap_states(node: Basic, notation: Notation) -> list[Basic]:
    if isinstance(node, Dynamics):
        name, nxt, state, action = node.args
        return [Dynamics(name, state, nxt, action)]
    if isinstance(node, State):
        name, traj, time = node.args
        return [State(name, traj, time + 1), State(name, traj, time - 1)]
    return []


def policy_to_dynamics(node: Basic, notation: Notation) -> list[Basic]:
    if not isinstance(node, Policy):
        return []
    action, state = node.args[1], node.args[2]
    if not isinstance(state, State):
        return []
    name, traj, time = state.args
    return [Dynamics(notation.dynamics, State(name, traj, time + 1), state, action)]


def remove_initial(node: Basic, notation: Notation) -> list[Basic]:
    return [Integer(1)] if isinstance(node, InitialDistribution) else []


def move_gradient(node: Basic, notation: Notation) -> list[Basic]:
    out: list[Basic] = []
    if isinstance(node, Mul):
        for k, factor in enumerate(node.args):
            if isinstance(factor, Grad):
                rest = [a for j, a in enumerate(node.args) if j != k]
                out.append(Grad(factor.expr * Mul(*rest), factor.variable))
    if isinstance(node, Grad) and isinstance(node.expr, Mul):
        for k, factor in enumerate(node.expr.args):
            rest = [a for j, a in enumerate(node.expr.args) if j != k]
            out.append(Grad(factor, node.variable) * Mul(*rest))
    return out


OPERATORS: dict[str, Operator] = {
    "index range": index_range,
    "reversed range": reversed_range,
    "shifted range": shifted_range,
    "drop factor": drop_factor,
    "duplicate factor": duplicate_factor,
    "flip sign": flip_sign,
    "swap s_t/s_t+1": swap_states,
    "policy→dynamics": policy_to_dynamics,
    "remove p(s_1)": remove_initial,
    "move ∇": move_gradient,
}
#: the operators that change a range (propagated into later steps by limits, not by node)
RANGE_KINDS = ("index range", "reversed range", "shifted range")


@dataclass(frozen=True)
class Mutant:
    """One expression mutant: ``expr`` is ``original`` with the node at ``path`` changed."""

    kind: str
    path: TreePath
    original: Basic
    expr: Basic

    @property
    def replaced(self) -> tuple[Basic, Basic]:
        """(the node before, the node after)."""
        return _node_at(self.original, self.path), _node_at(self.expr, self.path)


def _node_at(expr: Basic, path: TreePath) -> Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def mutants(expr: Basic, notation: Notation) -> list[Mutant]:
    """Every single-node mutant of ``expr`` (distinct, different from ``expr``)."""
    out: list[Mutant] = []
    seen = {expr}
    for path, node in positions(expr, mutable_children):
        for kind, operator in OPERATORS.items():
            for new in operator(node, notation):
                try:
                    mutated = replace_at(expr, path, new)
                except (TypeError, ValueError):
                    continue
                if mutated not in seen:
                    seen.add(mutated)
                    out.append(Mutant(kind, path, expr, mutated))
    return out


# ----------------------------------------------------------------------------- step mutants


@dataclass(frozen=True)
class StepMutant:
    """A mutant of accepted step ``step`` of a checked derivation.

    Exactly one of three forms:

    * ``claim``: step ``step`` claims this equation instead; it is checked alone against
      its own source (``check_step``), as the expression and relation families are;
    * ``derivation``: a changed derivation, checked whole (``check_derivation``); its step
      ``target`` is the one judged;
    * ``error``: the changed derivation could not even be read (a notation mutant whose
      file no longer parses): refused as unusable.
    """

    family: str
    kind: str
    step: int
    description: str
    claim: Equation | None = None
    derivation: Derivation | None = None
    target: int = 0
    error: str = ""
    #: the file's text changed but it was read exactly as the original (a silent reading)
    silent: bool = False


def accepted_steps(report: DerivationReport) -> list[int]:
    """The steps to mutate: the accepted ones (a mutant of a refused step says little)."""
    return [s.index for s in report.steps if s.accepted]


def _with_step(derivation: Derivation, k: int, step: Step, keep: int | None = None) -> Derivation:
    """``derivation`` with step k replaced, truncated after step ``keep`` (default k)."""
    changed = derivation.with_step(k, step)
    return replace(changed, steps=changed.steps[: keep or k])


def expression_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    notation = report.derivation.notation
    for k in accepted_steps(report):
        claim = report.steps[k - 1].claim
        for m in mutants(claim.rhs, notation):
            mutated = claim.func(claim.lhs, m.expr)
            yield StepMutant("expression", m.kind, k, show(m.expr), claim=mutated)


def _approximation() -> type | None:
    return getattr(objects, "Approximation", None)


def relation_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """= ↔ ≈ (only when the checker's claims carry their relation)."""
    approx = _approximation()
    if approx is None:
        return
    for k in accepted_steps(report):
        claim = report.steps[k - 1].claim
        other = Equation if isinstance(claim, approx) else approx
        flipped = other(claim.lhs, claim.rhs)
        yield StepMutant("relation", "= ↔ ≈", k, show(flipped), claim=flipped)


def rule_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """Each cited rule swapped for every other rule, or dropped; the claim kept."""
    d = report.derivation
    names = sorted(REGISTRY)
    for k in accepted_steps(report):
        step = d.steps[k - 1]
        for j, cited in enumerate(step.rules):
            own = lookup(cited).name
            for other in names:
                if other == own:
                    continue
                rules = (*step.rules[:j], other, *step.rules[j + 1 :])
                yield StepMutant(
                    "rule",
                    "rule swapped",
                    k,
                    f"by {', '.join(rules)} (was {', '.join(step.rules)})",
                    derivation=_with_step(d, k, replace(step, rules=rules)),
                    target=k,
                )
            if len(step.rules) > 1:
                rules = step.rules[:j] + step.rules[j + 1 :]
                yield StepMutant(
                    "rule",
                    "rule dropped",
                    k,
                    f"by {', '.join(rules)} (was {', '.join(step.rules)})",
                    derivation=_with_step(d, k, replace(step, rules=rules)),
                    target=k,
                )


# ------------------------------------------------------------------------ re-derived steps

#: candidates kept per (step, rule) when a step is re-derived by a rule
CANDIDATES_PER_RULE = 2


def rule_candidates(
    source: Equation,
    rule_name: str,
    notation: Notation,
    reference: Equation | None = None,
    terms: tuple[Basic, ...] = (),
    factor: Basic | None = None,
    limit: int = CANDIDATES_PER_RULE,
) -> list[Equation]:
    """Equations that ``rule_name`` produces from ``source`` — by rewriting its right side,
    or the whole equation for a rule applied to equations only — the first and the last
    found (a single-position rewrite and the everywhere-at-once one)."""
    rule = lookup(rule_name)
    ctx = Context(notation, None, reference, terms, factor)
    try:
        if rule.root_only:
            found = list(apply_rule(source, rule, ctx).candidates)
        else:
            rewritten = apply_rule(source.rhs, rule, ctx).candidates
            found = [Equation(source.lhs, c) for c in rewritten]
    except Exception:  # noqa: BLE001 - a rule that cannot run here gives no candidate
        return []
    found = [c for c in found if c != source]
    found = [c for c in found if isinstance(c, Equation) and grad_depth(c) <= MAX_GRAD_DEPTH]
    if len(found) <= limit:
        return found
    picks = [found[0], found[-1]] + found[1 : limit - 1]
    return picks[:limit]


#: ∇ nested deeper than this is not generated (finite differences of ∇∇∇ are slow and
#: such claims say nothing new)
MAX_GRAD_DEPTH = 1


def grad_depth(expr: Basic) -> int:
    """How deeply ∇ is nested in ``expr``."""
    inner = max((grad_depth(a) for a in expr.args), default=0)
    return inner + 1 if isinstance(expr, Grad) else inner


def _source_of(report: DerivationReport, k: int) -> Equation:
    return report.steps[k - 1].source


def _reference_of(report: DerivationReport, k: int) -> Equation | None:
    ref = report.derivation.steps[k - 1].reference
    if isinstance(ref, int) and 1 <= ref < k:
        return report.steps[ref - 1].claim
    return None


def derived_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """Step k by one rule R alone, claiming what R gives; estimate chains after it."""
    d = report.derivation
    n = d.notation
    for k in accepted_steps(report):
        step = d.steps[k - 1]
        source = _source_of(report, k)
        reference = _reference_of(report, k)
        original = report.steps[k - 1].claim
        for name in sorted(REGISTRY):
            rule = REGISTRY[name]
            for cand in rule_candidates(source, name, n, reference, step.terms, step.factor):
                if cand.args == original.args:
                    continue
                first = replace(step, lhs=cand.lhs, rhs=cand.rhs, rules=(name,))
                base = _with_step(d, k, first)
                yield StepMutant(
                    "rule", "re-derived", k, f"by {name}: {show(cand)}", derivation=base, target=k
                )
                estimate = rule.estimate or report.steps[k - 1].estimate
                if estimate:
                    yield from _chain(base, k, cand, n, depth=2)


def _chain(
    base: Derivation, k: int, claim: Equation, n: Notation, depth: int
) -> Iterator[StepMutant]:
    """One more step after ``base`` (whose last step claims ``claim``), by every rule."""
    for name in sorted(REGISTRY):
        rule = REGISTRY[name]
        for cand in rule_candidates(claim, name, n, limit=1):
            nxt = Step(lhs=cand.lhs, rhs=cand.rhs, rules=(name,))
            longer = replace(base, steps=(*base.steps, nxt))
            target = len(longer.steps)
            yield StepMutant(
                "rule",
                "estimate chain",
                k,
                f"then by {name}: {show(cand)}",
                derivation=longer,
                target=target,
            )
            if depth == 2 and rule.root_only and name not in ("restate", "algebra"):
                yield from _chain(longer, k, cand, n, depth=3)


# ------------------------------------------------------------------------------ links


def link_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """``from`` and ``using`` pointed at every other step, and at the step itself."""
    d = report.derivation
    for k in accepted_steps(report):
        step = d.steps[k - 1]
        current = k - 1 if step.source == "previous" and k > 1 else step.source
        if step.source == "previous" and k == 1:
            current = "self"
        for other in ["self", *range(1, k + 1)]:
            if other == current:
                continue
            yield StepMutant(
                "link",
                "from → other step",
                k,
                f"from = {other!r} (was {step.source!r})",
                derivation=_with_step(d, k, replace(step, source=other)),
                target=k,
            )
        if step.reference is None and "substitute" not in {lookup(r).name for r in step.rules}:
            continue
        for other in range(1, k + 1):
            if other == step.reference:
                continue
            yield StepMutant(
                "link",
                "using → other step",
                k,
                f"using = {other} (was {step.reference})",
                derivation=_with_step(d, k, replace(step, reference=other)),
                target=k,
            )


#: mutants of a used step carried into the step that uses it, per (used, user) pair
PROPAGATED_PER_LINK = 6


def _uses(report: DerivationReport, k: int) -> list[tuple[int, str]]:
    """The premises of step k, with the ``using`` inference chose for an uncited step."""
    inferred = report.steps[k - 1].inferred_using
    return premises(report.derivation.steps[k - 1], k, inferred)


def _carry(expr: Basic, mutant: Mutant) -> Basic:
    """``expr`` with the change of ``mutant`` made wherever it applies."""
    before, after = mutant.replaced
    if mutant.kind in RANGE_KINDS:
        return expr.replace(
            lambda node: isinstance(node, (Sum, Product)) and node.limits == before.limits,
            lambda node: node.func(node.function, *after.limits),
        )
    if before.is_Atom or isinstance(before, (State, Action)):
        return expr
    return expr.xreplace({before: after})


def propagated_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """Step j mutated (a refused expression mutant) and the change carried into step k,
    which uses j (``from`` or ``using``): step k then follows from a refused step."""
    d = report.derivation
    n = d.notation
    for k in accepted_steps(report):
        user = d.steps[k - 1]
        for j, how in _uses(report, k):
            used = d.steps[j - 1]
            kept = 0
            for m in mutants(report.steps[j - 1].claim.rhs, n):
                new_rhs = _carry(user.rhs, m)
                new_lhs = _carry(user.lhs, m) if user.lhs is not None else None
                if new_rhs == user.rhs and new_lhs == user.lhs:
                    continue
                steps = list(d.steps[:k])
                steps[j - 1] = replace(used, rhs=m.expr)
                steps[k - 1] = replace(user, rhs=new_rhs, lhs=new_lhs)
                yield StepMutant(
                    "link",
                    "refused source",
                    k,
                    f"step {j} ({how}) mutated [{m.kind}] to {show(m.expr)}; step {k} → "
                    f"{show(new_rhs)}",
                    derivation=replace(d, steps=tuple(steps)),
                    target=k,
                )
                kept += 1
                if kept >= PROPAGATED_PER_LINK:
                    break


# ------------------------------------------------------------------------------ terms


def theta_dependent_terms(notation: Notation, source: Equation) -> list[Basic]:
    """θ-dependent terms to claim free of θ: the notation's own, and the source's."""
    n = notation
    out = [n.pi(), log(n.pi()), n.density_of(), log(n.density_of()), n.J(), n.expectation(n.R())]
    theta = n.theta
    for node in source.atoms(Grad):
        body = node.expr
        for term in [body, *body.args]:
            if theta in term.free_symbols and not term.is_Atom and term not in out:
                out.append(term)
    return out[:10]


def terms_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    d = report.derivation
    for k in accepted_steps(report):
        step = d.steps[k - 1]
        if not step.terms and "drop_zero_gradient" not in {lookup(r).name for r in step.rules}:
            continue
        for bad in theta_dependent_terms(d.notation, report.steps[k - 1].source):
            variants = [
                (*step.terms[:j], bad, *step.terms[j + 1 :]) for j in range(len(step.terms))
            ]
            variants.append((*step.terms, bad))
            for terms in variants:
                yield StepMutant(
                    "terms",
                    "θ-dependent term",
                    k,
                    f"terms = [{', '.join(show(t) for t in terms)}]",
                    derivation=_with_step(d, k, replace(step, terms=terms)),
                    target=k,
                )


# ------------------------------------------------------------------------------ notation


def _toml_string(value: str) -> str:
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def dump_toml(data: dict[str, Any]) -> str:
    """The derivation-file subset of TOML: scalars, string lists, tables, [[step]]."""
    lines = [
        f"{k} = {_toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict | list)
        or (isinstance(v, list) and not (v and isinstance(v[0], dict)))
    ]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for table in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _notation_changes(table: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, description, changed [notation] table)."""
    out: list[tuple[str, str, dict[str, Any]]] = []

    def changed(kind: str, what: str, **kw: Any) -> None:
        out.append((kind, what, {**table, **kw}))

    first = int(table.get("first_index", 1))
    changed("first_index", f"first_index = {1 - first}", first_index=1 - first)
    space = table.get("trajectory_space", "continuous")
    other = "discrete" if space == "continuous" else "continuous"
    changed("trajectory_space", f"trajectory_space = {other!r}", trajectory_space=other)
    constants = list(table.get("constants", []))
    parameter = table.get("parameter", "theta")
    for name in (f"\\{parameter}", parameter):
        changed("constant named like θ", f"constants += [{name!r}]", constants=[*constants, name])
    for name in ("\\tau", "t", "T" if table.get("horizon", "T") == "T" else "H"):
        what = f"constants += [{name!r}]"
        changed("constant named like τ/t/T", what, constants=[*constants, name])
    horizon = table.get("horizon", "T")
    changed(
        "horizon renamed",
        f"horizon = {'H' if horizon == 'T' else 'T'!r}",
        horizon="H" if horizon == "T" else "T",
    )
    style = table.get("density_style", "subscript")
    for new in ("subscript", "given_policy", "semicolon"):
        if new != style:
            changed("density style", f"density_style = {new!r}", density_style=new)
    return out


#: text changes of the formulas: (kind, pattern, replacement)
TEXT_CHANGES: tuple[tuple[str, str, str], ...] = (
    ("θ dropped from the text", r"_\{?\\theta\}?\s*(\\left)?\s*\(", r"\1("),
    (
        "Σ bounds dropped",
        r"\\sum(\\limits)?\s*(_\{t\s*=[^{}]*\}\^\{[^{}]*\}|\^\{[^{}]*\}_\{t\s*=[^{}]*\})",
        r"\\sum_{t}",
    ),
    ("x⁻¹x inserted", r"(R|r)\s*\(\s*\\tau\s*\)", r"\1(\\tau)^{-1} \1(\\tau) \1(\\tau)"),
)


def _read_with(path: Path, data: dict[str, Any]) -> tuple[Derivation | None, str]:
    """The derivation ``data`` describes, read as the file ``path`` would be; or the error
    that makes it unusable."""
    from pgproof.files import DerivationFileError, load_derivation
    from pgproof.latex.parser import LatexError
    from pgproof.symbolic.errors import DerivationError

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / path.name
        target.write_text(dump_toml(data), encoding="utf-8")
        try:
            derivation = load_derivation(target)
        except (DerivationFileError, DerivationError, LatexError) as exc:
            return None, str(exc).replace(str(target), path.name)
    return replace(derivation, file=str(path)), ""


def _same_reading(a: Derivation, b: Derivation) -> bool:
    """``a`` (changed text) reads as ``b``, and its report says nothing more about it."""
    return all(
        (x.lhs, x.rhs, x.terms, x.factor, getattr(x, "readings", ()))
        == (y.lhs, y.rhs, y.terms, y.factor, getattr(y, "readings", ()))
        for x, y in zip(a.steps, b.steps, strict=True)
    )


def notation_mutants(report: DerivationReport) -> Iterator[StepMutant]:
    """The file read again with its notation or its formulas' text changed; each accepted
    step of the original is one mutant (judged in the re-read derivation)."""
    d = report.derivation
    if not d.file or not Path(d.file).is_file():
        return
    path = Path(d.file)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.pop("expect", None)  # judged step by step, not by the expected verdict
    table = dict(data.get("notation", {}))
    changes: list[tuple[str, str, dict[str, Any], bool]] = [
        (kind, what, {**data, "notation": new}, False)
        for kind, what, new in _notation_changes(table)
    ]
    for kind, pattern, repl in TEXT_CHANGES:
        steps = [dict(s) for s in data["step"]]
        hits = 0
        for s in steps:
            new, count = re.subn(pattern, repl, s["formula"])
            s["formula"], hits = new, hits + count
        if hits:
            what = f"{hits} place(s) in the formulas"
            changes.append((kind, what, {**data, "step": steps}, True))
    for kind, what, changed, text in changes:
        derivation, error = _read_with(path, changed)
        silent = bool(text and derivation is not None and _same_reading(derivation, d))
        for k in accepted_steps(report):
            yield StepMutant(
                "notation",
                kind,
                k,
                what,
                derivation=derivation,
                target=k,
                error=error,
                silent=silent,
            )


# ------------------------------------------------------------------------------ all

FAMILIES: dict[str, Callable[[DerivationReport], Iterator[StepMutant]]] = {
    "expression": expression_mutants,
    "relation": relation_mutants,
    "rule": lambda r: _chain_iters(rule_mutants(r), derived_mutants(r)),
    "link": lambda r: _chain_iters(link_mutants(r), propagated_mutants(r)),
    "terms": terms_mutants,
    "notation": notation_mutants,
}


def _chain_iters(*iters: Iterator[StepMutant]) -> Iterator[StepMutant]:
    for it in iters:
        yield from it


def step_mutants(
    report: DerivationReport, families: tuple[str, ...] | None = None
) -> list[StepMutant]:
    """Every mutant of ``report``'s accepted steps, family by family."""
    out: list[StepMutant] = []
    for name, make in FAMILIES.items():
        if families is None or name in families:
            out.extend(make(report))
    return out
