"""Each kind of refusal: the message, and the column it points at."""

from __future__ import annotations

import time

import pytest

from pgproof.latex.parser import LatexError, parse_expression, parse_formula

from .conftest import N000, N001

n = N000


def refuse(text: str, notation=n) -> LatexError:
    with pytest.raises(LatexError) as info:
        parse_formula(text, notation)
    err = info.value
    assert err.text == text
    assert str(err).startswith(f"column {err.column}: ")
    assert "\n" not in str(err)
    return err


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        (r"\pi_\theta(s_t|a_t)", 12, "policy's first argument must be an action, got s_t"),
        (r"\pi_\theta(a_t|a_t)", 16, "policy's second argument must be a state"),
        (r"\pi_\theta(a_t|s_{t+1})", 11, "same step"),
        (r"\pi_x(a_t|s_t)", 5, "subscript must be the parameter"),
        (r"\pi_\theta(a_t, s_t)", 15, "write this as"),
        (r"p(\mathbf{s}_{t} \mid \mathbf{s}_{t}, \mathbf{a}_{t})", 3, "next state"),
        (r"p(\mathbf{s}_{t})", 3, "first state"),
        (r"r(\mathbf{a}_{t}, \mathbf{s}_{t})", 3, "reward's first argument must be a state"),
        (r"J(\tau)", 2, "the objective is J"),
        (r"p_x(\tau)", 4, "is not a trajectory density"),
        (r"E_{\tau \sim q(\tau)}[r_t]", 14, "expectation must be over the trajectory"),
        (r"E_{s_t \sim p_\theta(\tau)}[r_t]", 4, "variable must be the trajectory"),
        (r"E_{\tau = p_\theta(\tau)}[r_t]", 9, "write E_{\\tau \\sim"),
        (r"\nabla_x J(\theta)", 8, "with respect to the parameter"),
        (r"\sum r_t", 1, "needs an index"),
        (r"\sum_{k=1}^{T} r_t", 7, "k is not an index"),
        (r"\sum_{t=1} r_t", 6, "needs an upper bound"),
        (r"\prod_\tau p(\tau)", 7, "written \\sum_\\tau"),
        (r"\int r(\tau) dx", 16, "expected a differential"),
        (r"\int r(\tau) d\theta", 15, "integral is over the trajectory"),
        (r"s_t(\tau)", 4, "not a function"),
        (r"\pi_\theta", 1, "needs its arguments"),
        (r"E", 1, "E needs a bracketed argument"),
        (r"x + 1", 1, "x is not defined by this notation (known: "),
        (r"r_t + \gamma", 7, "\\gamma is not defined by this notation"),
        (r"\mathbf{s}", 1, "needs a time subscript"),
        (r"\mathbf{s}_{\theta}", 12, "subscript \\theta is not a time index"),
        (r"{r_1 + r_2} r_3", 1, "braces around r_1 + r_2 do not print"),
        (r"\nabla \textcolor{red}{p_\theta(\tau) r(\tau)}", 8, "braces around"),
        (r"r_t^{(x)}", 5, "sample marker"),
        (r"\tau^{2}", 6, "not a sample marker"),
        (r"r_1 = ", 7, "ends too early"),
        (r"r_t, r_1", 6, "unexpected 'r' (expected the end of the formula)"),
        (r"r_1 ..", 6, "unexpected"),
        (r"2^{99999999}", 3, "exponent 99999999 is too large"),
        (r"{{{2^{1000}}^{1000}}^{1000}}", 14, "too large to evaluate"),
    ],
)
def test_semantic_and_syntax_errors(text, column, fragment):
    err = refuse(text)
    assert fragment in err.message
    assert err.column == column


def test_subscript_o_is_not_a_time_index():
    err = refuse(r"\log corr(s_{o})", N001)
    assert err.message == "subscript o is not a time index"
    assert err.column == 13


def test_unknown_command_suggests_the_nearest():
    err = refuse(r"r_t + \farc{1}{2}")
    assert err.column == 7
    assert err.message.startswith("\\farc is not a command pgproof knows (did you mean \\frac")
    assert "(did you mean \\nabla" in refuse(r"\nabal J(\theta)").message
    assert refuse(r"r_1 \{ r_2 \}").message == "\\{ is not supported in formulas"


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        (r"(r_t", 5, "before a bracket is closed (expected ')' or ']')"),
        (r"r_t]", 4, "unmatched ']'"),
        (r"\left( r_t \right]", 18, "unmatched ']'"),
        (r"\frac{r_1}{r_2", 15, "before a bracket is closed"),
        (r"E[r_t)", 6, "unmatched ')'"),
    ],
)
def test_mismatched_brackets_point_at_the_column(text, column, fragment):
    err = refuse(text)
    assert fragment in err.message
    assert err.column == column


def test_parse_expression_refuses_equations():
    with pytest.raises(LatexError, match="single expression") as info:
        parse_expression(r"r_1 = r_2", n)
    assert info.value.column == 5


def test_column_counts_characters_across_lines():
    err = refuse("r_1 \\\\\n  + x")
    assert err.column == 12


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        r"\input{/etc/passwd}",
        "import os; os.system('ls')",
        "lambda: 0",
        "{" * 10_000 + "}" * 10_000,
        "(" * 60 + "r_1" + ")" * 60,
        "r_1" * 4_000_000,
        "\\nabla " * 2_000 + "J(\\theta)",
        "r_1 + " * 4_000 + "r_1",
        "2^{2^{2^{2^{2^{2^{2^{2^{2^{2}}}}}}}}}",
        "\x00\x01 r_1",
    ],
)
def test_hostile_input_is_refused_fast(text):
    start = time.perf_counter()
    with pytest.raises(LatexError):
        parse_formula(text, n)
    assert time.perf_counter() - start < 5


def test_long_sums_within_the_limits_still_parse():
    text = "r_1 + " * 2_000 + "r_1"
    assert parse_expression(text, n) == 2001 * n.r(1)


def test_not_a_string():
    with pytest.raises(TypeError):
        parse_formula(b"r_1", n)  # type: ignore[arg-type]
