"""A Strawberry server for ``bench_handwritten``: the same three request shapes of
``/instagram/user/<name>`` as :mod:`benchmarks._handwritten`, answered by a Strawberry
schema (its ``ParserCache`` and ``ValidationCache`` on, snake_case names, per-request
DataLoaders) whose resolvers issue the same SQL as the reference server's SQLite store:
the user, one page, owners, locations, one ``UNION ALL`` of the posts' comment pages, the
commenters. Each ``fields`` string maps to the equivalent GraphQL document (fields in the
reference's output order, so the bytes are the same: checked before timing); the answer
is put in the spec's envelope.

Strawberry needs graphql-core 3.3 (the project pins 3.2): it runs in ``.venv/strawberry``
(``make bench-env``) as ``uvicorn benchmarks._strawberry_server:app``, with
``BENCH_HANDWRITTEN_DB`` and ``BENCH_HANDWRITTEN_TOKEN`` as the hand-written endpoint.
"""

from __future__ import annotations

import base64
import json
import operator
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeAlias

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

DB = os.environ.get("BENCH_HANDWRITTEN_DB", "")
TOKEN = os.environ.get("BENCH_HANDWRITTEN_TOKEN", "")
_local = threading.local()
Row: TypeAlias = dict[str, Any]

_FEED = "id,media.first(10){edges{node{id,like_count}}}"
_PAGE = re.compile(r'id,media\.first\(10\)\.after\("([A-Za-z0-9+/=]+)"\)'
                   r"\{page_info\{has_next_page,end_cursor\},edges\{node\{id,like_count\}\}\}\Z")
_LONG = (  # benchmarks.data.spec_request(5, 5); this venv does not import graphfields
    "id,username,media.first(5){edges{node{shortcode,created_time,timestamp,media_type,"
    "media_url,caption,tagged_user_media,tagged_user_text,tags,like_count,comment_count,"
    "video_view_count,location{id,name,slug,has_public_page},"
    "owner{id,username,full_name,profile_pic_url},comments.first(5){edges{node{id,parent_id,"
    "created_time,timestamp,text,owner{id,username,full_name,profile_pic_url}}}}}}}")
_OWNER = "owner { id username full_name profile_pic_url }"
_DOCS = {
    "feed": "query($name: String!) { user(name: $name) { id media(first: 10) {"
            " edges { node { id timestamp last_update is_being_updated like_count } } } } }",
    "page": "query($name: String!, $after: Int!) { user(name: $name) { id"
            " media(first: 10, after: $after) { page_info { has_next_page end_cursor }"
            " edges { node { id timestamp last_update is_being_updated like_count } } } } }",
    "long": "query($name: String!) { user(name: $name) { id username media(first: 5) {"
            " edges { node { last_update is_being_updated shortcode created_time timestamp"
            " media_type media_url caption tagged_user_media tagged_user_text tags like_count"
            " comment_count video_view_count location { id name slug has_public_page }"
            f" {_OWNER} comments(first: 5) {{ edges {{ node {{ id last_update"
            f" is_being_updated parent_id created_time timestamp text {_OWNER} }} }} }}"
            " } } } } }",
}

_USER = ("SELECT users.id, users.username, users.last_update, users.complete FROM usernames"
         " JOIN users ON users.id = usernames.user_id WHERE usernames.username = ?")
_MEDIA_COLS = {
    "short": "id, timestamp, like_count, last_update",
    "long": "id, shortcode, timestamp, media_type, media_url, caption, tagged_user_media,"
            " tagged_user_text, tags, like_count, comment_count, video_view_count, owner_id,"
            " location_id, last_update",
}
_MEDIA = ("SELECT {} FROM media WHERE owner_id = ?"
          " AND seq >= (SELECT MIN(seq) FROM media WHERE owner_id = ?)"
          " AND seq <= (SELECT MAX(seq) FROM media WHERE owner_id = ?) - ?"
          " ORDER BY seq DESC LIMIT ?")
_COMMENTS = ("SELECT * FROM (SELECT id, parent_id, timestamp, text, owner_id, last_update"
             " FROM comments WHERE parent_id = ? AND position >= 0 ORDER BY position"
             " LIMIT ? OFFSET 0)")


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(DB, check_same_thread=False)
    return conn


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))


def _list(text: str | None) -> Any:
    return None if text is None else json.loads(text)


async def _owners(ids: list[str]) -> list[Row | None]:
    marks = ",".join("?" * len(ids))
    found = {i: {"id": i, "username": u, "full_name": f, "profile_pic_url": p}
             for i, u, p, f in _conn().execute(
                 "SELECT id, username, profile_pic_url, full_name FROM users"
                 f" WHERE id IN ({marks})", ids)}
    return [found.get(i) for i in ids]


async def _locations(ids: list[str]) -> list[Row | None]:
    marks = ",".join("?" * len(ids))
    found = {i: {"id": i, "name": n, "slug": s, "has_public_page": None if h is None else bool(h)}
             for i, n, s, h in _conn().execute(
                 f"SELECT id, name, slug, has_public_page FROM locations WHERE id IN ({marks})",
                 ids)}
    return [found.get(i) for i in ids]


async def _comment_pages(keys: list[tuple[str, int]]) -> list[list[Row]]:
    sql = " UNION ALL ".join([_COMMENTS] * len(keys))
    by_post: dict[str, list[Row]] = {}
    for cid, parent, ts, text, owner, lu in _conn().execute(
            sql, [v for post, first in keys for v in (post, first + 1)]):
        by_post.setdefault(parent, []).append(
            {"id": cid, "parent_id": parent, "timestamp": ts, "created_time": _iso(ts),
             "text": text, "owner_id": owner, "last_update": lu, "is_being_updated": False})
    return [by_post.get(post, [])[:first] for post, first in keys]


@dataclass
class Loaders:
    owners: DataLoader[str, Row | None]
    locations: DataLoader[str, Row | None]
    comments: DataLoader[tuple[str, int], list[Row]]
    long: bool = False


Info: TypeAlias = strawberry.Info[Loaders, Any]


@strawberry.type
class Owner:
    id: strawberry.ID | None
    username: str | None
    full_name: str | None
    profile_pic_url: str | None


@strawberry.type
class Location:
    id: strawberry.ID | None
    name: str | None
    slug: str | None
    has_public_page: bool | None


async def _owner(root: Any, info: Info) -> Owner | None:
    owner = root["owner_id"]
    return None if owner is None else await info.context.owners.load(owner)


async def _location(root: Any, info: Info) -> Location | None:
    place = root["location_id"]
    return None if place is None else await info.context.locations.load(place)


@strawberry.type
class Comment:
    id: strawberry.ID | None
    last_update: int | None
    is_being_updated: bool
    parent_id: strawberry.ID | None
    created_time: str | None
    timestamp: int | None
    text: str | None
    owner: Owner | None = strawberry.field(resolver=_owner)


@strawberry.type
class CommentEdge:
    node: Comment


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]


async def _comments(root: Any, info: Info, first: int) -> CommentConnection:
    rows = await info.context.comments.load((root["id"], first))
    return {"edges": [{"node": r} for r in rows]}  # type: ignore[return-value]


@strawberry.type
class Media:
    id: strawberry.ID | None
    last_update: int | None
    is_being_updated: bool
    shortcode: str | None
    created_time: str | None
    timestamp: int | None
    media_type: str | None
    media_url: str | None
    caption: list[str] | None
    tagged_user_media: list[str] | None
    tagged_user_text: list[str] | None
    tags: list[str] | None
    like_count: int | None
    comment_count: int | None
    video_view_count: int | None
    location: Location | None = strawberry.field(resolver=_location)
    owner: Owner | None = strawberry.field(resolver=_owner)
    comments: CommentConnection = strawberry.field(resolver=_comments)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class MediaEdge:
    node: Media


@strawberry.type
class MediaConnection:
    page_info: PageInfo
    edges: list[MediaEdge]


def _media(root: Any, info: Info, first: int, after: int | None = None) -> MediaConnection:
    long = info.context.long  # which columns: the long shape's or the feed's
    uid = root["id"]
    start = 0 if after is None else after + 1
    rows = _conn().execute(_MEDIA.format(_MEDIA_COLS["long" if long else "short"]),
                           (uid, uid, uid, start, first + 1)).fetchall()
    nodes: list[Row] = []
    for r in rows[:first]:
        if long:
            (mid, code, ts, kind, url, caption, tagged_media, tagged_text, tags, likes,
             n_comments, views, owner, place, lu) = r
            nodes.append({
                "id": mid, "shortcode": code, "timestamp": ts, "created_time": _iso(ts),
                "media_type": kind, "media_url": url, "caption": _list(caption),
                "tagged_user_media": _list(tagged_media), "tagged_user_text": _list(tagged_text),
                "tags": _list(tags), "like_count": likes, "comment_count": n_comments,
                "video_view_count": views, "owner_id": owner, "location_id": place,
                "last_update": lu, "is_being_updated": False})
        else:
            mid, ts, likes, lu = r
            nodes.append({"id": mid, "timestamp": ts, "like_count": likes, "last_update": lu,
                          "is_being_updated": False})
    end = base64.b64encode(f"arrayconnection:{start + len(nodes) - 1}".encode()).decode()
    return {"page_info": {"has_next_page": len(rows) > first,  # type: ignore[return-value]
                          "end_cursor": end if nodes else None},
            "edges": [{"node": n} for n in nodes]}


@strawberry.type
class User:
    id: strawberry.ID
    username: str | None
    media: MediaConnection = strawberry.field(resolver=_media)


@strawberry.type
class Query:
    @strawberry.field
    def user(self, name: str) -> User | None:
        row = _conn().execute(_USER, (name,)).fetchone()
        return None if row is None else {"id": row[0], "username": row[1]}  # type: ignore[return-value]


schema = strawberry.Schema(
    query=Query, config=StrawberryConfig(auto_camel_case=False,
                                         default_resolver=operator.getitem),
    extensions=[ParserCache(maxsize=100), ValidationCache(maxsize=100)])


def _error(status: int, kind: str, message: str) -> Response:
    body = {"error": {"message": message, "type": kind}, "data": {}, "status": kind}
    return Response(orjson.dumps(body), status, media_type="application/json; charset=utf-8")


async def user(request: Request) -> Response:
    if request.query_params.get("access_token") != TOKEN:
        return _error(403, "AuthenticationError", "Invalid access token")
    name = request.path_params["name"].lower()
    fields = request.query_params.get("fields", "")
    variables: dict[str, Any] = {"name": name}
    if fields == _FEED:
        doc = _DOCS["feed"]
    elif fields == _LONG:
        doc = _DOCS["long"]
    else:
        m = _PAGE.match(fields)
        if m is None:
            return _error(400, "InvalidRequestError", "unsupported fields")
        doc = _DOCS["page"]
        variables["after"] = int(base64.b64decode(m.group(1)).decode().rpartition(":")[2])
    loaders = Loaders(DataLoader(_owners), DataLoader(_locations), DataLoader(_comment_pages),
                      doc is _DOCS["long"])
    result = await schema.execute(doc, variable_values=variables, context_value=loaders)
    if result.errors:
        return _error(500, "InternalServerError", str(result.errors[0]))
    assert result.data is not None
    data = result.data["user"]
    if data is None:
        return _error(404, "NodeNotExistsError",
                      f"Some nodes you requested cannot be loaded: {name}")
    return Response(orjson.dumps({"error": {}, "data": data, "status": "ok"}),
                    media_type="application/json; charset=utf-8")


app = Starlette(routes=[Route("/instagram/user/{name}", user)])
