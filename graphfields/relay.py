"""Relay cursor connections: cursors, the slicing window, and self-sliced pages.

Cursors have graphql-relay's form, base64 of ``"arrayconnection:" + offset``.
"""

from __future__ import annotations

import binascii
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CURSOR_PREFIX",
    "Page",
    "cursor",
    "decode_cursor",
    "encode_cursor",
    "slice_page",
    "window",
]

CURSOR_PREFIX = "arrayconnection:"
_PREFIX = CURSOR_PREFIX.encode("ascii")


def encode_cursor(offset: int) -> str:
    """The cursor of the node at ``offset``: ``encode_cursor(2) == "YXJyYXljb25uZWN0aW9uOjI="``."""
    return binascii.b2a_base64(f"{CURSOR_PREFIX}{offset}".encode("ascii"),
                               newline=False).decode("ascii")


def decode_cursor(cursor: str) -> int | None:
    """The offset a cursor stands for, or ``None`` if it is not a cursor of this form.

    Only the canonical spelling is a cursor (exact padding, no leading zeros): the offset
    read is encoded again and must give ``cursor`` back, which also refuses every
    character base64 does not use (the lenient decoder skips them)."""
    try:
        raw = binascii.a2b_base64(cursor)
    except (binascii.Error, ValueError):  # bad padding; a str that is not ASCII
        return None
    if not raw.startswith(_PREFIX):
        return None
    digits = raw[len(_PREFIX):]
    if not digits.isdigit() or len(digits) > 18:  # (bytes.isdigit: ASCII digits only)
        return None
    offset = int(digits)
    return offset if encode_cursor(offset) == cursor else None


def window(
    total: int,
    first: int | None = None,
    last: int | None = None,
    after: int | None = None,
    before: int | None = None,
    offset: int = 0,
) -> tuple[int, int]:
    """The ``[start, end)`` slice of a collection of ``total`` items the arguments select.

    ``after``/``before`` narrow the collection first, then ``offset`` skips that many of
    the remaining items, then ``first`` keeps the first ``n`` and ``last`` the last ``n``.
    """
    start = 0 if after is None else min(max(after + 1, 0), total)
    end = total if before is None else max(min(before, total), 0)
    end = max(end, start)
    if offset:
        start = min(start + offset, end)
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    return start, end


@dataclass(frozen=True, slots=True)
class Page:
    """A page a connection resolver sliced itself (e.g. with SQL LIMIT/OFFSET).

    ``offset`` is the position of ``nodes[0]`` in the filtered collection (cursors are
    ``offset + i``); the two flags are exact for that collection.
    """

    nodes: Sequence[Any]
    offset: int
    has_next_page: bool
    has_previous_page: bool


cursor = functools.lru_cache(maxsize=16384)(encode_cursor)
""":func:`encode_cursor`, memoized: pages mostly revisit the same small offsets."""


def slice_page(
    items: Sequence[Any],
    first: int | None = None,
    last: int | None = None,
    after: int | None = None,
    before: int | None = None,
    *,
    offset: int = 0,
    lo: int = 0,
    hi: int | None = None,
) -> Page:
    """The page the arguments select from the collection ``items[lo:hi]``.

    Costs O(page size): lists and tuples are sliced, other sequences indexed for the
    page's positions only. Offsets and flags are relative to ``items[lo:hi]`` (the
    filtered collection), so cursors count within it.
    """
    total = (len(items) if hi is None else hi) - lo
    start, end = window(total, first, last, after, before, offset)
    if isinstance(items, list | tuple):
        nodes: Sequence[Any] = items[lo + start : lo + end]
    else:
        nodes = [items[i] for i in range(lo + start, lo + end)]
    return Page(nodes, start, end < total, start > 0)
