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
- the order of a batch's writes (:func:`write_order`).

The positions that make every page an index range (a user's feed, a tag's feed, a post's
comments), kept on write, live in :mod:`graphfields.instagram.positions`.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphfields.instagram.dataset import Batch, DatasetError
from graphfields.instagram.entities import ENTITIES, Kind, columns
from graphfields.instagram.positions import ADDED_COLUMNS
from graphfields.instagram.store import COMPLETE, PARTIAL, PINNED, Row
from graphfields.relay import Page, window
from graphfields.schema import ConnectionArgs

__all__ = [
    "COMMENT_COLS",
    "Upsert",
    "backward",
    "batched_pages",
    "check_references",
    "claim_usernames",
    "date_params",
    "entity_table",
    "forward",
    "forward_page",
    "kinds",
    "past_end",
    "read_forward",
    "read_page",
    "row_maker",
    "selected",
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
        defs.append(f"seq {types['int']}")  # the post's place in its owner's feed
    defs += [f"{col} {types['int']} {rest}" for table, col, rest in ADDED_COLUMNS
             if table == collection]  # the order flag of its comments, of its feed
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


_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder())  # type: ignore[arg-type]  # (typeshed: the decoder is its context)
"""What ``JSONDecoder.raw_decode`` calls (the C scanner), without its Python frame."""


def loads(text: str) -> Any:
    """``json.loads`` of a stored JSON column, by the decoder's scanner alone when the
    text is exactly one document (as the stores write it: about 4x faster on a short
    list); anything else (whitespace around it, an error) through ``json.loads`` itself."""
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError, TypeError):
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


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
        f"lambda row: {{{', '.join(items)}}}", {"loads": loads})
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


def forward_page(rows: list[Any], start: int, first: int | None,
                 make: Callable[[Any], Row] | None = None) -> Page | None:
    """The forward page ``rows`` (read with :func:`fetch_limit`) make, or ``None`` when
    none came back past the start: then only a count tells where the collection ends.
    With ``make``, ``rows`` are a backend's plain values, made into rows here: only
    those of the page (the extra row read to tell ``has_next_page`` is only counted)."""
    if not rows and start > 0:
        return None
    kept = rows if first is None else rows[:first]
    if make is not None:
        kept = list(map(make, kept))
    return Page(kept, start, first is not None and len(rows) > first, start > 0)


def past_end(start: int, total: int) -> Page:
    """The empty page of an offset at or past the end of ``total`` rows."""
    start = min(start, total)
    return Page([], start, False, start > 0)


def backward(total: int, args: ConnectionArgs) -> tuple[int, int]:
    """``(start, end)`` of a page that needs the collection's size (``last``/``before``)."""
    return window(total, args.first, args.last, args.after, args.before, args.offset)


def read_forward(args: ConnectionArgs, rows: Callable[[int, int | None], list[Any]],
                 total: Callable[[], int],
                 make: Callable[[Any], Row] | None = None) -> Page | None:
    """A forward page from a backend's reads (:func:`read_page`'s ``rows`` and ``total``;
    ``make``: see :func:`forward_page`), or ``None`` when ``args`` ask for a backward
    one (``last``/``before``)."""
    fwd = forward(args)
    if fwd is None:
        return None
    start, first = fwd
    page = forward_page(rows(start, fetch_limit(first)), start, first, make)
    return page if page is not None else past_end(start, total())


def read_page(args: ConnectionArgs, *, rows: Callable[[int, int | None], list[Any]],
              total: Callable[[], int], part: Callable[[int, int], list[Row]],
              snapshot: Callable[[], AbstractContextManager[object]],
              make: Callable[[Any], Row] | None = None) -> Page:
    """One collection's page from a backend's reads: ``rows(start, limit)`` (a forward
    page: ``limit`` rows from ``start``, ``None``: all; with ``make``, plain values it
    makes into rows, :func:`forward_page`), ``total()`` (its size after the date filter)
    and ``part(start, end)`` (rows ``start`` to ``end``, read right after ``total()`` in
    one ``snapshot()``: a backward page)."""
    page = read_forward(args, rows, total, make)
    if page is not None:
        return page
    with snapshot():  # count and slice from one snapshot
        size = total()
        start, end = backward(size, args)
        nodes = part(start, end) if end > start else []
    return Page(nodes, start, end < size, start > 0)


def date_params(args: ConnectionArgs) -> dict[str, Any]:
    """The parameters ``since``/``until`` of a page's date filter (the ones it has)."""
    return {k: v for k, v in (("since", args.since), ("until", args.until)) if v is not None}


def batched_pages(
    media_ids: Sequence[str], args: ConnectionArgs,
    rows: Callable[[Mapping[str, tuple[int | None, int]]], Mapping[str, list[Any]]],
    totals: Callable[[Sequence[str]], Mapping[str, int]],
    snapshot: Callable[[], AbstractContextManager[object]],
    make: Callable[[Any], Row] | None = None,
) -> list[Page]:
    """The comment pages of many posts (``media_comments_pages``), from a backend's two
    batch reads: ``rows({post: (limit, offset)})`` (limit ``None``: all) and
    ``totals(posts)`` after the date filter. A forward page is one ``rows`` read (plus the
    totals of the posts it ran past the end of); a backward one reads totals and rows in
    one ``snapshot()``. One page per ID, in order (an ID given twice gets the same page).
    With ``make``, ``rows`` gives plain values, made into rows only for the pages."""
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
            page = forward_page(found.get(media_id, []), start, first, make)
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
            nodes = found.get(media_id, [])
            if make is not None:
                nodes = list(map(make, nodes))
            pages[media_id] = Page(nodes, start, end < total, start > 0)
    return [pages[media_id] for media_id in ids]


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


def comment_dicts(rows: Sequence[tuple[Any, ...]]) -> list[Row]:
    """``COMMENT_COLS`` tuples as rows (:func:`row_maker`: a dict display per row)."""
    return list(map(row_maker(COMMENT_COLS), rows))
