"""Date and timestamp range filters on a connection's timestamp field.

Validation turns ``from_date``/``to_date``/``from_timestamp``/``to_timestamp`` into
inclusive UNIX-second bounds (``ConnectionArgs.since``/``until``). The executor applies
them to a sequence *before* slicing it, so cursors count within the filtered collection.

The collection must be sorted by its timestamp field in the connection's direction
(``Connection.descending``, newest first by default). Then the filtered collection is a
contiguous run of the sequence, found by two binary searches: O(log n) timestamp reads
through a lazy key function, no key list is built and nothing is copied. The executor
checks what it can check cheaply (the collection's two ends and the items on both sides
of each boundary it found are in the declared order): data found out of order is an
``ExecutionError`` naming the connection, never silently wrong rows. Order that those
checks cannot see is not detected; unsorted data should be sorted first, or filtered
with :func:`scan` by a connection resolver that returns a
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
    checked: str | None = None,
) -> tuple[int, int]:
    """The ``[start, stop)`` run of sorted ``items[lo:hi]`` whose timestamps lie in
    ``[since, until]`` (either bound may be ``None``). ``timestamp(item)`` reads one
    item's timestamp; it is called O(log n) times.

    With ``checked`` (the timestamp field's name), the ends of the collection and the
    items beside both boundaries are checked against the order; a ``ValueError`` says
    the data is not sorted as declared."""
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
    stop = max(start, stop)
    if checked is not None and hi - lo > 1:
        _check_order(items, key, lo, hi, start, stop, since, until, descending, checked)
    return start, stop


def _check_order(items: Sequence[Any], key: Callable[[Any], float], lo: int, hi: int,
                 start: int, stop: int, since: int | None, until: int | None,
                 descending: bool, name: str) -> None:
    """Raise if the ends or the boundaries of a found run contradict the order."""
    first, last = key(items[lo]), key(items[hi - 1])
    problem = first > last
    if not problem:
        # the run's bounds in key space (keys ascend: descending data has negated keys)
        lo_b, hi_b = (until, since) if descending else (since, until)
        sign = -1.0 if descending else 1.0
        low = None if lo_b is None else sign * lo_b
        high = None if hi_b is None else sign * hi_b
        for i in {start - 1, start, stop - 1, stop}:
            if lo <= i < hi:
                k = key(items[i])
                inside = start <= i < stop
                fits = (low is None or k >= low) and (high is None or k <= high)
                if inside != fits:
                    problem = True
                    break
    if problem:
        order = "newest first" if descending else "oldest first"
        raise ValueError(
            f'the collection is not sorted by "{name}" ({order}) as the connection '
            "declares, so its date filters cannot apply: sort it, declare "
            "Connection(descending=...) to match, or filter it in a resolver "
            "(graphfields.filters.scan)")


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
