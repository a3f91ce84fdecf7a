"""Loads as jobs: the queue every server process and load worker shares.

A request for a missing or stale node *enqueues* a job for it; load workers (threads
inside ``graphfields serve``, or ``graphfields worker`` processes on any machine) *claim*
jobs, run the loader and write the result. The queue lives in the store's own database
(SQLite: a ``jobs`` table in the same file; PostgreSQL: the same database, claimed with
``FOR UPDATE SKIP LOCKED``), so that:

- there is at most one job per node (the table's key is ``(kind, key)``), whichever
  process the requests reach: strict single-flight;
- ``is_being_updated`` is "a job for this node exists", which every process sees;
- a claim is a *lease*: a worker killed mid-load stops renewing it, and once it expires
  another worker takes the job again (loads are upserts, so redoing one is harmless);
- each client (access token) has a bounded share of pending jobs: beyond ``limit``, a
  request is answered 202 without enqueueing, so a flood of unknown names from one client
  cannot starve the others' loads nor grow the database.

:class:`MemoryJobs` is the same queue in one process's memory, for a third-party
:class:`~graphfields.instagram.store.Store` that has no job table.
"""

from __future__ import annotations

import enum
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["JOBS_TABLE", "Enqueued", "Job", "JobQueue", "MemoryJobs", "new_claim"]

JOBS_TABLE = (
    "CREATE TABLE IF NOT EXISTS jobs (kind TEXT NOT NULL, key TEXT NOT NULL, client TEXT,"
    " enqueued_at DOUBLE PRECISION NOT NULL, lease_until DOUBLE PRECISION, claim TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, key))")
"""The job table of the SQL stores (one row per node being loaded)."""


class Enqueued(enum.Enum):
    """What :meth:`JobQueue.enqueue` did."""

    ADDED = "added"
    """A new pending job."""
    PENDING = "pending"
    """A job for the node was already queued or running (nothing added)."""
    FULL = "full"
    """The client already has ``limit`` pending jobs (nothing added)."""


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: ``claim`` identifies this claim (a retaken job gets a new one, so a
    worker whose lease expired can no longer finish or renew it); ``attempts`` counts the
    claims so far, this one included."""

    kind: str
    key: str
    claim: str
    attempts: int


def new_claim() -> str:
    return uuid.uuid4().hex


@runtime_checkable
class JobQueue(Protocol):
    """The job table (see the module docstring). Times are UNIX seconds (``time.time()``:
    leases are compared across processes and machines)."""

    def enqueue(self, kind: str, key: str, *, client: str | None, now: float,
                limit: int | None) -> Enqueued: ...

    def claim(self, *, now: float, lease: float) -> Job | None:
        """The oldest job nobody holds (never claimed, or its lease expired), now leased
        until ``now + lease``; ``None`` if there is none."""
        ...

    def renew(self, job: Job, *, now: float, lease: float) -> bool:
        """Extend the lease; ``False`` if the job is no longer this claim's."""
        ...

    def finish(self, job: Job) -> None:
        """Remove the job (if it is still this claim's)."""
        ...

    def pending(self, kind: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` (of ``kind``) have a job, queued or running."""
        ...

    def job_count(self) -> int:
        """How many jobs are queued or running."""
        ...


@dataclass(slots=True)
class _Entry:
    client: str | None
    enqueued_at: float
    lease_until: float | None = None
    claim: str | None = None
    attempts: int = 0


class MemoryJobs:
    """A :class:`JobQueue` in this process's memory (a third-party store without a job
    table): single-flight within the process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], _Entry] = {}

    def enqueue(self, kind: str, key: str, *, client: str | None, now: float,
                limit: int | None) -> Enqueued:
        with self._lock:
            if (kind, key) in self._jobs:
                return Enqueued.PENDING
            if limit is not None and client is not None and sum(
                    1 for j in self._jobs.values() if j.client == client) >= limit:
                return Enqueued.FULL
            self._jobs[(kind, key)] = _Entry(client, now)
            return Enqueued.ADDED

    def claim(self, *, now: float, lease: float) -> Job | None:
        with self._lock:
            free = [(j.enqueued_at, k) for k, j in self._jobs.items()
                    if j.lease_until is None or j.lease_until < now]
            if not free:
                return None
            _, (kind, key) = min(free)
            entry = self._jobs[(kind, key)]
            entry.lease_until, entry.claim = now + lease, new_claim()
            entry.attempts += 1
            return Job(kind, key, entry.claim, entry.attempts)

    def renew(self, job: Job, *, now: float, lease: float) -> bool:
        with self._lock:
            held = self._jobs.get((job.kind, job.key))
            if held is None or held.claim != job.claim:
                return False
            held.lease_until = now + lease
            return True

    def finish(self, job: Job) -> None:
        with self._lock:
            held = self._jobs.get((job.kind, job.key))
            if held is not None and held.claim == job.claim:
                del self._jobs[(job.kind, job.key)]

    def pending(self, kind: str, keys: Iterable[str]) -> set[str]:
        with self._lock:
            return {k for k in keys if (kind, k) in self._jobs}

    def job_count(self) -> int:
        with self._lock:
            return len(self._jobs)


def wall_clock() -> float:
    """The clock of leases and queue order (shared by every process)."""
    return time.time()
