"""The reference API's schema (spec sections 4-6), bound to a :class:`Store`.

Type names are the ones error messages show (``Cannot query field "id_" on type
"Media"``). Resolvers read the store from the execution context (:class:`Context`):
owners and locations of a page come from one batch query each, and connections return a
:class:`graphfields.relay.Page` sliced and filtered in the store; the comments of all the
posts of a page are one batch call too (``Connection(batch=...)``).

Reads select what the request needs: :func:`columns_of` walks a compiled plan's
selection once per shape and says, per object type, which stored columns its fields and
resolvers read; the service puts that in the :class:`Context`, and the resolvers pass it
to the store (``columns=``), which selects only those (plus the keys it needs itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphfields.instagram.entities import ENTITIES
from graphfields.instagram.store import Row, Store
from graphfields.plan import READ, ScalarPlan, SelectionPlan, nested
from graphfields.relay import Page
from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    ConnectionArgs,
    Datetime,
    Int,
    ListOf,
    ObjectType,
    Schema,
    String,
    field_,
)

__all__ = ["SCHEMA", "TABLES", "Columns", "Context", "columns_of", "never_updating", "node_type"]


def never_updating(kind: str, keys: Sequence[str]) -> set[str]:
    """``Context.updating`` of a service without a loader: no node is ever being loaded
    (``is_being_updated`` is then answered without a call per page)."""
    return set()


Columns = Mapping[str, tuple[str, ...]]
"""Per object type name, the stored columns a request reads (:func:`columns_of`)."""


@dataclass(frozen=True, slots=True)
class Context:
    """What resolvers need: the store, which nodes are being loaded right now
    (``updating(kind, keys)``: the subset of ``keys`` with a load job, kind
    ``media``/``user``/``tag``, user and tag keys in lower case; one call per place of a
    request), and the columns this request reads per type (``None``: whole rows, for a
    store whose reads take no ``columns=``)."""

    store: Store
    updating: Callable[[str, Sequence[str]], set[str]] = never_updating
    columns: Columns | None = None


def _select(ctx: Context, type_name: str) -> dict[str, Any]:
    """The ``columns=`` keyword of a store read of ``type_name`` rows (none: whole rows)."""
    cols = ctx.columns
    return {} if cols is None else {"columns": cols.get(type_name, ())}


def _rows_for(key: str, lookup: Callable[[Context, list[str]], Any]) -> Any:
    """A batch resolver: the rows ``parents[i][key]`` point to, in one store query."""

    def batch(parents: Sequence[Row], ctx: Context) -> list[Row | None]:
        ids: list[str | None] = [p.get(key) for p in parents]
        found = lookup(ctx, [i for i in ids if i is not None])
        if None not in ids:  # the common case, read in C
            return list(map(found.get, ids))
        return [None if i is None else found.get(i) for i in ids]

    return batch


_owners = _rows_for("owner_id",
                    lambda ctx, ids: ctx.store.users_by_ids(ids, **_select(ctx, "Owner")))
_locations = _rows_for(
    "location_id", lambda ctx, ids: ctx.store.locations_by_ids(ids, **_select(ctx, "Location")))


def _user_media(user: Row, args: ConnectionArgs, ctx: Context) -> Page:
    return ctx.store.user_media_page(user["id"], args, **_select(ctx, "Media"))


def _tag_media(tag: Row, args: ConnectionArgs, ctx: Context) -> Page:
    return ctx.store.tag_media_page(tag["id"], args, **_select(ctx, "Media"))


def _comments(media: Sequence[Row], args: ConnectionArgs, ctx: Context) -> Sequence[Page]:
    """The comment pages of every post at one place of a request, in one store call."""
    return ctx.store.media_comments_pages([m["id"] for m in media], args,
                                          **_select(ctx, "Comment"))


def _updating(kind: str, key: str) -> Any:
    """A batch resolver of ``is_being_updated``: the load key of each node is its
    ``key`` field, and one job-table query answers a whole page of nodes."""

    def batch(nodes: Sequence[Row], ctx: Context) -> list[bool]:
        if ctx.updating is never_updating:  # a service without a loader: nothing ever loads
            return [False] * len(nodes)
        keys = [None if n.get(key) is None else str(n[key]).lower() for n in nodes]
        busy = ctx.updating(kind, [k for k in keys if k is not None])
        return [k is not None and k in busy for k in keys]

    return batch


FRESHNESS = ("timestamp", "last_update", "is_being_updated")
OWNER = field_("Owner", batch=_owners)
CREATED = field_(Datetime, source="timestamp")  # ISO 8601, derived from the UNIX timestamp

_SCALARS: dict[str, Any] = {
    "id": ID, "str": String, "int": Int, "bool": Boolean, "strlist": ListOf(String),
}


def _stored(collection: str, *names: str) -> dict[str, Any]:
    """The stored fields of a collection (:data:`ENTITIES`) as schema fields, in their
    declared order; ``names`` picks some of them."""
    fields = [f for f in ENTITIES[collection] if f.column]
    return {f.name: _SCALARS[f.kind] for f in fields if not names or f.name in names}


def _after(fields: dict[str, Any], name: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with ``extra`` inserted right after ``name`` (the schema's listing order)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        out[key] = value
        if key == name:
            out.update(extra)
    return out


Location = ObjectType("Location", _stored("locations"))
Owner = ObjectType("Owner", _stored("users", "id", "username", "profile_pic_url", "type",
                                    "full_name"))
Comment = ObjectType("Comment", {
    **_after(_stored("comments"), "parent_id", {"created_time": CREATED}),
    "is_being_updated": field_(Boolean, batch=_updating("media", "parent_id")),
    "owner": OWNER,
})
Media = ObjectType("Media", {
    **_after(_stored("media"), "shortcode", {"created_time": CREATED}),
    "is_being_updated": field_(Boolean, batch=_updating("media", "id")),
    "location": field_("Location", batch=_locations), "owner": OWNER,
    "comments": Connection("Comment", default_first=20, max_first=100, timestamp_field="timestamp",
                           always=FRESHNESS, batch=_comments),
})
User = ObjectType("User", {
    **_stored("users"),
    "is_being_updated": field_(Boolean, batch=_updating("user", "username")),
    "media": Connection("Media", default_first=20, max_first=100, order_by="timestamp",
                        timestamp_field="timestamp", always=FRESHNESS, resolve=_user_media),
})
Tag = ObjectType("Tag", {
    **_stored("tags"),
    "is_being_updated": field_(Boolean, batch=_updating("tag", "id")),
    "media": Connection("Media", default_first=20, max_first=100, order_by="timestamp",
                        timestamp_field="timestamp", always=FRESHNESS, resolve=_tag_media),
})

SCHEMA = Schema([Media, User, Tag, Comment, Owner, Location])
_ROOTS = {"media": Media, "user": User, "tag": Tag}


TABLES = {"User": "users", "Owner": "users", "Media": "media", "Comment": "comments",
          "Location": "locations", "Tag": "tags"}
"""The table each object type's rows come from."""

_READS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Media", "owner"): ("owner_id",), ("Comment", "owner"): ("owner_id",),
    ("Media", "location"): ("location_id",), ("Media", "comments"): ("id",),
    ("User", "media"): ("id",), ("Tag", "media"): ("id",),
    ("Media", "is_being_updated"): ("id",), ("Comment", "is_being_updated"): ("parent_id",),
    ("User", "is_being_updated"): ("username",), ("Tag", "is_being_updated"): ("id",),
}
"""The columns each resolver (a field that is not a plain read) reads of its parent."""


def columns_of(selection: SelectionPlan) -> dict[str, tuple[str, ...]]:
    """Per object type of a compiled selection (``plan.selection``), the stored columns
    its fields read at every place of the request (plain fields: their ``source``;
    resolvers: their keys, :data:`_READS`), sorted. A type whose rows are read only
    for a count (``page_info`` alone) gets none. Computed once per shape (the service
    caches it): it depends on the selection only, never on argument values."""
    wanted: dict[str, set[str]] = {}

    def walk(sel: SelectionPlan) -> None:
        name = sel.type.name
        cols = wanted.setdefault(name, set())
        for fp in sel.fields:
            reads = _READS.get((name, fp.field.name))
            if reads is not None:
                cols.update(reads)
            elif isinstance(fp, ScalarPlan) and fp.how == READ:
                cols.add(fp.field.source)
            else:
                raise ValueError(f"no columns declared for {name}.{fp.field.name}")
            for inner in nested(fp):
                walk(inner)

    walk(selection)
    return {name: tuple(sorted(cols)) for name, cols in wanted.items()}


def node_type(node_type: str) -> ObjectType:
    """The root type of an endpoint (``media``, ``user`` or ``tag``)."""
    try:
        return _ROOTS[node_type]
    except KeyError:
        raise ValueError(f"unknown node type {node_type!r}: expected media, user or tag") from None
