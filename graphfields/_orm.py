"""What the ORM push-downs (``graphfields.sqlalchemy``, ``graphfields.django.orm``) share.

- :func:`needs` walks a plan once and says what to load: per object type the columns the
  selection reads and, per relationship (and per distinct connection arguments), what to
  load for its children. It is the only code of the push-downs that reads plan nodes.
- :class:`Bounds` turns a connection's arguments into the conditions on a row's position
  in its parent's (filtered, ordered) collection that a per-parent page query needs, and
  :meth:`Bounds.cut` turns the rows such a query returned for one parent into the exact
  :class:`graphfields.relay.Page` the plain executor would cut (same offsets, same flags).
- Loaded rows are plain dicts keyed by field source; a connection's page sits under
  ``(source, args)`` so that two aliases of one relationship with different calls keep
  their own pages; :func:`connection_resolver` reads it back (or, over ORM objects rather
  than loaded dicts, the relationship's collection as it is).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphfields import relay
from graphfields.errors import SchemaError
from graphfields.plan import ConnectionPlan, Plan, SelectionPlan, args_of, nested
from graphfields.schema import Connection, ConnectionArgs, ObjectType, Scalar
from graphfields.suggest import did_you_mean, suggestions

__all__ = [
    "Bounds",
    "Need",
    "Options",
    "built_by",
    "chunks",
    "connection_of",
    "connection_resolver",
    "distribute",
    "join_values",
    "levels",
    "list_resolver",
    "needs",
    "page_key",
    "row_maker",
    "unique_name",
]

Row: TypeAlias = dict[Any, Any]
ChildKey = tuple[str, ConnectionArgs | None]
"""A relationship to load under a parent: its source, and the connection's arguments
(``None`` for an object or list field)."""


@dataclass
class Need:
    """What to load for the objects of ``type`` at one place of a request."""

    type: ObjectType
    columns: set[str] = field(default_factory=set)
    children: dict[ChildKey, Need] = field(default_factory=dict)


def needs(plan: Plan) -> Need:
    """The load tree of ``plan``: selections of one relationship (with equal arguments)
    at one place are merged, so each edge of the tree is one statement."""
    root = Need(plan.type)

    def walk(sel: SelectionPlan, need: Need) -> None:
        for fp in sel.fields:
            f = fp.field
            if f.kind == "scalar":
                need.columns.add(f.source)
                continue
            assert f.object_type is not None
            args: ConnectionArgs | None = None
            if isinstance(fp, ConnectionPlan):
                args = args_of(plan, fp)  # defaults already applied by compile
            child = need.children.get((f.source, args))
            if child is None:
                child = need.children[(f.source, args)] = Need(f.object_type)
            for inner in nested(fp):
                walk(inner, child)

    walk(plan.selection, root)
    return root


def page_key(source: str, args: ConnectionArgs) -> tuple[str, ConnectionArgs]:
    """The key of a connection's page in a loaded row."""
    return (source, args)


def connection_resolver(source: str, collection: Callable[[Any], Any] | None = None
                        ) -> Callable[[Any, ConnectionArgs, Any], Any]:
    """A connection's ``resolve=``: the loaded page of a loaded row (a dict); for any
    other parent (an ORM object) the relationship's collection (``collection(parent)``,
    by default :func:`related`), sliced by graphfields."""

    def resolve(parent: Any, args: ConnectionArgs, context: Any) -> Any:
        if type(parent) is dict:
            try:
                return parent[(source, args)]
            except KeyError:
                raise LookupError(
                    f"no page of {source!r} was loaded for {args}: was this row loaded "
                    "for this plan?") from None
        return related(parent, source) if collection is None else collection(parent)

    return resolve


def list_resolver(source: str) -> Callable[[Any, Any], Any]:
    """A list relationship's ``resolve=``: a loaded row's list, or an ORM object's."""

    def resolve(parent: Any, context: Any) -> Any:
        return parent.get(source) if type(parent) is dict else related(parent, source)

    return resolve


def related(parent: Any, source: str) -> Any:
    """An ORM object's collection: a list, or a related manager's ``all()`` (Django)."""
    value = getattr(parent, source)
    every = getattr(value, "all", None)
    return list(every()) if callable(every) else value


@dataclass(frozen=True, slots=True)
class Bounds:
    """Which rows of a parent's (filtered, ordered) collection a per-parent page query
    returns, and how the page is cut from them.

    A row at 0-based position ``pos`` of ``n`` is kept when ``pos >= low`` and (``high``
    is None or ``pos < high``) and (``last`` is None or ``pos >= n - last`` or ``pos >=
    last_floor``), or when ``marker`` and ``pos == 0``: every parent with any row returns
    at least one, so the flags of an empty page are exact too. ``n`` (a window
    ``COUNT(*)``) is needed only when ``counted`` (``last`` or ``before``); otherwise
    ``high`` includes one row past the page, which says whether there is a next page.
    """

    args: ConnectionArgs
    low: int
    high: int | None
    last: int | None
    last_floor: int | None
    marker: bool
    counted: bool

    @classmethod
    def of(cls, args: ConnectionArgs) -> Bounds:
        # relay.window: a non-empty page starts at after + 1 + offset; it ends at most at
        # before and at that start + first; last keeps the last rows before that end.
        low = (0 if args.after is None else max(args.after + 1, 0)) + args.offset
        ends = [e for e in (args.before,
                            None if args.first is None else low + args.first) if e is not None]
        end = min(ends) if ends else None
        # Forwards (no last, no before) the window needs the size only up to the page's
        # end: one row more tells it. Otherwise the size is counted.
        counted = args.last is not None or args.before is not None
        floor = None
        if args.last is not None and end is not None:
            floor = end - args.last
        high = end if end is None or counted else end + 1
        return cls(args, low, high, args.last, floor, low > 0 or counted, counted)

    def keeps(self, pos: int, n: int) -> bool:
        """The condition in Python (the SQL builders write the same; tests compare)."""
        if self.marker and pos == 0:
            return True
        if pos < self.low or (self.high is not None and pos >= self.high):
            return False
        if self.last is None:
            return True
        return pos >= n - self.last or (self.last_floor is not None and pos >= self.last_floor)

    def cut(self, rows: list[Any], n: int | None, pos: Callable[[Any], int],
            make: Callable[[Any], Any] | None = None) -> relay.Page:
        """The page of one parent from the rows its query returned, in any order (sorted
        here, in place; ``pos(row)`` is a row's position); ``n`` is its collection's size
        (``None`` unless ``counted``). The page's nodes are ``make(row)`` (the rows)."""
        rows.sort(key=pos)
        if n is None:
            # Forwards, the window depends on the size only up to high: the rows
            # returned tell it that far (and an empty page's flags from the marker row).
            n = pos(rows[-1]) + 1 if rows else 0
        a = self.args
        start, end = relay.window(n, a.first, a.last, a.after, a.before, a.offset)
        if make is None:
            nodes = [row for row in rows if start <= pos(row) < end]
        else:
            nodes = [make(row) for row in rows if start <= pos(row) < end]
        return relay.Page(nodes, start, end < n, start > 0)


# -- declaring: the options both ORMs take ---------------------------------------------------

def unique_name(seen: Mapping[str, Any], cls: type) -> None:
    """A model's type is named after its class: two models of one name are an error."""
    known = seen.get(cls.__name__)
    known = getattr(known, "class_", known)  # a SQLAlchemy mapper: its class
    if known is not None and known is not cls:
        raise SchemaError(f'two models are named "{cls.__name__}" ({cls.__module__} and '
                          f"{known.__module__}): their types would have one name")


def name_of(attr: Any) -> str:
    """``"Model.attr"`` from that string or from a mapped attribute (``Model.attr``)."""
    if isinstance(attr, str):
        return attr
    cls, key = getattr(attr, "class_", None), getattr(attr, "key", None)
    if cls is None or key is None:
        raise SchemaError(f'{attr!r} is neither "Model.attribute" nor a mapped attribute')
    return f"{cls.__name__}.{key}"


@dataclass(frozen=True)
class Options:
    """The per-attribute options of ``Models(...)``, names checked against the models."""

    connections: dict[str, Any]
    lists: set[str]
    scalars: dict[str, Scalar]
    exclude: set[str]

    @classmethod
    def of(cls, attributes: Mapping[str, Sequence[str]], connections: Mapping[Any, Any] | None,
           lists: Iterable[Any], scalars: Mapping[Any, Scalar] | None,
           exclude: Iterable[Any]) -> Options:
        """``attributes``: each model's attribute names, by model name."""
        options = cls({name_of(k): v for k, v in (connections or {}).items()},
                      {name_of(k) for k in lists},
                      {name_of(k): v for k, v in (scalars or {}).items()},
                      {name_of(k) for k in exclude})
        for option, names in (("connections", options.connections), ("lists", options.lists),
                              ("scalars", options.scalars), ("exclude", options.exclude)):
            for name in names:
                model, _, attr = name.partition(".")
                if model not in attributes:
                    hint = did_you_mean(suggestions(model, attributes))
                    raise SchemaError(
                        f'{option}: "{name}": "{model}" is not one of the models.{hint}')
                if attr not in attributes[model]:
                    hint = did_you_mean(
                        [f"{model}.{a}" for a in suggestions(attr, attributes[model])])
                    raise SchemaError(f'{option}: "{name}" is not a mapped attribute.{hint}')
        return options

    def collection(self, where: str, target: str) -> Connection | None:
        """The connection of a to-many relationship, or ``None`` for a list."""
        declared = self.connections.get(where)
        if where in self.lists:
            if declared is not None:
                raise SchemaError(f"{where} is declared both a list and a connection")
            return None
        return connection_of(declared, target, where)

    def single(self, where: str) -> None:
        """Check that a to-one relationship is declared neither a connection nor a list."""
        if where in self.connections or where in self.lists:
            raise SchemaError(f"{where} is a single object (many-to-one or one-to-one): it "
                              "cannot be a connection or a list")


def connection_of(declared: Any, target: str, where: str) -> Connection:
    """The :class:`Connection` declared for a relationship (a Connection or a dict of its
    options; none: the defaults), checked against the relationship's target."""
    if declared is None:
        return Connection(target)
    if isinstance(declared, Connection):
        node = declared.node if isinstance(declared.node, str) else declared.node.name
        if node != target:
            raise SchemaError(f'{where}: the connection\'s node is "{node}", the '
                              f'relationship\'s target is "{target}"')
        if declared.resolve is not None or declared.batch is not None:
            raise SchemaError(f"{where}: the connection is loaded from the database; it "
                              "takes no resolve= or batch=")
        return declared
    if not isinstance(declared, Mapping):
        raise SchemaError(f"{where}: a Connection or a dict of its options is needed, "
                          f"not {declared!r}")
    try:
        return Connection(target, **declared)
    except TypeError as exc:
        raise SchemaError(f"{where}: {exc}") from None


def built_by(plan: Plan, types: Mapping[str, ObjectType]) -> str:
    """The name of ``plan``'s root type, checked to be one of ``types`` (a ``Models``'s)."""
    if not isinstance(plan, Plan):
        raise TypeError(f"a Plan from compile() is needed, not {type(plan).__name__}")
    name = plan.type.name
    if types.get(name) is not plan.type:
        raise SchemaError(f'the plan is for type "{name}", which these Models did not build '
                          "(compile it against models.schema)")
    return name


# -- loading: levels, join values, rows to parents ------------------------------------------

Load: TypeAlias = Callable[
    [Any, str, "ConnectionArgs | None", Need, list[Row]],
    Generator[Any, Any, tuple[Any, list[Row]]],
]


def levels(model: Any, need: Need, roots: list[Row], load: Load) -> Generator[Any, Any, None]:
    """Load the tree of ``need`` under ``roots`` level by level: ``load(model, source,
    args, child_need, parents)`` loads one relationship for all its parents (yielding its
    one statement) and returns the child model and the loaded children."""
    level = [(model, need, roots)]
    while level:
        below = []
        for parent_model, parent_need, parents in level:
            for (source, args), child_need in parent_need.children.items():
                child_model, children = yield from load(parent_model, source, args,
                                                        child_need, parents)
                if children:
                    below.append((child_model, child_need, children))
        level = below


@functools.lru_cache(maxsize=512)
def row_maker(keys: tuple[str, ...]) -> Callable[[Sequence[Any]], Row]:
    """``row -> {keys[0]: row[0], ...}`` for the first ``len(keys)`` values of a row: a
    dict display, about twice as fast as ``dict(zip(keys, row))``. The keys are
    attribute names of mapped classes, written into the source only through ``repr``."""
    items = ", ".join(f"{key!r}: row[{i}]" for i, key in enumerate(keys))
    made: Callable[[Sequence[Any]], Row] = eval(f"lambda row: {{{items}}}", {})
    return made


IN_LIMIT = 30_000
"""Bound values in one statement's ``IN`` at most (SQLite allows 32,766 in all)."""


def chunks(keys: list[Any], width: int) -> list[list[Any]]:
    """``keys`` in runs that fit one statement each: one run for any level of a normal
    request; a level of more parents (up to the compiler's node limit) takes more."""
    size = max(IN_LIMIT // max(width, 1), 1)
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def join_values(parents: list[Row], local: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Each parent's join value (a tuple for several columns) and the distinct non-null
    ones (what the ``IN`` of the next statement lists)."""
    if len(local) == 1:
        key = local[0]
        values: list[Any] = [p[key] for p in parents]
        distinct = set(values)
        distinct.discard(None)
    else:
        values = [tuple(p[k] for k in local) for p in parents]
        distinct = {v for v in values if any(x is not None for x in v)}
    return values, list(distinct)


def distribute(rows: Sequence[Sequence[Any]], keys: tuple[str, ...], width: int,
               parents: list[Row], values: list[Any], source: str,
               args: ConnectionArgs | None, collection: bool, *,
               join_at: int | None = None, first_position: int = 0) -> list[Row]:
    """Hand the rows of one relationship's statement to their parents and return the
    loaded children. A row is the selected ``keys``, then ``width`` join values (unless
    the one join value is the selected key at ``join_at``), then (for a connection) its
    position (counted from ``first_position``: ``ROW_NUMBER()`` starts at 1) and, when
    counted, its collection's size."""
    n = len(keys)
    grouped: dict[Any, list[Any]] = {}
    if width == 1:
        j = n if join_at is None else join_at
        for row in rows:
            pk = row[j]
            if pk in grouped:
                grouped[pk].append(row)
            else:
                grouped[pk] = [row]
    else:
        for row in rows:
            grouped.setdefault(tuple(row[n:n + width]), []).append(row)
    children: list[Row] = []
    if args is not None:
        bounds = Bounds.of(args)
        slot = page_key(source, args)
        pages: dict[Any, relay.Page] = {}
        at = n + width if join_at is None else n
        pos: Callable[[Any], int] = operator.itemgetter(at)
        if first_position:
            pos = lambda row: row[at] - first_position  # noqa: E731
        make = row_maker(keys)
        for pk, group in grouped.items():
            page = bounds.cut(group, group[0][at + 1] if bounds.counted else None, pos, make)
            children.extend(page.nodes)
            pages[pk] = page
        empty = bounds.cut([], 0, pos)
        for p, pk in zip(parents, values, strict=True):
            p[slot] = pages.get(pk, empty)
        return children
    make = row_maker(keys)
    loaded = {pk: [make(r) for r in group] for pk, group in grouped.items()}
    for group in loaded.values():
        children.extend(group)
    if collection:
        for p, pk in zip(parents, values, strict=True):
            p[source] = loaded.get(pk, [])
    else:
        for p, pk in zip(parents, values, strict=True):
            found = loaded.get(pk)
            p[source] = found[0] if found else None
    return children
