"""Shortcode <-> ID conversion and the time bits of media IDs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.instagram.shortcode import (
    ALPHABET,
    id_to_shortcode,
    is_shortcode,
    make_media_id,
    media_id_time,
    shortcode_to_id,
)

KNOWN = [
    ("BiQovLGAWIq", 1770093817144369706),
    ("A", 0),
    ("B", 1),
    ("_", 63),
    ("BA", 64),
]


@pytest.mark.parametrize(("code", "media_id"), KNOWN)
def test_known_pairs(code: str, media_id: int) -> None:
    assert shortcode_to_id(code) == media_id
    assert id_to_shortcode(media_id) == code
    assert id_to_shortcode(str(media_id)) == code


@pytest.mark.parametrize("bad", ["", "abc!", "a b", "ab/c", "é", "A" * 25])
def test_rejects_non_shortcodes(bad: str) -> None:
    assert not is_shortcode(bad)
    with pytest.raises(ValueError):
        shortcode_to_id(bad)


def test_negative_id_rejected() -> None:
    with pytest.raises(ValueError):
        id_to_shortcode(-1)


def test_spec_media_time() -> None:
    t = media_id_time(1770093817144369706)
    stamp = dt.datetime.fromtimestamp(int(t), dt.timezone.utc)
    assert stamp.replace(tzinfo=None).isoformat() == "2018-05-02T03:27:28"


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=2**64))
def test_id_round_trip(n: int) -> None:
    assert shortcode_to_id(id_to_shortcode(n)) == n


@settings(max_examples=200)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=11))
def test_shortcode_round_trip(code: str) -> None:
    canonical = code.lstrip("A") or "A"  # leading "A"s are leading zeros
    assert id_to_shortcode(shortcode_to_id(code)) == canonical


@settings(max_examples=100)
@given(
    st.integers(min_value=1_400_000_000_000, max_value=4_000_000_000_000),
    st.integers(min_value=0, max_value=2**23 - 1),
)
def test_media_id_time_round_trip(ms: int, shard: int) -> None:
    media_id = make_media_id(ms / 1000, shard)
    assert round(media_id_time(media_id) * 1000) == ms
    assert media_id & (2**23 - 1) == shard
