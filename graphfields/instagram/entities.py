"""The reference API's stored entities, declared once.

Each collection of a dataset (users, locations, media, comments, tags) is a tuple of
:class:`Field`: its name (the API's field name, the dataset key and the store's column),
its kind, and whether a dataset record must carry it. The API's schema
(:mod:`graphfields.instagram.schema`), the dataset validator
(:mod:`graphfields.instagram.dataset`) and the columns of every store derive from this
declaration, so a field added here is validated, stored and served everywhere at once.

Kinds: ``id`` (a string or non-negative integer, served as a string), ``str``, ``int``
(64-bit), ``bool``, ``strlist`` (a list of strings) and ``ids`` (a list of IDs: a tag's
``media_ids``, stored as the tag's feed, not as a column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["COLLECTIONS", "ENTITIES", "Field", "Kind", "columns", "required"]

Kind: TypeAlias = Literal["id", "str", "int", "bool", "strlist", "ids"]


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a stored entity."""

    name: str
    kind: Kind
    required: bool = False

    @property
    def column(self) -> bool:
        """Whether the field is a column of its entity's table (a feed is a table of its own)."""
        return self.kind != "ids"


def _fields(spec: str, required: str = "") -> tuple[Field, ...]:
    """``"id:id username:str ..."``: the fields in order (``required`` names the must-haves)."""
    must = set(required.split())
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        out.append(Field(name, kind, name in must))  # type: ignore[arg-type]
    return tuple(out)


ENTITIES: dict[str, tuple[Field, ...]] = {
    "users": _fields(
        "id:id username:str profile_pic_url:str type:str full_name:str biography:str "
        "external_url:str connected_fb_page:str is_private:bool is_verified:bool "
        "follower_count:int follow_count:int media_count:int saved_media_count:int "
        "collection_count:int last_update:int", "id username"),
    "locations": _fields("id:id name:str slug:str has_public_page:bool", "id"),
    "media": _fields(
        "id:id shortcode:str timestamp:int media_type:str media_url:str caption:strlist "
        "tagged_user_media:strlist tagged_user_text:strlist tags:strlist like_count:int "
        "comment_count:int video_view_count:int owner_id:id location_id:id last_update:int",
        "id owner_id"),
    "comments": _fields(
        "id:id parent_id:id timestamp:int text:str owner_id:id last_update:int", "id parent_id"),
    "tags": _fields("id:str profile_pic_url:str media_count:int last_update:int media_ids:ids",
                    "id"),
}
"""Every collection's fields, in the order the API's schema lists them."""

COLLECTIONS = tuple(ENTITIES)


def columns(collection: str) -> tuple[str, ...]:
    """The stored columns of a collection (its fields minus a feed), in declaration order."""
    return tuple(f.name for f in ENTITIES[collection] if f.column)


def required(collection: str) -> tuple[str, ...]:
    """The fields a dataset record of ``collection`` must carry."""
    return tuple(f.name for f in ENTITIES[collection] if f.required)
