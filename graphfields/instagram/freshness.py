"""Freshness (spec section 2): when a stored node is due for a load, and the load limits.

Kept apart from the request path (:mod:`.service`) and the loads (:mod:`.worker`), which
both read it: a request enqueues a load of a stale node, and a worker checks again, when
it takes the job, that the node still is (another worker may have loaded it meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from graphfields.instagram.store import COMPLETE, PARTIAL, PINNED, Row, Store

__all__ = ["Freshness", "stored"]


@dataclass(frozen=True, slots=True)
class Freshness:
    """The plan's freshness rules and load limits (spec section 2), in seconds and counts.

    A post is refreshed when its last update is ``post_ttl`` old, unless the post itself
    is older than ``post_max_age``; a profile after ``profile_ttl``; a tag after
    ``tag_ttl``. Nodes stored only partially (a post seen in a feed, a commenter) are
    always due for a full load.

    Loads: ``max_client_jobs`` pending jobs per client (access token) at most (beyond it
    a request is answered 202 without enqueueing); a worker holds a job for
    ``load_lease`` seconds, renewed while it runs (a killed worker's job is taken again
    once it lapses); a load is written ``load_step`` posts (or posts' comments) per
    transaction.
    """

    post_ttl: float = 2 * 3600
    profile_ttl: float = 24 * 3600
    tag_ttl: float = 2 * 3600
    post_max_age: float = 7 * 24 * 3600
    negative_ttl: float = 3600
    max_tag_media: int = 100
    max_comments: int = 250
    max_user_media: int = 100
    max_client_jobs: int = 20
    load_lease: float = 30.0
    load_step: int = 20

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
        if self.load_step < 1 or not self.load_lease > 0:
            raise ValueError("load_step must be at least 1 and load_lease positive")

    def stale(self, kind: str, row: Row, now: float) -> bool:
        """Whether a stored ``media``/``user``/``tag`` row is due for a load."""
        state = row.get("complete", COMPLETE)
        if state == PINNED:
            return False
        if state == PARTIAL:
            return True
        age = now - (row.get("last_update") or 0)
        if kind == "media":
            return now - (row.get("timestamp") or 0) <= self.post_max_age and age >= self.post_ttl
        return age >= (self.profile_ttl if kind == "user" else self.tag_ttl)


def stored(store: Store, kind: str, key: str) -> Row | None:
    """The stored row of a load key (a media ID, or a lower-case username or tag)."""
    if kind == "media":
        return store.get_media(key)
    if kind == "user":
        return store.get_user(key)
    return store.get_tag(key)
