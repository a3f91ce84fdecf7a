"""Execution speed: graphfields vs a hand-written function, graphql-core and a tree walk.

The spec's long user request with ``media.first(100)`` and ``comments.first(20)`` over
plain dicts (one user, 100 media each with owner, location and 20 comments with owners).
Every contender builds the identical output (checked before timing); timings are
medians of interleaved repetitions with the garbage collector paused, as timeit does.

Also: ``first(10)`` on a 1,000,000-item list against a 1,000-item list, and a date
filter over 1,000,000 sorted items.

Run: ``.venv/bin/python -m benchmarks execute`` (or ``make bench``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks._timing import interleaved_medians
from benchmarks.data import BASE_TS, LONG_REQUEST, SCHEMA, user_dataset
from graphfields.compiler import compile
from graphfields.execution import execute
from graphfields.execution.interpret import interpret

__all__ = ["hand_written", "main"]


def hand_written(user: dict[str, Any]) -> dict[str, Any]:
    """What one would write by hand for exactly this request (the practical limit)."""
    edges = []
    for m in user["media"][:100]:
        loc = m["location"]
        own = m["owner"]
        comments = []
        for c in m["comments"][:20]:
            co = c["owner"]
            comments.append(
                {
                    "node": {
                        "id": c["id"],
                        "last_update": c["last_update"],
                        "is_being_updated": c["is_being_updated"],
                        "parent_id": c["parent_id"],
                        "created_time": c["created_time"].isoformat(timespec="seconds"),
                        "timestamp": c["timestamp"],
                        "text": c["text"],
                        "owner": None
                        if co is None
                        else {
                            "id": co["id"],
                            "username": co["username"],
                            "full_name": co["full_name"],
                            "profile_pic_url": co["profile_pic_url"],
                        },
                    }
                }
            )
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
                    "owner": None
                    if own is None
                    else {
                        "id": own["id"],
                        "username": own["username"],
                        "full_name": own["full_name"],
                        "profile_pic_url": own["profile_pic_url"],
                    },
                    "comments": {"edges": comments},
                }
            }
        )
    return {"id": user["id"], "username": user["username"], "media": {"edges": edges}}


# ---- graphql-core with graphql-relay connections ------------------------------------

_OWNER = "id username full_name profile_pic_url"
_GRAPHQL_QUERY = (
    "{ user { id username media(first: 100) { edges { node { last_update is_being_updated"
    " shortcode created_time timestamp media_type media_url caption tagged_user_media"
    " tagged_user_text tags like_count comment_count video_view_count"
    " location { id name slug has_public_page } owner { " + _OWNER + " }"
    " comments(first: 20) { edges { node { id last_update is_being_updated parent_id"
    " created_time timestamp text owner { " + _OWNER + " } } } } } } } } }"
)


def graphql_core_runner(user: dict[str, Any]) -> Callable[[], Any]:
    """graphql-core 3 over the same dicts: pre-parsed, pre-validated document."""
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
        execute_sync,
        parse,
        validate,
    )
    from graphql_relay import connection_args, connection_definitions, connection_from_array

    dt = GraphQLScalarType("Datetime", serialize=lambda v: v.isoformat(timespec="seconds"))
    strings = GraphQLList(GraphQLString)
    owner = GraphQLObjectType(
        "Owner",
        {n: GraphQLField(GraphQLID if n == "id" else GraphQLString) for n in _OWNER.split()},
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
    comments = connection_definitions(comment, "Comment").connection_type
    media = GraphQLObjectType(
        "Media",
        {
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
            "comments": GraphQLField(
                comments,
                args=connection_args,
                resolve=lambda m, info, **args: connection_from_array(m["comments"], args),
            ),
        },
    )
    medias = connection_definitions(media, "Media").connection_type
    user_type = GraphQLObjectType(
        "User",
        {
            "id": GraphQLField(GraphQLID),
            "username": GraphQLField(GraphQLString),
            "media": GraphQLField(
                medias,
                args=connection_args,
                resolve=lambda u, info, **args: connection_from_array(u["media"], args),
            ),
        },
    )
    schema = GraphQLSchema(GraphQLObjectType("Query", {"user": GraphQLField(user_type)}))
    document = parse(_GRAPHQL_QUERY)
    errors = validate(schema, document)
    assert not errors, errors
    root = {"user": user}

    def run() -> Any:
        result = execute_sync(schema, document, root_value=root)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data["user"]

    return run


# ---- timing -------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def long_request(rounds: int = 40) -> dict[str, float]:
    user = user_dataset(100, 20)
    plan = compile(SCHEMA, "User", LONG_REQUEST)
    expected = hand_written(user)
    gql = graphql_core_runner(user)
    assert execute(plan, user) == expected, "graphfields output differs from hand-written"
    assert interpret(plan, user) == expected, "tree walk output differs from hand-written"
    assert gql() == expected, "graphql-core output differs from hand-written"
    contenders: dict[str, Callable[[], Any]] = {
        "hand-written function": lambda: hand_written(user),
        "graphfields execute (plan cached)": lambda: execute(plan, user),
        "graphfields compile (cached) + execute": lambda: execute(
            compile(SCHEMA, "User", LONG_REQUEST), user
        ),
        "naive tree walk (graphfields.interpret)": lambda: interpret(plan, user),
        "graphql-core 3 + graphql-relay": gql,
    }
    medians = interleaved_medians(contenders, rounds, collect=True)
    base = medians["hand-written function"]
    print(f"long spec request, media.first(100) x comments.first(20), {rounds} rounds:")
    for name, t in medians.items():
        print(f"  {name:42s} {_ms(t)}   {t / base:6.2f}x hand-written")
    ours = medians["graphfields execute (plan cached)"]
    gql_ratio = medians["graphql-core 3 + graphql-relay"] / ours
    print(f"  graphfields / hand-written: {ours / base:.2f}x (target <= 1.5x)")
    print(f"  graphql-core / graphfields: {gql_ratio:.1f}x faster")
    return medians


def big_lists(rounds: int = 200) -> dict[str, float]:
    n_big = 1_000_000
    items = [
        {"id": str(i), "timestamp": BASE_TS - i, "last_update": BASE_TS, "is_being_updated": False}
        for i in range(n_big)
    ]
    big = {"media": items}
    small = {"media": items[:1000]}
    page = compile(SCHEMA, "User", "media.first(10){edges{cursor,node{id}}}")
    since, until = BASE_TS - 600_000, BASE_TS - 500_000
    filtered = compile(
        SCHEMA,
        "User",
        "media.first(10){page_info{has_next_page},edges{cursor,node{id}}}",
        filters={"from_timestamp": since, "to_timestamp": until},
    )
    out = execute(filtered, big)
    assert out["media"]["edges"][0]["node"]["id"] == "500000", out
    assert execute(page, big) == execute(page, small)
    medians = interleaved_medians(
        {
            "first(10) on 1,000 items": lambda: execute(page, small),
            "first(10) on 1,000,000 items": lambda: execute(page, big),
            "date filter + first(10) on 1,000,000 sorted items": lambda: execute(filtered, big),
        },
        rounds,
        collect=False,
    )
    print(f"connections over big lists, {rounds} rounds:")
    for name, t in medians.items():
        print(f"  {name:50s} {t * 1e6:9.1f} us")
    ratio = medians["first(10) on 1,000,000 items"] / medians["first(10) on 1,000 items"]
    print(f"  1,000,000 / 1,000 items: {ratio:.2f}x (target <= 2x)")
    filtered_ms = medians["date filter + first(10) on 1,000,000 sorted items"] * 1e3
    print(f"  date filter on 1,000,000 items: {filtered_ms:.3f} ms (target < 1 ms)")
    return medians


def main() -> None:
    long_request()
    big_lists()


if __name__ == "__main__":
    main()
