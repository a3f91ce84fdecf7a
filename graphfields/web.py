"""What every web framework integration shares (no framework imported here).

- :class:`FieldsParam`: reads the ``fields`` query parameter (and, if asked, the date filter
  parameters) from a query mapping and compiles it into a :class:`~graphfields.plan.Plan`.
- :func:`error_response`: the status and JSON body for a graphfields error: a
  :class:`~graphfields.errors.RequestError` is 400 with ``{"error": exc.formatted}`` (every
  issue with its line, column and suggestions); an :class:`~graphfields.errors.ExecutionError`
  is 500 with the path only (the cause is logged, never sent).
- :data:`ERROR_BODY_SCHEMA`: that body as a JSON Schema (for OpenAPI documents).
- :func:`describe` and :func:`example`: the text and a valid example of the ``fields``
  parameter of a type (the syntax in a few lines, then the selectable fields).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from graphfields.compiler import DATE_FILTERS, Limits, compile
from graphfields.errors import ExecutionError, GraphFieldsError, RequestError, SchemaError
from graphfields.plan import Plan
from graphfields.schema import ObjectType, ResolvedField, Schema
from graphfields.schema_json import calls_of, field_description, type_label

__all__ = [
    "DATE_FILTERS",
    "ERROR_BODY_SCHEMA",
    "FieldsParam",
    "describe",
    "error_response",
    "example",
]

log = logging.getLogger("graphfields")

_ISSUE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message", "locations", "position", "suggestions"],
    "properties": {
        "message": {"type": "string"},
        "locations": {"type": "array", "items": {
            "type": "object", "required": ["line", "column"],
            "properties": {"line": {"type": "integer"}, "column": {"type": "integer"}}}},
        "position": {"type": "integer", "description": "offset in the fields string"},
        "suggestions": {"type": "array", "items": {"type": "string"}},
    },
}

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "title": "GraphFieldsError",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["message", "type"],
        "properties": {
            "message": {"type": "string"},
            "type": {"type": "string", "description": "FieldsSyntaxError, "
                     "FieldsValidationError, LimitExceededError or ExecutionError"},
            "errors": {"type": "array", "items": _ISSUE_SCHEMA,
                       "description": "every issue of the request (client errors)"},
            "path": {"type": "string", "description": "the failing field (ExecutionError)"},
        },
    }},
}
"""The JSON Schema of :func:`error_response`'s bodies."""


def error_response(exc: GraphFieldsError) -> tuple[int, dict[str, Any]]:
    """``(status, body)`` for ``exc``: 400 for a request error, 500 for anything else
    (an :class:`ExecutionError` keeps its path; its cause is logged here, with the
    traceback, and never sent)."""
    if isinstance(exc, RequestError):
        return 400, {"error": exc.formatted}
    log.error("graphfields: %s", exc, exc_info=exc)
    if isinstance(exc, ExecutionError):
        return 500, {"error": exc.formatted}
    return 500, {"error": {"message": "Internal server error", "type": "InternalServerError"}}


class FieldsParam:
    """The ``fields`` query parameter of one endpoint: ``FieldsParam(schema, "Post")``.

    - ``param``: the query parameter's name.
    - ``default``: the selection when the parameter is absent or empty (default: the
      type's ``defaults``, Facebook's behaviour: ``GET /post/1`` gives ``id``).
    - ``filters``: also read the request-level date filters (``from_date``, ``to_date``,
      ``from_timestamp``, ``to_timestamp``) and apply them to the type's connections
      (``True`` for all four, or a sequence of their names).
    - ``limits``: the :class:`~graphfields.Limits` requests must stay within.
    """

    def __init__(
        self,
        schema: Schema,
        type: str,
        *,
        param: str = "fields",
        default: str | None = None,
        filters: bool | tuple[str, ...] | list[str] = False,
        limits: Limits | None = None,
    ) -> None:
        self.schema = schema
        self.type: ObjectType = schema.type(type)
        self.param = param
        self.default = ",".join(self.type.defaults) if default is None else default
        if filters is True:
            names: tuple[str, ...] = DATE_FILTERS
        elif filters is False:
            names = ()
        else:
            names = tuple(filters)
        unknown = [n for n in names if n not in DATE_FILTERS]
        if unknown:
            raise ValueError(f"unknown filter {unknown[0]!r}: the filters are {DATE_FILTERS}")
        dated = any(f.connection is not None and f.connection.timestamp_field is not None
                    for f in schema.fields_of(self.type).values())
        if names and not dated:
            raise SchemaError(f'filters= on type "{self.type.name}", which has no connection '
                              "with a timestamp_field: the filters would apply to nothing")
        self.filters = names
        self.limits = limits
        compile(schema, self.type.name, self.default, limits=limits)  # a bad default fails now

    def plan(self, query: Mapping[str, Any]) -> Plan:
        """The plan for a request's query parameters (a mapping of name to string; a
        multi-valued mapping gives its first value as frameworks' ``get`` do). Raises a
        :class:`RequestError` for a bad request."""
        text = query.get(self.param)
        if not text:
            text = self.default
        found = {n: query.get(n) for n in self.filters}
        chosen = {n: v for n, v in found.items() if v not in (None, "")}
        return compile(self.schema, self.type.name, text, filters=chosen or None,
                       limits=self.limits)

    @property
    def description(self) -> str:
        return describe(self.schema, self.type.name)

    @property
    def example(self) -> str:
        return example(self.schema, self.type.name)

    def filter_description(self, name: str) -> str:
        kind = "a date, yyyy-mm-dd (UTC)" if name.endswith("date") else "UNIX seconds"
        bound = "from" if name.startswith("from") else "up to"
        return (f"Keep only nodes {bound} this time ({kind}, inclusive) in every connection "
                f"of {self.type.name} that has dates.")


_SYNTAX = """\
A comma-separated selection of {type} fields, as in the Facebook Graph API. For example, \
`id,author{{name}}` nests a selection in `{{}}`; calls go before it: \
`comments.first(10).after("cursor")`; `.as(name)` renames a field in the output. \
A connection selects `page_info{{has_next_page,end_cursor}}` and `edges{{cursor,node{{...}}}}`. \
An object without `{{}}` gives its default fields. Without this parameter: `{default}`."""


def _line(f: ResolvedField) -> str:
    out = f"- `{f.name}` ({type_label(f)})"
    desc = field_description(f)
    if desc:
        out += f": {desc}"
    calls = calls_of(f)
    if calls:
        out += ". Calls: " + ", ".join(f"`{c}`" for c in calls)
    return out


def _reachable(schema: Schema, t: ObjectType) -> list[ObjectType]:
    seen = {t.name: t}
    todo = [t]
    while todo:
        for f in schema.fields_of(todo.pop(0)).values():
            ot = f.object_type
            if ot is not None and ot.name not in seen:
                seen[ot.name] = ot
                todo.append(ot)
    return list(seen.values())[1:]


def describe(schema: Schema, type: str) -> str:
    """Markdown describing the ``fields`` parameter of ``type``: the syntax, then every
    field of the type with its type, calls and description, then the types below it."""
    t = schema.type(type)
    parts = [_SYNTAX.format(type=t.name, default=",".join(t.defaults))]
    head = f"Fields of {t.name}" + (f" ({t.description})" if t.description else "") + ":"
    lines = [_line(f) for f in schema.fields_of(t).values()]
    parts.append(head + "\n\n" + "\n".join(lines))
    for other in _reachable(schema, t):
        listed = ", ".join(f"`{f.name}` ({type_label(f)})"
                           for f in schema.fields_of(other).values())
        parts.append(f"{other.name}: {listed}.")
    return "\n\n".join(parts)


def _needs_call(f: ResolvedField) -> bool:
    return any(p.required for p in f.calls.values())


def _leaves(schema: Schema, t: ObjectType, n: int) -> list[str]:
    fields = schema.fields_of(t).values()
    names = [f.name for f in fields if f.kind == "scalar" and not _needs_call(f)][:n]
    return names or list(t.defaults)


def example(schema: Schema, type: str) -> str:
    """A valid, representative ``fields`` value for ``type``: a few scalars, an object
    field, and a page of a connection with its ``page_info``."""
    t = schema.type(type)
    fields = schema.fields_of(t).values()
    parts = _leaves(schema, t, 3)
    obj = next((f for f in fields
                if f.kind == "object" and not f.is_list and not _needs_call(f)), None)
    if obj is not None and obj.object_type is not None:
        parts.append(f"{obj.name}{{{','.join(_leaves(schema, obj.object_type, 2))}}}")
    conn = next((f for f in fields if f.kind == "connection"), None)
    if conn is not None and conn.connection is not None and conn.object_type is not None:
        n = min(conn.connection.max_first, 10)
        node = ",".join(_leaves(schema, conn.object_type, 2))
        parts.append(f"{conn.name}.first({n}){{page_info{{has_next_page,end_cursor}},"
                     f"edges{{node{{{node}}}}}}}")
    return ",".join(dict.fromkeys(parts))
