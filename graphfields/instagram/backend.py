"""The rules every SQL backend of :class:`~graphfields.instagram.store.Store` shares.

A backend (:mod:`.sqlite_store`, :mod:`.postgres_store`) only speaks its database's dialect;
what a store means is decided here, once:

- the tables' columns, derived from :data:`graphfields.instagram.entities.ENTITIES` plus the
  bookkeeping columns (``complete``, feed and comment positions), given the backend's type
  names (:func:`entity_table`);
- page arithmetic: which reads a page needs and what :class:`~graphfields.relay.Page` they
  make (:func:`forward`, :func:`forward_page`, :func:`past_end`, :func:`backward`);
- reference checks of a batch against what it carries and what is stored
  (:func:`check_references`);
- the partial/pinned merge of an upsert (:func:`upsert`): a partial record updates only the
  fields it carries and never ``last_update``; a pinned row is only replaced by a pinned one;
- the order of a batch's writes and comment positions (:func:`write_order`,
  :func:`comment_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphfields.instagram.dataset import Batch, DatasetError
from graphfields.instagram.entities import ENTITIES, Kind, columns
from graphfields.instagram.store import COMPLETE, PARTIAL, PINNED, Row
from graphfields.relay import Page, window
from graphfields.schema import ConnectionArgs

__all__ = [
    "COMMENT_COLS",
    "Sequencing",
    "Upsert",
    "backward",
    "batched_pages",
    "check_references",
    "claim_usernames",
    "comment_rows",
    "date_filter",
    "date_params",
    "entity_table",
    "feed_bounds",
    "feed_total",
    "forward",
    "forward_page",
    "kinds",
    "past_end",
    "read_page",
    "row_maker",
    "selected",
    "sequencing",
    "upsert",
    "write_order",
]

COMMENT_COLS = columns("comments")
STATEFUL = frozenset({"users", "media", "tags"})
"""Tables whose rows carry ``complete`` (:data:`PARTIAL`, :data:`COMPLETE`, :data:`PINNED`)."""


def kinds(kind: Kind) -> frozenset[str]:
    """Every stored column of that kind, whatever its table (a backend's codecs use it)."""
    return frozenset(f.name for fs in ENTITIES.values() for f in fs if f.kind == kind)


def entity_table(collection: str, types: Mapping[str, str],
                 overrides: Mapping[str, str] | None = None) -> str:
    """``CREATE TABLE IF NOT EXISTS`` of a collection: its declared columns with the
    backend's ``types`` (by kind), ``id`` the primary key, required fields ``NOT NULL``,
    and ``complete`` on the tables that carry it. ``overrides`` replaces a column's whole
    definition (a case-insensitive collation, say)."""
    required = {f.name for f in ENTITIES[collection] if f.required}
    defs = []
    for f in ENTITIES[collection]:
        if not f.column:
            continue
        if overrides and f.name in overrides:
            defs.append(f"{f.name} {overrides[f.name]}")
            continue
        sql = f"{f.name} {types[f.kind]}"
        if f.name == "id":
            sql += " PRIMARY KEY"
        elif f.name in required or (collection == "media" and f.name in ("shortcode",
                                                                          "timestamp")):
            sql += " NOT NULL"  # a post always has them: derived from its ID if absent
        defs.append(sql)
    if collection == "comments":
        defs.append(f"position {types['int']} NOT NULL")
    if collection == "media":
        defs.append(f"seq {types['int']}")  # the post's place in its owner's feed (see below)
    if collection in STATEFUL:
        defs.append(f"complete {types['int']} NOT NULL DEFAULT {COMPLETE}")
    return f"CREATE TABLE IF NOT EXISTS {collection} ({', '.join(defs)})"


# -- projections: a read selects what the request needs -----------------------------------


@lru_cache(maxsize=1024)
def selected(table: str, wanted: tuple[str, ...] | None,
             keys: tuple[str, ...] = ("id",)) -> tuple[str, ...]:
    """The columns a read of ``table`` selects, in declaration order: ``wanted`` (the
    columns a request reads, :func:`graphfields.instagram.schema.columns_of`) plus the
    ``keys`` the read itself needs (a row's ID to map it, a comment's post to group it);
    ``wanted=None``: every stored column (and ``complete`` where the table has it).
    Raises ``ValueError`` for a name that is not a column of ``table``."""
    every = columns(table) + (("complete",) if table in STATEFUL else ())
    if wanted is None:
        return every
    unknown = set(wanted) - set(every)
    if unknown:
        raise ValueError(f"not columns of {table}: {', '.join(sorted(unknown))}")
    chosen = set(wanted) | set(keys)
    return tuple(c for c in every if c in chosen)


@lru_cache(maxsize=1024)
def row_maker(cols: tuple[str, ...], decoded: frozenset[str] = frozenset(),
              booleans: frozenset[str] = frozenset()) -> Callable[[Sequence[Any]], Row]:
    """``values -> {cols[0]: values[0], ...}`` (one dict display: the fastest way in
    CPython), JSON-decoding the ``decoded`` columns and turning the ``booleans`` (0/1)
    into ``bool``; ``None`` stays ``None``. Column names are checked identifiers from
    :data:`~graphfields.instagram.entities.ENTITIES`, written into the code only through
    ``repr``."""
    known = {c for t in ENTITIES for c in columns(t)} | {"complete"}
    if not set(cols) <= known:
        raise ValueError(f"unknown columns: {', '.join(sorted(set(cols) - known))}")
    items = []
    for i, col in enumerate(cols):
        value = f"row[{i}]"
        if col in decoded:
            value = f"(None if {value} is None else loads({value}))"
        elif col in booleans:
            value = f"(None if {value} is None else bool({value}))"
        items.append(f"{col!r}: {value}")
    made: Callable[[Sequence[Any]], Row] = eval(  # the names are checked above
        f"lambda row: {{{', '.join(items)}}}", {"loads": json.loads})
    return made


# -- pages --------------------------------------------------------------------------------


def forward(args: ConnectionArgs) -> tuple[int, int | None] | None:
    """``(offset, first)`` of a forward page (no ``last``/``before``), else ``None``. A
    forward page is read with ``first + 1`` rows from the offset (one query: the extra
    row tells ``has_next_page``)."""
    if args.last is not None or args.before is not None:
        return None
    return (0 if args.after is None else args.after + 1) + args.offset, args.first


def fetch_limit(first: int | None) -> int | None:
    """How many rows a forward page reads (``None``: all)."""
    return None if first is None else first + 1


def forward_page(rows: list[Any], start: int, first: int | None) -> Page | None:
    """The forward page ``rows`` (read with :func:`fetch_limit`) make, or ``None`` when
    none came back past the start: then only a count tells where the collection ends."""
    if not rows and start > 0:
        return None
    if first is None:
        return Page(rows, start, False, start > 0)
    return Page(rows[:first], start, len(rows) > first, start > 0)


def past_end(start: int, total: int) -> Page:
    """The empty page of an offset at or past the end of ``total`` rows."""
    start = min(start, total)
    return Page([], start, False, start > 0)


def backward(total: int, args: ConnectionArgs) -> tuple[int, int]:
    """``(start, end)`` of a page that needs the collection's size (``last``/``before``)."""
    return window(total, args.first, args.last, args.after, args.before, args.offset)


def read_page(args: ConnectionArgs, *, rows: Callable[[int, int | None], list[Row]],
              total: Callable[[], int], part: Callable[[int, int], list[Row]],
              snapshot: Callable[[], AbstractContextManager[object]]) -> Page:
    """One collection's page from a backend's reads: ``rows(start, limit)`` (a forward
    page: ``limit`` rows from ``start``, ``None``: all), ``total()`` (its size after the
    date filter) and ``part(start, end)`` (rows ``start`` to ``end``, read right after
    ``total()`` in one ``snapshot()``: a backward page)."""
    fwd = forward(args)
    if fwd is not None:
        start, first = fwd
        page = forward_page(rows(start, fetch_limit(first)), start, first)
        return page if page is not None else past_end(start, total())
    with snapshot():  # count and slice from one snapshot
        size = total()
        start, end = backward(size, args)
        nodes = part(start, end) if end > start else []
    return Page(nodes, start, end < size, start > 0)


def date_filter(args: ConnectionArgs, column: str,
                param: Callable[[str], str]) -> tuple[str, dict[str, Any]]:
    """``AND <column> >= since AND <column> <= until`` (the parts the filter has) and its
    parameters; ``param(name)`` spells a named parameter in the backend's dialect."""
    where = ""
    if args.since is not None:
        where += f" AND {column} >= {param('since')}"
    if args.until is not None:
        where += f" AND {column} <= {param('until')}"
    return where, date_params(args)


def batched_pages(
    media_ids: Sequence[str], args: ConnectionArgs,
    rows: Callable[[Mapping[str, tuple[int | None, int]]], Mapping[str, list[Row]]],
    totals: Callable[[Sequence[str]], Mapping[str, int]],
    snapshot: Callable[[], AbstractContextManager[object]],
) -> list[Page]:
    """The comment pages of many posts (``media_comments_pages``), from a backend's two
    batch reads: ``rows({post: (limit, offset)})`` (limit ``None``: all) and
    ``totals(posts)`` after the date filter. A forward page is one ``rows`` read (plus the
    totals of the posts it ran past the end of); a backward one reads totals and rows in
    one ``snapshot()``. One page per ID, in order (an ID given twice gets the same page)."""
    ids = list(media_ids)
    wanted = list(dict.fromkeys(ids))
    pages: dict[str, Page] = {}
    fwd = forward(args)
    if fwd is not None:
        start, first = fwd
        fetch = fetch_limit(first)
        found = rows({m: (fetch, start) for m in wanted})
        beyond = []
        for media_id in wanted:
            page = forward_page(found.get(media_id, []), start, first)
            if page is not None:
                pages[media_id] = page
            else:
                beyond.append(media_id)
        if beyond:
            counts = totals(beyond)
            for media_id in beyond:
                pages[media_id] = past_end(start, counts.get(media_id, 0))
    else:
        with snapshot():  # count and slice from one snapshot
            counts = totals(wanted)
            windows = {m: backward(counts.get(m, 0), args) for m in wanted}
            found = rows({m: (end - start, start) for m, (start, end) in windows.items()
                          if end > start})
        for media_id, (start, end) in windows.items():
            total = counts.get(media_id, 0)
            pages[media_id] = Page(found.get(media_id, []), start, end < total, start > 0)
    return [pages[media_id] for media_id in ids]


# -- a user's feed: positions kept on write -----------------------------------------------
#
# Each post carries ``seq``, its place among its owner's posts in (timestamp, id) order:
# 0 for the oldest, dense. A user's feed is served newest first, so offset k of the feed is
# seq ``hi - k`` (hi: the newest post's seq), and a date filter (a timestamp range) is a
# seq range too, because seq grows with timestamp. Every page is then an index range on
# ``(owner_id, seq)`` and the count is ``hi - lo + 1``: a page deep in a 100,000-post feed
# costs what the first page costs, and ``last(n)`` needs no COUNT(*).


def feed_bounds(args: ConnectionArgs, param: Callable[[str], str]) -> tuple[str, str]:
    """SQL expressions of the lowest and highest seq of a user's posts inside the date
    filter (NULL if none); ``param(name)`` spells a named parameter (``key`` is the
    owner, ``since``/``until`` the filter)."""
    key = param("key")
    if args.since is None:
        lo = f"(SELECT MIN(seq) FROM media WHERE owner_id = {key})"
    else:
        lo = (f"(SELECT seq FROM media WHERE owner_id = {key} AND timestamp >= {param('since')}"
              " ORDER BY timestamp, seq LIMIT 1)")
    if args.until is None:
        hi = f"(SELECT MAX(seq) FROM media WHERE owner_id = {key})"
    else:
        hi = (f"(SELECT seq FROM media WHERE owner_id = {key} AND timestamp <= {param('until')}"
              " ORDER BY timestamp DESC, seq DESC LIMIT 1)")
    return lo, hi


def feed_total(lo: int | None, hi: int | None) -> int:
    return 0 if lo is None or hi is None or hi < lo else hi - lo + 1


def date_params(args: ConnectionArgs) -> dict[str, Any]:
    return {k: v for k, v in (("since", args.since), ("until", args.until)) if v is not None}


@dataclass(frozen=True, slots=True)
class Sequencing:
    """How a write keeps ``seq`` dense and ordered: owners whose feeds are renumbered
    whole, and ``(media_id, seq)`` of posts simply appended after their owner's newest."""

    renumber: frozenset[str]
    appended: list[tuple[str, int]]


def sequencing(batch: Batch, stored: Mapping[str, tuple[str, int]],
               newest: Mapping[str, tuple[int, str, int]]) -> Sequencing:
    """The :class:`Sequencing` of a write. ``stored``: ``{media_id: (owner_id, timestamp)}``
    of the batch's posts already stored; ``newest``: ``{owner: (timestamp, id, seq)}`` of
    each owner's newest stored post. The common write (a load adding a user's newest
    posts) only appends; a post inserted between stored ones, or one whose owner or
    timestamp changed, renumbers that owner's feed."""
    renumber: set[str] = set()
    added: dict[str, list[tuple[int, str]]] = {}
    for m in batch.media:
        owner = m["owner_id"]
        if m["id"] in stored:
            old_owner, old_time = stored[m["id"]]
            if (old_owner, old_time) != (owner, m["timestamp"]):
                renumber.update((owner, old_owner))
            continue
        added.setdefault(owner, []).append((m["timestamp"], m["id"]))
    appended: list[tuple[str, int]] = []
    for owner, keys in added.items():
        if owner in renumber:
            continue
        keys.sort()
        top = newest.get(owner)
        if top is not None and keys[0] <= (top[0], top[1]):
            renumber.add(owner)
            continue
        base = 0 if top is None else top[2] + 1
        appended += [(media_id, base + i) for i, (_, media_id) in enumerate(keys)]
    return Sequencing(frozenset(renumber), appended)


# -- writes -------------------------------------------------------------------------------


def check_references(batch: Batch, existing: Callable[[str, set[str]], set[str]]) -> None:
    """Raise :class:`DatasetError` naming the first record whose reference (owner,
    location, parent, feed entry) is neither in ``batch`` nor stored; ``existing(table,
    ids)`` answers which of ``ids`` the store has (inside the write's transaction)."""
    known = {
        "users": {r["id"] for r in batch.users},
        "locations": {r["id"] for r in batch.locations},
        "media": {r["id"] for r in batch.media},
    }
    # (collection, records, field, target table, ids of one record)
    checks: list[tuple[str, list[Row], str, str, Callable[[Row], list[str | None]]]] = [
        ("media", batch.media, "owner_id", "users", lambda r: [r.get("owner_id")]),
        ("media", batch.media, "location_id", "locations", lambda r: [r.get("location_id")]),
        ("comments", batch.comments, "parent_id", "media", lambda r: [r["parent_id"]]),
        ("comments", batch.comments, "owner_id", "users", lambda r: [r.get("owner_id")]),
        ("tags", batch.tags, "media_ids", "media", lambda r: r.get("media_ids") or []),
    ]
    for collection, records, field, table, refs in checks:
        wanted = {i for r in records for i in refs(r) if i is not None} - known[table]
        if not wanted:
            continue
        absent = wanted - existing(table, wanted)
        if not absent:
            continue
        for index, rec in enumerate(records):
            bad = [i for i in refs(rec) if i in absent]
            if bad:
                raise DatasetError(f'unknown {field} "{bad[0]}"', collection, index)


@dataclass(frozen=True, slots=True)
class Upsert:
    """One record's ``INSERT ... ON CONFLICT`` (SQLite and PostgreSQL share the syntax):
    ``sql`` with ``mark`` placeholders, and its ``values``."""

    sql: str
    values: list[Any]


def upsert(table: str, rec: Row, state: int | None, mark: str,
           encode: Callable[[str, Any], Any] = lambda col, value: value) -> Upsert:
    """Insert or update one record of ``table``. ``state`` is the ``complete`` value
    (``None`` for tables without it); a partial record updates only the fields it carries,
    never ``last_update``, and a pinned row is only ever replaced by another pinned one."""
    cols = columns(table)
    names = [c for c in cols if c in rec] if state == PARTIAL else list(cols)
    values = [encode(c, rec.get(c)) for c in names]
    if state is not None:
        names.append("complete")
        values.append(state)
    keep = {"id", "complete", "last_update"} if state == PARTIAL else {"id"}
    sets = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keep)
    marks = ", ".join([mark] * len(names))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
    if sets:
        sql += f" ON CONFLICT (id) DO UPDATE SET {sets}"
        if state is not None:
            sql += f" WHERE {table}.complete < {PINNED} OR excluded.complete = {PINNED}"
    else:
        sql += " ON CONFLICT (id) DO NOTHING"
    return Upsert(sql, values)


def write_order(batch: Batch) -> Iterable[tuple[str, Row, int | None]]:
    """``(table, record, state)`` of every user, location, media and tag row of a batch, in
    the order a backend writes them (referenced rows first; each table by ID, so that two
    concurrent writes lock shared rows in the same order)."""
    full = PINNED if batch.pinned else COMPLETE
    for table, kind, records in (("users", "user", batch.users),
                                 ("locations", None, batch.locations),
                                 ("media", "media", batch.media)):
        for rec in sorted(records, key=lambda r: r["id"]):
            if kind is None:
                yield table, rec, None
            else:
                yield table, rec, PARTIAL if (kind, rec["id"]) in batch.partial else full
    for rec in sorted(batch.tags, key=lambda r: r["id"]):
        yield "tags", rec, PARTIAL if ("tag", rec["id"]) in batch.partial else full


def claim_usernames(user_ids: Iterable[str], stored: Callable[[str], tuple[str, int]],
                    holder: Callable[[str], tuple[str, int | None] | None],
                    take: Callable[[str, str], object],
                    release_others: Callable[[str, str], object]) -> None:
    """A username names one user across writes: the user written last takes it (Instagram
    moves a name to whoever holds it now), except from a pinned user, which keeps it
    against any write but a pinned one; a user's former names stop naming it. Run after a
    write's upserts, over the stored rows (``stored(id)``: its name and ``complete``), so a
    pinned row the write did not change claims nothing new. ``holder(name)``: the user the
    name points to and its ``complete``; ``take(name, id)`` points it at ``id``;
    ``release_others(id, name)`` drops ``id``'s other names."""
    for user_id in user_ids:
        name, state = stored(user_id)
        held = holder(name)
        if held is None or (held[0] != user_id and (held[1] != PINNED or state == PINNED)):
            take(name, user_id)
        release_others(user_id, name)


def comment_rows(batch: Batch) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The posts whose comments a batch replaces (in order), and its comment rows as
    ``(*COMMENT_COLS, position)`` tuples, numbered per post in the batch's order."""
    parents = list(dict.fromkeys(r["parent_id"] for r in batch.comments))
    positions = dict.fromkeys(parents, 0)
    rows = []
    for rec in batch.comments:
        pos = positions[rec["parent_id"]]
        positions[rec["parent_id"]] = pos + 1
        rows.append((*(rec.get(c) for c in COMMENT_COLS), pos))
    return parents, rows


def comment_dicts(rows: Sequence[tuple[Any, ...]]) -> list[Row]:
    """``COMMENT_COLS`` tuples as rows (:func:`row_maker`: a dict display per row)."""
    return list(map(row_maker(COMMENT_COLS), rows))
