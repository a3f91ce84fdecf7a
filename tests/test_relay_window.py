"""relay: cursors, the window, slice_page; differential against graphql-relay."""

from __future__ import annotations

from typing import Any

import pytest
from graphql_relay import connection_from_array
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.relay import Page, cursor, decode_cursor, encode_cursor, slice_page, window


def test_cursor_form() -> None:
    assert encode_cursor(2) == "YXJyYXljb25uZWN0aW9uOjI="
    assert cursor(2) == encode_cursor(2)
    assert decode_cursor("YXJyYXljb25uZWN0aW9uOjI=") == 2
    assert decode_cursor("not a cursor") is None


@st.composite
def _case(draw: Any) -> tuple[int, int | None, int | None, int | None, int | None]:
    n = draw(st.integers(0, 25))
    size = st.none() | st.integers(0, n + 3)
    offset = st.none() | st.integers(0, max(n - 1, 0)) if n else st.none()
    return n, draw(size), draw(size), draw(offset), draw(offset)


@settings(max_examples=300, deadline=None)
@given(_case())
def test_slice_page_matches_graphql_relay(
    case: tuple[int, int | None, int | None, int | None, int | None],
) -> None:
    n, first, last, after, before = case
    data = [f"n{i}" for i in range(n)]
    args: dict[str, Any] = {}
    if first is not None:
        args["first"] = first
    if last is not None:
        args["last"] = last
    if after is not None:
        args["after"] = encode_cursor(after)
    if before is not None:
        args["before"] = encode_cursor(before)
    expected = connection_from_array(data, args)
    page = slice_page(data, first, last, after, before)
    got = [(node, cursor(page.offset + i)) for i, node in enumerate(page.nodes)]
    assert got == [(e.node, e.cursor) for e in expected.edges]
    # Our flags are exact, whatever the direction of paging.
    start, end = window(n, first, last, after, before)
    assert page.offset == start
    assert page.has_previous_page == (start > 0)
    assert page.has_next_page == (end < n)
    if page.nodes:
        assert page.nodes[0] == data[start]


@pytest.mark.parametrize(
    ("n", "first", "last", "after", "before", "expected"),
    [
        (10, 3, None, None, None, (0, 3)),
        (10, 3, None, 2, None, (3, 6)),
        (10, None, 3, None, 9, (6, 9)),
        (10, None, None, 20, None, (10, 10)),  # past the end: empty page
        (10, 2, 1, None, None, (1, 2)),
        (10, None, None, 5, 3, (6, 6)),  # before <= after: empty
        (0, 5, None, None, None, (0, 0)),
    ],
)
def test_window_table(
    n: int,
    first: int | None,
    last: int | None,
    after: int | None,
    before: int | None,
    expected: tuple[int, int],
) -> None:
    assert window(n, first, last, after, before) == expected


def test_past_the_end_is_empty_with_previous_flag() -> None:
    page = slice_page(list(range(5)), first=3, after=10)
    assert page == Page([], 5, False, True)


class _Counting:
    """A sequence that counts item reads: slicing must be O(page)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reads = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        self.reads += 1
        return i


def test_generic_sequence_reads_only_the_page() -> None:
    seq = _Counting(1_000_000)
    page = slice_page(seq, first=10, after=499_999)  # type: ignore[arg-type]
    assert list(page.nodes) == list(range(500_000, 500_010))
    assert seq.reads == 10
    assert page.has_next_page and page.has_previous_page


def test_window_within_a_filtered_run() -> None:
    data = list(range(100))
    page = slice_page(data, first=3, after=1, lo=40, hi=50)
    assert list(page.nodes) == [42, 43, 44]
    assert page.offset == 2
    assert page.has_next_page and page.has_previous_page
    last = slice_page(data, last=2, lo=40, hi=50)
    assert list(last.nodes) == [48, 49] and not last.has_next_page


def _strict_decode(text: str) -> int | None:
    """A cursor's offset by the book: strict base64, the prefix, ASCII digits, and the
    canonical spelling only (what graphql-relay's cursors are)."""
    import base64
    import binascii

    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    digits = raw.removeprefix("arrayconnection:")
    if digits == raw or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(digits) if base64.b64encode(raw.encode()).decode() == text and str(
        int(digits)) == digits else None


_near_cursors = st.one_of(
    st.integers(-5, 10**19).map(lambda n: encode_cursor(n) if n >= 0 else str(n)),
    st.builds(lambda n, i, ch: (lambda c: c[:i] + ch + c[i + 1:])(encode_cursor(n)),
              st.integers(0, 10**6), st.integers(0, 30), st.sampled_from(list("=A/+ \n\x00é"))),
    st.text(max_size=40),
    st.integers(0, 10**6).map(lambda n: __import__("base64").b64encode(
        f"arrayconnection:0{n}".encode()).decode()),
)


@settings(max_examples=600, deadline=None)
@given(_near_cursors)
def test_decode_cursor_reads_exactly_the_canonical_cursors(text: str) -> None:
    got = decode_cursor(text)
    assert got == _strict_decode(text)
    if got is not None:
        assert encode_cursor(got) == text
