"""A small blog API shared by the framework integration tests: one schema, one data set,
the requests every framework must answer alike, and the framework-free answer
(:func:`expected`) each framework's response is compared with."""

from __future__ import annotations

import json
from typing import Any

from graphfields import (
    ID,
    Connection,
    GraphFieldsError,
    Int,
    ListOf,
    ObjectType,
    Schema,
    String,
    execute,
    field_,
)
from graphfields.web import FieldsParam, error_response

SECRET = "connection to db.internal:5432 refused (password=hunter2)"


def _fail(parent: Any, context: Any) -> Any:
    raise RuntimeError(SECRET)


Author = ObjectType("Author", {"id": ID, "name": String}, description="A writer")
Comment = ObjectType("Comment", {"id": ID, "text": String, "created": Int, "author": Author})
Post = ObjectType("Post", {
    "id": ID,
    "title": field_(String, description="The headline"),
    "tags": ListOf(String),
    "author": Author,
    "comments": Connection(Comment, max_first=50, timestamp_field="created",
                           description="Newest first"),
    "broken": field_(String, resolve=_fail),
}, defaults=("id", "title"))
SCHEMA = Schema([Post, Author, Comment])

ADA = {"id": 1, "name": "Ada"}
POST = {
    "id": 7, "title": "Hello", "tags": ["a", "b"], "author": ADA,
    "comments": [{"id": 30 - i, "text": f"c{i}", "created": 1_560_000_300 - 100 * i,
                  "author": ADA} for i in range(3)],
}

REQUESTS: list[tuple[dict[str, str], int]] = [
    ({}, 200),
    ({"fields": "title,id,author{name}"}, 200),
    ({"fields": "title.as(zz),id"}, 200),  # output keys in the request's order
    ({"fields": "comments.first(2){page_info{has_next_page,end_cursor},edges{node{text}}}"},
     200),
    ({"fields": "comments{edges{node{id}}}", "from_timestamp": "1560000150"}, 200),
    ({"fields": "tittle,author{nme}"}, 400),
    ({"fields": "title,comments{text}"}, 400),
    ({"fields": "id,{"}, 400),
    ({"fields": "comments.first(51)"}, 400),
    ({"fields": "comments", "from_date": "2019-13-01"}, 400),
    ({"fields": "id,broken"}, 500),
]


def fields_param() -> FieldsParam:
    return FieldsParam(SCHEMA, "Post", filters=True)


def expected(query: dict[str, str]) -> tuple[int, Any]:
    """The answer without any framework: the output, or error_response's status and body."""
    try:
        return 200, execute(fields_param().plan(query), POST)
    except GraphFieldsError as exc:
        return error_response(exc)


def check_answer(query: dict[str, str], status: int, text: str) -> None:
    """A framework's response equals the framework-free answer, keys in the same order,
    and a 500 carries no internals."""
    want_status, want = expected(query)
    assert status == want_status
    assert list(json.loads(text).items()) == list(want.items())
    assert json.dumps(json.loads(text)) == json.dumps(want)  # nested key order too
    assert SECRET not in text and "RuntimeError" not in text
    if status == 400:
        issues = json.loads(text)["error"]["errors"]
        assert issues and all({"line", "column"} <= set(i["locations"][0]) for i in issues)
        assert all("suggestions" in i for i in issues)
