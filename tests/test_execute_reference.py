"""The reference interpreter on hand-built plans: the semantics execute() must match."""

from __future__ import annotations

from typing import Any

import pytest
from exec_fixtures import BASE, User, make_user
from plan_builder import build

from graphfields.errors import ExecutionError
from graphfields.execution.interpret import interpret
from graphfields.relay import encode_cursor
from graphfields.schema import ConnectionArgs


def test_scalars_aliases_order_and_serializers() -> None:
    plan = build(User, ["username", "ident:id", "best_friend", "friends"])
    out = interpret(plan, make_user())
    assert list(out) == ["username", "ident", "best_friend", "friends"]
    assert out["ident"] == "42"  # ID serialized to str
    assert out["best_friend"] is None
    assert out["friends"] == [{"id": "100"}, {"id": "101"}, {"id": "102"}]


def test_connection_page_and_cursors() -> None:
    spec: list[Any] = [
        (
            "media",
            ConnectionArgs(first=2, after=0),
            [
                ("page_info", ["has_next_page", "has_previous_page", "start_cursor", "end_cursor"]),
                ("edges", ["cursor", ("node", ["id", "created_time", "tags"])]),
            ],
        )
    ]
    out = interpret(build(User, spec), make_user())
    media = out["media"]
    assert media["page_info"] == {
        "has_next_page": True,
        "has_previous_page": True,
        "start_cursor": encode_cursor(1),
        "end_cursor": encode_cursor(2),
    }
    assert [e["cursor"] for e in media["edges"]] == [encode_cursor(1), encode_cursor(2)]
    assert media["edges"][0]["node"] == {
        "id": "1001",
        "created_time": "2019-06-08T12:20:00",
        "tags": ["a", "b"],
    }


def test_date_filter_counts_cursors_within_filtered_collection() -> None:
    args = ConnectionArgs(first=10, since=BASE - 3 * 3600, until=BASE - 1 * 3600)
    spec: list[Any] = [("media", args, [("edges", ["cursor", ("node", ["id"])])])]
    out = interpret(build(User, spec), make_user())
    edges = out["media"]["edges"]
    assert [e["node"]["id"] for e in edges] == ["1001", "1002", "1003"]
    assert edges[0]["cursor"] == encode_cursor(0)


def test_resolver_error_has_path() -> None:
    user = make_user()
    user["media"][1]["owner"] = _Raises()
    plan = build(
        User, [("media", ConnectionArgs(first=3), [("edges", [("node", [("owner", ["id"])])])])]
    )
    with pytest.raises(ExecutionError) as info:
        interpret(plan, user)
    assert info.value.path == "media.edges[1].node.owner.id"
    assert isinstance(info.value.__cause__, RuntimeError)


class _Raises:
    @property
    def id(self) -> str:
        raise RuntimeError("nope")
