"""The notation a document uses, recognised from its symbols (or given in front matter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgproof.files import load_derivation

from .conftest import errors_of, write

CS285 = r"""
$$J(\theta) = E_{\tau \sim p_\theta(\tau)}\left[\sum_{t=1}^{T} r(\mathbf{s}_t,
\mathbf{a}_t)\right]$$
$$p_\theta(\tau) = p(\mathbf{s}_1) \prod_{t=1}^{T} \pi_\theta(\mathbf{a}_t \mid \mathbf{s}_t)
p(\mathbf{s}_{t+1} \mid \mathbf{s}_t, \mathbf{a}_t)$$
"""
SPINNING_UP = r"""
$$J(\pi_\theta) = E_{\tau \sim \pi_\theta}[R(\tau)] = \int P(\tau|\theta) R(\tau) d\tau$$
$$P(\tau|\theta) = \rho_0(s_0) \prod_{t=0}^{T} P(s_{t+1}|s_t, a_t) \pi_\theta(a_t|s_t)$$
"""
HUGGING_FACE = r"""
$$\nabla_\theta J(\theta) = \nabla_\theta \sum_{\tau}P(\tau;\theta)R(\tau)$$
$$\nabla_\theta log P(\tau^{(i)};\theta)= \nabla_\theta log[ \mu(s_0^{(i)})
\prod_{t=0}^{H} P(s_{t+1}^{(i)}|s_{t}^{(i)}, a_{t}^{(i)}) \pi_\theta(a_{t}^{(i)}|s_{t}^{(i)})]$$
"""


@pytest.mark.parametrize(
    ("text", "expected", "like"),
    [
        (CS285, dict(density="p", density_style="subscript", initial="p", dynamics="p",
                     first_index=1, horizon="T", state=r"\mathbf{s}", action=r"\mathbf{a}"),
         "CS285"),
        (SPINNING_UP, dict(density="P", density_style="given_policy", initial=r"\rho",
                           dynamics="P", first_index=0, horizon="T", return_="R",
                           objective_style="policy", state="s"), "Spinning Up"),
        (HUGGING_FACE, dict(density="P", density_style="semicolon", initial=r"\mu",
                            dynamics="P", first_index=0, horizon="H", return_="R",
                            trajectory_space="discrete"), "Hugging Face"),
    ],
)  # fmt: skip
def test_common_notations_are_recognised(
    tmp_path: Path, text: str, expected: dict, like: str
) -> None:
    d = load_derivation(write(tmp_path, "n.md", text))
    for key, value in expected.items():
        assert getattr(d.notation, key) == value, key
    assert like in d.notes[0]


def test_spinning_up_s_rho_0_is_a_name_and_is_said_so(tmp_path: Path) -> None:
    d = load_derivation(write(tmp_path, "n.md", SPINNING_UP))
    assert "ρ_0 is read as the initial distribution's name ρ" in d.steps[-1].readings


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            r"$$J(\theta) = E_{\tau \sim p_\theta(\tau)}[\sum_t r(s_t, a_t)]$$",
            ["\\sum_t without limits needs to know where t starts, and no formula says it: "
             "t = 1..T as in CS285 and seed 001, or t = 0..T as in Spinning Up",
             "\\sum_t without limits needs to know the horizon"],
        ),
        (
            "$$R(\\tau) = \\sum_{t=1}^{T} r(s_t, a_t)$$\n\n"
            "$$R(\\tau) = \\sum_{t=1}^{H} r(s_t, a_t)$$",
            ["the document writes the horizon in two ways: T (line 1), H (line 3) (a typo?); "
             'say which in the front matter (horizon = "T", …)'],
        ),
        (
            "$$J(\\theta) = \\int p_\\theta(\\tau) r(\\tau) d\\tau"
            " = \\sum_\\tau p_\\theta(\\tau) r(\\tau)$$",
            ["whether τ is continuous (∫) or discrete (Σ_τ) in two ways"],
        ),
        (
            "$$p(s_{t+1}|s_t,a_t) = P(s_{t+1}|s_t,a_t)$$",
            ["the document writes the dynamics in two ways: p (line 1), P (line 1)"],
        ),
    ],
)  # fmt: skip
def test_an_ambiguous_reading_is_an_error_naming_the_candidates(
    tmp_path: Path, text: str, messages: list[str]
) -> None:
    errors = errors_of(write(tmp_path, "n.md", text + "\n"))
    assert len(errors) == len(messages)
    for error, message in zip(errors, messages, strict=True):
        assert message in error.message and error.line is not None and error.column is not None


def test_front_matter_decides_what_the_formulas_leave_open(tmp_path: Path) -> None:
    text = "---\npgproof:\n  first_index: 0\n  horizon: H\n---\n" + (
        r"$$J(\theta) = E_{\tau \sim p_\theta(\tau)}[\sum_t r(s_t, a_t)]$$" + "\n"
    )
    d = load_derivation(write(tmp_path, "n.md", text))
    assert (d.notation.first_index, d.notation.horizon) == (0, "H")


def test_a_preset_in_the_front_matter(tmp_path: Path) -> None:
    text = "---\nnotation: spinning_up\n---\n" + (
        "$$J(\\pi_\\theta) = E_{\\tau \\sim \\pi_\\theta}[R(\\tau)]$$\n"
    )
    d = load_derivation(write(tmp_path, "n.md", text))
    assert (d.notation.initial, d.notation.first_index, d.notation.density) == (r"\rho", 0, "P")
    assert d.notes[0].startswith("Spinning Up's notation (front matter)")
    (error,) = errors_of(write(tmp_path, "m.md", text.replace("spinning_up", "spining_up")))
    assert "notation 'spining_up' is not a notation pgproof knows (did you mean spinning_up?)" in (
        error.message
    )


@pytest.mark.parametrize(
    ("front", "message", "line"),
    [
        ("pgproof:\n  horizn: H", "unknown front-matter key 'horizn' (did you mean horizon?)", 3),
        ("horizn: H", "unknown front-matter key 'horizn' (did you mean horizon?)", 2),
        ("pgproof:\n  first_index: one", "notation first_index must be a int, not 'one'", 3),
        ("pgproof:\n  density_style: fancy", "notation density_style must be one of", 3),
        ("pgproof:\n  state: '\\csname'", "notation state cannot be a name", 3),
        ("status: done", 'status must be "complete" or "unfinished"', 2),
    ],
)
def test_front_matter_errors_name_their_line(
    tmp_path: Path, front: str, message: str, line: int
) -> None:
    text = f"---\n{front}\n---\n$$J(\\theta) = E_{{\\tau \\sim p_\\theta(\\tau)}}[r(\\tau)]$$\n"
    errors = errors_of(write(tmp_path, "n.md", text))
    assert message in errors[0].message and errors[0].line == line


def test_a_blog_s_own_front_matter_keys_are_left_alone(tmp_path: Path) -> None:
    text = "---\nlayout: post\ndate: 2020-01-01\ntags: [rl]\nauthor:\n  name: x\n---\n" + (
        "$$J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)]$$\n"
    )
    assert len(load_derivation(write(tmp_path, "n.md", text)).steps) == 1


def test_sutton_and_barto_is_recognised_and_explained(tmp_path: Path) -> None:
    text = "\\begin{align*}\nv_\\pi(s) &= \\sum_a \\pi(a|s) q_\\pi(s, a)\n\\end{align*}\n"
    (error,) = errors_of(write(tmp_path, "n.tex", text))
    assert error.line == 2 and "Sutton & Barto's notation" in error.message
    assert "state-distribution form" in error.message and "% pgproof: skip" in error.message
    # the theorem itself (∝, no '=') is not a step: skipped, not an error
    theorem = (
        "\\[ \\nabla J(\\theta) \\propto \\sum_s \\mu(s) \\sum_a q_\\pi(s,a) "
        "\\nabla \\pi(a|s,\\theta) \\]\n"
    )
    ok = "\\[ J(\\theta) = E_{\\tau \\sim p_\\theta(\\tau)}[r(\\tau)] \\]\n"
    d = load_derivation(write(tmp_path, "m.tex", theorem + ok))
    assert len(d.steps) == 1 and len(d.notes) == 1  # no '=': not a step, not listed
