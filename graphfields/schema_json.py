"""A schema as JSON: what a server publishes so clients can check requests without its code.

``to_json(schema)`` (also ``Schema.to_json()``) describes every type, field, description,
connection option and call; ``from_json(data)`` builds a :class:`~graphfields.schema.Schema`
from it that validates exactly like the original (no resolvers: it cannot execute), which is
what ``graphfields check --schema-file schema.json TYPE FIELDS`` uses. The labels used here
(``[String]``, ``Connection(Comment)``, ``first(n: 0..100)``) are also the ones the framework
integrations print in their OpenAPI descriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphfields.errors import SchemaError
from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    Datetime,
    FieldDef,
    Float,
    Int,
    ListOf,
    ObjectType,
    ResolvedField,
    Scalar,
    Schema,
    String,
)
from graphfields.validate import DATE_FILTERS

__all__ = ["FORMAT", "calls_of", "field_description", "from_json", "to_json", "type_label"]

FORMAT = "graphfields-schema/1"
"""The value of the document's ``format`` key."""

_BUILTIN = {s.name: s for s in (ID, String, Int, Float, Boolean, Datetime)}


def type_label(field: ResolvedField) -> str:
    """``ID``, ``[String]``, ``Owner``, ``[Comment]`` or ``Connection(Comment)``."""
    if field.kind == "connection":
        assert field.object_type is not None
        return f"Connection({field.object_type.name})"
    name = field.scalar.name if field.scalar is not None else field.object_type.name  # type: ignore[union-attr]
    return f"[{name}]" if field.is_list else name


def field_description(field: ResolvedField) -> str:
    """The field's own description, else its connection's."""
    if field.definition.description:
        return field.definition.description
    return field.connection.description if field.connection is not None else ""


def calls_of(field: ResolvedField) -> list[str]:
    """The calls a field takes, as ``name(param: kind)`` labels (connections only today)."""
    conn = field.connection
    if conn is None:
        return []
    n = f"n: 0..{conn.max_first}"
    out = [f"first({n})", f"last({n})", "after(cursor)", "before(cursor)"]
    if conn.timestamp_field is not None:
        out += [f"{name}({'yyyy-mm-dd' if name.endswith('date') else 'seconds'})"
                for name in DATE_FILTERS]
    return out


def _field_json(field: ResolvedField) -> dict[str, Any]:
    out: dict[str, Any] = {"name": field.name, "kind": field.kind, "type": type_label(field)}
    if field.kind == "connection":
        conn = field.connection
        assert conn is not None and field.object_type is not None
        out["node"] = field.object_type.name
        out["connection"] = {
            "default_first": conn.default_first, "max_first": conn.max_first,
            "order_by": conn.order_by, "timestamp_field": conn.timestamp_field,
            "descending": conn.descending, "always": list(conn.always),
        }
        out["calls"] = calls_of(field)
    else:
        out["of"] = field.scalar.name if field.scalar is not None else field.object_type.name  # type: ignore[union-attr]
        out["list"] = field.is_list
    desc = field_description(field)
    if desc:
        out["description"] = desc
    return out


def to_json(schema: Schema) -> dict[str, Any]:
    """The JSON-ready description of ``schema`` (``json.dumps`` it to publish)."""
    types = []
    for t in schema.types.values():
        entry: dict[str, Any] = {"name": t.name}
        if t.description:
            entry["description"] = t.description
        entry["defaults"] = list(t.defaults)
        entry["fields"] = [_field_json(f) for f in t.fields.values()]
        types.append(entry)
    return {"format": FORMAT, "types": types}


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise SchemaError(f'{where}: missing "{key}"')
    return mapping[key]


def _scalar(name: Any, where: str) -> Scalar:
    if not isinstance(name, str):
        raise SchemaError(f"{where}: {name!r} is not a type name")
    return _BUILTIN.get(name) or Scalar(name)


def _field_from_json(spec: Any, where: str, type_names: set[str]) -> FieldDef:
    kind = _need(spec, "kind", where)
    desc = spec.get("description", "")
    if kind == "connection":
        opts = _need(spec, "connection", where)
        if not isinstance(opts, Mapping):
            raise SchemaError(f'{where}: "connection" must be an object')
        try:
            conn = Connection(
                _need(spec, "node", where),
                default_first=opts.get("default_first"), max_first=opts.get("max_first", 100),
                order_by=opts.get("order_by"), timestamp_field=opts.get("timestamp_field"),
                descending=bool(opts.get("descending", True)),
                always=tuple(opts.get("always", ())),
            )
        except TypeError as exc:
            raise SchemaError(f"{where}: {exc}") from None
        return FieldDef(conn, description=desc)
    if kind not in ("scalar", "object"):
        raise SchemaError(f'{where}: unknown kind "{kind}"')
    of = _need(spec, "of", where)
    target: Scalar | str
    if kind == "scalar":
        target = _scalar(of, where)
    elif kind == "object":
        if of not in type_names:
            raise SchemaError(f'{where} refers to unknown type "{of}"')
        target = of
    return FieldDef(ListOf(target) if spec.get("list") else target, description=desc)


def from_json(data: Any) -> Schema:
    """A validating :class:`Schema` from :func:`to_json`'s output (already ``json.loads``-ed).

    A document that is not one is a :class:`SchemaError` saying what is wrong and where.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SchemaError(f'not a graphfields schema document (expected "format": "{FORMAT}")')
    specs = _need(data, "types", "schema")
    if not isinstance(specs, list):
        raise SchemaError('schema: "types" must be a list')
    names = {str(s.get("name")) for s in specs if isinstance(s, Mapping)}
    types = []
    for i, spec in enumerate(specs):
        name = _need(spec, "name", f"types[{i}]")
        if not isinstance(name, str):
            raise SchemaError(f"types[{i}]: the name must be a string")
        fields_spec = _need(spec, "fields", f'Type "{name}"')
        if not isinstance(fields_spec, list):
            raise SchemaError(f'Type "{name}": "fields" must be a list')
        fields: dict[str, FieldDef] = {}
        for f in fields_spec:
            fname = _need(f, "name", f'Type "{name}"')
            fields[str(fname)] = _field_from_json(f, f'Field "{name}.{fname}"', names)
        types.append(ObjectType(name, fields, defaults=tuple(spec.get("defaults", ("id",))),
                                description=spec.get("description", "")))
    return Schema(types)

