"""Selection push-down into the Django ORM (extra ``django``).

:class:`Models` builds graphfields object types from Django models and runs a compiled
plan as a few exact queries: the root row, then one query per relationship of the request
for all parents of that level (``__in`` on the join keys: foreign keys, reverse foreign
keys, many-to-many through their through table), each selecting only the columns the
request reads plus the join keys (``values_list``: the columns of ``only()`` without
building model instances). A connection's per-parent pages are one query too (``Window``
with ``RowNumber()`` partitioned by the parent, and a windowed ``Count`` for
``last``/``before``), cut to the same offsets and exact flags as the plain executor. The
loaded rows are plain dicts that :func:`graphfields.execute` turns into the output.

Collections are read through each model's default manager (as Django's related managers
are), a foreign key's target through its base manager (as Django's forward accessors are).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from django.db import models as dm
from django.db.models.functions import RowNumber

from graphfields import _orm
from graphfields.errors import SchemaError
from graphfields.execution import execute as _execute
from graphfields.plan import Plan
from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    ConnectionArgs,
    Datetime,
    FieldDef,
    Float,
    Int,
    ListOf,
    ObjectType,
    Scalar,
    Schema,
    String,
)

__all__ = ["Models"]

Row: TypeAlias = dict[Any, Any]
Steps: TypeAlias = Generator[Any, Sequence[Sequence[Any]], list[Row]]

_SCALARS: tuple[tuple[type, Scalar], ...] = (
    (dm.BooleanField, Boolean), (dm.IntegerField, Int), (dm.FloatField, Float),
    (dm.DecimalField, Float), (dm.DateTimeField, Datetime), (dm.DateField, Datetime),
    (dm.CharField, String), (dm.TextField, String),
)


@dataclass(frozen=True)
class _Rel:
    """How to load one relationship for many parents at once: a query on ``base``
    filtered by ``match__in`` (the parents' ``local`` values), the target's columns read
    through ``prefix`` (``"tag__"`` across a many-to-many's through table)."""

    key: str
    target: str
    collection: bool
    local: str
    base: Any  # the model queried
    manager: str  # "_default_manager" or "_base_manager"
    match: str
    prefix: str
    order: tuple[Any, ...]  # order_by() expressions
    connection: Connection | None
    timestamp: Any  # the timestamp field (a Django field), or None


@dataclass(frozen=True)
class _Model:
    name: str
    model: Any
    columns: dict[str, str]  # field name -> attname
    relations: dict[str, _Rel]


class Models:
    """Object types for Django models, and the loader that runs plans over them.

    The options are those of :class:`graphfields.sqlalchemy.Models`, attributes named
    ``"Model.field"`` (reverse relations by their accessor name, ``"Author.post_set"``
    or the ``related_name``): ``connections=``, ``lists=``, ``scalars=``, ``exclude=``,
    ``defaults=``. Concrete fields become scalars (the primary key ``ID``, a foreign key's
    column ``author_id`` an ``Int``), foreign keys and one-to-one fields object fields,
    reverse foreign keys and many-to-many relations connections (or lists). ``using=``
    names the database of every query.
    """

    def __init__(
        self,
        models: Iterable[type],
        *,
        connections: Mapping[str, Connection | Mapping[str, Any]] | None = None,
        lists: Iterable[str] = (),
        scalars: Mapping[str, Scalar] | None = None,
        exclude: Iterable[str] = (),
        defaults: Mapping[str, Sequence[str]] | None = None,
        using: str | None = None,
    ) -> None:
        classes: dict[str, Any] = {}
        for cls in models:
            if not (isinstance(cls, type) and issubclass(cls, dm.Model)):
                raise SchemaError(f"{cls!r} is not a Django model")
            _orm.unique_name(classes, cls)
            classes[cls.__name__] = cls
        options = _orm.Options.of(
            {n: [a for f in _fields(c) for a in {_attr_name(f), getattr(f, "attname", "")} if a]
             for n, c in classes.items()},
            connections, lists, scalars, exclude)
        self.using = using
        self._models: dict[str, _Model] = {}
        self.types: dict[str, ObjectType] = {}
        for name, cls in classes.items():
            fields: dict[str, FieldDef | Any] = {}
            columns: dict[str, str] = {}
            relations: dict[str, _Rel] = {}
            pk = cls._meta.pk
            for f in _fields(cls):
                key = _attr_name(f)
                where = f"{name}.{key}"
                if where in options.exclude:
                    continue
                if f.concrete and not f.is_relation:
                    columns[key] = f.attname
                    fields[key] = options.scalars.get(where) or (
                        ID if f is pk else _scalar_of(f, where))
                    continue
                if f.concrete and (f.many_to_one or f.one_to_one):
                    column = f.attname  # the foreign key's own column: author_id
                    if f"{name}.{column}" not in options.exclude:
                        columns[column] = f.attname
                        fields[column] = options.scalars.get(f"{name}.{column}") or (
                            ID if f is pk else Int)
                rel, fdef = _relation(f, key, where, classes, options)
                relations[key] = rel
                fields[key] = fdef
            self._models[name] = _Model(name, cls, columns, relations)
            pk_name = pk.name if pk.name in columns else pk.attname
            self.types[name] = ObjectType(name, fields,
                                          defaults=(defaults or {}).get(name, (pk_name,)))
        self.schema = Schema(self.types.values())

    # -- running plans ---------------------------------------------------------------

    def load(self, plan: Plan, root: Any) -> Row | None:
        """The root row of ``plan`` (a primary key value, or a model instance) loaded with
        everything the request reads; ``None`` when no row has that key."""
        rows = _drive(self._steps(plan, self._by_key(plan, root)))
        return rows[0] if rows else None

    def load_all(self, plan: Plan, queryset: Any) -> list[Row]:
        """The rows of ``queryset`` (its filters, ordering and slice kept, its columns
        those the request reads), each loaded."""
        return _drive(self._steps(plan, self._checked(plan, queryset)))

    def execute(self, plan: Plan, root: Any, *, context: Any = None) -> dict[str, Any] | None:
        """``graphfields.execute`` of ``plan`` over the loaded root row (``None`` when no
        row has that key)."""
        row = self.load(plan, root)
        return None if row is None else _execute(plan, row, context=context)

    def execute_all(self, plan: Plan, queryset: Any, *,
                    context: Any = None) -> list[dict[str, Any]]:
        """The output of ``plan`` for each row of ``queryset``."""
        return [_execute(plan, row, context=context) for row in self.load_all(plan, queryset)]

    async def load_async(self, plan: Plan, root: Any) -> Row | None:
        """:meth:`load` from async code (Django's async queryset iteration)."""
        rows = await _drive_async(self._steps(plan, self._by_key(plan, root)))
        return rows[0] if rows else None

    async def load_all_async(self, plan: Plan, queryset: Any) -> list[Row]:
        """:meth:`load_all` from async code."""
        return await _drive_async(self._steps(plan, self._checked(plan, queryset)))

    async def execute_async(self, plan: Plan, root: Any, *,
                            context: Any = None) -> dict[str, Any] | None:
        """:meth:`execute` from async code: the queries are awaited, the output is built
        from the loaded rows."""
        row = await self.load_async(plan, root)
        return None if row is None else _execute(plan, row, context=context)

    async def execute_all_async(self, plan: Plan, queryset: Any, *,
                                context: Any = None) -> list[dict[str, Any]]:
        """:meth:`execute_all` from async code."""
        rows = await self.load_all_async(plan, queryset)
        return [_execute(plan, row, context=context) for row in rows]

    # -- the queries -----------------------------------------------------------------

    def _model_of(self, plan: Plan) -> _Model:
        return self._models[_orm.built_by(plan, self.types)]

    def _by_key(self, plan: Plan, root: Any) -> Any:
        model = self._model_of(plan)
        if isinstance(root, dm.Model):
            if root.pk is None:
                raise ValueError(f"{root!r} has no primary key yet (save it first)")
            root = root.pk
        return self._manager(model.model, "_default_manager").filter(pk=root)

    def _checked(self, plan: Plan, queryset: Any) -> Any:
        model = self._model_of(plan)
        if not isinstance(queryset, dm.QuerySet) or queryset.model is not model.model:
            raise TypeError(f"a QuerySet of {model.name} is needed, not {queryset!r:.80}")
        return queryset

    def _manager(self, cls: Any, which: str) -> Any:
        manager = getattr(cls, which)
        return manager.using(self.using) if self.using else manager.all()

    def _steps(self, plan: Plan, query: Any) -> Steps:
        model = self._model_of(plan)
        need = _orm.needs(plan)
        keys = self._keys(model, need)
        rows = yield query.values_list(*[model.columns[k] for k in keys])
        make = _orm.row_maker(keys)
        roots = [make(row) for row in rows]
        yield from _orm.levels(model, need, roots, self._relation)
        return roots

    def _keys(self, model: _Model, need: _orm.Need) -> tuple[str, ...]:
        keys = [k for k in model.columns if k in need.columns]
        for source, _ in need.children:
            local = model.relations[source].local
            if local not in keys:
                keys.append(local)
        return tuple(keys)

    def _relation(self, parent: _Model, source: str, args: ConnectionArgs | None,
                  need: _orm.Need, parents: list[Row]) -> Generator[Any, Any, tuple[Any, Any]]:
        rel = parent.relations[source]
        model = self._models[rel.target]
        values, distinct = _orm.join_values(parents, (rel.local,))
        keys = self._keys(model, need)
        rows: list[Sequence[Any]] = []
        for chunk in _orm.chunks(distinct, 1):
            rows.extend((yield self._query(rel, model, keys, args, chunk)))
        lookups = [rel.prefix + model.columns[k] for k in keys]
        join_at = lookups.index(rel.match) if rel.match in lookups else None
        return model, _orm.distribute(rows, keys, 1, parents, values, source, args,
                                      rel.collection, join_at=join_at, first_position=1)

    def _query(self, rel: _Rel, model: _Model, keys: tuple[str, ...],
               args: ConnectionArgs | None, distinct: list[Any]) -> Any:
        query = self._manager(rel.base, rel.manager).filter(**{f"{rel.match}__in": distinct})
        lookups = [rel.prefix + model.columns[k] for k in keys]
        if rel.match not in lookups:  # values_list() drops a repeated column
            lookups.append(rel.match)
        if args is None:
            if rel.collection:
                query = query.order_by(*rel.order)
            return query.values_list(*lookups)
        ts = rel.timestamp
        if ts is not None and args.since is not None:
            query = query.filter(**{f"{rel.prefix}{ts.attname}__gte": _moment(ts, args.since)})
        if ts is not None and args.until is not None:
            query = query.filter(**{f"{rel.prefix}{ts.attname}__lte": _moment(ts, args.until)})
        bounds = _orm.Bounds.of(args)
        by = [dm.F(rel.match)]
        query = query.annotate(gf_rn=dm.Window(RowNumber(), partition_by=by,
                                               order_by=list(rel.order)))
        lookups.append("gf_rn")
        if bounds.counted:  # the same window, over the whole partition
            query = query.annotate(gf_n=dm.Window(
                dm.Count("pk"), partition_by=by, order_by=list(rel.order),
                frame=dm.RowRange(start=None, end=None)))
            lookups.append("gf_n")
        # Positions are gf_rn - 1 (ROW_NUMBER() counts from 1).
        keep = dm.Q()
        if bounds.low > 0:
            keep &= dm.Q(gf_rn__gt=bounds.low)
        if bounds.high is not None:
            keep &= dm.Q(gf_rn__lte=bounds.high)
        if bounds.last is not None:
            tail = dm.Q(gf_rn__gt=dm.F("gf_n") - bounds.last)
            if bounds.last_floor is not None:
                tail |= dm.Q(gf_rn__gt=bounds.last_floor)
            keep &= tail
        if keep:
            query = query.filter(dm.Q(gf_rn=1) | keep if bounds.marker else keep)
        return query.values_list(*lookups)


def _fields(cls: Any) -> list[Any]:
    """The model's fields and relations graphfields can load (not generic relations)."""
    return [f for f in cls._meta.get_fields()
            if (f.concrete and hasattr(f, "attname")) or (f.is_relation and f.auto_created
                                                          and f.related_model is not None)]


def _attr_name(f: Any) -> str:
    if f.concrete:
        return str(f.name)
    return str(f.get_accessor_name())


def _scalar_of(f: Any, where: str) -> Scalar:
    for field_type, scalar in _SCALARS:
        if isinstance(f, field_type):
            return scalar
    raise SchemaError(f"{where}: no scalar for the field type {type(f).__name__}; give one "
                      f'with scalars={{"{where}": ...}} or leave it out with exclude=')


def _relation(f: Any, key: str, where: str, classes: Mapping[str, Any],
              options: _orm.Options) -> tuple[_Rel, Any]:
    """The loading rule and the field of one relation."""
    target_cls = f.related_model
    target = target_cls.__name__
    if target not in classes or classes[target] is not target_cls:
        raise SchemaError(f"{where} refers to {target}, which is not among the models: "
                          f'add it, or leave the relation out with exclude=["{where}"]')
    pk = target_cls._meta.pk.attname
    if f.many_to_many:
        m2m = f if f.concrete else f.field
        through = m2m.remote_field.through
        mine, theirs = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
        if not f.concrete:
            mine, theirs = theirs, mine
        near = through._meta.get_field(mine)
        base, manager = through, "_base_manager"
        local, match, prefix = near.target_field.attname, near.attname, f"{theirs}__"
    elif f.concrete:  # a foreign key or one-to-one field: the target row
        base, manager = target_cls, "_base_manager"
        local, match, prefix = f.attname, f.target_field.attname, ""
    else:  # a reverse foreign key or one-to-one
        base, manager = target_cls, "_default_manager"
        local, match, prefix = f.field.target_field.attname, f.field.attname, ""
    if not (f.one_to_many or f.many_to_many):
        options.single(where)
        return _Rel(key, target, False, local, base, manager, match, prefix, (), None,
                    None), target
    conn = options.collection(where, target)
    if conn is None:
        ordering = target_cls._meta.ordering or [pk]
        order = tuple(dm.F(prefix + o.lstrip("-")).desc() if o.startswith("-")
                      else dm.F(prefix + o).asc() for o in ordering)
        return _Rel(key, target, True, local, base, manager, match, prefix, order, None,
                    None), FieldDef(ListOf(target), resolve=_orm.list_resolver(key))
    names = [n for n in (conn.order_by or conn.timestamp_field,) if n is not None]
    timestamp = None
    if conn.timestamp_field is not None:
        timestamp = _field(target_cls, conn.timestamp_field, where)
        if not isinstance(timestamp, dm.IntegerField | dm.DateTimeField):
            raise SchemaError(f'{where}: timestamp_field "{conn.timestamp_field}" must be '
                              "an IntegerField (UNIX seconds) or a DateTimeField")
    columns = [_field(target_cls, n, where).attname for n in names]
    columns += [pk] if pk not in columns else []
    order = tuple(dm.F(prefix + c).desc() if conn.descending else dm.F(prefix + c).asc()
                  for c in columns)
    def ordered(parent: Any) -> Any:  # a related manager: in the connection's order
        value = getattr(parent, key)
        return list(value.order_by(*order)) if hasattr(value, "order_by") else value

    conn = replace(conn, resolve=_orm.connection_resolver(key, ordered))
    return _Rel(key, target, True, local, base, manager, match, prefix, order, conn,
                timestamp), conn


def _field(cls: Any, name: str, where: str) -> Any:
    try:
        f = cls._meta.get_field(name)
    except Exception:
        f = None
    if f is None or not f.concrete or f.is_relation:
        raise SchemaError(f'{where}: "{name}" is not a column of {cls.__name__}')
    return f


def _moment(f: Any, seconds: int) -> Any:
    """A bound on a timestamp field: UNIX seconds, or a datetime in UTC (aware when
    Django's USE_TZ is on)."""
    if isinstance(f, dm.IntegerField):
        return seconds
    from django.conf import settings

    moment = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    return moment if settings.USE_TZ else moment.replace(tzinfo=None)


async def _drive_async(steps: Steps) -> list[Row]:
    try:
        query = next(steps)
        while True:
            query = steps.send([row async for row in query])
    except StopIteration as done:
        rows: list[Row] = done.value
        return rows


def _drive(steps: Steps) -> list[Row]:
    try:
        query = next(steps)
        while True:
            query = steps.send(list(query))
    except StopIteration as done:
        rows: list[Row] = done.value
        return rows
