"""graphfields.starlette through Starlette's TestClient: a plain route, 400 and 500."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from web_fixtures import POST, REQUESTS, SCHEMA, check_answer

from graphfields import execute
from graphfields.starlette import EXCEPTION_HANDLERS, Fields, install

post_fields = Fields(SCHEMA, "Post", filters=True)


async def post(request: Request) -> JSONResponse:
    return JSONResponse(execute(post_fields(request), POST))


def sync_post(request: Request) -> JSONResponse:
    return JSONResponse(execute(post_fields(request), POST))


routes = [Route("/posts/{id:int}", post), Route("/sync/posts/{id:int}", sync_post)]
installed = Starlette(routes=routes)
install(installed)
APPS = {"install": installed,
        "handlers": Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS)}


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("path", ["/posts/7", "/sync/posts/7"])
@pytest.mark.parametrize(("query", "status"), REQUESTS)
def test_answers(app: str, path: str, query: dict[str, str], status: int) -> None:
    r = TestClient(APPS[app], raise_server_exceptions=False).get(path, params=query)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    check_answer(query, r.status_code, r.text)
