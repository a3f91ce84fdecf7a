"""graphfields.flask through Flask's test client: the decorator and the helper, 400, 500,
and the request's key order kept (Flask sorts keys by default)."""

from __future__ import annotations

import pytest
from flask import Flask, Response, jsonify
from web_fixtures import POST, REQUESTS, SCHEMA, check_answer

from graphfields import Plan, execute
from graphfields.flask import Fields, install, json_response

app = Flask(__name__)
install(app)
post_fields = Fields(SCHEMA, "Post", filters=True)


@app.get("/posts/<int:id>")
@post_fields.view
def post(id: int, plan: Plan) -> Response:
    return json_response(execute(plan, POST))


@app.get("/async/posts/<int:id>")
@post_fields.view
async def post_async(id: int, plan: Plan) -> Response:
    return json_response(execute(plan, POST))


@app.get("/helper/posts/<int:id>")
def post_helper(id: int) -> Response:
    return json_response(execute(post_fields(), POST))


@app.get("/jsonify/posts/<int:id>")
def post_jsonify(id: int) -> Response:
    return jsonify(execute(post_fields(), POST))


@pytest.mark.parametrize("path", ["/posts/7", "/async/posts/7", "/helper/posts/7"])
@pytest.mark.parametrize(("query", "status"), REQUESTS)
def test_answers(path: str, query: dict[str, str], status: int) -> None:
    r = app.test_client().get(path, query_string=query)
    assert r.status_code == status, r.text
    assert r.mimetype == "application/json"
    check_answer(query, r.status_code, r.text)


def test_jsonify_would_sort_the_keys() -> None:
    """Why json_response exists: the same output through jsonify loses the order."""
    query = {"fields": "title,id,author{name}"}
    plain = app.test_client().get("/jsonify/posts/7", query_string=query).text
    ours = app.test_client().get("/posts/7", query_string=query).text
    assert plain.index('"author"') < plain.index('"id"') < plain.index('"title"')
    assert ours.index('"title"') < ours.index('"id"') < ours.index('"author"')
