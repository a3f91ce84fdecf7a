"""The JSON dataset format: validation into a :class:`Batch` that a store writes atomically.

A dataset is ``{"users": [...], "locations": [...], "media": [...], "comments": [...],
"tags": [...]}`` (every key optional) whose records use the API's field names. Loaders
return the same format, so upstream data passes the same checks as imported files.
Validation here is pure (no store); references to nodes not in the batch are checked by
the store inside its write transaction.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphfields.errors import GraphFieldsError
from graphfields.http import printable
from graphfields.instagram.entities import COLLECTIONS, ENTITIES, required
from graphfields.instagram.shortcode import id_to_shortcode, is_shortcode, media_id_time

if TYPE_CHECKING:
    from graphfields.instagram.store import Store

__all__ = [
    "COLLECTIONS",
    "Batch",
    "DatasetError",
    "import_dataset",
    "load_json",
    "parse_dataset",
    "tag_key",
]


class DatasetError(GraphFieldsError, ValueError):
    """A dataset (file or loader result) is malformed.

    ``collection`` and ``index`` locate the record (both ``None`` for file-level
    problems); ``reason`` says what is wrong.
    """

    def __init__(self, reason: str, collection: str | None = None, index: int | None = None):
        self.collection = collection
        self.index = index
        self.reason = reason
        where = f"{collection}[{index}]: " if collection is not None and index is not None else ""
        super().__init__(f"Invalid dataset: {where}{reason}")

@dataclass(slots=True)
class Batch:
    """Checked, normalized records ready to be written in one transaction.

    Records are dicts with the store's column names, in their source order (reference
    errors name a record by its index in its list). ``partial`` holds ``("user" |
    "media" | "tag", id)`` of records that are not a full load of that node (a post's
    owner, a feed's posts, a node whose load is still being written): they never overwrite
    stored values with gaps nor ``last_update``, and stay due for a full load. ``views``
    holds the IDs of tags whose ``media_ids`` are only the posts of this batch they hold
    (a user's load mentions a tag): written as the tag's feed when it has none stored, a
    stored feed kept. ``pinned`` marks every record as never to be refreshed.
    """

    users: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    partial: set[tuple[str, str]] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    pinned: bool = False

# Each collection's field kinds and required fields, from the one declaration.
_FIELDS: dict[str, dict[str, str]] = {
    c: {f.name: f.kind for f in fs} for c, fs in ENTITIES.items()
}
_REQUIRED = {c: required(c) for c in ENTITIES}
# Output-only fields a dataset exported from the API may carry; accepted and ignored.
_IGNORED = frozenset({"created_time", "is_being_updated", "owner", "location", "comments"})
_INT64 = 2**63
USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}\Z")
"""An Instagram username; the API serves ``/instagram/user/<username>`` only for these."""
TAG = re.compile(r"\w{1,100}\Z")
"""A hashtag name (without ``#``) as stored: see :func:`tag_key`."""


def tag_key(name: str) -> str | None:
    """The stored form of a tag name, or ``None`` if no tag can have this name.

    The one normalisation, used by the route and by the dataset validator alike: Unicode
    NFC (a name typed decomposed is the same tag), then lower case (the store looks tags up
    by this form; SQLite's NOCASE would fold ASCII only), then NFC again, then 1-100
    letters, digits or underscores. ``"İstanbul"`` lower-cases to ``"i̇stanbul"``, whose
    combining dot is not a letter: no tag, so the route answers 404 instead of a 202 for a
    load that could never be stored.
    """
    key = unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).lower())
    return key if TAG.match(key) else None

# UNIX seconds of 0001-01-01 and 9999-12-31T23:59:59: the range `created_time` can print.
# (A millisecond timestamp is far beyond it, and would make every request of the post fail.)
_MIN_TIME, _MAX_TIME = -62_135_596_800, 253_402_300_799

def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )

def _unicode(name: str, text: str) -> str:
    """``text`` if it is valid Unicode; a lone surrogate (JSON allows ``"\\ud800"``) could
    be neither stored nor served."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise ValueError(f'"{name}" contains a lone surrogate (\\u{ord(bad):04x}) at '
                         f"character {exc.start}: strings must be valid Unicode") from None
    return text


def _convert(kind: str, name: str, value: Any) -> Any:
    """The normalized value, or raise ``ValueError`` with the reason."""
    if value is None:
        return None
    if isinstance(value, str):
        _unicode(name, value)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str):
                _unicode(f"{name}[{i}]", v)
    if kind == "id":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f'"{name}" must not be negative: {value}')
        raise ValueError(f'"{name}" must be a non-empty string or integer, not {_kind_of(value)}')
    if kind == "str":
        if isinstance(value, str):
            return value
        raise ValueError(f'"{name}" must be a string, not {_kind_of(value)}')
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if -_INT64 <= value < _INT64:
                return value
            shown = str(value) if value.bit_length() <= 256 else \
                f"an integer of {value.bit_length()} bits"
            raise ValueError(f'"{name}" must be a 64-bit integer (-2**63 to 2**63-1), not {shown}')
        raise ValueError(f'"{name}" must be an integer, not {_kind_of(value)}')
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f'"{name}" must be true or false, not {_kind_of(value)}')
    if kind == "strlist":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ValueError(f'"{name}" must be a list of strings')
    if kind == "ids":
        if isinstance(value, list):
            return [_convert("id", f"{name}[{i}]", v) for i, v in enumerate(value)]
        raise ValueError(f'"{name}" must be a list of IDs, not {_kind_of(value)}')
    raise AssertionError(kind)  # pragma: no cover

def _record(collection: str, index: int, raw: Any, now: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DatasetError(f"a record must be an object, not {_kind_of(raw)}", collection, index)
    spec = _FIELDS[collection]
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _IGNORED:
            continue
        if key not in spec:
            raise DatasetError(f'unknown field "{printable(key)}"', collection, index)
        try:
            out[key] = _convert(spec[key], key, value)
        except ValueError as exc:
            raise DatasetError(str(exc), collection, index) from None
    for key in _REQUIRED[collection]:
        if out.get(key) is None:
            raise DatasetError(f'missing "{key}"', collection, index)
    if "last_update" in spec and out.get("last_update") is None:
        out["last_update"] = now
    stamp = out.get("timestamp")
    if stamp is not None and not _MIN_TIME <= stamp <= _MAX_TIME:
        raise DatasetError(
            f'"timestamp" must be UNIX seconds between year 1 and 9999, not {stamp}',
            collection, index)
    if collection == "media":
        _media(out, collection, index)
    elif collection == "comments":
        out["parent_id"] = _media_ref(out["parent_id"])
    elif collection == "users" and not USERNAME.match(out["username"]):
        # It could never be requested: /instagram/user/<username> would answer 404.
        raise DatasetError(f'"username" must be 1-30 letters, digits, periods or underscores: '
                           f'"{out["username"]}"', collection, index)
    elif collection == "tags":
        # The form the route looks tags up by (tag_key): a name it could never serve is an
        # error here, not a record nobody can request.
        key = tag_key(out["id"].lstrip("#"))
        if key is None:
            raise DatasetError(f'"id" must name a tag (1-100 letters, digits or underscores): '
                               f'"{printable(out["id"].lstrip("#"))}"', collection, index)
        out["id"] = key
        if out.get("media_ids") is not None:
            out["media_ids"] = [_media_ref(i) for i in out["media_ids"]]
        ids = out.get("media_ids") or []
        if len(set(ids)) != len(ids):
            dup = next(i for n, i in enumerate(ids) if i in ids[:n])
            raise DatasetError(f'"media_ids" lists "{dup}" twice', collection, index)
    return out

def _media_ref(media_id: str) -> str:
    """A media ID in canonical decimal form (``"0123"`` is ``"123"``, as the API looks it up);
    anything else unchanged (it then names no media, and the reference check says so)."""
    if media_id.isdigit() and media_id.isascii() and len(media_id) <= 40:
        return str(int(media_id))
    return media_id

def _media(out: dict[str, Any], collection: str, index: int) -> None:
    media_id = out["id"]
    if not media_id.isdigit() or not media_id.isascii() or len(media_id) > 40 \
            or int(media_id) >= 2**64:
        reason = f'"id" of a media must be a decimal number: "{media_id}"'
        raise DatasetError(reason, collection, index)
    media_id = out["id"] = _media_ref(media_id)
    code = out.get("shortcode")
    if code is None:
        out["shortcode"] = id_to_shortcode(media_id)
    elif not is_shortcode(code):
        raise DatasetError(f'"shortcode" is not a shortcode: "{code}"', collection, index)
    if out.get("timestamp") is None:
        out["timestamp"] = int(media_id_time(media_id))

def parse_dataset(data: Any, *, now: int, pinned: bool = False) -> Batch:
    """Check a decoded dataset and normalize it. ``now`` fills missing ``last_update``."""
    if not isinstance(data, dict):
        raise DatasetError(f"a dataset must be a JSON object, not {_kind_of(data)}")
    for key in data:
        if key not in COLLECTIONS:
            expected = ", ".join(COLLECTIONS)
            raise DatasetError(
                f'unknown collection "{printable(key)}" (expected one of {expected})')
    batch = Batch(pinned=pinned)
    for collection in COLLECTIONS:
        records = data.get(collection, [])
        if not isinstance(records, list):
            raise DatasetError(f'"{collection}" must be a list, not {_kind_of(records)}')
        target: list[dict[str, Any]] = getattr(batch, collection)
        seen: dict[str, int] = {}
        for index, raw in enumerate(records):
            rec = _record(collection, index, raw, now)
            key = rec["id"].lower() if collection == "tags" else rec["id"]
            if key in seen:
                raise DatasetError(
                    f'duplicate id "{rec["id"]}" (also at index {seen[key]})', collection, index
                )
            seen[key] = index
            target.append(rec)
    usernames: dict[str, int] = {}
    for index, user in enumerate(batch.users):
        name = user["username"].lower()
        if name in usernames:
            raise DatasetError(
                f'duplicate username "{user["username"]}" (also at index {usernames[name]})',
                "users",
                index,
            )
        usernames[name] = index
    return batch

def load_json(source: str | Path | Mapping[str, Any] | Sequence[Any]) -> Any:
    """The decoded dataset from a path or an already decoded object."""
    if not isinstance(source, str | Path):
        return source
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows editors) is not JSON
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except _DuplicateKey as exc:
        raise DatasetError(f'{path}: the key "{exc.args[0]}" appears twice in one object '
                           "(the first value would be lost)") from None
    except RecursionError:
        raise DatasetError(f"{path} is nested too deeply to be a dataset") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise DatasetError(f"{path} is not a usable JSON file: {str(exc).split(';')[0]}") from None


class _DuplicateKey(Exception):
    """Internal: a JSON object repeats a key."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def import_dataset(
    store: Store,
    source: str | Path | Mapping[str, Any],
    *,
    now: float | None = None,
    pinned: bool = False,
) -> dict[str, int]:
    """Validate a dataset (a JSON file's path or the decoded object) and write it into
    ``store`` in one transaction; returns the number of records per collection.

    Records missing ``last_update`` get ``now`` (default: the current time). With
    ``pinned`` the imported nodes are never refreshed by a loader (the demo uses this to
    keep the spec's examples exact). On any error nothing is written.
    """
    stamp = int(time.time() if now is None else now)
    batch = parse_dataset(load_json(source), now=stamp, pinned=pinned)
    store.write(batch)
    return {c: len(getattr(batch, c)) for c in COLLECTIONS}
