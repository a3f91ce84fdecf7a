"""InstagramService end to end over the spec fixture: every example of the spec's
sections 7-9 returns the spec's body exactly (dict equality), with a fixed clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphfields.errors import FieldsSyntaxError, FieldsValidationError, LimitExceededError
from graphfields.instagram.dataset import DatasetError
from graphfields.instagram.service import (
    SPEC_DATASET,
    InstagramService,
    NodeNotFound,
    create_service,
)
from graphfields.instagram.sqlite_store import SQLiteStore

NOW = 1_560_430_000.0  # June 2019, shortly after the spec's photography examples

MEDIA_URL = (
    "https://scontent-arn2-1.cdninstagram.com/vp/fad582c6f3702b6dc555acd344faef47/5D280A56/"
    "t51.2885-15/e35/30841940_161598917841784_3832690349499744256_n.jpg"
    "?_nc_ht=scontent-arn2-1.cdninstagram.com"
)
OWNER_PIC = (
    "https://scontent-arn2-1.cdninstagram.com/vp/d3c0da6a1364fbc4c6a1ee22548177c7/5D12A1B2/"
    "t51.2885-19/s150x150/36136080_195401041310743_524733991551500288_n.jpg"
    "?_nc_ht=scontent-arn2-1.cdninstagram.com"
)
JUICE_PIC = (
    "https://scontent-frx5-1.cdninstagram.com/vp/53bf5417386018688db2026becc5e1b2/5D7CE102/"
    "t51.2885-15/e35/c0.180.1440.1440a/s150x150/"
    "59967397_1041572172698184_788691368965451057_n.jpg?_nc_ht=scontent-frx5-1.cdninstagram.com"
)
MEDIA_HEAD = {
    "id": "1770093817144369706",
    "shortcode": "BiQovLGAWIq",
    "created_time": "2018-05-02T03:27:28",
}
OWNER = {"id": "3008836221", "username": "teslamotorsports"}


def node(media_id: str, ts: int, last_update: int) -> dict[str, Any]:
    return {"node": {"id": media_id, "timestamp": ts, "last_update": last_update,
                     "is_being_updated": False}}  # fmt: skip


# (node type, node ID, fields as the spec writes them, the spec's `data`)
SPEC_EXAMPLES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("tag", "juice", "id,media_count,profile_pic_url,last_update,is_being_updated", {
        "id": "juice", "media_count": 7979876, "profile_pic_url": JUICE_PIC,
        "last_update": 1559150950, "is_being_updated": False,
    }),
    ("media", "1770093817144369706", "id,shortcode,created_time,media_url",
     {**MEDIA_HEAD, "media_url": MEDIA_URL}),
    ("media", "1770093817144369706",
     "id,shortcode,created_time,media_url,\nowner{id,username,profile_pic_url}",
     {**MEDIA_HEAD, "media_url": MEDIA_URL, "owner": {**OWNER, "profile_pic_url": OWNER_PIC}}),
    ("media", "1770093817144369706",
     "id,shortcode,created_time,owner{id,username},\n"
     "comments.first(1){edges{node{id,text,owner{id,username}}}}",
     {**MEDIA_HEAD, "owner": OWNER, "comments": {"edges": [{"node": {
         "id": "17927679481127546", "timestamp": 1525641658, "last_update": 1551696861,
         "is_being_updated": False, "text": "Those brake pads ????",
         "owner": {"id": "527779220", "username": "steffenology"}}}]}}),
    ("tag", "photography",
     "id,\nmedia.first(3){page_info{has_next_page,start_cursor,end_cursor},edges{node{id}}}",
     {"id": "photography", "media": {
         "page_info": {"has_next_page": True, "start_cursor": "YXJyYXljb25uZWN0aW9uOjA=",
                       "end_cursor": "YXJyYXljb25uZWN0aW9uOjI="},
         "edges": [node("2065332295327345047", 1560426817, 1560427709),
                   node("2065330707747587078", 1560426628, 1560427712),
                   node("2065325341622271037", 1560425988, 1560426993)]}}),
    ("tag", "photography",
     'id,\nmedia.first(3).after("YXJyYXljb25uZWN0aW9uOjI="){page_info{has_next_page,'
     "start_cursor,end_cursor},edges{node{id}}}",
     {"id": "photography", "media": {
         "page_info": {"has_next_page": True, "start_cursor": "YXJyYXljb25uZWN0aW9uOjM=",
                       "end_cursor": "YXJyYXljb25uZWN0aW9uOjU="},
         "edges": [node("2065325342754604765", 1560425988, 1560426991),
                   node("2065325341632498158", 1560425988, 1560426996),
                   node("2065325341395840663", 1560425988, 1560426990)]}}),
    ("media", "1770093817144369706", "id,shortcode,created_time,owner{id,username}",
     {**MEDIA_HEAD, "owner": OWNER}),
    ("media", "BiQovLGAWIq", "id,shortcode,created_time,owner{id,username}",
     {**MEDIA_HEAD, "owner": OWNER}),
]  # fmt: skip


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InstagramService]:
    svc = create_service(db_path=tmp_path / "ig.db", data_file=SPEC_DATASET, clock=lambda: NOW)
    yield svc
    svc.close()


@pytest.mark.parametrize(("kind", "node_id", "fields", "expected"), SPEC_EXAMPLES)
def test_spec_examples(
    service: InstagramService, kind: str, node_id: str, fields: str, expected: dict[str, Any]
) -> None:
    assert service.fetch(kind, node_id, fields, {}) == expected


def test_spec_examples_in_demo_mode(tmp_path: Path) -> None:
    """The demo imports the fixture pinned: exact answers even with a loader and a late clock."""
    svc = create_service(db_path=tmp_path / "d.db", demo=True, demo_delay=0,
                         clock=lambda: NOW + 400 * 86400)  # fmt: skip
    try:
        for kind, node_id, fields, expected in SPEC_EXAMPLES:
            assert svc.fetch(kind, node_id, fields, {}) == expected
            assert svc.wait_idle(10)
            assert svc.fetch(kind, node_id, fields, {}) == expected
    finally:
        svc.close()


def test_spec_400_example(service: InstagramService) -> None:
    with pytest.raises(FieldsValidationError) as info:
        service.fetch("media", "1770093817144369706", "id_", {})
    assert info.value.message == 'Cannot query field "id_" on type "Media". Did you mean "id"?'


@pytest.mark.parametrize(
    ("kind", "node_id"),
    [("media", "1690"), ("user", "nobody"), ("tag", "nothing"), ("media", "BiQovLGAWIr"),
     ("media", "not a code!"), ("user", "bad/name"), ("tag", "two words"),
     ("media", "9" * 25), ("media", "_" * 20)],
)  # fmt: skip
def test_unknown_nodes_are_404_without_loader(
    service: InstagramService, kind: str, node_id: str
) -> None:
    with pytest.raises(NodeNotFound) as info:
        service.fetch(kind, node_id, "id", {})
    assert info.value.node_id == node_id
    assert info.value.message == f"Some nodes you requested cannot be loaded: {node_id}"


def test_bad_requests_fail_before_lookup(service: InstagramService) -> None:
    with pytest.raises(FieldsSyntaxError):
        service.fetch("user", "nobody", "id,{", {})
    with pytest.raises(FieldsValidationError):
        service.fetch("user", "spacex", "media.first(1000){edges{node{id}}}", {})
    with pytest.raises(FieldsValidationError):
        service.fetch("tag", "juice", "media{edges{node{id}}}", {"from_date": "2019-13-01"})
    with pytest.raises(FieldsValidationError, match="Filters are not supported on media"):
        service.fetch("media", "1770093817144369706", "id", {"from_date": "2019-01-01"})
    with pytest.raises(LimitExceededError):
        service.fetch("user", "spacex", "id" + "{id" * 200 + "}" * 200, {})


def test_default_fields_and_case(service: InstagramService) -> None:
    assert service.fetch("user", "SpaceX", None, {}) == {"id": "20311520"}
    assert service.fetch("tag", "Juice", "", {}) == {"id": "juice"}
    assert service.fetch("media", "BiQovLGAWIq", "  ", {}) == {"id": "1770093817144369706"}
    owner = service.fetch("media", "BiQovLGAWIq", "owner,location", {})
    assert owner == {"owner": {"id": "3008836221"}, "location": {"id": "212999109"}}


def test_user_example_of_section_3(service: InstagramService) -> None:
    fields = (
        "id,username,media.first(1){edges{node{shortcode,created_time,timestamp,media_type,"
        "media_url,caption,\ntagged_user_media,tagged_user_text,tags,like_count,comment_count,"
        "video_view_count,\nlocation{id,name,slug,has_public_page},\n"
        "owner{id,username,full_name,profile_pic_url},\n"
        "comments.first(1){edges{node{id,parent_id,created_time,timestamp,text,\n"
        "owner{id,username,full_name,profile_pic_url}}}}}}}"
    )
    data = service.fetch("user", "spacex", fields, {})
    post = data["media"]["edges"][0]["node"]
    assert data["username"] == "spacex"
    assert post["media_type"] == "GraphVideo" and post["tags"] == ["spacex"]
    assert post["location"]["name"] == "Hawthorne, California"
    assert post["owner"]["full_name"] == "SpaceX"
    comment = post["comments"]["edges"][0]["node"]
    assert comment["text"] == "What a landing!" and comment["owner"]["username"] == "yuki.frames"
    assert comment["created_time"] == "2019-06-12T14:53:20"
    assert post["is_being_updated"] is False and post["last_update"] == 1560427000


FILTERED = "media{edges{node{id}}}"


@pytest.mark.parametrize(
    ("filters", "count"),
    [({}, 3), ({"from_date": "2019-06-06"}, 2), ({"to_date": "2019-06-06"}, 2),
     ({"from_date": "2019-06-06", "to_date": "2019-06-06"}, 1),
     ({"from_timestamp": "1559850000", "to_timestamp": "1559850000"}, 1),
     ({"from_timestamp": "1560350001"}, 0)],
)  # fmt: skip
def test_user_media_filters(
    service: InstagramService, filters: dict[str, str], count: int
) -> None:
    data = service.fetch("user", "spacex", FILTERED, filters)
    assert len(data["media"]["edges"]) == count


def test_tag_filters_count_cursors_within_the_filtered_feed(service: InstagramService) -> None:
    fields = "media.first(2){page_info{has_next_page,has_previous_page},edges{cursor,node{id}}}"
    data = service.fetch("tag", "photography", fields, {"to_timestamp": "1560425988"})
    media = data["media"]
    assert [e["node"]["id"] for e in media["edges"]] == ["2065325341622271037",
                                                         "2065325342754604765"]
    assert media["edges"][0]["cursor"] == "YXJyYXljb25uZWN0aW9uOjA="
    assert media["page_info"] == {"has_next_page": True, "has_previous_page": False}


def test_backward_paging(service: InstagramService) -> None:
    fields = 'media.last(3).before("YXJyYXljb25uZWN0aW9uOjY="){page_info{has_previous_page,' \
             "start_cursor},edges{node{id}}}"  # fmt: skip
    media = service.fetch("tag", "photography", fields, {})["media"]
    assert [e["node"]["id"] for e in media["edges"]] == [
        "2065325342754604765", "2065325341632498158", "2065325341395840663"]  # fmt: skip
    assert media["page_info"] == {"has_previous_page": True,
                                  "start_cursor": "YXJyYXljb25uZWN0aW9uOjM="}  # fmt: skip


def test_owners_and_locations_are_one_query_per_page(service: InstagramService) -> None:
    store = service.store
    assert isinstance(store, SQLiteStore)
    statements: list[str] = []
    store.connection().set_trace_callback(statements.append)
    data = service.fetch(
        "tag", "photography",
        "media.first(10){edges{node{id,owner{username},location{name}}}}", {},
    )  # fmt: skip
    store.connection().set_trace_callback(None)
    assert len(data["media"]["edges"]) == 10
    users = [s for s in statements if "FROM users" in s]
    locations = [s for s in statements if "FROM locations" in s]
    assert len(users) == 1 and len(locations) == 1
    assert len(statements) <= 5  # the tag, its page, owners, locations, posts being loaded


def test_bad_data_file_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [{"id": "1"}]}')
    with pytest.raises(DatasetError, match=r'users\[0\]: missing "username"'):
        create_service(db_path=tmp_path / "x.db", data_file=bad)


def test_unknown_settings_rejected(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="post_tll"):
        create_service(db_path=tmp_path / "x.db", post_tll=5)


def test_parallel_requests_agree(service: InstagramService) -> None:
    """Worker threads (one SQLite connection each) answer exactly as one thread does."""
    failures: list[str] = []

    def work() -> None:
        for _ in range(20):
            for kind, node_id, fields, expected in SPEC_EXAMPLES:
                if service.fetch(kind, node_id, fields, {}) != expected:
                    failures.append(f"{kind}/{node_id}?fields={fields}")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_unknown_node_type(service: InstagramService) -> None:
    with pytest.raises(ValueError, match="unknown node type 'post'"):
        service.fetch("post", "1", "id", {})
