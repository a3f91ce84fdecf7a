"""Hand-built plans for executor tests (independent of validation).

``build(t, spec)``: ``spec`` items are a field name (scalar, or object with the type's
defaults), ``(name, [subspec])`` for an object, or ``(name, ConnectionArgs, parts)`` for a
connection where ``parts`` is a list of ``("page_info", [names])`` / ``("edges", [items])``
and edge items are ``"cursor"`` or ``("node", [subspec])``. Prefix ``alias:`` to a name
for an output key different from the field name.
"""

from __future__ import annotations

from typing import Any

from graphfields.plan import (
    ConnectionPlan,
    EdgesPlan,
    FieldPlan,
    ObjectPlan,
    PageInfoPlan,
    Plan,
    ScalarPlan,
    SelectionPlan,
)
from graphfields.schema import ConnectionArgs, ObjectType


def _split(name: str) -> tuple[str, str]:
    key, _, real = name.rpartition(":")
    return (key or real), real


def selection(t: ObjectType, spec: list[Any]) -> SelectionPlan:
    out: list[FieldPlan] = []
    for item in spec:
        if isinstance(item, str):
            key, name = _split(item)
            rf = t.fields[name]
            if rf.kind == "scalar":
                out.append(ScalarPlan(key, rf))
            else:
                assert rf.object_type is not None
                out.append(
                    ObjectPlan(key, rf, selection(rf.object_type, list(rf.object_type.defaults)))
                )
        elif len(item) == 2:
            key, name = _split(item[0])
            rf = t.fields[name]
            assert rf.object_type is not None
            out.append(ObjectPlan(key, rf, selection(rf.object_type, item[1])))
        else:
            key, name = _split(item[0])
            args: ConnectionArgs = item[1]
            rf = t.fields[name]
            node_t = rf.object_type
            assert node_t is not None
            parts: list[PageInfoPlan | EdgesPlan] = []
            for part_name, sub in item[2]:
                pkey, pname = _split(part_name)
                if pname == "page_info":
                    parts.append(PageInfoPlan(pkey, tuple(_split(n) for n in sub)))
                    continue
                items: list[tuple[str, str]] = []
                node: SelectionPlan | None = None
                for e in sub:
                    if isinstance(e, str):
                        items.append(_split(e))
                    else:
                        items.append(_split(e[0]))
                        node = selection(node_t, e[1])
                parts.append(EdgesPlan(pkey, tuple(items), node))
            out.append(ConnectionPlan(key, rf, args, tuple(parts)))
    return SelectionPlan(t, tuple(out))


def build(t: ObjectType, spec: list[Any]) -> Plan:
    return Plan(t, selection(t, spec), text=repr(spec))
