"""Request x schema -> :class:`~graphfields.plan.Plan`, or every positioned mistake at once.

:func:`compile` is the one entry point. It parses the text, checks the selection against
an object type of a schema, converts every call argument (page sizes, cursors, dates,
declared field calls), merges duplicates and a connection's ``always`` fields, expands
default selections and enforces :class:`Limits`, so the executor has nothing left to check.

A request is a *shape* (what is selected, with which calls) and its *arguments* (the
calls' values and the request-level filters). The first request of a shape is walked in
full (:mod:`~graphfields.compiler.walk`); the shape is kept, and a later request that
differs only in argument values has them converted by the shape's binder
(:mod:`~graphfields.compiler.bind`): no walk, no code generation. A mistake in such a
request's values is reported by walking it afresh, so every request gets exactly the
messages and positions a fresh compile gives. Plans are also kept by request text, so a
repeated request is a dict lookup. Both caches are bounded by memory
(:mod:`~graphfields.compiler.cache`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphfields.calls import CONNECTION_CALLS, DATE_FILTERS, PAGING_CALLS
from graphfields.compiler.bind import Binder
from graphfields.compiler.cache import Caches, skeleton
from graphfields.compiler.connection import PAGE_INFO_FIELDS
from graphfields.compiler.issues import MAX_ISSUES, TooManyIssues
from graphfields.compiler.limits import DEFAULT_LIMITS, Limits, check_size, parse_limits
from graphfields.compiler.templates import is_string, plain_cursor, template_key, values_of
from graphfields.compiler.walk import Walk
from graphfields.errors import FieldsValidationError, LimitExceededError, SchemaError
from graphfields.plan import Plan, Shape
from graphfields.schema import ObjectType, Schema
from graphfields.syntax import DEFAULT_PARSE_LIMITS, parse
from graphfields.syntax.ast import Selection, Value

__all__ = [
    "CONNECTION_CALLS",
    "DATE_FILTERS",
    "MAX_ISSUES",
    "PAGE_INFO_FIELDS",
    "PAGING_CALLS",
    "Limits",
    "compile",
    "validate",
]

_NODE_BYTES = 600
"""About what one plan node and its share of the shape hold, for the cache's budget."""


def caches(schema: Schema) -> Caches:
    """The schema's plan and shape caches (made on first use)."""
    found: Caches | None = schema._caches
    if found is None:
        found = schema._caches = Caches()
    return found


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
        check_size(fields, "", lim)
    key = (name, fields, frozen, limits)
    cache = caches(schema)
    plan: Plan | None = cache.plans.get(key)
    if plan is not None:
        return plan
    if name not in schema.types:
        schema.type(name)  # raises SchemaError, naming the types there are
    names = tuple(n for n, v in filters.items() if v is not None) if filters else ()
    values: list[Value] | None = None
    sel: Selection | str
    found = None
    tkey: Any = None
    if isinstance(fields, str):
        text = fields
        hint = template_key(text)
        if hint is not None and len(text) <= _max_length(lim):
            tkey = (name, limits, names, hint)
            found = cache.templates.find(tkey, text)
        sel = text
    else:
        text = ""  # spans of a given AST carry their own line and column
        sel = fields
    shape: Shape | None = None
    bound = None
    templated = False  # read through a template: kept as a plan only when seen again
    if found is not None:
        tpl, changed, argument = found
        shape = cache.shapes.get(tpl.shape_key)
        if shape is not None:
            binder = shape.binder
            same = tpl.filters == frozen
            # A new cursor as the API writes it: its offset, without reading it as a value.
            offset = (plain_cursor(argument) if same and changed in binder.cursors
                      and is_string(tpl, changed) else None)
            if offset is not None:
                bound = binder.moved(tpl.bound, changed, offset)
            else:
                values = values_of(tpl, changed, argument)
                if values is not None:
                    bound = (binder.rebind(tpl.bound, values, changed, filters) if same
                             else binder.bind(values, filters))
            templated = bound is not None
    if bound is None:
        # In full: parse (the plan cache above is keyed by text: the parser's own cache
        # would hold the same requests a second time), then the shape or a walk.
        if isinstance(fields, str):
            sel = parse(fields, limits=parse_limits(lim), cache=False)
            check_size(sel, text, lim)
        assert isinstance(sel, Selection)
        values = []
        shape_key = (name, skeleton(sel, values), names, limits)
        shape = cache.shapes.get(shape_key)
        bound = shape.binder.bind(values, filters) if shape is not None else None
        if shape is None or bound is None:
            shape = _walk(schema, schema.type(name), sel, text, lim, values, filters, names)
            bound = shape.binder.bind(values, filters)
            if bound is None:  # the walk accepted what the binder refused: a bug, loudly
                raise AssertionError(f"graphfields: the arguments of {text!r} did not bind")
            cache.shapes.put(shape_key, shape, shape.weight)
            shape.home = (cache.shapes, shape_key)
        if tkey is not None:
            cache.templates.add(tkey, text, values, shape_key, bound, frozen)
    assert shape is not None
    # A plan keeps its text (``plan.text`` parses it again if asked), not the AST: the
    # cache holds many plans, and an AST weighs many times its text.
    plan = Plan(shape, bound[0], bound[1], fields)
    if not templated or cache.again(key):
        cache.plans.put(key, plan, 200 + 2 * len(text) + 100 * len(bound[0]))
    return plan


_DEFAULT_MAX_LENGTH = (parse_limits(DEFAULT_LIMITS) or DEFAULT_PARSE_LIMITS).max_length


def _max_length(limits: Limits) -> int:
    if limits is DEFAULT_LIMITS:  # (hashing Limits for parse_limits' cache is not free)
        return _DEFAULT_MAX_LENGTH
    parse_lim = parse_limits(limits)
    return (parse_lim or DEFAULT_PARSE_LIMITS).max_length


validate = compile
"""Another name for :func:`compile`."""


def _walk(schema: Schema, t: ObjectType, sel: Selection, text: str, limits: Limits,
          values: list[Value], filters: Mapping[str, object] | None,
          names: tuple[str, ...]) -> Shape:
    """Walk a request in full: its shape, or every mistake raised."""
    walk = Walk(schema, text, limits, {id(v): i for i, v in enumerate(values)})
    try:
        if filters:
            walk.request_filters(t, filters)
        selection = walk.object_selection(t, sel.fields, 1, -1, at_root=True)
    except TooManyIssues:
        pass
    if walk.issues.items:
        raise FieldsValidationError(walk.issues.items, text)
    if walk.cost_position is not None:
        raise LimitExceededError(
            f"Selection may return too many nodes: an estimated {walk.cost} exceeds "
            f"max_nodes={limits.max_nodes}.",
            text, walk.cost_position, "max_nodes",
        )
    same = [(i, j) for a, b in walk.same_calls for i, j in zip(walk.at(a), walk.at(b),
                                                              strict=True)]
    binder = Binder(walk.slots, same, names, limits.max_nodes)
    shape = Shape(t, selection, binder, walk.nodes)
    shape.weight = 2_000 + _NODE_BYTES * walk.nodes
    return shape


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
    out: list[tuple[str, Any]] = sorted(
        ((k, v if v is None or type(v) in (str, int)
          else (type(v).__qualname__, repr(v))) for k, v in filters.items()),
        key=lambda kv: kv[0],
    )
    return tuple(out)


def _type_name(value: object) -> str:
    return type(value).__name__
