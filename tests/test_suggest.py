"""The suggestion engine: exact cases, properties, and agreement with graphql-core."""

from __future__ import annotations

import pytest
from graphql.pyutils import suggestion_list
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.suggest import MAX_SUGGESTIONS, did_you_mean, distance, quoted_list, suggestions

MEDIA_FIELDS = [
    "id", "shortcode", "created_time", "timestamp", "media_type", "media_url", "caption",
    "tagged_user_media", "tagged_user_text", "tags", "like_count", "comment_count",
    "video_view_count", "owner_id", "location_id", "last_update", "is_being_updated",
    "location", "owner", "comments",
]


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("id_", MEDIA_FIELDS, ["id"]),
        ("ID", MEDIA_FIELDS, ["id"]),
        ("captoin", MEDIA_FIELDS, ["caption"]),
        ("owner_name", MEDIA_FIELDS, ["owner_id", "owner"]),
        ("comment", MEDIA_FIELDS, ["comments"]),
        ("tag", MEDIA_FIELDS, ["tags"]),
        ("xyzzy", MEDIA_FIELDS, []),
        ("frist", ["first", "last", "after", "before"], ["first", "last"]),
        ("frist", ["after", "before"], []),
        ("edge", ["page_info", "edges"], ["edges"]),
        ("a", ["a10", "a2", "b", "A"], ["A", "a2", "b"]),
        ("x1", ["x10", "x2", "x1_"], ["x1_", "x2", "x10"]),
        ("", ["a", "bb"], ["a"]),
    ],
)
def test_suggestions_cases(name: str, options: list[str], expected: list[str]) -> None:
    assert suggestions(name, options) == expected


def test_at_most_five_closest_first() -> None:
    options = ["ab", "abc", "abd", "abe", "abf", "abg", "abh", "xbc"]
    got = suggestions("abc", options)
    assert len(got) == MAX_SUGGESTIONS
    assert got[0] == "abc"
    assert got[1:] == ["ab", "abd", "abe", "abf"]


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("", "", 0), ("a", "", 1), ("abc", "abc", 0),  ("ab", "ba", 1),
        ("kitten", "sitting", 3), ("ca", "abc", 3), ("Id", "Xd", 1), ("Id", "ix_", 2),
    ],
)
def test_distance(a: str, b: str, d: int) -> None:
    assert distance(a, b) == d
    assert distance(b, a) == d
    assert distance(a, b, d) == d
    if d > 0:
        assert distance(a, b, d - 1) is None


@pytest.mark.parametrize(
    ("names", "text"),
    [
        ([], ""),
        (["id"], ' Did you mean "id"?'),
        (["a", "b"], ' Did you mean "a" or "b"?'),
        (["a", "b", "c"], ' Did you mean "a", "b", or "c"?'),
        (["a", "b", "c", "d", "e", "f"], ' Did you mean "a", "b", "c", "d", or "e"?'),
    ],
)
def test_did_you_mean(names: list[str], text: str) -> None:
    assert did_you_mean(names) == text


def test_case_only_difference_counts_as_one_edit() -> None:
    assert distance("abc", "ABC") == 1
    assert distance("Id", "id_") == 1  # compared lower-case: one insertion
    assert suggestions("USERNAME", ["user", "username"]) == ["username", "user"]


def test_quoted_list() -> None:
    assert quoted_list(["x"]) == '"x"'
    assert quoted_list([]) == ""


_names = st.text(alphabet="abcdeABE_1029", max_size=8)


@settings(max_examples=300, deadline=None)
@given(name=_names, options=st.lists(_names, max_size=12, unique=True))
def test_same_choice_and_order_as_graphql_core(name: str, options: list[str]) -> None:
    assert suggestions(name, options) == suggestion_list(name, options)[:MAX_SUGGESTIONS]


@settings(max_examples=200, deadline=None)
@given(a=_names, b=_names, c=_names)
def test_distance_is_a_symmetric_bounded_measure(a: str, b: str, c: str) -> None:
    dab = distance(a, b)
    assert dab is not None
    assert dab == distance(b, a)
    assert (dab == 0) == (a == b)
    assert dab <= max(len(a), len(b))
    assert abs(len(a) - len(b)) <= dab or a.lower() == b.lower()
