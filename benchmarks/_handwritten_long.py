"""The spec's long user request written out by hand over the SQLite store's tables: the
same statements as :class:`~graphfields.instagram.sqlite_store.SQLiteStore` issues for it
(user, page, owners, locations, comments, commenters), each selecting the columns the
request needs, rows made into the answer's dicts directly. The practical limit of
``bench_service`` (a function) and ``bench_handwritten`` (a Starlette endpoint).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

__all__ = ["long_data"]

_USER = ("SELECT users.id, users.username, users.last_update, users.complete FROM usernames"
         " JOIN users ON users.id = usernames.user_id WHERE usernames.username = ?")
_PAGE = ("SELECT id, shortcode, timestamp, media_type, media_url, caption, tagged_user_media,"
         " tagged_user_text, tags, like_count, comment_count, video_view_count, owner_id,"
         " location_id, last_update FROM media WHERE owner_id = ?"
         " AND seq >= (SELECT MIN(seq) FROM media WHERE owner_id = ?)"
         " AND seq <= (SELECT MAX(seq) FROM media WHERE owner_id = ?) - 0"
         " ORDER BY seq DESC LIMIT ?")
_OWNERS = "SELECT id, username, profile_pic_url, full_name FROM users WHERE id IN ({})"
_LOCATIONS = "SELECT id, name, slug, has_public_page FROM locations WHERE id IN ({})"
_COMMENTS = ("SELECT * FROM (SELECT id, parent_id, timestamp, text, owner_id, last_update"
             " FROM comments WHERE parent_id = ? AND position >= 0 ORDER BY position"
             " LIMIT ? OFFSET 0)")


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


def long_data(conn: sqlite3.Connection, name: str, media_first: int,
              comments_first: int) -> dict[str, Any] | None:
    """The ``data`` of ``spec_request(media_first, comments_first)`` for user ``name``
    (``None``: no such user), with no loader (``is_being_updated`` is false)."""
    user = conn.execute(_USER, (name,)).fetchone()
    if user is None:
        return None
    uid = user[0]
    posts = conn.execute(_PAGE, (uid, uid, uid, media_first + 1)).fetchall()[:media_first]
    owners = _owners(conn, [p[12] for p in posts])
    places = list(dict.fromkeys(p[13] for p in posts if p[13] is not None))
    locations = {} if not places else {
        i: {"id": i, "name": n, "slug": s, "has_public_page": None if h is None else bool(h)}
        for i, n, s, h in conn.execute(_LOCATIONS.format(",".join("?" * len(places))), places)}
    by_post: dict[str, list[Any]] = {}
    limit = comments_first + 1
    if len(posts) > 1:
        sql = " UNION ALL ".join([_COMMENTS] * len(posts))
        for row in conn.execute(sql, [v for p in posts for v in (p[0], limit)]):
            by_post.setdefault(row[1], []).append(row)
    elif posts:
        by_post[posts[0][0]] = conn.execute(_COMMENTS, (posts[0][0], limit)).fetchall()
    commenters = _owners(conn, [c[4] for rows in by_post.values() for c in rows])
    edges = []
    for (mid, code, ts, kind, url, caption, tagged_media, tagged_text, tags, likes, n_comments,
         views, owner, place, updated) in posts:
        comments = [{"node": {"id": cid, "last_update": clu, "is_being_updated": False,
                              "parent_id": parent, "created_time": _iso(cts), "timestamp": cts,
                              "text": text, "owner": commenters.get(cowner)}}
                    for cid, parent, cts, text, cowner, clu
                    in by_post.get(mid, [])[:comments_first]]
        edges.append({"node": {
            "last_update": updated, "is_being_updated": False, "shortcode": code,
            "created_time": _iso(ts), "timestamp": ts, "media_type": kind, "media_url": url,
            "caption": _list(caption), "tagged_user_media": _list(tagged_media),
            "tagged_user_text": _list(tagged_text), "tags": _list(tags), "like_count": likes,
            "comment_count": n_comments, "video_view_count": views,
            "location": locations.get(place), "owner": owners.get(owner),
            "comments": {"edges": comments}}})
    return {"id": uid, "username": user[1], "media": {"edges": edges}}
