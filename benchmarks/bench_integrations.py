"""What the framework integrations cost per request, in-process through each framework's
test client: the graphfields integration (``Fields`` dependency / decorator, error
handlers installed) against a hand-written endpoint doing the same work (read the query
parameter, ``compile``, ``execute``) and against an endpoint returning a ready answer (the
framework's own floor). Requests page through 200 comments with 150 different cursors in
turn (each compiled once, then cached: both contenders share the plan cache, so the figure
is the integration's own cost, not compiling's).

No ``from __future__ import annotations`` here: FastAPI resolves the endpoints'
annotations at run time, and they name local variables.
"""

import warnings
from typing import Annotated, Any

from benchmarks._timing import interleaved_medians
from graphfields import ID, Connection, Int, ObjectType, Plan, Schema, String, compile, execute
from graphfields.relay import encode_cursor

Comment = ObjectType("Comment", {"id": ID, "text": String, "created": Int})
Post = ObjectType("Post", {"id": ID, "title": String,
                           "comments": Connection(Comment, max_first=50)})
SCHEMA = Schema([Post, Comment])
POST = {"id": 1, "title": "Hello", "comments": [
    {"id": i, "text": f"comment {i}", "created": 1_560_000_000 - i} for i in range(200)]}
QUERIES = [{"fields": f'id,title,comments.first(10).after("{encode_cursor(i)}")'
                      "{page_info{has_next_page,end_cursor},edges{node{id,text}}}"}
           for i in range(150)]
READY = execute(compile(SCHEMA, "Post", QUERIES[0]["fields"]), POST)


def _fastapi() -> dict[str, Any]:
    from fastapi import Depends, FastAPI, Query
    from fastapi.testclient import TestClient

    from graphfields.fastapi import Fields, install

    app = FastAPI()
    install(app)
    plan_of = Fields(SCHEMA, "Post")

    @app.get("/gf")
    def gf(plan: Annotated[Plan, Depends(plan_of)]) -> Any:
        return execute(plan, POST)

    @app.get("/hand")
    def hand(fields: Annotated[str, Query()]) -> Any:
        return execute(compile(SCHEMA, "Post", fields), POST)

    @app.get("/ready")
    def ready(fields: Annotated[str, Query()]) -> Any:
        return READY

    client = TestClient(app)
    return {name: client for name in ("gf", "hand", "ready")}


def _flask() -> dict[str, Any]:
    from flask import Flask, request

    from graphfields.flask import Fields, install, json_response

    app = Flask(__name__)
    install(app)
    plan_of = Fields(SCHEMA, "Post")

    @app.get("/gf")
    @plan_of.view
    def gf(plan: Plan) -> Any:
        return json_response(execute(plan, POST))

    @app.get("/hand")
    def hand() -> Any:
        return json_response(execute(compile(SCHEMA, "Post", request.args["fields"]), POST))

    @app.get("/ready")
    def ready() -> Any:
        return json_response(READY)

    client = app.test_client()
    return {name: client for name in ("gf", "hand", "ready")}


def _run(title: str, clients: dict[str, Any]) -> None:
    counter = {"i": 0}

    def request(path: str, client: Any) -> Any:
        def one() -> None:
            query = QUERIES[counter["i"] % len(QUERIES)]
            counter["i"] += 1
            r = client.get(path, **({"params": query} if hasattr(client, "base_url")
                                    else {"query_string": query}))
            assert r.status_code == 200

        return one

    contenders = {f"/{name}": request(f"/{name}", c) for name, c in clients.items()}
    for fn in contenders.values():
        fn()
    medians = interleaved_medians(contenders, rounds=9, number=40)
    gf, hand, ready = medians["/gf"], medians["/hand"], medians["/ready"]
    print(f"{title}: graphfields integration {gf * 1e6:7.0f} us/request, hand-written "
          f"{hand * 1e6:7.0f} us ({gf / hand:.2f}x), ready answer {ready * 1e6:7.0f} us; "
          f"integration overhead {(gf - hand) * 1e6:+.0f} us")


def main() -> None:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    _run("FastAPI (TestClient)", _fastapi())
    _run("Flask (test client)", _flask())


if __name__ == "__main__":
    main()
