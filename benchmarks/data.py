"""Shared benchmark data: the spec's schema over plain dicts, and the spec's long request.

``user_dataset()`` builds one user with 100 media, each with an owner, a location and
20 comments with owners, as plain dicts (what a JSON or SQL row store hands over).
``user_tables()`` is the same data normalised: rows that name their owner, location and
media by id, and the tables a batch loader reads them from.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    Datetime,
    Int,
    ListOf,
    ObjectType,
    Schema,
    String,
)

__all__ = ["LONG_REQUEST", "SCHEMA", "Row", "Tables", "spec_request", "user_dataset", "user_tables"]

FRESHNESS = ("timestamp", "last_update", "is_being_updated")

Location = ObjectType(
    "Location", {"id": ID, "name": String, "slug": String, "has_public_page": Boolean}
)
Owner = ObjectType(
    "Owner",
    {"id": ID, "username": String, "profile_pic_url": String, "type": String, "full_name": String},
)
Comment = ObjectType(
    "Comment",
    {
        "id": ID, "parent_id": ID, "created_time": Datetime, "timestamp": Int, "text": String,
        "owner_id": ID, "last_update": Int, "is_being_updated": Boolean, "owner": Owner,
    },
)  # fmt: skip
Media = ObjectType(
    "Media",
    {
        "id": ID, "shortcode": String, "created_time": Datetime, "timestamp": Int,
        "media_type": String, "media_url": String, "caption": ListOf(String),
        "tagged_user_media": ListOf(String), "tagged_user_text": ListOf(String),
        "tags": ListOf(String), "like_count": Int, "comment_count": Int,
        "video_view_count": Int, "owner_id": ID, "location_id": ID, "last_update": Int,
        "is_being_updated": Boolean, "location": Location, "owner": Owner,
        "comments": Connection(
            Comment, max_first=100, order_by="timestamp", timestamp_field="timestamp",
            always=FRESHNESS,
        ),
    },
)  # fmt: skip
User = ObjectType(
    "User",
    {
        "id": ID, "username": String, "profile_pic_url": String, "type": String,
        "full_name": String, "biography": String, "external_url": String,
        "connected_fb_page": String, "is_private": Boolean, "is_verified": Boolean,
        "follower_count": Int, "follow_count": Int, "media_count": Int,
        "saved_media_count": Int, "collection_count": Int, "last_update": Int,
        "is_being_updated": Boolean,
        "media": Connection(
            Media, max_first=100, order_by="timestamp", timestamp_field="timestamp",
            always=FRESHNESS,
        ),
    },
)  # fmt: skip
SCHEMA = Schema([User, Media, Comment, Owner, Location])


def spec_request(media_first: int = 100, comments_first: int = 20) -> str:
    """The long user request of the spec (section 3), with the given page sizes."""
    return (
        f"id,username,media.first({media_first}){{edges{{node{{shortcode,created_time,"
        "timestamp,media_type,media_url,caption,tagged_user_media,tagged_user_text,tags,"
        "like_count,comment_count,video_view_count,location{id,name,slug,has_public_page},"
        "owner{id,username,full_name,profile_pic_url},"
        f"comments.first({comments_first}){{edges{{node{{id,parent_id,created_time,timestamp,"
        "text,owner{id,username,full_name,profile_pic_url}}}}}}}"
    )


LONG_REQUEST = spec_request()

BASE_TS = 1_560_426_817


def _owner(i: int) -> dict[str, Any]:
    return {
        "id": str(3_008_836_221 + i),
        "username": f"user_{i}",
        "profile_pic_url": f"https://cdn.example/p/{i}.jpg",
        "type": "user",
        "full_name": f"User Number {i}",
    }


def user_dataset(n_media: int = 100, n_comments: int = 20) -> dict[str, Any]:
    """One user; ``n_media`` media newest first, each with owner, location and comments."""
    owners = [_owner(i) for i in range(50)]
    media = []
    for m in range(n_media):
        ts = BASE_TS - m * 3_600
        comments = [
            {
                "id": str(17_927_679_481_127_546 + m * 1000 + c),
                "parent_id": str(2_065_332_295_327_345_047 + m),
                "created_time": dt.datetime.fromtimestamp(ts - c * 60, dt.timezone.utc).replace(
                    tzinfo=None
                ),
                "timestamp": ts - c * 60,
                "text": f"Comment {c} on media {m}",
                "owner_id": owners[(m + c) % 50]["id"],
                "last_update": ts + 900,
                "is_being_updated": False,
                "owner": owners[(m + c) % 50],
            }
            for c in range(n_comments)
        ]
        media.append(
            {
                "id": str(2_065_332_295_327_345_047 + m),
                "shortcode": f"BiQov{m:06d}",
                "created_time": dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None),
                "timestamp": ts,
                "media_type": "GraphImage",
                "media_url": f"https://cdn.example/m/{m}.jpg",
                "caption": [f"Caption of media {m} #spacex"],
                "tagged_user_media": [],
                "tagged_user_text": ["@nasa"],
                "tags": ["spacex", "falcon9"],
                "like_count": 1000 + m,
                "comment_count": n_comments,
                "video_view_count": 0,
                "owner_id": owners[m % 50]["id"],
                "location_id": str(212_988_663 + m % 7),
                "last_update": ts + 900,
                "is_being_updated": False,
                "location": {
                    "id": str(212_988_663 + m % 7),
                    "name": f"Place {m % 7}",
                    "slug": f"place-{m % 7}",
                    "has_public_page": True,
                },
                "owner": owners[m % 50],
                "comments": comments,
            }
        )
    return {
        "id": "20311520",
        "username": "spacex",
        "full_name": "SpaceX",
        "last_update": BASE_TS + 100,
        "is_being_updated": False,
        "media": media,
    }


Row = dict[str, Any]


@dataclass
class Tables:
    """:func:`user_dataset` normalised: ``root`` is the user whose media rows carry
    ``owner_id`` and ``location_id`` but no owner, location or comments; those are loaded
    by key (``*_of``, one call for many keys, as a batch loader's one query). ``calls``
    counts the loads by table."""

    root: Row
    owners: dict[str, Row]
    locations: dict[str, Row]
    comments: dict[str, list[Row]]
    calls: Counter[str] = field(default_factory=Counter)

    def owners_of(self, ids: Sequence[str]) -> list[Row]:
        self.calls["owners"] += 1
        owners = self.owners
        return [owners[i] for i in ids]

    def locations_of(self, ids: Sequence[str]) -> list[Row]:
        self.calls["locations"] += 1
        locations = self.locations
        return [locations[i] for i in ids]

    def comments_of(self, media_ids: Sequence[str]) -> list[list[Row]]:
        """Every comment of each media, newest first (the caller pages them)."""
        self.calls["comments"] += 1
        comments = self.comments
        return [comments[i] for i in media_ids]


def user_tables(user: Row) -> Tables:
    """The rows and tables of ``user`` (a :func:`user_dataset`)."""
    owners: dict[str, Row] = {}
    locations: dict[str, Row] = {}
    comments: dict[str, list[Row]] = {}
    media = []
    for m in user["media"]:
        owners[m["owner_id"]] = m["owner"]
        locations[m["location_id"]] = m["location"]
        rows = []
        for c in m["comments"]:
            owners[c["owner_id"]] = c["owner"]
            rows.append({k: v for k, v in c.items() if k != "owner"})
        comments[m["id"]] = rows
        media.append({k: v for k, v in m.items() if k not in ("owner", "location", "comments")})
    return Tables({**user, "media": media}, owners, locations, comments)
