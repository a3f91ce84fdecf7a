"""Declaring what can be selected: scalars, object types, fields and connections.

A schema reads about as compactly as an API's own listing::

    Owner = ObjectType("Owner", {"id": ID, "username": String}, defaults=["id"])
    Media = ObjectType("Media", {
        "id": ID,
        "caption": ListOf(String),
        "owner": "Owner",                       # another type, by name or object
        "comments": Connection("Comment", max_first=100, timestamp_field="timestamp"),
    })
    schema = Schema([Owner, Media, Comment])

Resolvers receive ``(parent, context)``; batch resolvers receive ``(parents, context)``
and return one value per parent, in order; connection resolvers receive
``(parent, ConnectionArgs, context)`` and return a full sequence (graphfields slices it)
or a :class:`graphfields.relay.Page` they sliced themselves; connection batch resolvers
receive ``(parents, ConnectionArgs, context)`` and return one of those per parent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeAlias

from graphfields.calls import CONNECTION_CALLS, Param
from graphfields.errors import SchemaError
from graphfields.scalars import ID, Boolean, Datetime, Float, Int, Scalar, String
from graphfields.suggest import did_you_mean, suggestions
from graphfields.syntax.ast import NAME

__all__ = [
    "ID",
    "Boolean",
    "Connection",
    "ConnectionArgs",
    "Datetime",
    "FieldDef",
    "Float",
    "Int",
    "ListOf",
    "ObjectType",
    "Scalar",
    "Schema",
    "String",
    "field_",
]

Resolver: TypeAlias = Callable[[Any, Any], Any]
BatchResolver: TypeAlias = Callable[[Sequence[Any], Any], Sequence[Any]]
ConnectionResolver: TypeAlias = Callable[[Any, "ConnectionArgs", Any], Any]
ConnectionBatchResolver: TypeAlias = Callable[[Sequence[Any], "ConnectionArgs", Any], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list of scalars or of objects (``ListOf(String)``, ``ListOf("Comment")``)."""

    of: Scalar | ObjectType | str


@dataclass(frozen=True, slots=True)
class ConnectionArgs:
    """The checked slicing and filtering arguments of one connection field.

    ``after``/``before`` are decoded cursor offsets. ``since``/``until`` are inclusive
    UNIX-second bounds on the connection's ``timestamp_field`` (from ``from_date``,
    ``to_date``, ``from_timestamp``, ``to_timestamp``). ``offset`` (Facebook's
    ``offset(k)``) skips ``k`` more items after ``after`` and before ``first``/``last``
    apply: see :func:`graphfields.relay.window`.
    """

    first: int | None = None
    last: int | None = None
    after: int | None = None
    before: int | None = None
    since: int | None = None
    until: int | None = None
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Connection:
    """A Relay cursor connection over nodes of type ``node``.

    - ``default_first``: page size when neither ``first`` nor ``last`` is given
      (``None``: the whole collection).
    - ``max_first``: the largest ``first``/``last`` accepted.
    - ``order_by``: the node field the collection is ordered by (documentation, and
      the key a store sorts on).
    - ``timestamp_field``: node field the date filters apply to (None: no filters).
    - ``descending``: whether the collection is sorted newest first by that field.
    - ``always``: node fields included in every node even when not selected.
    - ``resolve``: ``(parent, ConnectionArgs, context) -> Sequence | Page``; default reads
      the field from the parent like any other field.
    - ``batch``: ``(parents, ConnectionArgs, context) -> [Sequence | Page, ...]``: the
      connection of every parent at one place of the request in one call (one SQL query
      for the comments of a whole page of posts instead of one per post). It returns one
      value per parent, in order, each what ``resolve`` would return (a full sequence that
      graphfields filters and slices, a :class:`~graphfields.relay.Page` it cut itself, or
      ``None``); a result of another length is an execution error naming the field. The
      executor defers it like ``field_(batch=...)``: parents are collected during the walk
      and the resolver runs once per place and level. Give ``resolve`` or ``batch``, not
      both (a :class:`SchemaError`), and no ``resolve``/``batch`` on the field as well.
    """

    node: ObjectType | str
    default_first: int | None = None
    max_first: int = 100
    order_by: str | None = None
    timestamp_field: str | None = None
    descending: bool = True
    always: tuple[str, ...] = ()
    resolve: ConnectionResolver | None = None
    description: str = ""
    batch: ConnectionBatchResolver | None = None

    def __post_init__(self) -> None:
        # Accept any sequence of names (a list reads naturally) but stay hashable.
        if not isinstance(self.always, str | tuple):
            object.__setattr__(self, "always", tuple(self.always))
        if self.resolve is not None and self.batch is not None:
            raise SchemaError(
                "Connection takes resolve= (one parent) or batch= (all parents), not both"
            )


TypeRef: TypeAlias = "Scalar | ListOf | ObjectType | Connection | str"


@dataclass(frozen=True, slots=True)
class FieldDef:
    """A field with options. A bare type in an ObjectType's mapping means ``FieldDef(type)``.

    - ``source``: the key or attribute to read from the parent (default: the field name).
    - ``resolve``: ``(parent, context) -> value``; overrides reading by ``source``.
    - ``batch``: ``(parents, context) -> values``; resolves the field for every parent of a
      list or page in one call (DataLoader style).
    - ``calls``: the calls the field accepts, ``{name: graphfields.calls.Param}``
      (:mod:`graphfields.calls`); a field with calls passes their converted values to its
      resolver: ``resolve(parent, args, context)`` / ``batch(parents, args, context)``,
      ``args`` a dict with every declared call (absent ones at their default).
    """

    type: TypeRef
    source: str | None = None
    resolve: Resolver | None = None
    batch: BatchResolver | None = None
    description: str = ""
    calls: tuple[tuple[str, Param], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.calls, Mapping):
            object.__setattr__(self, "calls", tuple(self.calls.items()))


def field_(
    type: TypeRef,
    *,
    source: str | None = None,
    resolve: Callable[..., Any] | None = None,
    batch: Callable[..., Any] | None = None,
    description: str = "",
    calls: Mapping[str, Param] | None = None,
) -> FieldDef:
    """Shorthand for :class:`FieldDef` with keyword options."""
    return FieldDef(type, source=source, resolve=resolve, batch=batch, description=description,
                    calls=tuple((calls or {}).items()))


class ObjectType:
    """A named type with fields: a declaration, never changed by a :class:`Schema`.

    ``defaults`` are the fields returned when a field of this type is selected without a
    nested selection (``owner`` alone gives ``owner{id}``). Field types given by name
    resolve in the schema the type is used in (:meth:`Schema.fields_of`), so one type may
    be part of several schemas, each with its own bindings.
    """

    __slots__ = ("_raw", "defaults", "description", "name")

    def __init__(
        self,
        name: str,
        fields: Mapping[str, FieldDef | TypeRef],
        *,
        defaults: Sequence[str] = ("id",),
        description: str = "",
    ) -> None:
        self.name = name
        self._raw = dict(fields)
        if isinstance(defaults, str):
            raise SchemaError(
                f'Type "{name}": defaults must be a sequence of field names, not a string')
        self.defaults = tuple(defaults)
        self.description = description

    @property
    def declared(self) -> Mapping[str, FieldDef | TypeRef]:
        """The fields as declared (types possibly given by name)."""
        return MappingProxyType(self._raw)

    def __repr__(self) -> str:
        return f"ObjectType({self.name!r})"


@dataclass(frozen=True, slots=True)
class ResolvedField:
    """A field after the schema resolved type names: what validation and execution use.

    ``kind`` is one of ``"scalar"``, ``"object"``, ``"connection"``; ``is_list`` marks
    list-of-scalar and list-of-object fields. For object and connection fields,
    ``object_type`` is the (node) type; for connections ``connection`` holds the options.
    ``calls`` are the field's declared calls (connections: the connection call table).
    """

    name: str
    kind: str
    is_list: bool
    scalar: Scalar | None
    object_type: ObjectType | None
    connection: Connection | None
    definition: FieldDef

    @property
    def source(self) -> str:
        return self.definition.source or self.name

    @property
    def calls(self) -> Mapping[str, Param]:
        if self.connection is not None:
            dated = self.connection.timestamp_field is not None
            return {n: row.param for n, row in CONNECTION_CALLS.items() if dated or not row.dated}
        return dict(self.definition.calls)


class Schema:
    """A set of object types whose names resolve against each other.

    Type references by name (``"Owner"``) may point forward or form cycles; every
    reference, default field and connection option is checked here, once, so that a
    mistake in the declaration is a :class:`SchemaError` at import time rather than a
    surprise in a request. The resolved fields belong to the schema
    (:meth:`fields_of`): the types themselves are not changed.
    """

    def __init__(self, types: Iterable[ObjectType]) -> None:
        self.types: dict[str, ObjectType] = {}
        self._fields: dict[str, dict[str, ResolvedField]] = {}
        # Compiled plans and shapes of this schema (graphfields.compiler owns them).
        self._caches: Any = None
        if isinstance(types, ObjectType | str) or not isinstance(types, Iterable):
            raise SchemaError(f"Schema expects a list of ObjectType instances, got {types!r}")
        for t in types:
            if not isinstance(t, ObjectType):
                raise SchemaError(f"Schema expects ObjectType instances, got {t!r}")
            if t.name in self.types and self.types[t.name] is not t:
                raise SchemaError(f'Type "{t.name}" is declared twice')
            self.types[t.name] = t
        for t in list(self.types.values()):
            self._resolve(t)
        self._check_default_cycles()

    def fields_of(self, type: ObjectType | str) -> Mapping[str, ResolvedField]:
        """The fields of ``type`` (a type of this schema, or its name) as resolved here."""
        name = type if isinstance(type, str) else type.name
        try:
            return self._fields[name]
        except KeyError:
            self.type(name)  # the SchemaError with suggestions
            raise SchemaError(f'Type "{name}" is not part of this schema') from None

    def _check_default_cycles(self) -> None:
        """Defaults expand without ``{}``; a cycle through them would never end."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done

        def expands_to(t: ObjectType) -> list[ObjectType]:
            out = []
            for d in t.defaults:
                ot = self._fields[t.name][d].object_type
                if ot is not None:
                    out.append(ot)
            return out

        def visit(t: ObjectType, path: list[str]) -> None:
            state[t.name] = 1
            for nxt in expands_to(t):
                if state.get(nxt.name) == 1:
                    cycle = " -> ".join([*path[path.index(nxt.name):], nxt.name])
                    raise SchemaError(f"Default fields form a cycle: {cycle}")
                if nxt.name not in state:
                    visit(nxt, [*path, nxt.name])
            state[t.name] = 2

        for t in list(self.types.values()):
            if t.name not in state:
                visit(t, [t.name])

    def __getitem__(self, name: str) -> ObjectType:
        return self.type(name)

    def to_json(self) -> dict[str, Any]:
        """The schema as JSON for clients (types, fields, descriptions, connections, calls):
        see :mod:`graphfields.schema_json`; ``graphfields check --schema-file`` reads it."""
        from graphfields.schema_json import to_json

        return to_json(self)

    def __contains__(self, name: object) -> bool:
        return name in self.types

    def type(self, name: str) -> ObjectType:
        """The type called ``name``; a :class:`SchemaError` with suggestions otherwise."""
        try:
            return self.types[name]
        except KeyError:
            hint = did_you_mean(suggestions(name, self.types))
            raise SchemaError(f'Unknown type "{name}".{hint}') from None

    def _lookup(self, ref: ObjectType | str, where: str) -> ObjectType:
        if isinstance(ref, ObjectType):
            known = self.types.get(ref.name)
            if known is None:
                self.types[ref.name] = ref
                self._resolve(ref)
            elif known is not ref:
                raise SchemaError(f'{where} refers to another type also named "{ref.name}"')
            return ref
        if not isinstance(ref, str):
            raise SchemaError(f"{where}: {ref!r} is not a type")
        if ref not in self.types:
            hint = did_you_mean(suggestions(ref, self.types))
            raise SchemaError(f'{where} refers to unknown type "{ref}".{hint}')
        return self.types[ref]

    def _resolve(self, t: ObjectType) -> None:
        if t.name in self._fields:
            return
        if not NAME.fullmatch(t.name):
            raise SchemaError(f'Type name "{t.name}" is not a valid name')
        if not t._raw:
            raise SchemaError(f'Type "{t.name}" has no fields')
        resolved: dict[str, ResolvedField] = {}
        self._fields[t.name] = resolved  # set first, so recursive references terminate
        for name, spec in t._raw.items():
            if not isinstance(name, str) or not NAME.fullmatch(name):
                raise SchemaError(f'Type "{t.name}": {name!r} is not a valid field name')
            fdef = spec if isinstance(spec, FieldDef) else FieldDef(spec)
            where = f'Field "{t.name}.{name}"'
            resolved[name] = self._resolve_field(name, fdef, where)
        for d in t.defaults:
            if d not in t._raw:
                hint = did_you_mean(suggestions(d, t._raw))
                raise SchemaError(f'Type "{t.name}": default field "{d}" is not a field.{hint}')

    def _resolve_field(self, name: str, fdef: FieldDef, where: str) -> ResolvedField:
        _check_calls(fdef, where)
        ftype = fdef.type
        if isinstance(ftype, Scalar):
            return ResolvedField(name, "scalar", False, ftype, None, None, fdef)
        if isinstance(ftype, ListOf):
            if isinstance(ftype.of, Scalar):
                return ResolvedField(name, "scalar", True, ftype.of, None, None, fdef)
            if isinstance(ftype.of, ListOf | Connection):
                raise SchemaError(f"{where}: ListOf takes a scalar or an object type")
            ot = self._lookup(ftype.of, where)
            return ResolvedField(name, "object", True, None, ot, None, fdef)
        if isinstance(ftype, Connection):
            if fdef.calls:
                raise SchemaError(f"{where}: a connection takes the connection calls; "
                                  "declare no calls= on it")
            if isinstance(ftype.node, Scalar | ListOf | Connection):
                raise SchemaError(f"{where}: a connection's node must be an object type")
            ot = self._lookup(ftype.node, where)
            _check_connection(ftype, ot, where)
            if ftype.batch is not None and (fdef.resolve is not None or fdef.batch is not None):
                raise SchemaError(
                    f"{where}: a connection with batch= takes no resolve= or batch= on the "
                    "field as well"
                )
            return ResolvedField(name, "connection", False, None, ot, ftype, fdef)
        ot = self._lookup(ftype, where)
        return ResolvedField(name, "object", False, None, ot, None, fdef)


def _check_calls(fdef: FieldDef, where: str) -> None:
    for call, param in fdef.calls:
        if not isinstance(call, str) or not NAME.fullmatch(call) or call == "as":
            raise SchemaError(f"{where}: {call!r} is not a valid call name")
        if not isinstance(param, Param):
            raise SchemaError(
                f'{where}: call "{call}" must be declared with graphfields.calls '
                f"(calls.integer(), calls.enum(...), ...), not {param!r}")
    if fdef.calls and fdef.resolve is None and fdef.batch is None:
        raise SchemaError(f"{where} declares calls but no resolve= or batch= to receive "
                          "their values")


def _check_connection(c: Connection, node: ObjectType, where: str) -> None:
    if isinstance(c.max_first, bool) or not isinstance(c.max_first, int) or c.max_first < 1:
        raise SchemaError(f"{where}: max_first must be a positive integer, not {c.max_first!r}")
    df = c.default_first
    if df is not None and (isinstance(df, bool) or not isinstance(df, int) or df < 0):
        raise SchemaError(f"{where}: default_first must be a non-negative integer, not {df!r}")
    if df is not None and df > c.max_first:
        raise SchemaError(f"{where}: default_first {df} is above max_first {c.max_first}")
    if isinstance(c.always, str):
        raise SchemaError(f"{where}: always must be a sequence of field names, not a string")
    for option, value in (("order_by", c.order_by), ("timestamp_field", c.timestamp_field)):
        if value is not None and value not in node._raw:
            hint = did_you_mean(suggestions(value, node._raw))
            raise SchemaError(
                f'{where}: {option} "{value}" is not a field of node type "{node.name}".{hint}'
            )
    for extra in c.always:
        if extra not in node._raw:
            hint = did_you_mean(suggestions(extra, node._raw))
            raise SchemaError(
                f'{where}: always field "{extra}" is not a field of node type "{node.name}".{hint}'
            )
    if c.timestamp_field is not None:
        spec = node._raw[c.timestamp_field]
        ttype = spec.type if isinstance(spec, FieldDef) else spec
        if ttype is not Int and ttype is not Datetime:
            raise SchemaError(
                f'{where}: timestamp_field "{c.timestamp_field}" must be an Int (UNIX seconds) '
                "or Datetime field"
            )
