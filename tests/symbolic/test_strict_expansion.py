"""``check --strict`` expands a step citing a derived rule into primitive steps at the step:
correct steps of every derived form are established by their instantiated derivations;
wrong ones (a baseline of τ, of a_t, of a later state; a bound name that clashes with a
free one) are not, also when the rule's own function is replaced by an unsound one that
accepts them (the expansion, not the function, decides under --strict)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sympy import Basic, S, Symbol, preorder_traversal

from pgproof import derived
from pgproof.cli import main
from pgproof.derived import check_rule
from pgproof.derived.expand import instantiate, match
from pgproof.files import load_derivation
from pgproof.kernel.binders import free_symbols
from pgproof.kernel.objects import Expectation, Grad
from pgproof.kernel.state_objects import ActionExpectation
from pgproof.latex.parser import parse_expression
from pgproof.symbolic.canonical import alpha_equal
from pgproof.symbolic.checker import check_derivation
from pgproof.symbolic.rules import REGISTRY

EXAMPLES = Path(derived.__file__).parent.parent / "examples"


def _write(tmp_path: Path, body: str, declare: str, rule: str, scope: str = "trajectory") -> str:
    path = tmp_path / "step.pgproof.toml"
    path.write_text(
        'title = "t"\nsource = "test"\nstatus = "complete"\n\n[notation]\n'
        f"scope = '{scope}'\nstate = 's'\naction = 'a'\n{declare}\n\n[[step]]\n"
        f"formula = '''{body}'''\nby = \"{rule}\"\nfrom = \"self\"\n",
        encoding="utf-8",
    )
    return str(path)


def _strict_json(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["check", "--strict", "--json", path])
    data = json.loads(capsys.readouterr().out)["derivations"][0]
    return code, data


E_TAU = r"E_{\tau \sim p_{\theta}(\tau)}"
E_ACT = r"E_{a' \sim \pi_{\theta}(\cdot \mid s)}"
SCORE_T = r"\nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t})"

#: (rule, body, declarations, scope, form expanded, primitive steps)
CORRECT = [
    (
        "score_has_zero_mean",
        E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau)\right] = 0",
        "",
        "trajectory",
        "score_has_zero_mean.trajectory",
        7,
    ),
    (
        "score_has_zero_mean",
        E_ACT + r"\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s)\right]"
        " = 0",
        "",
        "state",
        "score_has_zero_mean.action",
        8,
    ),
    (
        "score_has_zero_mean",
        E_TAU + r"\left[" + SCORE_T + r"\right] = 0",
        "",
        "trajectory",
        "score_has_zero_mean.per_step",
        8,
    ),
    (
        "score_has_zero_mean",
        E_TAU + r"\left[\sum_{t=1}^{T} " + SCORE_T + r"\right] = 0",
        "",
        "trajectory",
        "score_has_zero_mean.per_step_sum",
        10,
    ),
    (
        "baseline",
        E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau) c\right] = 0",
        'constants = ["c"]',
        "trajectory",
        "baseline.trajectory",
        9,
    ),
    (
        "baseline",
        E_ACT + r"\left[\nabla_{\theta} \log \pi_{\theta}(a' \mid s) f(s, a)\right] = 0",
        'state_action_functions = ["f"]',
        "state",
        "baseline.action",
        10,
    ),
    (
        "baseline",
        E_TAU + r"\left[" + SCORE_T + r" V(s_{t})\right] = 0",
        'state_functions = ["V"]',
        "trajectory",
        "baseline.per_step",
        9,
    ),
    (
        "baseline",
        E_TAU + r"\left[\sum_{t=1}^{T} " + SCORE_T + r" V(s_{t})\right] = 0",
        'state_functions = ["V"]',
        "trajectory",
        "baseline.per_step_sum",
        11,
    ),
]


@pytest.mark.parametrize(
    ("rule", "body", "declare", "scope", "form", "steps"), CORRECT, ids=[c[4] for c in CORRECT]
)
def test_a_correct_step_of_every_form_is_expanded_and_established(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: str,
    body: str,
    declare: str,
    scope: str,
    form: str,
    steps: int,
) -> None:
    code, data = _strict_json(_write(tmp_path, body, declare, rule, scope), capsys)
    assert code == 0
    note = data["strict"][0]
    assert note["rule"] == rule and note["expanded"] and note["established_by_derivations"]
    assert [e["form"] for e in note["expansions"]] == [form]
    assert note["primitive_steps"] == steps
    path = _write(tmp_path, body, declare, rule, scope)
    assert main(["check", "--strict", path]) == 0
    assert f"expanded into {steps} primitive steps at the step" in capsys.readouterr().out


def test_the_bundled_examples_are_expanded(capsys: pytest.CaptureFixture[str]) -> None:
    for name, step, steps in [
        ("004_baselines", 4, 11),
        ("004_baselines", 2, 10),
        ("010_q_and_advantage", 5, 11),
    ]:
        assert main(["check", "--strict", str(EXAMPLES / f"{name}.pgproof.toml")]) == 0
        out = capsys.readouterr().out
        assert (
            f"step {step} cites the derived rule" in out
            and f"expanded into {steps} primitive steps at the step" in out
        ), name


def _unsound(node: Basic, ctx: object) -> list[Basic] | None:
    """Any expectation of a score times anything is 0: accepts wrong baselines."""
    if isinstance(node, (Expectation, ActionExpectation)) and node.expr.has(Grad):
        return [S.Zero]
    return None


@pytest.fixture
def unsound_baseline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """baseline's function replaced by :func:`_unsound` (the cached general checks are
    dropped before and after, so no other test sees results of the unsound rule)."""
    monkeypatch.setitem(
        REGISTRY, "baseline", dataclasses.replace(REGISTRY["baseline"], function=_unsound)
    )
    check_rule.cache_clear()
    yield
    check_rule.cache_clear()


#: wrong baselines, each E[…] ≠ 0 in general
WRONG = [
    # b = r(τ) depends on the trajectory: E[∇ log p_θ(τ) r(τ)] = ∇J(θ)
    (
        "tau",
        E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau) r(\tau)\right] = 0",
        "",
        "trajectory",
    ),
    # b = f(s_t, a_t) depends on the current action
    (
        "action_t",
        E_TAU + r"\left[" + SCORE_T + r" f(s_{t}, a_{t})\right] = 0",
        'state_action_functions = ["f"]',
        "trajectory",
    ),
    # b = V(s_{t+1}) depends on a later state
    (
        "later_state",
        E_TAU + r"\left[" + SCORE_T + r" V(s_{t+1})\right] = 0",
        'state_functions = ["V"]',
        "trajectory",
    ),
    # the bound action is named a, like the free action of f(s, a): f is of the bound one
    (
        "bound_a_clash",
        r"E_{a \sim \pi_{\theta}(\cdot \mid s)}\left[\nabla_{\theta} "
        r"\log \pi_{\theta}(a \mid s) f(s, a)\right] = 0",
        'state_action_functions = ["f"]',
        "state",
    ),
    # the score's sum and the baseline's state are at different times t and u
    (
        "other_time",
        E_TAU + r"\left[\sum_{t=1}^{T} " + SCORE_T + r" V(s_{t+1})\right] = 0",
        'state_functions = ["V"]',
        "trajectory",
    ),
]


@pytest.mark.parametrize(("what", "body", "declare", "scope"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_baseline_is_not_established_even_by_an_unsound_rule(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    unsound_baseline: None,
    what: str,
    body: str,
    declare: str,
    scope: str,
) -> None:
    path = _write(tmp_path, body, declare, "baseline", scope)
    # the unsound function alone accepts the step
    assert main(["check", path]) == 0
    assert "✓ step 1" in capsys.readouterr().out
    # --strict refuses: the expansion at the step fails
    code, data = _strict_json(path, capsys)
    assert code == 1
    note = data["strict"][0]
    assert note["accepted"] and not note["expanded"] and not note["established_by_derivations"]
    assert all(e["problem"] for e in note["expansions"])
    assert main(["check", "--strict", path]) == 1
    captured = capsys.readouterr()
    assert "NOT established: it cannot be expanded into primitive steps at the step" in (
        captured.out
    )
    assert "cannot be expanded into primitive steps at the step" in captured.err


def test_the_real_rule_refuses_the_wrong_baselines_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for what, body, declare, scope in WRONG:
        assert main(["check", _write(tmp_path, body, declare, "baseline", scope)]) == 1, what
        capsys.readouterr()


def test_a_score_of_another_parameter_matches_no_form() -> None:
    """E_{τ∼p_θ}[∇_φ log p_θ(τ)] (the reader refuses to write it; built directly): θ would
    be instantiated by φ and by θ at once."""
    notation = check_derivation(
        load_derivation(derived.derivation_path("score_has_zero_mean.trajectory"))
    ).derivation.notation
    general = parse_expression(derived.form("score_has_zero_mean.trajectory").lhs, notation)
    grad = next(n for n in preorder_traversal(general) if isinstance(n, Grad))
    phi = Symbol("phi")
    other = general.xreplace({grad: Grad(grad.args[0], phi)})
    assert other != general
    assert match(general, general) is not None
    assert match(general, other) is None


def test_a_score_times_a_constant_is_not_score_has_zero_mean(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """E_{τ∼p_θ}[∇_θ log π_θ(a_t|s_t) g] is no form of score_has_zero_mean (g ≠ 1)."""
    monkeypatch.setitem(
        REGISTRY,
        "score_has_zero_mean",
        dataclasses.replace(REGISTRY["score_has_zero_mean"], function=_unsound),
    )
    check_rule.cache_clear()
    request.addfinalizer(check_rule.cache_clear)
    body = E_TAU + r"\left[\nabla_{\theta} \log \pi_{\theta}(a_{t} \mid s_{t}) g\right] = 0"
    path = _write(tmp_path, body, 'constants = ["g"]', "score_has_zero_mean")
    assert main(["check", path]) == 0
    capsys.readouterr()
    code, data = _strict_json(path, capsys)
    assert code == 1 and not data["strict"][0]["expanded"]


def test_the_instantiated_derivation_renames_a_bound_name_away_from_a_free_one() -> None:
    """Matching the trajectory form against E_τ[∇ log p_θ(τ) r(τ)] proposes b ↦ r(τ); the
    substitution keeps r's τ free (the E's τ is renamed), so the conclusion's side is not
    the step's subterm: the instance fails by capture avoidance, not by a check of b."""
    report = check_derivation(load_derivation(derived.derivation_path("baseline.trajectory")))
    notation = report.derivation.notation
    general = parse_expression(derived.form("baseline.trajectory").lhs, notation)
    step = parse_expression(
        E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau) r(\tau)\right]", notation
    )
    sigma = match(general, step)
    assert sigma is not None
    out = instantiate(general, sigma)
    assert out != step
    tau = step.variable
    assert tau in free_symbols(out) and out.variable != tau


def test_match_and_instantiate_refuse_what_is_no_instance() -> None:
    report = check_derivation(load_derivation(derived.derivation_path("baseline.per_step")))
    notation = report.derivation.notation
    general = parse_expression(derived.form("baseline.per_step").lhs, notation)
    # the score of the whole trajectory is not the per-step score
    other = parse_expression(
        E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau) b(s_{t})\right]", notation
    )
    assert match(general, other) is None
    # b of the later state s_{t+1}: σ(b) = λx. b(s_{t+1}) keeps the step's τ, which the
    # instantiation keeps free (the E's τ is renamed): not the step's subterm
    wrong = parse_expression(E_TAU + r"\left[" + SCORE_T + r" b(s_{t+1})\right]", notation)
    sigma = match(general, wrong)
    assert sigma is not None
    out = instantiate(general, sigma)
    assert not alpha_equal(out, wrong) and wrong.variable in free_symbols(out)
    right = parse_expression(E_TAU + r"\left[" + SCORE_T + r" b(s_{t})\right]", notation)
    sigma = match(general, right)
    assert sigma is not None and instantiate(general, sigma) == right
    assert alpha_equal(instantiate(general, sigma), right)


def test_bound_names_of_the_step_other_than_the_forms_are_matched_up_to_renaming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The form binds a'; the step binds a (the notation's action name) and its baseline
    V(s) is free of it: an instance up to renaming, established."""
    body = (
        r"E_{a \sim \pi_{\theta}(\cdot \mid s)}\left[\nabla_{\theta} \log \pi_{\theta}(a \mid s) "
        r"V(s)\right] = 0"
    )
    path = _write(tmp_path, body, 'state_functions = ["V"]', "baseline", "state")
    code, data = _strict_json(path, capsys)
    assert code == 0
    note = data["strict"][0]
    assert note["expanded"] and [e["form"] for e in note["expansions"]] == ["baseline.action"]


def _to_one(node: Basic, ctx: object) -> list[Basic] | None:
    """Unsound: the expected score times anything is 1."""
    return [S.One] if _unsound(node, ctx) else None


def test_the_instantiated_theorem_must_give_the_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule's function rewrites a correct redex to 1: the plain check accepts
    E[∇ log p_θ(τ) c] = 1; the redex expands (its instantiated theorem says = 0), but
    rewriting by that theorem gives 0, not the claimed 1."""
    monkeypatch.setitem(
        REGISTRY, "baseline", dataclasses.replace(REGISTRY["baseline"], function=_to_one)
    )
    check_rule.cache_clear()
    try:
        body = E_TAU + r"\left[\nabla_{\theta} \log p_{\theta}(\tau) c\right] = 1"
        path = _write(tmp_path, body, 'constants = ["c"]', "baseline")
        assert main(["check", path]) == 0
        capsys.readouterr()
        code, data = _strict_json(path, capsys)
        assert code == 1
        problems = [e["problem"] for e in data["strict"][0]["expansions"]]
        assert (
            "rewriting the redexes by the instantiated theorems does not give the step's claim"
            in problems
        )
    finally:
        check_rule.cache_clear()
