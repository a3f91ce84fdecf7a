"""A deterministic stand-in for Instagram, for ``graphfields serve --demo`` and tests.

Everything is derived from the node's name or ID with a seeded ``random.Random``: the
same request gives the same profile, posts, captions and comments (engagement counts grow
slowly with the injected clock, so a refresh visibly changes something). Media IDs are
Instagram-style, ``(ms since 2011-08-24T21:07:01.721Z) << 23 | shard``, so their top bits
encode the post time; shortcodes are derived from them.

What does not exist (the 404 path): usernames and tags starting with ``missing``, and
media IDs whose time bits fall before 2012 or after "now" (the spec's ``1690`` is one).
The loader remembers the posts it generated inside a profile or a feed, so loading one
of them later gives the same post, now with its comments.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from graphfields.instagram.loader import LoadResult
from graphfields.instagram.shortcode import id_to_shortcode, make_media_id, media_id_time

__all__ = ["SyntheticLoader", "exists"]

_FIRST = ("anna", "mike", "sofia", "liam", "emma", "noah", "mia", "lucas", "olga", "yuki",
          "amir", "chloe", "diego", "ines", "jonas", "kofi", "lena", "marco", "nora", "ravi")
_LAST = ("kowalski", "silva", "tanaka", "mueller", "rossi", "dubois", "nguyen", "larsen",
         "garcia", "okafor", "novak", "haddad", "berg", "costa", "ivanova", "smith")
_HOBBY = ("travels", "eats", "photo", "runs", "art", "studio", "daily", "coffee", "design",
          "climbs", "surf", "bakes", "films", "garden", "music", "vintage")
_WORDS = ("sunset", "weekend", "morning", "city", "light", "friends", "golden hour", "road trip",
          "new collection", "behind the scenes", "first try", "homemade", "late night",
          "rainy day", "summer", "mountains", "street", "coffee break", "studio session")
_HASHTAGS = ("photography", "travel", "food", "nature", "art", "love", "instagood", "fashion",
             "fitness", "sunset", "coffee", "design", "music", "streetphotography", "juice",
             "spacex", "cars", "dogsofinstagram", "architecture", "beach")
_CITIES = ("Lisbon", "Berlin", "Tokyo", "Nairobi", "Buenos Aires", "Reykjavik", "Seoul",
           "Toronto", "Cape Town", "Kyoto", "Oslo", "Marrakesh", "Hawthorne, California")
_EMOJI = ("🔥", "😍", "👏", "🙌", "💯", "❤️", "😂", "✨")
_COMMENTS = ("love this", "amazing shot", "where is this?", "so good", "need this",
             "wow", "great colors", "take me there", "congrats!", "this is everything")
_TYPES = ("GraphImage", "GraphImage", "GraphImage", "GraphSidecar", "GraphVideo")
_MEMORY = 200_000  # posts remembered at most (a demo server runs for a while)
_EARLIEST = 1325376000  # 2012-01-01: IDs decoding to earlier times do not exist here


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _user_id(username: str) -> str:
    return str(1_000_000_000 + _rng("user-id", username).randrange(9_000_000_000))


def exists(kind: str, key: str, now: float) -> bool:
    """Whether the synthetic upstream has ``kind``/``key`` (see the module docstring)."""
    if kind in ("user", "tag"):
        return not key.lower().startswith("missing")
    try:
        t = media_id_time(key)
    except ValueError:
        return False
    return _EARLIEST <= t <= now


class SyntheticLoader:
    """A :class:`~graphfields.instagram.loader.Loader` that invents plausible data.

    ``delay`` simulates upstream latency per load (seconds); ``clock`` gives "now".
    """

    def __init__(self, *, delay: float = 0.2, clock: Callable[[], float] = time.time) -> None:
        self.delay = delay
        self.clock = clock
        self._posts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- the Loader interface -------------------------------------------------------------

    def load_user(self, username: str, *, max_media: int) -> LoadResult | None:
        self._wait()
        now = int(self.clock())
        if not exists("user", username, now):
            return None
        name = username.lower()
        rng = _rng("user", name)
        user = self._profile(name, rng, now)
        count = min(max_media, rng.randrange(3, 60))
        user["media_count"] = count + rng.randrange(0, 400)
        media: list[dict[str, Any]] = []
        locations: dict[str, dict[str, Any]] = {}
        t = now - rng.randrange(600, 3 * 86400)
        for i in range(count):
            post = self._post(f"{name}/{i}", t, user, now)
            media.append(post)
            self._location(post, locations)
            t -= rng.randrange(3600, 6 * 86400)
        return {"users": [user], "locations": list(locations.values()), "media": media}

    def load_tag(self, name: str, *, max_media: int) -> LoadResult | None:
        self._wait()
        now = int(self.clock())
        if not exists("tag", name, now):
            return None
        tag = name.lower()
        rng = _rng("tag", tag)
        users: dict[str, dict[str, Any]] = {}
        locations: dict[str, dict[str, Any]] = {}
        media = []
        t = now - rng.randrange(5, 600)
        for i in range(max_media):
            owner = self._stub(_rng("tag-owner", tag, i), now)
            users[owner["id"]] = owner
            post = self._post(f"#{tag}/{i}", t, owner, now, extra_tag=tag)
            media.append(post)
            self._location(post, locations)
            t -= rng.randrange(1, 900)
        record = {
            "id": tag,
            "media_count": 1000 + rng.randrange(10_000_000),
            "profile_pic_url": f"https://cdn.example.com/tags/{tag}.jpg",
            "last_update": now,
            "media_ids": [m["id"] for m in media],
        }
        return {"tags": [record], "users": list(users.values()),
                "locations": list(locations.values()), "media": media}  # fmt: skip

    def load_media(self, media_id: str, *, max_comments: int) -> LoadResult | None:
        self._wait()
        now = int(self.clock())
        if not exists("media", media_id, now):
            return None
        with self._lock:
            known = self._posts.get(media_id)
        rng = _rng("media", media_id)
        users: dict[str, dict[str, Any]] = {}
        if known is None:
            owner = self._stub(rng, now)
            users[owner["id"]] = owner
            post = self._post_at(int(media_id), owner, now, rng)
        else:
            post = dict(known)
            owner = self._stub_named(post["_owner_username"], now)
            users[owner["id"]] = owner
        post.pop("_owner_username", None)
        post["last_update"] = now
        comments = []
        t = post["timestamp"]
        for i in range(min(max_comments, rng.randrange(0, 40))):
            who = self._stub(_rng("commenter", media_id, i), now)
            users[who["id"]] = who
            t = min(now, t + rng.randrange(30, 7200))
            text = f"{rng.choice(_COMMENTS)} {rng.choice(_EMOJI)}"
            if rng.random() < 0.2:
                text = f"@{owner['username']} {text}"
            comments.append({
                "id": str(17_840_000_000_000_000 + rng.randrange(10**14)), "parent_id": media_id,
                "timestamp": t, "text": text, "owner_id": who["id"], "last_update": now,
            })  # fmt: skip
        post["comment_count"] = max(post.get("comment_count") or 0, len(comments))
        locations: dict[str, dict[str, Any]] = {}
        self._location(post, locations)
        return {"users": list(users.values()), "locations": list(locations.values()),
                "media": [post], "comments": comments}  # fmt: skip

    # -- generators -------------------------------------------------------------------------

    def _wait(self) -> None:
        if self.delay > 0:
            time.sleep(self.delay)

    def _profile(self, name: str, rng: random.Random, now: int) -> dict[str, Any]:
        parts = re.findall("[a-z]+", name)
        full = " ".join(p.capitalize() for p in parts) or rng.choice(_FIRST).capitalize()
        return {
            "id": _user_id(name), "username": name, "full_name": full,
            "profile_pic_url": f"https://cdn.example.com/u/{name}.jpg", "type": "user",
            "biography": f"{rng.choice(_WORDS).capitalize()} | {rng.choice(_CITIES)}",
            "external_url": f"https://{name.replace('_', '').replace('.', '')}.example.com"
            if rng.random() < 0.5 else None,
            "connected_fb_page": None, "is_private": False, "is_verified": rng.random() < 0.1,
            "follower_count": rng.randrange(10, 2_000_000), "follow_count": rng.randrange(0, 2000),
            "saved_media_count": 0, "collection_count": 0, "last_update": now,
        }  # fmt: skip

    def _stub_named(self, username: str, now: int) -> dict[str, Any]:
        rng = _rng("user", username)
        p = self._profile(username, rng, now)
        return {k: p[k] for k in ("id", "username", "full_name", "profile_pic_url", "type")}

    def _stub(self, rng: random.Random, now: int) -> dict[str, Any]:
        first = rng.choice(_FIRST)
        style = rng.randrange(3)
        if style == 0:
            name = f"{first}.{rng.choice(_HOBBY)}"
        elif style == 1:
            name = f"{first}_{rng.choice(_LAST)}{rng.randrange(10, 99)}"
        else:
            name = f"{rng.choice(_HOBBY)}with{first}"
        return self._stub_named(name, now)

    def _post(
        self, seed: str, t: int, owner: dict[str, Any], now: int, extra_tag: str | None = None
    ) -> dict[str, Any]:
        rng = _rng("post", seed)
        media_id = make_media_id(t + rng.random(), shard=rng.randrange(2**23))
        return self._post_at(media_id, owner, now, rng, extra_tag)

    def _post_at(
        self,
        media_id: int,
        owner: dict[str, Any],
        now: int,
        rng: random.Random,
        extra_tag: str | None = None,
    ) -> dict[str, Any]:
        t = int(media_id_time(media_id))
        tags = rng.sample(_HASHTAGS, rng.randrange(1, 4))
        if extra_tag is not None and extra_tag not in tags:
            tags.insert(0, extra_tag)
        caption = f"{rng.choice(_WORDS).capitalize()} {' '.join('#' + h for h in tags)}"
        kind = rng.choice(_TYPES)
        growth = max(0, now - t) // 600  # engagement creeps up with time
        code = id_to_shortcode(media_id)
        city = rng.choice(_CITIES) if rng.random() < 0.4 else None
        post: dict[str, Any] = {
            "id": str(media_id), "shortcode": code, "timestamp": t, "media_type": kind,
            "media_url": f"https://cdn.example.com/p/{code}.jpg", "caption": [caption],
            "tagged_user_media": [], "tagged_user_text": [], "tags": tags,
            "like_count": rng.randrange(0, 5000) + min(growth, 10_000),
            "comment_count": rng.randrange(0, 300),
            "video_view_count": rng.randrange(100, 90_000) if kind == "GraphVideo" else None,
            "owner_id": owner["id"], "location_id": _location_id(city) if city else None,
            "last_update": now,
        }  # fmt: skip
        with self._lock:  # remembered, so loading this post later gives the same post
            if len(self._posts) >= _MEMORY:
                self._posts.clear()
            self._posts[str(media_id)] = {**post, "_owner_username": owner["username"]}
        return post

    def _location(self, post: dict[str, Any], into: dict[str, dict[str, Any]]) -> None:
        lid = post.get("location_id")
        if lid is None:
            return
        city = next(c for c in _CITIES if _location_id(c) == lid)
        slug = city.lower().replace(",", "").replace(" ", "-")
        into[lid] = {"id": lid, "name": city, "slug": slug, "has_public_page": True}


def _location_id(city: str) -> str:
    return str(200_000_000 + _rng("location", city).randrange(800_000_000))
