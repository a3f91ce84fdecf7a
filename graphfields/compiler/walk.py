"""The walk over a request: every field resolved against the schema, every call checked.

It reports every mistake at once (through :class:`~graphfields.compiler.issues.Issues`)
and builds the shape's plan nodes, recording where each node's arguments come from
(:mod:`graphfields.compiler.bind`), so later requests of the same shape skip the walk.
Connections are the part in :mod:`graphfields.compiler.connection`.

Implicit selections (Facebook's behaviour, no ``{}``):

- an object field gives its type's ``defaults`` (``owner`` = ``owner{id}``);
- a connection gives ``edges{node{<node defaults>}}``;
- ``edges`` gives ``edges{cursor,node{<node defaults>}}``, ``node`` gives the defaults;
- ``page_info`` gives all four of its fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphfields.calls import DATE_FILTERS, convert_call
from graphfields.compiler.bind import CallSlot, ConnSlot, date_range
from graphfields.compiler.issues import Issues
from graphfields.compiler.limits import Limits
from graphfields.compiler.merge import merge
from graphfields.plan import (
    BATCH,
    BATCH_ARGS,
    READ,
    RESOLVE,
    RESOLVE_ARGS,
    FieldPlan,
    ObjectPlan,
    ScalarPlan,
    SelectionPlan,
)
from graphfields.schema import ObjectType, ResolvedField, Schema
from graphfields.syntax.ast import Call, Field, Selection

__all__ = ["Walk", "implicit"]


def type_label(rf: ResolvedField) -> str:
    """``ID``, ``[String]``: how a field's type is named in messages."""
    name = rf.scalar.name if rf.scalar is not None else str(getattr(rf.object_type, "name", "?"))
    return f"[{name}]" if rf.is_list else name


def implicit(rf: ResolvedField) -> tuple[Field, ...]:
    """The selection a field without ``{}`` stands for."""
    ot = rf.object_type
    if ot is None:
        return ()
    defaults = tuple(Field(d) for d in ot.defaults)
    if rf.kind == "connection":
        return (Field("edges", selection=Selection((Field("node", selection=Selection(
            defaults)),))),)
    return defaults


def how_read(rf: ResolvedField, with_args: bool) -> tuple[str, Any]:
    """How the executors obtain a field's value: ``(how, function)`` (see
    :mod:`graphfields.plan`). A connection's own ``batch``/``resolve`` come first, then
    the field's ``batch`` and ``resolve``, else the value is read by ``source``."""
    conn = rf.connection
    d = rf.definition
    if conn is not None and conn.batch is not None:
        return BATCH_ARGS, conn.batch
    if conn is not None and conn.resolve is not None:
        return RESOLVE_ARGS, conn.resolve
    if d.batch is not None:
        return (BATCH_ARGS if with_args else BATCH), d.batch
    if d.resolve is not None:
        return (RESOLVE_ARGS if with_args else RESOLVE), d.resolve
    return READ, None


class Walk:
    """One request's walk. ``values`` are its argument values in document order."""

    def __init__(self, schema: Schema, text: str, limits: Limits,
                 positions: Mapping[int, int]) -> None:
        self.schema = schema
        self.issues = Issues(text)
        self.limits = limits
        self.positions = positions  # id(argument value) -> its index in document order
        self.slots: list[ConnSlot | CallSlot] = []
        self.same_calls: list[tuple[Call, Call]] = []
        self.cost = 0
        self.cost_position: int | None = None
        self.request_range: tuple[int | None, int | None] | None = None
        self.nodes = 0

    def at(self, call: Call) -> tuple[int, ...]:
        return tuple(self.positions[id(a)] for a in call.args)

    def merge(self, fields: Sequence[Field], implicit_of: Any) -> list[Field]:
        return merge(self.issues, fields, implicit_of, self.same_calls)

    # -- object selections -----------------------------------------------------------

    def object_selection(
        self, t: ObjectType, fields: Sequence[Field], mult: int, parent: int,
        always: tuple[str, ...] = (), at_root: bool = False,
    ) -> SelectionPlan:
        plans: list[FieldPlan] = []
        table = self.schema.fields_of(t)

        def implicit_of(f: Field) -> tuple[Field, ...]:
            rf = table.get(f.name)
            return implicit(rf) if rf is not None else ()

        merged = self.merge(fields, implicit_of)
        for f in merged:
            rf = table.get(f.name)
            if rf is None:
                self.issues.unknown("Cannot query field", f.name, f'on type "{t.name}"',
                                    list(table), f.span)
                continue
            plan = self.field(rf, f, mult, parent, at_root)
            if plan is not None:
                plans.append(plan)
        if always:
            plans = self.add_always(t, plans, always, mult, parent, merged)
        self.nodes += len(plans) + 1
        return SelectionPlan(t, tuple(plans))

    def add_always(
        self, t: ObjectType, plans: list[FieldPlan], always: tuple[str, ...], mult: int,
        parent: int, written: Sequence[Field] = (),
    ) -> list[FieldPlan]:
        taken = {p.key for p in plans}
        extra: list[FieldPlan] = []
        table = self.schema.fields_of(t)
        for name in always:
            other = next((f for f in written if f.key == name and f.name != name), None)
            if other is not None:
                # An alias took the key of a field the connection always returns: the client
                # relies on that key's meaning, so this is a conflict, not a silent swap.
                self.issues.add(
                    f'Fields "{name}" conflict because "{other.name}" and "{name}" are '
                    f'different fields: "{name}" is always returned on type "{t.name}" here. '
                    f"Use a different alias.",
                    other.span,
                )
                continue
            if name in taken:
                continue
            plan = self.field(table[name], Field(name), mult, parent, False)
            if plan is not None:
                extra.append(plan)
                taken.add(name)
        if not extra:
            return plans
        at = next((i + 1 for i, p in enumerate(plans)
                   if p.key == "id" and p.field.name == "id"), 0)
        return plans[:at] + extra + plans[at:]

    def field(self, rf: ResolvedField, f: Field, mult: int, parent: int,
              at_root: bool) -> FieldPlan | None:
        if rf.kind == "connection":
            from graphfields.compiler.connection import connection

            return connection(self, rf, f, mult, parent, at_root)
        arg = self.field_calls(rf, f)
        how, fn = how_read(rf, bool(rf.definition.calls))
        if rf.kind == "scalar":
            if self.leaf_with_selection(f, type_label(rf)):
                return None
            return ScalarPlan(f.key, rf, how, fn, arg)
        ot = rf.object_type
        assert ot is not None
        inner = f.selection.fields if f.selection is not None else implicit(rf)
        return ObjectPlan(f.key, rf, self.object_selection(ot, inner, mult, parent), how, fn, arg)

    def leaf_with_selection(self, f: Field, type_label: str) -> bool:
        """Report ``{...}`` on a field of a leaf type; whether there was one."""
        if f.selection is None:
            return False
        self.issues.add(f'Field "{f.name}" must not have a selection since type "{type_label}" '
                        "has no subfields.", f.span)
        return True

    def no_calls(self, f: Field) -> None:
        for call in f.calls:
            self.issues.add(f'Unknown call "{call.name}" on field "{f.name}": it takes no calls.',
                            self.issues.call_pos(call))

    def field_calls(self, rf: ResolvedField, f: Field) -> int:
        """Check the calls of a field that is not a connection; its slot (-1: none)."""
        declared = dict(rf.definition.calls)
        if not declared:
            self.no_calls(f)
            return -1
        where = f'on field "{f.name}"'
        given: list[tuple[str, tuple[int, ...]]] = []
        seen: set[str] = set()
        for call in f.calls:
            pos = self.issues.call_pos(call)
            if call.name in seen:
                self.issues.add(f'Call "{call.name}" is repeated {where}.', pos)
                continue
            seen.add(call.name)
            param = declared.get(call.name)
            if param is None:
                self.issues.unknown("Unknown call", call.name, where, list(declared), pos)
                continue
            _, problems = convert_call(param, call.args, call.name, where)
            for message, i in problems:
                self.issues.add(message, call.args[i].span if i >= 0 else pos)
            given.append((call.name, self.at(call)))
        for name, param in declared.items():
            if param.required and name not in seen:
                self.issues.add(f'Field "{f.name}" requires the call "{name}" '
                                f"({param.label}).", f.span)
        self.slots.append(CallSlot(tuple(declared.items()), where, tuple(given)))
        return len(self.slots) - 1

    # -- request-level filters -------------------------------------------------------

    def request_filters(self, t: ObjectType, filters: Mapping[str, object]) -> None:
        given: list[tuple[str, object]] = []
        bad = False
        for name, raw in filters.items():
            if raw is None:
                continue
            if name not in DATE_FILTERS:
                self.issues.unknown("Unknown filter", name, "", DATE_FILTERS, 0)
                continue
            given.append((name, raw))
            _, problem = date_range([(name, raw)])
            if problem is not None:
                self.issues.add(problem, 0)
                bad = True
        if not given:
            return
        if not any(rf.connection is not None and rf.connection.timestamp_field is not None
                   for rf in self.schema.fields_of(t).values()):
            names = [n for n in DATE_FILTERS if filters.get(n) is not None]
            subject = ("Filter " if len(names) == 1 else "Filters ") + ", ".join(
                f'"{n}"' for n in names)
            verb = "does" if len(names) == 1 else "do"
            self.issues.add(
                f'{subject} {verb} not apply to type "{t.name}": it has no connection with '
                "a timestamp field.",
                0,
            )
            return
        if bad:
            return
        self.request_range, problem = date_range(given)
        if problem is not None:
            self.issues.add(problem, 0)
