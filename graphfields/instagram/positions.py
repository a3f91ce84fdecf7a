"""Positions kept on write: the rules that make every page an index range, shared by
both SQL stores (:mod:`.sqlite_store`, :mod:`.postgres_store`).

- a user's feed: ``media.seq`` (:func:`feed_bounds`, :func:`sequencing`);
- a tag's feed and a post's comments: ``position``, with each collection's order flag
  (:func:`position_range`, :func:`write_positions`, :data:`MIGRATE_POSITIONS`).

A page deep in a collection of 100,000 rows, a backward page (``last``, ``before``) and a
date-filtered page then cost what the first page costs: no ``OFFSET`` walk, and counts are
``hi - lo + 1``, not ``COUNT(*)`` (``python -m benchmarks pages``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphfields.instagram.dataset import Batch
from graphfields.instagram.entities import columns
from graphfields.relay import Page
from graphfields.schema import ConnectionArgs

__all__ = [
    "ADDED_COLUMNS",
    "COMMENTS",
    "FALLING",
    "MIGRATE_POSITIONS",
    "POSITION_INDEXES",
    "RISING",
    "TAG_FEED",
    "UNORDERED",
    "Positions",
    "RangeSQL",
    "Sequencing",
    "comment_rows",
    "feed_bounds",
    "feed_total",
    "forward_sql",
    "order_sql",
    "page_sql",
    "position_range",
    "refresh_order",
    "renumber_comments",
    "sequencing",
    "total_sql",
    "union_sql",
    "window_page",
    "write_positions",
]

COMMENT_COLS = columns("comments")


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


@dataclass(frozen=True, slots=True)
class Sequencing:
    """How a write keeps ``seq`` dense and ordered: owners whose feeds are renumbered
    whole, and ``(media_id, seq)`` of posts simply appended after their owner's newest;
    ``retimed``: stored posts the write gives another timestamp (the tag feeds holding
    them copy it)."""

    renumber: frozenset[str]
    appended: list[tuple[str, int]]
    retimed: frozenset[str] = frozenset()


def sequencing(batch: Batch, stored: Mapping[str, tuple[str, int]],
               newest: Mapping[str, tuple[int, str, int]]) -> Sequencing:
    """The :class:`Sequencing` of a write. ``stored``: ``{media_id: (owner_id, timestamp)}``
    of the batch's posts already stored; ``newest``: ``{owner: (timestamp, id, seq)}`` of
    each owner's newest stored post. The common write (a load adding a user's newest
    posts) only appends; a post inserted between stored ones, or one whose owner or
    timestamp changed, renumbers that owner's feed."""
    renumber: set[str] = set()
    retimed: set[str] = set()
    added: dict[str, list[tuple[int, str]]] = {}
    for m in batch.media:
        owner = m["owner_id"]
        if m["id"] in stored:
            old_owner, old_time = stored[m["id"]]
            if (old_owner, old_time) != (owner, m["timestamp"]):
                renumber.update((owner, old_owner))
            if old_time != m["timestamp"]:
                retimed.add(m["id"])
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
    return Sequencing(frozenset(renumber), appended, frozenset(retimed))


# -- tag feeds and comments: dense positions, pages as ranges ------------------------------
#
# A tag's feed (``tag_media``) and a post's comments are served in their stored order,
# ``position``: 0 for the first, dense per tag or post. A write replaces a feed or a post's
# comments whole, numbered in the record's order; a comment it moves to another post
# leaves a gap in its former post, which the same write closes (renumbering that post).
# Offset k of a collection is then position k and its size the last position + 1: every
# page is an index range on ``(key, position)``, with no OFFSET walk and no COUNT(*). A
# forward page is one query (a page past the end adds one for the size); a backward one
# (``last``, ``before``) is one statement too, :func:`graphfields.relay.window`'s
# arithmetic run in SQL over the bounds (:func:`page_sql`): no snapshot of two reads.
#
# A date filter is a range too when the timestamps are monotonic along position (a feed
# newest first, comments oldest first). The owner row (the tag, the post) keeps its
# collection's order flag: RISING (timestamps never decrease along position; an empty or
# constant collection too), FALLING (never increase) or UNORDERED (neither, or a comment
# without a timestamp), recomputed whenever the collection or a timestamp in it changes
# (and written only when it changes).
# A feed copies its posts' timestamps (``tag_media.ts``), so that an index on ``(key, ts,
# position)`` finds the filter's first and last positions in a few seeks. An UNORDERED
# collection's date-filtered pages read the filter in position order with OFFSET and
# COUNT(*), as before: no range stands for that filter.

RISING, FALLING, UNORDERED = 1, -1, 0


@dataclass(frozen=True, slots=True)
class Positions:
    """A collection numbered by ``position`` per ``key`` in ``table``, its rows'
    timestamps in ``ts``; the ``owner`` row whose ``id`` is the key keeps its order flag
    in the column ``flag``."""

    table: str
    key: str
    ts: str
    owner: str
    flag: str


COMMENTS = Positions("comments", "parent_id", "timestamp", "media", "comments_order")
TAG_FEED = Positions("tag_media", "tag", "ts", "tags", "feed_order")
ADDED_COLUMNS = (("media", "comments_order", f"NOT NULL DEFAULT {UNORDERED}"),
                 ("tags", "feed_order", f"NOT NULL DEFAULT {UNORDERED}"), ("tag_media", "ts", ""))
"""``(table, column, constraint)`` of the integer columns of tag feed and comment
positions (the order flags, a feed's timestamps), which a database made before them lacks."""
POSITION_INDEXES = (
    "CREATE INDEX IF NOT EXISTS comments_by_time ON comments (parent_id, timestamp, position)",
    "CREATE INDEX IF NOT EXISTS tag_media_by_time ON tag_media (tag, ts, position)",
    "CREATE INDEX IF NOT EXISTS tag_media_by_media ON tag_media (media_id)",
)


@dataclass(frozen=True, slots=True)
class RangeSQL:
    """SQL of a positioned collection's pages. ``bounds``: a ``SELECT`` of one row, ``d``
    (the order flag), ``lo`` and ``hi`` (the first and last positions inside the date
    filter, a few index seeks); ``where`` (conditions selecting the rows from a filtered
    offset on, in position order), ``skip`` (the ``OFFSET``: 0 but for an UNORDERED
    collection's date filter) and ``total`` (the size inside the filter: ``hi - lo + 1``,
    or an UNORDERED collection's ``COUNT(*)``) are expressions over that row's columns,
    as ``b``; ``dated``: whether ``where`` and ``skip`` read them (without a date filter
    they need no bounds)."""

    bounds: str
    where: str
    skip: str
    total: str
    dated: bool


def position_range(p: Positions, args: ConnectionArgs, param: Callable[[str], str], *,
                   key: str, start: str, alias: str = "", flag: str | None = None,
                   cte: str | None = None) -> RangeSQL:
    """The :class:`RangeSQL` of ``args``' page of the collection ``key`` (an SQL
    expression), read from the filtered offset ``start`` (an SQL expression); ``alias``
    prefixes the page query's columns; ``flag``: the order flag's SQL (default: read from
    the owner row); ``cte``: the name of a ``WITH`` table holding the bounds row, which
    ``where`` and ``skip`` then read with scalar subqueries (constants to the planner, so
    that the position range is an index range), else they read the columns of ``b``
    (a ``LATERAL`` join). ``param(name)`` spells ``since``/``until``. Made once per shape
    (which date filter parts ``args`` has)."""
    return _range(p, args.since is not None, args.until is not None, param, key, start,
                  alias, flag, cte)


@lru_cache(maxsize=512)
def _range(p: Positions, since: bool, until: bool, param: Callable[[str], str], key: str,
           start: str, alias: str, flag: str | None, cte: str | None) -> RangeSQL:

    def ref(value: str) -> str:  # an expression of the bounds row's columns
        return value.replace("@", "b.") if cte is None else (
            f"(SELECT {value.replace('@', '')} FROM {cte})")

    def at(stamp: str, order: str) -> str:  # the first or last position holding a timestamp
        return (f"(SELECT position FROM {p.table} WHERE {p.key} = {key} AND {p.ts} = {stamp}"
                f" ORDER BY position{order} LIMIT 1)")

    col = f"{alias}position"
    top = (f"(SELECT position FROM {p.table} WHERE {p.key} = {key}"
           " ORDER BY position DESC LIMIT 1)")
    if not since and not until:
        return RangeSQL(f"SELECT {RISING} AS d, 0 AS lo, {top} AS hi",
                        f"{col} >= {start}", "0", "COALESCE(b.hi + 1, 0)", False)
    lo = {RISING: "0", FALLING: "0"}
    hi = {RISING: top, FALLING: top}
    stamps, conds = [], []
    if since:  # the earliest timestamp at or after since, ts
        stamps.append(f"(SELECT {p.ts} FROM {p.table} WHERE {p.key} = {key} AND {p.ts} >="
                      f" {param('since')} ORDER BY {p.ts} LIMIT 1) AS ts")
        lo[RISING], hi[FALLING] = at("f.ts", ""), at("f.ts", " DESC")
        conds.append(f"{{0}}{p.ts} >= {param('since')}")
    if until:  # the latest timestamp at or before until, tu
        stamps.append(f"(SELECT {p.ts} FROM {p.table} WHERE {p.key} = {key} AND {p.ts} <="
                      f" {param('until')} ORDER BY {p.ts} DESC LIMIT 1) AS tu")
        lo[FALLING], hi[RISING] = at("f.tu", ""), at("f.tu", " DESC")
        conds.append(f"{{0}}{p.ts} <= {param('until')}")
    kept = " AND ".join(conds)
    flag = flag or f"(SELECT {p.flag} FROM {p.owner} WHERE id = {key})"
    def pick(by: dict[int, str], other: str) -> str:  # by order flag (the branches needed)
        cases = "".join(f" WHEN {d} THEN {sql}" for d, sql in by.items() if sql != other)
        return f"CASE f.d{cases} ELSE {other} END"

    bounds = (f"SELECT f.d AS d, {pick(lo, '0')} AS lo, {pick(hi, top)} AS hi FROM (SELECT"
              f" COALESCE({flag}, {UNORDERED}) AS d, {', '.join(stamps)} LIMIT 1) AS f")
    # (LIMIT 1: PostgreSQL would otherwise inline f, reading the flag once per use)
    count = f"(SELECT COUNT(*) FROM {p.table} WHERE {p.key} = {key} AND {kept.format('')})"
    return RangeSQL(
        bounds,
        f"{col} >= {ref(f'@lo + CASE @d WHEN {UNORDERED} THEN 0 ELSE {start} END')}"
        f" AND {col} <= {ref('@hi')} AND ({ref('@d')} <> {UNORDERED} OR ({kept.format(alias)}))",
        ref(f"CASE @d WHEN {UNORDERED} THEN {start} ELSE 0 END"),
        f"CASE WHEN b.d = {UNORDERED} THEN {count} WHEN b.hi >= b.lo THEN b.hi - b.lo + 1"
        " ELSE 0 END", True)


@lru_cache(maxsize=512)
def forward_sql(r: RangeSQL, *, cols: str, source: str, key: str, order: str,
                limit: str) -> str:
    """The ``SELECT`` of a forward page's rows (``limit`` of them) of the collection of
    :func:`position_range` (``cte="b"``): ``cols`` of ``source`` (its ``FROM``) where
    ``key`` (``column = value``), in ``order`` (the position column)."""
    if not r.dated:
        return (f"SELECT {cols} FROM {source} WHERE {key} AND {r.where} ORDER BY {order}"
                f" LIMIT {limit} OFFSET 0")
    return (f"WITH b AS ({r.bounds}) SELECT {cols} FROM {source} WHERE {key} AND {r.where}"
            f" ORDER BY {order} LIMIT {limit} OFFSET {r.skip}")


@lru_cache(maxsize=512)
def total_sql(r: RangeSQL) -> str:
    """The ``SELECT`` of the size inside the filter of :func:`position_range`'s collection."""
    return f"SELECT {r.total} AS n FROM ({r.bounds}) AS b"


@lru_cache(maxsize=256)
def union_sql(n: int, since: bool, until: bool, cols: str, param: Callable[[str], str],
              shared: bool = False) -> str:
    """The comment pages of ``n`` posts as one ``UNION ALL`` of each post's range (SQLite
    has no ``LATERAL``): ``param(f"p{j}")`` the post, ``l{j}`` its limit, ``o{j}`` its
    filtered offset (``shared``: every post's are ``l`` and ``o``, as on a forward page);
    each post's bounds read once (``WITH b{j}``) under a date filter (``since``/``until``:
    the parts it has)."""
    args = ConnectionArgs(since=0 if since else None, until=0 if until else None)

    def own(name: str, j: int) -> str:
        return param(name if shared else f"{name}{j}")

    ranges = [position_range(COMMENTS, args, param, key=param(f"p{j}"), start=own("o", j),
                             cte=f"b{j}") for j in range(n)]
    sql = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {cols} FROM comments WHERE parent_id = {param(f'p{j}')} AND"
        f" {r.where} ORDER BY position LIMIT {own('l', j)} OFFSET {r.skip})"
        for j, r in enumerate(ranges))
    if not since and not until:
        return sql
    return "WITH " + ", ".join(f"b{j} AS ({r.bounds})" for j, r in enumerate(ranges)) + " " + sql


def _least(a: str, b: str) -> str:
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def _greatest(a: str, b: str) -> str:
    return f"CASE WHEN {a} > {b} THEN {a} ELSE {b} END"


_WINDOW_PARTS = ("after", "before", "offset", "first", "last")


def _window_values(args: ConnectionArgs) -> dict[str, int]:
    """The parameters of :func:`_window` (the arguments a page has)."""
    values = {"w_after": None if args.after is None else max(args.after + 1, 0),
              "w_before": None if args.before is None else max(args.before, 0),
              "w_offset": args.offset or None, "w_first": args.first, "w_last": args.last}
    return {k: v for k, v in values.items() if v is not None}


def _window(parts: frozenset[str], param: Callable[[str], str]) -> str:
    """:func:`graphfields.relay.window` in SQL for a page with those arguments (``after``,
    ``before``, ``offset``, ``first``, ``last``): a ``SELECT n, s, e`` (size, start, end)
    over ``page_size(n)``."""
    start = _least(param("w_after"), "n") if "after" in parts else "0"
    end = _least(param("w_before"), "n") if "before" in parts else "n"
    sql = f"SELECT n, {start} AS s, {end} AS e FROM page_size"
    sql = f"SELECT n, s, {_greatest('e', 's')} AS e FROM ({sql}) AS w0"
    if "offset" in parts:
        sql = f"SELECT n, {_least('s + ' + param('w_offset'), 'e')} AS s, e FROM ({sql}) AS w1"
    if "first" in parts:
        sql = f"SELECT n, s, {_least('s + ' + param('w_first'), 'e')} AS e FROM ({sql}) AS w2"
    if "last" in parts:
        sql = f"SELECT n, {_greatest('e - ' + param('w_last'), 's')} AS s, e FROM ({sql}) AS w3"
    return sql


def page_sql(p: Positions, args: ConnectionArgs, param: Callable[[str], str], *, cols: str,
             source: str, key: str, alias: str = "") -> tuple[str, dict[str, Any]]:
    """One statement reading any page of the collection ``key`` (a backward one, whose
    window needs the collection's size, included: no snapshot of two reads), and its
    parameters (``key`` apart). Each row is the window's start, ``has_next_page``, the
    ``cols`` of a node of ``source`` (its ``FROM``) and its position; an empty page is
    one row whose position is NULL (:func:`window_page`). Made once per shape."""
    values = _window_values(args)
    parts = frozenset(k[2:] for k in values)
    if args.since is not None:
        values["since"] = args.since
    if args.until is not None:
        values["until"] = args.until
    return _page_sql(p, args.since is not None, args.until is not None, parts, param, cols,
                     source, key, alias), values


@lru_cache(maxsize=512)
def _page_sql(p: Positions, since: bool, until: bool, parts: frozenset[str],
              param: Callable[[str], str], cols: str, source: str, key: str,
              alias: str) -> str:
    r = _range(p, since, until, param, key, "(SELECT s FROM page_window)", alias, None, "b")
    return (f"WITH b AS ({r.bounds}), page_size AS (SELECT {r.total} AS n FROM b),"
            f" page_window AS ({_window(parts, param)}) SELECT w.s AS page_start,"
            " w.e < w.n AS page_more, c.* FROM page_window w LEFT JOIN (SELECT"
            f" {cols}, {alias}position AS page_pos FROM {source} WHERE {alias}{p.key} ="
            f" {key} AND {r.where} AND {alias}position < (SELECT CASE WHEN b.d ="
            f" {UNORDERED} THEN b.hi + 1 ELSE b.lo + w.e END FROM b CROSS JOIN page_window"
            f" w) ORDER BY {alias}position LIMIT (SELECT e - s FROM page_window)"
            f" OFFSET {r.skip}) c ON 1 = 1 ORDER BY c.page_pos")
    # (the range is bounded above too, though LIMIT ends it: PostgreSQL cannot see a
    # subquery's LIMIT, and planned a parallel scan of a 100,000-row collection)


def window_page(rows: Sequence[Sequence[Any]], make: Callable[[Sequence[Any]], Any]) -> Page:
    """The page :func:`page_sql`'s ``rows`` (plain tuples) make; ``make(values)``: a node
    from its ``cols``."""
    start = rows[0][0]
    return Page([make(row[2:-1]) for row in rows if row[-1] is not None], start,
                bool(rows[0][1]), start > 0)


def order_sql(p: Positions, key: str) -> str:
    """SQL of the order flag of the collection ``key`` (an SQL expression), from its rows."""
    return (f"(SELECT CASE WHEN COUNT(*) > COUNT(ts) THEN {UNORDERED}"
            f" WHEN COALESCE(MIN(ts - prev), 0) >= 0 THEN {RISING}"
            f" WHEN COALESCE(MAX(ts - prev), 0) <= 0 THEN {FALLING} ELSE {UNORDERED} END"
            f" FROM (SELECT {p.ts} AS ts, LAG({p.ts}) OVER (ORDER BY position) AS prev"
            f" FROM {p.table} WHERE {p.key} = {key}) AS s)")


def refresh_order(p: Positions, mark: str) -> str:
    """``UPDATE`` of one owner's order flag (``mark``: its ID's placeholder), writing (and,
    on PostgreSQL, locking) the owner row only when the flag changes: a write keeps its
    row locks in ID order, and a reload of a collection in the same order takes none."""
    order = order_sql(p, p.owner + ".id")
    return (f"UPDATE {p.owner} SET {p.flag} = {order} WHERE id = {mark}"
            f" AND {p.flag} <> {order}")


def renumber_comments(mark: str) -> str:
    """``UPDATE`` closing the gaps in one post's comment positions, order kept."""
    return ("UPDATE comments SET position = r.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY"
            f" position) - 1 AS n FROM comments WHERE parent_id = {mark}) AS r"
            " WHERE comments.id = r.id AND comments.position <> r.n")


RENUMBER_ALL_COMMENTS = (
    "UPDATE comments SET position = r.n FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY"
    " parent_id ORDER BY position) - 1 AS n FROM comments) AS r"
    " WHERE comments.id = r.id AND comments.position <> r.n")
MIGRATE_POSITIONS = (
    RENUMBER_ALL_COMMENTS,
    "UPDATE tag_media SET ts = (SELECT timestamp FROM media WHERE media.id = tag_media.media_id)",
    f"UPDATE media SET comments_order = {order_sql(COMMENTS, 'media.id')}"
    " WHERE id IN (SELECT parent_id FROM comments)",
    f"UPDATE tags SET feed_order = {order_sql(TAG_FEED, 'tags.id')}"
    " WHERE id IN (SELECT tag FROM tag_media)",
)
"""A database made before these positions: its comment positions closed up, its feeds'
timestamps copied and every order flag computed (one transaction, on open)."""


# -- writes ---------------------------------------------------------------------------------


_PARENT = COMMENT_COLS.index("parent_id")


def comment_rows(batch: Batch) -> tuple[list[str], list[tuple[Any, ...]], set[str]]:
    """The posts whose comments a batch replaces (in order), its comment rows as
    ``(*COMMENT_COLS, position)`` tuples, numbered per post in the batch's order, and the
    posts of those rows a later row of the same ID replaces (a batch not made by
    :func:`~graphfields.instagram.dataset.parse_dataset`, which refuses that): their
    positions have a gap the write closes."""
    parents = list(dict.fromkeys(r["parent_id"] for r in batch.comments))
    positions = dict.fromkeys(parents, 0)
    rows = []
    seen: dict[str, str] = {}
    gaps: set[str] = set()
    for rec in batch.comments:
        pos = positions[rec["parent_id"]]
        positions[rec["parent_id"]] = pos + 1
        rows.append((*(rec.get(c) for c in COMMENT_COLS), pos))
        if rec["id"] in seen:
            gaps.add(seen[rec["id"]])
        seen[rec["id"]] = rec["parent_id"]
    return parents, rows, gaps


def write_positions(batch: Batch, retimed: Iterable[str], mark: str,
                    run_many: Callable[[str, list[tuple[Any, ...]]], object],
                    among: Callable[[str, str, str, list[str]], set[str]],
                    lock_posts: Callable[[list[str]], object] | None = None, *,
                    pinned: Callable[[str, list[str]], set[str]]) -> None:
    """Write a batch's comments and tag feeds (after its upserts, in its transaction),
    keeping positions dense, order flags and feed timestamps true (see "tag feeds and
    comments" above). ``retimed``: the batch's stored posts whose timestamp it changed
    (:class:`Sequencing`). ``run_many(sql, rows)`` runs ``sql`` (``mark`` placeholders)
    once per row; ``among(table, column, key, ids)``: the distinct ``column`` values of
    the rows of ``table`` whose ``key`` is one of ``ids``; ``pinned(table, ids)``: those
    of ``ids`` whose stored row in ``table`` is pinned. A pinned post keeps its comments
    and a pinned tag its feed against any write but a pinned one, as their rows do (a
    load that also brings them, say a tag's posts with their comments, leaves them as
    they are, and a comment stored under a pinned post stays there); a tag of
    ``batch.views`` gets a feed only when it has none.
    ``lock_posts(ids)`` (a store whose writes run side by side: PostgreSQL) locks the
    posts whose comments the batch replaces, in ID order, before it reads where its
    comments are and deletes theirs: another write replacing them at the same time is then
    done and seen, not left beside these (a feed is replaced with its tag's row, which the
    batch's upsert has locked already)."""

    def each(sql: str, keys: Iterable[Any]) -> None:
        rows = [(k,) for k in sorted(keys)]  # in ID order: concurrent writes lock alike
        if rows:
            run_many(sql, rows)

    parents, rows, gaps = comment_rows(batch)
    feeds = {rec["id"]: rec["media_ids"] for rec in batch.tags
             if rec.get("media_ids") is not None}
    if rows and lock_posts is not None:
        lock_posts(sorted(parents))  # before reading where the batch's comments are now
    held: set[str] = set()
    if not batch.pinned:
        kept = pinned("media", sorted(parents)) if parents else set()
        if kept:
            parents = [p for p in parents if p not in kept]
            rows = [r for r in rows if r[_PARENT] not in kept]
            gaps -= kept
    # the posts the batch's comments are stored under now
    stored = among("comments", "parent_id", "id", sorted({r[0] for r in rows})) if rows \
        else set()
    if not batch.pinned:
        # nor does a comment stored under a pinned post move to another one
        held = pinned("media", sorted(stored)) if stored else set()
        if held:
            taken = among("comments", "id", "parent_id", sorted(held))
            rows = [r for r in rows if r[0] not in taken]
        for tag in pinned("tags", sorted(feeds)) if feeds else ():
            feeds.pop(tag, None)
    views = sorted(t for t in batch.views if t in feeds)
    for tag in among("tag_media", "tag", "tag", views) if views else ():
        feeds.pop(tag, None)  # a view of a stored feed: the feed stays
    if rows:
        each(f"DELETE FROM comments WHERE parent_id = {mark}", parents)
        # stored under another post: that post loses them and closes up behind them
        moved = stored - held - set(parents)
        names = (*COMMENT_COLS, "position")
        run_many(f"INSERT INTO comments ({', '.join(names)}) VALUES"
                 f" ({', '.join([mark] * len(names))}) ON CONFLICT (id) DO UPDATE SET"
                 f" {', '.join(f'{c} = excluded.{c}' for c in names if c != 'id')}", rows)
        each(renumber_comments(mark), moved | gaps)
        each(refresh_order(COMMENTS, mark), set(parents) | moved | gaps)
    for tag, media_ids in sorted(feeds.items()):
        run_many(f"DELETE FROM tag_media WHERE tag = {mark}", [(tag,)])
        if media_ids:
            run_many(f"INSERT INTO tag_media (tag, position, media_id, ts) SELECT {mark},"
                     f" {mark}, id, timestamp FROM media WHERE id = {mark}",
                     [(tag, i, m) for i, m in enumerate(media_ids)])
    changed = set(feeds)
    if retimed := sorted(retimed):
        each(f"UPDATE tag_media SET ts = (SELECT timestamp FROM media WHERE media.id ="
             f" tag_media.media_id) WHERE media_id = {mark}", retimed)
        changed |= among("tag_media", "tag", "media_id", retimed)
    each(refresh_order(TAG_FEED, mark), changed)
