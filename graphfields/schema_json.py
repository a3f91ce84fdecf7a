"""A schema as JSON: what a server publishes so clients can check requests without its code.

``to_json(schema)`` (also ``Schema.to_json()``) describes every type, field, description,
connection option and call; ``from_json(data)`` builds a :class:`~graphfields.schema.Schema`
from it that validates exactly like the original (no resolvers: it cannot execute), which is
what ``graphfields check --schema-file schema.json TYPE FIELDS`` uses. The labels used here
(``[String]``, ``Connection(Comment)``, ``first(n: 0..100)``) are also the ones the framework
integrations print in their OpenAPI descriptions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from graphfields.calls import Param
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
    field_,
)

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


def _argument(name: str, p: Param, field: ResolvedField) -> str:
    if p.kind == "page_size":
        top = field.connection.max_first if field.connection is not None else None
        one = f"n: 0..{top}" if top is not None else "n"
    elif p.kind == "integer":
        lo = "" if p.min is None else str(p.min)
        hi = "" if p.max is None else str(p.max)
        one = f"n: {lo}..{hi}" if lo or hi else "n"
    elif p.kind == "enum":
        one = "|".join(p.choices)
    else:
        one = {"string": "text", "boolean": "true|false", "cursor": "cursor",
               "date": "yyyy-mm-dd", "timestamp": "seconds"}[p.kind]
    return f"{name}({one},...)" if p.many else f"{name}({one})"


def calls_of(field: ResolvedField) -> list[str]:
    """The calls a field takes, as labels: ``first(n: 0..50)``, ``after(cursor)``,
    ``type(small|normal|large)``, ``metric(a|b,...)``."""
    return [_argument(name, p, field) for name, p in field.calls.items()]


def _param_json(p: Param) -> dict[str, Any]:
    default = list(p.default) if isinstance(p.default, tuple) else p.default
    return {"kind": p.kind, "min": p.min, "max": p.max, "choices": list(p.choices),
            "many": p.many, "required": p.required, "default": default,
            "description": p.description}


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
    else:
        out["of"] = field.scalar.name if field.scalar is not None else field.object_type.name  # type: ignore[union-attr]
        out["list"] = field.is_list
    if field.calls:
        out["calls"] = [{"name": name, "label": _argument(name, p, field),
                         "param": _param_json(p)} for name, p in field.calls.items()]
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
        entry["fields"] = [_field_json(f) for f in schema.fields_of(t).values()]
        types.append(entry)
    return {"format": FORMAT, "types": types}


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise SchemaError(f'{where}: missing "{key}"')
    return mapping[key]


def _kind(value: Any, kinds: type | tuple[type, ...], where: str, what: str) -> Any:
    """``value`` if it is of ``kinds`` (a bool is not an int here), else a SchemaError."""
    allowed = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool)):
        return value
    raise SchemaError(f"{where}: {what}, not {json.dumps(value)[:40]}")


def _names(value: Any, where: str, what: str) -> tuple[str, ...]:
    items = _kind(value, list, where, f"{what} must be a list of names")
    return tuple(_kind(v, str, where, f"{what} must be a list of names") for v in items)


def _scalar(name: Any, where: str) -> Scalar:
    _kind(name, str, where, '"of" must be a type name')
    return _BUILTIN.get(name) or Scalar(name)


def _param_from_json(spec: Any, where: str) -> Param:
    _kind(spec, Mapping, where, "a call's param must be an object")
    none_or_int = (int, type(None))
    many = _kind(spec.get("many", False), bool, where, '"many" must be true or false')
    default = spec.get("default")
    if many and isinstance(default, list):
        default = tuple(default)
    try:
        return Param(
            _kind(spec.get("kind"), str, where, "a param's kind is a string"),
            min=_kind(spec.get("min"), none_or_int, where, '"min" must be an integer or null'),
            max=_kind(spec.get("max"), none_or_int, where, '"max" must be an integer or null'),
            choices=_names(spec.get("choices", []), where, "choices"), many=many,
            required=_kind(spec.get("required", False), bool, where,
                           '"required" must be true or false'),
            default=default,
            description=_kind(spec.get("description", ""), str, where,
                              "a description is a string"))
    except ValueError as exc:
        raise SchemaError(f"{where}: {exc}") from None


def _calls_from_json(spec: Any, where: str) -> dict[str, Param]:
    calls = _kind(spec.get("calls", []), list, where, '"calls" must be a list')
    out: dict[str, Param] = {}
    for call in calls:
        name = _kind(_need(call, "name", where), str, where, "a call's name is a string")
        out[name] = _param_from_json(_need(call, "param", where), f"{where}: call {name}")
    return out


def _field_from_json(spec: Any, where: str, type_names: set[str]) -> FieldDef:
    kind = _need(spec, "kind", where)
    desc = _kind(spec.get("description", ""), str, where, "a description is a string")
    if kind == "connection":
        opts = _kind(_need(spec, "connection", where), Mapping, where,
                     '"connection" must be an object')
        none_or_int, none_or_str = (int, type(None)), (str, type(None))
        conn = Connection(
            _kind(_need(spec, "node", where), str, where, '"node" must be a type name'),
            default_first=_kind(opts.get("default_first"), none_or_int, where,
                                "default_first must be an integer or null"),
            max_first=_kind(opts.get("max_first", 100), int, where,
                            "max_first must be an integer"),
            order_by=_kind(opts.get("order_by"), none_or_str, where,
                           "order_by must be a field name or null"),
            timestamp_field=_kind(opts.get("timestamp_field"), none_or_str, where,
                                  "timestamp_field must be a field name or null"),
            descending=_kind(opts.get("descending", True), bool, where,
                             "descending must be true or false"),
            always=_names(opts.get("always", []), where, "always"),
        )
        return FieldDef(conn, description=desc)
    if kind not in ("scalar", "object"):
        raise SchemaError(f'{where}: unknown kind {json.dumps(kind)[:40]}')
    of = _need(spec, "of", where)
    target: Scalar | str
    if kind == "scalar":
        target = _scalar(of, where)
    else:
        if not isinstance(of, str) or of not in type_names:
            raise SchemaError(f'{where} refers to unknown type {json.dumps(of)[:40]}')
        target = of
    is_list = _kind(spec.get("list", False), bool, where, '"list" must be true or false')
    calls = _calls_from_json(spec, where)
    return field_(ListOf(target) if is_list else target, description=desc, calls=calls,
                  resolve=_cannot_execute if calls else None)


def _cannot_execute(parent: Any, args: Any, context: Any) -> Any:
    """The resolver of a field with calls in a published schema (the schema requires one):
    such a schema validates, it does not execute."""
    raise NotImplementedError("a schema read from JSON validates requests; it cannot execute")


def from_json(data: Any) -> Schema:
    """A validating :class:`Schema` from :func:`to_json`'s output (already ``json.loads``-ed).

    A document that is not one is a :class:`SchemaError` saying what is wrong and where.
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise SchemaError(f'not a graphfields schema document (expected "format": "{FORMAT}")')
    specs = _kind(_need(data, "types", "schema"), list, "schema", '"types" must be a list')
    names = {s["name"] for s in specs if isinstance(s, Mapping) and isinstance(s.get("name"), str)}
    types = []
    for i, spec in enumerate(specs):
        name = _kind(_need(spec, "name", f"types[{i}]"), str, f"types[{i}]",
                     "the name must be a string")
        where = f'Type "{name}"'
        fields_spec = _kind(_need(spec, "fields", where), list, where,
                            '"fields" must be a list')
        fields: dict[str, FieldDef] = {}
        for f in fields_spec:
            fname = _kind(_need(f, "name", where), str, where, "a field name is a string")
            fields[fname] = _field_from_json(f, f'Field "{name}.{fname}"', names)
        types.append(ObjectType(
            name, fields, defaults=_names(spec.get("defaults", ["id"]), where, "defaults"),
            description=_kind(spec.get("description", ""), str, where,
                              "a description is a string")))
    return Schema(types)
