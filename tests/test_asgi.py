"""The ASGI adapter, driven directly and through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

import httpx
import pytest

from graphfields.asgi import ASGIApp
from graphfields.http import Request, Response
from graphfields.instagram.app import INTERNAL_ERROR, create_api
from graphfields.instagram.service import NodeNotFound

TOKEN = "tok"


class _Service:
    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str], *, client: str | None = None) -> dict[str, Any]:
        if node_id == "missing":
            raise NodeNotFound(node_id)
        return {"id": node_id, "thread": threading.current_thread().name,
                **({"fields": fields} if fields else {})}

    def close(self) -> None:
        pass


API = create_api(_Service(), tokens=[TOKEN])


Sent = list[dict[str, Any]]


async def _drive(app: ASGIApp, scope: dict[str, Any],
                 incoming: list[dict[str, Any]] | None = None) -> Sent:
    sent: Sent = []
    queue = list(incoming or [{"type": "http.request", "body": b"", "more_body": False}])

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def _scope(path: str, query: bytes = b"", method: str = "GET", **extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                             "method": method, "path": path, "raw_path": path.encode(),
                             "query_string": query, "headers": [], "root_path": ""}
    scope.update(extra)
    return scope


def _unpack(sent: Sent) -> tuple[int, dict[bytes, bytes], Any]:
    start, body = sent
    assert start["type"] == "http.response.start" and body["type"] == "http.response.body"
    headers = dict(start["headers"])
    assert int(headers[b"content-length"]) == len(body["body"])
    return start["status"], headers, json.loads(body["body"])


def test_http_request_runs_in_the_pool() -> None:
    app = ASGIApp(API)
    status, headers, body = _unpack(asyncio.run(_drive(
        app, _scope("/instagram/media/42", b"access_token=tok&fields=id"))))
    assert status == 200
    assert headers[b"content-type"] == b"application/json; charset=utf-8"
    assert body["data"]["thread"].startswith("graphfields-http")
    assert body == {"error": {}, "data": {"id": "42", "thread": body["data"]["thread"],
                                          "fields": "id"}, "status": "ok"}


@pytest.mark.parametrize(
    ("scope_extra", "status"),
    [
        ({"path": "/api/instagram/media/1", "raw_path": b"/api/instagram/media/1",
          "root_path": "/api"}, 200),  # mounted, path kept whole (Starlette >= 0.33, uvicorn)
        ({"path": "/instagram/media/1", "raw_path": b"/api/instagram/media/1",
          "root_path": "/api"}, 200),  # mounted, path already stripped (older servers)
        ({"path": "/apix/instagram/media/1", "raw_path": b"/apix/instagram/media/1",
          "root_path": "/api"}, 404),  # a prefix only when it ends at a segment boundary
        ({"path": "/instagram/media/caf\u00e9", "raw_path": None}, 200),  # no raw_path given
        ({"raw_path": b"/instagram/media/1?x=1"}, 200),
        # absolute-form targets (RFC 9112 3.2.2), which uvicorn passes on unchanged: were 404
        ({"raw_path": b"http://example.com:8000/instagram/media/1"}, 200),
        ({"raw_path": b"HTTPS://example.com/instagram/media/1"}, 200),
        ({"raw_path": b"http://example.com"}, 404),
    ],
)
def test_paths_and_mount_prefixes(scope_extra: dict[str, Any], status: int) -> None:
    scope = _scope("/instagram/media/1", b"access_token=tok")
    scope.update(scope_extra)
    if scope["raw_path"] is None:
        del scope["raw_path"]
    got, _, body = _unpack(asyncio.run(_drive(ASGIApp(API), scope)))
    assert got == status, body


def test_handler_crash_is_a_500_envelope(caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: Request) -> Response:
        raise RuntimeError("secret detail")

    status, _, body = _unpack(asyncio.run(_drive(ASGIApp(broken), _scope("/x"))))
    assert status == 500
    assert body == {"error": {"message": "Internal server error"}}
    assert "secret detail" in caplog.text
    app = ASGIApp(broken, internal_error=INTERNAL_ERROR)  # an API's own form of the 500
    status, _, body = _unpack(asyncio.run(_drive(app, _scope("/x"))))
    assert status == 500
    assert body == {"error": {"message": "Internal server error", "type": "InternalServerError"},
                    "data": {}, "status": "InternalServerError"}


def test_lifespan_runs_hooks_and_stops_the_pool() -> None:
    events: list[str] = []
    app = ASGIApp(API, on_startup=lambda: events.append("up"),
                  on_shutdown=lambda: events.append("down"))
    sent = asyncio.run(_drive(app, {"type": "lifespan", "asgi": {"version": "3.0"}},
                              [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["up", "down"]
    assert app._executor is None


def test_lifespan_failure_is_reported() -> None:
    def fail() -> None:
        raise OSError("cannot open database")

    app = ASGIApp(API, on_startup=fail)
    sent = asyncio.run(_drive(app, {"type": "lifespan"},
                              [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]))
    assert [m["type"] for m in sent] == ["lifespan.startup.failed", "lifespan.shutdown.complete"]
    assert sent[0]["message"] == "OSError"


def test_websocket_is_refused() -> None:
    sent = asyncio.run(_drive(ASGIApp(API), {"type": "websocket", "path": "/"},
                              [{"type": "websocket.connect"}]))
    assert sent == [{"type": "websocket.close", "code": 1003}]


def test_unknown_scope_type_raises() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        asyncio.run(_drive(ASGIApp(API), {"type": "telepathy"}))


def test_a_blocked_handler_does_not_block_the_event_loop() -> None:
    release = threading.Event()

    def handler(request: Request) -> Response:
        if request.path == "/slow":
            assert release.wait(30), "the fast request never got through"
        return API(Request("GET", "/instagram/media/1", b"access_token=tok"))

    async def scenario() -> list[int]:
        app = ASGIApp(handler, max_workers=4)
        order: list[int] = []

        async def one(path: str, tag: int) -> None:
            sent = await _drive(app, _scope(path))
            assert _unpack(sent)[0] == 200
            order.append(tag)
            if tag == 2:
                release.set()

        await asyncio.wait_for(asyncio.gather(one("/slow", 1), one("/fast", 2)), 60)
        return order

    assert asyncio.run(scenario()) == [2, 1]


def test_through_httpx_asgi_transport() -> None:
    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=ASGIApp(API))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.get("/instagram/media/7",
                                 params={"access_token": TOKEN, "fields": "id,owner{id}"}),
                await client.get("/instagram/media/missing", params={"access_token": TOKEN}),
                await client.post("/instagram/media/7", params={"access_token": TOKEN},
                                  content=b"x" * 1000),
                await client.get("/instagram/media/7"),
                await client.get("/nowhere"),
            ]

    ok, missing, post, noauth, nowhere = asyncio.run(scenario())
    assert ok.status_code == 200 and ok.json()["data"]["fields"] == "id,owner{id}"
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "message": "Some nodes you requested cannot be loaded: missing",
        "type": "NodeNotExistsError"}
    assert post.status_code == 405 and post.headers["allow"] == "GET"
    assert noauth.status_code == 403
    assert nowhere.status_code == 404
    for resp in (ok, missing, post, noauth, nowhere):
        assert resp.headers["content-type"] == "application/json; charset=utf-8"


def test_max_workers_zero_answers_on_the_event_loop() -> None:
    """``max_workers=0`` (``serve --threads 0``): the handler and the lifespan hooks run on
    the loop's own thread, answers unchanged."""
    threads: list[str] = []

    def handler(request: Request) -> Response:
        threads.append(threading.current_thread().name)
        return API(request)

    async def scenario() -> tuple[list[dict[str, Any]], str]:
        app = ASGIApp(handler, max_workers=0,
                      on_startup=lambda: threads.append(threading.current_thread().name))
        loop_thread = threading.current_thread().name
        events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        lifespan: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return next(events)

        async def send(message: MutableMapping[str, Any]) -> None:
            lifespan.append(dict(message))

        await app({"type": "lifespan"}, receive, send)
        sent = await _drive(app, _scope("/instagram/media/7", b"access_token=tok"))
        return [*lifespan, *sent], loop_thread

    messages, loop_thread = asyncio.run(scenario())
    assert [m["type"] for m in messages[:2]] == ["lifespan.startup.complete",
                                                 "lifespan.shutdown.complete"]
    assert messages[2]["status"] == 200
    assert threads == [loop_thread, loop_thread]
