"""Text -> AST with Lark's LALR(1) parser, the AST built by callbacks while parsing.

grammar/fields.lark is the only definition of the syntax. Three things keep parsing fast
(measured: ``make bench``):

* the grammar's terminals are coarse: a whole run of names (``a,b,c``), a ``{`` or ``,`` with
  the run after it, a whole leaf selection (``{id,name}``) and a whole simple call
  (``.first(3)``) are one token each, so Lark does its per-token work a few dozen times per
  request, not hundreds;
* the AST is built by the rule callbacks as Lark reduces (``transformer=`` with LALR): no tree,
  no second walk, no recursion on deep input;
* a small contextual lexer (:class:`_Lexer`) plugged into Lark through its custom-lexer hook. It
  matches exactly the grammar's terminals, chosen per parser state from Lark's parse table like
  Lark's own contextual lexer, but keeps its bookkeeping to a minimum and enforces the nesting
  and field-count limits as it goes, before anything deep or big is built.

The LALR tables ship ready-made (``_lalr_cache.pickle``), so the first parse costs a few
milliseconds instead of Lark's ~20 ms grammar analysis. Every failure becomes
:class:`FieldsSyntaxError` or :class:`LimitExceededError`; Lark's exceptions never escape.
``parse`` caches its results by input string.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer, Token

from graphfields._source import Span, line_col
from graphfields.ast import (
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
    Value,
)
from graphfields.errors import FieldsSyntaxError, LimitExceededError

__all__ = ["DEFAULT_PARSE_LIMITS", "MAX_SAFE_DEPTH", "ParseLimits", "parse", "terminal_regex"]

#: Deeper trees than this make equality, hashing and ``repr`` of the frozen AST recurse
#: too far for Python's default recursion limit (measured ~130 levels); keep well below it.
MAX_SAFE_DEPTH = 64


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds on what ``parse`` accepts; exceeding one raises :class:`LimitExceededError`.

    ``max_depth`` counts nested selections (``a{b{c}}`` has depth 2) and may not exceed
    :data:`MAX_SAFE_DEPTH`, so that everything done later with the tree stays safe.
    ``max_fields`` counts every field name, at any depth.
    """

    max_length: int = 100_000
    max_depth: int = 32
    max_fields: int = 10_000

    def __post_init__(self) -> None:
        for name in ("max_length", "max_depth", "max_fields"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ParseLimits.{name} must be a positive integer, not {value!r}")
        if self.max_depth > MAX_SAFE_DEPTH:
            raise ValueError(f"ParseLimits.max_depth must be at most {MAX_SAFE_DEPTH}")


DEFAULT_PARSE_LIMITS = ParseLimits()

# Strings longer than this are parsed without caching, so the cache stays small.
_CACHE_TEXT_MAX = 10_000


def parse(text: str, *, limits: ParseLimits | None = None, cache: bool = True) -> Selection:
    """Parse a field selection such as ``id,media.first(3){id}`` (a leading ``fields=`` is ok).

    Raises :class:`FieldsSyntaxError` for bad syntax and :class:`LimitExceededError` when
    ``limits`` (default :data:`DEFAULT_PARSE_LIMITS`) are exceeded. Results are cached by input
    string (the AST is immutable); ``cache=False`` parses afresh.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, not {type(text).__name__}")
    if limits is not None and not isinstance(limits, ParseLimits):
        raise TypeError(f"parse() needs limits=ParseLimits(...), not {type(limits).__name__}")
    if cache and len(text) <= _CACHE_TEXT_MAX:
        if limits is None or limits is DEFAULT_PARSE_LIMITS:
            return _parse_default_cached(text)
        return _parse_cached(text, limits)
    return _parse(text, DEFAULT_PARSE_LIMITS if limits is None else limits)


@functools.lru_cache(maxsize=2048)
def _parse_default_cached(text: str) -> Selection:
    return _parse(text, DEFAULT_PARSE_LIMITS)


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str, limits: ParseLimits) -> Selection:
    return _parse(text, limits)


def _parse(text: str, limits: ParseLimits) -> Selection:
    if len(text) > limits.max_length:
        raise LimitExceededError(
            f"The fields string is longer than {limits.max_length} characters",
            text, limits.max_length, "max_length",
        )
    try:
        result: Selection = _lark().parse(_Request(text, limits))  # type: ignore[assignment]
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except _CallbackError as exc:
        raise FieldsSyntaxError(exc.message, text, exc.position, exc.expected) from None
    except lark.exceptions.LarkError:  # pragma: no cover - defensive: Lark never leaks
        raise FieldsSyntaxError("Invalid fields string", text, 0) from None
    return result


# --------------------------------------------------------------------------- grammar


def _grammar_text() -> str:
    """The grammar, from the installed package (wheel) or from the source checkout."""
    packaged = resources.files("graphfields").joinpath("grammar/fields.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "fields.lark").read_text(
        encoding="utf-8"
    )


# Lark's LALR analysis of the grammar takes ~20 ms; the tables are shipped ready-made next to
# this module, keyed by the grammar's text and the Lark version, and rebuilt from the grammar
# whenever the key does not match. Regenerate after editing the grammar: ``make parser-cache``.
_CACHE = Path(__file__).with_name("_lalr_cache.pickle")


def _cache_key(grammar: str) -> bytes:
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()
    return f"{digest} lark-{lark.__version__}".encode("ascii")


def _build(grammar: str) -> lark.Lark:
    return lark.Lark(
        grammar,
        parser="lalr",
        lexer=_Lexer,
        transformer=_Builder(),
        maybe_placeholders=False,
    )


def _load_cached(grammar: str) -> lark.Lark | None:
    try:
        with _CACHE.open("rb") as f:
            if f.readline().rstrip(b"\n") != _cache_key(grammar):
                return None
            return lark.Lark.load(f)
    except Exception:  # missing, unreadable or from another Lark: build instead
        return None


def write_parser_cache() -> Path:
    """Write the ready-made parser tables for the current grammar and Lark version."""
    grammar = _grammar_text()
    with _CACHE.open("wb") as f:
        f.write(_cache_key(grammar) + b"\n")
        _build(grammar).save(f)
    return _CACHE


@functools.cache
def _lark() -> lark.Lark:
    grammar = _grammar_text()
    parser = _load_cached(grammar) or _build(grammar)
    # Lark keeps rule names as its Token (a str subclass with a Python __eq__), and looks
    # them up in a dict on every reduction; plain strings compare in C.
    for rule in parser.rules:
        rule.origin.name = str(rule.origin.name)
    return parser


def terminal_regex(name: str) -> str:
    """The regular expression of one of the grammar's terminals (used by the printer)."""
    regex: str = _lark().get_terminal(name).pattern.to_regexp()
    return regex


# --------------------------------------------------------------------------- lexer


class _Request:
    """What ``Lark.parse`` hands to the lexer: the text and the limits to enforce."""

    __slots__ = ("limits", "text")

    def __init__(self, text: str, limits: ParseLimits) -> None:
        self.text = text
        self.limits = limits


# Terminals holding a run of names: names beyond the run's commas, and whether the token
# opens a nested selection (1), or opens and closes one (2).
_RUNS = {"NAMES": (1, 0), "MORE_NAMES": (0, 0), "OPEN_BRACE": (1, 1), "OPEN_ANGLE": (1, 1),
         "LEAF_BRACE": (1, 2), "LEAF_ANGLE": (1, 2)}
_CLOSERS = frozenset({"CLOSE_BRACE", "CLOSE_ANGLE"})
_str_new = str.__new__


class _Lexer(Lexer):
    """Lark's contextual lexing, lean: per parser state, one regex of the acceptable terminals.

    Terminal order follows Lark's own (priority, then longest possible match). Tokens carry
    ``line`` and ``column`` (needed for spans); the limits are checked per token.
    """

    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        self._terminals = list(conf.terminals)
        self._ignore = frozenset(conf.ignore)
        self._flags = conf.g_regex_flags
        self._matchers: dict[int, Any] = {}
        self._by_terminals: dict[frozenset[str], Any] = {}

    def _matcher(self, parser_state: Any) -> Any:
        position = parser_state.position
        accepted = frozenset(parser_state.parse_conf.states[position]) | self._ignore
        match = self._by_terminals.get(accepted)
        if match is None:
            terminals = [t for t in self._terminals if t.name in accepted]
            terminals.sort(key=lambda t: (-t.priority, -t.pattern.max_width,
                                          -len(t.pattern.value), t.name))
            pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
            match = self._by_terminals[accepted] = re.compile(pattern, self._flags).match
        self._matchers[position] = match
        return match

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        request: _Request = lexer_state.text
        text = request.text
        limits = request.limits
        max_depth = limits.max_depth
        max_fields = limits.max_fields
        matchers = self._matchers
        ignore = self._ignore
        runs = _RUNS
        closers = _CLOSERS
        new = _str_new
        end = len(text)
        pos = 0
        line = 1
        line_start = 0
        depth = 0
        fields = 0
        states = parser_state.state_stack  # Lark updates this list in place
        while pos < end:
            match = matchers.get(states[-1]) or self._matcher(parser_state)
            m = match(text, pos)
            if m is None:
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, state=parser_state,
                    allowed=set(parser_state.parse_conf.states[parser_state.position]),
                )
            kind = m.lastgroup
            value = m.group()
            stop = m.end()
            if kind not in ignore:
                run = runs.get(kind)
                if run is not None:
                    fields += value.count(",") + run[0]
                    if fields > max_fields:
                        _too_many_fields(text, pos, value, fields - max_fields, max_fields)
                    if run[1]:
                        if depth >= max_depth:
                            raise LimitExceededError(
                                f"Selections are nested more than {max_depth} deep",
                                text, pos, "max_depth",
                            )
                        if run[1] == 1:
                            depth += 1
                elif kind in closers:
                    depth -= 1
                tok = new(Token, value)
                tok.type = kind
                tok.value = value
                tok.start_pos = pos
                tok.line = line
                tok.column = pos - line_start + 1
                tok.end_line = None
                tok.end_column = None
                tok.end_pos = stop
                yield tok
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            pos = stop


def _too_many_fields(text: str, pos: int, run: str, over: int, max_fields: int) -> None:
    """Raise for the first name of ``run`` beyond the limit (``over`` names are too many)."""
    starts = [m.start() for m in _NAME_RE.finditer(run)]
    raise LimitExceededError(
        f"More than {max_fields} fields are selected", text, pos + starts[-over], "max_fields"
    )


# --------------------------------------------------------------------------- AST building
#
# The AST classes are frozen dataclasses; their generated __init__ sets each field through
# object.__setattr__, which dominates parse time when every field builds two objects. These
# builders fill the same slots in a plain class and then become the real class (same slot
# layout, so CPython allows the switch); the result is indistinguishable from one built by
# the normal constructor (tests compare them).


class _FieldBuilder:
    __slots__ = ("alias", "calls", "name", "selection", "span")

    def __init__(self, name: str, calls: tuple[Call, ...], selection: Selection | None,
                 alias: str | None, span: Span) -> None:
        self.name = name
        self.calls = calls
        self.selection = selection
        self.alias = alias
        self.span = span
        self.__class__ = Field  # type: ignore[assignment]


class _SpanBuilder:
    __slots__ = ("column", "end", "line", "start")

    def __init__(self, start: int, end: int, line: int, column: int) -> None:
        self.start = start
        self.end = end
        self.line = line
        self.column = column
        self.__class__ = Span  # type: ignore[assignment]


class _SelectionBuilder:
    __slots__ = ("fields", "span")

    def __init__(self, fields: tuple[Field, ...], span: Span) -> None:
        self.fields = fields
        self.span = span
        self.__class__ = Selection  # type: ignore[assignment]


class _CallBuilder:
    __slots__ = ("args", "name", "span")

    def __init__(self, name: str, args: tuple[Value, ...], span: Span) -> None:
        self.name = name
        self.args = args
        self.span = span
        self.__class__ = Call  # type: ignore[assignment]


class _IntBuilder:
    __slots__ = ("span", "value")

    def __init__(self, value: int, span: Span) -> None:
        self.value = value
        self.span = span
        self.__class__ = IntValue  # type: ignore[assignment]


class _StringBuilder:
    __slots__ = ("quoted", "span", "value")

    def __init__(self, value: str, quoted: bool, span: Span) -> None:
        self.value = value
        self.quoted = quoted
        self.span = span
        self.__class__ = StringValue  # type: ignore[assignment]


def _checked(builder: Any, cls: type, *probe: Any) -> Any:
    """The builder if this interpreter allows the class switch, else the class itself."""
    try:
        ok = type(builder(*probe)) is cls and builder(*probe) == cls(*probe)
    except TypeError:  # pragma: no cover
        ok = False
    return builder if ok else cls  # pragma: no branch


_NO = Span(0, 0, 1, 1)
_S: Callable[[int, int, int, int], Span] = _checked(_SpanBuilder, Span, 0, 0, 1, 1)
_F: Callable[[str, tuple[Call, ...], Selection | None, str | None, Span], Field] = _checked(
    _FieldBuilder, Field, "a", (), None, None, _NO)
_SEL: Callable[[tuple[Field, ...], Span], Selection] = _checked(
    _SelectionBuilder, Selection, (), _NO)
_CALL: Callable[[str, tuple[Value, ...], Span], Call] = _checked(_CallBuilder, Call, "a", (), _NO)
_INT: Callable[[int, Span], IntValue] = _checked(_IntBuilder, IntValue, 1, _NO)
_STR: Callable[[str, bool, Span], StringValue] = _checked(_StringBuilder, StringValue, "a", True,
                                                          _NO)

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"[ \t\n\r\f\v]").search
_WORDS_RE = re.compile(r"[^, \t\n\r\f\v]+")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


class _CallbackError(Exception):
    """A syntax error found while building (e.g. ``.as()`` misuse); gets the text later."""

    def __init__(self, message: str, position: int, expected: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.expected = tuple(expected)


# How much of a run token is punctuation: (characters before the names, after them).
_FRAME = {"NAMES": (0, 0), "MORE_NAMES": (1, 0), "OPEN_BRACE": (1, 0), "OPEN_ANGLE": (1, 0),
          "LEAF_BRACE": (1, 1), "LEAF_ANGLE": (1, 1)}


def _split_run(tok: Any, out: list[Any], keep_last: bool) -> tuple[str, int, int, int]:
    """Append a Field for each name of a run token; the last one is returned unbuilt
    (name, start, line, column) when ``keep_last``, since calls or a selection follow it."""
    value: str = tok.value
    skip, trim = _FRAME[tok.type]
    parts = (value[skip:len(value) - trim] if skip else value).split(",")
    start: int = tok.start_pos + skip  # where the current part starts
    line: int = tok.line
    line_start: int = tok.start_pos - tok.column + 1
    last = parts.pop() if keep_last else None
    append = out.append
    field = _F
    span = _S
    for part in parts:
        # A part is a name with, rarely, whitespace around it (the regex allows nothing
        # else), so isidentifier() means "no whitespace".
        if part.isidentifier():
            append(field(part, (), None, None,
                         span(start, start + len(part), line, start - line_start + 1)))
        else:
            name = part.strip(_WS)
            lead = part.index(name[0])
            begin = start + lead
            if "\n" in part:
                newlines = part.count("\n", 0, lead)
                if newlines:
                    line += newlines
                    line_start = start + part.rindex("\n", 0, lead) + 1
                append(field(name, (), None, None,
                             span(begin, begin + len(name), line, begin - line_start + 1)))
                newlines = part.count("\n", lead)
                if newlines:
                    line += newlines
                    line_start = start + part.rindex("\n") + 1
            else:
                append(field(name, (), None, None,
                             span(begin, begin + len(name), line, begin - line_start + 1)))
        start += len(part) + 1
    if last is None:
        return "", 0, 0, 0
    if last.isidentifier():
        return last, start, line, start - line_start + 1
    name = last.strip(_WS)
    lead = last.index(name[0])
    newlines = last.count("\n", 0, lead)
    if newlines:
        line += newlines
        line_start = start + last.rindex("\n", 0, lead) + 1
    return name, start + lead, line, start + lead - line_start + 1


def _field(name: str, start: int, line: int, column: int,
           calls: list[Call] | None, selection: Selection | None) -> Field:
    """The field a run's last name becomes once its calls and selection are known."""
    alias = None
    if calls:
        end = calls[-1].span.end
        kept = calls
        for call in calls:
            if call.name == "as":
                alias = _alias_of(name, call, alias)
                kept = [c for c in calls if c.name != "as"]
        call_tuple = tuple(kept)
    else:
        end = start + len(name)
        call_tuple = ()
    if selection is not None:
        end = selection.span.end
    return _F(name, call_tuple, selection, alias, _S(start, end, line, column))


def _alias_of(field: str, call: Call, previous: str | None) -> str:
    if previous is not None:
        raise _CallbackError(f"`.as()` is used twice on `{field}`", call.span.start)
    if not call.args:
        raise _CallbackError("`.as()` needs one argument: the alias name", call.span.start,
                             ["an alias name"])
    if len(call.args) > 1:
        raise _CallbackError("`.as()` takes one argument, the alias name",
                             call.args[1].span.start)
    arg = call.args[0]
    if not isinstance(arg, StringValue) or not _NAME_RE.fullmatch(arg.value):
        raise _CallbackError(
            f"Invalid alias `{_shown(arg)}`: an alias is a name like `my_field`",
            arg.span.start, ["an alias name"],
        )
    return arg.value


def _shown(value: Value) -> str:
    if isinstance(value, StringValue):
        return value.value if not value.quoted else json.dumps(value.value)
    if isinstance(value, BoolValue):
        return "true" if value.value else "false"
    if isinstance(value, NullValue):
        return "null"
    return str(value.value)


def _word(word: str, start: int, line: int, column: int) -> Value:
    """A bare-word argument: an integer, ``true``/``false``/``null``, or a string."""
    span = _S(start, start + len(word), line, column)
    if word.isascii() and (word.isdigit() or (word[0] == "-" and word[1:].isdigit())):
        try:
            return _INT(int(word), span)
        except ValueError:
            raise _CallbackError(f"Integer argument too long ({len(word)} digits)",
                                 start) from None
    if word in _LITERALS:
        literal = _LITERALS[word]
        return NullValue(span) if literal is None else BoolValue(literal, span)
    return _STR(word, False, span)


def _position(tok: Any, offset: int) -> tuple[int, int]:
    """Line and column of ``offset`` characters into a token."""
    value: str = tok.value
    newlines = value.count("\n", 0, offset)
    if not newlines:
        return tok.line, tok.column + offset
    return tok.line + newlines, offset - value.rindex("\n", 0, offset)


class _Builder(lark.Transformer[Token, Any]):
    """The grammar's callbacks. Lark calls them as it reduces (and, for terminals with a
    method, as it shifts), so the AST is complete when parsing ends.

    A selection under construction is a list: its head token, then its Fields.
    """

    # -- selections
    def start(self, c: list[Any]) -> Selection:
        items: list[Any] = c[-1]
        fields = tuple(items[1:])
        return _SEL(fields, _S(fields[0].span.start, fields[-1].span.end,
                               fields[0].span.line, fields[0].span.column))

    def sub(self, c: list[Any]) -> Selection:
        if len(c) == 1:  # a leaf: `{a,b}` in one token
            leaf: Any = c[0]
            fields: list[Any] = []
            _split_run(leaf, fields, False)
            return _SEL(tuple(fields), _S(leaf.start_pos, leaf.end_pos, leaf.line, leaf.column))
        items: list[Any] = c[0]
        head: Any = items[0]
        del items[0]
        return _SEL(tuple(items), _S(head.start_pos, c[1].end_pos, head.line, head.column))

    def first(self, c: list[Any]) -> list[Any]:
        out = [c[0]]
        _split_run(c[0], out, False)
        return out

    def first_calls(self, c: list[Any]) -> list[Any]:
        out = [c[0]]
        out.append(_field(*_split_run(c[0], out, True), c[1], None))
        return out

    def first_sub(self, c: list[Any]) -> list[Any]:
        out = [c[0]]
        name, start, line, column = _split_run(c[0], out, True)
        sub: Selection = c[1]
        out.append(_F(name, (), sub, None, _S(start, sub.span.end, line, column)))
        return out

    def first_calls_sub(self, c: list[Any]) -> list[Any]:
        out = [c[0]]
        out.append(_field(*_split_run(c[0], out, True), c[1], c[2]))
        return out

    def more(self, c: list[Any]) -> list[Any]:
        out: list[Any] = c[0]
        _split_run(c[1], out, False)
        return out

    def more_calls(self, c: list[Any]) -> list[Any]:
        out: list[Any] = c[0]
        out.append(_field(*_split_run(c[1], out, True), c[2], None))
        return out

    def more_sub(self, c: list[Any]) -> list[Any]:
        out: list[Any] = c[0]
        name, start, line, column = _split_run(c[1], out, True)
        sub: Selection = c[2]
        out.append(_F(name, (), sub, None, _S(start, sub.span.end, line, column)))
        return out

    def more_calls_sub(self, c: list[Any]) -> list[Any]:
        out: list[Any] = c[0]
        out.append(_field(*_split_run(c[1], out, True), c[2], c[3]))
        return out

    # -- calls
    def calls(self, c: list[Any]) -> list[Call]:
        if len(c) == 1:
            return c
        out: list[Call] = c[0]
        out.append(c[1])
        return out

    def CALL(self, tok: Any) -> Call:
        """A whole simple call, ``.name(word, ...)``: split it into name and arguments."""
        value: str = tok.value
        start: int = tok.start_pos
        paren = value.index("(")
        name = value[1:paren]
        inner = value[paren + 1:-1]
        if name.isidentifier() and (not inner or inner.isalnum()):  # `.first(3)`, `.x()`
            args: tuple[Value, ...] = (
                (_word(inner, start + paren + 1, tok.line, tok.column + paren + 1),)
                if inner else ())
        elif _SPACE(value) is None:
            offset = paren + 1
            column: int = tok.column + offset
            words = []
            for word in inner.split(","):
                words.append(_word(word, start + offset, tok.line, column))
                offset += len(word) + 1
                column += len(word) + 1
            args = tuple(words)
        else:
            name = name.strip(_WS)
            args = tuple(_word(m.group(), start + paren + 1 + m.start(),
                               *_position(tok, paren + 1 + m.start()))
                         for m in _WORDS_RE.finditer(inner))
        return _CALL(name, args, _S(start, tok.end_pos, tok.line, tok.column))

    def call(self, c: list[Any]) -> Call:
        dot: Any = c[0]
        args: tuple[Value, ...] = tuple(c[3]) if len(c) == 5 else ()
        return _CALL(str(c[1]), args, _S(dot.start_pos, c[-1].end_pos,
                                         dot.line, dot.column))

    def args(self, c: list[Any]) -> list[Value]:
        if len(c) == 1:
            return c
        out: list[Value] = c[0]
        out.append(c[2])
        return out

    def value(self, c: list[Value]) -> Value:
        return c[0]

    # -- argument terminals (converted as they are shifted)
    def STRING(self, tok: Any) -> StringValue:
        text: str = tok.value
        inner = text[1:-1]
        if "\\" in inner:
            inner = json.loads(text, strict=False)
        return _STR(inner, True, _S(tok.start_pos, tok.end_pos, tok.line, tok.column))

    def SQSTRING(self, tok: Any) -> StringValue:
        return _STR(tok.value[1:-1], True, _S(tok.start_pos, tok.end_pos, tok.line, tok.column))

    def BARE(self, tok: Any) -> Value:
        return _word(tok.value, tok.start_pos, tok.line, tok.column)

    def FLOAT(self, tok: Any) -> Value:
        raise _CallbackError(
            f"Float argument `{tok.value}`: arguments are integers, strings, true, false or null",
            tok.start_pos, ["an integer", "a string"],
        )


# --------------------------------------------------------------------------- errors

_WS = " \t\n\r\f\v"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_CLOSER = {"{": "}", "<": ">"}
_OPENER = {"}": "{", ">": "<"}
_IN_WORDS = [
    ("NAMES", "a field name"),
    ("NAME", "a call name"),
    ("STRING", "an argument"),
    ("SQSTRING", "an argument"),
    ("BARE", "an argument"),
    ("FLOAT", "an argument"),
    ("MORE_NAMES", "`,`"),
    ("COMMA", "`,`"),
    ("CALL", "`.`"),
    ("DOT", "`.`"),
    ("LPAR", "`(`"),
    ("RPAR", "`)`"),
    ("OPEN_BRACE", "`{`"),
    ("LEAF_BRACE", "`{`"),
    ("OPEN_ANGLE", "`<`"),
    ("LEAF_ANGLE", "`<`"),
    ("CLOSE_BRACE", "`}`"),
    ("CLOSE_ANGLE", "`>`"),
    ("$END", "the end of the input"),
]
_ESCAPES = frozenset('"\\/bfnrt')
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_CALL_NAME = re.compile(r"\.[ \t\n\r\f\v]*([A-Za-z_][A-Za-z0-9_]*)")


def _words(accepts: set[str]) -> tuple[str, ...]:
    out: list[str] = []
    for terminal, words in _IN_WORDS:
        if terminal in accepts and words not in out:
            out.append(words)
    return tuple(out)


def _join(words: Sequence[str]) -> str:
    if not words:
        return "nothing more"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe(text: str, at: int) -> str:
    """How an error message names what it found at ``at``."""
    if at >= len(text):
        return "the end of the input"
    ch = text[at]
    if ch in _NAME_CHARS:
        end = at
        while end < len(text) and text[end] in _NAME_CHARS and end - at < 40:
            end += 1
        return f"`{text[at:end]}`"
    if ch.isprintable() and ch not in "`":
        return f"`{ch}`"
    return f"character U+{ord(ch):04X}"


def _next(text: str, i: int) -> int:
    """Index of the first non-space character at or after ``i`` (``len(text)`` if none)."""
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _previous(text: str, i: int) -> int:
    """Index of the last non-space character before ``i`` (-1 if none)."""
    i -= 1
    while i >= 0 and text[i] in _WS:
        i -= 1
    return i


def _open_brackets(stack: Sequence[Any]) -> list[tuple[str, int]]:
    """The brackets still open when parsing stopped, outermost first: (char, position)."""
    out: list[tuple[str, int]] = []
    for item in stack:
        tok = item[0] if isinstance(item, list) and item else item
        if isinstance(tok, Token) and tok.type in ("OPEN_BRACE", "OPEN_ANGLE", "LPAR"):
            out.append((tok.value[0], tok.start_pos or 0))
    return out


def _syntax_error(text: str, exc: UnexpectedInput) -> FieldsSyntaxError:
    if isinstance(exc, UnexpectedToken):
        at = len(text) if exc.token.type == "$END" else exc.token.start_pos
        accepts = set(exc.expected)
    else:
        at = getattr(exc, "pos_in_stream", None) or 0
        accepts = set(getattr(exc, "allowed", None) or ())
    stack: Sequence[Any] = ()
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        with contextlib.suppress(Exception):  # keep Lark's own expected set
            accepts = set(interactive.accepts())
        stack = interactive.parser_state.value_stack
    last = stack[-1] if stack else None
    call_name = str(last) if isinstance(last, Token) and last.type == "NAME" else ""
    message, at, expected = _diagnose(text, at, accepts, _open_brackets(stack), call_name)
    return FieldsSyntaxError(message, text, at, expected)


def _diagnose(text: str, at: int, accepts: set[str], brackets: list[tuple[str, int]],
              call_name: str) -> tuple[str, int, tuple[str, ...]]:
    """Turn "parsing stopped at ``at`` expecting ``accepts``" into a helpful message.

    ``brackets`` are the brackets still open; ``call_name`` the call name just read, if any.
    """
    n = len(text)
    c = text[at] if at < n else ""
    name_words = ("a field name",)
    innermost = brackets[-1] if brackets else None
    in_args = bool(accepts & {"STRING", "SQSTRING", "BARE"})

    if c == "":
        if innermost is not None and innermost[0] == "(":
            return "Unclosed `(`: expected `)` before the end of the input", innermost[1], ("`)`",)
        if "NAME" in accepts:
            return "Expected a call name after `.`", at, ("a call name",)
        if "LPAR" in accepts:
            return f"Expected `(` after `.{call_name}`", at, ("`(`",)
        if innermost is not None:
            closer = _CLOSER[innermost[0]]
            return (f"Unclosed `{innermost[0]}`: expected `{closer}` before the end of the input",
                    innermost[1], (f"`{closer}`",))
        if "NAMES" in accepts:
            return "Empty selection: expected a field name", at, name_words

    if c == "," and not in_args:
        if "MORE_NAMES" in accepts:
            after = _next(text, at + 1)
            if after == n or text[after] in "}>":
                return "Trailing comma: expected a field name after `,`", at, name_words
            return _bad_name(text, after, "`,`")
        if "NAMES" in accepts:
            return "Empty field name: expected a field name before `,`", at, name_words

    if c in "{<" and c and not in_args:
        if ("OPEN_BRACE" if c == "{" else "OPEN_ANGLE") in accepts:
            after = _next(text, at + 1)
            if after == n:
                return f"Unclosed `{c}`: expected a field name", at, name_words
            if text[after] in "}>":
                return (f"Empty nested selection: expected a field name inside `{c}{_CLOSER[c]}`",
                        after, name_words)
            return _bad_name(text, after, f"`{c}`")
        if "NAMES" in accepts:
            return f"Expected a field name, found `{c}`", at, name_words

    if c == "." and not in_args and "NAME" not in accepts:
        before = _previous(text, at)
        if before >= 0 and text[before] in "}>":
            m = _CALL_NAME.match(text, at)
            call = f"`.{m.group(1)}()`" if m else "`.`"
            opener = _OPENER[text[before]]
            return (f"Call {call} after a nested selection: calls must come before `{opener}`",
                    at, _words(accepts))

    if c in "\"'" and c and in_args:
        return _string_error(text, at, c)

    if in_args:
        if c in "}>" and innermost is not None and innermost[0] == "(":
            return (f"Unclosed `(`: expected `)` before `{c}`", innermost[1], ("`)`",))
        before = _previous(text, at)
        if c == ")" and before >= 0 and text[before] == ",":
            return "Trailing comma: expected an argument after `,`", before, ("an argument",)
        return f"Expected an argument, found {_describe(text, at)}", at, ("an argument",)

    if "NAME" in accepts:
        return f"Expected a call name after `.`, found {_describe(text, at)}", at, ("a call name",)
    if "LPAR" in accepts:
        return (f"Expected `(` after `.{call_name}`, found {_describe(text, at)}", at,
                ("`(`",))
    if "NAMES" in accepts:
        return _bad_name(text, at, None)

    if c in "}>" and c:
        opened = [b for b in brackets if b[0] in "{<"]
        if not opened:
            return f"Unmatched `{c}`: there is no `{_OPENER[c]}` to close", at, _words(accepts)
        kind, where = opened[-1]
        if kind != _OPENER[c]:
            line, column = line_col(text, where)
            closer = _CLOSER[kind]
            return (f"Mismatched `{c}`: expected `{closer}` to close the `{kind}` at "
                    f"{line}:{column}", at, (f"`{closer}`",))

    if c in _NAME_CHARS and c and "MORE_NAMES" in accepts:
        return f"Missing `,` before {_describe(text, at)}", at, ("`,`",)

    expected = _words(accepts)
    return f"Unexpected {_describe(text, at)}: expected {_join(expected)}", at, expected


def _bad_name(text: str, at: int, after: str | None) -> tuple[str, int, tuple[str, ...]]:
    """Where a field name should start at ``at`` but does not."""
    words = ("a field name",)
    where = f" after {after}" if after else ""
    c = text[at] if at < len(text) else ""
    if c == ",":
        between = f"between {after} and `,`" if after else "before `,`"
        return f"Empty field name: expected a field name {between}", at, words
    if c and c in _NAME_CHARS:  # a digit: names start with a letter or `_`
        return (f"Invalid field name {_describe(text, at)}: a field name starts with a letter "
                "or `_`", at, words)
    return f"Expected a field name{where}, found {_describe(text, at)}", at, words


def _string_error(text: str, at: int, quote: str) -> tuple[str, int, tuple[str, ...]]:
    """A quoted argument that does not lex: a bad escape, or no closing quote."""
    i = at + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            break
        if ch == "\\" and quote == '"':
            nxt = text[i + 1:i + 2]
            if nxt == "":
                break
            if nxt in _ESCAPES:
                i += 2
                continue
            if nxt == "u" and _HEX4.match(text, i + 2):
                i += 6
                continue
            shown = nxt if nxt.isprintable() else f"U+{ord(nxt):04X}"
            return (f"Invalid escape `\\{shown}` in a string: use \\\" \\\\ \\/ \\b \\f \\n \\r "
                    "\\t or \\uXXXX", i, ("an escape",))
        i += 1
    return f"Unclosed string: expected a closing `{quote}`", at, (f"`{quote}`",)

