"""Instagram shortcodes <-> media IDs, and the time encoded in a media ID.

A shortcode is the media ID written in base 64 with the URL-safe alphabet
``A-Za-z0-9-_`` (most significant digit first, no padding):
``BiQovLGAWIq`` is ``1770093817144369706``. A media ID keeps its creation time in its
top bits: ``(milliseconds since the Unix epoch - EPOCH_MS) << 23 | shard bits``.
"""

from __future__ import annotations

__all__ = [
    "ALPHABET",
    "EPOCH_MS",
    "id_to_shortcode",
    "is_shortcode",
    "make_media_id",
    "media_id_time",
    "shortcode_to_id",
]

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
EPOCH_MS = 1314220021721
"""Instagram's ID epoch (2011-08-24T21:07:01.721Z), in Unix milliseconds."""
_SHARD_BITS = 23
_MAX_SHORTCODE = 24  # far beyond any real ID; keeps int() of hostile input cheap


def id_to_shortcode(media_id: int | str) -> str:
    """The shortcode of a media ID (a non-negative integer or its decimal string)."""
    n = int(media_id)
    if n < 0:
        raise ValueError(f"media ID must not be negative: {media_id}")
    digits = []
    while True:
        n, r = divmod(n, 64)
        digits.append(ALPHABET[r])
        if n == 0:
            return "".join(reversed(digits))


def is_shortcode(text: str) -> bool:
    """Whether ``text`` is spelled like a shortcode (alphabet and length only)."""
    return 0 < len(text) <= _MAX_SHORTCODE and all(c in _INDEX for c in text)


def shortcode_to_id(shortcode: str) -> int:
    """The media ID a shortcode stands for; ``ValueError`` if it is not a shortcode."""
    if not is_shortcode(shortcode):
        raise ValueError(f"not a shortcode: {shortcode!r}")
    n = 0
    for c in shortcode:
        n = n * 64 + _INDEX[c]
    return n


def media_id_time(media_id: int | str) -> float:
    """The creation time (Unix seconds) encoded in a media ID's top bits."""
    return ((int(media_id) >> _SHARD_BITS) + EPOCH_MS) / 1000.0


def make_media_id(unix_seconds: float, shard: int = 0) -> int:
    """A media ID created at ``unix_seconds`` on ``shard`` (the low 23 bits)."""
    ms = round(unix_seconds * 1000) - EPOCH_MS
    if ms < 0:
        raise ValueError("media IDs cannot predate 2011-08-24")
    return (ms << _SHARD_BITS) | (shard & ((1 << _SHARD_BITS) - 1))
