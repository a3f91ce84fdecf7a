"""Scalar serialization: Datetime's fast path for UNIX seconds equals the general one."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from graphfields import Datetime

assert Datetime.serialize is not None
serialize = Datetime.serialize


def _via_datetime(seconds: int) -> str:
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds")


@given(st.integers(min_value=-62_135_596_800, max_value=253_402_300_799))
def test_unix_seconds_format_like_datetime(seconds: int) -> None:
    assert serialize(seconds) == _via_datetime(seconds)


def test_examples() -> None:
    assert serialize(1525231648) == "2018-05-02T03:27:28"  # the spec's media
    assert serialize(0) == "1970-01-01T00:00:00"
    assert serialize(253_402_300_799) == "9999-12-31T23:59:59"
    assert serialize(1525231648.9) == "2018-05-02T03:27:28"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    # An aware datetime is converted to UTC and says so (issue 7: it lost its offset).
    assert serialize(dt.datetime(2018, 5, 2, 5, 27, 28, tzinfo=plus_two)) == "2018-05-02T03:27:28Z"
    assert serialize(dt.date(2018, 5, 2)) == "2018-05-02"
    assert serialize("2018-05-02T03:27:28") == "2018-05-02T03:27:28"


_STAMPS = st.lists(st.integers(min_value=-62_135_596_800, max_value=253_402_300_799), max_size=8)


@given(_STAMPS)
def test_generated_code_formats_seconds_like_the_serializer(stamps: list[int]) -> None:
    """The generated code's inline formatting (dates remembered per day, the time of day
    from tables) against the serializer, over the fast range and before it (negative seconds)."""
    from plan_builder import run_generated

    from graphfields import ObjectType, Schema, compile, field_
    from graphfields.schema import ListOf

    item = ObjectType("Item", {"at": field_(Datetime, source="t")}, defaults=["at"])
    root = ObjectType("Root", {"items": field_(ListOf(item))}, defaults=["items"])
    plan = compile(Schema([root, item]), "Root", "items{at}")
    data = {"items": [{"t": s} for s in stamps]}
    assert run_generated(plan, data) == {"items": [{"at": serialize(s)} for s in stamps]}


def test_remembered_dates_are_bounded() -> None:
    from graphfields import scalars

    days = range(0, 10_000 * 86_400, 86_400 + 1)  # 10,000 days, each a second later
    assert [serialize(s) for s in days] == [_via_datetime(s) for s in days]
    assert 0 < len(scalars.DATES) <= 4096
