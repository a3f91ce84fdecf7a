"""The typed, immutable syntax tree of a field selection.

Every node is a frozen, slotted, hashable dataclass. ``span`` records where the node
was written and takes no part in equality or hashing, so two parses of differently
spaced text compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphfields._source import Span

__all__ = [
    "NAME",
    "NO_SPAN",
    "BoolValue",
    "Call",
    "Field",
    "IntValue",
    "NullValue",
    "Selection",
    "StringValue",
    "Value",
    "to_dict",
]

NO_SPAN = Span(0, 0, 1, 1)

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A field, alias or type name, as the grammar spells names: test with ``NAME.fullmatch``."""


@dataclass(frozen=True, slots=True)
class IntValue:
    """An integer argument: ``first(3)``, ``since(-1)``."""

    value: int
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string argument: quoted (``"c"``, ``'c'``) or a bare word (``reverse_chronological``).

    ``quoted`` remembers the spelling for the printer; it is not part of equality.
    """

    value: str
    quoted: bool = field(default=True, compare=False)
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class BoolValue:
    """``true`` or ``false``."""

    value: bool
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class NullValue:
    """``null``."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def value(self) -> None:
        return None


Value: TypeAlias = IntValue | StringValue | BoolValue | NullValue


@dataclass(frozen=True, slots=True)
class Call:
    """A call modifier ``.name(arg, ...)`` on a field."""

    name: str
    args: tuple[Value, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Field:
    """One selected field: ``name``, its calls in order, its ``.as()`` alias, its nested selection.

    The ``.as(x)`` modifier is not kept among ``calls``: it becomes ``alias``.
    """

    name: str
    calls: tuple[Call, ...] = ()
    selection: Selection | None = None
    alias: str | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The key this field has in the output: its alias, else its name."""
        return self.alias if self.alias is not None else self.name


@dataclass(frozen=True, slots=True)
class Selection:
    """A comma-separated list of fields (the whole request, or the inside of ``{}``)."""

    fields: tuple[Field, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


def to_dict(node: Selection | Field | Call | Value) -> Any:
    """A JSON-ready form of a node, for tooling (``graphfields ast``)."""
    span = node.span
    loc = {"start": span.start, "end": span.end, "line": span.line, "column": span.column}
    if isinstance(node, Selection):
        return {"kind": "selection", "fields": [to_dict(f) for f in node.fields], "span": loc}
    if isinstance(node, Field):
        out: dict[str, Any] = {"kind": "field", "name": node.name}
        if node.alias is not None:
            out["alias"] = node.alias
        out["calls"] = [to_dict(c) for c in node.calls]
        out["selection"] = None if node.selection is None else to_dict(node.selection)
        out["span"] = loc
        return out
    if isinstance(node, Call):
        return {"kind": "call", "name": node.name, "args": [to_dict(a) for a in node.args],
                "span": loc}
    kind = {IntValue: "int", StringValue: "string", BoolValue: "bool", NullValue: "null"}
    value: dict[str, Any] = {"kind": kind[type(node)], "value": node.value}
    if isinstance(node, StringValue):
        value["quoted"] = node.quoted
    value["span"] = loc
    return value


# --------------------------------------------------------------------------- fast constructors
#
# For the parser (graphfields/syntax/build.py). The AST classes are frozen dataclasses;
# their generated __init__ sets each field through object.__setattr__, which dominates parse
# time when every field builds two objects. These builders fill the same slots in a plain
# class and then become the real class (same slot layout, so CPython allows the switch); the
# result is indistinguishable from one built by the normal constructor (tests compare them).


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


class _NameBuilder:
    """A field that is just a name, with its span: two nodes in one call."""

    __slots__ = ("alias", "calls", "name", "selection", "span")

    def __init__(self, name: str, start: int, end: int, line: int, column: int) -> None:
        span = _new(_SpanBuilder)
        span.start = start
        span.end = end
        span.line = line
        span.column = column
        span.__class__ = Span  # type: ignore[assignment]
        self.name = name
        self.calls = ()
        self.selection = None
        self.alias = None
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


_new = object.__new__
new_span: Callable[[int, int, int, int], Span] = _checked(_SpanBuilder, Span, 0, 0, 1, 1)
new_field: Callable[[str, tuple[Call, ...], Selection | None, str | None, Span], Field] = (
    _checked(_FieldBuilder, Field, "a", (), None, None, NO_SPAN))


def _name_switch_works() -> bool:
    try:
        built: Any = _NameBuilder("a", 0, 1, 1, 1)
    except TypeError:  # pragma: no cover
        return False
    return (type(built) is Field and built == Field("a") and type(built.span) is Span
            and built.span == Span(0, 1, 1, 1))


def _plain_name(name: str, start: int, end: int, line: int, column: int) -> Field:
    return Field(name, span=Span(start, end, line, column))  # pragma: no cover


new_name: Callable[[str, int, int, int, int], Field] = (
    _NameBuilder if _name_switch_works() else _plain_name)  # type: ignore[assignment]
new_selection: Callable[[tuple[Field, ...], Span], Selection] = _checked(
    _SelectionBuilder, Selection, (), NO_SPAN)
new_call: Callable[[str, tuple[Value, ...], Span], Call] = _checked(
    _CallBuilder, Call, "a", (), NO_SPAN)
new_int: Callable[[int, Span], IntValue] = _checked(_IntBuilder, IntValue, 1, NO_SPAN)
new_string: Callable[[str, bool, Span], StringValue] = _checked(
    _StringBuilder, StringValue, "a", True, NO_SPAN)
