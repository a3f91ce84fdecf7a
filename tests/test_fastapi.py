"""graphfields.fastapi through FastAPI's TestClient: sync and async endpoints, 400 and 500,
and the OpenAPI document."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from web_fixtures import POST, REQUESTS, SCHEMA, SECRET, check_answer

from graphfields import (
    ID,
    ObjectType,
    Plan,
    Schema,
    String,
    compile,
    execute,
    execute_async,
    field_,
)
from graphfields.fastapi import Fields, install

post_fields = Fields(SCHEMA, "Post", filters=True)
PostPlan = Annotated[Plan, Depends(post_fields)]
AuthorPlan = Annotated[Plan, Depends(Fields(SCHEMA, "Author", param="select"))]
app = FastAPI()
install(app)


@app.get("/posts/{id}")
def post(id: int, plan: PostPlan) -> Any:
    return execute(plan, POST)


@app.get("/async/posts/{id}")
async def post_async(id: int, plan: PostPlan) -> Any:
    return execute(plan, POST)


@app.get("/authors/{id}")
def author(id: int, plan: AuthorPlan) -> Any:
    return execute(plan, POST["author"])


client = TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/posts/7", "/async/posts/7"])
@pytest.mark.parametrize(("query", "status"), REQUESTS)
def test_answers(path: str, query: dict[str, str], status: int,
                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="graphfields"):
        r = client.get(path, params=query)
    assert r.status_code == status, r.text
    check_answer(query, r.status_code, r.text)
    if status == 500:  # the cause is logged for the server, not sent
        assert SECRET in caplog.text


def test_parameter_name_and_default_are_options() -> None:
    assert client.get("/authors/1", params={"select": "name"}).json() == {"name": "Ada"}
    assert client.get("/authors/1").json() == {"id": "1"}


def _operation(doc: dict[str, Any], path: str) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][path]["get"]
    return op


def test_openapi_documents_the_fields_parameter_and_the_400_body() -> None:
    doc = client.get("/openapi.json").json()
    op = _operation(doc, "/posts/{id}")
    params = {p["name"]: p for p in op["parameters"]}
    fields = params["fields"]
    text = fields["description"]
    assert "comma-separated" in text and "`comments.first(10)" in text
    for line in ["- `title` (String): The headline", "- `tags` ([String])",
                 "- `author` (Author)",
                 "- `comments` (Connection(Comment)): Newest first. Calls: `first(n: 0..50)`"]:
        assert line in text
    assert "Author: `id` (ID), `name` (String)." in text
    (example,) = fields["examples"].values()
    compile(SCHEMA, "Post", example["value"])  # the example is a valid request
    assert example["value"].startswith("id,title,")
    assert {"from_date", "to_date", "from_timestamp", "to_timestamp"} <= set(params)
    assert "yyyy-mm-dd" in params["from_date"]["description"]
    ref = op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[1]
    body = doc["components"]["schemas"][name]
    issue = body["properties"]["error"]["properties"]["errors"]["items"]
    assert {"message", "locations", "position", "suggestions"} <= set(issue["required"])
    # the other type's endpoint documents its own fields under its parameter name
    author_params = {p["name"]: p for p in _operation(doc, "/authors/{id}")["parameters"]}
    assert "Fields of Author (A writer):" in author_params["select"]["description"]
    assert "400" in _operation(doc, "/authors/{id}")["responses"]


def test_400_body_validates_against_its_documented_schema() -> None:
    r = client.get("/posts/7", params={"fields": "tittle"})
    err = r.json()["error"]
    assert err["type"] == "FieldsValidationError"
    assert err["errors"] == [{
        "message": 'Cannot query field "tittle" on type "Post". Did you mean "title"?',
        "locations": [{"line": 1, "column": 1}], "position": 0, "suggestions": ["title"]}]


def test_error_responses_without_install_document_the_body_inline() -> None:
    from graphfields.fastapi import ERROR_RESPONSES

    bare = FastAPI()

    @bare.get("/posts/{id}", responses=ERROR_RESPONSES)
    def bare_post(id: int, plan: PostPlan) -> Any:
        return execute(plan, POST)

    doc = TestClient(bare).get("/openapi.json").json()
    schema = _operation(doc, "/posts/{id}")["responses"]["400"]["content"][
        "application/json"]["schema"]
    assert "errors" in schema["properties"]["error"]["properties"]
    assert "GraphFieldsError" not in doc.get("components", {}).get("schemas", {})


async def _slow_title(post: Any, context: Any) -> str:
    await asyncio.sleep(0)
    return str(post["title"]).upper()


AsyncPost = ObjectType("Post", {"id": ID, "title": field_(String, resolve=_slow_title)})
ASYNC_SCHEMA = Schema([AsyncPost])
AsyncPlan = Annotated[Plan, Depends(Fields(ASYNC_SCHEMA, "Post"))]


@app.get("/awaited/posts/{id}")
async def post_awaited(id: int, plan: AsyncPlan) -> Any:
    return await execute_async(plan, POST)


def test_async_endpoint_with_execute_async() -> None:
    r = client.get("/awaited/posts/7", params={"fields": "title,id"})
    assert (r.status_code, r.text) == (200, '{"title":"HELLO","id":"7"}')
    assert client.get("/awaited/posts/7", params={"fields": "titl"}).status_code == 400
