"""A one-step continuous-action problem for Gaussian policies (a contextual bandit).

The problem (:class:`GaussianBandit`) is s ~ ρ over S states, one action a ∈ R, and

    π_θ(a | s) = N(a; μ_θ(s), σ²),      μ_θ(s) = <θ, φ(s)>,   θ ∈ R^d, fixed σ > 0,
    r(s, a)    = c0[s] + c1[s] a + c2[s] a²,

so that J(θ) = E_{s~ρ} E_{a~π_θ(·|s)} r(s, a) and ∇_θ J have closed forms, from
E[a] = μ and E[a²] = μ² + σ²:

    J(θ)   = Σ_s ρ(s) (c0 + c1 μ + c2 (μ² + σ²)),
    ∇_θ J  = Σ_s ρ(s) (c1 + 2 c2 μ) φ(s).

The log-density and the score (∇_θ μ_θ(s) = φ(s)) are

    log N(a; μ, σ²)            = -(a - μ)² / (2σ²) - log(σ √(2π)),
    ∇_θ log π_θ(a | s)         = (a - μ_θ(s)) / σ² · φ(s),

and the policy-gradient identity ∇J = E_s E_a[∇_θ log π_θ(a|s) r(s, a)] is checked by a
second, independent route: Gauss–Hermite quadrature of the score-function form.  With the
probabilists' rule (``numpy.polynomial.hermite_e.hermegauss``, weight e^{-x²/2}) and
a = μ + σ x,

    E_{a~N(μ,σ²)} f(a) ≈ Σ_k w_k f(μ + σ x_k) / √(2π),

which is exact for polynomials f of degree ≤ 2n - 1 (n nodes).  The integrands here are
polynomials in a of degree ≤ 3 (score · reward), so n ≥ 2 nodes give the exact value up
to round-off.  A sampled REINFORCE estimator ĝ = (1/m) Σ_i ∇ log π(a_i|s_i) r(s_i, a_i)
draws from the caller's seeded ``numpy.random.Generator``; :func:`reinforce_bias_test`
tests its mean against ∇J with a test valid at every m (the terms are bounded on an event
of probability ≥ 1 - α/100, which is charged to α).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from pgproof.numeric.mdp import MDPError, as_float_array, check_distribution

#: Gauss–Hermite nodes used by default (exact for every integrand here from 2 on).
DEFAULT_NODES = 8

#: score(bandit, theta, states, actions) -> [..., d], the shape of ``states``/``actions`` + [d]
ScoreFunction = Callable[["GaussianBandit", np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _check_sigma(sigma: object) -> float:
    """σ as a float, or MDPError unless it is a finite number > 0."""
    value = float(as_float_array("sigma", sigma, ()))
    if not math.isfinite(value):  # as_float_array misses a non-finite 0-d value
        raise MDPError(f"sigma must be a finite number, got {value}")
    if not value > 0.0:
        raise MDPError(f"sigma must be positive, got {value}")
    return value


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int ≥ minimum, or MDPError (booleans and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise MDPError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


@dataclass(frozen=True, eq=False)
class GaussianBandit:
    """A validated one-step problem (ρ, φ, c0, c1, c2, σ); arrays are read-only float64 copies.

    ``initial`` ρ [S], ``features`` φ [S, d], reward coefficients ``c0``, ``c1``, ``c2`` [S]
    and the policy's fixed standard deviation ``sigma`` > 0.  Bad fields raise
    :class:`~pgproof.numeric.mdp.MDPError` (a ValueError) naming the field.
    """

    initial: np.ndarray
    features: np.ndarray
    c0: np.ndarray
    c1: np.ndarray
    c2: np.ndarray
    sigma: float = 1.0

    def __post_init__(self) -> None:
        initial = as_float_array("initial", self.initial)
        if initial.ndim != 1 or initial.size == 0:
            raise MDPError(
                f"initial must be a non-empty vector [S], got shape {list(initial.shape)}"
            )
        check_distribution("initial", initial)
        n_states = initial.shape[0]
        features = as_float_array("features", self.features)
        if features.ndim != 2 or features.shape[0] != n_states or features.shape[1] == 0:
            raise MDPError(
                f"features has shape {list(features.shape)}, expected [S, d] with "
                f"S = {n_states} (the length of initial) and d >= 1"
            )
        fields = {"initial": initial, "features": features}
        for name in ("c0", "c1", "c2"):
            fields[name] = as_float_array(name, getattr(self, name), (n_states,))
        for name, array in fields.items():
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        object.__setattr__(self, "sigma", _check_sigma(self.sigma))

    @property
    def n_states(self) -> int:
        return int(self.initial.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    def check_theta(self, theta: object) -> np.ndarray:
        """θ as a finite float array of shape [d], or MDPError."""
        return as_float_array("theta", theta, (self.n_features,))

    def mean(self, theta: object) -> np.ndarray:
        """μ_θ(s) = <θ, φ(s)> for every state, shape [S]."""
        return self.features @ self.check_theta(theta)

    def random_theta(self, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
        """θ with independent N(0, scale²) entries."""
        return scale * _check_rng(rng).standard_normal(self.n_features)

    def __repr__(self) -> str:
        return f"GaussianBandit(S={self.n_states}, d={self.n_features}, sigma={self.sigma})"


def random_gaussian_bandit(
    rng: np.random.Generator,
    *,
    n_states: int,
    n_features: int,
    sigma: float = 1.0,
    feature_scale: float = 1.0,
    reward_scale: float = 1.0,
) -> GaussianBandit:
    """A random bandit from a seeded Generator.

    ρ is a flat-Dirichlet draw (every state has positive probability), φ has independent
    N(0, feature_scale²) entries and c0, c1, c2 independent N(0, reward_scale²) entries.
    """
    _check_rng(rng)
    n_states = _check_count("n_states", n_states)
    n_features = _check_count("n_features", n_features)
    initial = rng.dirichlet(np.ones(n_states))
    features = feature_scale * rng.standard_normal((n_states, n_features))
    c0, c1, c2 = reward_scale * rng.standard_normal((3, n_states))
    return GaussianBandit(initial, features, c0, c1, c2, sigma)


def log_density(actions: object, mean: object, sigma: object) -> np.ndarray:
    """log N(a; μ, σ²) = -(a - μ)² / (2σ²) - log(σ √(2π)), broadcast over a and μ."""
    sigma = _check_sigma(sigma)
    actions = np.asarray(actions, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    return -((actions - mean) ** 2) / (2.0 * sigma**2) - math.log(sigma * math.sqrt(2 * math.pi))


def _check_pairs(
    bandit: GaussianBandit, states: object, actions: object
) -> tuple[np.ndarray, np.ndarray]:
    """(states, actions) as an int and a float array of one shape, states in [0, S)."""
    raw = np.asarray(states)
    if raw.size and raw.dtype.kind not in "iu":
        raise MDPError(f"states must be integers, got dtype {raw.dtype.name}")
    states = raw.astype(np.intp)
    actions = as_float_array("actions", actions)
    if states.shape != actions.shape:
        raise MDPError(
            f"states has shape {list(states.shape)} but actions has shape "
            f"{list(actions.shape)}; they must match"
        )
    bad = np.argwhere((states < 0) | (states >= bandit.n_states))
    if bad.size:
        index = tuple(bad[0])
        where = "".join(f"[{i}]" for i in index)
        raise MDPError(f"states{where} = {states[index]} is not in [0, {bandit.n_states})")
    return states, actions


def reward(bandit: GaussianBandit, states: object, actions: object) -> np.ndarray:
    """r(s, a) = c0[s] + c1[s] a + c2[s] a², the shape of ``states``/``actions``."""
    states, actions = _check_pairs(bandit, states, actions)
    return bandit.c0[states] + (bandit.c1[states] + bandit.c2[states] * actions) * actions


def log_policy(
    bandit: GaussianBandit, theta: object, states: object, actions: object
) -> np.ndarray:
    """log π_θ(a | s) = log N(a; μ_θ(s), σ²), the shape of ``states``/``actions``."""
    states, actions = _check_pairs(bandit, states, actions)
    return log_density(actions, bandit.mean(theta)[states], bandit.sigma)


def score(bandit: GaussianBandit, theta: object, states: object, actions: object) -> np.ndarray:
    """∇_θ log π_θ(a | s) = (a - μ_θ(s)) / σ² · φ(s), shape [*states.shape, d]."""
    states, actions = _check_pairs(bandit, states, actions)
    residual = (actions - bandit.mean(theta)[states]) / bandit.sigma**2
    return residual[..., None] * bandit.features[states]


def exact_objective(bandit: GaussianBandit, theta: object) -> float:
    """J(θ) = Σ_s ρ(s) (c0 + c1 μ + c2 (μ² + σ²)) in closed form."""
    mu = bandit.mean(theta)
    per_state = bandit.c0 + bandit.c1 * mu + bandit.c2 * (mu**2 + bandit.sigma**2)
    return float(bandit.initial @ per_state)


def exact_gradient(bandit: GaussianBandit, theta: object) -> np.ndarray:
    """∇_θ J(θ) = Σ_s ρ(s) (c1 + 2 c2 μ_θ(s)) φ(s) in closed form, shape [d]."""
    mu = bandit.mean(theta)
    return (bandit.initial * (bandit.c1 + 2.0 * bandit.c2 * mu)) @ bandit.features


@lru_cache(maxsize=32)
def _standard_normal_rule(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = hermegauss(n_nodes)
    weights = weights / math.sqrt(2 * math.pi)  # Σ w_k = 1: weights of N(0, 1)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def normal_quadrature(n_nodes: int = DEFAULT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x_k and weights w_k (Σ w_k = 1) with E_{x~N(0,1)} f(x) ≈ Σ_k w_k f(x_k).

    Exact for polynomials of degree ≤ 2·n_nodes - 1 (probabilists' Gauss–Hermite rule).
    """
    return _standard_normal_rule(_check_count("n_nodes", n_nodes))


def action_expectation(
    bandit: GaussianBandit,
    theta: object,
    integrand: Callable[[np.ndarray, np.ndarray], np.ndarray],
    n_nodes: int = DEFAULT_NODES,
) -> np.ndarray:
    """E_{a~π_θ(·|s)} f(s, a) for every state by quadrature, shape [S, *f's trailing shape].

    ``integrand(states, actions)`` receives states [S, n] and actions a_sk = μ_θ(s) + σ x_k
    [S, n] and returns an array [S, n, ...].
    """
    nodes, weights = normal_quadrature(n_nodes)
    actions = bandit.mean(theta)[:, None] + bandit.sigma * nodes
    states = np.broadcast_to(np.arange(bandit.n_states)[:, None], actions.shape)
    values = np.asarray(integrand(states, actions), dtype=np.float64)
    if values.shape[:2] != actions.shape:
        raise MDPError(
            f"integrand returned shape {list(values.shape)}, expected {list(actions.shape)} "
            "followed by any trailing dimensions"
        )
    return np.tensordot(weights, values, axes=([0], [1]))


def quadrature_objective(
    bandit: GaussianBandit, theta: object, n_nodes: int = DEFAULT_NODES
) -> float:
    """J(θ) = E_s E_a r(s, a) by Gauss–Hermite quadrature (exact from 2 nodes)."""
    per_state = action_expectation(bandit, theta, lambda s, a: reward(bandit, s, a), n_nodes)
    return float(bandit.initial @ per_state)


def _check_baseline(bandit: GaussianBandit, baseline: object) -> np.ndarray:
    if baseline is None:
        return np.zeros(bandit.n_states)
    return as_float_array("baseline", baseline, (bandit.n_states,))


def quadrature_gradient(
    bandit: GaussianBandit,
    theta: object,
    n_nodes: int = DEFAULT_NODES,
    *,
    score_fn: ScoreFunction = score,
    baseline: object = None,
) -> np.ndarray:
    """E_s E_a[∇_θ log π_θ(a|s) (r(s, a) - b(s))] by quadrature, shape [d].

    With the true ``score_fn`` this is ∇J(θ) for any state baseline b [S] (default 0):
    the policy-gradient identity, evaluated independently of :func:`exact_gradient`.
    """
    theta = bandit.check_theta(theta)
    b = _check_baseline(bandit, baseline)

    def integrand(states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        weight = reward(bandit, states, actions) - b[states]
        return score_fn(bandit, theta, states, actions) * weight[..., None]

    return bandit.initial @ action_expectation(bandit, theta, integrand, n_nodes)


def expected_score(
    bandit: GaussianBandit,
    theta: object,
    n_nodes: int = DEFAULT_NODES,
    *,
    score_fn: ScoreFunction = score,
) -> np.ndarray:
    """E_{a~π_θ(·|s)} ∇_θ log π_θ(a|s) for every state by quadrature, shape [S, d] (= 0)."""
    theta = bandit.check_theta(theta)
    return action_expectation(bandit, theta, lambda s, a: score_fn(bandit, theta, s, a), n_nodes)


def sample(
    bandit: GaussianBandit, theta: object, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """m independent pairs s_i ~ ρ, a_i ~ N(μ_θ(s_i), σ²): (states [m], actions [m])."""
    m = _check_count("m", m)
    rng = _check_rng(rng)
    mu = bandit.mean(theta)
    states = rng.choice(bandit.n_states, size=m, p=bandit.initial)
    actions = mu[states] + bandit.sigma * rng.standard_normal(m)
    return states, actions


def reinforce_samples(
    bandit: GaussianBandit,
    theta: object,
    m: int,
    rng: np.random.Generator,
    *,
    score_fn: ScoreFunction = score,
    baseline: object = None,
) -> np.ndarray:
    """Per-sample REINFORCE terms ∇_θ log π_θ(a_i|s_i) (r(s_i, a_i) - b(s_i)), shape [m, d]."""
    theta = bandit.check_theta(theta)
    b = _check_baseline(bandit, baseline)
    states, actions = sample(bandit, theta, m, rng)
    weight = reward(bandit, states, actions) - b[states]
    return score_fn(bandit, theta, states, actions) * weight[:, None]


def reinforce_gradient(
    bandit: GaussianBandit,
    theta: object,
    m: int,
    rng: np.random.Generator,
    *,
    score_fn: ScoreFunction = score,
    baseline: object = None,
) -> np.ndarray:
    """ĝ = (1/m) Σ_i ∇_θ log π_θ(a_i|s_i) (r(s_i, a_i) - b(s_i)), shape [d]."""
    terms = reinforce_samples(bandit, theta, m, rng, score_fn=score_fn, baseline=baseline)
    return terms.mean(axis=0)


def draw_limit(m: int, alpha: float) -> float:
    """X with P(some |x_i| > X in m standard-normal draws) ≤ α/100: 2Φ(-X) = α/(100 m)."""
    from scipy.special import ndtri  # imported when used

    return float(-ndtri(alpha / (200.0 * m)))


def reinforce_term_bounds(
    bandit: GaussianBandit, theta: object, limit: float, *, baseline: object = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (lo, hi) [d] of ∇_θ log π_θ(a|s) (r(s, a) - b(s)) over the states of positive
    probability and the actions a = μ_θ(s) + σx with |x| ≤ ``limit``.

    With r - b = A + Bx + Cx² (A = c0 + c1 μ + c2 μ² - b, B = (c1 + 2 c2 μ) σ, C = c2 σ²)
    the term is φ(s) p(x) with p(x) = (Ax + Bx² + Cx³)/σ, a cubic whose extremes on
    [-X, X] lie at ±X or where p'(x) = (A + 2Bx + 3Cx²)/σ = 0."""
    theta = bandit.check_theta(theta)
    b = _check_baseline(bandit, baseline)
    mu, sigma = bandit.mean(theta), bandit.sigma
    d = bandit.n_features
    low, high = np.full(d, np.inf), np.full(d, -np.inf)
    for s in np.flatnonzero(bandit.initial > 0):
        a0 = bandit.c0[s] + bandit.c1[s] * mu[s] + bandit.c2[s] * mu[s] ** 2 - b[s]
        b1 = (bandit.c1[s] + 2.0 * bandit.c2[s] * mu[s]) * sigma
        c2 = bandit.c2[s] * sigma**2
        points = [-limit, limit]
        stationary = np.roots([3.0 * c2, 2.0 * b1, a0]) if (c2 or b1) else np.array([])
        points += [
            float(r.real) for r in stationary if abs(r.imag) < 1e-12 and abs(r.real) <= limit
        ]
        x = np.asarray(points)
        p = (a0 * x + b1 * x**2 + c2 * x**3) / sigma
        phi = bandit.features[s]
        ends = np.stack([phi * p.min(), phi * p.max()])
        low = np.minimum(low, ends.min(axis=0))
        high = np.maximum(high, ends.max(axis=0))
    return low, high


def reinforce_bias_test(
    bandit: GaussianBandit,
    theta: object,
    m: int,
    rng: np.random.Generator,
    *,
    alpha: float = 0.01,
    tolerance: float | None = None,
    score_fn: ScoreFunction = score,
    baseline: object = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Test E[score_fn · (r - b)] = ∇J(θ) on m fresh draws, valid at every m (ComparisonResult).

    The terms are polynomials in a Gaussian action, so unbounded: the test draws the actions
    itself and bounds the terms on the event that every draw lies within X = ``draw_limit``
    standard deviations of its mean, which fails with probability at most α/100 (taken from
    α: the betting test of :func:`pgproof.numeric.stats.compare_with_exact` runs at 0.99 α).
    A draw beyond X makes the verdict inconclusive.  With the bandit's own score the bounds
    are exact (:func:`reinforce_term_bounds`); any other ``score_fn`` needs ``bounds`` =
    (lo, hi) on its terms over that event, and without them the test refuses to answer —
    as a z-test does not: with m = 20 its false alarms reached 0.195 at α = 0.05.
    """
    import dataclasses

    from pgproof.numeric.stats import ComparisonResult, compare_with_exact

    m = _check_count("m", m, minimum=2)
    rng = _check_rng(rng)
    theta = bandit.check_theta(theta)
    limit = draw_limit(m, alpha)
    if bounds is None:
        if score_fn is not score:
            raise ValueError(
                "reinforce_bias_test needs bounds=(lower, upper) on the terms of a score "
                f"function other than the bandit's own, for actions within {limit:.3g} "
                "standard deviations of their mean: a test valid at every m needs them"
            )
        bounds = reinforce_term_bounds(bandit, theta, limit, baseline=baseline)
    b = _check_baseline(bandit, baseline)
    states, actions = sample(bandit, theta, m, rng)
    draws = (actions - bandit.mean(theta)[states]) / bandit.sigma
    terms = (
        score_fn(bandit, theta, states, actions)
        * (reward(bandit, states, actions) - b[states])[:, None]
    )
    target = exact_gradient(bandit, theta)
    note = (
        f"actions within {limit:.3g} standard deviations (probability ≥ 1 - α/100), "
        "which bounds the terms"
    )
    if np.any(np.abs(draws) > limit):
        mean = terms.mean(axis=0)
        variance = terms.var(axis=0, ddof=1)
        return ComparisonResult(
            math.nan, "inconclusive", mean, np.sqrt(variance / m), variance, alpha, "none",
            math.nan, m, 0,
            notes=(f"a draw fell beyond {limit:.3g} standard deviations: no bound holds",),
        )  # fmt: skip
    result = compare_with_exact(terms, target, 0.99 * alpha, bounds=bounds, tolerance=tolerance)
    return dataclasses.replace(result, alpha=alpha, notes=(*result.notes, note))
