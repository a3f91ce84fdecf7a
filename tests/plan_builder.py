"""Hand-built plans for executor tests (independent of validation).

``build(t, spec)``: ``spec`` items are a field name (scalar, or object with the type's
defaults), ``(name, [subspec])`` for an object, or ``(name, ConnectionArgs, parts)`` for a
connection where ``parts`` is a list of ``("page_info", [names])`` / ``("edges", [items])``
and edge items are ``"cursor"`` or ``("node", [subspec])``. Prefix ``alias:`` to a name
for an output key different from the field name.
"""

from __future__ import annotations

from typing import Any

from graphfields.compiler.walk import how_read
from graphfields.plan import (
    ConnectionPlan,
    EdgesPlan,
    FieldPlan,
    ObjectPlan,
    PageInfoPlan,
    Plan,
    ScalarPlan,
    SelectionPlan,
    Shape,
)
from graphfields.schema import ConnectionArgs, ObjectType, ResolvedField, Schema


def _fields(t: ObjectType) -> Any:
    """The fields of ``t`` in the fixtures' schema that holds it."""
    import exec_fixtures

    for schema in vars(exec_fixtures).values():
        if isinstance(schema, Schema) and schema.types.get(t.name) is t:
            return schema.fields_of(t)
    own = _own.get(id(t))
    if own is None:
        own = _own[id(t)] = Schema([t])  # a type of a test's own, with what it refers to
    return own.fields_of(t)


_own: dict[int, Schema] = {}


def _node(cls: Any, key: str, rf: ResolvedField, *rest: Any) -> Any:
    how, fn = how_read(rf, False)
    return cls(key, rf, *rest, how=how, fn=fn)


def _split(name: str) -> tuple[str, str]:
    key, _, real = name.rpartition(":")
    return (key or real), real


def selection(t: ObjectType, spec: list[Any], args: list[Any] | None = None) -> SelectionPlan:
    args = [] if args is None else args
    out: list[FieldPlan] = []
    for item in spec:
        if isinstance(item, str):
            key, name = _split(item)
            rf = _fields(t)[name]
            if rf.kind == "scalar":
                out.append(_node(ScalarPlan, key, rf))
            else:
                assert rf.object_type is not None
                out.append(_node(ObjectPlan, key, rf, selection(
                    rf.object_type, list(rf.object_type.defaults), args)))
        elif len(item) == 2:
            key, name = _split(item[0])
            rf = _fields(t)[name]
            assert rf.object_type is not None
            out.append(_node(ObjectPlan, key, rf, selection(rf.object_type, item[1], args)))
        else:
            key, name = _split(item[0])
            cargs: ConnectionArgs = item[1]
            slot = len(args)
            args.append(cargs)
            rf = _fields(t)[name]
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
                        node = selection(node_t, e[1], args)
                parts.append(EdgesPlan(pkey, tuple(items), node))
            conn = rf.connection
            assert conn is not None
            how, fn = how_read(rf, True)
            filtered = conn.timestamp_field is not None and (
                cargs.since is not None or cargs.until is not None)
            first_only = (cargs.first is not None and cargs.last is None
                          and cargs.after is None and cargs.before is None and not cargs.offset)
            timestamp = _fields(node_t)[conn.timestamp_field] if conn.timestamp_field else None
            out.append(ConnectionPlan(key, rf, tuple(parts), slot, how, fn, filtered, timestamp,
                                      "first" if first_only else "general"))
    return SelectionPlan(t, tuple(out))


def build(t: ObjectType, spec: list[Any]) -> Plan:
    args: list[Any] = []
    sel = selection(t, spec, args)
    return Plan(Shape(t, sel, None, 0), tuple(args))


def run_generated(plan: Plan, data: Any, *, context: Any = None) -> Any:
    """Execute ``plan`` with its generated code (whatever its shape's run count): the
    executor runs a shape's first requests with the interpreter."""
    from graphfields import execution
    from graphfields.execution import codegen
    from graphfields.execution.runtime import no_root

    if data is None:
        raise no_root()
    shape = plan.shape
    if shape.runner is None:
        shape.runs = execution.HOT_AFTER
        return execution.execute(plan, data, context=context)
    return codegen.build(shape)[0](data, context, plan.args)
