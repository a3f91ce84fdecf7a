"""filters: timestamp conversion, bisect bounds on sorted data, scan on unsorted data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.filters import bounds, scan, to_seconds

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1560426817, 1560426817),
        (1.5, 1.5),
        (dt.datetime(2019, 6, 13, 11, 53, 37), 1560426817),
        (
            dt.datetime(2019, 6, 13, 13, 53, 37, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            1560426817,
        ),
        (dt.date(1970, 1, 2), 86400),
    ],
)
def test_to_seconds(value: Any, expected: float) -> None:
    assert to_seconds(value) == expected


def test_to_seconds_rejects_garbage() -> None:
    with pytest.raises(TypeError):
        to_seconds("2019-01-01")
    with pytest.raises(TypeError):
        to_seconds(True)


_bound = st.none() | st.integers(-5, 60)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=40), _bound, _bound, st.booleans(), st.booleans())
def test_bounds_equal_a_scan(
    stamps: list[int], since: int | None, until: int | None, descending: bool, as_dt: bool
) -> None:
    stamps.sort(reverse=descending)
    items: list[dict[str, Any]] = [
        {"t": dt.datetime.fromtimestamp(s, UTC) if as_dt else s, "i": i}
        for i, s in enumerate(stamps)
    ]
    start, stop = bounds(items, lambda n: n["t"], since, until, descending=descending)
    assert items[start:stop] == scan(items, lambda n: n["t"], since, until)


class _Lazy:
    """A sorted sequence of a million items that counts timestamp reads."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reads = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        self.reads += 1
        return 2_000_000_000 - i  # newest first


def test_bounds_is_a_bisect() -> None:
    seq = _Lazy(1_000_000)
    start, stop = bounds(seq, lambda ts: ts, 1_999_500_000, 1_999_600_000)  # type: ignore[arg-type]
    assert (start, stop) == (400_000, 500_001)
    assert seq.reads <= 2 * 21


def test_no_bounds_is_everything() -> None:
    assert bounds([3, 2, 1], lambda x: x, None, None) == (0, 3)
    s, e = bounds([3, 2, 1], lambda x: x, 5, 1)
    assert s == e
