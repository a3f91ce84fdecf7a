"""The whole schema of the spec (shared/spec/instagram-api.txt), as a test fixture.

It reads like the spec's own listing; PageInfo and edges come with every connection.
The reference app declares its own copy in graphfields/instagram/schema.py.
"""

from __future__ import annotations

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

FRESHNESS = ("timestamp", "last_update", "is_being_updated")

Location = ObjectType("Location", {
    "id": ID, "name": String, "slug": String, "has_public_page": Boolean,
})
Owner = ObjectType("Owner", {
    "id": ID, "username": String, "profile_pic_url": String, "type": String, "full_name": String,
})
Comment = ObjectType("Comment", {
    "id": ID, "parent_id": ID, "created_time": Datetime, "timestamp": Int, "text": String,
    "owner_id": ID, "last_update": Int, "is_being_updated": Boolean, "owner": Owner,
})
Media = ObjectType("Media", {
    "id": ID, "shortcode": String, "created_time": Datetime, "timestamp": Int,
    "media_type": String, "media_url": String, "caption": ListOf(String),
    "tagged_user_media": ListOf(String), "tagged_user_text": ListOf(String), "tags": ListOf(String),
    "like_count": Int, "comment_count": Int, "video_view_count": Int,
    "owner_id": ID, "location_id": ID, "last_update": Int, "is_being_updated": Boolean,
    "location": Location, "owner": Owner,
    "comments": Connection(Comment, max_first=100, order_by="timestamp",
                           timestamp_field="timestamp", always=FRESHNESS),
})
# One connection declaration shared by User.media and Tag.media.
MEDIA = Connection(Media, max_first=100, order_by="timestamp", timestamp_field="timestamp",
                   always=FRESHNESS)
User = ObjectType("User", {
    "id": ID, "username": String, "profile_pic_url": String, "type": String, "full_name": String,
    "biography": String, "external_url": String, "connected_fb_page": String,
    "is_private": Boolean, "is_verified": Boolean, "follower_count": Int, "follow_count": Int,
    "media_count": Int, "saved_media_count": Int, "collection_count": Int,
    "last_update": Int, "is_being_updated": Boolean, "media": MEDIA,
})
Tag = ObjectType("Tag", {
    "id": String, "profile_pic_url": String, "media_count": Int,
    "last_update": Int, "is_being_updated": Boolean, "media": MEDIA,
})

schema = Schema([Media, User, Tag, Comment, Owner, Location])
