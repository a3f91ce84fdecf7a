"""The typed, immutable syntax tree of a field selection.

Every node is a frozen, slotted, hashable dataclass. ``span`` records where the node
was written and takes no part in equality or hashing, so two parses of differently
spaced text compare equal.
"""

from __future__ import annotations

import re
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
