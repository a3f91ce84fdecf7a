"""The grammar's callbacks: the AST is built while Lark parses, no tree and no second walk.

Lark calls a rule's method as it reduces the rule (and a terminal's method as it shifts the
token), so the AST is complete when parsing ends. Rules and terminals are those of
``grammar/fields.lark``; a coarse terminal (``NAMES``, ``CALL``, ...) is split here into the
fields or arguments it stands for. Tokens are read only through ``type``, ``value``,
``start_pos``, ``line``, ``column`` and ``end_pos``; this module imports no Lark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from graphfields._source import Span
from graphfields.syntax.ast import (
    BoolValue,
    Call,
    Field,
    NullValue,
    Selection,
    StringValue,
    Value,
)
from graphfields.syntax.ast import new_call as _CALL
from graphfields.syntax.ast import new_field as _F
from graphfields.syntax.ast import new_int as _INT
from graphfields.syntax.ast import new_name as _NAME
from graphfields.syntax.ast import new_selection as _SEL
from graphfields.syntax.ast import new_span as _S
from graphfields.syntax.ast import new_string as _STR

__all__ = ["RUN_FRAMES", "BuildError", "Builder"]


class BuildError(Exception):
    """A syntax error found while building (e.g. ``.as()`` misuse); gets the text later."""

    def __init__(self, message: str, position: int, expected: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.expected = tuple(expected)


_WS = " \t\n\r\f\v"
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = re.compile(r"[ \t\n\r\f\v]").search
_WORDS_RE = re.compile(r"[^, \t\n\r\f\v]+")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}

# --------------------------------------------------------------------------- runs of names

#: The coarse terminals holding a run of names: (punctuation characters before the names,
#: after them), and the terminals that open a nested selection (kept for its span).
RUN_FRAMES: dict[str, tuple[int, int]] = {
    "NAMES": (0, 0), "MORE_NAMES": (1, 0), "OPEN_BRACE": (1, 0), "OPEN_ANGLE": (1, 0),
    "LEAF_BRACE": (1, 1), "LEAF_ANGLE": (1, 1),
}
_OPENING = frozenset({"OPEN_BRACE", "OPEN_ANGLE"})

_Last = tuple[str, int, int, int]  # a run's last name, unbuilt: name, start, line, column


def _run(tok: Any, out: list[Any], keep_last: bool) -> _Last:
    """Append a Field for each name of a run token (``a,b,c``, ``{a, b}``, ...). With
    ``keep_last`` the last name is returned unbuilt, since calls or a selection follow it."""
    value: str = tok.value
    skip, trim = RUN_FRAMES[tok.type]
    parts = (value[skip:len(value) - trim] if skip else value).split(",")
    start: int = tok.start_pos + skip  # where the current part starts
    line: int = tok.line
    base: int = tok.start_pos - tok.column  # the column of offset x on this line is x - base
    last = parts.pop() if keep_last else ""
    append = out.append
    name_field = _NAME
    for part in parts:
        # A part is a name, rarely with whitespace around it (the grammar allows nothing
        # else), so isidentifier() means "no whitespace".
        if part.isidentifier():
            end = start + len(part)
            append(name_field(part, start, end, line, start - base))
            start = end + 1
        else:
            name, begin, line, base, after = _spaced(part, start, line, base)
            append(name_field(name, begin, begin + len(name), line, begin - base))
            line, base = after
            start += len(part) + 1
    if not keep_last or last.isidentifier():
        return last, start, line, start - base
    name, begin, line, base, _ = _spaced(last, start, line, base)
    return name, begin, line, begin - base


def _spaced(part: str, start: int, line: int,
            base: int) -> tuple[str, int, int, int, tuple[int, int]]:
    """A name with whitespace around it, the part starting at ``start`` on ``line`` (``base``
    as in ``_run``): the name, where it starts, its line and base, and the line and base
    after the part."""
    name = part.strip(_WS)
    lead = part.index(name[0])
    newline = part.rfind("\n", 0, lead)
    if newline >= 0:
        line += part.count("\n", 0, lead)
        base = start + newline
    after = (line, base)
    newline = part.rfind("\n", lead)
    if newline >= 0:
        after = (line + part.count("\n", lead), start + newline)
    return name, start + lead, line, base, after


def _last_field(last: _Last, c: list[Any], i: int) -> Field:
    """The field a run's last name becomes with what follows it in ``c[i:]``: its calls,
    its nested selection, or both."""
    name, start, line, column = last
    if len(c) - i == 2:
        return _field(name, start, line, column, c[i], c[i + 1])
    if type(c[i]) is list:  # calls
        return _field(name, start, line, column, c[i], None)
    sub: Selection = c[i]
    return _F(name, (), sub, None, _S(start, sub.span.end, line, column))


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
        raise BuildError(f"`.as()` is used twice on `{field}`", call.span.start)
    if not call.args:
        raise BuildError("`.as()` needs one argument: the alias name", call.span.start,
                         ["an alias name"])
    if len(call.args) > 1:
        raise BuildError("`.as()` takes one argument, the alias name",
                         call.args[1].span.start)
    arg = call.args[0]
    if not isinstance(arg, StringValue) or not _NAME_RE.fullmatch(arg.value):
        raise BuildError(
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
            raise BuildError(f"Integer argument too long ({len(word)} digits)",
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


class Builder:
    """The callbacks, one method per rule (or alias) and per converted terminal.

    A selection under construction is a list of its Fields, led by its opening token when
    it is a nested one (whose span starts at the bracket).
    """

    # -- selections
    def start(self, c: list[Any]) -> Selection:
        fields = tuple(c[-1])
        first: Span = fields[0].span
        return _SEL(fields, _S(first.start, fields[-1].span.end, first.line, first.column))

    def nested(self, c: list[Any]) -> Selection:
        if len(c) == 1:  # a leaf: `{a,b}` in one token
            leaf: Any = c[0]
            fields: list[Any] = []
            _run(leaf, fields, False)
            return _SEL(tuple(fields), _S(leaf.start_pos, leaf.end_pos, leaf.line, leaf.column))
        items: list[Any] = c[0]
        head: Any = items[0]
        del items[0]
        return _SEL(tuple(items), _S(head.start_pos, c[1].end_pos, head.line, head.column))

    def first_run(self, c: list[Any]) -> list[Any]:
        tok: Any = c[0]
        out: list[Any] = [tok] if tok.type in _OPENING else []
        if len(c) == 1:
            _run(tok, out, False)
            return out
        out.append(_last_field(_run(tok, out, True), c, 1))
        return out

    def more_runs(self, c: list[Any]) -> list[Any]:
        out: list[Any] = c[0]
        if len(c) == 2:
            _run(c[1], out, False)
            return out
        out.append(_last_field(_run(c[1], out, True), c, 2))
        return out

    # -- calls
    def calls(self, c: list[Any]) -> list[Call]:
        if len(c) == 1:
            return c
        out: list[Call] = c[0]
        out.append(c[1])
        return out

    def call(self, c: list[Any]) -> Call:
        dot: Any = c[0]
        args: tuple[Value, ...] = tuple(c[3]) if len(c) == 5 else ()
        return _CALL(c[1].value, args, _S(dot.start_pos, c[-1].end_pos, dot.line, dot.column))

    def arguments(self, c: list[Any]) -> list[Value]:
        values: list[Value] = c[::2]  # value (COMMA value)*
        return values

    def value(self, c: list[Value]) -> Value:
        return c[0]

    # -- terminals converted as they are shifted
    def CALL(self, tok: Any) -> Call:
        """A whole call with bare-word arguments, ``.name(word, ...)``: split it."""
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
        raise BuildError(
            f"Float argument `{tok.value}`: arguments are integers, strings, true, false or null",
            tok.start_pos, ["an integer", "a string"],
        )
