"""The PostgreSQL implementation of :class:`graphfields.instagram.store.Store`.

psycopg 3 with a :class:`psycopg_pool.ConnectionPool` (the ``postgres`` extra), so one
store serves every thread of a server process; several processes (servers, load
workers) share the database. The tables are the SQLite store's, derived from
:data:`graphfields.instagram.entities.ENTITIES` with PostgreSQL's types (``BIGINT``,
``BOOLEAN``, ``TEXT[]`` for lists), and what a store means (page arithmetic, reference
checks, the partial/pinned merge, the positions kept on write) is
:mod:`graphfields.instagram.backend`'s and :mod:`graphfields.instagram.positions`',
shared with SQLite.

Push-down: every page is an index range of positions (``seq`` on a user's feed, whose
backward pages read bounds and range in one ``REPEATABLE READ`` snapshot; ``position`` on
a tag's feed and a post's comments, where a backward page is one statement too); the
comment pages of many posts are one query, a ``LATERAL`` join of each post's own range on
the ``(parent_id, position)`` index over the ``unnest`` of the posts' IDs. Every write is
one transaction; rows are written in ID order, so concurrent loads sharing rows lock
them in the same order.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from graphfields.instagram.backend import (
    COMMENT_COLS,
    batched_pages,
    check_references,
    claim_usernames,
    date_params,
    entity_table,
    read_forward,
    read_page,
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
    forward_sql,
    page_sql,
    position_range,
    sequencing,
    total_sql,
    window_page,
    write_positions,
)
from graphfields.instagram.store import IMPORTS_TABLE, PINNED, Row, StoreError, describe
from graphfields.relay import Page
from graphfields.schema import ConnectionArgs

try:
    import psycopg
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - the extra is installed by make
    raise StoreError(
        "a postgresql:// database needs the postgres extra (psycopg 3, psycopg_pool): "
        "pip install 'graphfields[postgres]'") from exc

__all__ = ["PostgresStore"]

_TYPES = {"id": "TEXT", "str": "TEXT", "int": "BIGINT", "bool": "BOOLEAN", "strlist": "TEXT[]"}
_SCHEMA = [
    entity_table("users", _TYPES),
    "CREATE INDEX IF NOT EXISTS users_by_username ON users (lower(username), last_update DESC)",
    entity_table("locations", _TYPES),
    entity_table("media", _TYPES),
    "CREATE INDEX IF NOT EXISTS media_by_owner ON media (owner_id, timestamp DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS media_by_shortcode ON media (shortcode)",
    "ALTER TABLE media ADD COLUMN IF NOT EXISTS seq BIGINT",  # a database made before it
    "CREATE INDEX IF NOT EXISTS media_by_seq ON media (owner_id, seq)",
    "CREATE INDEX IF NOT EXISTS media_by_time_seq ON media (owner_id, timestamp, seq)",
    entity_table("comments", _TYPES),
    "CREATE INDEX IF NOT EXISTS comments_by_media ON comments (parent_id, position)",
    entity_table("tags", _TYPES),
    "CREATE TABLE IF NOT EXISTS tag_media (tag TEXT NOT NULL, position BIGINT NOT NULL,"
    " media_id TEXT NOT NULL, ts BIGINT, PRIMARY KEY (tag, position))",
    # a database made before tag feed and comment ranges (MIGRATE_POSITIONS fills them)
    *(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {col} BIGINT {rest}"
      for table, col, rest in ADDED_COLUMNS),
    *POSITION_INDEXES,
    "CREATE TABLE IF NOT EXISTS usernames (username TEXT PRIMARY KEY, user_id TEXT NOT NULL)",
    # a database written before usernames existed: each name to the row that answered it
    # then (pinned first, then the newest)
    "INSERT INTO usernames (username, user_id) SELECT DISTINCT ON (lower(username))"
    " lower(username), id FROM users WHERE NOT EXISTS (SELECT 1 FROM usernames)"
    f" ORDER BY lower(username), complete = {PINNED} DESC, last_update DESC NULLS LAST"
    " ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS missing (kind TEXT NOT NULL, key TEXT NOT NULL,"
    " checked_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (kind, key))",
    JOBS_TABLE,
    "CREATE INDEX IF NOT EXISTS jobs_by_client ON jobs (client)",
    IMPORTS_TABLE,
    "CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (enqueued_at)",
]
_RENUMBER = ("UPDATE media SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY"
             ' timestamp, id COLLATE "C") - 1 AS n FROM media WHERE owner_id = %s) AS r'
             " WHERE media.id = r.id AND media.seq IS DISTINCT FROM r.n")
_RENUMBER_ALL = ("UPDATE media SET seq = r.n FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY"
                 ' owner_id ORDER BY timestamp, id COLLATE "C") - 1 AS n FROM media) AS r'
                 " WHERE media.id = r.id AND media.seq IS DISTINCT FROM r.n")
_SCHEMA.append("CREATE TABLE IF NOT EXISTS graphfields_schema (version TEXT PRIMARY KEY)")
_SCHEMA_VERSION = hashlib.sha256("\n".join(_SCHEMA).encode()).hexdigest()[:16]
"""Changes with the DDL: a database already at this version skips it on open."""
_SCHEMA_LOCK = 0x67726670  # pg_advisory_xact_lock key: processes create the tables in turn


def _param(name: str) -> str:
    return f"%({name})s"


class PostgresStore:
    """A :class:`~graphfields.instagram.store.Store` in a PostgreSQL database (its tables
    are created if absent). ``url`` is a libpq URL or connection string; ``max_size``
    bounds the pool's connections."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8,
                 timeout: float = 30.0) -> None:
        self.url = url
        try:  # one connection first: a refused or wrong URL fails now, with libpq's reason
            with psycopg.connect(url, connect_timeout=max(1, int(timeout))) as conn:
                conn.execute("SELECT 1")
        except (psycopg.Error, OSError) as exc:
            raise StoreError(f"cannot open the database {describe(url)}: "
                             f"{_reason(exc)}") from None
        self.pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout,
                                   kwargs={"autocommit": True}, open=True)
        try:
            self._create_tables()
        except psycopg.Error as exc:
            self.pool.close()
            raise StoreError(f"cannot use the database {describe(url)}: "
                             f"{_reason(exc)}") from None

    def _create_tables(self) -> None:
        """The tables, once per schema version: a database already at this version is left
        alone (no DDL, so no locks that would deadlock with other processes' writes); else
        one process at a time runs the DDL (an advisory lock), retried on a deadlock."""
        with self.pool.connection() as conn:
            try:
                if conn.execute("SELECT 1 FROM graphfields_schema WHERE version = %s",
                                (_SCHEMA_VERSION,)).fetchone():
                    return
            except psycopg.errors.UndefinedTable:
                pass
            for attempt in range(5):
                try:
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                        ranged = conn.execute(
                            "SELECT 1 FROM information_schema.columns WHERE table_schema ="
                            " current_schema() AND table_name = 'tag_media'"
                            " AND column_name = 'ts'").fetchone()
                        for sql in _SCHEMA:
                            conn.execute(sql)
                        if conn.execute("SELECT 1 FROM media WHERE seq IS NULL LIMIT 1"
                                        ).fetchone():
                            conn.execute(_RENUMBER_ALL)
                        if not ranged:  # made before tag feed and comment ranges
                            for sql in MIGRATE_POSITIONS:
                                conn.execute(sql)
                        conn.execute("DELETE FROM graphfields_schema")
                        conn.execute("INSERT INTO graphfields_schema VALUES (%s)",
                                     (_SCHEMA_VERSION,))
                    return
                except psycopg.errors.DeadlockDetected:
                    if attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def _rows(self) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
        with self.pool.connection() as conn:
            yield conn.cursor(row_factory=dict_row)

    # -- single nodes -----------------------------------------------------------------

    def _one(self, table: str, sql: str, params: Sequence[Any],
             columns: Sequence[str] | None, prefix: str = "") -> Row | None:
        """One row of ``sql`` (``SELECT {} FROM ...``: the select list goes in ``{}``)."""
        with self._rows() as cur:
            return cur.execute(sql.format(_select_list(table, columns, prefix)),
                               params).fetchone()

    def get_user(self, username: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one("users", "SELECT {} FROM usernames JOIN users ON users.id ="
                         " usernames.user_id WHERE usernames.username = %s",
                         (username.lower(),), columns, "users.")

    def get_media(self, media_id: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one("media", "SELECT {} FROM media WHERE id = %s", (media_id,), columns)

    def get_media_by_shortcode(self, shortcode: str, *,
                               columns: Sequence[str] | None = None) -> Row | None:
        return self._one("media", "SELECT {} FROM media WHERE shortcode = %s LIMIT 1",
                         (shortcode,), columns)

    def get_tag(self, name: str, *, columns: Sequence[str] | None = None) -> Row | None:
        return self._one("tags", "SELECT {} FROM tags WHERE id = %s", (name.lower(),), columns)

    def _by_ids(self, table: str, ids: Iterable[str],
                columns: Sequence[str] | None) -> dict[str, Row]:
        wanted = list(dict.fromkeys(i for i in ids if i is not None))
        if not wanted:
            return {}
        cols = _select_list(table, columns)
        with self._rows() as cur:
            rows = cur.execute(f"SELECT {cols} FROM {table} WHERE id = ANY(%s)",
                               (wanted,)).fetchall()
        return {r["id"]: r for r in rows}

    def users_by_ids(self, ids: Iterable[str], *,
                     columns: Sequence[str] | None = None) -> Mapping[str, Row]:
        return self._by_ids("users", ids, columns)

    def locations_by_ids(self, ids: Iterable[str], *,
                         columns: Sequence[str] | None = None) -> Mapping[str, Row]:
        return self._by_ids("locations", ids, columns)

    # -- pages ------------------------------------------------------------------------

    def _read(self, args: ConnectionArgs, forward_sql: str, count_sql: str, part_sql: str,
              params: dict[str, Any], part: Callable[[dict[str, Any], int, int],
                                                     dict[str, Any]]) -> Page:
        """:func:`~graphfields.instagram.backend.read_page` on one pooled connection:
        ``count_sql`` answers ``n`` (and, for a feed, ``hi``); ``part(row, start, end)``
        gives ``part_sql``'s parameters from that row."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            counted: dict[str, Any] = {}

            def total() -> int:
                row = cur.execute(count_sql, params).fetchone()
                assert row is not None
                counted.update(row)
                return int(row["n"])

            @contextmanager
            def snapshot() -> Iterator[None]:
                with conn.transaction():
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    yield

            return read_page(
                args,
                rows=lambda start, limit: cur.execute(
                    forward_sql, {**params, "start": start, "limit": limit}).fetchall(),
                total=total,
                part=lambda start, end: cur.execute(
                    part_sql, part(counted, start, end)).fetchall(),
                snapshot=snapshot)

    def _page(self, p: Positions, cols: str, source: str, key: str, args: ConnectionArgs,
              alias: str = "") -> Page:
        """A tag feed's or a post's comments' page: a range of positions (see
        :mod:`graphfields.instagram.positions`), one query (a forward page past the end:
        two; a backward one needs no snapshot); ``source`` selects the collection's rows
        (its ``FROM``), ``alias`` prefixes its columns."""
        r = position_range(p, args, _param, key="%(key)s", start="%(start)s", alias=alias,
                           cte="b")
        select = forward_sql(r, cols=cols, source=source, key=f"{alias}{p.key} = %(key)s",
                             order=f"{alias}position", limit="%(limit)s")
        params: dict[str, Any] = {"key": key, **date_params(args)}
        with self._rows() as cur:
            page = read_forward(
                args, lambda start, limit: cur.execute(
                    select, {**params, "start": start, "limit": limit}).fetchall(),
                lambda: int(cur.execute(total_sql(r), params).fetchall()[0]["n"]))
            if page is not None:
                return page
            sql, values = page_sql(p, args, _param, cols=cols, source=source, key="%(key)s",
                                   alias=alias)
            plain = cur.connection.cursor()
            got = plain.execute(sql, {**values, "key": key}).fetchall()
            names = [d.name for d in plain.description or ()][2:-1]
        return window_page(got, lambda values: dict(zip(names, values, strict=True)))

    def user_media_page(self, owner_id: str, args: ConnectionArgs, *,
                        columns: Sequence[str] | None = None) -> Page:
        """A range of ``seq`` (see :mod:`graphfields.instagram.positions`): a forward page
        is one query, a backward one reads the bounds and the range in one snapshot."""
        lo, hi = feed_bounds(args, _param)
        params: dict[str, Any] = {"key": owner_id, **date_params(args)}
        cols = _select_list("media", columns)
        return self._read(
            args,
            f"SELECT {cols} FROM media WHERE owner_id = %(key)s AND seq >= {lo}"
            f" AND seq <= {hi} - %(start)s ORDER BY seq DESC LIMIT %(limit)s",
            f"SELECT GREATEST(COALESCE({hi} - {lo} + 1, 0), 0) AS n, {hi} AS hi",
            f"SELECT {cols} FROM media WHERE owner_id = %(key)s AND seq BETWEEN %(a)s AND %(b)s"
            " ORDER BY seq DESC", params,
            lambda row, start, end: {"key": owner_id, "a": row["hi"] - end + 1,
                                     "b": row["hi"] - start})

    def tag_media_page(self, tag: str, args: ConnectionArgs, *,
                       columns: Sequence[str] | None = None) -> Page:
        return self._page(TAG_FEED, _select_list("media", columns, "m."),
                          "tag_media t JOIN media m ON m.id = t.media_id", tag.lower(),
                          args, "t.")

    def media_comments_page(self, media_id: str, args: ConnectionArgs, *,
                            columns: Sequence[str] | None = None) -> Page:
        return self._page(COMMENTS, ", ".join(_comment_columns(columns)), "comments",
                          media_id, args)

    def media_comments_pages(self, media_ids: Sequence[str], args: ConnectionArgs, *,
                             columns: Sequence[str] | None = None) -> list[Page]:
        """Every post's page at once: one ``LATERAL`` query for a forward page, a totals
        query (each post's bounds) and one more for a backward one (in one snapshot),
        whatever the number of posts. Each post reads only its own range of positions on
        the ``(parent_id, position)`` index."""
        if len(media_ids) == 1:
            return [self.media_comments_page(media_ids[0], args, columns=columns)]
        with self.pool.connection() as conn:
            cur = conn.cursor()

            @contextmanager
            def snapshot() -> Iterator[None]:
                with conn.transaction():
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    yield

            return batched_pages(media_ids, args,
                                 lambda terms: self._comment_rows(cur, terms, args, columns),
                                 lambda posts: self._comment_totals(cur, posts, args), snapshot)

    def _comment_rows(self, cur: psycopg.Cursor[Any],
                      terms: Mapping[str, tuple[int | None, int]],
                      args: ConnectionArgs,
                      columns: Sequence[str] | None) -> dict[str, list[Row]]:
        """Comments of several posts, ``{post: (limit, offset)}`` each (limit ``None``:
        all), in one ``LATERAL`` query; rows by post, in order."""
        out: dict[str, list[Row]] = {}
        if not terms:
            return out
        params = date_params(args)
        r = position_range(COMMENTS, args, _param, key="q.pid", start="q.off", alias="c.")
        names = _comment_columns(columns)
        cols = ", ".join(f"c.{c}" for c in names)
        sql = (
            f"SELECT {cols} FROM unnest(%(ids)s::text[], %(limits)s::bigint[],"
            " %(offsets)s::bigint[]) WITH ORDINALITY AS q(pid, lim, off, n)"
            + (f" CROSS JOIN LATERAL ({r.bounds}) b" if r.dated else "") +
            " CROSS JOIN LATERAL (SELECT * FROM comments c WHERE c.parent_id = q.pid"
            f" AND {r.where} ORDER BY c.position LIMIT q.lim OFFSET {r.skip}) c"
            " ORDER BY q.n, c.position")
        params.update(ids=list(terms), limits=[t[0] for t in terms.values()],
                      offsets=[t[1] for t in terms.values()])
        for row in cur.execute(sql, params).fetchall():
            rec = dict(zip(names, row, strict=True))
            out.setdefault(rec["parent_id"], []).append(rec)
        return out

    def _comment_totals(self, cur: psycopg.Cursor[Any], media_ids: Sequence[str],
                        args: ConnectionArgs) -> dict[str, int]:
        """Each post's comments inside the date filter (absent: none), from its bounds."""
        params: dict[str, Any] = {**date_params(args), "ids": list(media_ids)}
        r = position_range(COMMENTS, args, _param, key="o.id", start="0",
                           flag="o.comments_order")
        total = f"(SELECT {r.total} FROM ({r.bounds}) AS b)"
        sql = f"SELECT o.id, {total} FROM media o WHERE o.id = ANY(%(ids)s)"
        return {r[0]: r[1] for r in cur.execute(sql, params) if r[1]}

    # -- freshness bookkeeping ----------------------------------------------------------

    def mark_missing(self, kind: str, key: str, at: float) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO missing (kind, key, checked_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (kind, key) DO UPDATE SET checked_at = excluded.checked_at",
                (kind, key.lower(), at))

    def missing_since(self, kind: str, key: str) -> float | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT checked_at FROM missing WHERE kind = %s AND key = %s",
                               (kind, key.lower())).fetchone()
        return None if row is None else float(row[0])

    # -- the import log (graphfields.instagram.store.ImportLog) --------------------------

    def imported(self, digest: str) -> bool:
        with self.pool.connection() as conn:
            return conn.execute("SELECT 1 FROM imports WHERE digest = %s",
                                (digest,)).fetchone() is not None

    def record_import(self, digest: str, at: float) -> None:
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO imports (digest, imported_at) VALUES (%s, %s) ON CONFLICT"
                         " (digest) DO UPDATE SET imported_at = excluded.imported_at",
                         (digest, at))

    # -- the job table (graphfields.instagram.jobs) -----------------------------------

    def enqueue(self, kind: str, key: str, *, client: str | None, now: float,
                limit: int | None) -> Enqueued:
        find = "SELECT 1 FROM jobs WHERE kind = %s AND key = %s"
        with self.pool.connection() as conn:
            if conn.execute(find, (kind, key)).fetchone() is not None:
                return Enqueued.PENDING  # the common case (a stale node asked again) reads only
            with conn.transaction():
                if limit is not None and client is not None:
                    # one client's enqueues in turn, so its share is never exceeded
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (client,))
                    row = conn.execute("SELECT COUNT(*) FROM jobs WHERE client = %s",
                                       (client,)).fetchone()
                    assert row is not None
                    if row[0] >= limit:
                        return Enqueued.FULL
                cur = conn.execute(
                    "INSERT INTO jobs (kind, key, client, enqueued_at) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (kind, key) DO NOTHING", (kind, key, client, now))
                return Enqueued.ADDED if cur.rowcount else Enqueued.PENDING

    def claim(self, *, now: float, lease: float) -> Job | None:
        claim = new_claim()
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE jobs SET lease_until = %s, claim = %s, attempts = attempts + 1"
                " WHERE (kind, key) = (SELECT kind, key FROM jobs WHERE lease_until IS NULL"
                " OR lease_until < %s ORDER BY enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " RETURNING kind, key, attempts", (now + lease, claim, now)).fetchone()
        return None if row is None else Job(row[0], row[1], claim, row[2])

    def renew(self, job: Job, *, now: float, lease: float) -> bool:
        with self.pool.connection() as conn:
            cur = conn.execute("UPDATE jobs SET lease_until = %s WHERE kind = %s AND key = %s"
                               " AND claim = %s", (now + lease, job.kind, job.key, job.claim))
            return cur.rowcount > 0

    def finish(self, job: Job) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM jobs WHERE kind = %s AND key = %s AND claim = %s",
                         (job.kind, job.key, job.claim))

    def pending(self, kind: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT key FROM jobs WHERE kind = %s AND key = ANY(%s)",
                                (kind, wanted)).fetchall()
        return {r[0] for r in rows}

    def job_count(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()
        assert row is not None
        return int(row[0])

    # -- writing ----------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        with self.pool.connection() as conn, conn.transaction():
            cur = conn.cursor()
            check_references(batch, lambda table, ids: _existing(cur, table, ids))
            self._write(cur, batch)

    def _claim_usernames(self, cur: psycopg.Cursor[Any], ids: list[str]) -> None:
        """:func:`~graphfields.instagram.backend.claim_usernames` in this database (names
        are kept in lower case)."""

        def stored(user_id: str) -> tuple[str, int]:
            row = cur.execute("SELECT lower(username), complete FROM users WHERE id = %s",
                              (user_id,)).fetchone()
            assert row is not None
            return row[0], row[1]

        def holder(name: str) -> tuple[str, int | None] | None:
            row = cur.execute(
                "SELECT usernames.user_id, users.complete FROM usernames LEFT JOIN users"
                " ON users.id = usernames.user_id WHERE usernames.username = %s",
                (name,)).fetchone()
            return None if row is None else (row[0], row[1])

        def take(name: str, user_id: str) -> None:
            cur.execute("INSERT INTO usernames (username, user_id) VALUES (%s, %s) ON CONFLICT"
                        " (username) DO UPDATE SET user_id = excluded.user_id", (name, user_id))

        def release_others(user_id: str, name: str) -> None:
            cur.execute("DELETE FROM usernames WHERE user_id = %s AND username <> %s",
                        (user_id, name))

        claim_usernames(ids, stored, holder, take, release_others)

    def _sequencing(self, cur: psycopg.Cursor[Any], batch: Batch) -> Sequencing:
        ids = [m["id"] for m in batch.media]
        stored = {r[0]: (r[1], r[2]) for r in cur.execute(
            "SELECT id, owner_id, timestamp FROM media WHERE id = ANY(%s)", (ids,))}
        owners = sorted({m["owner_id"] for m in batch.media})
        newest = {r[0]: (r[1], r[2], r[3]) for r in cur.execute(
            "SELECT o, t.timestamp, t.id, t.seq FROM unnest(%s::text[]) AS o CROSS JOIN"
            " LATERAL (SELECT timestamp, id, seq FROM media WHERE owner_id = o AND seq IS NOT"
            " NULL ORDER BY seq DESC LIMIT 1) AS t", (owners,))}
        return sequencing(batch, stored, newest)

    def _write(self, cur: psycopg.Cursor[Any], batch: Batch) -> None:
        seq = self._sequencing(cur, batch) if batch.media else None
        pending: list[list[Any]] = []
        sql = ""
        for table, rec, state in write_order(batch):
            up = upsert(table, rec, state, "%s")
            if up.sql != sql and pending:
                cur.executemany(sql, pending)
                pending = []
            sql = up.sql
            pending.append(up.values)
        if pending:
            cur.executemany(sql, pending)
        if seq is not None:
            if seq.appended:
                cur.executemany("UPDATE media SET seq = %s WHERE id = %s",
                                [(n, i) for i, n in seq.appended])
            for owner in sorted(seq.renumber):
                cur.execute(_RENUMBER, (owner,))
        self._claim_usernames(cur, [rec["id"] for rec in batch.users])
        write_positions(batch, () if seq is None else seq.retimed, "%s", cur.executemany,
                        lambda table, col, key, ids: {r[0] for r in cur.execute(
                            f"SELECT DISTINCT {col} FROM {table} WHERE {key} = ANY(%s)",
                            (ids,))},
                        lambda ids: cur.execute(
                            'SELECT 1 FROM media WHERE id = ANY(%s) ORDER BY id COLLATE "C"'
                            " FOR UPDATE", (ids,)).fetchall(),
                        pinned=lambda table, ids: {r[0] for r in cur.execute(
                            f"SELECT id FROM {table} WHERE complete = {PINNED}"
                            " AND id = ANY(%s)", (ids,))})


def _select_list(table: str, columns: Sequence[str] | None, prefix: str = "") -> str:
    """The select list of a read of ``table``: ``columns`` (plus the row's ID), or
    ``*`` for whole rows."""
    if columns is None:
        return prefix + "*"
    return ", ".join(prefix + c for c in selected(table, tuple(columns)))


def _comment_columns(columns: Sequence[str] | None) -> tuple[str, ...]:
    """The columns a comment read selects (always its post: pages group by it)."""
    if columns is None:
        return COMMENT_COLS
    return selected("comments", tuple(columns), ("id", "parent_id"))


def _existing(cur: psycopg.Cursor[Any], table: str, ids: set[str]) -> set[str]:
    rows = cur.execute(f"SELECT id FROM {table} WHERE id = ANY(%s)",
                       (sorted(ids),)).fetchall()
    return {r[0] for r in rows}


def _reason(exc: BaseException) -> str:
    """The first line of a driver error (libpq's messages never carry the password)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
