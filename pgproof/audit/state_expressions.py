"""Random expressions about one state, and the redexes of the rules that act on them.

The per-state counterpart of :mod:`.expressions` (Hypothesis strategies), for the
notations of a linear-softmax and of a Gaussian policy (``scope = "state"``): atoms are
π_θ(a|s), θ^⊤φ(s, a), φ(s, a), exp(θ^⊤φ(s, a)), Σ_{a'} exp(θ^⊤φ(s, a')) (softmax); μ_θ(s),
a, σ, N(a; μ_θ(s), σ²) (Gaussian); and small integers, combined by +, ·, −, a/b, powers,
log of what is known positive, ∇_θ, Σ_{a'} and E_{a'∼π_θ(·|s)}.  Every one has a numeric
meaning on a :class:`.state_problem.StateInstance`.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st
from sympy import Add, Basic, Integer, Mul, Pow, Rational, S, exp, log, sqrt

from pgproof.kernel.objects import Grad, Ratio
from pgproof.kernel.state_objects import ActionExpectation, ActionSum, GaussianDensity, Inner
from pgproof.symbolic.notation import Notation
from pgproof.symbolic.policy_classes import unfold_policy

__all__ = [
    "STATE_NOTATIONS",
    "chain_shapes",
    "state_contexts",
    "state_expressions",
    "state_shapes",
]

STATE_NOTATIONS = (
    Notation(scope="state", state="s", action="a", policy_class="linear_softmax"),
    Notation(scope="state", state="s", action="a", policy_class="gaussian"),
)


def _parts(n: Notation) -> tuple[Basic, Basic, Basic, Basic]:
    """s, a, a' and π_θ(a|s)."""
    s, a, b = n.state_symbol(), n.action_symbol(), n.action_symbol(1)
    return s, a, b, n.policy_at(a, s)


def _logit(n: Notation, action: Basic) -> Basic:
    return Inner(n.theta, n.function(n.features, n.state_symbol(), action))


def _normaliser(n: Notation) -> Basic:
    b = n.action_symbol(1)
    return ActionSum(exp(_logit(n, b)), b)


@cache
def _positive(n: Notation) -> st.SearchStrategy[Basic]:
    """Expressions known positive: the policy, exp of a real, the normaliser, N, σ."""
    s, a, _, pi = _parts(n)
    if n.policy_class == "gaussian":
        density = GaussianDensity(a, n.function(n.policy_mean, s), n.sigma**2)
        return st.sampled_from([pi, density, n.sigma, n.sigma**2, 2 * n.sigma])
    return st.sampled_from([pi, exp(_logit(n, a)), _normaliser(n)])


@cache
def _atoms(n: Notation) -> st.SearchStrategy[Basic]:
    s, a, _, pi = _parts(n)
    numbers = st.integers(2, 3).map(Integer)
    if n.policy_class == "gaussian":
        mean = n.function(n.policy_mean, s)
        return st.one_of(_positive(n), numbers, st.sampled_from([mean, a, a - mean]))
    vector = n.function(n.features, s, a)
    return st.one_of(_positive(n), numbers, st.sampled_from([_logit(n, a), vector]))


def _bind(n: Notation, body: Basic, over: str) -> Basic:
    """Σ_{a'} or E_{a'∼π_θ(·|s)} of ``body`` with its action a renamed a' (Σ: finite only)."""
    s, a, b, _ = _parts(n)
    inner = body.xreplace({a: b})
    if over == "sum":
        return ActionSum(inner, b)
    return ActionExpectation(inner, b, n.policy_at(b, s))


@cache
def state_expressions(n: Notation, max_leaves: int = 4) -> st.SearchStrategy[Basic]:
    """Random expressions about one state (see the module docstring); ∇ not inside ∇."""
    theta = n.theta
    finite = n.policy_class != "gaussian"

    def extend(children: st.SearchStrategy[Basic]) -> st.SearchStrategy[Basic]:
        options = [
            st.lists(children, min_size=2, max_size=3).map(lambda xs: Add(*xs)),
            st.lists(children, min_size=2, max_size=3).map(lambda xs: Mul(*xs)),
            children.map(lambda e: -e),
            st.builds(Ratio, children, _positive(n)),
            st.builds(Pow, children, st.sampled_from([2, -1])),
            _positive(n).map(log),
            children.filter(lambda e: not e.has(Grad)).map(lambda e: Grad(e, theta)),
            children.filter(lambda e: not e.has(ActionExpectation, ActionSum)).map(
                lambda e: _bind(n, e, "expectation")
            ),
        ]
        if finite:
            options.append(
                children.filter(lambda e: not e.has(ActionExpectation, ActionSum)).map(
                    lambda e: _bind(n, e, "sum")
                )
            )
        return st.one_of(options)

    return st.recursive(_atoms(n), extend, max_leaves=max_leaves)


@cache
def state_contexts(n: Notation) -> st.SearchStrategy:
    """Where a redex sits: alone, times or plus something, under ∇."""
    other = state_expressions(n, max_leaves=2)

    def under_gradient(hole: Basic) -> Basic:
        return hole if hole.has(Grad) else Grad(hole, n.theta)

    return st.one_of(
        st.just(lambda hole: hole),
        other.map(lambda c: lambda hole: hole * c),
        other.map(lambda c: lambda hole: hole + c),
        st.just(under_gradient),
    )


def chain_shapes(e: st.SearchStrategy[Basic], positive: st.SearchStrategy[Basic], theta):
    """Redexes of the chain rule: ∇ of log, exp, a power or a square root of something."""
    grad = lambda x: Grad(x, theta)  # noqa: E731
    powers = st.sampled_from([Integer(2), Integer(3), Integer(-1), Rational(1, 2), Rational(3, 2)])
    return st.one_of(
        positive.map(lambda f: grad(log(f))),
        e.filter(lambda f: not f.has(Grad)).map(lambda f: grad(log(f))),
        e.filter(lambda f: not f.has(Grad)).map(lambda f: grad(exp(f))),
        st.builds(lambda f, k: grad(Pow(f, k)), e.filter(lambda f: not f.has(Grad)), powers),
        positive.map(lambda f: grad(sqrt(f))),
    )


def _definitions(n: Notation) -> list[Basic]:
    """π_θ(a|s), π_θ(a'|s), their class's formulas, and N(a; μ_θ(s), σ²) and its formula."""
    s, a, b, pi = _parts(n)
    out = [pi, n.policy_at(b, s), unfold_policy(pi, n)]
    if n.policy_class == "gaussian":
        density = GaussianDensity(a, n.function(n.policy_mean, s), n.sigma**2)
        out += [density.formula()]
    return out


@cache
def state_shapes(n: Notation, name: str) -> st.SearchStrategy[Basic] | None:
    """A redex of rule ``name`` in a notation about one state, or None."""
    theta = n.theta
    s, a, b, pi = _parts(n)
    e = state_expressions(n, max_leaves=3)
    grad = lambda x: Grad(x, theta)  # noqa: E731
    pairs = st.lists(e, min_size=2, max_size=3)
    flat = e.filter(lambda x: not x.has(ActionExpectation, ActionSum))
    table: dict[str, st.SearchStrategy[Basic]] = {
        "chain_rule": chain_shapes(e, _positive(n), theta),
        "definition": st.sampled_from(_definitions(n)),
        "linearity_of_expectation": st.one_of(
            pairs.map(lambda xs: _bind(n, Add(*xs), "expectation")),
            pairs.map(lambda xs: _bind(n, Mul(*xs), "expectation")),
        ),
        "expectation_to_sum": flat.map(lambda f: _bind(n, f, "expectation")),
        "grad_of_sum": pairs.map(lambda xs: grad(Add(*xs))),
        "constant_factor": st.one_of(
            pairs.map(lambda xs: grad(Mul(*xs))),
            st.builds(lambda f, c: grad(Ratio(f, c)), e, _positive(n)),
        ),
        "log_of_product": st.one_of(
            st.lists(_positive(n), min_size=2, max_size=2).map(lambda xs: log(Mul(*xs))),
            st.builds(lambda f, g: log(Ratio(f, g)), _positive(n), _positive(n)),
            st.builds(lambda f, g: log(Ratio(f, g)), e, _positive(n)),
        ),
    }
    score = Grad(log(n.policy_at(b, s)), theta)
    factors = st.one_of(
        st.sampled_from([S.One, Integer(2), pi, b, n.function(n.policy_mean, s)])
        if n.policy_class == "gaussian"
        else st.sampled_from([S.One, Integer(2), pi, _logit(n, a), n.function(n.features, s, b)]),
        flat,
    )
    over_actions = factors.map(lambda f: ActionExpectation(score * f, b, n.policy_at(b, s)))
    table["score_has_zero_mean"] = over_actions
    table["baseline"] = over_actions
    table["normalization"] = st.sampled_from(
        [ActionExpectation(S.One, b, n.policy_at(b, s))]
        + ([ActionSum(n.policy_at(b, s), b)] if n.policy_class != "gaussian" else [])
    )
    if n.policy_class != "gaussian":
        vector = n.function(n.features, s, a)
        table["grad_of_inner_product"] = st.one_of(
            st.sampled_from([grad(_logit(n, a)), grad(Inner(vector, theta))]),
            e.map(lambda f: grad(_bind(n, exp(_logit(n, a)) * f, "sum"))),
            st.just(grad(Inner(theta, vector - n.function(n.features, s, b)))).map(
                lambda x: ActionSum(x, b)
            ),
        )
        table["sum_to_expectation"] = flat.map(lambda f: _bind(n, pi * f, "sum"))
        table["grad_of_sum"] = st.one_of(
            table["grad_of_sum"], flat.map(lambda f: grad(_bind(n, f, "sum")))
        )
        table["algebra"] = st.one_of(
            st.builds(lambda f, c: ActionSum(c * f.xreplace({a: b}), b), flat, _positive(n)),
            st.builds(lambda f, c: c * ActionSum(f.xreplace({a: b}), b), flat, e),
        )
    return table.get(name)
