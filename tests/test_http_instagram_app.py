"""The Instagram app over a fake service: routes, the envelope and every error type, the
order of checks, and what reaches the service."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields.errors import (
    ExecutionError,
    FieldsSyntaxError,
    FieldsValidationError,
    LimitExceededError,
    SchemaError,
    ValidationIssue,
)
from graphfields.http import JSON_CONTENT_TYPE, Request, Response
from graphfields.instagram.app import Api, create_api, create_asgi_app
from graphfields.instagram.service import (
    SPEC_DATASET,
    NodeLoading,
    NodeNotFound,
    create_service,
)

TOKEN = "s3cret-T"


class FakeService:
    """Records calls; node ids choose the outcome."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, dict[str, str]]] = []
        self.clients: list[str | None] = []
        self.closed = 0

    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str], *, client: str | None = None) -> dict[str, Any]:
        self.calls.append((node_type, node_id, fields, dict(filters)))
        self.clients.append(client)
        if node_id == "loading":
            raise NodeLoading("12345")
        if node_id == "gone":
            raise NodeNotFound("1690")
        if node_id == "invalid":
            raise FieldsValidationError([ValidationIssue(
                'Cannot query field "id_" on type "Media". Did you mean "id"?', 0, 1, 1)], "id_")
        if node_id == "syntax":
            raise FieldsSyntaxError("Expected a field name", "id,,x", 3, ("a field name",))
        if node_id == "limit":
            raise LimitExceededError("The selection is too deep (limit 10)", "a{b}", 2, "depth")
        if node_id == "bug":
            raise ZeroDivisionError
        if node_id == "boom":
            raise RuntimeError("database is on fire: /secret/path")
        if node_id == "exec":
            raise ExecutionError("owner", KeyError("x"))
        if node_id == "schema":
            raise SchemaError("a bug in the schema")
        if node_id == "plainvalue":
            raise ValueError("not a graphfields error: a bug")
        if node_id == "unencodable":
            return {"x": object()}
        return {"id": node_id}

    def close(self) -> None:
        self.closed += 1


def call(path: str, params: dict[str, str] | None = None, token: str | None = TOKEN,
         method: str = "GET", query: str | bytes | None = None) -> tuple[Response, FakeService]:
    """``query`` (raw) replaces ``params`` and ``token``."""
    service = FakeService()
    params = dict(params or {})
    if token is not None:
        params["access_token"] = token
    raw = urlencode(params) if query is None else query
    return create_api(service, tokens=[TOKEN, "second"])(Request(method, path, raw)), service


def error_body(kind: str, message: str, status: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, **extra}, "data": {},
            "status": status or kind}


def test_ok_envelope_shape_and_headers() -> None:
    resp, service = call("/instagram/user/abc", {"fields": "id,name", "from_date": "2019-01-01"})
    assert resp.status == 200
    assert resp.body == b'{"error":{},"data":{"id":"abc"},"status":"ok"}'
    headers = dict(resp.headers)
    assert headers["content-type"] == JSON_CONTENT_TYPE == "application/json; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    # the token is never passed on
    assert service.calls == [("user", "abc", "id,name", {"from_date": "2019-01-01"})]


ERRORS = [
    ("loading", 202, error_body(
        "RequestAccepted", "Some nodes you requested are being loaded now: 12345. Try again later",
        "accepted")),
    ("gone", 404, error_body(
        "NodeNotExistsError", "Some nodes you requested cannot be loaded: 1690")),
    ("syntax", 400, error_body(
        "InvalidRequestError", "Expected a field name",
        errors=[{"message": "Expected a field name", "locations": [{"line": 1, "column": 4}],
                 "position": 3, "suggestions": []}])),
    ("invalid", 400, error_body(
        "InvalidRequestError", 'Cannot query field "id_" on type "Media". Did you mean "id"?',
        errors=[{"message": 'Cannot query field "id_" on type "Media". Did you mean "id"?',
                 "locations": [{"line": 1, "column": 1}], "position": 0, "suggestions": []}])),
    ("limit", 400, error_body(
        "InvalidRequestError", "The selection is too deep (limit 10)",
        errors=[{"message": "The selection is too deep (limit 10)",
                 "locations": [{"line": 1, "column": 3}], "position": 2, "suggestions": []}])),
    *[(node, 500, error_body("InternalServerError", "Internal server error"))
      for node in ("bug", "boom", "exec", "schema", "plainvalue", "unencodable")],
]


@pytest.mark.parametrize(("node", "status", "body"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_types(node: str, status: int, body: dict[str, Any]) -> None:
    resp, _ = call(f"/instagram/media/{node}")
    assert (resp.status, resp.json()) == (status, body)
    assert dict(resp.headers)["content-type"] == JSON_CONTENT_TYPE
    assert list(resp.json()) == ["error", "data", "status"]


def test_internal_error_details_only_in_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="graphfields.instagram.app"):
        resp, _ = call("/instagram/media/boom")
    assert b"fire" not in resp.body and b"Traceback" not in resp.body
    assert "database is on fire" in caplog.text
    assert TOKEN not in caplog.text  # the query string (and its token) is not logged


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/instagram/media/1770093817144369706", {"fields": "id"},
         ("media", "1770093817144369706", "id", {})),
        ("/instagram/media/BiQovLGAWIq", {}, ("media", "BiQovLGAWIq", None, {})),
        ("/instagram/media/x", {"fields": ""}, ("media", "x", None, {})),
        ("/instagram/user/spacex", {"fields": "id", "from_date": "2019-06-20",
                                    "to_date": "2019-06-25"},
         ("user", "spacex", "id", {"from_date": "2019-06-20", "to_date": "2019-06-25"})),
        ("/instagram/tag/juice", {"from_timestamp": "1540000000", "to_timestamp": "1550000000"},
         ("tag", "juice", None, {"from_timestamp": "1540000000", "to_timestamp": "1550000000"})),
        ("/instagram/tag/caf%C3%A9/", {}, ("tag", "café", None, {})),
    ],
)
def test_routes_reach_the_service(path: str, params: dict[str, str],
                                  expected: tuple[Any, ...]) -> None:
    resp, service = call(path, params)
    assert resp.status == 200
    assert service.calls == [expected]
    assert resp.json() == {"error": {}, "data": {"id": expected[1]}, "status": "ok"}


@pytest.mark.parametrize("token", [None, "", "t", "TT"])
def test_auth_before_the_service(token: str | None) -> None:
    resp, service = call("/instagram/user/spacex", {"fields": "{{{", "from_date": "never"},
                         token=token)
    assert resp.status == 403 and service.calls == []
    assert resp.json() == {"error": {"message": "Invalid access token",
                                     "type": "AuthenticationError"},
                           "data": {}, "status": "AuthenticationError"}


@pytest.mark.parametrize(
    "query",
    ["", "fields=id", "access_token=", "access_token=wrong", f"access_token={TOKEN}x",
     f"access_token={TOKEN[:-1]}", f"access_token=%20{TOKEN}", "access_token=%C3%A9",
     f"ACCESS_TOKEN={TOKEN}", f"fields=id;access_token={TOKEN}",
     # auth comes before the fields, filters and unknown parameters are looked at
     "access_token=bad&fields=%7B%7B%7B&from_date=nope&bogus=1"],
)
def test_auth_fails_before_any_work(query: str) -> None:
    resp, service = call("/instagram/user/boom", query=query)
    assert (resp.status, resp.json()) == (403, error_body("AuthenticationError",
                                                          "Invalid access token"))
    assert service.calls == []


@pytest.mark.parametrize("token", [TOKEN, "second"])
def test_every_configured_token_works(token: str) -> None:
    assert call("/instagram/tag/a", token=token)[0].status == 200


def test_no_tokens_configured_denies_all() -> None:
    api = create_api(FakeService(), tokens=[])
    assert api(Request("GET", "/instagram/tag/a", "access_token=")).status == 403
    assert api(Request("GET", "/instagram/tag/a", "")).status == 403


@pytest.mark.parametrize(
    ("path", "shown"),
    [("/instagram/media", None), ("/instagram/media/", "/instagram/media"),
     ("/instagram/story/1", None), ("/instagram/media/1/2", None), ("/media/1", None),
     ("/", None), ("", "/"), ("/instagram", None), ("/instagram//1", None),
     ("/instagram/media//", "/instagram/media/"), ("/INSTAGRAM/media/1", None),
     ("/instagram/Media/1", None), ("/nope/%C3%A9", "/nope/é"),
     # Regression: control characters of the path were echoed raw.
     ("/x%0A%1B%7F/%E2%80%A8", "/x\\n\\x1b\\x7f/\\u2028")],
)
def test_unknown_endpoints(path: str, shown: str | None) -> None:
    resp, service = call(path)
    assert resp.status == 404 and service.calls == []
    assert resp.json() == error_body("InvalidRequestError", (
        f'Unknown endpoint "{shown or path}". The endpoints are /instagram/media/<media-ID '
        "or shortcode>, /instagram/user/<username>, /instagram/tag/<tag-name>"))


def test_unknown_endpoint_needs_no_token() -> None:
    assert call("/nowhere", token=None)[0].status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"])
def test_methods_other_than_get_are_405(method: str) -> None:
    resp, service = call("/instagram/media/1", method=method)
    assert resp.status == 405 and service.calls == []
    assert dict(resp.headers)["allow"] == "GET"
    assert resp.json() == error_body(
        "InvalidRequestError", f"Method {method} is not allowed; the API accepts only GET")


def test_path_segments_are_percent_decoded() -> None:
    assert call("/instagram/tag/caf%C3%A9%20x")[1].calls[0][1] == "café x"
    assert call("/instagram/user/a%2Fb/")[1].calls[0][1] == "a/b"


def test_plain_tuple_form() -> None:
    api = create_api(FakeService(), tokens=[TOKEN])
    status, headers, body = api.handle("GET", b"/instagram/tag/x", f"access_token={TOKEN}".encode())
    assert status == 200 and ("content-type", JSON_CONTENT_TYPE) in headers
    assert json.loads(body)["data"] == {"id": "x"}


Q = f"access_token={TOKEN}"


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("/instagram/tag/a", Q + "&fields=%zz", "Malformed percent-encoding '%zz' in the query "
         'parameter "fields"'),
        ("/instagram/tag/a", Q + "&fields=%C3", 'The query parameter "fields" is not valid UTF-8'),
        ("/instagram/tag/a", Q + "&fi%elds=1", "Malformed percent-encoding '%el' in a query "
         "parameter name"),
        ("/instagram/tag/a", Q + "&fields=id&fields=id", 'The query parameter "fields" is '
         "given more than once"),
        ("/instagram/tag/a", Q + "&" + Q, 'The query parameter "access_token" is given more '
         "than once"),
        ("/instagram/tag/a", Q + "&fields=" + "x" * 4097, 'The query parameter "fields" is too '
         "long (4097 characters; the limit is 4096)"),
        ("/instagram/tag/a", Q + "&fields=" + "%C3%A9" * 3000, "The query string is too long"),
        ("/instagram/tag/%zz", Q, "Malformed percent-encoding '%zz' in the path"),
        ("/instagram/tag/%FF", Q, "The path is not valid UTF-8"),
        ("/instagram/media/1", Q + "&from_date=2019-06-20",
         'Unknown query parameter "from_date". This endpoint takes access_token, fields'),
        ("/instagram/user/spacex", Q + "&form_date=2019-06-20",
         'Unknown query parameter "form_date". Did you mean "from_date" or "to_date"? '
         "This endpoint takes access_token, fields, from_date, from_timestamp, to_date, "
         "to_timestamp"),
        ("/instagram/tag/juice", Q + "&field=id",
         'Unknown query parameter "field". Did you mean "fields"?'),
        ("/instagram/tag/juice", Q + "&callback=x", 'Unknown query parameter "callback". This '
         "endpoint takes access_token, fields, from_date"),
        ("/instagram/tag/" + "x" * 300, Q,
         "The node in the path is too long (300 characters; the limit is 256)"),
    ],
)
def test_bad_query_and_path_are_400_before_the_service(path: str, query: str,
                                                       message: str) -> None:
    resp, service = call(path, query=query)
    assert resp.status == 400 and service.calls == [], resp.body
    body = resp.json()
    assert body["error"]["message"].startswith(message), body
    assert body["status"] == body["error"]["type"] == "InvalidRequestError"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["GET", "POST", "HEAD"]), st.binary(max_size=40), st.binary(max_size=60))
def test_handler_always_answers_an_envelope(method: str, path: bytes, query: bytes) -> None:
    api = create_api(FakeService(), tokens=[TOKEN])
    status, headers, body = api.handle(method, b"/instagram/tag/" + path, query)
    decoded = json.loads(body)
    assert list(decoded) == ["error", "data", "status"]
    assert status in {200, 400, 403, 404, 405}
    assert ("content-type", JSON_CONTENT_TYPE) in headers


def test_asgi_app_closes_the_service_on_shutdown() -> None:
    import asyncio

    service = FakeService()
    app = create_asgi_app(service, tokens=[TOKEN])
    sent: list[Any] = []
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert service.closed == 1
    kept = create_asgi_app(service, tokens=[TOKEN], close_on_shutdown=False)
    assert kept.on_shutdown is None


# --------------------------------------------------------------------------- the real service

@pytest.fixture(scope="module")
def real_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("app") / "api.sqlite3"
    service = create_service(db_path=db, data_file=SPEC_DATASET)
    try:
        yield create_api(service, tokens=[TOKEN])
    finally:
        service.close()
    assert not Path(f"{db}-wal").exists()  # closed cleanly: every connection gone


FIELD_WORDS = st.sampled_from([
    "id", "shortcode", "owner", "media", "comments", "edges", "node", "page_info", "first",
    "last", "after", "before", "username", "text", "timestamp", "tags", "caption", "x", "",
    "has_next_page", "end_cursor", "from_date", "as", "from_timestamp", "to_timestamp",
])
FIELD_PUNCT = st.sampled_from([*",{}().\"' \n", "(3)", "(-1)", '("YXJyYXljb25uZWN0aW9uOjI=")',
                               "(100000)", "(2019-06-20)", "(99999999999999999999999)",
                               "(-99999999999999999999)", "(9999-12-31)"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["/instagram/media/1770093817144369706", "/instagram/media/BiQovLGAWIq",
                     "/instagram/user/spacex", "/instagram/tag/photography",
                     "/instagram/tag/juice", "/instagram/media/1690"]),
    st.lists(st.one_of(FIELD_WORDS, FIELD_PUNCT), max_size=25).map("".join),
    st.dictionaries(st.sampled_from(["from_date", "to_date", "from_timestamp", "to_timestamp"]),
                    st.sampled_from(["2019-06-20", "1560000000", "x", "", "2019-13-01", "-1"]),
                    max_size=2),
)
def test_the_real_service_never_answers_500(real_api: Api, path: str, fields: str,
                                            filters: dict[str, str]) -> None:
    """Whatever a client sends, the answer is data or a client error, never a 500."""
    params = {"fields": fields, "access_token": TOKEN, **filters}
    resp = real_api(Request("GET", path, urlencode(params)))
    body = resp.json()
    assert resp.status in {200, 400, 404}, (path, params, body)
    assert list(body) == ["error", "data", "status"]


def test_the_access_token_is_the_client_of_a_load() -> None:
    """The service counts a client's pending loads by its token (a bounded share each)."""
    _, service = call("/instagram/user/alice", {"fields": "id"})
    assert service.clients == [TOKEN]
