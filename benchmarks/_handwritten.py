"""The practical limit the reference server is measured against: a hand-written Starlette
endpoint for three request shapes of ``/instagram/user/<name>`` (a feed page, the same
page at a cursor, and the spec's long request with ``first(5)``: :data:`LONG`), issuing
the same SQL as
:class:`~graphfields.instagram.sqlite_store.SQLiteStore` and answering the same bytes
(bench_handwritten checks that before timing). Nothing generic: no field selection, no
validation beyond what these shapes need - which is the point.

Run by bench_handwritten as ``uvicorn benchmarks._handwritten:app`` with
``BENCH_HANDWRITTEN_DB`` naming the SQLite file and ``BENCH_HANDWRITTEN_TOKEN`` the token.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sqlite3
import threading
import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.data import spec_request

DB = os.environ.get("BENCH_HANDWRITTEN_DB", "")
TOKEN = os.environ.get("BENCH_HANDWRITTEN_TOKEN", "")
FEED = "id,media.first(10){edges{node{id,like_count}}}"
PAGE = re.compile(r'id,media\.first\(10\)\.after\("([A-Za-z0-9+/=]+)"\)'
                  r"\{page_info\{has_next_page,end_cursor\},edges\{node\{id,like_count\}\}\}\Z")
LONG = spec_request(5, 5)
"""The spec's long user request (section 3) with ``media.first(5)`` and ``comments.first(5)``."""
_local = threading.local()
_USER = ("SELECT users.id FROM usernames JOIN users ON users.id = usernames.user_id"
         " WHERE usernames.username = ?")
_PAGE = ("SELECT id, like_count, timestamp, last_update FROM media WHERE owner_id = ?"
         " AND seq >= (SELECT MIN(seq) FROM media WHERE owner_id = ?)"
         " AND seq <= (SELECT MAX(seq) FROM media WHERE owner_id = ?) - ?"
         " ORDER BY seq DESC LIMIT 11")


_LONG_USER = ("SELECT users.id, users.username, users.last_update, users.complete FROM usernames"
              " JOIN users ON users.id = usernames.user_id WHERE usernames.username = ?")
_LONG_PAGE = ("SELECT id, shortcode, timestamp, media_type, media_url, caption, tagged_user_media,"
              " tagged_user_text, tags, like_count, comment_count, video_view_count, owner_id,"
              " location_id, last_update FROM media WHERE owner_id = ?"
              " AND seq >= (SELECT MIN(seq) FROM media WHERE owner_id = ?)"
              " AND seq <= (SELECT MAX(seq) FROM media WHERE owner_id = ?) - 0"
              " ORDER BY seq DESC LIMIT 6")
_OWNERS = "SELECT id, username, profile_pic_url, full_name FROM users WHERE id IN ({})"
_LOCATIONS = "SELECT id, name, slug, has_public_page FROM locations WHERE id IN ({})"
_COMMENTS = ("SELECT * FROM (SELECT id, parent_id, timestamp, text, owner_id, last_update"
             " FROM comments WHERE parent_id = ? ORDER BY position LIMIT 6 OFFSET 0)")


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))


def _list(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _owners(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    wanted = list(dict.fromkeys(i for i in ids if i is not None))
    if not wanted:
        return {}
    rows = conn.execute(_OWNERS.format(",".join("?" * len(wanted))), wanted)
    return {i: {"id": i, "username": u, "full_name": f, "profile_pic_url": p}
            for i, u, p, f in rows}


def _long(conn: sqlite3.Connection, name: str) -> Response:
    """The spec's long request, written out: the same six statements as the reference
    server's store (user, page, owners, locations, comments, commenters)."""
    user = conn.execute(_LONG_USER, (name,)).fetchone()
    if user is None:
        return _error(404, "NodeNotExistsError",
                      f"Some nodes you requested cannot be loaded: {name}")
    uid = user[0]
    posts = conn.execute(_LONG_PAGE, (uid, uid, uid)).fetchall()[:5]
    owners = _owners(conn, [p[12] for p in posts])
    places = list(dict.fromkeys(p[13] for p in posts if p[13] is not None))
    locations = {} if not places else {
        i: {"id": i, "name": n, "slug": s, "has_public_page": None if h is None else bool(h)}
        for i, n, s, h in conn.execute(_LOCATIONS.format(",".join("?" * len(places))), places)}
    by_post: dict[str, list[Any]] = {}
    if len(posts) > 1:
        sql = " UNION ALL ".join([_COMMENTS] * len(posts))
        for row in conn.execute(sql, [p[0] for p in posts]):
            by_post.setdefault(row[1], []).append(row)
    elif posts:
        by_post[posts[0][0]] = conn.execute(_COMMENTS, (posts[0][0],)).fetchall()
    commenters = _owners(conn, [c[4] for rows in by_post.values() for c in rows])
    edges = []
    for (mid, code, ts, kind, url, caption, tagged_media, tagged_text, tags, likes, n_comments,
         views, owner, place, updated) in posts:
        comments = [{"node": {"id": cid, "last_update": clu, "is_being_updated": False,
                              "parent_id": parent, "created_time": _iso(cts), "timestamp": cts,
                              "text": text, "owner": commenters.get(cowner)}}
                    for cid, parent, cts, text, cowner, clu in by_post.get(mid, [])[:5]]
        edges.append({"node": {
            "last_update": updated, "is_being_updated": False, "shortcode": code,
            "created_time": _iso(ts), "timestamp": ts, "media_type": kind, "media_url": url,
            "caption": _list(caption), "tagged_user_media": _list(tagged_media),
            "tagged_user_text": _list(tagged_text), "tags": _list(tags), "like_count": likes,
            "comment_count": n_comments, "video_view_count": views,
            "location": locations.get(place), "owner": owners.get(owner),
            "comments": {"edges": comments}}})
    data = {"id": uid, "username": user[1], "media": {"edges": edges}}
    return Response(orjson.dumps({"error": {}, "data": data, "status": "ok"}),
                    media_type="application/json; charset=utf-8")


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(DB, check_same_thread=False)
    return conn


def _error(status: int, kind: str, message: str) -> Response:
    body = {"error": {"message": message, "type": kind}, "data": {}, "status": kind}
    return Response(orjson.dumps(body), status, media_type="application/json; charset=utf-8")


def _answer(name: str, fields: str) -> Response:
    after = None
    if fields == LONG:
        return _long(_conn(), name)
    if fields != FEED:
        m = PAGE.match(fields)
        if m is None:
            return _error(400, "InvalidRequestError", "unsupported fields")
        after = int(base64.b64decode(m.group(1)).decode().rpartition(":")[2])
    conn = _conn()
    user = conn.execute(_USER, (name,)).fetchone()
    if user is None:
        return _error(404, "NodeNotExistsError",
                      f"Some nodes you requested cannot be loaded: {name}")
    uid = user[0]
    start = 0 if after is None else after + 1
    rows = conn.execute(_PAGE, (uid, uid, uid, start)).fetchall()
    edges = [{"node": {"id": i, "timestamp": ts, "last_update": lu, "is_being_updated": False,
                       "like_count": likes}} for i, likes, ts, lu in rows[:10]]
    media: dict[str, Any] = {}
    if after is not None:
        end = base64.b64encode(f"arrayconnection:{start + len(edges) - 1}".encode()).decode()
        media["page_info"] = {"has_next_page": len(rows) > 10,
                              "end_cursor": end if edges else None}
    media["edges"] = edges
    return Response(orjson.dumps({"error": {}, "data": {"id": uid, "media": media},
                                  "status": "ok"}),
                    media_type="application/json; charset=utf-8")


def user(request: Request) -> Response:
    if request.query_params.get("access_token") != TOKEN:
        return _error(403, "AuthenticationError", "Invalid access token")
    return _answer(request.path_params["name"].lower(), request.query_params.get("fields", ""))


app = Starlette(routes=[Route("/instagram/user/{name}", user)])
