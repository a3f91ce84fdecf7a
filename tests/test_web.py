"""graphfields.web, what the framework integrations share: the fields parameter's options,
and the description and example every type of a schema gets."""

from __future__ import annotations

import pytest
from example_schema import schema
from web_fixtures import SCHEMA

from graphfields import (
    FieldsSyntaxError,
    LimitExceededError,
    Limits,
    Schema,
    SchemaError,
    compile,
)
from graphfields.instagram.schema import SCHEMA as INSTAGRAM
from graphfields.web import FieldsParam, describe, example


def test_absent_or_empty_fields_give_the_default() -> None:
    param = FieldsParam(SCHEMA, "Post")
    assert param.default == "id,title"  # the type's defaults
    assert param.plan({}).text == param.plan({"fields": ""}).text == "id,title"
    assert FieldsParam(SCHEMA, "Post", default="tags").plan({}).text == "tags"
    assert FieldsParam(SCHEMA, "Post", param="f").plan({"f": "id", "fields": "x"}).text == "id"


def test_filters_are_read_only_when_asked_for() -> None:
    text = "comments{edges{node{id}}}"
    query = {"fields": text, "from_timestamp": "5", "to_timestamp": "1"}  # an empty range
    FieldsParam(SCHEMA, "Post").plan(query)  # ignored
    FieldsParam(SCHEMA, "Post", filters=["from_timestamp"]).plan(query)  # one of them
    with pytest.raises(ValueError, match="Invalid date range"):
        FieldsParam(SCHEMA, "Post", filters=True).plan(query)


def test_limits_apply() -> None:
    param = FieldsParam(SCHEMA, "Post", limits=Limits(max_depth=1))
    with pytest.raises(LimitExceededError):
        param.plan({"fields": "comments{edges{node{id}}}"})


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"type": "Nope"}, SchemaError, 'Unknown type "Nope"'),
    ({"type": "Post", "filters": ["since"]}, ValueError, "unknown filter 'since'"),
    ({"type": "Author", "filters": True}, SchemaError, "no connection with a timestamp_field"),
    ({"type": "Post", "default": "id,{"}, FieldsSyntaxError, "field name"),
])
def test_mistakes_in_the_declaration_fail_at_once(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        FieldsParam(SCHEMA, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("s", [schema, INSTAGRAM, SCHEMA], ids=["example", "instagram", "blog"])
def test_every_type_gets_a_valid_example_and_a_description_of_each_field(s: Schema) -> None:
    for name in s.types:
        compile(s, name, example(s, name))
        text = describe(s, name)
        for field in s.fields_of(name):
            assert f"- `{field}` (" in text
