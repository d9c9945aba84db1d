"""Score functions of the linear-softmax and Gaussian policy classes, refereed adversarially.

The rules ``chain_rule`` and ``grad_of_inner_product``, the definitions of the policy
classes (``definition``), sums and expectations over actions (``expectation_to_sum``,
``sum_to_expectation``), and the reading of formulas about one state: right claims are
accepted, wrong ones refused with the failed condition named, and what cannot be read is
refused with a message that says how to write it.  Every case is a one-step derivation file
checked through the public API (``pgproof.check``); some are also evaluated numerically
(``pgproof.verify_steps``) on random problems about one state, to show that what is refused
here is false and what is accepted is true.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pgproof
from pgproof import DerivationFileError

from .conftest import failures, first_verdict, only_step, write_steps

SOFTMAX = r"""
[notation]
scope = "state"
state = "s"
action = "a"
policy_class = "linear_softmax"
state_functions = ["b"]
"""

GAUSSIAN = r"""
[notation]
scope = "state"
state = "s"
action = "a"
policy_class = "gaussian"
state_functions = ["b"]
"""

#: pieces of formulas
PI = r"\pi_\theta(a \mid s)"
LOGIT = r"\theta^\top \phi(s, a)"
Z = r"\sum_{a'} \exp\left(\theta^\top \phi(s, a')\right)"
MU = r"\mu_\theta(s)"
D = r"(a - \mu_\theta(s))"


def write(tmp_path: Path, formula: str, by, notation: str, terms: tuple[str, ...] = ()) -> Path:
    return write_steps(tmp_path, [(formula, by)], notation, "policy scores", terms)


def check(tmp_path: Path, formula: str, by, notation: str = SOFTMAX, terms=()):
    return only_step(write(tmp_path, formula, by, notation, terms))


def assert_accepted(step) -> None:
    assert step.status == "accepted", step.reasons


def assert_refused(step, rule: str, condition: str) -> None:
    assert step.status == "rejected", f"accepted a wrong step: {step.claim}"
    assert (rule, condition) in failures(step), step.reasons


def numeric(tmp_path: Path, formula: str, by, notation: str = SOFTMAX) -> str:
    return first_verdict(write(tmp_path, formula, by, notation))


# ===================================================================== the chain rule

RIGHT_CHAIN = [
    (
        "log of the policy",
        rf"\nabla_\theta \log {PI} = \frac{{\nabla_\theta {PI}}}{{{PI}}}",
        SOFTMAX,
    ),
    (
        "log of the normaliser",
        rf"\nabla_\theta \log {Z} = \frac{{\nabla_\theta {Z}}}{{{Z}}}",
        SOFTMAX,
    ),
    (
        "exp of a logit",
        rf"\nabla_\theta \exp\left({LOGIT}\right) = \exp\left({LOGIT}\right) \nabla_\theta {LOGIT}",
        SOFTMAX,
    ),
    ("a square", rf"\nabla_\theta {D}^2 = 2 {D} \nabla_\theta {D}", GAUSSIAN),
    ("a cube", rf"\nabla_\theta {D}^3 = 3 {D}^2 \nabla_\theta {D}", GAUSSIAN),
    (
        "a square root",
        rf"\nabla_\theta \sqrt{{{PI}}} = \frac{{\nabla_\theta {PI}}}{{2 \sqrt{{{PI}}}}}",
        SOFTMAX,
    ),
    (
        "an inverse",
        rf"\nabla_\theta \frac{{1}}{{{PI}}} = -\frac{{\nabla_\theta {PI}}}{{{PI}^2}}",
        SOFTMAX,
    ),
    (
        "the normal density",
        r"\nabla_\theta \log \mathcal{N}(a; \mu_\theta(s), \sigma^2) = "
        r"\frac{\nabla_\theta \mathcal{N}(a; \mu_\theta(s), \sigma^2)}"
        r"{\mathcal{N}(a; \mu_\theta(s), \sigma^2)}",
        GAUSSIAN,
    ),
]


@pytest.mark.parametrize(
    ("name", "formula", "notation"), RIGHT_CHAIN, ids=[c[0] for c in RIGHT_CHAIN]
)
def test_the_chain_rule_accepts_its_forms(tmp_path, name, formula, notation) -> None:
    assert_accepted(check(tmp_path, formula, "chain_rule", notation))


def test_an_inverse_is_a_power_and_the_rule_is_numerically_true(tmp_path) -> None:
    formula = rf"\nabla_\theta {D}^2 = 2 {D} \nabla_\theta {D}"
    assert numeric(tmp_path, formula, "chain_rule", GAUSSIAN) == "confirmed"
    formula = rf"\nabla_\theta \exp\left({LOGIT}\right) = \exp\left({LOGIT}\right) \phi(s, a)"
    assert numeric(tmp_path, formula, ["chain_rule", "grad_of_inner_product"]) == "confirmed"


WRONG_CHAIN = [
    ("missing inner derivative", rf"\nabla_\theta {D}^2 = 2 {D}", GAUSSIAN),
    (
        "missing inner derivative of exp",
        rf"\nabla_\theta \exp\left({LOGIT}\right) = \exp\left({LOGIT}\right)",
        SOFTMAX,
    ),
    (
        "outer derivative of log times, not over",
        rf"\nabla_\theta \log {PI} = {PI} \nabla_\theta {PI}",
        SOFTMAX,
    ),
    (
        "outer derivative of exp forgotten",
        rf"\nabla_\theta \exp\left({LOGIT}\right) = \nabla_\theta {LOGIT}",
        SOFTMAX,
    ),
    ("power not lowered", rf"\nabla_\theta {D}^2 = 2 {D}^2 \nabla_\theta {D}", GAUSSIAN),
    ("factor 2 forgotten", rf"\nabla_\theta {D}^2 = {D} \nabla_\theta {D}", GAUSSIAN),
    (
        "sign of an inverse",
        rf"\nabla_\theta \frac{{1}}{{{PI}}} = \frac{{\nabla_\theta {PI}}}{{{PI}^2}}",
        SOFTMAX,
    ),
    (
        "square root halved twice",
        rf"\nabla_\theta \sqrt{{{PI}}} = \frac{{\nabla_\theta {PI}}}{{4 \sqrt{{{PI}}}}}",
        SOFTMAX,
    ),
]


@pytest.mark.parametrize(
    ("name", "formula", "notation"), WRONG_CHAIN, ids=[c[0] for c in WRONG_CHAIN]
)
def test_a_misapplied_chain_rule_is_refused_and_false(tmp_path, name, formula, notation) -> None:
    assert_refused(check(tmp_path, formula, "chain_rule", notation), "chain_rule", "claim_differs")
    assert numeric(tmp_path, formula, "chain_rule", notation) == "refuted"


@pytest.mark.parametrize(
    "formula",
    [
        rf"\nabla_\theta \log {D} = 0",
        rf"\nabla_\theta \sqrt{{{D}}} = 0",
        rf"\nabla_\theta \log {MU} = 0",
    ],
)
def test_the_chain_rule_needs_the_outer_function_differentiable(tmp_path, formula) -> None:
    """log of a − μ_θ(s) or of μ_θ(s), which may be ≤ 0, and √ of a − μ_θ(s)."""
    step = check(tmp_path, formula, "chain_rule", GAUSSIAN)
    assert_refused(step, "chain_rule", "not_positive")
    assert "and it is not known to be" in " ".join(step.reasons)


def test_the_chain_rule_needs_a_nonzero_base_for_a_negative_power() -> None:
    """1/(a − μ_θ(s)) cannot be read into a claim (a division by what may be 0), so the
    rule's own condition is asked directly."""
    from sympy import Integer, Pow

    from pgproof.kernel.objects import Grad, Ratio
    from pgproof.symbolic.notation import Notation
    from pgproof.symbolic.refusal import Refusal
    from pgproof.symbolic.rules import Context, lookup

    n = Notation(scope="state", state="s", action="a", policy_class="gaussian")
    g = n.action_symbol() - n.function(n.policy_mean, n.state_symbol())
    rule = lookup("chain_rule")
    for inner in (Pow(g, -1), Pow(g, -2), Ratio(Integer(1), g)):
        with pytest.raises(Refusal) as info:
            rule.rewrites(Grad(inner, n.theta), Context(n))
        assert info.value.condition == "not_nonzero"


def test_a_chain_rule_through_a_theta_dependent_exponent_is_not_a_power(tmp_path) -> None:
    step = check(tmp_path, rf"\nabla_\theta 2^{{{LOGIT}}} = 0", "chain_rule")
    assert step.status == "rejected" and failures(step) == [("chain_rule", "does_not_apply")]


# ===================================================================== θ^⊤φ


def test_the_gradient_of_theta_transposed_phi_is_phi(tmp_path) -> None:
    assert_accepted(
        check(tmp_path, rf"\nabla_\theta {LOGIT} = \phi(s, a)", "grad_of_inner_product")
    )
    formula = r"\nabla_\theta \phi(s, a)^\top \theta = \phi(s, a)"
    assert_accepted(check(tmp_path, formula, "grad_of_inner_product"))
    assert numeric(tmp_path, formula, "grad_of_inner_product") == "confirmed"


def test_a_sign_error_in_the_gradient_of_theta_transposed_phi(tmp_path) -> None:
    formula = rf"\nabla_\theta {LOGIT} = -\phi(s, a)"
    assert_refused(
        check(tmp_path, formula, "grad_of_inner_product"), "grad_of_inner_product", "claim_differs"
    )
    assert numeric(tmp_path, formula, "grad_of_inner_product") == "refuted"


def test_theta_transposed_x_with_x_depending_on_theta_is_refused() -> None:
    """∇_θ θ^⊤x = x needs x free of θ (not readable from LaTeX, so built directly)."""
    from pgproof.kernel.objects import Grad
    from pgproof.kernel.state_objects import Inner
    from pgproof.symbolic.notation import Notation
    from pgproof.symbolic.refusal import Refusal
    from pgproof.symbolic.rules import Context, lookup

    n = Notation(scope="state", state="s", action="a", policy_class="linear_softmax")
    pi = n.policy_at(n.action_symbol(), n.state_symbol())
    rule = lookup("grad_of_inner_product")
    with pytest.raises(Refusal) as info:
        rule.rewrites(Grad(Inner(n.theta, pi), n.theta), Context(n))
    assert info.value.condition == "depends_on_theta"


# ===================================================================== the policy classes


@pytest.mark.parametrize(
    ("formula", "notation"),
    [
        (rf"{PI} = \frac{{\exp\left({LOGIT}\right)}}{{{Z}}}", SOFTMAX),
        # the bound action may be named a'' as well as a'
        (
            rf"{PI} = \frac{{\exp\left({LOGIT}\right)}}{{\sum_{{a''}} \exp(\theta^\top \phi(s, a''))}}",
            SOFTMAX,
        ),
        (rf"{PI} = \mathcal{{N}}(a; \mu_\theta(s), \sigma^2)", GAUSSIAN),
        (
            r"\mathcal{N}(a; \mu_\theta(s), \sigma^2) = \frac{1}{\sigma\sqrt{2\pi}} "
            r"\exp\left(-\frac{(a - \mu_\theta(s))^2}{2\sigma^2}\right)",
            GAUSSIAN,
        ),
        (
            r"\mathcal{N}(a \mid \mu_\theta(s), \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}} "
            r"\exp\left(-\frac{(a - \mu_\theta(s))^2}{2\sigma^2}\right)",
            GAUSSIAN,
        ),
    ],
)
def test_the_definitions_of_the_policy_classes(tmp_path, formula, notation) -> None:
    assert_accepted(check(tmp_path, formula, "definition", notation))


def test_a_bound_action_named_b_is_read_when_the_action_is_b(tmp_path) -> None:
    notation = SOFTMAX.replace('action = "a"', 'action = "b"').replace(
        'state_functions = ["b"]', ""
    )
    formula = (
        r"\pi_\theta(b \mid s) = \frac{\exp(\theta^\top \phi(s, b))}"
        r"{\sum_{b'} \exp(\theta^\top \phi(s, b'))}"
    )
    assert_accepted(check(tmp_path, formula, "definition", notation))


@pytest.mark.parametrize(
    ("formula", "notation"),
    [
        (
            rf"{PI} = \frac{{\exp\left({LOGIT}\right)}}{{\sum_{{a'}} \exp(\theta^\top \phi(s, a))}}",
            SOFTMAX,
        ),
        (rf"{PI} = \exp\left({LOGIT}\right)", SOFTMAX),
        (rf"{PI} = \mathcal{{N}}(a; \mu_\theta(s), \sigma)", GAUSSIAN),
        (
            r"\mathcal{N}(a; \mu_\theta(s), \sigma^2) = \frac{1}{\sigma\sqrt{2\pi}} "
            r"\exp\left(-\frac{(a - \mu_\theta(s))^2}{\sigma^2}\right)",
            GAUSSIAN,
        ),
    ],
    ids=["normaliser at a", "no normaliser", "σ for σ²", "variance halved"],
)
def test_a_wrong_definition_is_refused_and_false(tmp_path, formula, notation) -> None:
    assert_refused(check(tmp_path, formula, "definition", notation), "definition", "claim_differs")
    assert numeric(tmp_path, formula, "definition", notation) == "refuted"


def test_a_tabular_policy_has_no_formula_to_unfold(tmp_path) -> None:
    notation = SOFTMAX.replace('policy_class = "linear_softmax"', 'policy_class = "tabular"')
    step = check(tmp_path, rf"{PI} = {PI}^2", "definition", notation)
    assert step.status == "rejected"


# ===================================================================== E over actions


def test_an_expectation_over_actions_is_a_sum_and_back(tmp_path) -> None:
    formula = (
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right] = "
        r"\sum_{a'} \pi_\theta(a' \mid s) \phi(s, a')"
    )
    assert_accepted(check(tmp_path, formula, "expectation_to_sum"))
    assert numeric(tmp_path, formula, "expectation_to_sum") == "confirmed"
    back = (
        r"\sum_{a'} \pi_\theta(a' \mid s) \phi(s, a') = "
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right]"
    )
    assert_accepted(check(tmp_path, back, "sum_to_expectation"))


def test_a_sum_without_the_policy_is_not_an_expectation(tmp_path) -> None:
    formula = (
        r"\sum_{a'} \phi(s, a') = E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right]"
    )
    assert_refused(
        check(tmp_path, formula, "sum_to_expectation"), "sum_to_expectation", "missing_density"
    )
    assert numeric(tmp_path, formula, "sum_to_expectation") == "refuted"


def test_a_gaussian_policys_actions_are_not_summed(tmp_path) -> None:
    formula = (
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[a'\right] = "
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[a'\right]"
    )
    step = check(tmp_path, formula.split(" = ")[0] + " = 0", "expectation_to_sum", GAUSSIAN)
    assert_refused(step, "expectation_to_sum", "action_space")


def test_the_gaussian_expectation_is_computed_by_quadrature(tmp_path) -> None:
    """E_{a'∼N(μ_θ(s), σ²)}[a'] = μ_θ(s) and E[(a' − μ_θ(s))²] = σ² hold numerically; the
    step has no rule (true but not proved), which is what the numeric check says."""
    mean = r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[a'\right] = \mu_\theta(s)"
    report = pgproof.check(write(tmp_path, mean, "algebra", GAUSSIAN))
    assert pgproof.verify_steps(report, trials=3).steps[0].verdict == "true but not proved"
    spread = r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[(a' - \mu_\theta(s))^2\right] = \sigma^2"
    report = pgproof.check(write(tmp_path, spread, "algebra", GAUSSIAN))
    assert pgproof.verify_steps(report, trials=3).steps[0].verdict == "true but not proved"
    wrong = r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[(a' - \mu_\theta(s))^2\right] = \sigma"
    report = pgproof.check(write(tmp_path, wrong, "algebra", GAUSSIAN))
    assert pgproof.verify_steps(report, trials=3).steps[0].verdict == "refuted"


def test_linearity_of_an_expectation_over_actions(tmp_path) -> None:
    formula = (
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[b(s) \phi(s, a')\right] = "
        r"b(s) E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right]"
    )
    assert_accepted(check(tmp_path, formula, "linearity_of_expectation"))
    wrong = (
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\pi_\theta(a' \mid s) \phi(s, a')\right] = "
        r"\pi_\theta(a' \mid s) E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right]"
    )
    with pytest.raises(DerivationFileError, match="only defined inside"):
        check(tmp_path, wrong, "linearity_of_expectation")


# ===================================================================== the softmax score


def test_the_softmax_score_without_its_expectation_is_refused(tmp_path) -> None:
    """The normaliser depends on θ: dropping its gradient is refused, and false."""
    formula = rf"\nabla_\theta \left({LOGIT} - \log {Z}\right) = \phi(s, a)"
    by = ["grad_of_sum", "grad_of_inner_product", "drop_zero_gradient"]
    step = check(tmp_path, formula, by, terms=(rf"\log {Z}",))
    assert_refused(step, "drop_zero_gradient", "depends_on_theta")
    assert "depends on θ through θ^⊤φ(s, a')" in " ".join(step.reasons)
    assert numeric(tmp_path, formula, by) == "refuted"


def test_the_softmax_score_with_a_sign_error_is_refused(tmp_path) -> None:
    formula = (
        rf"\nabla_\theta \log {PI} = -\phi(s, a) + "
        r"E_{a' \sim \pi_\theta(\cdot \mid s)}\left[\phi(s, a')\right]"
    )
    step = check(
        tmp_path, formula, ["definition", "log_of_product", "grad_of_sum", "grad_of_inner_product"]
    )
    assert step.status == "rejected"
    assert numeric(tmp_path, formula, "definition") == "refuted"


# ===================================================================== what depends on θ


def test_a_mean_that_depends_on_theta_is_not_dropped(tmp_path) -> None:
    step = check(tmp_path, rf"\nabla_\theta {MU} = 0", "drop_zero_gradient", GAUSSIAN, (MU,))
    assert_refused(step, "drop_zero_gradient", "depends_on_theta")
    assert numeric(tmp_path, rf"\nabla_\theta {MU} = 0", "drop_zero_gradient", GAUSSIAN) == (
        "refuted"
    )


def test_theta_free_things_have_zero_gradient(tmp_path) -> None:
    for term in ("b(s)", "a", r"\sigma", r"\phi(s, a)"):
        notation = SOFTMAX if "phi" in term else GAUSSIAN
        step = check(tmp_path, rf"\nabla_\theta {term} = 0", "drop_zero_gradient", notation)
        assert_accepted(step)


@pytest.mark.parametrize(
    ("formula", "notation", "message"),
    [
        (
            r"\mu(s)",
            GAUSSIAN,
            r"\\mu is declared a function of \\theta: write \\mu_\{\\theta\}\(s\)",
        ),
        (r"\mu_{t}(s)", GAUSSIAN, r"declared a function of \\theta"),
        (r"b_\theta(s)", GAUSSIAN, r"b is declared free of \\theta"),
        (r"\phi_\theta(s, a)", SOFTMAX, r"\\phi is declared free of \\theta"),
        (r"\pi(a \mid s)", SOFTMAX, r"does not say that it depends on \\theta"),
    ],
)
def test_what_depends_on_theta_is_written_so(tmp_path, formula, notation, message) -> None:
    with pytest.raises(DerivationFileError, match=message):
        check(tmp_path, rf"\nabla_\theta {formula} = 0", "drop_zero_gradient", notation)


def test_a_function_of_theta_may_be_declared(tmp_path) -> None:
    notation = SOFTMAX + "parameter_state_functions = ['h']\n"
    formula = r"\nabla_\theta \log \exp h_\theta(s) = \nabla_\theta h_\theta(s)"
    step = check(tmp_path, formula, "restate", notation)
    assert_accepted(step)  # log exp x = x for the real h_θ(s)
    formula = r"\nabla_\theta \exp h_\theta(s) = \exp(h_\theta(s)) \nabla_\theta h_\theta(s)"
    assert numeric(tmp_path, formula, "chain_rule", notation) == "confirmed"
    formula = r"\nabla_\theta \exp h_\theta(s) = 0"
    assert_refused(
        check(tmp_path, formula, "drop_zero_gradient", notation, (r"h_\theta(s)",)),
        "drop_zero_gradient",
        "depends_on_theta",
    )


# ===================================================================== reading


@pytest.mark.parametrize(
    ("formula", "notation", "message"),
    [
        (r"\mathcal{N}(\mu_\theta(s), \sigma^2)", GAUSSIAN, "is a distribution, not a density"),
        (r"\mathcal{N}(a, \mu_\theta(s), \sigma^2)", GAUSSIAN, "takes the point, the mean and"),
        (r"\mathcal{N}(a; \mu_\theta(s))", GAUSSIAN, "takes the point, the mean and"),
        (r"\mathcal{N}(a; \mu_\theta(s), \sigma^2, 1)", GAUSSIAN, "takes the point, the mean"),
        (r"\mathcal{N}(a; \mu_\theta(s), -\sigma^2)", GAUSSIAN, "must be known to be positive"),
        (r"\mathcal{N}(a; \mu_\theta(s), b(s))", GAUSSIAN, "must be known to be positive"),
        (r"\mathcal{N}", GAUSSIAN, "needs its arguments"),
        (r"\mathcal{N}_\theta(a; \mu_\theta(s), \sigma^2)", GAUSSIAN, "takes no script"),
        (r"\mathcal{L}(a)", GAUSSIAN, "is not defined by this notation"),
        (r"\sqrt{-2}", GAUSSIAN, "the square root of a negative number"),
        (r"\sqrt[3]{\sigma}", GAUSSIAN, "only the square root"),
        (r"e^{\mu_\theta(s)}", GAUSSIAN, r"write the exponential as \\exp"),
        (r"\theta^\top", SOFTMAX, "with the vector y after it"),
        (r"\theta^\top \theta", SOFTMAX, "inner product of the parameter"),
        (r"\theta^\top b(s)", SOFTMAX, "inner product of the parameter"),
        (r"\phi(s, a)^\top", SOFTMAX, "with the vector y after it"),
        (r"b(s)^\top", SOFTMAX, "a transpose is read in"),
        (r"a'", SOFTMAX, "only defined inside a sum over a'"),
        (r"\sum_{a'} \sum_{a'} \phi(s, a')", SOFTMAX, "binds a' again"),
        (r"\sum_{a'=1}^{3} \phi(s, a')", SOFTMAX, "without limits"),
        (r"\sum_{a'} a'", GAUSSIAN, "not a finite set"),
        (r"\pi_\theta(\cdot \mid s)", SOFTMAX, "open argument of a distribution"),
        (r"E_{a' \sim \pi_\theta(\cdot \mid \cdot)}[a']", SOFTMAX, "is given a state"),
        (r"E_{a' \sim b(s)}[a']", SOFTMAX, "distribution is the policy"),
        (r"E_{a' \sim \pi_\theta(a \mid s)}[a']", SOFTMAX, "must be \\\\cdot"),
        (r"\pi_\theta(s \mid a)", SOFTMAX, "first argument must be an action"),
        (r"\phi(a, s)", SOFTMAX, "state argument of \\\\phi must be a state"),
        (r"\phi(s_t, a)", SOFTMAX, "must be of the same step"),
        (r"r(s, a)", SOFTMAX, "of the trajectory"),
    ],
)
def test_what_cannot_be_read_says_how_to_write_it(tmp_path, formula, notation, message) -> None:
    with pytest.raises(DerivationFileError, match=message) as info:
        check(tmp_path, formula + " = 0", "algebra", notation)
    assert "case.pgproof.toml" in str(info.value)


def test_a_bare_state_in_a_trajectory_derivation_says_how_to_write_one_state(tmp_path):
    notation = '\n[notation]\nstate = "s"\naction = "a"\n'
    with pytest.raises(DerivationFileError, match='set scope = "state"'):
        check(tmp_path, r"\nabla_\theta \log \pi_\theta(a \mid s) = 0", "algebra", notation)


def test_pi_alone_is_the_number_and_the_report_says_so(tmp_path) -> None:
    step = check(tmp_path, r"\sqrt{2\pi} \sigma = \sigma\sqrt{2\pi}", "algebra", GAUSSIAN)
    assert_accepted(step)
    assert any("number π" in r for r in step.step.readings)


@pytest.mark.parametrize(
    ("declarations", "message"),
    [
        ('scope = "states"', "notation scope must be one of"),
        ('policy_class = "softmax"', "policy_class must be one of"),
        ("policy_class = \"linear_softmax\"\nstate_action_functions = ['\\phi']", "declared twice"),
        ("policy_class = \"gaussian\"\ninitial = '\\mu'", "is also a declared function"),
        ("policy_class = \"gaussian\"\nconstants = ['\\sigma']", "already"),
        ("parameter_state_functions = ['h']\nstate_functions = ['h']", "declared twice"),
        ("policy_class = \"gaussian\"\nstate_functions = ['\\mu']", "Gaussian policy's mean"),
    ],
)
def test_the_policy_class_names_are_checked(tmp_path, declarations, message) -> None:
    if "scope" not in declarations:
        declarations = 'scope = "state"\n' + declarations
    notation = '\n[notation]\nstate = "s"\naction = "a"\n' + declarations + "\n"
    with pytest.raises(DerivationFileError, match=message):
        check(tmp_path, r"1 = 1", "restate", notation)


# ===================================================================== the score of one state

EA = r"E_{a' \sim \pi_\theta(\cdot \mid s)}"
SCORE = r"\nabla_\theta \log \pi_\theta(a' \mid s)"


@pytest.mark.parametrize("notation", [SOFTMAX, GAUSSIAN], ids=["softmax", "gaussian"])
def test_the_score_of_one_state_has_mean_zero(tmp_path, notation) -> None:
    formula = EA + r"\left[" + SCORE + r"\right] = 0"
    step = check(tmp_path, formula, "score_has_zero_mean", notation)
    assert_accepted(step)
    assert any("∇_θ and Σ_a (or ∫ da) may be interchanged" in a for a in step.assumptions)
    assert numeric(tmp_path, formula, "score_has_zero_mean", notation) == "confirmed"


@pytest.mark.parametrize(
    ("baseline", "notation"),
    [("b(s)", SOFTMAX), (r"\mu_\theta(s)", GAUSSIAN), (r"\pi_\theta(a \mid s)", SOFTMAX)],
)
def test_a_baseline_free_of_the_action_keeps_mean_zero(tmp_path, baseline, notation) -> None:
    formula = EA + r"\left[" + SCORE + " " + baseline + r"\right] = 0"
    assert_accepted(check(tmp_path, formula, "baseline", notation))
    assert numeric(tmp_path, formula, "baseline", notation) == "confirmed"


@pytest.mark.parametrize(
    ("factor", "notation"),
    [(r"\phi(s, a')", SOFTMAX), ("a'", GAUSSIAN), (r"\pi_\theta(a' \mid s)", SOFTMAX)],
)
def test_a_baseline_of_the_action_is_refused_and_false(tmp_path, factor, notation) -> None:
    formula = EA + r"\left[" + SCORE + " " + factor + r"\right] = 0"
    assert_refused(check(tmp_path, formula, "baseline", notation), "baseline", "depends_on_action")
    assert numeric(tmp_path, formula, "baseline", notation) == "refuted"
    step = check(tmp_path, formula, "score_has_zero_mean", notation)
    assert_refused(step, "score_has_zero_mean", "not_score_alone")


def test_the_policy_of_one_state_sums_to_one(tmp_path) -> None:
    formula = r"\sum_{a'} \pi_\theta(a' \mid s) = 1"
    assert_accepted(check(tmp_path, formula, "normalization"))
    assert numeric(tmp_path, formula, "normalization") == "confirmed"
    assert_accepted(check(tmp_path, EA + r"\left[1\right] = 1", "normalization", GAUSSIAN))
    wrong = r"\sum_{a'} \pi_\theta(a \mid s) = 1"
    assert check(tmp_path, wrong, "normalization").status == "rejected"
    assert numeric(tmp_path, wrong, "normalization") == "refuted"
