"""The error tree: client errors (RequestError) apart from server errors (ExecutionError),
and the JSON form meant for clients (``formatted``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from example_schema import schema

import graphfields
from graphfields import (
    ExecutionError,
    FieldsSyntaxError,
    FieldsValidationError,
    GraphFieldsError,
    LimitExceededError,
    Limits,
    ParseLimits,
    RequestError,
    SchemaError,
    compile,
    execute,
    field_,
    parse,
)

ISSUE_KEYS = {"message", "locations", "position", "suggestions"}


def _raise(make: Any) -> GraphFieldsError:
    with pytest.raises(GraphFieldsError) as info:
        make()
    return info.value


REQUEST_ERRORS = [
    # (what the client sent, expected class, first issue's message start, suggestions)
    (lambda: parse("a,,b"), FieldsSyntaxError, "Empty field name", []),
    (lambda: parse("a{b{c}}", limits=ParseLimits(max_depth=1)), LimitExceededError, "", []),
    (lambda: compile(schema, "Media", "id_"), FieldsValidationError,
     'Cannot query field "id_" on type "Media".', ["id"]),
    (lambda: compile(schema, "Media", 'comments.after("!!")'), FieldsValidationError, "", []),
    (lambda: compile(schema, "Media", "comments.from_date(2019-13-01)"),
     FieldsValidationError, "", []),
    (lambda: compile(schema, "User", "id", filters={"from_date": "2019-13-01"}),
     FieldsValidationError, "Invalid value for from_date", []),
    (lambda: compile(schema, "Media", "comments.first(100){edges{node{id}}}",
                     limits=Limits(max_nodes=10)), LimitExceededError, "", []),
]


@pytest.mark.parametrize(("make", "cls", "start", "suggestions"), REQUEST_ERRORS)
def test_request_errors_share_one_base_and_one_client_shape(
    make: Any, cls: type[Exception], start: str, suggestions: list[str]
) -> None:
    err = _raise(make)
    assert type(err) is cls
    assert isinstance(err, RequestError) and isinstance(err, ValueError)
    assert not isinstance(err, ExecutionError)
    body = err.formatted
    json.dumps(body)
    assert body["type"] == cls.__name__
    assert body["message"] == err.message
    assert body["errors"], body
    for issue in body["errors"]:
        assert set(issue) == ISSUE_KEYS
        (loc,) = issue["locations"]
        assert set(loc) == {"line", "column"}
    assert body["errors"][0]["message"].startswith(start)
    assert body["errors"][0]["suggestions"] == suggestions


def test_syntax_and_limit_errors_keep_their_own_attributes_in_the_body() -> None:
    syntax = _raise(lambda: parse("a{b"))
    assert isinstance(syntax, FieldsSyntaxError)
    assert syntax.formatted["expected"] == list(syntax.expected)
    limit = _raise(lambda: parse("a" * 20, limits=ParseLimits(max_length=5)))
    assert isinstance(limit, LimitExceededError)
    assert limit.formatted["limit"] == limit.limit == "max_length"


def test_schema_error_is_neither_a_request_error_nor_an_execution_error() -> None:
    err = _raise(lambda: compile(schema, "Nope", "id"))
    assert isinstance(err, SchemaError)
    assert not isinstance(err, RequestError | ExecutionError)


SECRET = "password=hunter2 at db.internal:5432"


def _fail(parent: Any, context: Any) -> Any:
    raise RuntimeError(SECRET)


def test_execution_error_client_form_has_the_path_but_not_the_cause() -> None:
    Thing = graphfields.ObjectType("Thing", {
        "id": graphfields.ID, "bad": field_(graphfields.String, resolve=_fail)})
    plan = compile(graphfields.Schema([Thing]), "Thing", "id,bad.as(worse)")
    err = _raise(lambda: execute(plan, {"id": 1}))
    assert isinstance(err, ExecutionError) and not isinstance(err, RequestError)
    assert err.path == "worse"
    assert SECRET in str(err)  # for the server's log
    body = err.formatted
    assert body == {"message": "Error resolving worse", "type": "ExecutionError",
                    "path": "worse"}
    assert SECRET not in json.dumps(body) and "RuntimeError" not in json.dumps(body)
