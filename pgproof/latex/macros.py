r"""An author's own macros, read and expanded by substitution only.

Write-ups define shorthand: ``\newcommand{\E}{\mathbb{E}}``,
``\newcommand{\underE}[2]{\underset{#1}{\mathbb{E}}\left[#2\right]}`` (Spinning Up),
``\DeclareMathOperator{\Var}{Var}``.  This module reads those definitions as *data* and
expands uses of them the way TeX would for such simple macros — by replacing the call and
its arguments with the body, ``#1``..``#9`` substituted — and nothing else:

* definitions read: ``\newcommand``, ``\renewcommand``, ``\providecommand`` (with or
  without ``*``; ``[n]`` parameters and an optional ``[default]`` for the first),
  ``\DeclareMathOperator`` (``*`` too; the body becomes ``\mathrm{…}`` for a plain word),
  and ``\def\name#1#2{…}`` with undelimited parameters only;
* nothing is executed: no ``\catcode``, no ``\expandafter``, no ``\csname``; a body is a
  string, and what an expansion produces is read later by the formula grammar, which
  refuses every command it does not know;
* expansion is bounded: at most :data:`MAX_DEPTH` nested expansions (a macro that uses
  itself is refused), :data:`MAX_EXPANSIONS` expansions and :data:`MAX_OUTPUT` characters
  per text, counted while the text is built, also inside one substitution (a "macro
  bomb" that doubles at each level, or one body that repeats a long argument 999 times,
  is refused after a few thousand characters, in milliseconds);
* a document defines at most :data:`MAX_MACROS` macros in :data:`MAX_DEFINITIONS`
  definitions (redefinitions count): past either, :class:`MacroLimit`, which ends the
  reading of the document (a reader goes on after any other :class:`MacroError`).

Every character of an expansion keeps a *position*: characters that come from the text
keep theirs, characters of a body take the position of the call.  Errors carry the
position of the call that failed, so the document reader reports ``file:line:column``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

__all__ = [
    "MAX_DEPTH",
    "MAX_DEFINITIONS",
    "MAX_EXPANSIONS",
    "MAX_OUTPUT",
    "Definition",
    "Groups",
    "Macro",
    "MacroError",
    "MacroLimit",
    "MacroTable",
    "expand",
    "find_definitions",
]

#: deepest nesting of expansions (a macro whose body uses a macro … uses a macro)
MAX_DEPTH = 32
#: most expansions in one text
MAX_EXPANSIONS = 5_000
#: longest text an expansion may produce (the formula reader's own limit is 20,000)
MAX_OUTPUT = 20_000
#: most macros one document may define
MAX_MACROS = 500
#: most definitions one document may make (\renewcommand of a macro counts each time)
MAX_DEFINITIONS = 2_000
#: longest macro body
MAX_BODY = 2_000

_CONTROL = re.compile(r"\\([A-Za-z]+|[^A-Za-z])", re.DOTALL)
_DEFINERS = re.compile(
    r"\\(newcommand|renewcommand|providecommand|DeclareMathOperator|def)(?![A-Za-z])(\*?)"
)
_SPACE = re.compile(r"\s*")
_PLAIN_WORD = re.compile(r"[A-Za-z]+")


class MacroError(ValueError):
    """A definition or an expansion pgproof refuses; ``pos`` is a position of the text."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class MacroLimit(MacroError):
    """A limit of the whole document (:data:`MAX_MACROS`, :data:`MAX_DEFINITIONS`): the
    reader stops there, rather than report each definition that follows."""


def _too_many_definitions(at: int) -> MacroLimit:
    return MacroLimit(
        f"more than {MAX_DEFINITIONS:,} macro definitions (the limit): pgproof reads at most "
        f"{MAX_DEFINITIONS:,} from one document",
        at,
    )


@dataclass(frozen=True)
class Macro:
    """``\\name`` with ``params`` parameters (the first optional when ``default`` is set)."""

    name: str
    params: int
    body: str
    default: str | None = None
    #: where it was defined (a position of the text it was read from)
    origin: int = 0


@dataclass(frozen=True)
class Definition:
    """A definition found in a text: the macro and the span ``[start, end)`` it occupies."""

    macro: Macro
    start: int
    end: int
    #: \providecommand does not replace an existing macro
    provide: bool = False


@dataclass
class MacroTable:
    """The macros defined so far, by name (without the backslash)."""

    macros: dict[str, Macro] = field(default_factory=dict)
    #: definitions read so far (redefinitions too)
    definitions: int = 0

    def define(self, definition: Definition) -> None:
        macro = definition.macro
        self.definitions += 1
        if self.definitions > MAX_DEFINITIONS:
            raise _too_many_definitions(definition.start)
        if definition.provide and macro.name in self.macros:
            return
        if macro.name not in self.macros and len(self.macros) >= MAX_MACROS:
            raise MacroLimit(
                f"more than {MAX_MACROS} macros are defined (the limit); pgproof reads at most "
                f"{MAX_MACROS}",
                definition.start,
            )
        self.macros[macro.name] = macro

    def __contains__(self, name: str) -> bool:
        return name in self.macros

    def __len__(self) -> int:
        return len(self.macros)


# --------------------------------------------------------------------------- reading


#: the characters group_end stops at, for each pair of brackets
_GROUP_STOPS = {
    ("{", "}"): re.compile(r"[\\{}]"),
    ("[", "]"): re.compile(r"[\\{}\[\]]"),
}


def group_end(text: str, pos: int, opening: str = "{", closing: str = "}") -> int:
    """The index just after the group that opens at ``pos`` (``\\{`` skipped; inside a
    ``[…]`` group, braces nest: ``[{]}]`` is one group), or -1 when it is never closed."""
    stops = _GROUP_STOPS.get((opening, closing)) or re.compile(
        "[" + re.escape("\\{}" + opening + closing) + "]"
    )
    depth = 0
    i = pos
    while (stop := stops.search(text, i)) is not None:
        i = stop.start()
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if opening != "{" and ch == "{":
            end = group_end(text, i)
            if end < 0:
                return -1
            i = end
            continue
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


class Groups:
    """:func:`group_end` for the ``{…}`` groups of one text, in logarithmic time each after
    one scan of the text (on first use): group_end scans to the end of the text for a group
    never closed, and a hostile display opens thousands of them."""

    _TOKEN = re.compile(r"\\.?|[{}]", re.DOTALL)

    def __init__(self, text: str) -> None:
        self.text = text
        #: offset of each brace that opens a group → the depth before it
        self._opening: dict[int, int] | None = None
        #: depth after a closing brace → the offsets of those braces, in order
        self._closing: dict[int, list[int]] = {}

    def end(self, pos: int) -> int:
        """``group_end(text, pos)`` for a ``{`` at ``pos``."""
        if self._opening is None:
            self._opening = {}
            depth = 0
            for token in self._TOKEN.finditer(self.text):
                if token.group() == "{":
                    self._opening[token.start()] = depth
                    depth += 1
                elif token.group() == "}":
                    depth -= 1
                    self._closing.setdefault(depth, []).append(token.start())
        depth = self._opening.get(pos)
        if depth is None:  # not a brace the scan from the start opens (an escaped one)
            return group_end(self.text, pos)
        # the group ends at the first brace after it that brings the depth back
        closing = self._closing.get(depth, [])
        k = bisect_right(closing, pos)
        return closing[k] + 1 if k < len(closing) else -1


def _bounded_end(text: str, pos: int, opening: str = "{", closing: str = "}") -> int:
    """group_end of a part of a definition (at most :data:`MAX_BODY` characters long, so
    looked for within that many: a thousand definitions never closed cost a thousand short
    scans); -2 when the group does not end within them, though the text goes on."""
    window = text[pos : pos + MAX_BODY + 2]
    end = group_end(window, 0, opening, closing)
    if end >= 0:
        return pos + end
    return -1 if pos + len(window) >= len(text) else -2


def _braced(text: str, pos: int, what: str, at: int) -> tuple[str, int]:
    """The content of the ``{…}`` at ``pos`` and the index after it."""
    if not text.startswith("{", pos):
        raise MacroError(f"{what} must be in braces {{…}}", at)
    end = _bounded_end(text, pos)
    if end == -1:
        raise MacroError(f"the braces of {what} are never closed", pos)
    if end < 0:
        raise MacroError(f"{what} is longer than {MAX_BODY:,} characters (the limit)", at)
    return text[pos + 1 : end - 1], end


def _name(text: str, pos: int, command: str, at: int) -> tuple[str, int]:
    """``\\name`` or ``{\\name}`` after a definer: the name and the index after it."""
    braced = text.startswith("{", pos)
    inner = _SPACE.match(text, pos + 1).end() if braced else pos
    match = _CONTROL.match(text, inner)
    if match is None:
        raise MacroError(f"\\{command} must be followed by the name of the macro, \\name", at)
    end = match.end()
    if braced:
        end = _SPACE.match(text, end).end()
        if not text.startswith("}", end):
            raise MacroError(f"\\{command}{{…}} must hold one macro name, \\name", at)
        end += 1
    return match.group(1), end


def _check_body(body: str, name: str, params: int, at: int) -> None:
    if len(body) > MAX_BODY:
        raise MacroError(
            f"the body of \\{name} is {len(body):,} characters long (at most {MAX_BODY:,})", at
        )
    i = body.find("#")
    while i >= 0:
        nxt = body[i + 1 : i + 2]
        if nxt == "#":
            i = body.find("#", i + 2)
            continue
        if not (nxt.isdigit() and 1 <= int(nxt) <= params):
            shown = f"#{nxt}" if nxt else "#"
            raise MacroError(
                f"the body of \\{name} uses {shown}, but \\{name} has {params} parameter(s)", at
            )
        i = body.find("#", i + 2)


def _newcommand(text: str, match: re.Match, command: str) -> Definition:
    at = match.start()
    pos = _SPACE.match(text, match.end()).end()
    name, pos = _name(text, pos, command, at)
    pos = _SPACE.match(text, pos).end()
    params, default = 0, None
    if text.startswith("[", pos):
        end = text.find("]", pos, pos + MAX_BODY)
        count = text[pos + 1 : end].strip() if end > 0 else ""
        if not (count.isdigit() and 0 <= int(count) <= 9):
            raise MacroError(f"\\{command}{{\\{name}}}[n]: n must be a number 0..9", pos)
        params = int(count)
        pos = _SPACE.match(text, end + 1).end()
        if text.startswith("[", pos):
            end = _bounded_end(text, pos, "[", "]")
            if end == -1:
                raise MacroError(f"the default argument of \\{name} is never closed", pos)
            if end < 0:
                raise MacroError(
                    f"the default argument of \\{name} is longer than {MAX_BODY:,} characters "
                    "(the limit)",
                    pos,
                )
            default = text[pos + 1 : end - 1]
            if params == 0:
                raise MacroError(f"\\{name} has a default argument but no parameter", pos)
            pos = _SPACE.match(text, end).end()
    body, end = _braced(text, pos, f"the body of \\{name}", at)
    _check_body(body, name, params, at)
    macro = Macro(name, params, body, default, at)
    return Definition(macro, match.start(), end, provide=command == "providecommand")


def _operator(text: str, match: re.Match) -> Definition:
    at = match.start()
    pos = _SPACE.match(text, match.end()).end()
    name, pos = _name(text, pos, "DeclareMathOperator", at)
    pos = _SPACE.match(text, pos).end()
    shown, end = _braced(text, pos, f"the operator name of \\{name}", at)
    shown = shown.strip()
    body = f"\\mathrm{{{shown}}}" if _PLAIN_WORD.fullmatch(shown) else shown
    _check_body(body, name, 0, at)
    return Definition(Macro(name, 0, body, None, at), match.start(), end)


def _def(text: str, match: re.Match) -> Definition:
    at = match.start()
    pos = _SPACE.match(text, match.end()).end()
    control = _CONTROL.match(text, pos)
    if control is None:
        raise MacroError("\\def must be followed by the name of the macro, \\name", at)
    name, pos = control.group(1), control.end()
    params = 0
    while text.startswith("#", pos):
        if text[pos + 1 : pos + 2] != str(params + 1):
            break
        params += 1
        pos += 2
    if not text.startswith("{", pos):
        raise MacroError(
            f"\\def\\{name}: pgproof reads only undelimited parameters #1#2…{{body}}; "
            f"write \\newcommand{{\\{name}}}[n]{{…}}",
            at,
        )
    body, end = _braced(text, pos, f"the body of \\{name}", at)
    _check_body(body, name, params, at)
    return Definition(Macro(name, params, body, None, at), match.start(), end)


def find_definitions(text: str) -> list[Definition | MacroError]:
    """Every macro definition in ``text``, in order; a malformed one is a :class:`MacroError`
    in the list (the reader reports it and goes on).  Past :data:`MAX_DEFINITIONS`
    definitions (malformed ones count), the last item is a :class:`MacroLimit`."""
    found: list[Definition | MacroError] = []
    pos = 0
    while (match := _DEFINERS.search(text, pos)) is not None:
        if len(found) >= MAX_DEFINITIONS:
            found.append(_too_many_definitions(match.start()))
            break
        if match.start() > 0 and text[match.start() - 1] == "\\":  # \\newcommand: a line break
            pos = match.end()
            continue
        command = match.group(1)
        try:
            if command == "DeclareMathOperator":
                definition = _operator(text, match)
            elif command == "def":
                definition = _def(text, match)
            else:
                definition = _newcommand(text, match, command)
        except MacroError as error:
            found.append(error)
            pos = match.end()
            continue
        found.append(definition)
        pos = definition.end
    return found


# --------------------------------------------------------------------------- expansion


def _too_long(limit: int, at: int) -> MacroError:
    return MacroError(
        f"the expansion of the macros here is longer than {limit:,} characters "
        "(a macro that expands to several copies of itself?)",
        at,
    )


class _Expansion:
    def __init__(self, table: MacroTable, limit: int) -> None:
        self.table = table
        self.limit = limit
        self.count = 0
        self.chars: list[str] = []
        self.pos: list[int] = []

    def emit(self, text: str, pos: list[int], start: int, end: int) -> None:
        if start >= end:
            return
        if self.chars and _glues(self.chars[-1], text[start]):
            self.chars.append(" ")  # \sim then "p…" must not become \simp
            self.pos.append(pos[start])
        self.chars.append(text[start:end])
        self.pos.extend(pos[start:end])
        if len(self.pos) > self.limit:
            raise _too_long(self.limit, pos[start] if start < len(pos) else (pos[-1] if pos else 0))

    def run(self, text: str, pos: list[int], depth: int) -> None:
        i = 0
        plain = 0  # start of the text not yet emitted
        n = len(text)
        while i < n:
            i = text.find("\\", i)
            if i < 0:
                break
            match = _CONTROL.match(text, i)
            if match is None:  # a backslash at the very end
                break
            name = match.group(1)
            macro = self.table.macros.get(name)
            if macro is None:
                i = match.end()
                continue
            self.emit(text, pos, plain, i)
            call = pos[i]
            if depth >= MAX_DEPTH:
                raise MacroError(
                    f"\\{name} expands more than {MAX_DEPTH} levels deep "
                    "(a macro that uses itself?)",
                    call,
                )
            self.count += 1
            if self.count > MAX_EXPANSIONS:
                raise MacroError(
                    f"more than {MAX_EXPANSIONS:,} macro expansions here "
                    "(a macro that expands to several copies of itself?)",
                    call,
                )
            args, after = _arguments(text, pos, match.end(), macro)
            body, body_pos = _substitute(macro, args, call, self.limit)
            self.run(body, body_pos, depth + 1)
            i = plain = after
        self.emit(text, pos, plain, n)


def _arguments(
    text: str, pos: list[int], start: int, macro: Macro
) -> tuple[list[tuple[str, list[int]]], int]:
    """The arguments of a call of ``macro`` whose name ends at ``start``."""
    args: list[tuple[str, list[int]]] = []
    i = start
    call = pos[start - 1] if start else 0
    for k in range(macro.params):
        j = _SPACE.match(text, i).end()
        if k == 0 and macro.default is not None:
            if text.startswith("[", j):
                end = group_end(text, j, "[", "]")
                if end < 0:
                    raise MacroError(
                        f"the optional argument of \\{macro.name} is never closed", call
                    )
                args.append((text[j + 1 : end - 1], pos[j + 1 : end - 1]))
                i = end
            else:
                args.append((macro.default, [call] * len(macro.default)))
            continue
        if j >= len(text):
            raise MacroError(
                f"\\{macro.name} takes {macro.params} argument(s); the formula ends after {k}",
                call,
            )
        if text[j] == "{":
            end = group_end(text, j)
            if end < 0:
                raise MacroError(f"an argument of \\{macro.name} is never closed", pos[j])
            args.append((text[j + 1 : end - 1], pos[j + 1 : end - 1]))
            i = end
        elif text[j] == "\\":
            control = _CONTROL.match(text, j)
            end = control.end() if control else j + 1
            args.append((text[j:end], pos[j:end]))
            i = end
        elif text[j] == "}":
            raise MacroError(
                f"\\{macro.name} takes {macro.params} argument(s); only {k} are given", call
            )
        else:
            args.append((text[j], pos[j : j + 1]))
            i = j + 1
    return args, i


_ENDS_IN_WORD = re.compile(r"(?<!\\)(?:\\\\)*\\[A-Za-z]+$")


def _glues(left: str, first: str) -> bool:
    """Whether ``left`` followed by a text starting with ``first`` would run a control word
    into letters (``\\sim`` + ``p`` is ``\\simp``): TeX keeps them apart, so must we."""
    return first.isalpha() and _ENDS_IN_WORD.search(left[-40:]) is not None


def _substitute(
    macro: Macro, args: list[tuple[str, list[int]]], call: int, limit: int = MAX_OUTPUT
) -> tuple[str, list[int]]:
    """The body of a call of ``macro`` with its arguments substituted; a MacroError before
    it grows past ``limit`` characters (checked before each piece is copied)."""
    body = macro.body
    chars: list[str] = []
    pos: list[int] = []

    def add(text: str, where: list[int]) -> None:
        if len(pos) + len(text) > limit:
            raise _too_long(limit, call)
        if text and chars and _glues(chars[-1], text[0]):
            chars.append(" ")
            pos.append(where[0])
        if text:
            chars.append(text)
            pos.extend(where)

    i = 0
    while i < len(body):
        j = body.find("#", i)
        if j < 0:
            j = len(body)
        add(body[i:j], [call] * (j - i))
        if j >= len(body):
            break
        nxt = body[j + 1 : j + 2]
        if nxt == "#":
            add("#", [call])
        else:
            arg, arg_pos = args[int(nxt) - 1]
            add(arg, arg_pos)
        i = j + 2
    return "".join(chars), pos


def expand(
    text: str, pos: list[int], table: MacroTable, limit: int = MAX_OUTPUT
) -> tuple[str, list[int]]:
    """``text`` (each character at ``pos``) with every macro of ``table`` expanded.

    Raises :class:`MacroError` (with the position of the offending call) when an expansion
    nests deeper than :data:`MAX_DEPTH`, makes more than :data:`MAX_EXPANSIONS` expansions or
    grows past ``limit`` characters, or when a call lacks its arguments.
    """
    if len(pos) != len(text):
        raise ValueError("one position per character")
    if not table.macros or "\\" not in text:
        return text, list(pos)
    run = _Expansion(table, limit)
    run.run(text, pos, 0)
    return "".join(run.chars), run.pos
