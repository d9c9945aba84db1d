"""The hostile-input corpus: every case of issue 10, and more, as a command and an outcome.

A case is ``pgproof ARGS`` run in a scratch folder prepared with fixture files from
``files/`` and, for what cannot be a plain file (a symbolic link to /dev/zero, a FIFO, a
socket, a sparse 100 MB file, nesting 200 000 deep), a setup function.  Unless a case
says otherwise, it must end with exit status 2 and exactly one line on stderr that names
``names`` (the file, or the option) and matches ``problem``; within 5 s and 500 MB, with
nothing written.  Cases marked ``xfail`` wait for a change outside the files this
corpus's author owns (see the reason).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FILES = Path(__file__).parent / "files"
ROOT = Path(__file__).resolve().parents[2]
GOOD = "good.pgproof.toml"  # seed 000, copied into the scratch folder

@dataclass
class Case:
    name: str
    args: list[str]
    #: a regular expression the error line (or, for status 0, stdout) must match
    problem: str
    #: what the error line must name: the file or the option (default: the last path)
    names: str | None = None
    status: int | tuple[int, ...] = 2
    files: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    xfail: str | None = None

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)

    @property
    def named(self) -> str:
        if self.names is not None:
            return self.names
        paths = [a for a in self.args if a.endswith((".toml", ".json")) or "/" in a]
        return paths[-1] if paths else ""


def prepare(case: Case, scratch: Path) -> None:
    """Copy the case's fixtures into ``scratch`` and run its setup."""
    shutil.copy(ROOT / "derivations" / "000_deriving_policy_gradient.pgproof.toml", scratch / GOOD)
    for name in case.files:
        shutil.copy(FILES / name, scratch / name)
    if case.setup is not None:
        case.setup(scratch)


# --------------------------------------------------------------------------- setups


def _link(name: str, target: str) -> Callable[[Path], None]:
    def setup(scratch: Path) -> None:
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, scratch / name)

    return setup


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda scratch: os.mkfifo(scratch / name)


def _socket(name: str) -> Callable[[Path], None]:
    def setup(scratch: Path) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(scratch / name))  # the socket file stays after close
        sock.close()

    return setup


def _sparse(name: str, head: bytes, size: int) -> Callable[[Path], None]:
    """A file of ``size`` bytes that takes no disk space (all but ``head`` is a hole)."""

    def setup(scratch: Path) -> None:
        with open(scratch / name, "wb") as handle:
            handle.write(head)
            handle.truncate(size)

    return setup


def _write(name: str, content: bytes | str) -> Callable[[Path], None]:
    def setup(scratch: Path) -> None:
        path = scratch / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)

    return setup


def _folder(name: str) -> Callable[[Path], None]:
    return lambda scratch: (scratch / name).mkdir(parents=True)


MDP = {
    "initial": [0.5, 0.5],
    "transition": [[[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]]],
    "reward": [[1.0, 0.0], [0.0, 1.0]],
    "horizon": 3,
    "theta": [[0.0, 0.0], [0.0, 0.0]],
}
MDP_TEXT = json.dumps(MDP)


def _mdp(name: str, old: str, new: str) -> Callable[[Path], None]:
    assert old in MDP_TEXT, old
    return _write(name, MDP_TEXT.replace(old, new, 1))


def _mdp_with(name: str, **change: object) -> Callable[[Path], None]:
    return _write(name, json.dumps({**MDP, **change}))


def _derivation_copy(name: str, source: str) -> Callable[[Path], None]:
    return lambda scratch: shutil.copy(FILES / source, scratch / name)


TOML_HEAD = 'title = "t"\nsource = "s"\nnotes = '


def _case(name: str, command: str, fixture: str, problem: str, **kw) -> Case:
    """A case that runs ``pgproof COMMAND files/FIXTURE.pgproof.toml``."""
    file = f"{fixture}.pgproof.toml"
    return Case(name, [*command.split(), file], problem, files=(file,), **kw)


# --------------------------------------------------------------------------- the corpus

CASES: list[Case] = [
    # ---- 1. LaTeX injection through `pgproof render` ------------------------------------
    _case("title_newline", "render --standalone", "title_newline",
          r":2: title contains the control character U\+000A LINE FEED"),
    _case("title_carriage_return", "render", "title_carriage_return",
          r"title contains the control character U\+000D CARRIAGE RETURN"),
    _case("source_newline", "render", "source_newline",
          r"source contains the control character U\+000A"),
    _case("title_tex_escaped", "render --standalone", "title_tex_specials",
          r"\\section\*\{\\textbackslash\{\}immediate\\textbackslash\{\}write18", status=0),
    _case("as_written_colour_hat_notation", "render --as-written", "colour_hat_notation",
          r":6:69: step 1: TeX's \^\^ notation \(\^\^5c is a backslash to TeX\) is not allowed"),
    _case("as_written_colour_hat_notation_halt", "render --as-written --standalone -o out.tex",
          "colour_hat_notation", r"TeX's \^\^ notation"),
    _case("colour_hat_notation_check", "check", "colour_hat_notation", r"TeX's \^\^ notation"),
    _case("as_written_colour_argument", "render --as-written", "colour_argument",
          r"the colour argument \{red\(x\)/y\} of \\color may only hold letters, digits"),
    _case("as_written_definecolor_argument", "render --as-written", "definecolor_argument",
          r"TeX's \^\^ notation"),
    _case("notation_name_input", "render", "notation_state_input",
          r":5: notation state cannot be a name: \\input is not an allowed LaTeX command"),
    _case("notation_name_hat_notation", "render", "notation_hat",
          r"notation state cannot be a name: TeX's \^\^ notation"),
    _case("notation_name_newline", "render", "notation_newline",
          r"notation policy contains the control character U\+000A"),
    _case("formula_input_command", "render", "input_command",
          r"step 1: \\input is not a command pgproof knows"),
    # ---- 3. reads --------------------------------------------------------------------------
    Case("derivation_symlink_to_dev_zero", ["check", "zero.pgproof.toml"],
         r"zero\.pgproof\.toml: is a character device \(through a symbolic link\), not a "
         r"regular file; it was not read", setup=_link("zero.pgproof.toml", "/dev/zero")),
    Case("derivation_fifo", ["check", "pipe.pgproof.toml"],
         r"is a FIFO \(named pipe\), not a regular file", setup=_fifo("pipe.pgproof.toml")),
    Case("derivation_socket", ["check", "sock.pgproof.toml"], r"is a socket, not a regular file",
         setup=_socket("sock.pgproof.toml")),
    Case("derivation_device_path", ["check", "/dev/null"], r"/dev/null: is a character device"),
    Case("folder_with_a_device_inside", ["render", "proofs"],
         r"proofs/zero\.pgproof\.toml: is a character device", names="proofs/zero.pgproof.toml",
         setup=_link("proofs/zero.pgproof.toml", "/dev/zero")),
    Case("folder_named_like_a_derivation", ["check", "proofs"],
         r"proofs/x\.pgproof\.toml: is a folder", names="proofs/x.pgproof.toml",
         setup=_folder("proofs/x.pgproof.toml")),
    Case("derivation_10_megabytes", ["check", "big.pgproof.toml"],
         r"file is 10,000,000 bytes; the limit is 2,000,000",
         setup=_sparse("big.pgproof.toml", b'title = "', 10_000_000)),
    Case("derivation_not_utf8", ["check", "latin1.pgproof.toml"], r"not UTF-8 text",
         setup=_write("latin1.pgproof.toml", 'title = "caf\xe9"\n'.encode("latin-1"))),
    Case("mdp_symlink_to_dev_zero", ["verify", "--mdp", "zero.json"],
         r"zero\.json: is a character device \(through a symbolic link\)",
         setup=_link("zero.json", "/dev/zero")),
    Case("mdp_fifo", ["verify", "--mdp", "pipe.json"], r"pipe\.json: is a FIFO",
         setup=_fifo("pipe.json")),
    Case("mdp_100_megabytes", ["verify", "--mdp", "big.json"],
         r"big\.json: file is 100,000,000 bytes; the limit is 20,000,000",
         setup=_sparse("big.json", b'{"initial": [', 100_000_000)),
    Case("mdp_folder", ["verify", "--mdp", "folder.json"], r"folder\.json: is a folder",
         setup=_folder("folder.json")),
    # ---- 5. tracebacks that are one line now ----------------------------------------------
    _case("formula_integer_5000_digits", "check", "huge_integer",
          r":6:\d+: step 1: an integer of 5000 digits; the limit is 100"),
    _case("unknown_density_style", "check", "density_style",
          r"notation density_style must be one of 'subscript', 'given_policy', 'semicolon', "
          r"not 'fancy'"),
    Case("toml_nested_100k", ["check", "deep.pgproof.toml"],
         r"deep\.pgproof\.toml:3: arrays or tables nest 100,000 deep \(the limit is 32\)",
         setup=_write("deep.pgproof.toml", TOML_HEAD + "[" * 100_000 + "]" * 100_000 + "\n")),
    Case("toml_inline_tables_nested_5k", ["check", "tables.pgproof.toml"],
         r"arrays or tables nest 5,00\d deep",
         setup=_write("tables.pgproof.toml", TOML_HEAD + "{a=" * 5000 + "1" + "}" * 5000 + "\n")),
    Case("json_nested_200k", ["verify", "--mdp", "deep.json"],
         r"deep\.json: arrays or objects nest 200,000 deep \(the limit is 32\)",
         setup=_write("deep.json", "[" * 200_000 + "]" * 200_000)),
    Case("mdp_reward_10_to_400", ["verify", "--mdp", "reward.json"],
         r"reward\[0\]\[0\] = 100000000000… \(401 digits\) is too large for a 64-bit float",
         setup=_mdp("reward.json", "[[1.0, 0.0]", "[[1" + "0" * 400 + ", 0.0]")),
    Case("mdp_reward_1e400", ["verify", "--mdp", "reward.json"],
         r"reward\[0\]\[0\] is inf; all entries must be finite",
         setup=_mdp("reward.json", "[[1.0, 0.0]", "[[1e400, 0.0]")),
    Case("mdp_reward_1e300", ["verify", "--mdp", "reward.json"],
         r"reward\[1\]\[1\] = -1e\+300 is out of range: \|reward\| ≤ 1e\+100",
         setup=_mdp("reward.json", "[0.0, 1.0]]", "[0.0, -1e300]]")),
    Case("mdp_integer_5000_digits", ["verify", "--mdp", "digits.json"],
         r"digits\.json: an integer with 5,000 digits \(the limit is 4000\)",
         setup=_mdp("digits.json", '"horizon": 3', '"horizon": ' + "9" * 5000)),
    # a horizon of 600 is legitimate: the trajectory count (4^600) is printed, not a traceback
    Case("mdp_horizon_600", ["verify", "--mdp", "h.json", "--samples", "10"],
         r"T=600 .*about 10\^361\.5 trajectories", status=(0, 1, 3),
         setup=_mdp_with("h.json", horizon=600)),
    Case("random_horizon_600",
         ["verify", "--states", "2", "--actions", "2", "--horizon", "600", "--samples", "10"],
         r"T=600 .*about 10\^361\.5 trajectories", status=(0, 1, 3)),
    Case("check_seed_negative", ["check", "--numeric", "--seed", "-1", GOOD],
         r"^pgproof check: error: argument --seed: must be a non-negative integer, not -1",
         names="--seed"),
    Case("verify_seed_negative",
         ["verify", "--seed", "-1", "--states", "2", "--actions", "2", "--horizon", "2"],
         r"seed", names="--seed"),
    Case("check_trials_not_a_number", ["check", "--numeric", "--trials", "many", GOOD],
         r"argument --trials: must be a positive integer, not 'many'", names="--trials"),
    Case("timeout_negative", ["check", "--timeout", "-1", GOOD],
         r"argument --timeout: must be a positive number of seconds", names="--timeout"),
    Case("render_output_into_missing_folder", ["render", "-o", "missing/out.tex", GOOD],
         r"-o missing/out\.tex: the folder missing does not exist", names="missing/out.tex"),
    Case("render_output_is_a_folder", ["render", "-o", "out", GOOD],
         r"-o out: is a folder, not a file", names="-o out", setup=_folder("out")),
    Case("witness_dir_is_a_file", ["check", "--numeric", "--witness-dir", GOOD, GOOD],
         r"--witness-dir good\.pgproof\.toml: is a file, not a folder"),
    Case("witness_dir_under_a_file", ["check", "--numeric", "--witness-dir", f"{GOOD}/w", GOOD],
         r"lies under the file good\.pgproof\.toml, not a folder", names=f"{GOOD}/w"),
    _case("ascii_terminal_error", "check", "density_style", r"must be one of",
          env={"PYTHONIOENCODING": "ascii"}),
    Case("ascii_terminal_report", ["check", GOOD], r"\[ok\] step 1 .*J\(theta\)", status=0,
         env={"PYTHONIOENCODING": "ascii"}),
    Case("latin1_terminal_report", ["check", "--json", GOOD], r'"J\(\\u03b8\)', status=0,
         env={"PYTHONIOENCODING": "latin-1"}),
    # ---- validation gaps -------------------------------------------------------------------
    _case("objective_style_any_string", "check", "objective_style",
          r"notation objective_style must be one of 'theta', 'policy', not 'anything at all'"),
    _case("notation_empty_name", "check", "notation_empty",
          r":5: notation state must not be empty"),
    _case("notation_blank_name", "check", "notation_blank",
          r"notation dynamics must not be empty"),
    _case("notes_is_a_number", "check", "notes_number",
          r":4: notes must be a string or a list of strings, not 5"),
    Case("mdp_number_as_string", ["verify", "--mdp", "s.json"],
         r's\.json: initial\[0\] must be a number, not the string "0\.9"',
         setup=_mdp("s.json", '"initial": [0.5, 0.5]', '"initial": ["0.9", 0.1]')),
    Case("mdp_boolean", ["verify", "--mdp", "b.json"],
         r"initial\[1\] must be a number, not the boolean true",
         setup=_mdp("b.json", '"initial": [0.5, 0.5]', '"initial": [0, true]')),
    Case("mdp_duplicate_key", ["verify", "--mdp", "d.json"], r"d\.json: duplicate key 'horizon'",
         setup=_write("d.json", MDP_TEXT[:-1] + ', "horizon": 2}')),
    Case("mdp_negative_probability", ["verify", "--mdp", "n.json"],
         r"initial\[1\] = -1e-09 is negative: a probability is at least 0",
         setup=_mdp_with("n.json", initial=[1.000000001, -1e-9])),
    Case("mdp_nan", ["verify", "--mdp", "nan.json"], r"transition\[0\]\[1\]\[0\] is nan",
         setup=_mdp("nan.json", "[[0.5, 0.5], [0.5, 0.5]], [[", "[[0.5, 0.5], [NaN, 0.5]], [[")),
    Case("mdp_null", ["verify", "--mdp", "null.json"],
         r"theta\[1\]\[0\] must be a number, not null",
         setup=_mdp_with("null.json", theta=[[0, 0], [None, 0]])),
    Case("mdp_horizon_true", ["verify", "--mdp", "t.json"],
         r"horizon must be a positive integer, not the boolean true",
         setup=_mdp_with("t.json", horizon=True)),
    _case("bom_is_accepted", "check", "bom", r"1 of 1 derivations as expected", status=0),
    Case("mdp_bom_is_accepted", ["verify", "--mdp", "bom.json", "--samples", "200",
                                 "--estimator", "reinforce"],
         r"MDP bom\.json: S=2", status=(0, 1, 3),  # a verdict, whichever
         setup=_write("bom.json", "\ufeff" + MDP_TEXT)),
    _case("title_ansi_escape", "check", "title_ansi",
          r":2: title contains the control character U\+001B ESCAPE"),
    _case("title_bidi_override", "check", "title_bidi",
          r"title contains the control character U\+202E RIGHT-TO-LEFT OVERRIDE"),
    Case("ansi_escape_in_a_file_name", ["check", "\x1b[2Jred.pgproof.toml"],
         r"\\x1b\[2Jred\.pgproof\.toml:5: notation density_style must be one of",
         names="\\x1b[2Jred.pgproof.toml",
         setup=_derivation_copy("\x1b[2Jred.pgproof.toml", "density_style.pgproof.toml")),
    _case("rule_name_escape", "check", "rule_escape",
          r"step 1: by contains the control character U\+001B"),
    _case("expected_reason_newline", "check", "reason_newline",
          r"\[expect\] reason contains the control character U\+000A"),
    # ---- 2. budgets: undecided (never refused for running out), never a hang ------------
    _case("product_of_10_to_100_terms", "check", "budget_product", r"✗ step 1", status=1),
    _case("sum_of_10_to_100_terms", "check", "budget_sum", r"✗ step 1", status=1),
    _case("power_expansion", "check", "budget_power",
          r"\? step 1 .*\n.*reason: could not be decided: expanding it would make", status=3),
    _case("product_of_powers_timeout_option", "check --timeout 1", "budget_product_power",
          r"reason: could not be decided within 50,000 units of work", status=3),
    _case("product_of_powers_work_budget_option", "check --work-budget 80000",
          "budget_product_power", r"reason: could not be decided within 80,000 units of work",
          status=3),
    _case("product_of_powers_render_timeout", "render --timeout 1", "budget_product_power",
          r"% reason: could not be decided within 50,000 units of work", status=0),
    _case("product_of_powers_default_budget", "check", "budget_product_power",
          r"\? step 1 .*\n.*reason: could not be decided within 2,000,000 units of work",
          status=3),
]  # fmt: skip

NAMES = [case.name for case in CASES]
assert len(set(NAMES)) == len(NAMES), "case names must be unique"
