"""Reads select what the request needs (issue 10): the stores' ``columns=`` projections,
against both backends, and the service's answers with projected reads against the same
service reading whole rows (the differential backbone: byte-identical answers)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_store_conformance import BACKENDS, DATA, NOW, _open

from graphfields.compiler import compile
from graphfields.instagram.dataset import import_dataset
from graphfields.instagram.schema import SCHEMA, columns_of, node_type
from graphfields.instagram.service import InstagramService
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.instagram.store import Row, Store
from graphfields.schema import ConnectionArgs


@pytest.fixture(params=BACKENDS)
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = _open(request.param, request, tmp_path)
    import_dataset(s, DATA, now=NOW)
    yield s
    s.close()


POST = DATA["media"][0]["id"]


def _shortcode(s: Store) -> str:
    row = s.get_media(POST)
    assert row is not None
    return str(row["shortcode"])


POSTS = [m["id"] for m in DATA["media"][:4]]
ARGS = [ConnectionArgs(first=3), ConnectionArgs(first=2, after=1), ConnectionArgs(last=2),
        ConnectionArgs(since=DATA["media"][2]["timestamp"], first=4)]

# (read, columns, the keys its rows carry beyond those)
SINGLE: list[tuple[str, Callable[..., Any], tuple[str, ...], set[str]]] = [
    ("get_user", lambda s, **kw: s.get_user("ALICE", **kw), ("username",), {"id"}),
    ("get_user", lambda s, **kw: s.get_user("bob", **kw),
     ("complete", "last_update", "is_private", "follower_count"), {"id"}),
    ("get_media", lambda s, **kw: s.get_media(POST, **kw), ("caption", "tags"), {"id"}),
    ("get_media", lambda s, **kw: s.get_media(POST, **kw), (), {"id"}),
    ("get_media_by_shortcode",
     lambda s, **kw: s.get_media_by_shortcode(_shortcode(s), **kw),
     ("like_count", "timestamp", "complete"), {"id"}),
    ("get_tag", lambda s, **kw: s.get_tag("sun", **kw), ("media_count",), {"id"}),
]


def _cut(row: Row, keys: set[str]) -> Row:
    return {k: v for k, v in row.items() if k in keys}


@pytest.mark.parametrize(("name", "read", "cols", "keys"), SINGLE,
                         ids=[f"{s[0]}-{'+'.join(s[2]) or 'none'}" for s in SINGLE])
def test_a_projected_node_read_is_the_whole_row_cut_to_its_columns(
        filled: Store, name: str, read: Callable[..., Any], cols: tuple[str, ...],
        keys: set[str]) -> None:
    whole = read(filled)
    got = read(filled, columns=cols)
    assert whole is not None and got is not None
    assert got == _cut(whole, set(cols) | keys)
    assert set(got) == set(cols) | keys


def test_projected_batch_reads(filled: Store) -> None:
    whole = filled.users_by_ids(["1", "2", "404"])
    got = filled.users_by_ids(["1", "2", "404"], columns=("full_name", "profile_pic_url"))
    assert got == {k: _cut(v, {"id", "full_name", "profile_pic_url"}) for k, v in whole.items()}
    whole_loc = filled.locations_by_ids(["77"])
    assert filled.locations_by_ids(["77"], columns=("slug",)) == {
        "77": _cut(whole_loc["77"], {"id", "slug"})}
    assert filled.get_user("nobody", columns=("username",)) is None


@pytest.mark.parametrize("args", ARGS, ids=str)
@pytest.mark.parametrize("page", ["user", "tag", "comments", "batch"])
def test_projected_pages_equal_whole_pages_cut(filled: Store, page: str,
                                               args: ConnectionArgs) -> None:
    reads: dict[str, tuple[Callable[..., Any], tuple[str, ...], set[str]]] = {
        "user": (lambda **kw: [filled.user_media_page("1", args, **kw)],
                 ("like_count", "caption"), {"id"}),
        "tag": (lambda **kw: [filled.tag_media_page("sun", args, **kw)],
                ("timestamp",), {"id"}),
        "comments": (lambda **kw: [filled.media_comments_page(POST, args, **kw)],
                     ("text",), {"id", "parent_id"}),
        "batch": (lambda **kw: filled.media_comments_pages([*POSTS, POSTS[0]], args, **kw),
                  ("owner_id", "timestamp"), {"id", "parent_id"}),
    }
    read, cols, keys = reads[page]
    whole, got = read(), read(columns=cols)
    assert len(got) == len(whole)
    for w, g in zip(whole, got, strict=True):
        assert (g.offset, g.has_next_page, g.has_previous_page) == (
            w.offset, w.has_next_page, w.has_previous_page)
        assert list(g.nodes) == [_cut(n, set(cols) | keys) for n in w.nodes]


def test_a_name_that_is_not_a_column_is_refused(filled: Store) -> None:
    with pytest.raises(ValueError, match="not columns of users: created_time"):
        filled.get_user("alice", columns=("created_time",))


# -- the service --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "fields", "expected"), [
    ("user", "id,username", {"User": ("id", "username")}),
    ("user", "media.first(2){page_info{has_next_page}}", {"User": ("id",)}),
    ("user", "media{edges{node{created_time,owner{username},location{name}}}}",
     {"User": ("id",),
      "Media": ("id", "last_update", "location_id", "owner_id", "timestamp"),
      "Owner": ("username",), "Location": ("name",)}),
    ("media", "is_being_updated,comments.first(1){edges{node{text,owner{id}}}}",
     {"Media": ("id",),
      "Comment": ("last_update", "owner_id", "parent_id", "text", "timestamp"),
      "Owner": ("id",)}),
    ("tag", "is_being_updated,media_count", {"Tag": ("id", "media_count")}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_columns_of_a_selection(kind: str, fields: str,
                                expected: dict[str, tuple[str, ...]]) -> None:
    plan = compile(SCHEMA, node_type(kind), fields)
    assert columns_of(plan.selection) == expected


class _WholeRows:
    """The same store, with one read that takes no ``columns=``: the service then reads
    whole rows everywhere (the behaviour before projections)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get_tag(self, name: str) -> Row | None:
        return self._store.get_tag(name)


REQUESTS = [
    ("user", "alice", None, {}),
    ("user", "alice", "id,username,full_name,is_private,follower_count,is_being_updated", {}),
    ("user", "Alice", "media.first(3){page_info{has_next_page,end_cursor},edges{cursor,node{"
     "id,shortcode,created_time,caption,tags,like_count,owner{id,username,full_name},"
     "location{id,name,slug,has_public_page},comments.first(2){page_info{has_next_page},"
     "edges{node{id,parent_id,created_time,text,is_being_updated,owner{username}}}}}}}", {}),
    ("user", "alice", "media.last(2){edges{node{like_count}}}", {}),
    ("user", "alice", "media{edges{node{id}}}",
     {"from_timestamp": str(DATA["media"][4]["timestamp"])}),
    ("user", "bob", "media.first(1){page_info{has_next_page}}", {}),
    ("tag", "SUN", "id,media_count,is_being_updated,"
     'media.first(4).after("YXJyYXljb25uZWN0aW9uOjE=")'
     "{edges{node{id,timestamp,owner{username}}}}", {}),
    ("media", POST, None, {}),
    ("media", POST, "id,owner{username},location{slug},comments.last(3){edges{node{text}}}", {}),
    ("media", POST, "comments{page_info{has_previous_page}}", {}),
]


def test_projected_answers_are_the_whole_row_answers(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "ig.sqlite3")
    import_dataset(store, DATA, now=NOW)
    projected = InstagramService(store, clock=lambda: NOW)
    whole = InstagramService(_WholeRows(store), clock=lambda: NOW)  # type: ignore[arg-type]
    statements: list[str] = []
    whole_rows = re.compile(r"SELECT \* FROM [a-z]|\w\.\*")  # not COUNT(*), SELECT * FROM (
    try:
        for kind, node, fields, filters in REQUESTS:
            want = whole.fetch(kind, node, fields, filters)
            store.connection().set_trace_callback(statements.append)
            got = projected.fetch(kind, node, fields, filters)
            store.connection().set_trace_callback(None)
            assert json.dumps(got) == json.dumps(want), (kind, node, fields)
        whole_statements: list[str] = []
        store.connection().set_trace_callback(whole_statements.append)
        whole.fetch(*REQUESTS[2][:3], {})
        assert [s for s in whole_statements if whole_rows.search(s)]  # the check can fail
    finally:
        projected.close()
    reads = [s for s in statements if s.startswith("SELECT") and " FROM jobs" not in s]
    assert reads and not [s for s in reads if whole_rows.search(s)], reads


def test_projected_answers_on_every_backend(filled: Store) -> None:
    projected = InstagramService(filled, clock=lambda: NOW)
    whole = InstagramService(_WholeRows(filled), clock=lambda: NOW)  # type: ignore[arg-type]
    for kind, node, fields, filters in REQUESTS:
        assert json.dumps(projected.fetch(kind, node, fields, filters)) == json.dumps(
            whole.fetch(kind, node, fields, filters)), (kind, node, fields)
