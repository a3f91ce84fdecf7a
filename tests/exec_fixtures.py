"""A small schema and data set shared by the executor tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    Datetime,
    Int,
    ListOf,
    ObjectType,
    Schema,
    String,
    field_,
)

Owner = ObjectType("Owner", {"id": ID, "username": String, "full_name": String})
Comment = ObjectType(
    "Comment",
    {"id": ID, "text": String, "timestamp": Int, "owner": Owner, "created_time": Datetime},
)
Media = ObjectType(
    "Media",
    {
        "id": ID,
        "caption": String,
        "tags": ListOf(String),
        "timestamp": Int,
        "created_time": Datetime,
        "like_count": Int,
        "is_video": Boolean,
        "owner": Owner,
        "comments": Connection(Comment, max_first=100, timestamp_field="timestamp"),
    },
)
User = ObjectType(
    "User",
    {
        "id": ID,
        "username": String,
        "media": Connection(Media, max_first=100, timestamp_field="timestamp"),
        "friends": ListOf(Owner),
        "best_friend": Owner,
    },
)
schema = Schema([User, Media, Comment, Owner])

BASE = 1_560_000_000


def make_user(n_media: int = 5, n_comments: int = 3) -> dict[str, Any]:
    """Plain dicts, newest first, like a JSON store would give."""
    owners = [{"id": 100 + i, "username": f"u{i}", "full_name": f"User {i}"} for i in range(7)]
    media = []
    for m in range(n_media):
        ts = BASE - m * 3600
        comments = [
            {
                "id": f"c{m}-{c}",
                "text": f"comment {c}",
                "timestamp": ts - c * 60,
                "owner": owners[(m + c) % 7],
                "created_time": dt.datetime.fromtimestamp(ts - c * 60, dt.timezone.utc),
            }
            for c in range(n_comments)
        ]
        media.append(
            {
                "id": str(1000 + m),
                "caption": f"caption {m}",
                "tags": ["a", "b"] if m % 2 else [],
                "timestamp": ts,
                "created_time": dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None),
                "like_count": m * 10,
                "is_video": m % 3 == 0,
                "owner": owners[m % 7],
                "comments": comments,
            }
        )
    return {
        "id": 42,
        "username": "spacex",
        "media": media,
        "friends": owners[:3],
        "best_friend": None,
    }


def owners_of(parents: Sequence[Any], context: Any = None) -> list[Any]:
    """A batch resolver reading each parent's owner (any data shape)."""
    from graphfields.sources import read

    return [read(p, "owner") for p in parents]


def friends_of(parents: Sequence[Any], context: Any = None) -> list[Any]:
    from graphfields.sources import read

    return [read(p, "friends") for p in parents]


# The same schema with batch resolvers on every object field that has parents in lists.
BOwner = ObjectType("BOwner", {"id": ID, "username": String, "full_name": String})
BComment = ObjectType(
    "BComment",
    {
        "id": ID,
        "text": String,
        "timestamp": Int,
        "owner": field_(BOwner, batch=owners_of),
        "created_time": Datetime,
    },
)
BMedia = ObjectType(
    "BMedia",
    {
        "id": ID,
        "caption": String,
        "tags": ListOf(String),
        "timestamp": Int,
        "created_time": Datetime,
        "owner": field_(BOwner, batch=owners_of),
        "comments": Connection(BComment, max_first=100, timestamp_field="timestamp"),
    },
)
BUser = ObjectType(
    "BUser",
    {
        "id": ID,
        "username": String,
        "media": Connection(BMedia, max_first=100, timestamp_field="timestamp"),
        "friends": field_(ListOf(BOwner), batch=friends_of),
        "best_friend": field_(BOwner, batch=owners_of),
    },
)
batched_schema = Schema([BUser, BMedia, BComment, BOwner])


def connections_of(name: str) -> Any:
    """A connection batch resolver over each parent's ``name`` list: a full sequence for
    even parents (graphfields filters and slices it), a :class:`Page` the resolver cut
    itself for odd ones (a linear date filter, then the window), ``None`` stays ``None``."""
    from graphfields.filters import scan
    from graphfields.relay import Page, slice_page
    from graphfields.schema import ConnectionArgs
    from graphfields.sources import call_value, read

    def batch(parents: Sequence[Any], args: ConnectionArgs, context: Any = None) -> list[Any]:
        out: list[Any] = []
        for i, parent in enumerate(parents):
            items = read(parent, name)
            if i % 2 == 0 or items is None:
                out.append(items)
                continue
            kept = scan(items, lambda n: read(call_value(n), "timestamp"), args.since, args.until)
            page = slice_page(kept, args.first, args.last, args.after, args.before)
            out.append(Page(tuple(page.nodes), page.offset, page.has_next_page,
                            page.has_previous_page))  # fmt: skip
        return out

    return batch


# Batch resolvers everywhere: connections (Connection(batch=...)) and objects.
COwner = ObjectType("COwner", {"id": ID, "username": String, "full_name": String})
CComment = ObjectType(
    "CComment",
    {
        "id": ID,
        "text": String,
        "timestamp": Int,
        "owner": field_(COwner, batch=owners_of),
        "created_time": Datetime,
    },
)
CMedia = ObjectType(
    "CMedia",
    {
        "id": ID,
        "caption": String,
        "tags": ListOf(String),
        "timestamp": Int,
        "created_time": Datetime,
        "owner": field_(COwner, batch=owners_of),
        "comments": Connection(
            CComment, max_first=100, timestamp_field="timestamp", batch=connections_of("comments")
        ),
    },
)
CUser = ObjectType(
    "CUser",
    {
        "id": ID,
        "username": String,
        "media": Connection(
            CMedia, max_first=100, timestamp_field="timestamp", batch=connections_of("media")
        ),
        "friends": field_(ListOf(COwner), batch=friends_of),
        "best_friend": field_(COwner, batch=owners_of),
    },
)
connection_batched_schema = Schema([CUser, CMedia, CComment, COwner])


__all__ = [
    "BASE",
    "BUser",
    "CUser",
    "Comment",
    "Media",
    "Owner",
    "User",
    "batched_schema",
    "connection_batched_schema",
    "field_",
    "make_user",
    "schema",
]
