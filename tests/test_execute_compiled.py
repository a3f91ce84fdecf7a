"""execute() on plans from validate.compile(): the spec's schema, paging and filters."""

from __future__ import annotations

from typing import Any

from example_schema import schema
from graphql_relay import connection_from_array
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields import compile, execute
from graphfields.execution.interpret import interpret
from graphfields.relay import encode_cursor

FRESH = {"last_update": 1560427709, "is_being_updated": False}


def _tag(n: int) -> dict[str, Any]:
    media = [
        {"id": str(2065332295327345047 - i), "timestamp": 1560426817 - 60 * i, **FRESH}
        for i in range(n)
    ]
    return {"id": "photography", "media": media}


def test_spec_paging_example() -> None:
    tag = _tag(10)
    fields = "id,media.first(3){page_info{has_next_page,start_cursor,end_cursor},edges{node{id}}}"
    out = execute(compile(schema, "Tag", fields), tag)
    assert out["media"]["page_info"] == {
        "has_next_page": True,
        "start_cursor": "YXJyYXljb25uZWN0aW9uOjA=",
        "end_cursor": "YXJyYXljb25uZWN0aW9uOjI=",
    }
    # always-fields come with every node, after the id, as in the spec's response
    assert out["media"]["edges"][0]["node"] == {
        "id": "2065332295327345047",
        "timestamp": 1560426817,
        "last_update": 1560427709,
        "is_being_updated": False,
    }
    nxt = fields.replace("first(3)", 'first(3).after("YXJyYXljb25uZWN0aW9uOjI=")')
    out2 = execute(compile(schema, "Tag", nxt), tag)
    assert out2["media"]["page_info"]["start_cursor"] == "YXJyYXljb25uZWN0aW9uOjM="
    assert [e["node"]["id"] for e in out2["media"]["edges"]] == [
        str(2065332295327345047 - i) for i in (3, 4, 5)
    ]


@st.composite
def _paging(draw: Any) -> tuple[int, str, dict[str, Any]]:
    n = draw(st.integers(0, 12))
    calls: list[str] = []
    args: dict[str, Any] = {}
    if draw(st.booleans()):
        args["first"] = draw(st.integers(0, n + 2))
        calls.append(f".first({args['first']})")
    if draw(st.booleans()):
        args["last"] = draw(st.integers(0, n + 2))
        calls.append(f".last({args['last']})")
    if n and draw(st.booleans()):
        args["after"] = encode_cursor(draw(st.integers(0, n - 1)))
        calls.append(f'.after("{args["after"]}")')
    if n and draw(st.booleans()):
        args["before"] = encode_cursor(draw(st.integers(0, n - 1)))
        calls.append(f'.before("{args["before"]}")')
    return n, "".join(draw(st.permutations(calls))), args


@settings(max_examples=120, deadline=None)
@given(_paging())
def test_pages_match_graphql_relay(case: tuple[int, str, dict[str, Any]]) -> None:
    n, calls, args = case
    tag = _tag(n)
    plan = compile(
        schema,
        "Tag",
        f"media{calls}{{page_info{{has_next_page,has_previous_page}},edges{{cursor,node{{id}}}}}}",
    )
    out = execute(plan, tag)["media"]
    expected = connection_from_array(tag["media"], args)
    assert [(e["cursor"], e["node"]["id"]) for e in out["edges"]] == [
        (e.cursor, e.node["id"]) for e in expected.edges
    ]
    # exact flags, whichever direction
    if expected.edges:
        start = tag["media"].index(expected.edges[0].node)
        end = start + len(expected.edges)
        assert out["page_info"] == {"has_next_page": end < n, "has_previous_page": start > 0}
    assert out == interpret(plan, tag)["media"]


def test_request_date_filters_and_datetimes() -> None:
    tag = _tag(10)
    plan = compile(
        schema,
        "Tag",
        "media.first(2){page_info{has_next_page,has_previous_page},edges{cursor,node{id}}}",
        filters={"from_timestamp": 1560426817 - 60 * 6, "to_timestamp": 1560426817 - 60 * 2},
    )
    out = execute(plan, tag)["media"]
    assert [e["node"]["id"] for e in out["edges"]] == ["2065332295327345045", "2065332295327345044"]
    assert out["edges"][0]["cursor"] == encode_cursor(0)
    assert out["page_info"] == {"has_next_page": True, "has_previous_page": False}


def test_long_spec_request_matches_reference() -> None:
    import datetime as dt

    owner = {"id": "1", "username": "u", "full_name": "U", "profile_pic_url": "p"}
    comment = {"id": "c", "parent_id": "m", "created_time": dt.datetime(2019, 6, 13, 11, 53, 37),
               "timestamp": 1560426817, "text": "t", "owner": owner, **FRESH}  # fmt: skip
    media = {
        "shortcode": "BiQ", "created_time": 1560426817, "timestamp": 1560426817,
        "media_type": "GraphImage", "media_url": "u", "caption": ["c"], "tags": ("a", "b"),
        "like_count": 1, "comment_count": 1, "video_view_count": 0, "owner": owner,
        "location": None, "comments": [comment] * 3, **FRESH,
    }  # fmt: skip
    user = {"id": 25025320, "username": "spacex", "media": [media] * 4}
    fields = (
        "id,username,media.first(3){edges{node{shortcode,created_time,timestamp,media_type,"
        "media_url,caption,tagged_user_media,tagged_user_text,tags,like_count,comment_count,"
        "video_view_count,location{id,name,slug,has_public_page},"
        "owner{id,username,full_name,profile_pic_url},"
        "comments.first(2){edges{node{id,parent_id,created_time,timestamp,text,"
        "owner{id,username,full_name,profile_pic_url}}}}}}}"
    )
    plan = compile(schema, "User", fields)
    out = execute(plan, user)
    assert out == interpret(plan, user)
    node = out["media"]["edges"][0]["node"]
    assert out["id"] == "25025320"
    assert node["created_time"] == "2019-06-13T11:53:37"
    assert node["tags"] == ["a", "b"] and node["location"] is None
    assert node["comments"]["edges"][1]["node"]["created_time"] == "2019-06-13T11:53:37"


def test_compiled_batch_owner_is_one_call_per_level() -> None:
    from graphfields import ID, Connection, Int, ObjectType, Schema, String, field_

    calls: list[int] = []

    def owners(parents: Any, ctx: Any) -> list[Any]:
        calls.append(len(parents))
        return [ctx[p["owner_id"]] for p in parents]

    owner = ObjectType("Owner", {"id": ID, "username": String})
    comment = ObjectType(
        "Comment", {"id": ID, "timestamp": Int, "owner": field_(owner, batch=owners)}
    )
    media = ObjectType(
        "Media",
        {
            "id": ID,
            "timestamp": Int,
            "owner": field_(owner, batch=owners),
            "comments": Connection(comment, timestamp_field="timestamp"),
        },
    )
    user = ObjectType(
        "User",
        {
            "id": ID,
            # a connection resolver returning the full sequence: graphfields slices it
            "media": Connection(
                media,
                timestamp_field="timestamp",
                resolve=lambda u, args, ctx: u["all_media"],
            ),
        },
    )
    s = Schema([user, media, comment, owner])
    people = {i: {"id": i, "username": f"u{i}"} for i in range(10)}
    data = {
        "id": 1,
        "all_media": [
            {
                "id": m,
                "timestamp": 10_000 - m,
                "owner_id": m % 10,
                "comments": [
                    {"id": c, "timestamp": 10_000 - c, "owner_id": c % 10} for c in range(30)
                ],
            }
            for m in range(150)
        ],
    }
    plan = compile(
        s,
        "User",
        "media.first(100){edges{node{id,owner{username},"
        "comments.first(20){edges{node{id,owner{username}}}}}}}",
    )
    out = execute(plan, data, context=people)
    assert sorted(calls) == [100, 2000]
    assert out["media"]["edges"][42]["node"]["owner"] == {"username": "u2"}
    assert out == interpret(plan, data, context=people)
    # request date filters go through the resolver's full sequence too
    calls.clear()
    recent = compile(s, "User", "media{edges{node{id}}}", filters={"from_timestamp": 9_996})
    assert [e["node"]["id"] for e in execute(recent, data, context=people)["media"]["edges"]] == [
        "0", "1", "2", "3", "4"
    ]  # fmt: skip
