"""The walk of a connection field: its calls, ``page_info`` and ``edges{cursor,node}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphfields.calls import CONNECTION_CALLS, convert_call, show
from graphfields.compiler.bind import ConnSlot, connection_args, page_size
from graphfields.plan import ConnectionPlan, EdgesPlan, PageInfoPlan, SelectionPlan
from graphfields.schema import ConnectionArgs, ObjectType, ResolvedField
from graphfields.syntax.ast import Field

if TYPE_CHECKING:
    from graphfields.compiler.walk import Walk

__all__ = ["CONNECTION_FIELDS", "EDGE_FIELDS", "PAGE_INFO_FIELDS", "connection"]

PAGE_INFO_FIELDS = ("has_next_page", "has_previous_page", "start_cursor", "end_cursor")
_PAGE_INFO_TYPES = {"has_next_page": "Boolean", "has_previous_page": "Boolean",
                    "start_cursor": "String", "end_cursor": "String"}
CONNECTION_FIELDS = ("page_info", "edges")
EDGE_FIELDS = ("cursor", "node")
# What ``page_info`` and ``edges`` written without ``{...}`` stand for.
_IMPLICIT_PAGE_INFO = tuple(Field(n) for n in PAGE_INFO_FIELDS)
_IMPLICIT_EDGE = tuple(Field(n) for n in EDGE_FIELDS)
_FIRST_ONLY = frozenset(("first", "limit"))


def connection(walk: Walk, rf: ResolvedField, f: Field, mult: int, parent: int,
               at_root: bool) -> ConnectionPlan | None:
    from graphfields.compiler.walk import how_read, implicit

    conn = rf.connection
    node_type = rf.object_type
    assert conn is not None and node_type is not None
    slot, args = _calls(walk, rf, f, parent, at_root)
    # With bad arguments, still check the selection below, to report everything.
    inner_mult = mult * page_size(conn, args)
    walk.cost += inner_mult
    if walk.cost > walk.limits.max_nodes and walk.cost_position is None:
        walk.cost_position = f.span.start
    conn_type = f"{node_type.name}Connection"
    parts: list[PageInfoPlan | EdgesPlan] = []
    inner = f.selection.fields if f.selection is not None else implicit(rf)

    def implicit_part(g: Field) -> tuple[Field, ...]:
        if g.name == "page_info":
            return _IMPLICIT_PAGE_INFO
        if g.name == "edges":
            return _IMPLICIT_EDGE
        return ()

    node_fields = walk.schema.fields_of(node_type)
    for g in walk.merge(inner, implicit_part):
        if g.name not in CONNECTION_FIELDS:
            tail = ""
            if g.name in node_fields:
                tail = (f' Connections select page_info and edges{{node{{...}}}}: did you mean '
                        f'{f.name}{{edges{{node{{{g.name}}}}}}}?')
            walk.issues.unknown("Cannot query field", g.name, f'on type "{conn_type}"',
                                CONNECTION_FIELDS, g.span, tail)
            continue
        walk.no_calls(g)
        if g.name == "page_info":
            parts.append(_page_info(walk, g))
        else:
            parts.append(_edges(walk, g, node_type, inner_mult, slot, conn.always))
    if args is None or slot < 0:
        return None
    given = {c.name for c in f.calls}
    filtered = conn.timestamp_field is not None and (
        any(CONNECTION_CALLS[n].dated for n in given)
        or (at_root and walk.request_range is not None))
    timestamp = node_fields[conn.timestamp_field] if conn.timestamp_field else None
    how, fn = how_read(rf, True)
    window = "first" if given <= (_FIRST_ONLY | {n for n in given
                                                  if CONNECTION_CALLS[n].dated}) else "general"
    walk.nodes += 1
    return ConnectionPlan(f.key, rf, tuple(parts), slot, how, fn, filtered, timestamp, window)


def _calls(walk: Walk, rf: ResolvedField, f: Field, parent: int, at_root: bool,
           ) -> tuple[int, ConnectionArgs | None]:
    """Check the calls; the connection's slot and this request's arguments (``None`` when
    a call is wrong: every mistake reported)."""
    conn = rf.connection
    assert conn is not None
    allowed = [n for n, row in CONNECTION_CALLS.items()
               if conn.timestamp_field is not None or not row.dated]
    where = f'on field "{f.name}"'
    converted: list[tuple[str, Any, str]] = []
    calls: list[tuple[str, tuple[int, ...]]] = []
    seen: set[str] = set()
    ok = True
    last_date_pos: Any = f.span
    for call in f.calls:
        pos = walk.issues.call_pos(call)
        name = call.name
        if name in seen:
            walk.issues.add(f'Call "{name}" is repeated {where}.', pos)
            ok = False
            continue
        row = CONNECTION_CALLS.get(name)
        if row is None or name not in allowed:
            if row is not None:
                walk.issues.add(f'Call "{name}" is not available {where}: its nodes have no '
                                "timestamp field.", pos)
            else:
                walk.issues.unknown("Unknown call", name, where, allowed, pos)
            ok = False
            continue
        seen.add(name)
        value, problems = convert_call(row.param, call.args, name, where, conn.max_first)
        for message, i in problems:
            walk.issues.add(message, call.args[i].span if i >= 0 else pos)
        if problems:
            ok = False
            continue
        converted.append((name, value, show(call.args[0])))
        calls.append((name, walk.at(call)))
        if row.dated:
            last_date_pos = call.args[0].span
    if "first" in seen and "limit" in seen:
        walk.issues.add(f'Calls "first" and "limit" {where} both set the page size: '
                        "give one of them.", f.span)
        ok = False
    if not ok:
        return -1, None
    args, empty = connection_args(conn, converted, walk.request_range if at_root else None)
    if args is None:
        walk.issues.add(f'Invalid date range on field "{f.name}": {empty}.', last_date_pos)
        return -1, None
    walk.slots.append(ConnSlot(conn, where, tuple(calls), at_root, parent))
    return len(walk.slots) - 1, args


def _page_info(walk: Walk, g: Field) -> PageInfoPlan:
    sub = g.selection.fields if g.selection is not None else _IMPLICIT_PAGE_INFO
    items: list[tuple[str, str]] = []
    for h in walk.merge(sub, lambda _: ()):
        if h.name not in _PAGE_INFO_TYPES:
            walk.issues.unknown("Cannot query field", h.name, 'on type "PageInfo"',
                                PAGE_INFO_FIELDS, h.span)
            continue
        walk.no_calls(h)
        if not walk.leaf_with_selection(h, _PAGE_INFO_TYPES[h.name]):
            items.append((h.key, h.name))
    return PageInfoPlan(g.key, tuple(items))


def _edges(walk: Walk, g: Field, node_type: ObjectType, mult: int, slot: int,
           always: tuple[str, ...]) -> EdgesPlan:
    sub = g.selection.fields if g.selection is not None else _IMPLICIT_EDGE
    items: list[tuple[str, str]] = []
    node: SelectionPlan | None = None
    node_key: str | None = None
    edge_type = f"{node_type.name}Edge"

    def implicit_node(h: Field) -> tuple[Field, ...]:
        return tuple(Field(d) for d in node_type.defaults) if h.name == "node" else ()

    for h in walk.merge(sub, implicit_node):
        if h.name not in EDGE_FIELDS:
            walk.issues.unknown("Cannot query field", h.name, f'on type "{edge_type}"',
                                EDGE_FIELDS, h.span)
            continue
        walk.no_calls(h)
        if h.name == "cursor":
            if not walk.leaf_with_selection(h, "String"):
                items.append((h.key, "cursor"))
            continue
        if node_key is not None:
            walk.issues.add(
                f'Field "node" is selected twice in "{g.key}" (as "{node_key}" and '
                f'"{h.key}"); select it once.',
                h.span,
            )
            continue
        node_key = h.key
        fields = h.selection.fields if h.selection is not None else implicit_node(h)
        node = walk.object_selection(node_type, fields, mult, slot, always)
        items.append((h.key, "node"))
    return EdgesPlan(g.key, tuple(items), node)

