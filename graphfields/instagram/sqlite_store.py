"""The SQLite implementation of :class:`graphfields.instagram.store.Store`.

One database file in WAL mode, so readers never wait for the writer. Thread safety:
each thread gets its own connection (``threading.local``; a server's worker threads
read in parallel), and writes are serialized by one process-wide lock on top of SQLite's
own file lock, so concurrent loads queue instead of failing with ``database is locked``.
Every write is one ``BEGIN IMMEDIATE`` transaction: a crash or an error in the middle
leaves no half-written node. Every page, deep, backward or date-filtered, is an index
range of positions kept on write (:mod:`graphfields.instagram.positions`: ``seq`` on a
user's feed, ``position`` on a tag's feed and a post's comments), counted from its bounds;
owners and locations of a page come in one ``IN`` query, and so do the comment pages of
all the posts of a page (each post's range in one ``UNION ALL`` query; see
:meth:`SQLiteStore.media_comments_pages`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from graphfields.instagram.backend import (
    COMMENT_COLS,
    batched_pages,
    check_references,
    claim_usernames,
    date_params,
    entity_table,
    kinds,
    loads,
    read_forward,
    read_page,
    row_maker,
    selected,
    upsert,
    write_order,
)
from graphfields.instagram.dataset import Batch
from graphfields.instagram.jobs import JOBS_TABLE, Enqueued, Job, new_claim
from graphfields.instagram.positions import (
    ADDED_COLUMNS,
    COMMENTS,
    MIGRATE_POSITIONS,
    POSITION_INDEXES,
    TAG_FEED,
    Positions,
    Sequencing,
    feed_bounds,
    feed_total,
    forward_sql,
    page_sql,
    position_range,
    sequencing,
    total_sql,
    union_sql,
    window_page,
    write_positions,
)
from graphfields.instagram.store import IMPORTS_TABLE, PINNED, Row, StoreError
from graphfields.relay import Page
from graphfields.schema import ConnectionArgs

__all__ = ["SQLiteStore"]

_TYPES = {"id": "TEXT", "str": "TEXT", "int": "INTEGER", "bool": "INTEGER", "strlist": "TEXT"}
_SCHEMA = ";\n".join([
    entity_table("users", _TYPES, {"username": "TEXT NOT NULL COLLATE NOCASE"}),
    "CREATE INDEX IF NOT EXISTS users_by_username ON users (username, last_update DESC)",
    entity_table("locations", _TYPES),
    entity_table("media", _TYPES),
    "CREATE INDEX IF NOT EXISTS media_by_owner ON media (owner_id, timestamp DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS media_by_shortcode ON media (shortcode)",
    entity_table("comments", _TYPES),
    "CREATE INDEX IF NOT EXISTS comments_by_media ON comments (parent_id, position)",
    entity_table("tags", _TYPES, {"id": "TEXT PRIMARY KEY COLLATE NOCASE"}),
    "CREATE TABLE IF NOT EXISTS tag_media (tag TEXT NOT NULL COLLATE NOCASE,"
    " position INTEGER NOT NULL, media_id TEXT NOT NULL, ts INTEGER,"
    " PRIMARY KEY (tag, position)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS missing (kind TEXT NOT NULL, key TEXT NOT NULL COLLATE NOCASE,"
    " checked_at REAL NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS usernames (username TEXT PRIMARY KEY COLLATE NOCASE,"
    " user_id TEXT NOT NULL) WITHOUT ROWID",
    JOBS_TABLE.replace("DOUBLE PRECISION", "REAL"),
    "CREATE INDEX IF NOT EXISTS jobs_by_client ON jobs (client)",
    IMPORTS_TABLE.replace("DOUBLE PRECISION", "REAL"),
    "CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (enqueued_at)",
]) + ";"

_SEQ_INDEXES = ";".join((
    "CREATE INDEX IF NOT EXISTS media_by_seq ON media (owner_id, seq)",
    "CREATE INDEX IF NOT EXISTS media_by_time_seq ON media (owner_id, timestamp, seq)",
    *POSITION_INDEXES))
_RENUMBER = ("UPDATE media SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY timestamp,"
             " id) - 1 AS n FROM media WHERE owner_id = ?) AS r WHERE media.id = r.id")
_RENUMBER_ALL = ("UPDATE media SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY"
                 " owner_id ORDER BY timestamp, id) - 1 AS n FROM media) AS r"
                 " WHERE media.id = r.id")
_JSON_COLS = kinds("strlist")  # lists are JSON text in SQLite
_BOOL_COLS = kinds("bool")  # booleans are 0/1
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
_TERMS = 200  # posts per UNION ALL query, well under SQLite's 500 compound terms


def _decode(row: sqlite3.Row | Mapping[str, Any]) -> Row:
    out = dict(row)
    for col in _JSON_COLS:
        if col in out and out[col] is not None:
            out[col] = loads(out[col])
    for col in _BOOL_COLS:
        if col in out and out[col] is not None:
            out[col] = bool(out[col])
    return out


def _maker(cols: tuple[str, ...]) -> Any:
    """Plain tuples of ``cols`` -> rows, lists decoded and booleans as ``bool``."""
    return row_maker(cols, _JSON_COLS, _BOOL_COLS)


def _projection(table: str, columns: Sequence[str] | None, prefix: str = "",
                keys: tuple[str, ...] = ("id",)) -> tuple[str, Any] | None:
    """``(select list, row maker)`` of a projected read (``None``: ``SELECT *``)."""
    if columns is None:
        return None
    return _projected(table, tuple(columns), prefix, keys)


@lru_cache(maxsize=1024)
def _projected(table: str, columns: tuple[str, ...], prefix: str,
               keys: tuple[str, ...]) -> tuple[str, Any]:
    """:func:`_projection`, once per distinct read (a request shape reads the same
    columns every time)."""
    cols = selected(table, columns, keys)
    return ", ".join(prefix + c for c in cols), _maker(cols)


@lru_cache(maxsize=256)
def _feed_sql(cols: str, since: bool, until: bool) -> tuple[str, str, str]:
    """A user feed's three statements for a select list and the date filter's parts
    present: the forward page, the bounds, the backward range."""
    args = ConnectionArgs(since=0 if since else None, until=0 if until else None)
    lo, hi = feed_bounds(args, _param)
    return (f"SELECT {cols} FROM media WHERE owner_id = :key AND seq >= {lo}"
            f" AND seq <= {hi} - :start ORDER BY seq DESC LIMIT :limit",
            f"SELECT {lo}, {hi}",
            f"SELECT {cols} FROM media WHERE owner_id = :key AND seq BETWEEN :a AND :b"
            " ORDER BY seq DESC")


def _encode(col: str, value: Any) -> Any:
    if col in _JSON_COLS and value is not None:
        return json.dumps(value, ensure_ascii=False)
    return value


def _sql_limit(n: int | None) -> int:
    """SQLite's ``LIMIT`` (-1: no limit)."""
    return -1 if n is None else n


def _param(name: str) -> str:
    return f":{name}"


def _in(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    """``ids`` in chunks of :data:`_CHUNK`, each with its ``?,?,...`` (an ``IN`` list)."""
    for i in range(0, len(ids), _CHUNK):
        chunk = list(ids[i : i + _CHUNK])
        yield chunk, _marks(len(chunk))


@lru_cache(maxsize=_CHUNK)
def _marks(n: int) -> str:
    return ",".join("?" * n)


def _among(conn: sqlite3.Connection, table: str, col: str, key: str,
           ids: Sequence[str]) -> set[str]:
    """The distinct ``col`` of the rows of ``table`` whose ``key`` is one of ``ids``."""
    return {r[0] for chunk, marks in _in(ids) for r in conn.execute(
        f"SELECT DISTINCT {col} FROM {table} WHERE {key} IN ({marks})", chunk)}


def _comment_projection(columns: Sequence[str] | None) -> tuple[str, Any, int]:
    """The select list of a comment read (always its post: pages group by it), the
    maker of its rows (comments have no list or boolean column) and where the post is
    in a row."""
    return _comment_read(None if columns is None else tuple(columns))


@lru_cache(maxsize=256)
def _comment_read(columns: tuple[str, ...] | None) -> tuple[str, Any, int]:
    cols = COMMENT_COLS if columns is None else selected("comments", columns,
                                                         ("id", "parent_id"))
    return ", ".join(cols), row_maker(cols), cols.index("parent_id")


_FIRST = itemgetter(0)


@lru_cache(maxsize=_TERMS)
def _post_names(n: int) -> tuple[str, ...]:
    """The parameter names of :func:`union_sql`'s ``n`` posts (limit and offset shared)."""
    return tuple(f"p{j}" for j in range(n))


@lru_cache(maxsize=_TERMS)
def _term_names(n: int) -> tuple[str, ...]:
    """The parameter names of :func:`union_sql`'s ``n`` posts: post, limit, offset each."""
    return tuple(f"{k}{j}" for j in range(n) for k in "plo")


class SQLiteStore:
    """A :class:`~graphfields.instagram.store.Store` in one SQLite file (created if absent)."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        if self.path == ":memory:" or self.path.startswith("file:"):
            raise ValueError("SQLiteStore needs a file path (one connection per thread)")
        self._timeout = timeout
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        try:
            conn = self.connection()
            conn.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:  # a directory, a file that is not SQLite, no access
            self.close()
            raise StoreError(f"cannot open the database {self.path}: {exc}") from None
        with self._write_lock:
            # A file written before usernames existed: each name to the row that answered it
            # then (pinned first, then the newest).
            conn.execute(
                "INSERT OR IGNORE INTO usernames (username, user_id) SELECT username, id"
                " FROM users WHERE NOT EXISTS (SELECT 1 FROM usernames)"
                f" ORDER BY complete = {PINNED} DESC, last_update DESC"
            )

    # -- connections ------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (tests attach ``set_trace_callback`` to it)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._conns_lock:
            if self._closed:
                raise RuntimeError("the store is closed")
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conns.append(conn)
        self._local.conn = conn
        return conn

    def close(self) -> None:
        with self._conns_lock:
            self._closed = True
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()

    def _migrate(self) -> None:
        """Give a database made before feed positions its ``seq`` numbers, one made before
        tag feed and comment ranges its columns, closed-up positions and order flags
        (:data:`~graphfields.instagram.positions.MIGRATE_POSITIONS`, one transaction)."""
        conn = self.connection()

        def missing(c: sqlite3.Connection) -> list[tuple[str, str, str]]:
            return [(table, col, rest) for table, col, rest in
                    (("media", "seq", ""), *ADDED_COLUMNS) if col not in {
                        r[1] for r in c.execute(f"PRAGMA table_info({table})")}]

        if missing(conn):
            # Looked at again under the write lock: another process opening the file at
            # the same time may have added them since.
            with self._immediate() as c:
                absent = missing(c)
                for table, col, rest in absent:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {col} INTEGER {rest}".rstrip())
                if any(col != "seq" for _, col, _ in absent):
                    for sql in MIGRATE_POSITIONS:
                        c.execute(sql)
        conn.executescript(_SEQ_INDEXES)
        if conn.execute("SELECT 1 FROM media WHERE seq IS NULL LIMIT 1").fetchone():
            with self._immediate() as c:
                c.execute(_RENUMBER_ALL)

    # -- single nodes -----------------------------------------------------------------

    def _one(self, table: str, sql: str, params: Sequence[Any],
             columns: Sequence[str] | None, prefix: str = "") -> Row | None:
        """One row of ``sql`` (``SELECT {} FROM ...``: the select list goes in ``{}``)."""
        proj = _projection(table, columns, prefix)
        if proj is None:
            row = self.connection().execute(sql.format(prefix + "*"), params).fetchone()
            return None if row is None else _decode(row)
        cursor = self.connection().cursor()
        cursor.row_factory = None
        values = cursor.execute(sql.format(proj[0]), params).fetchone()
        return None if values is None else proj[1](values)

    def get_user(self, username: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one(
            "users", "SELECT {} FROM usernames JOIN users ON users.id = usernames.user_id"
            " WHERE usernames.username = ?", (username,), columns, "users.")

    def get_media(self, media_id: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one("media", "SELECT {} FROM media WHERE id = ?", (media_id,), columns)

    def get_media_by_shortcode(self, shortcode: str, *,
                               columns: Sequence[str] | None = None) -> Row | None:
        return self._one("media", "SELECT {} FROM media WHERE shortcode = ? LIMIT 1",
                         (shortcode,), columns)

    def get_tag(self, name: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one("tags", "SELECT {} FROM tags WHERE id = ?", (name,), columns)

    def _by_ids(self, table: str, ids: Iterable[str],
                columns: Sequence[str] | None) -> dict[str, Row]:
        wanted = [i for i in dict.fromkeys(ids) if i is not None]
        out: dict[str, Row] = {}
        if not wanted:
            return out
        proj = _projection(table, columns)
        cursor = self.connection().cursor()
        if proj is not None:
            cursor.row_factory = None
        make = _decode if proj is None else proj[1]
        select = "*" if proj is None else proj[0]
        for chunk, marks in _in(wanted):
            for row in cursor.execute(f"SELECT {select} FROM {table} WHERE id IN ({marks})",
                                      chunk):
                rec = make(row)
                out[rec["id"]] = rec
        return out

    def users_by_ids(self, ids: Iterable[str], *,
                     columns: Sequence[str] | None = None) -> Mapping[str, Row]:
        return self._by_ids("users", ids, columns)

    def locations_by_ids(self, ids: Iterable[str], *,
                         columns: Sequence[str] | None = None) -> Mapping[str, Row]:
        return self._by_ids("locations", ids, columns)

    # -- pages ------------------------------------------------------------------------

    def _rows(self, sql: str, params: Mapping[str, Any], make: Any = None) -> list[Row]:
        """The rows of ``sql``: whole rows decoded, or, with ``make`` (a projection's
        row maker), plain tuples made into rows."""
        if make is None:
            return [_decode(r) for r in self.connection().execute(sql, params)]
        return list(map(make, self._tuples(sql, params)))

    def _forward_rows(self, sql: str, params: Mapping[str, Any], make: Any) -> list[Any]:
        """A forward page's read (``read_forward``'s ``rows``): whole rows decoded, or
        with ``make`` the plain tuples, which the page makes into rows."""
        return self._rows(sql, params) if make is None else self._tuples(sql, params)

    def _tuples(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        cursor = self.connection().cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params).fetchall()

    def _page(self, p: Positions, cols: str, source: str, key: str, args: ConnectionArgs,
              make: Any = None, alias: str = "") -> Page:
        """A tag feed's or a post's comments' page: a range of positions (see
        :mod:`graphfields.instagram.positions`), one query (a forward page past the end:
        two); ``source`` selects the collection's rows (its ``FROM``), ``alias`` prefixes
        its columns."""
        r = position_range(p, args, _param, key=":key", start=":start", alias=alias,
                           cte="b")
        select = forward_sql(r, cols=cols, source=source, key=f"{alias}{p.key} = :key",
                             order=f"{alias}position", limit=":limit")
        params = {"key": key, **date_params(args)}
        conn = self.connection()
        page = read_forward(
            args, lambda start, limit: self._forward_rows(
                select, {**params, "start": start, "limit": _sql_limit(limit)}, make),
            lambda: int(conn.execute(total_sql(r), params).fetchone()[0]), make)
        if page is not None:
            return page
        sql, values = page_sql(p, args, _param, cols=cols, source=source, key=":key",
                               alias=alias)
        cursor = conn.cursor()
        cursor.row_factory = None
        got = cursor.execute(sql, {**values, "key": key}).fetchall()
        names = [d[0] for d in cursor.description][2:-1]
        return window_page(got, make or (
            lambda values: _decode(dict(zip(names, values, strict=True)))))

    def user_media_page(self, owner_id: str, args: ConnectionArgs, *,
                        columns: Sequence[str] | None = None) -> Page:
        """A range of ``seq`` (see :mod:`graphfields.instagram.positions`): a forward page
        is one query, a backward one reads the bounds and the range in one snapshot."""
        params = {"key": owner_id, **date_params(args)}
        conn = self.connection()
        proj = _projection("media", columns)
        cols, make = ("*", None) if proj is None else proj
        forward_sql, bounds_sql, part_sql = _feed_sql(cols, args.since is not None,
                                                      args.until is not None)
        top = [0]

        def total() -> int:
            low, high = conn.execute(bounds_sql, params).fetchone()
            top[0] = 0 if high is None else high
            return feed_total(low, high)

        return read_page(
            args,
            rows=lambda start, limit: self._forward_rows(
                forward_sql, {**params, "start": start, "limit": _sql_limit(limit)}, make),
            total=total,
            part=lambda start, end: self._rows(
                part_sql, {"key": owner_id, "a": top[0] - end + 1, "b": top[0] - start}, make),
            snapshot=lambda: self._read_snapshot(conn), make=make)

    def tag_media_page(self, tag: str, args: ConnectionArgs, *,
                       columns: Sequence[str] | None = None) -> Page:
        proj = _projection("media", columns, "m.")
        cols, make = ("m.*", None) if proj is None else proj
        return self._page(TAG_FEED, cols, "tag_media t JOIN media m ON m.id = t.media_id",
                          tag, args, make, "t.")

    def media_comments_page(self, media_id: str, args: ConnectionArgs, *,
                            columns: Sequence[str] | None = None) -> Page:
        cols, make, _ = _comment_projection(columns)
        return self._page(COMMENTS, cols, "comments", media_id, args, make)

    def media_comments_pages(self, media_ids: Sequence[str], args: ConnectionArgs, *,
                             columns: Sequence[str] | None = None) -> list[Page]:
        """Every post's page at once: one query for a forward page (``first``/``after``),
        a totals query and one more for a backward one, whatever the number of posts (up
        to :data:`_TERMS` per query): a ``UNION ALL`` of each post's own range of
        positions on the ``(parent_id, position)`` index (a window function numbering
        every comment measured slower: it reads and sorts whole collections); totals
        from each post's bounds. A single post takes :meth:`media_comments_page`."""
        if len(media_ids) == 1:
            return [self.media_comments_page(media_ids[0], args, columns=columns)]
        conn = self.connection()
        cols, make, parent = _comment_projection(columns)
        return batched_pages(media_ids, args,
                             lambda terms: self._comment_rows(terms, args, cols, parent),
                             lambda posts: self._comment_totals(conn, posts, args),
                             lambda: self._read_snapshot(conn), make)

    @contextmanager
    def _read_snapshot(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")

    def _comment_rows(self, terms: Mapping[str, tuple[int | None, int]],
                      args: ConnectionArgs, cols: str, parent: int) -> dict[str, list[Any]]:
        """Comments of several posts, ``{post: (limit, offset)}`` each (limit None: all),
        in ``UNION ALL`` queries of :data:`_TERMS` posts selecting ``cols`` (the post's
        ``parent``-th); plain tuples by post, in order (the pages make them rows)."""
        params = date_params(args)
        out: dict[str, list[Any]] = {}
        items = list(terms.items())
        # A forward page asks the same (limit, offset) of every post: two parameters.
        shared = next(iter(terms.values())) if len(set(terms.values())) == 1 else None
        for i in range(0, len(items), _TERMS):
            chunk = items[i : i + _TERMS]
            sql = union_sql(len(chunk), args.since is not None, args.until is not None, cols,
                            _param, shared is not None)
            if shared is not None:
                values = dict(zip(_post_names(len(chunk)), map(_FIRST, chunk), strict=True))
                values["l"], values["o"] = _sql_limit(shared[0]), shared[1]
            else:
                values = dict(zip(_term_names(len(chunk)), [
                    v for media_id, (limit, offset) in chunk
                    for v in (media_id, _sql_limit(limit), offset)], strict=True))
            values.update(params)
            # each post's rows come as a run (one term of the UNION ALL each); a post
            # seen again (not a run after all) is appended to
            for post, run in groupby(self._tuples(sql, values), itemgetter(parent)):
                have = out.get(post)
                if have is None:
                    out[post] = list(run)
                else:
                    have.extend(run)
        return out

    def _comment_totals(self, conn: sqlite3.Connection, media_ids: Sequence[str],
                        args: ConnectionArgs) -> dict[str, int]:
        """Each post's comments inside the date filter (absent: none), from its bounds."""
        params = date_params(args)
        r = position_range(COMMENTS, args, _param, key="o.id", start="0",
                           flag="o.comments_order")
        total = f"(SELECT {r.total} FROM ({r.bounds}) AS b)"
        totals: dict[str, int] = {}
        for chunk, _ in _in(media_ids):
            values = {**params, **{f"p{j}": media_id for j, media_id in enumerate(chunk)}}
            marks = ", ".join(f":p{j}" for j in range(len(chunk)))
            sql = f"SELECT o.id, {total} FROM media o WHERE o.id IN ({marks})"
            totals.update((r[0], r[1]) for r in conn.execute(sql, values) if r[1])
        return totals

    # -- freshness bookkeeping ----------------------------------------------------------

    def mark_missing(self, kind: str, key: str, at: float) -> None:
        with self._write_lock:
            self.connection().execute(
                "INSERT OR REPLACE INTO missing (kind, key, checked_at) VALUES (?, ?, ?)",
                (kind, key, at),
            )

    def missing_since(self, kind: str, key: str) -> float | None:
        row = self.connection().execute(
            "SELECT checked_at FROM missing WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return None if row is None else float(row[0])

    # -- the import log (graphfields.instagram.store.ImportLog) --------------------------

    def imported(self, digest: str) -> bool:
        return self.connection().execute("SELECT 1 FROM imports WHERE digest = ?",
                                         (digest,)).fetchone() is not None

    def record_import(self, digest: str, at: float) -> None:
        with self._immediate() as conn:
            conn.execute("INSERT OR REPLACE INTO imports (digest, imported_at) VALUES (?, ?)",
                         (digest, at))

    # -- the job table (graphfields.instagram.jobs) -----------------------------------

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (this process's writers queue on the lock; other
        processes on SQLite's file lock, ``BEGIN IMMEDIATE``)."""
        with self._write_lock:
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def enqueue(self, kind: str, key: str, *, client: str | None, now: float,
                limit: int | None) -> Enqueued:
        find = "SELECT 1 FROM jobs WHERE kind = ? AND key = ?"
        if self.connection().execute(find, (kind, key)).fetchone() is not None:
            return Enqueued.PENDING  # the common case (a stale node asked again) reads only
        with self._immediate() as conn:
            if conn.execute(find, (kind, key)).fetchone() is not None:
                return Enqueued.PENDING
            if limit is not None and client is not None:
                held = conn.execute("SELECT COUNT(*) FROM jobs WHERE client = ?",
                                    (client,)).fetchone()[0]
                if held >= limit:
                    return Enqueued.FULL
            conn.execute("INSERT INTO jobs (kind, key, client, enqueued_at) VALUES (?, ?, ?, ?)",
                         (kind, key, client, now))
            return Enqueued.ADDED

    def claim(self, *, now: float, lease: float) -> Job | None:
        free = ("SELECT kind, key, attempts FROM jobs WHERE lease_until IS NULL"
                " OR lease_until < ? ORDER BY enqueued_at LIMIT 1")
        if self.connection().execute(free, (now,)).fetchone() is None:
            return None  # idle workers poll without taking the write lock
        with self._immediate() as conn:
            row = conn.execute(free, (now,)).fetchone()
            if row is None:
                return None
            job = Job(row[0], row[1], new_claim(), row[2] + 1)
            conn.execute("UPDATE jobs SET lease_until = ?, claim = ?, attempts = ?"
                         " WHERE kind = ? AND key = ?",
                         (now + lease, job.claim, job.attempts, job.kind, job.key))
            return job

    def renew(self, job: Job, *, now: float, lease: float) -> bool:
        with self._immediate() as conn:
            cur = conn.execute("UPDATE jobs SET lease_until = ? WHERE kind = ? AND key = ?"
                               " AND claim = ?", (now + lease, job.kind, job.key, job.claim))
            return cur.rowcount > 0

    def finish(self, job: Job) -> None:
        with self._immediate() as conn:
            conn.execute("DELETE FROM jobs WHERE kind = ? AND key = ? AND claim = ?",
                         (job.kind, job.key, job.claim))

    def pending(self, kind: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        conn = self.connection()
        for chunk, marks in _in(wanted):
            found.update(r[0] for r in conn.execute(
                f"SELECT key FROM jobs WHERE kind = ? AND key IN ({marks})", [kind, *chunk]))
        return found

    def job_count(self) -> int:
        return int(self.connection().execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    # -- writing ----------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        with self._immediate() as conn:
            check_references(batch, lambda table, ids: _among(conn, table, "id", "id",
                                                              sorted(ids)))
            self._write(conn, batch)

    def _upsert(self, conn: sqlite3.Connection, table: str, rec: Row, state: int | None) -> None:
        up = upsert(table, rec, state, "?", _encode)
        conn.execute(up.sql, up.values)

    def _claim_usernames(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        """:func:`~graphfields.instagram.backend.claim_usernames` on this file."""

        def stored(user_id: str) -> tuple[str, int]:
            row = conn.execute("SELECT username, complete FROM users WHERE id = ?",
                               (user_id,)).fetchone()
            return row[0], row[1]

        def holder(name: str) -> tuple[str, int | None] | None:
            row = conn.execute(
                "SELECT usernames.user_id, users.complete FROM usernames"
                " LEFT JOIN users ON users.id = usernames.user_id WHERE usernames.username = ?",
                (name,)).fetchone()
            return None if row is None else (row[0], row[1])

        claim_usernames(
            ids, stored, holder,
            lambda name, user_id: conn.execute(
                "INSERT OR REPLACE INTO usernames (username, user_id) VALUES (?, ?)",
                (name, user_id)),
            lambda user_id, name: conn.execute(
                "DELETE FROM usernames WHERE user_id = ? AND username <> ?", (user_id, name)))

    def _sequencing(self, conn: sqlite3.Connection, batch: Batch) -> Sequencing:
        ids = [m["id"] for m in batch.media]
        stored: dict[str, tuple[str, int]] = {}
        for chunk, marks in _in(ids):
            for r in conn.execute(
                    f"SELECT id, owner_id, timestamp FROM media WHERE id IN ({marks})", chunk):
                stored[r[0]] = (r[1], r[2])
        newest: dict[str, tuple[int, str, int]] = {}
        for owner in {m["owner_id"] for m in batch.media}:
            row = conn.execute("SELECT timestamp, id, seq FROM media WHERE owner_id = ?"
                               " AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
                               (owner,)).fetchone()
            if row is not None:
                newest[owner] = (row[0], row[1], row[2])
        return sequencing(batch, stored, newest)

    def _write(self, conn: sqlite3.Connection, batch: Batch) -> None:
        seq = self._sequencing(conn, batch) if batch.media else None
        for table, rec, state in write_order(batch):
            self._upsert(conn, table, rec, state)
        self._claim_usernames(conn, [rec["id"] for rec in batch.users])
        if seq is not None:
            conn.executemany("UPDATE media SET seq = ? WHERE id = ?",
                             [(n, i) for i, n in seq.appended])
            conn.executemany(_RENUMBER, [(o,) for o in sorted(seq.renumber)])
        write_positions(batch, () if seq is None else seq.retimed, "?", conn.executemany,
                        lambda table, col, key, ids: _among(conn, table, col, key, ids),
                        pinned=lambda table, ids: {r[0] for chunk, marks in _in(ids) for r in (
                            conn.execute(f"SELECT id FROM {table} WHERE complete = {PINNED}"
                                         f" AND id IN ({marks})", chunk))})
