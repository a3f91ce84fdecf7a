"""AST x schema -> :class:`~graphfields.plan.Plan`, or every positioned mistake at once.

:func:`compile` is the one entry point. It parses text, checks the selection against an
object type of a schema, converts every call argument (page sizes, cursors, dates),
merges duplicates and a connection's ``always`` fields, expands default selections, and
enforces :class:`Limits` - so the executor has nothing left to check. Plans are cached
per schema, keyed by the raw text (a dict lookup on a repeated request) and by the parsed
selection (the AST compares without positions, so re-spaced text shares a plan).

Implicit selections (Facebook's behaviour, no ``{}``):

- an object field gives its type's ``defaults`` (``owner`` = ``owner{id}``);
- a connection gives ``edges{node{<node defaults>}}``;
- ``edges`` gives ``edges{cursor,node{<node defaults>}}``, ``node`` gives the defaults;
- ``page_info`` gives all four of its fields.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphfields._source import Span, line_col
from graphfields.ast import NAME, Call, Field, IntValue, Selection, StringValue, Value
from graphfields.errors import (
    FieldsValidationError,
    LimitExceededError,
    SchemaError,
    ValidationIssue,
)
from graphfields.parser import DEFAULT_PARSE_LIMITS, MAX_SAFE_DEPTH, ParseLimits, parse
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
from graphfields.printer import format_fields
from graphfields.relay import decode_cursor
from graphfields.schema import ConnectionArgs, ObjectType, ResolvedField, Schema
from graphfields.suggest import did_you_mean, suggestions

__all__ = [
    "CONNECTION_CALLS",
    "DATE_FILTERS",
    "MAX_ISSUES",
    "PAGE_INFO_FIELDS",
    "Limits",
    "compile",
    "validate",
]

PAGING_CALLS = ("first", "last", "after", "before")
DATE_FILTERS = ("from_date", "to_date", "from_timestamp", "to_timestamp")
CONNECTION_CALLS = PAGING_CALLS + DATE_FILTERS
PAGE_INFO_FIELDS = ("has_next_page", "has_previous_page", "start_cursor", "end_cursor")
_PAGE_INFO_TYPES = {"has_next_page": "Boolean", "has_previous_page": "Boolean",
                    "start_cursor": "String", "end_cursor": "String"}
CONNECTION_FIELDS = ("page_info", "edges")
EDGE_FIELDS = ("cursor", "node")
# What ``page_info`` and ``edges`` written without ``{...}`` stand for.
_IMPLICIT_PAGE_INFO = tuple(Field(n) for n in PAGE_INFO_FIELDS)
_IMPLICIT_EDGE = tuple(Field(n) for n in EDGE_FIELDS)

MAX_ISSUES = 20
"""At most this many issues are reported for one request (then validation stops)."""

_CONFLICT_HINT = "Use different aliases on the fields to fetch both if this was intentional."
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_INTEGER = re.compile(r"-?[0-9]{1,18}\Z")
_MAX_TIMESTAMP = 10**18 - 1
"""Timestamps have at most 18 digits, as text or as an ``int``: every bound then fits the
64-bit integers of a database (SQLite raises ``OverflowError`` beyond them)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on a request, checked before any data is touched.

    - ``max_depth``: nesting of the selection as written, counted like the parser's limit:
      ``id`` is 0, ``owner{id}`` 1, ``media{edges{node{id}}}`` 3 (at most 64).
    - ``max_fields``: number of fields written in the selection, at every level.
    - ``max_nodes``: GitHub-style estimate of the nodes a request can return: for every
      connection, the product of the page sizes along its path, summed. A connection
      without ``first``/``last`` counts its ``default_first``, else its ``max_first``.
    """

    max_depth: int = 15
    max_fields: int = 1000
    max_nodes: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_fields", "max_nodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")
        if self.max_depth > MAX_DEPTH_CEILING:
            raise ValueError(
                f"Limits.max_depth must be at most {MAX_DEPTH_CEILING}, not {self.max_depth}")


MAX_DEPTH_CEILING = MAX_SAFE_DEPTH
"""Hashing and validating the AST recurse; deeper than this is never a real request. It is
the parser's own ceiling, so ``Limits`` accepts no depth that ``parse`` would refuse."""


DEFAULT_LIMITS = Limits()


class _TooManyIssues(Exception):
    """Internal: the issue list is full; stop walking."""


def _show(value: Value) -> str:
    """A call argument as the user would recognise it in a message."""
    if isinstance(value, StringValue):
        return json.dumps(value.value, ensure_ascii=False)
    if isinstance(value, IntValue):
        return str(value.value)
    if value.value is None:
        return "null"
    return "true" if value.value else "false"


def _show_raw(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _type_label(rf: ResolvedField) -> str:
    """``ID``, ``[String]``: how a field's type is named in messages."""
    name = rf.scalar.name if rf.scalar is not None else str(getattr(rf.object_type, "name", "?"))
    return f"[{name}]" if rf.is_list else name


_EPOCH_DAY = _dt.date(1970, 1, 1)


def _day_start(d: _dt.date) -> int:
    """UNIX seconds of the day's first second, UTC."""
    return (d - _EPOCH_DAY).days * 86_400


@dataclass(slots=True)
class _Bound:
    """One end of a date range, with the parameter that set it (for messages)."""

    seconds: int
    name: str
    shown: str


class _RangeBuilder:
    """Collects from_/to_ bounds; the effective range is their intersection."""

    __slots__ = ("since", "until")

    def __init__(self) -> None:
        self.since: _Bound | None = None
        self.until: _Bound | None = None

    def add(self, name: str, seconds: int, shown: str) -> None:
        b = _Bound(seconds, name, shown)
        if name.startswith("from_"):
            if self.since is None or seconds > self.since.seconds:
                self.since = b
        elif self.until is None or seconds < self.until.seconds:
            self.until = b

    def empty_message(self) -> str | None:
        s, u = self.since, self.until
        if s is not None and u is not None and s.seconds > u.seconds:
            return f"{s.name} {s.shown} is after {u.name} {u.shown}"
        return None


def _parse_filter(name: str, raw: object, shown: str | None = None) -> tuple[int | None, str]:
    """Seconds for one filter value, or ``None`` and the reason it is invalid."""
    shown = _show_raw(raw) if shown is None else shown
    if name.endswith("_date"):
        if isinstance(raw, str) and _DATE.match(raw):
            try:
                d = _dt.date.fromisoformat(raw)
            except ValueError:
                pass
            else:
                start = _day_start(d)
                return (start if name == "from_date" else start + 86_399), ""
        return None, f"{shown} is not a date in yyyy-mm-dd format"
    if isinstance(raw, int) and not isinstance(raw, bool):
        if -_MAX_TIMESTAMP <= raw <= _MAX_TIMESTAMP:
            return raw, ""
        return None, f"{shown} is out of range (at most 18 digits)"
    if isinstance(raw, str) and _INTEGER.match(raw):
        return int(raw), ""
    return None, f"{shown} is not an integer UNIX timestamp"


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Per-connection context for walking a node selection."""

    always: tuple[str, ...] = ()


class _Validator:
    def __init__(self, schema: Schema, text: str, limits: Limits) -> None:
        self.schema = schema
        self.text = text
        self.limits = limits
        self.issues: list[ValidationIssue] = []
        self.cost = 0
        self.cost_position: int | None = None
        self.request_range: tuple[int | None, int | None] | None = None

    # -- reporting -------------------------------------------------------------------

    def issue(self, message: str, at: Span | int, names: Sequence[str] = ()) -> None:
        """Record one issue at a node's span (or an offset in the text; 0 = no place)."""
        if isinstance(at, Span):
            position = at.start
            line, column = line_col(self.text, position) if self.text else (at.line, at.column)
        else:
            position = at
            line, column = line_col(self.text, position) if self.text else (1, 1)
        self.issues.append(ValidationIssue(message, position, line, column, tuple(names)))
        if len(self.issues) >= MAX_ISSUES:
            raise _TooManyIssues

    def unknown(
        self, what: str, name: str, on: str, options: Sequence[str], at: Span | int
    ) -> None:
        names = suggestions(name, options)
        where = f" {on}" if on else ""
        self.issue(f'{what} "{name}"{where}.{did_you_mean(names)}', at, names)

    def call_pos(self, call: Call) -> Span | int:
        """Where the call's name is written (its span starts at the dot)."""
        start, end = call.span.start, call.span.end
        if self.text and end > start:
            found = self.text.find(call.name, start, end)
            if found >= 0:
                return found
        return call.span

    # -- merging duplicates ----------------------------------------------------------

    def merge(
        self, fields: Sequence[Field], implicit: Callable[[Field], tuple[Field, ...]]
    ) -> list[Field]:
        """Group fields by output key, in order of first appearance.

        The same field twice (same name, same calls) is merged, nested selections
        concatenated (a field without ``{}`` contributes its implicit selection);
        anything else under one key is a conflict.
        """
        groups: dict[str, list[Field]] = {}
        for f in fields:
            groups.setdefault(f.key, []).append(f)
        out: list[Field] = []
        for key, group in groups.items():
            head = group[0]
            if head.alias is not None and not NAME.fullmatch(head.alias):
                self.issue(
                    f'Invalid alias "{head.alias}" on field "{head.name}": an alias must be '
                    "a name of letters, digits and underscores, not starting with a digit.",
                    head.span,
                )
            if len(group) == 1:
                out.append(head)
                continue
            ok = True
            for other in group[1:]:
                if other.name != head.name:
                    self.issue(
                        f'Fields "{key}" conflict because "{head.name}" and "{other.name}" '
                        f"are different fields. {_CONFLICT_HINT}",
                        other.span,
                    )
                    ok = False
                elif _calls_key(other.calls) != _calls_key(head.calls):
                    self.issue(
                        f'Fields "{key}" conflict because they have differing calls. '
                        f"{_CONFLICT_HINT}",
                        other.span,
                    )
                    ok = False
            if not ok:
                out.append(head)
                continue
            if all(f.selection is None for f in group):
                out.append(head)
                continue
            inner: list[Field] = []
            for f in group:
                if f.selection is not None:
                    inner.extend(f.selection.fields)
                else:
                    inner.extend(implicit(f))
            span = next(f.selection.span for f in group if f.selection is not None)
            out.append(Field(head.name, head.calls, Selection(tuple(inner), span),
                             head.alias, head.span))
        return out

    # -- object selections -----------------------------------------------------------

    def object_selection(
        self, t: ObjectType, fields: Sequence[Field], mult: int, ctx: _Ctx, at_root: bool = False
    ) -> SelectionPlan:
        plans: list[FieldPlan] = []

        def implicit(f: Field) -> tuple[Field, ...]:
            rf = t.fields.get(f.name)
            return _implicit(rf) if rf is not None else ()

        merged = self.merge(fields, implicit)
        for f in merged:
            rf = t.fields.get(f.name)
            if rf is None:
                self.unknown("Cannot query field", f.name, f'on type "{t.name}"',
                             list(t.fields), f.span)
                continue
            plan = self.field(rf, f, mult, at_root)
            if plan is not None:
                plans.append(plan)
        if ctx.always:
            plans = self.add_always(t, plans, ctx.always, mult, merged)
        return SelectionPlan(t, tuple(plans))

    def add_always(
        self, t: ObjectType, plans: list[FieldPlan], always: tuple[str, ...], mult: int,
        written: Sequence[Field] = (),
    ) -> list[FieldPlan]:
        taken = {p.key for p in plans}
        extra: list[FieldPlan] = []
        for name in always:
            other = next((f for f in written if f.key == name and f.name != name), None)
            if other is not None:
                # An alias took the key of a field the connection always returns: the client
                # relies on that key's meaning, so this is a conflict, not a silent swap.
                self.issue(
                    f'Fields "{name}" conflict because "{other.name}" and "{name}" are '
                    f'different fields: "{name}" is always returned on type "{t.name}" here. '
                    f"Use a different alias.",
                    other.span,
                )
                continue
            if name in taken:
                continue
            plan = self.field(t.fields[name], Field(name), mult, False)
            if plan is not None:
                extra.append(plan)
                taken.add(name)
        if not extra:
            return plans
        at = next((i + 1 for i, p in enumerate(plans)
                   if p.key == "id" and p.field.name == "id"), 0)
        return plans[:at] + extra + plans[at:]

    def field(self, rf: ResolvedField, f: Field, mult: int, at_root: bool) -> FieldPlan | None:
        if rf.kind == "connection":
            return self.connection(rf, f, mult, at_root)
        self.no_calls(f)
        if rf.kind == "scalar":
            return None if self.leaf_with_selection(f, _type_label(rf)) else ScalarPlan(f.key, rf)
        ot = rf.object_type
        assert ot is not None
        inner = f.selection.fields if f.selection is not None else _implicit(rf)
        return ObjectPlan(f.key, rf, self.object_selection(ot, inner, mult, _Ctx()))

    def leaf_with_selection(self, f: Field, type_label: str) -> bool:
        """Report ``{...}`` on a field of a leaf type; whether there was one."""
        if f.selection is None:
            return False
        self.issue(f'Field "{f.name}" must not have a selection since type "{type_label}" has '
                   "no subfields.", f.span)
        return True

    def no_calls(self, f: Field) -> None:
        for call in f.calls:
            self.issue(
                f'Unknown call "{call.name}" on field "{f.name}": only connection fields '
                "take calls.",
                self.call_pos(call),
            )

    # -- connections -----------------------------------------------------------------

    def connection(
        self, rf: ResolvedField, f: Field, mult: int, at_root: bool
    ) -> ConnectionPlan | None:
        conn = rf.connection
        node_type = rf.object_type
        assert conn is not None and node_type is not None
        args = self.connection_args(rf, f, at_root)
        # With bad arguments, still check the selection below, to report everything.
        first, last = (args.first, args.last) if args is not None else (None, None)
        size = min(x for x in (first, last, conn.max_first) if x is not None)
        inner_mult = mult * size
        self.cost += inner_mult
        if self.cost > self.limits.max_nodes and self.cost_position is None:
            self.cost_position = f.span.start
        ctx = _Ctx(conn.always)
        conn_type = f"{node_type.name}Connection"
        edge_type = f"{node_type.name}Edge"
        parts: list[PageInfoPlan | EdgesPlan] = []
        inner = f.selection.fields if f.selection is not None else _implicit(rf)

        def implicit_part(g: Field) -> tuple[Field, ...]:
            if g.name == "page_info":
                return _IMPLICIT_PAGE_INFO
            if g.name == "edges":
                return _IMPLICIT_EDGE
            return ()

        for g in self.merge(inner, implicit_part):
            if g.name not in CONNECTION_FIELDS:
                self.unknown("Cannot query field", g.name, f'on type "{conn_type}"',
                             CONNECTION_FIELDS, g.span)
                continue
            self.no_calls(g)
            if g.name == "page_info":
                parts.append(self.page_info(g))
            else:
                parts.append(self.edges(g, node_type, edge_type, inner_mult, ctx))
        if args is None:
            return None
        return ConnectionPlan(f.key, rf, args, tuple(parts))

    def page_info(self, g: Field) -> PageInfoPlan:
        sub = g.selection.fields if g.selection is not None else _IMPLICIT_PAGE_INFO
        items: list[tuple[str, str]] = []
        for h in self.merge(sub, lambda _: ()):
            if h.name not in _PAGE_INFO_TYPES:
                self.unknown("Cannot query field", h.name, 'on type "PageInfo"',
                             PAGE_INFO_FIELDS, h.span)
                continue
            self.no_calls(h)
            if not self.leaf_with_selection(h, _PAGE_INFO_TYPES[h.name]):
                items.append((h.key, h.name))
        return PageInfoPlan(g.key, tuple(items))

    def edges(
        self, g: Field, node_type: ObjectType, edge_type: str, mult: int, ctx: _Ctx
    ) -> EdgesPlan:
        sub = g.selection.fields if g.selection is not None else _IMPLICIT_EDGE
        items: list[tuple[str, str]] = []
        node: SelectionPlan | None = None
        node_key: str | None = None

        def implicit_node(h: Field) -> tuple[Field, ...]:
            return tuple(Field(d) for d in node_type.defaults) if h.name == "node" else ()

        for h in self.merge(sub, implicit_node):
            if h.name not in EDGE_FIELDS:
                self.unknown("Cannot query field", h.name, f'on type "{edge_type}"',
                             EDGE_FIELDS, h.span)
                continue
            self.no_calls(h)
            if h.name == "cursor":
                if not self.leaf_with_selection(h, "String"):
                    items.append((h.key, "cursor"))
                continue
            if node_key is not None:
                self.issue(
                    f'Field "node" is selected twice in "{g.key}" (as "{node_key}" and '
                    f'"{h.key}"); select it once.',
                    h.span,
                )
                continue
            node_key = h.key
            fields = h.selection.fields if h.selection is not None else implicit_node(h)
            node = self.object_selection(node_type, fields, mult, ctx)
            items.append((h.key, "node"))
        return EdgesPlan(g.key, tuple(items), node)

    def connection_args(
        self, rf: ResolvedField, f: Field, at_root: bool
    ) -> ConnectionArgs | None:
        conn = rf.connection
        assert conn is not None
        allowed = CONNECTION_CALLS if conn.timestamp_field is not None else PAGING_CALLS
        values: dict[str, Any] = {}
        dates = _RangeBuilder()
        ok = True
        last_date_pos: Span | int = f.span
        for call in f.calls:
            pos = self.call_pos(call)
            name = call.name
            where = f'on field "{f.name}"'
            if name in values:
                self.issue(f'Call "{name}" is repeated {where}.', pos)
                ok = False
                continue
            if name not in allowed:
                if name in DATE_FILTERS:
                    self.issue(
                        f'Call "{name}" is not available {where}: its nodes have no '
                        "timestamp field.",
                        pos,
                    )
                else:
                    self.unknown("Unknown call", name, where, allowed, pos)
                ok = False
                continue
            values[name] = None
            if len(call.args) != 1:
                at = call.args[1].span if len(call.args) > 1 else pos
                self.issue(
                    f'Call "{name}" {where} takes 1 argument, got {len(call.args)}.', at)
                ok = False
                continue
            arg = call.args[0]
            apos = arg.span
            if name in ("first", "last"):
                if not isinstance(arg, IntValue):
                    self.issue(f'Call "{name}" {where} expects an integer, got {_show(arg)}.',
                               apos)
                    ok = False
                elif arg.value < 0:
                    self.issue(
                        f'Call "{name}" {where} expects a non-negative integer, '
                        f"got {arg.value}.",
                        apos,
                    )
                    ok = False
                elif arg.value > conn.max_first:
                    self.issue(
                        f'Call "{name}" {where} asks for {arg.value} items, above the '
                        f"maximum of {conn.max_first}.",
                        apos,
                    )
                    ok = False
                else:
                    values[name] = arg.value
            elif name in ("after", "before"):
                if not isinstance(arg, StringValue):
                    self.issue(
                        f'Call "{name}" {where} expects a cursor string, got {_show(arg)}.',
                        apos,
                    )
                    ok = False
                    continue
                offset = decode_cursor(arg.value)
                if offset is None:
                    self.issue(f'Invalid cursor {_show(arg)} in call "{name}" {where}.', apos)
                    ok = False
                else:
                    values[name] = offset
            else:
                raw: object = arg.value
                if isinstance(arg, IntValue) and name.endswith("_date"):
                    raw = str(arg.value)
                seconds, reason = _parse_filter(name, raw, _show(arg))
                if seconds is None:
                    self.issue(f'Invalid value for call "{name}" {where}: {reason}.', apos)
                    ok = False
                else:
                    dates.add(name, seconds, _show(arg))
                    last_date_pos = arg.span
        if not ok:
            return None
        empty = dates.empty_message()
        if empty is not None:
            self.issue(f'Invalid date range on field "{f.name}": {empty}.', last_date_pos)
            return None
        first, last = values.get("first"), values.get("last")
        if first is None and last is None and conn.default_first is not None:
            first = conn.default_first
        since = dates.since.seconds if dates.since is not None else None
        until = dates.until.seconds if dates.until is not None else None
        req = self.request_range if at_root else None
        if req is not None and conn.timestamp_field is not None:
            if req[0] is not None:
                since = req[0] if since is None else max(since, req[0])
            if req[1] is not None:
                until = req[1] if until is None else min(until, req[1])
        return ConnectionArgs(first, last, values.get("after"), values.get("before"),
                              since, until)

    # -- request-level filters -------------------------------------------------------

    def request_filters(self, t: ObjectType, filters: Mapping[str, object]) -> None:
        dates = _RangeBuilder()
        given = False
        for name, raw in filters.items():
            if raw is None:
                continue
            if name not in DATE_FILTERS:
                self.unknown("Unknown filter", name, "", DATE_FILTERS, 0)
                continue
            given = True
            seconds, reason = _parse_filter(name, raw)
            if seconds is None:
                self.issue(f"Invalid value for {name}: {reason}.", 0)
                continue
            dates.add(name, seconds, _show_raw(raw))
        if not given:
            return
        if not any(rf.connection is not None and rf.connection.timestamp_field is not None
                   for rf in t.fields.values()):
            names = [n for n in DATE_FILTERS if filters.get(n) is not None]
            subject = ("Filter " if len(names) == 1 else "Filters ") + ", ".join(
                f'"{n}"' for n in names)
            verb = "does" if len(names) == 1 else "do"
            self.issue(
                f'{subject} {verb} not apply to type "{t.name}": it has no connection with '
                "a timestamp field.",
                0,
            )
            return
        empty = dates.empty_message()
        if empty is not None:
            self.issue(f"Invalid date range: {empty}.", 0)
            return
        self.request_range = (
            dates.since.seconds if dates.since is not None else None,
            dates.until.seconds if dates.until is not None else None,
        )

    # -- the whole request -----------------------------------------------------------

    def run(self, t: ObjectType, sel: Selection, filters: Mapping[str, object] | None) -> Plan:
        """Validate and plan; the caller has run :func:`_check_size` already."""
        try:
            if filters:
                self.request_filters(t, filters)
            selection = self.object_selection(t, sel.fields, 1, _Ctx(), at_root=True)
        except _TooManyIssues:
            pass
        if self.issues:
            raise FieldsValidationError(self.issues, self.text)
        if self.cost_position is not None:
            raise LimitExceededError(
                f"Selection may return too many nodes: an estimated {self.cost} exceeds "
                f"max_nodes={self.limits.max_nodes}.",
                self.text, self.cost_position, "max_nodes",
            )
        return Plan(t, selection, self.text, self.cost)


def _check_size(sel: Selection, text: str, limits: Limits) -> None:
    """Raise if the selection as written is nested deeper or has more fields than allowed.

    Iterative, and run before anything hashes or walks the AST recursively, so a
    pathological request costs one linear pass and cannot exhaust the stack.
    """
    count = 0
    first_over: Field | None = None
    stack: list[tuple[Selection, int]] = [(sel, 0)]
    while stack:
        s, depth = stack.pop()
        for f in s.fields:
            count += 1
            if count == limits.max_fields + 1:
                first_over = f
            if f.selection is not None:
                if depth + 1 > limits.max_depth:
                    at = f.selection.fields[0] if f.selection.fields else f
                    raise LimitExceededError(
                        "Selection is nested too deeply: depth "
                        f"{depth + 1} exceeds max_depth={limits.max_depth}.",
                        text, at.span.start, "max_depth",
                    )
                stack.append((f.selection, depth + 1))
    if first_over is not None:
        raise LimitExceededError(
            f"Selection has too many fields: {count} exceeds max_fields={limits.max_fields}.",
            text, first_over.span.start, "max_fields",
        )


def _calls_key(calls: tuple[Call, ...]) -> tuple[Call, ...]:
    """Calls compared regardless of order (``first(3).after(c)`` = ``after(c).first(3)``)."""
    return tuple(sorted(calls, key=lambda c: (c.name, repr(c.args))))


def _implicit(rf: ResolvedField) -> tuple[Field, ...]:
    """The selection a field without ``{}`` stands for."""
    ot = rf.object_type
    if ot is None:
        return ()
    defaults = tuple(Field(d) for d in ot.defaults)
    if rf.kind == "connection":
        return (Field("edges", selection=Selection((Field("node", selection=Selection(
            defaults)),))),)
    return defaults


# -- the public entry point, with its cache --------------------------------------------

CACHE_SIZE = 1024
"""Plans kept per schema (least recently used are dropped first)."""

_lock = threading.Lock()


def _cache(schema: Schema) -> OrderedDict[Any, Plan]:
    cache: OrderedDict[Any, Plan] = schema._plan_cache
    return cache


def _store(cache: OrderedDict[Any, Plan], key: Any, plan: Plan) -> None:
    with _lock:
        cache[key] = plan
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)


def compile(
    schema: Schema,
    type: str | ObjectType,
    fields: str | Selection,
    *,
    filters: Mapping[str, str | int | None] | None = None,
    limits: Limits | None = None,
) -> Plan:
    """Check ``fields`` against ``type`` of ``schema`` and build the plan to execute.

    ``filters`` are request-level date filters (``from_date``, ``to_date``,
    ``from_timestamp``, ``to_timestamp``, as received: strings or ints) applied to every
    connection of the root type that has a ``timestamp_field``.

    Raises :class:`FieldsSyntaxError`, :class:`FieldsValidationError` (every issue,
    at most :data:`MAX_ISSUES`), :class:`LimitExceededError`, or :class:`SchemaError`
    for an unknown type. A repeated call with the same arguments is a dict lookup.
    """
    if not isinstance(schema, Schema):
        raise TypeError(f"compile() needs a Schema, not {_type_name(schema)}")
    if isinstance(type, str):
        name = type
    elif isinstance(type, ObjectType):
        name = type.name
        if schema.types.get(name) is not type:
            raise SchemaError(f'Type "{name}" is not part of this schema')
    else:
        raise TypeError(f"compile() needs a type name or ObjectType, not {_type_name(type)}")
    frozen = _freeze(filters) if filters else None
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"compile() needs limits=Limits(...), not {_type_name(limits)}")
    lim = limits or DEFAULT_LIMITS
    if not isinstance(fields, str):
        if not isinstance(fields, Selection):
            raise TypeError(
                f"compile() needs the fields as a str or a parsed Selection, not "
                f"{_type_name(fields)}")
        # Hashing an AST is recursive: bound its depth before using it as a key.
        _check_size(fields, "", lim)
    key: tuple[str, str | Selection, Any, Limits | None] = (name, fields, frozen, limits)
    cache = _cache(schema)
    plan = cache.get(key)
    if plan is not None:
        try:  # noqa: SIM105 - cheaper than contextlib.suppress on the hot path
            cache.move_to_end(key)
        except KeyError:  # evicted by another thread meanwhile
            pass
        return plan
    t = schema.type(type) if isinstance(type, str) else type
    if isinstance(fields, str):
        text = fields
        sel = parse(fields, limits=_parse_limits(lim))
        _check_size(sel, text, lim)
        canonical: tuple[str, str | Selection, Any, Limits | None] = (name, sel, frozen, limits)
        plan = cache.get(canonical)
        if plan is not None:
            _store(cache, key, plan)
            return plan
    else:
        text = ""  # spans of a given AST carry their own line and column
        sel = fields
        canonical = key
    plan = _Validator(schema, text, lim).run(t, sel, filters)
    # Plans are shared by every spelling of a selection: keep the canonical one.
    plan.text = format_fields(sel)
    _store(cache, canonical, plan)
    if canonical != key:
        _store(cache, key, plan)
    return plan


validate = compile
"""Another name for :func:`compile`."""


@functools.lru_cache(maxsize=64)
def _parse_limits(limits: Limits) -> ParseLimits | None:
    """Parser limits looser than ``limits`` by at least one, so that ours decide and word the
    error (an equal parser limit fired first, with the parser's wording and position); only
    at the parser's own ceiling of 64 levels does the parser still answer."""
    d = DEFAULT_PARSE_LIMITS
    if limits.max_depth < d.max_depth and limits.max_fields < d.max_fields:
        return None
    return ParseLimits(
        max_length=d.max_length,
        max_depth=min(MAX_SAFE_DEPTH, max(limits.max_depth + 1, d.max_depth)),
        max_fields=max(limits.max_fields + 1, d.max_fields),
    )


def _freeze(filters: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """A hashable cache key for request filters (odd values can only fail validation).

    Values other than exact ``str``, ``int`` and ``None`` are keyed by type and repr, so
    ``True`` never shares the plan of ``1`` (they hash alike) nor an object the plan of a
    string that looks like its repr.
    """
    if not isinstance(filters, Mapping):
        raise TypeError(f"compile() needs filters as a mapping, not {_type_name(filters)}")
    for k in filters:
        if not isinstance(k, str):
            raise TypeError(f"compile() needs filter names as str, not {_type_name(k)}: {k!r}")
    return tuple(sorted(
        ((k, v if v is None or type(v) in (str, int)
          else (type(v).__qualname__, repr(v))) for k, v in filters.items()),
        key=lambda kv: kv[0],
    ))


def _type_name(value: object) -> str:
    return type(value).__name__
