r"""Which notation a document uses, read from the symbols it writes.

Each choice of :class:`~pgproof.symbolic.notation.Notation` is decided by *evidence*: the
shapes of what the displays write, read with pgproof's own grammar (never evaluated):

=====================  =================================================================
choice                 evidence
=====================  =================================================================
density, its style     ``p_\theta(\tau)`` (subscript), ``P(\tau\mid\pi_\theta)`` or
                       ``P(\tau|\theta)`` (given), ``P(\tau;\theta)`` (semicolon); the
                       head written most often is the density, the others its aliases
policy                 the head of ``\pi_\theta(a_t \mid s_t)``; its arguments give the
                       spelling of the action and the state (``\mathbf{a}``, ``a``)
dynamics               the head of ``p(s_{t+1} \mid s_t, a_t)``
initial                the head of ``p(s_1)``, ``\mu(s_0)``, ``\rho_0(s_0)`` (a fixed
                       subscript, as Spinning Up's ρ₀, is part of the name)
reward, return         the heads of ``r(s_t, a_t)`` and ``R(\tau)``
objective              ``J(\theta)`` or ``J(\pi_\theta)``
first index, horizon   the limits of sums and products over t: ``\sum_{t=1}^{T}``,
                       ``\prod_{t=0}^{H}``; failing those, the initial state's index
trajectory space       ``\int … d\tau`` (continuous) or ``\sum_\tau`` (discrete)
sample count           ``\sum_{i=1}^{m}``
=====================  =================================================================

Displays decide; inline maths is used only for a choice no display decides.  Two
different answers from the displays (``T`` here, ``H`` there) are an error that names
both, with their lines; a choice that no formula decides but one needs (``\sum_t``
without limits, and no limits anywhere) is an error naming the candidates.  A choice
nothing needs takes pgproof's default.  The front matter overrides all of this, and
``notation = "cs285"`` (``"spinning_up"``, ``"hugging_face"``, ``"seed_001"``) starts from
a known write-up's notation.  Sutton & Barto's state-distribution form (``\mu(s)``,
``q_\pi(s, a)``) is recognised and refused with an explanation: pgproof reads
trajectory derivations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError

from pgproof.latex.errors import LatexError
from pgproof.latex.parser import _parser
from pgproof.latex.prescan import prescan
from pgproof.latex.tree import end_of, single_factor, start_of
from pgproof.symbolic.names import canonical
from pgproof.symbolic.notation import Notation

from .source import Located

__all__ = ["PRESETS", "Evidence", "collect", "decide", "sutton_barto"]

#: known write-ups' notations, by the name a front matter may give (``notation = "…"``)
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "cs285": (
        "CS285 (seed 000)",
        dict(density="p", density_style="subscript", initial="p", dynamics="p",
             first_index=1, horizon="T", return_="r", objective_style="theta"),
    ),
    "spinning_up": (
        "Spinning Up",
        dict(density="P", density_style="given_policy", initial=r"\rho", dynamics="P",
             first_index=0, horizon="T", return_="R", objective_style="policy"),
    ),
    "hugging_face": (
        "the Hugging Face course (seed 002)",
        dict(density="P", density_style="semicolon", initial=r"\mu", dynamics="P",
             first_index=0, horizon="H", return_="R", trajectory_space="discrete"),
    ),
    "seed_001": (
        "seed 001",
        dict(density="P", density_style="given_policy", initial="corr", dynamics="P",
             first_index=1, horizon="T", return_="R", objective_style="policy"),
    ),
}  # fmt: skip

_STYLE = {
    "subscript": "subscript",
    "subscript_policy": "subscript",
    "given_policy": "given_policy",
    "given_theta": "given_policy",
    "semicolon": "semicolon",
}
_SUTTON_BARTO = re.compile(
    r"(?<![A-Za-z\\])[qv]_\s*\{?\s*\\pi\s*\}?\s*(?:\\left)?\s*\(|\\mu\s*(?:\\left)?\s*\(\s*s\s*(?:\\right)?\s*\)"
)


def squash(src: str) -> str:
    """A formula's text without presentation, for comparing shapes: fonts, sizes, colours
    and spacing dropped, ``\\mid`` as ``|``, single-token braces removed."""
    s = re.sub(
        r"\\(left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])", "", src
    )
    s = re.sub(r"\\(mathbf|boldsymbol|bm|mathrm|mathit|mathsf)\s*\{\s*([^{}]*?)\s*\}", r"\2", s)
    s = re.sub(r"\\(mid|vert)(?![A-Za-z])", "|", s)
    s = re.sub(r"\\(color|textcolor)\s*\{[^{}]*\}", "", s)
    s = re.sub(r"\\(displaystyle|limits|nolimits|quad|qquad)(?![A-Za-z])|\\[,;:! ]", " ", s)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r" (?![A-Za-z])|(?<![A-Za-z]) ", "", s)
    previous = None
    while previous != s:
        previous = s
        s = re.sub(r"\{([A-Za-z0-9]|\\[A-Za-z]+)\}", r"\1", s)
    return s.strip()


@dataclass
class Evidence:
    """Votes for each choice: value → offsets where it was seen (displays, then inline)."""

    votes: dict[str, dict[Any, list[int]]] = field(default_factory=dict)
    inline: dict[str, dict[Any, list[int]]] = field(default_factory=dict)
    #: offsets of sums or products over t written without limits
    unlimited: list[int] = field(default_factory=list)
    #: initial-distribution heads written with a fixed subscript (ρ₀): head → subscript
    fixed_subscripts: dict[str, str] = field(default_factory=dict)

    def vote(self, choice: str, value: Any, offset: int, inline: bool) -> None:
        table = self.inline if inline else self.votes
        table.setdefault(choice, {}).setdefault(value, []).append(offset)

    def of(self, choice: str) -> dict[Any, list[int]]:
        return self.votes.get(choice) or self.inline.get(choice) or {}


# --------------------------------------------------------------------------- reading shapes


class _Shapes:
    """Walks one formula's parse tree and votes."""

    def __init__(self, text: Located, evidence: Evidence, inline: bool, names: dict[str, str]):
        self.src = text.text
        self.located = text
        self.evidence = evidence
        self.inline = inline
        self.tau = names["trajectory"]
        self.theta = names["parameter"]
        self.time = names["time_index"]

    def vote(self, choice: str, value: Any, node: Tree | Token) -> None:
        self.evidence.vote(choice, value, self.located.at(start_of(node)), self.inline)

    def text(self, node: Tree | Token) -> str:
        return squash(self.src[start_of(node) : end_of(node)])

    @staticmethod
    def spelled(name: Tree) -> str:
        tokens = [c for c in name.children if isinstance(c, Token)]
        if tokens and tokens[0].type in ("FONT", "ACCENT") and len(tokens) >= 2:
            word = next((t.value for t in tokens[1:] if t.type in ("WORD", "GREEK")), "")
            return f"{tokens[0].value}{{{word}}}"
        return tokens[0].value if tokens else ""

    def scripts(self, node: Tree | None) -> tuple[str | None, str | None, Tree | None]:
        """(subscript, superscript, subscript node) as squashed text, braces removed."""
        sub = sup = None
        sub_node = None
        if node is None:
            return None, None, None
        for script in node.children:
            mark, arg = script.children[0], script.children[1]
            value = self.text(arg)
            if value.startswith("{") and value.endswith("}"):
                value = value[1:-1]
            if mark.type == "SUB":
                sub, sub_node = value, arg
            else:
                sup = value
        return sub, sup, sub_node

    def named(self, factor: Tree | None) -> tuple[str, str | None] | None:
        """(spelled name, time subscript) of a part that is one named factor."""
        if factor is None or factor.data != "named":
            return None
        name = factor.children[0]
        scripts = factor.children[1] if len(factor.children) > 1 else None
        sub, _, _ = self.scripts(scripts)
        return self.spelled(name), sub

    def walk(self, tree: Tree) -> None:
        stack: list[Tree] = [tree]
        while stack:
            node = stack.pop()
            if node.data == "applied":
                self.applied(node)
            elif node.data == "bigop":
                self.bigop(node)
            elif node.data == "integral":
                self.vote("trajectory_space", "continuous", node)
            stack.extend(c for c in node.children if isinstance(c, Tree))

    def is_traj(self, arg: str) -> bool:
        return (
            arg == self.tau
            or re.fullmatch(re.escape(self.tau) + r"\^\{?\(\w\)\}?", arg) is not None
        )

    def is_policy_ref(self, arg: str) -> bool:
        return re.fullmatch(r"\\pi(_(" + re.escape(self.theta) + r"))?", arg) is not None

    def applied(self, node: Tree) -> None:
        kids = [c for c in node.children if isinstance(c, Tree)]
        name = kids[0]
        scripts = kids[1] if len(kids) > 2 and kids[1].data == "scripts" else None
        args = next(k for k in kids if k.data == "args")
        head = self.spelled(name)
        sub, _, _ = self.scripts(scripts)
        arglist = next((c for c in args.children if isinstance(c, Tree)), None)
        if arglist is None:
            return
        parts = [c for c in arglist.children if isinstance(c, Tree) and c.data == "sum"]
        seps = [c.children[0].type for c in arglist.children if isinstance(c, Tree)
                and c.data == "sep"]  # fmt: skip
        texts = [self.text(p) for p in parts]
        factors = [self.named(single_factor(p)) for p in parts]
        if head in ("E", r"\mathbb{E}", r"\mathbb E"):
            return
        first_traj = bool(texts) and self.is_traj(texts[0])
        if first_traj and len(parts) == 1 and sub is not None:
            if sub == self.theta:
                self.vote("density", (head, "subscript"), node)
            elif self.is_policy_ref(sub):
                self.vote("density", (head, "subscript_policy"), node)
            return
        if first_traj and len(parts) == 2 and sub is None:
            if seps == ["BAR"] and self.is_policy_ref(texts[1]) and texts[1] != r"\pi":
                self.vote("density", (head, "given_policy"), node)
            elif seps == ["BAR"] and texts[1] == self.theta:
                self.vote("density", (head, "given_theta"), node)
            elif seps == ["SEMI"] and texts[1] == self.theta:
                self.vote("density", (head, "semicolon"), node)
            return
        if first_traj and len(parts) == 1 and sub is None:
            self.vote("return_", head, node)
            return
        if len(parts) == 2 and seps == ["BAR"] and all(factors):
            action, state = factors
            if action[1] is not None and state[1] is not None:
                self.vote("policy", head, node)
                self.vote("action", action[0], node)
                self.vote("state", state[0], node)
            return
        if len(parts) == 3 and seps == ["BAR", "COMMA"] and all(factors):
            nxt, state, action = factors
            if nxt[1] and re.fullmatch(re.escape(self.time) + r"\+1", nxt[1]):
                self.vote("dynamics", head, node)
                self.vote("state", state[0], node)
                self.vote("action", action[0], node)
            return
        if len(parts) == 2 and seps == ["COMMA"] and all(factors):
            state, action = factors
            if state[1] is not None and action[1] is not None:
                self.vote("reward", head, node)
                self.vote("state", state[0], node)
                self.vote("action", action[0], node)
            return
        if len(parts) == 1 and factors[0] is not None:
            spelled, time = factors[0]
            if time is not None and re.fullmatch(r"[01]", time):
                key = canonical(head)
                if sub is not None and re.fullmatch(r"[0-9]", sub):
                    self.evidence.fixed_subscripts[key] = sub
                self.vote("initial", head, node)
                self.vote("initial_time", int(time), node)
                self.vote("state", spelled, node)
                return
        if len(parts) == 1 and sub is None:
            if texts[0] == self.theta:
                self.vote("objective", head, node)
                self.vote("objective_style", "theta", node)
            elif self.is_policy_ref(texts[0]) and texts[0] != r"\pi":
                self.vote("objective", head, node)
                self.vote("objective_style", "policy", node)

    def bigop(self, node: Tree) -> None:
        scripts = next((c for c in node.children if isinstance(c, Tree)), None)
        sub, sup, sub_node = self.scripts(scripts)
        if sub is None:
            return
        m = re.fullmatch(r"([A-Za-z]'*)=(.+)", sub)
        if m is None:
            if sub == self.tau:
                self.vote("trajectory_space", "discrete", node)
            elif sub.rstrip("'") == self.time and sup is None:
                self.evidence.unlimited.append(self.located.at(start_of(node)))
            return
        index, lower = m.group(1), m.group(2)
        if index.rstrip("'") == self.time:
            if sup is not None:
                letter = re.match(r"[A-Za-z]", sup)
                if letter is not None:
                    self.vote("horizon", letter.group(), node)
            if lower in ("0", "1"):
                self.vote("first_index", int(lower), node)
        elif lower == "1" and sup is not None and re.fullmatch(r"[A-Za-z]", sup):
            self.vote("sample_index", index, node)
            self.vote("sample_count", sup, node)


def collect(
    displays: Iterable[Located], inline: Iterable[Located], names: dict[str, str]
) -> Evidence:
    """Evidence from the formulas of the step displays, then from inline maths."""
    evidence = Evidence()
    names = {k: canonical(v) if k != "time_index" else v for k, v in names.items()}
    for located, is_inline in [(d, False) for d in displays] + [(i, True) for i in inline]:
        text = located.text
        if not text.strip():
            continue
        try:
            prescan(text)
            tree = _parser().parse(text)
        except (LatexError, LarkError, RecursionError):
            continue
        _Shapes(located, evidence, is_inline, names).walk(tree)
    return evidence


def sutton_barto(located: Located) -> int | None:
    """The offset of Sutton & Barto's q_π(…), v_π(…) or μ(s), if the formula writes one."""
    m = _SUTTON_BARTO.search(located.text)
    return None if m is None else located.at(m.start())


# --------------------------------------------------------------------------- deciding


@dataclass
class Decision:
    #: keyword arguments of Notation (field names)
    fields: dict[str, Any]
    #: (message, offset) for each choice that is contradictory or undecided but needed
    errors: list[tuple[str, int]]
    #: how the notation was read, in words (for the report)
    description: str
    #: initial-distribution heads written with a fixed subscript, e.g. {"\\rho": "0"}
    fixed_subscripts: dict[str, str]


_SAY = {
    "horizon": 'horizon = "T"',
    "first_index": "first_index = 1",
    "dynamics": 'dynamics = "p"',
    "initial": 'initial = "p"',
    "reward": 'reward = "r"',
    "return_": 'return = "R"',
    "objective": 'objective = "J"',
    "trajectory_space": 'trajectory_space = "continuous"',
    "sample_count": 'sample_count = "m"',
    "sample_index": 'sample_index = "i"',
    "policy": r"policy = '\pi'",
}
_WHAT = {
    "horizon": "the horizon",
    "first_index": "where t starts",
    "dynamics": "the dynamics",
    "initial": "the initial distribution",
    "reward": "the reward",
    "return_": "the return",
    "objective": "the objective",
    "trajectory_space": "whether τ is continuous (∫) or discrete (Σ_τ)",
    "sample_count": "the sample count",
    "sample_index": "the sample index",
    "policy": "the policy",
}


def _shown(choice: str, value: Any) -> str:
    if choice == "trajectory_space":
        return "∫ (continuous)" if value == "continuous" else "Σ_τ (discrete)"
    if choice == "first_index":
        return f"t from {value}"
    return str(value)


def decide(evidence: Evidence, given: dict[str, Any], line_of: Any) -> Decision:
    """The notation's fields: what ``given`` (front matter) says, else the evidence."""
    fields: dict[str, Any] = {}
    errors: list[tuple[str, int]] = []
    preset = given.get("notation")
    # a preset is the author's word, as much as a key of the front matter
    explicit = dict(PRESETS[preset][1]) if preset is not None else {}
    explicit.update({k: v for k, v in given.items() if k != "notation"})

    def single(choice: str) -> Any:
        votes = evidence.of(choice)
        if len(votes) <= 1:
            return next(iter(votes), None)
        ordered = sorted(votes.items(), key=lambda item: min(item[1]))
        where = ", ".join(
            f"{_shown(choice, v)} (line {line_of(min(offsets))})" for v, offsets in ordered
        )
        first = min(min(o) for o in votes.values())
        errors.append(
            (
                f"the document writes {_WHAT[choice]} in two ways: {where} (a typo?); say which "
                f"in the front matter ({_SAY[choice]}, …)",
                first,
            )
        )
        return None

    for choice in ("dynamics", "initial", "reward", "return_", "objective", "horizon",
                   "trajectory_space", "sample_count", "sample_index", "policy"):  # fmt: skip
        if choice not in explicit and (value := single(choice)) is not None:
            fields[choice] = value
    # first index: the limits decide; the initial state's index if there are none
    if "first_index" not in explicit:
        value = single("first_index")
        if value is None and not evidence.of("first_index"):
            times = evidence.of("initial_time")
            value = next(iter(times)) if len(times) == 1 else None
        if value is not None:
            fields["first_index"] = value
    if evidence.unlimited:
        for choice, candidates in (
            ("first_index", "t = 1..T as in CS285 and seed 001, or t = 0..T as in Spinning Up "
                            "(t = 0..H in the Hugging Face course)"),
            ("horizon", "T (CS285, Spinning Up, seed 001) or H (the Hugging Face course)"),
        ):  # fmt: skip
            if choice not in fields and choice not in explicit and not evidence.of(choice):
                errors.append(
                    (
                        f"\\sum_t without limits needs to know {_WHAT[choice]}, and no "
                        "formula says it: "
                        f"{candidates}? Say it in the front matter ({_SAY[choice]}, …)",
                        evidence.unlimited[0],
                    )
                )
    # density: the head written most often; the others are its aliases
    density = evidence.of("density")
    if density and "density" not in explicit:
        heads: dict[str, list[int]] = {}
        styles: dict[tuple[str, str], int] = {}
        for (head, style), offsets in density.items():
            heads.setdefault(head, []).extend(offsets)
            styles[(head, _STYLE[style])] = styles.get((head, _STYLE[style]), 0) + len(offsets)
        order = sorted(heads, key=lambda h: (-len(heads[h]), min(heads[h])))
        primary = order[0]
        fields["density"] = primary
        if "density_style" not in explicit:
            mine = {s: n for (h, s), n in styles.items() if h == primary}
            fields["density_style"] = max(mine, key=lambda s: mine[s])
        aliases = [h for h in order[1:] if canonical(h) != canonical(primary)]
        if aliases and "density_aliases" not in explicit:
            fields["density_aliases"] = tuple(sorted(aliases, key=lambda h: min(heads[h])))
    for choice in ("objective_style", "state", "action"):
        votes = evidence.of(choice)
        if votes and choice not in explicit:
            fields[choice] = max(votes, key=lambda v: (len(votes[v]), -min(votes[v])))
    initial = canonical(str(explicit.get("initial", fields.get("initial", ""))))
    fixed = {h: sub for h, sub in evidence.fixed_subscripts.items() if h == initial}
    if "initial" in fields and fixed:
        fields["initial"] = initial
    fields.update(explicit)
    return Decision(fields, errors, _describe(fields, preset), fixed)


def shown_name(name: str) -> str:
    """A notation name as text: ``\\mu`` → ``μ``, ``\\mathbf{s}`` → ``s``."""
    import unicodedata

    key = canonical(name)
    if key.startswith("\\") and key[1:].isalpha():
        case = "CAPITAL" if key[1].isupper() else "SMALL"
        try:
            return unicodedata.lookup(f"GREEK {case} LETTER {key[1:].upper()}")
        except KeyError:
            return key[1:]
    return key.replace("\\", "")


def _describe(fields: dict[str, Any], preset: str | None) -> str:
    try:
        n = Notation(**{k: v for k, v in fields.items() if k in _FIELDS})
    except (TypeError, ValueError):
        return "notation read from the document"
    theta = "θ"
    head = shown_name(n.density)
    density = {
        "subscript": f"{head}_{theta}(τ)",
        "given_policy": f"{head}(τ|π_{theta})",
        "semicolon": f"{head}(τ;{theta})",
    }[n.density_style]
    first = n.first_index
    parts = [
        f"density {density}",
        f"initial {shown_name(n.initial)}(s_{first})",
        f"dynamics {shown_name(n.dynamics)}(s_{{t+1}}|s_t,a_t)",
        f"t = {first}..{n.horizon}",
        "τ continuous (∫)" if n.trajectory_space == "continuous" else "τ discrete (Σ_τ)",
        f"return {shown_name(n.return_)}(τ)",
    ]
    if n.density_aliases:
        parts.insert(1, "also " + ", ".join(shown_name(a) for a in n.density_aliases))
    words = ", ".join(parts)
    if preset is not None:
        return f"{PRESETS[preset][0]}'s notation (front matter): {words}"
    best = max(
        PRESETS.values(),
        key=lambda p: sum(getattr(n, k) == v for k, v in p[1].items()),
    )
    matching = sum(getattr(n, k) == v for k, v in best[1].items())
    like = f" — as in {best[0]}" if matching == len(best[1]) else ""
    return f"notation read from the document: {words}{like}"


_FIELDS = {f for f in Notation.__dataclass_fields__}
