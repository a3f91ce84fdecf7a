"""The WSGI adapter, called directly and served by wsgiref on loopback."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import setup_testing_defaults

import pytest

from graphfields.http import Request, Response
from graphfields.instagram.app import INTERNAL_ERROR, create_api
from graphfields.wsgi import WSGIApp


class _Service:
    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str], *, client: str | None = None) -> dict[str, Any]:
        return {"id": node_id, **({"fields": fields} if fields else {})}

    def close(self) -> None:
        pass


API = create_api(_Service(), tokens=["tok"])


def call(environ: dict[str, Any], app: WSGIApp | None = None) -> tuple[str, dict[str, str], Any]:
    setup_testing_defaults(environ)
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], object]:
        got["status"], got["headers"] = status, dict(headers)
        return lambda data: None

    body = b"".join((app or WSGIApp(API))(environ, start_response))
    assert int(got["headers"]["content-length"]) == len(body)
    return got["status"], got["headers"], json.loads(body)


@pytest.mark.parametrize(
    ("environ", "status", "data"),
    [
        ({"PATH_INFO": "/instagram/tag/juice", "QUERY_STRING": "access_token=tok&fields=id"},
         "200 OK", {"id": "juice", "fields": "id"}),
        # PEP 3333: PATH_INFO is decoded bytes carried as latin-1
        ({"PATH_INFO": "/instagram/tag/caf\u00c3\u00a9", "QUERY_STRING": "access_token=tok"},
         "200 OK", {"id": "caf\u00e9"}),
        ({"PATH_INFO": "/instagram/tag/a%b", "QUERY_STRING": "access_token=tok"},
         "200 OK", {"id": "a%b"}),
        # A non-conforming server's already decoded text (beyond latin-1) is UTF-8, not a 500
        ({"PATH_INFO": "/instagram/tag/\u20ac", "QUERY_STRING": "access_token=tok"},
         "200 OK", {"id": "\u20ac"}),
        ({"SCRIPT_NAME": "/api", "PATH_INFO": "/instagram/tag/x",
          "QUERY_STRING": "access_token=tok"}, "200 OK", {"id": "x"}),
        ({"PATH_INFO": "/instagram/tag/x", "QUERY_STRING": "access_token=no"},
         "403 Forbidden", {}),
        ({"PATH_INFO": "/instagram/tag/x", "REQUEST_METHOD": "POST"},
         "405 Method Not Allowed", {}),
        ({"PATH_INFO": "/elsewhere"}, "404 Not Found", {}),
    ],
)
def test_direct_calls(environ: dict[str, Any], status: str, data: dict[str, Any]) -> None:
    got_status, headers, body = call(environ)
    assert got_status == status
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body["data"] == data


def test_handler_crash_is_a_500_envelope() -> None:
    def broken(request: Request) -> Response:
        raise RuntimeError("secret")

    status, _, body = call({"PATH_INFO": "/x"}, WSGIApp(broken))
    assert status == "500 Internal Server Error"
    assert body == {"error": {"message": "Internal server error"}}
    status, _, body = call({"PATH_INFO": "/x"}, WSGIApp(broken, internal_error=INTERNAL_ERROR))
    assert status == "500 Internal Server Error"
    assert body["error"] == {"message": "Internal server error", "type": "InternalServerError"}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd: WSGIServer = make_server("127.0.0.1", 0, WSGIApp(API), handler_class=_QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def test_served_by_wsgiref(server: str) -> None:
    url = f"{server}/instagram/tag/caf%C3%A9?access_token=tok&fields=id%2Cmedia.first(1)%7Bid%7D"
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["content-type"] == "application/json; charset=utf-8"
        assert json.loads(resp.read())["data"] == {"id": "café", "fields": "id,media.first(1){id}"}
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{server}/instagram/tag/x", timeout=10)
    assert info.value.code == 403
    assert json.loads(info.value.read())["status"] == "AuthenticationError"
