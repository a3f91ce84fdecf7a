"""The spec's long user request as one tree, and the references every benchmark compares.

One :class:`F` tree renders both as a graphfields selection (``fields=...``) and as the
equivalent GraphQL document, so every contender asks for the same logical data and the
outputs can be compared with ``==``:

- :func:`long_request`: the spec's long user request (section 3), with page sizes, an
  optional ``after`` cursor and ``page_info`` (section 8's paging);
- :func:`hand_written`: what one would write by hand for exactly that request;
- :func:`graphql_core_schema`: graphql-core 3 + graphql-relay over the same plain dicts
  (:func:`benchmarks.data.user_dataset`), connections by ``connection_from_array``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from benchmarks.data import FRESHNESS

__all__ = [
    "F",
    "cursor_at",
    "graphql_core_schema",
    "graphql_document",
    "graphql_prepared",
    "graphql_run",
    "hand_written",
    "long_request",
    "selection",
]


@dataclass(frozen=True)
class F:
    """One field of a request: name, alias, connection calls, nested fields."""

    name: str
    sub: tuple[F, ...] = ()
    alias: str | None = None
    first: int | None = None
    after: str | None = None

    def with_sub(self, sub: tuple[F, ...]) -> F:
        return replace(self, sub=sub)

    def walk(self) -> Iterator[F]:
        yield self
        for f in self.sub:
            yield from f.walk()


def _leaves(*names: str) -> tuple[F, ...]:
    return tuple(F(n) for n in names)


_OWNER = F("owner", _leaves("id", "username", "full_name", "profile_pic_url"))
_PAGE_INFO = F("page_info", _leaves("has_next_page", "end_cursor"))


def long_request(
    media_first: int = 100,
    comments_first: int = 20,
    *,
    after: str | None = None,
    page_info: bool = False,
) -> tuple[F, ...]:
    """The spec's long user request (section 3); ``after``/``page_info`` page the media."""
    comment_node = F(
        "node", (*_leaves("id", "parent_id", "created_time", "timestamp", "text"), _OWNER)
    )
    comments = F("comments", (F("edges", (comment_node,)),), first=comments_first)
    media_leaves = _leaves(
        "shortcode", "created_time", "timestamp", "media_type", "media_url", "caption",
        "tagged_user_media", "tagged_user_text", "tags", "like_count", "comment_count",
        "video_view_count",
    )  # fmt: skip
    location = F("location", _leaves("id", "name", "slug", "has_public_page"))
    media_node = F("node", (*media_leaves, location, _OWNER, comments))
    media_sub = (*((_PAGE_INFO,) if page_info else ()), F("edges", (media_node,)))
    media = F("media", media_sub, first=media_first, after=after)
    return (F("id"), F("username"), media)


# ---- rendering -------------------------------------------------------------------------


def selection(fields: tuple[F, ...]) -> str:
    """The graphfields spelling: ``media.first(10).after("...").as(m){edges{...}}``."""
    return ",".join(_gf(f) for f in fields)


def _gf(f: F) -> str:
    out = f.name
    if f.first is not None:
        out += f".first({f.first})"
    if f.after is not None:
        out += f".after({json.dumps(f.after)})"
    if f.alias is not None:
        out += f".as({f.alias})"
    if f.sub:
        out += "{" + selection(f.sub) + "}"
    return out


_GRAPHQL_NAMES = {
    "page_info": "pageInfo",
    "has_next_page": "hasNextPage",
    "end_cursor": "endCursor",
}
"""graphql-relay's camelCase names, aliased back to the spec's snake_case ones."""


def graphql_document(fields: tuple[F, ...], *, cursor_variable: bool = False) -> str:
    """The equivalent GraphQL query on ``Query.user``.

    With ``cursor_variable`` every ``after`` is the variable ``$after`` (a document parsed
    once, the cursor passed per request); otherwise cursors are inline literals.
    """
    head = "query Page($after: String)" if cursor_variable else "query"
    return f"{head} {{ user {{ {_gql_sel(fields, cursor_variable)} }} }}"


_CONNECTIONS = frozenset({"media", "comments"})


def _gql_sel(fields: tuple[F, ...], variable: bool, within: str = "") -> str:
    return " ".join(_gql(f, variable, within) for f in fields)


def _gql(f: F, variable: bool, within: str) -> str:
    """``within`` is "connection" for a connection's fields, "edges" for its edges' fields."""
    real = _GRAPHQL_NAMES.get(f.name, f.name)
    alias = f.alias or (f.name if real != f.name else None)
    out = f"{alias}: {real}" if alias else real
    args = []
    if f.first is not None:
        args.append(f"first: {f.first}")
    if f.after is not None:
        args.append("after: $after" if variable else f"after: {json.dumps(f.after)}")
    if args:
        out += "(" + ", ".join(args) + ")"
    sub = f.sub
    if within == "edges" and f.name == "node":
        # graphfields adds a connection node's freshness fields by itself (``always=``).
        have = {s.name for s in sub if s.alias is None}
        sub = (*_leaves(*(n for n in FRESHNESS if n not in have)), *sub)
    inner = "connection" if f.name in _CONNECTIONS else "edges" if (
        within == "connection" and f.name == "edges") else ""
    if sub:
        out += " { " + _gql_sel(sub, variable, inner) + " }"
    return out


# ---- the hand-written reference ----------------------------------------------------------


def _offset(cursor: str) -> int:
    return int(base64.b64decode(cursor).decode("ascii").rpartition(":")[2])


def cursor_at(offset: int) -> str:
    """The cursor of the node at ``offset``, in the spec's (graphql-relay's) form."""
    return base64.b64encode(f"arrayconnection:{offset}".encode("ascii")).decode("ascii")


def _owner(o: dict[str, Any] | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "id": o["id"],
        "username": o["username"],
        "full_name": o["full_name"],
        "profile_pic_url": o["profile_pic_url"],
    }


def hand_written(
    user: dict[str, Any],
    media_first: int = 100,
    comments_first: int = 20,
    *,
    after: str | None = None,
    page_info: bool = False,
) -> dict[str, Any]:
    """What one would write by hand for exactly :func:`long_request` (the practical limit)."""
    all_media = user["media"]
    start = 0 if after is None else _offset(after) + 1
    page = all_media[start : start + media_first]
    edges = []
    for m in page:
        loc = m["location"]
        comments = [
            {
                "node": {
                    "id": c["id"],
                    "last_update": c["last_update"],
                    "is_being_updated": c["is_being_updated"],
                    "parent_id": c["parent_id"],
                    "created_time": c["created_time"].isoformat(timespec="seconds"),
                    "timestamp": c["timestamp"],
                    "text": c["text"],
                    "owner": _owner(c["owner"]),
                }
            }
            for c in m["comments"][:comments_first]
        ]
        edges.append(
            {
                "node": {
                    "last_update": m["last_update"],
                    "is_being_updated": m["is_being_updated"],
                    "shortcode": m["shortcode"],
                    "created_time": m["created_time"].isoformat(timespec="seconds"),
                    "timestamp": m["timestamp"],
                    "media_type": m["media_type"],
                    "media_url": m["media_url"],
                    "caption": list(m["caption"]),
                    "tagged_user_media": list(m["tagged_user_media"]),
                    "tagged_user_text": list(m["tagged_user_text"]),
                    "tags": list(m["tags"]),
                    "like_count": m["like_count"],
                    "comment_count": m["comment_count"],
                    "video_view_count": m["video_view_count"],
                    "location": None
                    if loc is None
                    else {
                        "id": loc["id"],
                        "name": loc["name"],
                        "slug": loc["slug"],
                        "has_public_page": loc["has_public_page"],
                    },
                    "owner": _owner(m["owner"]),
                    "comments": {"edges": comments},
                }
            }
        )
    media: dict[str, Any] = {"edges": edges}
    if page_info:
        end = start + len(page)
        media["page_info"] = {
            "has_next_page": end < len(all_media),
            "end_cursor": cursor_at(end - 1) if page else None,
        }
    return {"id": user["id"], "username": user["username"], "media": media}


# ---- graphql-core with graphql-relay connections -----------------------------------------


def graphql_prepared(schema: Any, text: str) -> Any:
    """graphql-core's parsed and validated document of ``text``."""
    from graphql import parse, validate

    document = parse(text)
    errors = validate(schema, document)
    assert not errors, errors
    return document


def graphql_run(
    schema: Any, document: Any, root: Any, variables: dict[str, Any] | None = None
) -> Any:
    """graphql-core's execution of ``document``: the ``user`` it returns, checked error-free."""
    from graphql import execute_sync

    result = execute_sync(schema, document, root_value=root, variable_values=variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["user"]


def graphql_core_schema() -> Any:
    """graphql-core 3's schema of the same types; ``Query.user`` is ``root["user"]``."""
    from graphql import (
        GraphQLBoolean,
        GraphQLField,
        GraphQLID,
        GraphQLInt,
        GraphQLList,
        GraphQLObjectType,
        GraphQLScalarType,
        GraphQLSchema,
        GraphQLString,
    )
    from graphql_relay import connection_args, connection_definitions, connection_from_array

    def connection(node: GraphQLObjectType, key: str) -> GraphQLField:
        """A graphql-relay connection of ``node`` over the list ``parent[key]``."""
        return GraphQLField(
            connection_definitions(node, node.name).connection_type,
            args=connection_args,
            resolve=lambda parent, info, **args: connection_from_array(parent[key], args),
        )

    dt = GraphQLScalarType("Datetime", serialize=lambda v: v.isoformat(timespec="seconds"))
    strings = GraphQLList(GraphQLString)
    owner = GraphQLObjectType(
        "Owner",
        {
            "id": GraphQLField(GraphQLID),
            "username": GraphQLField(GraphQLString),
            "full_name": GraphQLField(GraphQLString),
            "profile_pic_url": GraphQLField(GraphQLString),
        },
    )
    location = GraphQLObjectType(
        "Location",
        {
            "id": GraphQLField(GraphQLID),
            "name": GraphQLField(GraphQLString),
            "slug": GraphQLField(GraphQLString),
            "has_public_page": GraphQLField(GraphQLBoolean),
        },
    )
    comment = GraphQLObjectType(
        "Comment",
        {
            "id": GraphQLField(GraphQLID),
            "last_update": GraphQLField(GraphQLInt),
            "is_being_updated": GraphQLField(GraphQLBoolean),
            "parent_id": GraphQLField(GraphQLID),
            "created_time": GraphQLField(dt),
            "timestamp": GraphQLField(GraphQLInt),
            "text": GraphQLField(GraphQLString),
            "owner": GraphQLField(owner),
        },
    )
    media = GraphQLObjectType(
        "Media",
        {
            "id": GraphQLField(GraphQLID),
            "last_update": GraphQLField(GraphQLInt),
            "is_being_updated": GraphQLField(GraphQLBoolean),
            "shortcode": GraphQLField(GraphQLString),
            "created_time": GraphQLField(dt),
            "timestamp": GraphQLField(GraphQLInt),
            "media_type": GraphQLField(GraphQLString),
            "media_url": GraphQLField(GraphQLString),
            "caption": GraphQLField(strings),
            "tagged_user_media": GraphQLField(strings),
            "tagged_user_text": GraphQLField(strings),
            "tags": GraphQLField(strings),
            "like_count": GraphQLField(GraphQLInt),
            "comment_count": GraphQLField(GraphQLInt),
            "video_view_count": GraphQLField(GraphQLInt),
            "location": GraphQLField(location),
            "owner": GraphQLField(owner),
            "comments": connection(comment, "comments"),
        },
    )
    user_type = GraphQLObjectType(
        "User",
        {
            "id": GraphQLField(GraphQLID),
            "username": GraphQLField(GraphQLString),
            "media": connection(media, "media"),
        },
    )
    return GraphQLSchema(GraphQLObjectType("Query", {"user": GraphQLField(user_type)}))
