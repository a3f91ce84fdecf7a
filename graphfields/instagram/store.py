"""The narrow interface between the Instagram service and its storage.

The service, the schema's resolvers and the freshness logic only call these methods, so
another backend (PostgreSQL, say) drops in by implementing :class:`Store`; nothing in
graphfields' executor or in the service changes. Rows are plain dicts keyed by the API's
field names (lists already decoded, booleans as ``bool``), which the executor reads
directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeAlias, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from graphfields.errors import GraphFieldsError
from graphfields.instagram.dataset import Batch
from graphfields.relay import Page
from graphfields.schema import ConnectionArgs

__all__ = ["COMPLETE", "PARTIAL", "PINNED", "ImportLog", "Row", "Store", "StoreError", "describe",
           "is_postgres_url", "open_store"]

Row: TypeAlias = dict[str, Any]

PARTIAL, COMPLETE, PINNED = 0, 1, 2
"""Values of a user's or post's ``complete`` key: a partial record (a post's owner, a
feed's post) is due for a full load; a pinned one (imported with ``pinned=True``) is
never refreshed; tags are always complete."""


class StoreError(GraphFieldsError):
    """The database cannot be opened or used: a path that is a directory or not a
    database, a server that refuses the connection. The message says which database
    and why (never a password); backends raise it instead of their driver's errors."""


class Store(Protocol):
    """What the reference API needs from a database.

    Pages: ``args.since``/``args.until`` filter on the node's ``timestamp`` (inclusive);
    the ``first``/``last``/``after``/``before`` window applies to the filtered collection
    with :func:`graphfields.relay.window`'s rules, and both ``Page`` flags are exact.
    Users and tags are looked up case-insensitively. User, media and tag rows also
    carry ``complete`` (:data:`PARTIAL`, :data:`COMPLETE` or :data:`PINNED`), which the
    freshness rules read; it is not part of the API's schema.

    Projections: every read takes ``columns`` (keyword), the stored columns the caller
    will read (``complete`` included); the rows then carry those (plus the row's ``id``,
    and a comment's ``parent_id``) and nothing else. ``None`` (the default): whole rows.
    The service passes it when every read of a store takes it, so a store of one's own
    may leave it out and gets whole-row reads.
    """

    def get_user(self, username: str, *, columns: Sequence[str] | None = None
                 ) -> Row | None: ...

    def get_media(self, media_id: str, *, columns: Sequence[str] | None = None
                  ) -> Row | None: ...

    def get_media_by_shortcode(self, shortcode: str, *, columns: Sequence[str] | None = None
                               ) -> Row | None: ...

    def get_tag(self, name: str, *, columns: Sequence[str] | None = None) -> Row | None: ...

    def users_by_ids(self, ids: Iterable[str], *, columns: Sequence[str] | None = None
                     ) -> Mapping[str, Row]:
        """User rows by ID (the schema's owners) in one query."""
        ...

    def locations_by_ids(self, ids: Iterable[str], *, columns: Sequence[str] | None = None
                         ) -> Mapping[str, Row]: ...

    def user_media_page(self, owner_id: str, args: ConnectionArgs, *,
                        columns: Sequence[str] | None = None) -> Page:
        """A user's posts, newest first (``timestamp`` then ``id`` descending)."""
        ...

    def tag_media_page(self, tag: str, args: ConnectionArgs, *,
                       columns: Sequence[str] | None = None) -> Page:
        """A tag's feed in its stored order."""
        ...

    def media_comments_page(self, media_id: str, args: ConnectionArgs, *,
                            columns: Sequence[str] | None = None) -> Page:
        """A post's comments in their stored order."""
        ...

    def media_comments_pages(self, media_ids: Sequence[str], args: ConnectionArgs, *,
                             columns: Sequence[str] | None = None) -> list[Page]:
        """The comment pages of many posts at once: one page per ID, in order (an ID
        given twice gets the same page), each equal to ``media_comments_page(id, args)``.
        The schema's ``Media.comments`` batch resolver calls it once for all the posts of
        a request's page, so a backend should answer it in one query, not one per post.
        """
        ...

    def write(self, batch: Batch) -> None:
        """Upsert every record of ``batch`` in one transaction: all or nothing.

        Raises :class:`graphfields.instagram.dataset.DatasetError` (naming the record)
        if a reference (owner, location, parent, feed entry) is neither in the batch nor
        stored. Comments given for a post replace its stored comments; ``media_ids``
        given for a tag replace its feed.
        """
        ...

    def mark_missing(self, kind: str, key: str, at: float) -> None:
        """Remember that the upstream source said ``kind``/``key`` does not exist."""
        ...

    def missing_since(self, kind: str, key: str) -> float | None:
        """When ``kind``/``key`` was last reported missing, or ``None``."""
        ...

    def close(self) -> None: ...


IMPORTS_TABLE = ("CREATE TABLE IF NOT EXISTS imports (digest TEXT PRIMARY KEY,"
                 " imported_at DOUBLE PRECISION NOT NULL)")


@runtime_checkable
class ImportLog(Protocol):
    """What a store remembers of the dataset files imported into it (both SQL stores keep
    it in a table), so that ``graphfields serve --data FILE`` skips a file it has imported
    unchanged before. A store without it re-imports the file on every start."""

    def imported(self, digest: str) -> bool: ...

    def record_import(self, digest: str, at: float) -> None: ...


_PG_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(db: str | Path) -> bool:
    """Whether ``db`` names a PostgreSQL database (``postgresql://...``) rather than a file."""
    return isinstance(db, str) and db.startswith(_PG_SCHEMES)


def describe(db: str | Path) -> str:
    """``db`` as it may be printed: a PostgreSQL URL's password masked."""
    if not is_postgres_url(db):
        return str(db)
    parts = urlsplit(str(db))
    if parts.password is None:
        return str(db)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def open_store(db: str | Path) -> Store:
    """The store ``db`` names: a ``postgresql://`` (or ``postgres://``) URL opens a
    :class:`~graphfields.instagram.postgres_store.PostgresStore` (the ``postgres`` extra),
    anything else is a SQLite file (its folder is created). Raises :class:`StoreError`
    if it cannot be opened."""
    if is_postgres_url(db):
        from graphfields.instagram.postgres_store import PostgresStore

        return PostgresStore(str(db))
    from graphfields.instagram.sqlite_store import SQLiteStore

    path = Path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot open the database {path}: {exc.strerror or exc}") from None
    return SQLiteStore(path)
