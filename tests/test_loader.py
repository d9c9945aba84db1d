"""Derivation files: what they mean, and clear errors for what is wrong with them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgproof.files import DerivationFileError, load_derivation
from pgproof.symbolic.checker import check_derivation

DERIVATIONS = Path(__file__).resolve().parent.parent / "derivations"

HEADER = """title = "t"
source = "s"
[notation]
state = "s"
action = "a"
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "case.pgproof.toml"
    path.write_text(header + body, encoding="utf-8")
    return path


def error(tmp_path: Path, body: str, header: str = HEADER) -> DerivationFileError:
    with pytest.raises(DerivationFileError) as info:
        load_derivation(write(tmp_path, body, header))
    return info.value


@pytest.mark.parametrize(
    ("name", "verdict", "first_refused"),
    [
        ("000_deriving_policy_gradient", "accepted", None),
        ("001_policy_gradient_unfinished", "rejected", 12),
        ("002_policy_gradient_theorem_hf", "accepted", None),
    ],
)
def test_seed_verdicts(name: str, verdict: str, first_refused: int | None) -> None:
    report = check_derivation(load_derivation(DERIVATIONS / f"{name}.pgproof.toml"))
    assert report.verdict == verdict
    assert report.as_expected
    first = report.first_rejection
    assert (first.index if first else None) == first_refused


def test_seed_001_is_refused_for_the_policy_term_and_recorded_unfinished() -> None:
    d = load_derivation(DERIVATIONS / "001_policy_gradient_unfinished.pgproof.toml")
    report = check_derivation(d)
    assert d.unfinished
    assert all(s.accepted for s in report.steps[:11])
    reason = report.steps[11].reason
    assert "log π_θ(a_t|s_t) depends on θ through π_θ(a_t|s_t): it cannot be dropped" in reason
    assert "the claim keeps log P(s_{t + 1}|s_t,a_t) inside ∇" in reason


def test_seed_002_ends_in_an_estimate() -> None:
    report = check_derivation(
        load_derivation(DERIVATIONS / "002_policy_gradient_theorem_hf.pgproof.toml")
    )
    assert [s.relation for s in report.steps][6:] == ["≈", "=", "=", "=", "=", "=", "≈"]


def test_every_wrong_step_case_is_refused_where_it_says() -> None:
    files = sorted((DERIVATIONS / "wrong_steps").glob("*.pgproof.toml"))
    assert len(files) >= 8
    for f in files:
        d = load_derivation(f)
        report = check_derivation(d)
        assert d.expected is not None, f
        assert report.verdict == "rejected", f
        assert report.as_expected, f"{f}: {report.text()}"


def test_unknown_rule_names_file_line_step_and_suggestions(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)]'
by = "defintion"
from = "self"
""",
    )
    assert err.step == 1 and err.line == 8
    assert "unknown rule 'defintion'" in str(err) and "definition" in str(err)
    assert str(err).startswith(str(tmp_path / "case.pgproof.toml") + ":8: step 1:")


def test_a_formula_that_does_not_parse_names_the_column(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)'
by = "definition"
""",
    )
    assert err.step == 1 and err.line == 8 and err.column is not None


def test_an_undefined_symbol_is_an_error(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[q(\\tau)]'
by = "definition"
""",
    )
    assert err.step == 1 and "q" in err.message


def test_bad_toml_names_line_and_column(tmp_path: Path) -> None:
    err = error(tmp_path, "[[step]\nformula = 'x'\n")
    assert err.line == 6 and "not valid TOML" in err.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "needs at least one [[step]]"),
        ("[[step]]\nby = 'definition'\n", "needs a formula"),
        ("[[step]]\nformula = 'J(\\theta) = J(\\theta)'\nfrom = 'elsewhere'\n", "from must be"),
        ("[[step]]\nformula = 'J(\\theta) = J(\\theta)'\ncolour = 'red'\n", "unknown key 'colour'"),
        (
            "[expect]\nrejected_at = 5\nrule = 'definition'\ncondition = 'claim_differs'\n"
            "[[step]]\nformula = 'J(\\theta) = J(\\theta)'\n",
            "rejected_at must be a step number 1..1",
        ),
    ],
)
def test_structural_errors(tmp_path: Path, body: str, message: str) -> None:
    assert message in error(tmp_path, body).message


def test_unknown_notation_key(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        "[[step]]\nformula = 'J(\\theta) = J(\\theta)'\n",
        header='title = "t"\nsource = "s"\n[notation]\npolicey = "x"\n',
    )
    assert "unknown notation key 'policey'" in err.message and err.line == 4


def test_a_chain_must_be_split(tmp_path: Path) -> None:
    err = error(
        tmp_path,
        """
[[step]]
formula = 'J(\\theta) = E[r(\\tau)] = \\int p_\\theta(\\tau) r(\\tau) d\\tau'
by = "definition"
from = "self"
""",
    )
    assert "split the chain" in err.message


STEP = """
[[step]]
formula = 'J(\\theta) = E_{\\tau \\sim p_{\\theta}(\\tau)}[r(\\tau)]'
by = "definition"
from = "self"
"""


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        (
            'title = "t"\nsource = "s"\n[notation]\nstate = ""\n',
            4,
            "notation state must not be empty",
        ),
        ('title = "t"\nsource = "s"\n[notation]\nreward = " "\n', 4, "notation reward must not be"),
        (
            'title = "t"\nsource = "s"\n[notation]\nconstants = ["b", ""]\n',
            4,
            "notation constants must not be empty",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\nobjective_style = "J of theta"\n',
            4,
            "notation objective_style must be one of 'theta', 'policy', not 'J of theta'",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\ndensity_style = "x"\n',
            4,
            "notation density_style must be one of 'subscript', 'given_policy', 'semicolon'",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\ntrajectory_space = "x"\n',
            4,
            "notation trajectory_space must be one of 'continuous', 'discrete'",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\nstate = \'\\csname x\\endcsname\'\n',
            4,
            "notation state cannot be a name: \\csname is not an allowed LaTeX command",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\npolicy = \'\\pi^^5c\'\n',
            4,
            "notation policy cannot be a name: TeX's ^^ notation",
        ),
        (
            'title = "t"\nsource = "s"\n[notation]\nhorizon = "' + "T" * 101 + '"\n',
            4,
            "notation horizon is 101 characters long (at most 100)",
        ),
        (
            'title = "t"\nsource = "s"\nnotes = 5\n',
            3,
            "notes must be a string or a list of strings, not 5",
        ),
        ('title = "t"\nsource = "s"\nnotes = ["ok", 5]\n', 3, "notes must be a string, not 5"),
        (
            'title = "a\\u001b[31mb"\nsource = "s"\n',
            1,
            "title contains the control character U+001B ESCAPE",
        ),
        (
            'title = "t"\nsource = "a\\rb"\n',
            2,
            "source contains the control character U+000D CARRIAGE RETURN",
        ),
        (
            'title = "t\\u2028"\nsource = "s"\n',
            1,
            "title contains the control character U+2028 LINE SEPARATOR",
        ),
    ],
)
def test_text_and_names_are_validated_where_they_are_written(
    tmp_path: Path, header: str, line: int, message: str
) -> None:
    exc = error(tmp_path, STEP, header)
    assert exc.line == line
    assert message in exc.message


def test_notes_may_span_lines_and_a_single_string_is_one_note(tmp_path: Path) -> None:
    header = 'title = "t"\nsource = "s"\nnotes = """first line\n\tsecond line"""\n'
    d = load_derivation(write(tmp_path, STEP, header))
    assert d.notes == ("first line\n\tsecond line",)


def test_a_step_note_and_a_rule_name_with_an_escape_are_refused(tmp_path: Path) -> None:
    exc = error(tmp_path, STEP + 'note = "\\u001b[2J"\n', 'title = "t"\nsource = "s"\n')
    assert exc.step == 1 and "note contains the control character U+001B" in exc.message
    body = STEP.replace('by = "definition"', 'by = "definition\\u0007"')
    exc = error(tmp_path, body, 'title = "t"\nsource = "s"\n')
    assert exc.step == 1 and "by contains the control character U+0007" in exc.message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.pgproof.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ('title = "t"\nsource = "s"\n' + STEP).encode())
    d = load_derivation(path)
    assert d.title == "t" and d.steps[0].line == 5


def test_a_number_of_thousands_of_digits_is_refused_with_its_column(tmp_path: Path) -> None:
    body = STEP.replace("[r(\\tau)]", "[r(\\tau)] + " + "7" * 5000)
    exc = error(tmp_path, body, 'title = "t"\nsource = "s"\n')
    assert "an integer of 5000 digits; the limit is 100" in exc.message
    assert (exc.line, exc.step) == (5, 1) and exc.column is not None
    line = (tmp_path / "case.pgproof.toml").read_text().splitlines()[4]
    assert line[exc.column - 1 :].startswith("7777")


@pytest.mark.parametrize(
    ("value", "depth"),
    [("[" * 100_000 + "]" * 100_000, 100_000), ("{a=" * 40 + "1" + "}" * 40, 40)],
)
def test_toml_nested_too_deeply_is_refused_before_parsing(
    tmp_path: Path, value: str, depth: int
) -> None:
    exc = error(tmp_path, STEP, f'title = "t"\nsource = "s"\nnotes = {value}\n')
    assert exc.line == 3
    assert f"arrays or tables nest {depth:,} deep (the limit is 32)" in exc.message


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    deep = "[" * 200
    header = (
        f'title = "{deep}"\nsource = \'{deep}\'\nnotes = """\n{deep}\n"""  # {deep}\n# {deep}\n'
    )
    assert load_derivation(write(tmp_path, STEP, header)).title == deep


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.symlink_to("/dev/zero"),
            "is a character device (through a symbolic link), not a regular file",
        ),
        (os.mkfifo, "is a FIFO (named pipe), not a regular file"),
        (Path.mkdir, "is a folder, not a regular file"),
    ],
)
def test_only_regular_files_are_read(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "x.pgproof.toml"
    make(path)
    with pytest.raises(DerivationFileError) as info:
        load_derivation(path)
    assert str(info.value) == f"{path}: {message}; it was not read"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    from pgproof.files.read import ReadError, read_bytes

    path = tmp_path / "x.json"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, 100) == b"x" * 100
    with pytest.raises(ReadError, match="file is 100 bytes; the limit is 99"):
        read_bytes(path, 99)
    with pytest.raises(ReadError, match="no such file"):
        read_bytes(tmp_path / "absent.json", 99)


# --------------------------------------------------------------------------- every error


def all_errors(tmp_path: Path, body: str, header: str = HEADER) -> list[DerivationFileError]:
    with pytest.raises(DerivationFileError) as info:
        load_derivation(write(tmp_path, body, header))
    return list(getattr(info.value, "errors", [info.value]))


MANY = """
[[step]]
formula = 'J(\\theta) = E_{\\tau \\sim p_{\\theta}(\\tau)}[r(\\tau)]'
by = "defintion"
from = "self"
label = "def"

[[step]]
formula = '= \\int p_{\\theta}(\\tau) r(\\tau) d \\tau'
by = "log trick"

[[step]]
formula = 'J(\\theta) = E[q(\\tau)]'
by = "definition"
from = "deff"
colour = "red"

[[step]]
formula = '\\sum_{t'=t}^{T} r_t = 1'
by = "algebra"

[[step]]
formula = "\\theta = \\theta"
using = "later"
"""


def test_every_error_of_a_file_is_reported_in_one_run(tmp_path: Path) -> None:
    errors = all_errors(tmp_path, MANY, HEADER.replace('source = "s"\n', 'source = "s"\nx = 1\n'))
    expected = [
        (3, None, "unknown key 'x' (known: expect, notation"),
        (9, 1, "unknown rule 'defintion' (did you mean definition"),
        (15, 2, "unknown rule 'log trick': “log trick” is what authors call"),
        (19, 3, "unknown key 'colour' (known: by, factor, "),
        (19, 3, 'from must be "previous", "self", a step number or a step\'s label'),
        (19, 3, "q is not defined by this notation"),
        (25, None, "not valid TOML: Expected newline or end of document"),
        (29, 5, 'the formula is a "…" string, where a backslash starts an escape'),
        (29, 5, "using must be a step number or a step's label"),
    ]
    assert len(errors) == len(expected)
    for error, (line, step, start) in zip(errors, expected, strict=True):
        assert (error.line, error.step) == (line, step) and error.message.startswith(start)
    assert "(did you mean 'def'?)" in errors[4].message
    assert errors[5].column == 26 and errors[6].column == 20
    assert "write the formula between triple quotes" in errors[6].message


def test_the_cli_prints_every_error_and_counts_the_file_once(tmp_path: Path, capsys) -> None:
    from pgproof.cli import main

    path = write(tmp_path, MANY)
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "0 of 0 derivations as expected, 1 unusable" in out
    assert err.count(f"pgproof: error: {path}:") == 8 and "Traceback" not in err


def test_broken_toml_in_two_steps_is_two_errors_and_the_rest_is_still_checked(
    tmp_path: Path,
) -> None:
    body = (
        "[[step]]\nformula = 'J(\\theta) = E[r(\\tau)]' x\n"
        "[[step]]\nformula = '= 1'\nby = 'algebr'\n"
        "[[step]]\nformula = = 2\n"
    )
    errors = all_errors(tmp_path, body)
    assert [(e.line, e.message[:22]) for e in errors] == [
        (7, "not valid TOML: Expect"),
        (9, "unknown rule 'algebr' "),
        (12, "not valid TOML: Invali"),
    ]


def test_a_prime_in_a_literal_string_gets_a_hint(tmp_path: Path) -> None:
    body = "[[step]]\nformula = '\\sum_{t'=t}^{T} r(s_{t'}, a_{t'})'\nby = 'algebra'\n"
    (error,) = all_errors(tmp_path, body)
    assert (error.line, error.column) == (7, 20)
    assert "the ' after “…\\sum_{t” ends the '…' string (a prime, as in t', is a quote" in (
        error.message
    )
    assert "write the formula between triple quotes, formula = '''…'''" in error.message
    fixed = body.replace("formula = '\\sum_{t'=t}^{T} r(s_{t'}, a_{t'})'", (
        "formula = '''\\sum_{t'=t}^{T} r(s_{t'}, a_{t'}) = 1'''"
    ))  # fmt: skip
    assert len(load_derivation(write(tmp_path, fixed)).steps) == 1


def test_latex_in_a_basic_string_gets_a_hint(tmp_path: Path) -> None:
    (error,) = all_errors(tmp_path, '[[step]]\nformula = "J(\\sum) = 1"\n')
    assert "not valid TOML" in error.message
    assert 'in a "…" string a backslash starts an escape' in error.message
    (error,) = all_errors(tmp_path, '[[step]]\nformula = "J(\\theta) = 1"\n')
    assert error.step == 1 and "\\t is a tab" in error.message


def test_a_file_missing_two_keys_says_so_in_one_line(tmp_path: Path) -> None:
    (error,) = all_errors(tmp_path, "", 'title = "t"\n')
    assert error.message == "a derivation needs source (a string) and at least one [[step]]"


# --------------------------------------------------------------------------- labels

LABELLED = """
[[step]]
formula = '''p_{\\theta}(\\tau) \\nabla_{\\theta} \\log p_{\\theta}(\\tau)
  = \\nabla_{\\theta} p_{\\theta}(\\tau)'''
by = "log_derivative_trick"
from = "self"
label = "logtrick"

[[step]]
formula = 'J(\\theta) = \\int p_{\\theta}(\\tau) r(\\tau) d\\tau'
by = ["definition", "expectation_to_integral"]
from = "self"
label = "objective"

[[step]]
formula = '''\\nabla_{\\theta} J(\\theta)
  = \\int \\nabla_{\\theta} p_{\\theta}(\\tau) r(\\tau) d\\tau'''
by = ["differentiate_both_sides", "grad_under_integral", "constant_factor"]
from = "objective"

[[step]]
formula = '= \\int p_{\\theta}(\\tau) \\nabla_{\\theta} \\log p_{\\theta}(\\tau) r(\\tau) d\\tau'
by = "substitute"
using = "logtrick"
"""


def test_steps_refer_to_each_other_by_label(tmp_path: Path) -> None:
    d = load_derivation(write(tmp_path, LABELLED, 'title = "t"\nsource = "s"\n'))
    assert [s.source for s in d.steps] == ["self", "self", 2, "previous"]
    assert d.steps[3].reference == 1
    assert check_derivation(d).verdict == "accepted"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('from = "objective"', 'from = "objectve"',
         "from must be \"previous\", \"self\", a step number or a step's label: no step is "
         "labelled 'objectve' (did you mean 'objective'?)"),
        ('using = "logtrick"', 'using = "nowhere"',
         "using must be a step number or a step's label: no step is labelled 'nowhere' (the "
         "labels are 'logtrick', 'objective')"),
        ('label = "logtrick"', 'label = "objective"',
         "the label 'objective' is already step 1's: labels must differ"),
        ('from = "objective"', "from = 4", "from must name an earlier step (1..2), not 4"),
        ('using = "logtrick"', 'using = "previous"', "no step is labelled 'previous'"),
        ('label = "objective"', 'label = "7"', "7 cannot be a label"),
        ('label = "objective"', 'label = "self"', '"self" cannot be a label'),
    ],
)  # fmt: skip
def test_label_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    body = LABELLED.replace(old, new, 1)
    errors = all_errors(tmp_path, body, 'title = "t"\nsource = "s"\n')
    assert any(message in e.message for e in errors), errors


def test_a_label_of_a_later_step(tmp_path: Path) -> None:
    body = LABELLED.replace('from = "objective"', 'from = "later"') + 'label = "later"\n'
    (error,) = all_errors(tmp_path, body, 'title = "t"\nsource = "s"\n')
    assert "from = 'later' names step 4, which comes later" in error.message
