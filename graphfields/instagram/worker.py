"""Load workers: claim a job, run the loader, write the node in consistent steps.

A :class:`Worker` runs the jobs of a :class:`~graphfields.instagram.jobs.JobQueue` (a
thread inside ``graphfields serve``, or the ``graphfields worker`` process). For each
job it claims:

1. it checks the node again (:meth:`Freshness.stale`): if another worker loaded it
   since the job was queued, or the source said recently that it does not exist, the
   job is done without calling the loader - so a node is loaded once however many
   requests, processes and workers asked for it;
2. it calls the :class:`~graphfields.instagram.loader.Loader`, validates the result like
   a dataset file and trims it to the plan's limits (:func:`trim`);
3. it writes it in steps (:func:`steps`), each one transaction: the profile, tag or
   post first, then pages of posts, then their comments. A request during the load sees
   the old data plus what has arrived, never a half-written record, and
   ``is_being_updated`` stays true (the job exists) until the last step;
4. it removes the job. The lease is renewed while the load runs; a worker killed
   mid-load leaves whole steps behind, and its job is claimed again once the lease
   lapses (steps are upserts: redoing them is harmless). The node itself is written
   partial until the last step, so a load that stops early (a worker killed, a step
   that fails) leaves it due for a load: the job's next claim, or the next request,
   loads it again.

A loader that raises or returns malformed data is logged and its job dropped (the next
request for the node queues it again; a failed step likewise); a job claimed
``max_attempts`` times without finishing (its workers keep dying) is dropped too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from graphfields.instagram.dataset import Batch, DatasetError, parse_dataset
from graphfields.instagram.freshness import Freshness, stored
from graphfields.instagram.jobs import Job, JobQueue, wall_clock
from graphfields.instagram.loader import Loader, LoadResult
from graphfields.instagram.store import Row, Store

__all__ = ["Worker", "steps", "trim"]

log = logging.getLogger("graphfields.instagram")


def trim(kind: str, key: str, result: LoadResult, freshness: Freshness,
         now: float) -> tuple[Batch, str]:
    """A loader's result validated (:class:`DatasetError`), held to the plan's limits,
    with everything but the node asked for marked partial and the feeds of other tags
    marked views (``Batch.views``); and the node's ID."""
    batch = parse_dataset(dict(result), now=int(now))
    f = freshness
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
            own = sorted((m for m in batch.media if m["owner_id"] == root),
                         key=lambda m: (m["timestamp"], m["id"]), reverse=True)
            dropped = {m["id"] for m in own[f.max_user_media:]}
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
    # Another tag's media_ids are a view of its feed (the posts of this load it holds), not
    # the feed: they make a feed the tag has not got, and leave a stored one (replacing a
    # feed of thousands by a few posts) as it is.
    batch.views = {t["id"] for t in batch.tags
                   if t.get("media_ids") is not None and (kind != "tag" or t["id"] != root)}
    # Only the node asked for is a full load; everything around it is partial (a tag
    # a user's load mentions too: written complete, it would look fresh for a TTL).
    batch.partial = ({("user", u["id"]) for u in batch.users}
                     | {("media", m["id"]) for m in batch.media}
                     | {("tag", t["id"]) for t in batch.tags})
    batch.partial.discard((kind, root))
    return batch, root


def steps(kind: str, root: str, batch: Batch, size: int) -> list[Batch]:
    """``batch`` as consistent steps, written in order: the node itself (with a post's
    owner and location; a tag without its feed), then its posts ``size`` at a time (a
    tag's feed growing with them), then their comments, ``size`` posts' at a time (one
    post's comments are never split: a step replaces them), and last whatever is left.
    Every step carries the users and locations its records reference; each record is
    written once, except the node: until the last step it is written as partial (its
    fields, never its ``last_update``), and the last step writes it whole. So a load that
    stops early (a step fails, the worker dies) leaves the node due for a load, and the
    next request or the job's next claim loads it again."""
    users = {u["id"]: u for u in batch.users}
    locations = {loc["id"]: loc for loc in batch.locations}
    media = {m["id"]: m for m in batch.media}
    done: set[tuple[str, str]] = set()
    out: list[Batch] = []

    def take(table: str, pool: dict[str, Row], ids: Iterable[str | None]) -> list[Row]:
        got = []
        for i in ids:
            if i is not None and i in pool and (table, i) not in done:
                done.add((table, i))
                got.append(pool[i])
        return got

    early = batch.partial | {(kind, root)}  # the node is partial until the last step

    def emit(**parts: list[Row]) -> None:
        if any(parts.values()):
            out.append(Batch(**parts, partial=early, views=batch.views, pinned=batch.pinned))

    def with_refs(posts: list[Row]) -> dict[str, list[Row]]:
        return {"users": take("users", users, (m.get("owner_id") for m in posts)),
                "locations": take("locations", locations, (m.get("location_id") for m in posts)),
                "media": take("media", media, (m["id"] for m in posts))}

    tags = {t["id"]: t for t in batch.tags}
    feed: list[str] = []
    if kind == "user":
        emit(users=take("users", users, [root]))
    elif kind == "media":
        emit(**with_refs([media[root]]))
    else:
        tag = tags[root]
        emit(tags=[{k: v for k, v in tag.items() if k != "media_ids"}])
        feed = list(tag.get("media_ids") or [])
    # posts: a tag's in feed order, a user's newest first, then any others
    in_feed = [media[i] for i in feed if i in media]
    rest = sorted((m for m in batch.media if ("media", m["id"]) not in done),
                  key=lambda m: (m["timestamp"], m["id"]), reverse=True)
    order = list({m["id"]: m for m in [*in_feed, *rest]}.values())
    order = [m for m in order if ("media", m["id"]) not in done]
    for i in range(0, len(order), size):
        parts = with_refs(order[i:i + size])
        if kind == "tag":
            # the feed so far: up to the first entry of this load not written yet
            shown = next((n for n, m in enumerate(feed)
                          if m in media and ("media", m) not in done), len(feed))
            parts["tags"] = [{**tags[root], "media_ids": feed[:shown]}]
        emit(**parts)
    by_post: dict[str, list[Row]] = {}
    for c in batch.comments:
        by_post.setdefault(c["parent_id"], []).append(c)
    posts = list(by_post)
    for i in range(0, len(posts), size):
        chunk = [c for p in posts[i:i + size] for c in by_post[p]]
        emit(users=take("users", users, (c.get("owner_id") for c in chunk)), comments=chunk)
    emit(users=take("users", users, users), locations=take("locations", locations, locations),
         media=take("media", media, media), tags=list(tags.values()))
    # The last step writes the node whole (for a tag, the last step holds it already).
    last = out[-1]
    records = {"user": last.users, "media": last.media, "tag": last.tags}[kind]
    if not any(r["id"] == root for r in records):
        records.append({"user": users, "media": media, "tag": tags}[kind][root])
    last.partial = batch.partial
    return out


class _Lease:
    """Renews a job's lease every third of it while a load runs, from its own thread."""

    def __init__(self, jobs: JobQueue, job: Job, lease: float) -> None:
        self.jobs, self.job, self.lease = jobs, job, lease
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="graphfields-lease", daemon=True)

    def __enter__(self) -> _Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                if not self.jobs.renew(self.job, now=wall_clock(), lease=self.lease):
                    self.lost = True
                    return
            except Exception:  # the database is away for a moment: try again
                log.warning("renewing the lease of %s %r failed", self.job.kind, self.job.key,
                            exc_info=True)


class Worker:
    """Runs the jobs of ``jobs`` against ``store`` with ``loader`` (see the module
    docstring). ``clock`` is the freshness clock (tests set it); leases use the wall
    clock, which every process shares."""

    def __init__(self, store: Store, jobs: JobQueue, loader: Loader, *,
                 freshness: Freshness | None = None, clock: Callable[[], float] = wall_clock,
                 max_attempts: int = 3) -> None:
        self.store = store
        self.jobs = jobs
        self.loader = loader
        self.freshness = freshness or Freshness()
        self.clock = clock
        self.max_attempts = max_attempts

    def run(self, stop: threading.Event, wake: threading.Semaphore | None = None,
            poll: float = 0.1) -> None:
        """Run jobs until ``stop`` is set; when there is none, wait ``poll`` seconds (or
        until ``wake`` is released: a job was queued in this process)."""
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database is away: keep the worker alive
                log.exception("claiming a load job failed")
                ran = False
            if not ran:
                if wake is not None:
                    wake.acquire(timeout=poll)
                else:
                    stop.wait(poll)

    def run_once(self) -> bool:
        """Claim and run one job; ``False`` if there was none."""
        f = self.freshness
        job = self.jobs.claim(now=wall_clock(), lease=f.load_lease)
        if job is None:
            return False
        try:
            if job.attempts > self.max_attempts:
                log.error("dropping the load of %s %r: claimed %d times without finishing",
                          job.kind, job.key, job.attempts - 1)
            elif self._due(job.kind, job.key):
                with _Lease(self.jobs, job, f.load_lease) as lease:
                    self._load(job, lease)
        except Exception:
            log.exception("loading %s %r failed; the steps written stay, and the node stays "
                          "due for a load", job.kind, job.key)
        finally:
            self.jobs.finish(job)
        return True

    def _due(self, kind: str, key: str) -> bool:
        """Whether the node still needs this load (single flight across processes)."""
        row = stored(self.store, kind, key)
        if row is not None:
            return self.freshness.stale(kind, row, self.clock())
        since = self.store.missing_since(kind, key)
        return since is None or self.clock() - since >= self.freshness.negative_ttl

    def _call(self, kind: str, key: str) -> LoadResult | None:
        f = self.freshness
        if kind == "media":
            return self.loader.load_media(key, max_comments=f.max_comments)
        if kind == "user":
            return self.loader.load_user(key, max_media=f.max_user_media)
        return self.loader.load_tag(key, max_media=f.max_tag_media)

    def _load(self, job: Job, lease: _Lease) -> None:
        result = self._call(job.kind, job.key)
        if result is None:
            self.store.mark_missing(job.kind, job.key, self.clock())
            return
        batch, root = trim(job.kind, job.key, result, self.freshness, self.clock())
        for step in steps(job.kind, root, batch, self.freshness.load_step):
            if lease.lost:  # another worker holds the job now; it writes the rest
                log.warning("the lease of %s %r lapsed mid-load; stopping", job.kind, job.key)
                return
            self.store.write(step)
