"""The reference API's use cases: fetch a node with a field selection, keeping it fresh.

:meth:`InstagramService.fetch` compiles the request against :data:`SCHEMA`, finds the
root node in the store and executes the plan with the store in the context. Freshness
(spec section 2): with a :class:`~graphfields.instagram.loader.Loader`, a node missing
from the store is loaded in the background (the request answers :class:`NodeLoading`,
HTTP 202), a node the loader reports as nonexistent answers :class:`NodeNotFound` (404,
remembered for ``negative_ttl``), and a stale node is served at once with
``is_being_updated: true`` while it refreshes. Loads are single-flight: however many
requests ask for the same node, one load runs. Without a loader nothing refreshes.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from graphfields.compiler import Limits, compile
from graphfields.errors import FieldsValidationError, GraphFieldsError, ValidationIssue
from graphfields.execution import execute
from graphfields.instagram.dataset import (
    USERNAME,
    Batch,
    DatasetError,
    import_dataset,
    parse_dataset,
    tag_key,
)
from graphfields.instagram.loader import Loader, LoadResult
from graphfields.instagram.schema import SCHEMA, Context, node_type
from graphfields.instagram.shortcode import is_shortcode, shortcode_to_id
from graphfields.instagram.store import PARTIAL, PINNED, Row, Store, open_store

__all__ = [
    "SPEC_DATASET",
    "Freshness",
    "InstagramService",
    "NodeLoading",
    "NodeNotFound",
    "create_service",
]

log = logging.getLogger("graphfields.instagram")

SPEC_DATASET = Path(__file__).parent / "data" / "spec_dataset.json"
"""A dataset built from the spec's own example values (see the README)."""

_MEDIA_ID = re.compile(r"[0-9]{1,20}\Z")


class NodeLoading(GraphFieldsError):
    """The node is not in the store yet; a load is running (HTTP 202)."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(
            f"Some nodes you requested are being loaded now: {node_id}. Try again later"
        )


class NodeNotFound(GraphFieldsError):
    """The node does not exist, or cannot be loaded (HTTP 404)."""

    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        super().__init__(f"Some nodes you requested cannot be loaded: {node_id}")


@dataclass(frozen=True, slots=True)
class Freshness:
    """The plan's freshness rules and load limits (spec section 2), in seconds and counts.

    A post is refreshed when its last update is ``post_ttl`` old, unless the post itself
    is older than ``post_max_age``; a profile after ``profile_ttl``; a tag after
    ``tag_ttl``. Nodes stored only partially (a post seen in a feed, a commenter) are
    always due for a full load.
    """

    post_ttl: float = 2 * 3600
    profile_ttl: float = 24 * 3600
    tag_ttl: float = 2 * 3600
    post_max_age: float = 7 * 24 * 3600
    negative_ttl: float = 3600
    max_tag_media: int = 100
    max_comments: int = 250
    max_user_media: int = 100

    def __post_init__(self) -> None:
        # Checked here, once: a string or NaN would fail (or silently skip) every freshness
        # check of every request instead of the call that configured it. inf is "never".
        for f in fields(self):
            value = getattr(self, f.name)
            counts = f.name.startswith("max_")
            kind = int if counts else (int, float)
            if isinstance(value, bool) or not isinstance(value, kind) or not value >= 0:
                what = "a non-negative integer" if counts else "a non-negative number of seconds"
                raise ValueError(f"{f.name} must be {what}, not {value!r}")


class InstagramService:
    """Serves ``media``, ``user`` and ``tag`` nodes from a :class:`Store`.

    Background loads run on a small thread pool owned by the service; :meth:`close`
    stops it (waiting for running loads) and closes the store.
    """

    def __init__(
        self,
        store: Store,
        *,
        loader: Loader | None = None,
        clock: Callable[[], float] = time.time,
        freshness: Freshness | None = None,
        limits: Limits | None = None,
        workers: int = 4,
    ) -> None:
        self.store = store
        self.loader = loader
        self.clock = clock
        self.freshness = freshness or Freshness()
        self.limits = limits
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], Future[None]] = {}
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="graphfields-load")
            if loader is not None
            else None
        )
        self._context = Context(store, self.is_updating)

    # -- requests ---------------------------------------------------------------------

    def fetch(
        self, node_type_: str, node_id: str, fields: str | None, filters: Mapping[str, str]
    ) -> dict[str, Any]:
        """The ``data`` of a response (see the module docstring).

        Raises :class:`~graphfields.errors.FieldsSyntaxError`, ``FieldsValidationError`` or
        ``LimitExceededError`` for the request (HTTP 400), :class:`NodeLoading` (202) and
        :class:`NodeNotFound` (404).
        """
        root = node_type(node_type_)
        if node_type_ == "media" and filters:
            names = ", ".join(f'"{n}"' for n in filters)
            message = f"Filters are not supported on media: {names}"
            raise FieldsValidationError([ValidationIssue(message, 0, 1, 1)])
        text = fields if fields is not None and fields.strip() else ",".join(root.defaults)
        plan = compile(SCHEMA, root, text, filters=dict(filters) or None, limits=self.limits)
        row = self._root(node_type_, node_id)
        return execute(plan, row, context=self._context)

    def is_updating(self, kind: str, key: str) -> bool:
        """Whether a load of ``kind``/``key`` (user and tag keys in lower case) is running."""
        return (kind, key) in self._inflight

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no load is running (tests, demos); ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                running = list(self._inflight.values())
            if not running:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            wait_futures(running, timeout=left)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    # -- the root node and its freshness -------------------------------------------------

    def _lookup(self, kind: str, node_id: str) -> tuple[str, Row | None]:
        """The load key of a path segment and its stored row; NodeNotFound if the segment
        cannot name a node of that kind."""
        if kind == "media":
            if _MEDIA_ID.match(node_id):
                key = str(int(node_id))
                return key, self.store.get_media(key)
            if is_shortcode(node_id):
                row = self.store.get_media_by_shortcode(node_id)
                if row is not None:
                    return row["id"], row
                media_id = shortcode_to_id(node_id)
                if media_id < 2**64:  # the largest media ID a dataset accepts
                    key = str(media_id)
                    return key, self.store.get_media(key)
        elif kind == "user":
            if USERNAME.match(node_id):
                key = node_id.lower()
                return key, self.store.get_user(key)
        else:
            tag = tag_key(node_id)  # the dataset validator's own normalisation
            if tag is not None:
                return tag, self.store.get_tag(tag)
        raise NodeNotFound(node_id)

    def _root(self, kind: str, node_id: str) -> Row:
        key, row = self._lookup(kind, node_id)
        if row is not None:
            if self.loader is not None and self._stale(kind, row):
                self._start(kind, key)
            return row
        if self.loader is None:
            raise NodeNotFound(node_id)
        if self.is_updating(kind, key):
            raise NodeLoading(node_id)
        since = self.store.missing_since(kind, key)
        if since is not None and self.clock() - since < self.freshness.negative_ttl:
            raise NodeNotFound(node_id)
        self._start(kind, key)
        raise NodeLoading(node_id)

    def _stale(self, kind: str, row: Row) -> bool:
        state = row.get("complete", 1)
        if state == PINNED:
            return False
        if state == PARTIAL:
            return True
        now = self.clock()
        age = now - (row.get("last_update") or 0)
        f = self.freshness
        if kind == "media":
            return now - (row.get("timestamp") or 0) <= f.post_max_age and age >= f.post_ttl
        return age >= (f.profile_ttl if kind == "user" else f.tag_ttl)

    # -- background loads -----------------------------------------------------------------

    def _start(self, kind: str, key: str) -> None:
        """Start loading ``kind``/``key`` unless a load of it is running (single flight)."""
        assert self._pool is not None
        with self._lock:
            if (kind, key) not in self._inflight:
                self._inflight[(kind, key)] = self._pool.submit(self._load, kind, key)

    def _load(self, kind: str, key: str) -> None:
        try:
            result = self._call_loader(kind, key)
            if result is None:
                self.store.mark_missing(kind, key, self.clock())
            else:
                self.store.write(self._batch(kind, key, result))
        except Exception:
            log.exception("loading %s %r failed; the store is unchanged", kind, key)
        finally:
            with self._lock:
                self._inflight.pop((kind, key), None)

    def _call_loader(self, kind: str, key: str) -> LoadResult | None:
        assert self.loader is not None
        f = self.freshness
        if kind == "media":
            return self.loader.load_media(key, max_comments=f.max_comments)
        if kind == "user":
            return self.loader.load_user(key, max_media=f.max_user_media)
        return self.loader.load_tag(key, max_media=f.max_tag_media)

    def _batch(self, kind: str, key: str, result: LoadResult) -> Batch:
        """Validate a loader's result, enforce the plan limits, mark what is partial."""
        batch = parse_dataset(dict(result), now=int(self.clock()))
        f = self.freshness
        kept: dict[str, int] = {}
        comments = []
        for c in batch.comments:
            n = kept.get(c["parent_id"], 0)
            if n < f.max_comments:
                comments.append(c)
                kept[c["parent_id"]] = n + 1
        batch.comments = comments
        root: str | None = None
        if kind == "media":
            root = next((m["id"] for m in batch.media if m["id"] == key), None)
        elif kind == "user":
            root = next((u["id"] for u in batch.users if u["username"].lower() == key), None)
            if root is not None:
                own = sorted(
                    (m for m in batch.media if m["owner_id"] == root),
                    key=lambda m: (m["timestamp"], m["id"]),
                    reverse=True,
                )
                dropped = {m["id"] for m in own[f.max_user_media :]}
                batch.media = [m for m in batch.media if m["id"] not in dropped]
                # What hangs off a dropped post goes with it: a dangling comment or feed
                # entry would fail the whole write, and the user would be "loading" forever.
                batch.comments = [c for c in batch.comments if c["parent_id"] not in dropped]
                for t in batch.tags:
                    if t.get("media_ids") is not None:
                        t["media_ids"] = [i for i in t["media_ids"] if i not in dropped]
        else:
            for t in batch.tags:
                if t.get("media_ids") is not None:
                    t["media_ids"] = t["media_ids"][: f.max_tag_media]
            root = next((t["id"] for t in batch.tags if t["id"] == key), None)
        if root is None:
            raise DatasetError(f"the loader's result for {kind} {key!r} does not contain it")
        # Only the node asked for is a full load; everything around it is partial.
        batch.partial = {("user", u["id"]) for u in batch.users} | {
            ("media", m["id"]) for m in batch.media
        }
        batch.partial.discard(("user" if kind == "user" else "media", root))
        return batch


def create_service(
    *,
    db: str | Path | None = None,
    store: Store | None = None,
    db_path: str | Path | None = None,
    data_file: str | Path | None = None,
    loader: Loader | None = None,
    demo: bool = False,
    clock: Callable[[], float] = time.time,
    limits: Limits | None = None,
    workers: int = 4,
    demo_delay: float | None = None,
    **freshness: Any,
) -> InstagramService:
    """A service over the store ``db`` names (:func:`~graphfields.instagram.store.open_store`:
    a SQLite file, created if absent, or a ``postgresql://`` URL), or over ``store``, an
    open :class:`Store` the service then owns. ``db_path`` is the older name of ``db``.

    ``data_file``: a JSON dataset imported first (atomically; a bad file raises
    :class:`~graphfields.instagram.dataset.DatasetError` and nothing is written).
    ``demo``: use the deterministic synthetic loader (unless ``loader`` is given) and
    import the spec's fixture, pinned, so the spec's examples answer exactly at once.
    ``demo_delay``: the synthetic loader's simulated latency in seconds.
    ``**freshness``: any :class:`Freshness` field (``post_ttl=600``, ``max_comments=50``...).
    Raises :class:`~graphfields.instagram.store.StoreError` if the database cannot be opened.
    """
    names = {f.name for f in fields(Freshness)}
    unknown = sorted(set(freshness) - names)
    if unknown:
        raise TypeError(f"unknown freshness settings: {', '.join(unknown)}")
    settings = replace(Freshness(), **freshness)
    given = [x for x in (db, store, db_path) if x is not None]
    if len(given) != 1:
        raise TypeError("create_service takes exactly one of db=, store= or db_path=")
    if demo and loader is None:
        from graphfields.instagram.synthetic import SyntheticLoader

        loader = SyntheticLoader() if demo_delay is None else SyntheticLoader(delay=demo_delay)
    if store is None:
        target = db if db is not None else db_path
        assert target is not None
        store = open_store(target)
    try:
        if demo:
            import_dataset(store, SPEC_DATASET, now=clock(), pinned=True)
        if data_file is not None:
            import_dataset(store, data_file, now=clock())
    except BaseException:
        store.close()
        raise
    return InstagramService(
        store, loader=loader, clock=clock, freshness=settings, limits=limits, workers=workers
    )
