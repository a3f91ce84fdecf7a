"""The upstream data source a deployment plugs in: the :class:`Loader` interface.

A loader fetches one node (and what hangs off it) from wherever the data really lives
and returns it in the dataset format of :mod:`graphfields.instagram.dataset`, or
``None`` when the node does not exist upstream. The service calls it on a background
thread, validates the result like an imported file and writes it in one transaction, so
a loader that raises or returns malformed data changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeAlias

__all__ = ["LoadResult", "Loader"]

LoadResult: TypeAlias = Mapping[str, Any]
"""``{"users": [...], "locations": [...], "media": [...], "comments": [...], "tags": [...]}``"""


class Loader(Protocol):
    """Fetches nodes from the upstream source (Instagram, a crawler, a fixture...).

    Each method returns ``None`` if the node does not exist. Limits are the plan's
    (spec section 2); the service also enforces them on what comes back.
    """

    def load_media(self, media_id: str, *, max_comments: int) -> LoadResult | None:
        """The post (in ``media``), its owner and commenters (``users``), its location,
        and up to ``max_comments`` comments in display order."""
        ...

    def load_user(self, username: str, *, max_media: int) -> LoadResult | None:
        """The profile (in ``users``), its latest ``max_media`` posts with their
        locations (no comments needed)."""
        ...

    def load_tag(self, name: str, *, max_media: int) -> LoadResult | None:
        """The tag (in ``tags``, with ``media_ids`` newest first), its latest
        ``max_media`` posts, their owners and locations."""
        ...
