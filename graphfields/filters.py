"""Date and timestamp range filters on a connection's timestamp field.

Validation turns ``from_date``/``to_date``/``from_timestamp``/``to_timestamp`` into
inclusive UNIX-second bounds (``ConnectionArgs.since``/``until``). The executor applies
them to a sequence *before* slicing it, so cursors count within the filtered collection.

The collection must be sorted by its timestamp field in the connection's direction
(``Connection.descending``, newest first by default). Then the filtered collection is a
contiguous run of the sequence, found by two binary searches: O(log n) timestamp reads
through a lazy key function, no key list is built and nothing is copied. On a collection
that is *not* sorted the result is unspecified (some contiguous run); such data should be
sorted first, or filtered with :func:`scan` by a connection resolver that returns a
:class:`graphfields.relay.Page` or the filtered list.

Timestamps may be ``int``/``float`` UNIX seconds, ``datetime`` (naive means UTC) or
``date`` (midnight UTC).
"""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = ["bounds", "scan", "to_seconds"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_seconds(value: Any) -> float:
    """UNIX seconds of a timestamp value (int, float, datetime, date)."""
    if type(value) is int or type(value) is float:
        seconds: float = value
        return seconds
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, _dt.datetime):
        moment: _dt.datetime = value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.timezone.utc)
        return (moment - _EPOCH).total_seconds()
    if isinstance(value, _dt.date):
        return (
            _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc) - _EPOCH
        ).total_seconds()
    raise TypeError(f"not a timestamp: {value!r:.80}")


def bounds(
    items: Sequence[Any],
    timestamp: Callable[[Any], Any],
    since: int | None,
    until: int | None,
    *,
    descending: bool = True,
    lo: int = 0,
    hi: int | None = None,
) -> tuple[int, int]:
    """The ``[start, stop)`` run of sorted ``items[lo:hi]`` whose timestamps lie in
    ``[since, until]`` (either bound may be ``None``). ``timestamp(item)`` reads one
    item's timestamp; it is called O(log n) times."""
    if hi is None:
        hi = len(items)
    if since is None and until is None:
        return lo, hi
    if descending:

        def key(item: Any) -> float:
            return -to_seconds(timestamp(item))

        start = lo if until is None else bisect.bisect_left(items, float(-until), lo, hi, key=key)
        stop = (
            hi if since is None else bisect.bisect_right(items, float(-since), start, hi, key=key)
        )
    else:

        def key(item: Any) -> float:
            return to_seconds(timestamp(item))

        start = lo if since is None else bisect.bisect_left(items, float(since), lo, hi, key=key)
        stop = hi if until is None else bisect.bisect_right(items, float(until), start, hi, key=key)
    return start, max(start, stop)


def scan(
    items: Iterable[Any],
    timestamp: Callable[[Any], Any],
    since: int | None,
    until: int | None,
) -> list[Any]:
    """The items whose timestamps lie in ``[since, until]``, in their order: a linear scan
    for unsorted data (a connection resolver can use it and return the list)."""
    out = []
    for item in items:
        ts = to_seconds(timestamp(item))
        if (since is None or ts >= since) and (until is None or ts <= until):
            out.append(item)
    return out
