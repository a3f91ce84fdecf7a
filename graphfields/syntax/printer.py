"""AST -> canonical text: ``parse(format(t)) == t`` for every tree ``parse`` can return.

The canonical form has no whitespace, writes nested selections with ``{}``, puts ``.as(alias)``
after a field's other calls, prints integers, ``true``/``false``/``null`` as such, and a string
bare only when it was written bare and reads back as the same string; otherwise as a
double-quoted JSON string. The printer walks the tree with an explicit stack, so depth is no
concern.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable

from graphfields.syntax.ast import (
    NAME,
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
    Value,
)
from graphfields.syntax.grammar import terminal_regex

__all__ = ["format", "format_fields"]

_INT = re.compile(r"-?[0-9]+\Z").match
_LITERALS = frozenset({"true", "false", "null"})

Node = Selection | Field | Call | Value


@functools.cache
def _bare_word() -> Callable[[str], re.Match[str] | None]:
    """The grammar's own BARE terminal, so the printer and the parser agree on bare words."""
    return re.compile(terminal_regex("BARE")).fullmatch


def format(node: Node) -> str:
    """The canonical text of a selection, field, call or argument value.

    Raises ``ValueError`` for a tree no text can express (an empty selection, a field or
    alias that is not a name).
    """
    out: list[str] = []
    stack: list[Node | str] = [node]
    pop = stack.pop
    push = stack.append
    while stack:
        item = pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Field):
            _check_name(item.name, "field name")
            out.append(item.name)
            for call in item.calls:
                if call.name == "as":
                    raise ValueError("An `.as()` call belongs in Field.alias, not Field.calls")
                out.append(_call(call))
            if item.alias is not None:
                _check_name(item.alias, "alias")
                out.append(f".as({item.alias})")
            if item.selection is not None:
                push("}")
                push(item.selection)
                push("{")
        elif isinstance(item, Selection):
            if not item.fields:
                raise ValueError("An empty selection has no text form")
            for i in range(len(item.fields) - 1, -1, -1):
                push(item.fields[i])
                if i:
                    push(",")
        elif isinstance(item, Call):
            out.append(_call(item))
        else:
            out.append(_value(item))
    return "".join(out)


format_fields = format


def _check_name(name: str, what: str) -> None:
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid {what}")


def _call(call: Call) -> str:
    _check_name(call.name, "call name")
    return f".{call.name}({','.join(_value(arg) for arg in call.args)})"


def _value(value: Value) -> str:
    if isinstance(value, StringValue):
        text = value.value
        if (not value.quoted and text not in _LITERALS and not _INT(text)
                and _bare_word()(text)):
            return text
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, BoolValue):
        return "true" if value.value else "false"
    if isinstance(value, NullValue):
        return "null"
    if isinstance(value, IntValue):
        return str(value.value)
    raise TypeError(f"Not an AST node: {value!r}")
