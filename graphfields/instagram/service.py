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

import hashlib
import inspect
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from graphfields.compiler import Limits, compile
from graphfields.errors import FieldsValidationError, GraphFieldsError, ValidationIssue
from graphfields.execution import execute
from graphfields.instagram.dataset import (
    USERNAME,
    import_dataset,
    tag_key,
)
from graphfields.instagram.freshness import Freshness
from graphfields.instagram.jobs import Enqueued, JobQueue, MemoryJobs, wall_clock
from graphfields.instagram.loader import Loader
from graphfields.instagram.schema import (
    SCHEMA,
    Columns,
    Context,
    columns_of,
    never_updating,
    node_type,
)
from graphfields.instagram.shortcode import is_shortcode, shortcode_to_id
from graphfields.instagram.store import ImportLog, Row, Store, open_store
from graphfields.instagram.worker import Worker

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


class InstagramService:
    """Serves ``media``, ``user`` and ``tag`` nodes from a :class:`Store`.

    With a loader, missing and stale nodes become jobs in ``jobs`` (by default the
    store's own job table, :mod:`graphfields.instagram.jobs`; a store without one gets an
    in-memory queue), run by ``workers`` :class:`~graphfields.instagram.worker.Worker`
    threads owned by the service (0: none here - ``graphfields worker`` processes run
    them). :meth:`close` stops the threads (waiting for running loads) and closes the
    store.

    ``background_enqueue``: a request never writes. Queueing a load (the one write a
    request can cause: a job row) is handed to a thread of the service, and the request
    answers at once (202 for a missing node, the stored data for a stale one). For a
    server that answers on its event loop (``graphfields serve`` on SQLite), where a write
    waiting for another process's transaction would hold every connection.
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
        jobs: JobQueue | None = None,
        background_enqueue: bool = False,
    ) -> None:
        self.store = store
        self.loader = loader
        self.clock = clock
        self.freshness = freshness or Freshness()
        self.limits = limits
        self.jobs: JobQueue = jobs if jobs is not None else (
            store if isinstance(store, JobQueue) else MemoryJobs())
        self._stop = threading.Event()
        self._wake = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self.background_enqueue = background_enqueue
        self._asked: queue.SimpleQueue[tuple[str, str, str | None] | None] = queue.SimpleQueue()
        self._asking: set[tuple[str, str]] = set()  # asked for, not yet written to the queue
        self._asking_lock = threading.Lock()
        self._enqueuer: threading.Thread | None = None
        if background_enqueue and loader is not None:
            self._enqueuer = threading.Thread(target=self._enqueue_asked,
                                              name="graphfields-enqueue", daemon=True)
            self._enqueuer.start()
        if loader is not None:
            worker = Worker(store, self.jobs, loader, freshness=self.freshness, clock=clock)
            for n in range(workers):
                thread = threading.Thread(target=worker.run, args=(self._stop, self._wake),
                                          name=f"graphfields-load-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._updating = self.updating if loader is not None else never_updating
        self._context = Context(store, self._updating)
        self._projects = _takes_columns(store)
        self._columns: dict[Any, tuple[Context, Columns]] = {}  # per shape (bounded)

    # -- requests ---------------------------------------------------------------------

    def fetch(
        self, node_type_: str, node_id: str, fields: str | None, filters: Mapping[str, str],
        *, client: str | None = None,
    ) -> dict[str, Any]:
        """The ``data`` of a response (see the module docstring). ``client`` (the access
        token) is whose share of the job queue a load request counts against.

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
        if not self._projects:
            return execute(plan, self._root(node_type_, node_id, client, None),
                           context=self._context)
        shape = plan.shape
        found = self._columns.get(shape)
        if found is None:
            found = self._project(shape, plan.selection, root.name)
        context, cols = found
        row = self._root(node_type_, node_id, client, cols[root.name])
        return execute(plan, row, context=context)

    def _project(self, shape: Any, selection: Any, root: str) -> tuple[Context, Columns]:
        """The context of a shape's requests: the columns each type's reads select (the
        root's plus what the freshness rules read). Cached per shape, a bounded number."""
        cols = dict(columns_of(selection))
        keep = ("complete", "last_update", "timestamp") if root == "Media" else (
            "complete", "last_update")
        cols[root] = tuple(sorted({*cols.get(root, ()), *keep}))
        found = (Context(self.store, self._updating, cols), cols)
        if len(self._columns) >= _SHAPES:
            self._columns.pop(next(iter(self._columns), None), None)
        self._columns[shape] = found
        return found

    def is_updating(self, kind: str, key: str) -> bool:
        """Whether a load of ``kind``/``key`` (user and tag keys in lower case) is queued
        or running, in any process sharing the store."""
        return bool(self.jobs.pending(kind, [key]))

    def updating(self, kind: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are being loaded (one query for a whole page of nodes; none
        without a loader: nothing is ever loaded then)."""
        return self.jobs.pending(kind, keys) if self.loader is not None else set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no load is asked for, queued or running (tests, demos); ``False`` on
        timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._asking or self.jobs.job_count():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        if self._enqueuer is not None:  # the loads asked for are queued first
            self._asked.put(None)
            self._enqueuer.join()
        self._stop.set()
        for _ in self._threads:
            self._wake.release()
        for thread in self._threads:
            thread.join()
        self.store.close()

    # -- the root node and its freshness -------------------------------------------------

    def _lookup(self, kind: str, node_id: str,
                columns: tuple[str, ...] | None) -> tuple[str, Row | None]:
        """The load key of a path segment and its stored row (``columns``: what to
        select, ``None``: the whole row); NodeNotFound if the segment cannot name a node
        of that kind."""
        sel: dict[str, Any] = {} if columns is None else {"columns": columns}
        if kind == "media":
            if _MEDIA_ID.match(node_id):
                key = str(int(node_id))
                return key, self.store.get_media(key, **sel)
            if is_shortcode(node_id):
                row = self.store.get_media_by_shortcode(node_id, **sel)
                if row is not None:
                    return row["id"], row
                media_id = shortcode_to_id(node_id)
                if media_id < 2**64:  # the largest media ID a dataset accepts
                    key = str(media_id)
                    return key, self.store.get_media(key, **sel)
        elif kind == "user":
            if USERNAME.match(node_id):
                key = node_id.lower()
                return key, self.store.get_user(key, **sel)
        else:
            tag = tag_key(node_id)  # the dataset validator's own normalisation
            if tag is not None:
                return tag, self.store.get_tag(tag, **sel)
        raise NodeNotFound(node_id)

    def _root(self, kind: str, node_id: str, client: str | None,
              columns: tuple[str, ...] | None) -> Row:
        key, row = self._lookup(kind, node_id, columns)
        if row is not None:
            if self.loader is not None and self.freshness.stale(kind, row, self.clock()):
                self._enqueue(kind, key, client)
            return row
        if self.loader is None:
            raise NodeNotFound(node_id)
        since = self.store.missing_since(kind, key)
        if since is not None and self.clock() - since < self.freshness.negative_ttl:
            raise NodeNotFound(node_id)
        self._enqueue(kind, key, client)
        raise NodeLoading(node_id)

    def _enqueue(self, kind: str, key: str, client: str | None) -> None:
        """Queue a load of ``kind``/``key`` unless one is queued or running (single
        flight) or the client's share of the queue is full (then nothing is queued: the
        request still answers 202, and the client may ask again later). With
        ``background_enqueue``, hand it to the service's enqueue thread (a node already
        handed over and not yet queued is not handed again)."""
        if self._enqueuer is None:
            self._write_job(kind, key, client)
            return
        with self._asking_lock:
            if (kind, key) in self._asking:
                return
            self._asking.add((kind, key))
        self._asked.put((kind, key, client))

    def _write_job(self, kind: str, key: str, client: str | None) -> None:
        done = self.jobs.enqueue(kind, key, client=client, now=wall_clock(),
                                 limit=self.freshness.max_client_jobs)
        if done is Enqueued.ADDED and self._threads:
            self._wake.release()

    def _enqueue_asked(self) -> None:
        """The enqueue thread: write the jobs requests asked for, in order, until close."""
        while (asked := self._asked.get()) is not None:
            kind, key, client = asked
            try:
                self._write_job(kind, key, client)
            except Exception:  # the database is away for a moment: a later request asks again
                log.exception("queueing the load of %s %r failed", kind, key)
            finally:
                with self._asking_lock:
                    self._asking.discard((kind, key))


_SHAPES = 512
"""Shapes whose columns a service keeps (the compiler's own cache bounds the rest)."""

_READS = ("get_user", "get_media", "get_media_by_shortcode", "get_tag", "users_by_ids",
          "locations_by_ids", "user_media_page", "tag_media_page", "media_comments_pages")


def _takes_columns(store: Store) -> bool:
    """Whether every read of ``store`` takes ``columns=`` (both SQL stores do); a store
    of one's own (or a wrapper) without it gets whole-row reads, as before."""
    try:
        return all("columns" in inspect.signature(getattr(store, name)).parameters
                   for name in _READS)
    except (AttributeError, TypeError, ValueError):
        return False


def _import_once(store: Store, data_file: str | Path, now: float) -> None:
    """Import a dataset file unless this store has imported the very same bytes before
    (a 43 MB file took 8.8 s on every start); a changed file is imported again."""
    try:
        digest = hashlib.sha256(Path(data_file).read_bytes()).hexdigest()
    except OSError:
        digest = None  # import_dataset says what is wrong with the path
    log_ = store if isinstance(store, ImportLog) else None
    if digest is not None and log_ is not None and log_.imported(digest):
        log.info("%s is imported already (unchanged); skipped", data_file)
        return
    import_dataset(store, data_file, now=now)
    if digest is not None and log_ is not None:
        log_.record_import(digest, now)


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
    background_enqueue: bool = False,
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
    ``background_enqueue``: requests never write (:class:`InstagramService`).
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
            _import_once(store, data_file, clock())
    except BaseException:
        store.close()
        raise
    return InstagramService(
        store, loader=loader, clock=clock, freshness=settings, limits=limits, workers=workers,
        background_enqueue=background_enqueue,
    )
