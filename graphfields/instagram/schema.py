"""The reference API's schema (spec sections 4-6), bound to a :class:`Store`.

Type names are the ones error messages show (``Cannot query field "id_" on type
"Media"``). Resolvers read the store from the execution context (:class:`Context`):
owners and locations of a page come from one batch query each, and connections return a
:class:`graphfields.relay.Page` sliced and filtered in the store; the comments of all the
posts of a page are one batch call too (``Connection(batch=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphfields.instagram.entities import ENTITIES
from graphfields.instagram.store import Row, Store
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

__all__ = ["SCHEMA", "Context", "node_type"]


def _never(kind: str, keys: Sequence[str]) -> set[str]:
    return set()


@dataclass(frozen=True, slots=True)
class Context:
    """What resolvers need: the store, and which nodes are being loaded right now
    (``updating(kind, keys)``: the subset of ``keys`` with a load job, kind
    ``media``/``user``/``tag``, user and tag keys in lower case; one call per place of a
    request)."""

    store: Store
    updating: Callable[[str, Sequence[str]], set[str]] = _never


def _rows_for(key: str, lookup: Callable[[Context, list[str]], Any]) -> Any:
    """A batch resolver: the rows ``parents[i][key]`` point to, in one store query."""

    def batch(parents: Sequence[Row], ctx: Context) -> list[Row | None]:
        ids: list[str | None] = [p.get(key) for p in parents]
        found = lookup(ctx, [i for i in ids if i is not None])
        return [None if i is None else found.get(i) for i in ids]

    return batch


_owners = _rows_for("owner_id", lambda ctx, ids: ctx.store.users_by_ids(ids))
_locations = _rows_for("location_id", lambda ctx, ids: ctx.store.locations_by_ids(ids))


def _user_media(user: Row, args: ConnectionArgs, ctx: Context) -> Page:
    return ctx.store.user_media_page(user["id"], args)


def _tag_media(tag: Row, args: ConnectionArgs, ctx: Context) -> Page:
    return ctx.store.tag_media_page(tag["id"], args)


def _comments(media: Sequence[Row], args: ConnectionArgs, ctx: Context) -> Sequence[Page]:
    """The comment pages of every post at one place of a request, in one store call."""
    return ctx.store.media_comments_pages([m["id"] for m in media], args)


def _updating(kind: str, key: str) -> Any:
    """A batch resolver of ``is_being_updated``: the load key of each node is its
    ``key`` field, and one job-table query answers a whole page of nodes."""

    def batch(nodes: Sequence[Row], ctx: Context) -> list[bool]:
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


def node_type(node_type: str) -> ObjectType:
    """The root type of an endpoint (``media``, ``user`` or ``tag``)."""
    try:
        return _ROOTS[node_type]
    except KeyError:
        raise ValueError(f"unknown node type {node_type!r}: expected media, user or tag") from None
