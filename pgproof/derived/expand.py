"""``check --strict`` at the step: a derived rule's derivation instantiated at the step's redex.

A derivation of a form proves ``G = 0`` for the general redex ``G`` (its last line).  At a
step citing the rule, for a redex ``u`` the rule rewrote:

1. **match** ``G`` against ``u``: a first-order matching giving ``σ``, schematic name ↦ the
   step's term.  The *schematic* names of a form are the free symbols of ``G`` (the state
   ``s``, the time index ``t``, the horizon ``T``, the constant baseline ``b``, the
   parameter ``θ``) and the declared functions it applies (the baseline ``b(·)``, which is
   instantiated by ``λx. w`` where ``w`` is the step's term with the instance of ``b``'s
   argument abstracted to ``x``).  Bound variables of ``G`` (``τ``, ``a'``, ``t`` of
   ``Σ_t``) match bound variables of ``u`` of the same kind up to renaming; everything else
   must be structurally equal.  A ``λx. w`` whose body still mentions a variable bound
   around the application (``b`` of ``a_t`` or of ``s_{t+1}``: ``τ`` is bound by the E)
   would be captured: no match.  The matching only proposes ``σ``; nothing below trusts it.
2. **instantiate** every line of the derivation with ``σ`` (:func:`instantiate`: the
   project's capture-avoiding substitution, simultaneous through fresh names, so a bound
   ``τ`` of a line is renamed away from a free ``τ`` of ``σ(b)``, also where ``b(·)`` is
   applied: :func:`rename_binders`), and check the instantiated
   derivation with the ordinary checker: every step ✓, by a primitive rule or by a derived
   one that is expanded the same way (recursively; ``FORMS`` order rules out circles).
3. **rewrite**: the instantiated conclusion ``σG = 0`` must have ``σG`` alpha-equal to ``u``
   (a ``b`` of τ, of a_t or of a later state fails here: the substitution kept its τ free,
   so ``σG`` is about another trajectory than ``u``), and the source side
   with every redex replaced by 0 must be the claimed side up to canonical form.

The step is then established by ``N`` primitive steps (the instantiated derivations' steps,
those of expanded derived steps counted by their own expansions).  The rule's own function
is used only to find the redexes (which subterms it rewrote), never as the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from itertools import permutations
from typing import TYPE_CHECKING

from sympy import Add, Basic, Mul, S, Symbol, Tuple, preorder_traversal
from sympy.core.symbol import Str

from ..kernel.binders import all_names, bound_variables, declaration_of, fresh_symbol, substitute
from ..kernel.objects import DeclaredFunction
from ..symbolic.names import fixed_order
from ..symbolic.refusal import Refusal

if TYPE_CHECKING:
    from ..symbolic.derivation import Derivation
    from ..symbolic.notation import Notation
    from ..symbolic.report import StepReport
    from . import DerivedForm

#: how deep derived steps inside instantiated derivations are expanded (FORMS has no circle)
MAX_DEPTH = 8


@dataclass(frozen=True)
class Lambda:
    """``λ xs. body``: what a schematic function ``b`` is instantiated by."""

    variables: tuple[Symbol, ...]
    body: Basic

    def apply(self, arguments: tuple[Basic, ...]) -> Basic:
        """``body[xs := arguments]`` (capture-avoiding, through fresh names)."""
        return simultaneous(self.body, dict(zip(self.variables, arguments, strict=True)))


@dataclass(frozen=True)
class Expansion:
    """One redex of a step expanded: ``primitive`` steps, or ``problem`` why not."""

    form: str
    primitive: int
    problem: str = ""

    @property
    def established(self) -> bool:
        return not self.problem


class _NoMatch(Exception):
    pass


# ------------------------------------------------------------------ matching (untrusted)


def _schematic(general: Basic, names: set[Str]) -> tuple[set[Basic], set[Str]]:
    symbols = set(general.free_symbols) | names
    heads = {n.args[0] for n in preorder_traversal(general) if isinstance(n, DeclaredFunction)}
    return symbols, heads


def _same_kind(v: Basic, w: Basic) -> bool:
    return type(v) is type(w) and getattr(v, "assumptions0", None) == getattr(
        w, "assumptions0", None
    )


class _Matcher:
    def __init__(self, symbols: set[Basic], heads: set[Str]) -> None:
        self.symbols, self.heads = symbols, heads

    def match(self, p: Basic, u: Basic, sigma: dict, bound: dict, pending: list) -> dict:
        """σ extended so that p instantiates to u (raises _NoMatch)."""
        if p in bound:
            if bound[p] != u:
                raise _NoMatch
            return sigma
        if isinstance(p, (Symbol, Str)) and p in self.symbols:
            if isinstance(p, Str) and not isinstance(u, Str):
                raise _NoMatch
            if p in sigma and sigma[p] != u:
                raise _NoMatch
            return {**sigma, p: u}
        if isinstance(p, DeclaredFunction) and p.args[0] in self.heads:
            pending.append((p, u))
            return sigma
        if not p.args or not u.args:
            if p != u:
                raise _NoMatch
            return sigma
        if p.func != u.func:
            raise _NoMatch
        if isinstance(p, (Mul, Add)):
            return self._commutative(p, u, sigma, bound, pending)
        if len(p.args) != len(u.args):
            raise _NoMatch
        declared = declaration_of(type(p))
        if declared is not None and declared.binds:
            pv, uv = bound_variables(p), bound_variables(u)
            if len(pv) != len(uv) or not all(_same_kind(a, b) for a, b in zip(pv, uv, strict=True)):
                raise _NoMatch
            bound = {**bound, **dict(zip(pv, uv, strict=True))}
        for a, b in zip(p.args, u.args, strict=True):
            if isinstance(a, Tuple) and a.args and a.args[0] in bound:
                # a limit (t, low, high): the variable is bound, its bounds are matched
                if len(a.args) != len(b.args) or bound[a.args[0]] != b.args[0]:
                    raise _NoMatch
                for x, y in zip(a.args[1:], b.args[1:], strict=True):
                    sigma = self.match(x, y, sigma, bound, pending)
                continue
            sigma = self.match(a, b, sigma, bound, pending)
        return sigma

    def _commutative(self, p: Basic, u: Basic, sigma: dict, bound: dict, pending: list) -> dict:
        """A product (sum) whose one schematic factor takes the factors left over."""
        whole = [a for a in p.args if self._is_whole(a)]
        fixed = [a for a in p.args if not self._is_whole(a)]
        if len(whole) > 1 or len(fixed) > len(u.args):
            raise _NoMatch
        for chosen in permutations(range(len(u.args)), len(fixed)):
            trial, waiting = dict(sigma), list(pending)
            try:
                for a, k in zip(fixed, chosen, strict=True):
                    trial = self.match(a, u.args[k], trial, bound, waiting)
                rest = [u.args[k] for k in range(len(u.args)) if k not in chosen]
                if whole:
                    if not rest:
                        raise _NoMatch
                    trial = self.match(whole[0], p.func(*rest), trial, bound, waiting)
                elif rest:
                    raise _NoMatch
            except _NoMatch:
                continue
            pending[:] = waiting
            return trial
        raise _NoMatch

    def _is_whole(self, p: Basic) -> bool:
        return (isinstance(p, Symbol) and p in self.symbols) or (
            isinstance(p, DeclaredFunction) and p.args[0] in self.heads
        )


def match(general: Basic, instance: Basic, names: frozenset[Str] = frozenset()) -> dict | None:
    """σ with σ(general) = instance up to the names of bound variables, or None: schematic
    symbol ↦ term, schematic function name ↦ :class:`Lambda`, the name of the state and of
    the action (``names``) ↦ the step's names (module docstring)."""
    symbols, heads = _schematic(general, set(names))
    matcher = _Matcher(symbols, heads)
    pending: list = []
    try:
        sigma = matcher.match(general, instance, {}, {}, pending)
    except _NoMatch:
        return None
    for p, u in pending:
        head, marks, *arguments = p.args
        bound = dict(zip(bound_variables_of(general), bound_variables_of(instance), strict=False))
        actual = [_instantiate_pattern(a, sigma, bound) for a in arguments]
        taken = all_names(general, instance)
        xs = []
        body = u
        for a in actual:
            x = fresh_symbol(Symbol("x"), taken)
            taken.add(x.name)
            body = body.xreplace({a: x})
            xs.append(x)
        found = Lambda(tuple(xs), body)
        if head in sigma and sigma[head] != found:
            return None
        sigma[head] = found
    return sigma


def bound_variables_of(expr: Basic) -> list[Basic]:
    """Every bound variable of ``expr``, in preorder."""
    out: list[Basic] = []
    for n in preorder_traversal(expr):
        declared = declaration_of(type(n))
        if declared is not None and declared.binds:
            out.extend(bound_variables(n))
    return out


def _instantiate_pattern(p: Basic, sigma: dict, bound: dict) -> Basic:
    mapping = {k: v for k, v in sigma.items() if not isinstance(v, Lambda)}
    return p.xreplace({**bound, **mapping})


# ------------------------------------------------------------- instantiation (trusted part)


def simultaneous(expr: Basic, mapping: dict) -> Basic:
    """``expr[x1 := e1, …]`` at once, capture-avoiding: every ``xi`` first to a fresh name,
    then each fresh name to its ``ei`` (:func:`pgproof.kernel.binders.substitute`)."""
    taken = all_names(expr, *mapping.values(), *mapping.keys())
    staged = []
    for old in fixed_order(mapping):
        fresh = fresh_symbol(old, taken)
        taken.add(fresh.name)
        expr = substitute(expr, old, fresh)
        staged.append((fresh, mapping[old]))
    for fresh, new in staged:
        expr = substitute(expr, fresh, new)
    return expr


def instantiate(expr: Basic, sigma: dict) -> Basic:
    """σ(expr): schematic symbols by :func:`simultaneous` substitution, the state's and
    action's names renamed, schematic functions ``b(e)`` by ``σ(b)`` applied to ``e``
    (binders of ``expr`` first renamed away from the free symbols of ``σ(b)``)."""
    symbols = {k: v for k, v in sigma.items() if isinstance(k, Symbol)}
    lambdas = {k: v for k, v in sigma.items() if isinstance(v, Lambda)}
    names = {k: v for k, v in sigma.items() if isinstance(v, Str)}
    taken = all_names(expr, *symbols.values(), *(lam.body for lam in lambdas.values()))
    staged: dict[Basic, Basic] = {}
    for old in fixed_order(symbols):
        fresh = fresh_symbol(old, taken)
        taken.add(fresh.name)
        expr = substitute(expr, old, fresh)
        staged[fresh] = symbols[old]
    expr = expr.xreplace(names)
    if lambdas:
        # the bodies' own free symbols must stay free: binders of expr named like them are
        # renamed first (alpha-renaming); the λ's variables then take the arguments
        avoid = set()
        for lam in lambdas.values():
            avoid |= lam.body.free_symbols - set(lam.variables)
        expr = rename_binders(expr, avoid, all_names(expr, *(lam.body for lam in lambdas.values())))
        expr = expr.replace(
            lambda n: isinstance(n, DeclaredFunction) and n.args[0] in lambdas,
            lambda n: lambdas[n.args[0]].apply(tuple(n.args[2:])),
        )
    for fresh in fixed_order(staged):
        expr = substitute(expr, fresh, staged[fresh])
    return expr


def rename_binders(expr: Basic, avoid: set[Basic], taken: set[str]) -> Basic:
    """``expr`` with every bound variable in ``avoid`` renamed to a fresh name (bottom-up,
    by :func:`pgproof.kernel.binders.substitute` in the binder's scope): alpha-equivalent
    to ``expr``, and inserting a term whose free symbols are in ``avoid`` captures none."""
    if not expr.args:
        return expr
    args = [rename_binders(a, avoid, taken) for a in expr.args]
    declared = declaration_of(type(expr))
    if declared is None or not declared.binds:
        return expr.func(*args)
    if declared.limits:
        function, limits = args[0], [list(limit.args) for limit in args[1:]]
        for k, limit in enumerate(limits):
            v = limit[0]
            if v not in avoid:
                continue
            fresh = fresh_symbol(v, taken)
            taken.add(fresh.name)
            function = substitute(function, v, fresh)
            for inner in limits[:k]:
                inner[1:] = [substitute(b, v, fresh) for b in inner[1:]]
            limit[0] = fresh
        return expr.func(function, *(Tuple(*limit) for limit in limits))
    path = declared.variable
    v = None if path is None or len(path) != 1 or path[0] >= len(args) else args[path[0]]
    if v is None or v not in avoid:
        return expr.func(*args)
    fresh = fresh_symbol(v, taken)
    taken.add(fresh.name)
    for k in declared.scope:
        args[k] = substitute(args[k], v, fresh)
    args[path[0]] = fresh
    return expr.func(*args)


def _declared_union(target: Notation, extra: Notation) -> Notation:
    """``target`` with the step's declarations (constants, functions) and its names of the
    state and the action (``extra``): σ has replaced the derivation's own declared names
    (the schematic ``b``) by the step's terms."""
    changes = {"state": extra.state, "action": extra.action}
    for f in fields(target):
        if f.name == "constants" or f.name.endswith("_functions"):
            changes[f.name] = tuple(getattr(extra, f.name))
    return replace(target, **changes)


def instantiate_derivation(derivation: Derivation, sigma: dict, notation: Notation) -> Derivation:
    """Every step of ``derivation`` instantiated by σ (its notation knows the step's names)."""
    steps = []
    for s in derivation.steps:
        steps.append(
            replace(
                s,
                rhs=instantiate(s.rhs, sigma),
                lhs=None if s.lhs is None else instantiate(s.lhs, sigma),
                terms=tuple(instantiate(t, sigma) for t in s.terms),
                factor=None if s.factor is None else instantiate(s.factor, sigma),
                latex=None,
            )
        )
    return replace(
        derivation,
        title=f"{derivation.title} (instantiated)",
        notation=_declared_union(derivation.notation, notation),
        steps=tuple(steps),
        file=None,
    )


# ------------------------------------------------------------------------------ expansion


def expand_redex(
    redex: Basic, derived_form: DerivedForm, notation: Notation, depth: int = 0
) -> Expansion:
    """The derivation of ``derived_form`` instantiated at ``redex`` and checked (module
    docstring, 1–3 but the rewrite of the step, which :func:`expand_step` does)."""
    from ..latex.parser import LatexError, parse_expression
    from ..symbolic.canonical import alpha_equal
    from ..symbolic.checker import check_derivation
    from . import check_rule

    name = derived_form.name
    general_check = next(c for c in check_rule(derived_form.rule) if c.form == derived_form)
    if general_check.report is None:
        return Expansion(name, 0, "the derivation does not read")
    derivation = general_check.report.derivation
    try:
        general = parse_expression(derived_form.lhs, derivation.notation)
    except LatexError as exc:
        return Expansion(name, 0, f"the form does not read: {exc.message}")
    names = frozenset(Str(n) for n in (derivation.notation.state, derivation.notation.action))
    sigma = match(general, redex, names)
    if sigma is None:
        return Expansion(name, 0, "the step's redex is no instance of the form")
    try:
        inst = instantiate_derivation(derivation, sigma, notation)
        conclusion = instantiate(general, sigma)
    except Refusal as exc:
        return Expansion(name, 0, str(exc))
    if not alpha_equal(conclusion, redex):
        return Expansion(
            name, 0, "the instantiated conclusion's side is not the step's redex (capture)"
        )
    report = check_derivation(inst)
    total = 0
    for s in report.steps:
        if not s.accepted:
            why = f": {s.reasons[0]}" if s.reasons else ""
            return Expansion(
                name, 0, f"line {s.index} of the instantiated derivation is {s.verdict}{why}"
            )
        inner = expand_step(s, inst.notation, depth + 1)
        if inner is None:
            total += 1
            continue
        broken = [e for e in inner if not e.established]
        if broken:
            return Expansion(
                name, 0, f"line {s.index} of the instantiated derivation: {broken[0].problem}"
            )
        total += sum(e.primitive for e in inner)
    return Expansion(name, total)


def _redexes(step: StepReport, rule, notation: Notation) -> list[tuple[Basic, Basic, Basic]]:
    """(redex, side before, side after) for each subterm the rule rewrites, preorder."""
    from ..symbolic.rules import Context

    ctx = Context(notation, claim=step.claim)
    pairs = []
    if step.source.lhs != step.claim.lhs:
        pairs.append((step.source.lhs, step.claim.lhs))
    if step.source.rhs != step.claim.rhs:
        pairs.append((step.source.rhs, step.claim.rhs))
    out = []
    for before, after in pairs:
        for node in preorder_traversal(before):
            try:
                rewrites = rule.rewrites(node, ctx)
            except Refusal:
                continue
            if rewrites:
                out.append((node, before, after))
    return out


def expand_step(step: StepReport, notation: Notation, depth: int = 0) -> list[Expansion] | None:
    """The expansions of a step's derived rules at the step (None: it cites only primitive
    rules).  Each redex is expanded by the first derived form whose instantiated derivation
    is accepted; the step's source side with every redex rewritten to 0 must be its claimed
    side up to canonical form."""
    from ..symbolic.canonical import canonical
    from ..symbolic.rules import lookup
    from . import FORMS, step_rules

    derived_rules = [lookup(n) for n in step_rules(step) if lookup(n).derived]
    if not derived_rules:
        return None
    if depth > MAX_DEPTH:
        return [Expansion("", 0, "derived rules nested too deep (a circle?)")]
    out: list[Expansion] = []
    for rule in derived_rules:
        found = _redexes(step, rule, notation)
        if not found:
            out.append(Expansion(rule.name, 0, f"no subterm {rule.name} rewrites"))
            continue
        rewritten: dict[tuple[Basic, Basic], Basic] = {}
        for redex, before, after in found:
            tried = []
            for f in FORMS:
                if f.rule != rule.name:
                    continue
                e = expand_redex(redex, f, notation, depth)
                if e.established:
                    break
                tried.append(f"{f.name}: {e.problem}")
            else:
                out.append(Expansion(rule.name, 0, "; ".join(tried) or "no derived form"))
                continue
            out.append(e)
            key = (before, after)
            rewritten[key] = rewritten.get(key, before).xreplace({redex: S.Zero})
        for (_before, after), result in rewritten.items():
            try:
                same = canonical(result) == canonical(after)
            except Refusal:
                same = False
            if not same:
                out.append(
                    Expansion(
                        rule.name,
                        0,
                        "rewriting the redexes by the instantiated "
                        "theorems does not give the step's claim",
                    )
                )
    return out
