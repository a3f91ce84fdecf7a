"""The practical limit the reference server is measured against: a hand-written Starlette
endpoint for three request shapes of ``/instagram/user/<name>`` (a feed page, the same
page at a cursor, and the spec's long request with ``first(5)``: :data:`LONG`), issuing
the same SQL as
:class:`~graphfields.instagram.sqlite_store.SQLiteStore` and answering the same bytes
(bench_handwritten checks that before timing) with the same headers. Nothing generic:
no field selection, no validation beyond what these shapes need - which is the point.

Run by bench_handwritten as ``uvicorn benchmarks._handwritten:app`` with
``BENCH_HANDWRITTEN_DB`` naming the SQLite file and ``BENCH_HANDWRITTEN_TOKEN`` the token.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import threading
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks._handwritten_long import long_data
from benchmarks.data import spec_request

DB = os.environ.get("BENCH_HANDWRITTEN_DB", "")
TOKEN = os.environ.get("BENCH_HANDWRITTEN_TOKEN", "")
FEED = "id,media.first(10){edges{node{id,like_count}}}"
PAGE = re.compile(r'id,media\.first\(10\)\.after\("([A-Za-z0-9+/=]+)"\)'
                  r"\{page_info\{has_next_page,end_cursor\},edges\{node\{id,like_count\}\}\}\Z")
LONG = spec_request(5, 5)
"""The spec's long user request (section 3) with ``media.first(5)`` and ``comments.first(5)``."""
HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
"""The reference API's response headers besides the content type (same bytes on the wire)."""
_JSON = "application/json; charset=utf-8"
_local = threading.local()
_USER = ("SELECT users.id FROM usernames JOIN users ON users.id = usernames.user_id"
         " WHERE usernames.username = ?")
_PAGE = ("SELECT id, like_count, timestamp, last_update FROM media WHERE owner_id = ?"
         " AND seq >= (SELECT MIN(seq) FROM media WHERE owner_id = ?)"
         " AND seq <= (SELECT MAX(seq) FROM media WHERE owner_id = ?) - ?"
         " ORDER BY seq DESC LIMIT 11")


def _long(conn: sqlite3.Connection, name: str) -> Response:
    data = long_data(conn, name, 5, 5)
    if data is None:
        return _error(404, "NodeNotExistsError",
                      f"Some nodes you requested cannot be loaded: {name}")
    return Response(orjson.dumps({"error": {}, "data": data, "status": "ok"}), headers=HEADERS,
                    media_type=_JSON)


def _conn() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(DB, check_same_thread=False)
    return conn


def _error(status: int, kind: str, message: str) -> Response:
    body = {"error": {"message": message, "type": kind}, "data": {}, "status": kind}
    return Response(orjson.dumps(body), status, headers=HEADERS, media_type=_JSON)


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
                                  "status": "ok"}), headers=HEADERS, media_type=_JSON)


def pooled_user(request: Request) -> Response:
    """The endpoint as a plain function: Starlette runs it on its thread pool."""
    if request.query_params.get("access_token") != TOKEN:
        return _error(403, "AuthenticationError", "Invalid access token")
    return _answer(request.path_params["name"].lower(), request.query_params.get("fields", ""))


async def user(request: Request) -> Response:
    """The endpoint on the event loop (SQLite's reads of these shapes take well under a
    millisecond, so a hand-written server would not pay for a thread hop)."""
    return pooled_user(request)


app = Starlette(routes=[Route("/instagram/user/{name}", user)])
pooled = Starlette(routes=[Route("/instagram/user/{name}", pooled_user)])
"""The same endpoint on Starlette's thread pool (as the reference server runs requests)."""
