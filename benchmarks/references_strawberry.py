"""Strawberry (strawberry-graphql) over :class:`benchmarks.data.Tables`, with DataLoaders.

The reference of ``bench_async``: the spec's types as Strawberry types over the same
plain dicts (``default_resolver=operator.getitem``, snake_case names as declared, so the
output equals graphfields' without renaming). Owners, locations and comment pages are
loaded through DataLoaders made per request (one batch per tick, as in the Strawberry
docs), each load function awaiting ``asyncio.sleep(0)`` like the graphfields async batch
resolvers. Connections are ``{edges{node}}`` sliced by ``first`` (what the long request
uses). Parse and validation results are cached (Strawberry's ``ParserCache`` and
``ValidationCache`` extensions), so a request costs execution only.

Strawberry needs graphql-core 3.3 (the project pins 3.2): ``make bench-env`` installs it in
``.venv/strawberry``, where ``bench_async`` runs when the project's virtualenv lacks it.
Only ``bench_async`` imports this module.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import operator
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from benchmarks.data import Row, Tables

__all__ = ["VERSION", "request"]

VERSION: str = importlib.metadata.version("strawberry-graphql")


@dataclass
class Loaders:
    """One request's DataLoaders (their caches live as long as the request)."""

    owners: DataLoader[str, Row]
    locations: DataLoader[str, Row]
    comments: DataLoader[str, list[Row]]


def _loaders(tables: Tables) -> Loaders:
    async def owners(ids: list[str]) -> list[Row]:
        await asyncio.sleep(0)
        return tables.owners_of(ids)

    async def locations(ids: list[str]) -> list[Row]:
        await asyncio.sleep(0)
        return tables.locations_of(ids)

    async def comments(media_ids: list[str]) -> list[list[Row]]:
        await asyncio.sleep(0)
        return tables.comments_of(media_ids)

    return Loaders(DataLoader(owners), DataLoader(locations), DataLoader(comments))


Info: TypeAlias = strawberry.Info[Loaders, Any]


@strawberry.type
class Owner:
    id: strawberry.ID
    username: str
    profile_pic_url: str
    type: str
    full_name: str


@strawberry.type
class Location:
    id: strawberry.ID
    name: str
    slug: str
    has_public_page: bool


async def _owner(root: Any, info: Info) -> Owner:
    return cast(Owner, await info.context.owners.load(root["owner_id"]))


async def _location(root: Any, info: Info) -> Location:
    return cast(Location, await info.context.locations.load(root["location_id"]))


@strawberry.type
class Comment:
    id: strawberry.ID
    parent_id: strawberry.ID
    created_time: dt.datetime
    timestamp: int
    text: str
    owner_id: strawberry.ID
    last_update: int
    is_being_updated: bool
    owner: Owner = strawberry.field(resolver=_owner)


@strawberry.type
class CommentEdge:
    node: Comment


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]


def _page(rows: list[Row], first: int | None) -> Any:
    return {"edges": [{"node": r} for r in rows[:first]]}


async def _comments(root: Any, info: Info, first: int | None = None) -> CommentConnection:
    rows = await info.context.comments.load(root["id"])
    return cast(CommentConnection, _page(rows, first))


@strawberry.type
class Media:
    id: strawberry.ID
    shortcode: str
    created_time: dt.datetime
    timestamp: int
    media_type: str
    media_url: str
    caption: list[str]
    tagged_user_media: list[str]
    tagged_user_text: list[str]
    tags: list[str]
    like_count: int
    comment_count: int
    video_view_count: int
    owner_id: strawberry.ID
    location_id: strawberry.ID
    last_update: int
    is_being_updated: bool
    location: Location = strawberry.field(resolver=_location)
    owner: Owner = strawberry.field(resolver=_owner)
    comments: CommentConnection = strawberry.field(resolver=_comments)


@strawberry.type
class MediaEdge:
    node: Media


@strawberry.type
class MediaConnection:
    edges: list[MediaEdge]


def _media(root: Any, first: int | None = None) -> MediaConnection:
    return cast(MediaConnection, _page(root["media"], first))


@strawberry.type
class User:
    id: strawberry.ID
    username: str
    full_name: str
    last_update: int
    is_being_updated: bool
    media: MediaConnection = strawberry.field(resolver=_media)


@strawberry.type
class Query:
    user: User


def request(tables: Tables, document: str) -> Callable[[], Coroutine[Any, Any, Any]]:
    """A coroutine function running ``document`` (on ``Query.user``, the user of
    ``tables``) with fresh DataLoaders: the ``user`` it returns, checked error-free."""
    schema = strawberry.Schema(
        query=Query,
        config=StrawberryConfig(auto_camel_case=False, default_resolver=operator.getitem),
        extensions=[lambda: ParserCache(maxsize=16), lambda: ValidationCache(maxsize=16)],
    )
    root = {"user": tables.root}

    async def run() -> Any:
        result = await schema.execute(document, root_value=root, context_value=_loaders(tables))
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data["user"]

    return run
