"""The framework-agnostic handler: envelope, every error type, auth, routing, decoding."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields.errors import (
    ExecutionError,
    FieldsSyntaxError,
    FieldsValidationError,
    LimitExceededError,
    ValidationIssue,
)
from graphfields.http import (
    JSON_CONTENT_TYPE,
    Api,
    ApiError,
    Request,
    Response,
    Route,
    TokenChecker,
    _dumps_json,
    accepted,
    dumps,
    node_not_exists,
    parse_query,
    split_path,
    tokens_from_env,
)

TOKEN = "s3cret-token"
calls: list[tuple[Mapping[str, str], Mapping[str, str]]] = []


def _endpoint(path: Mapping[str, str], query: Mapping[str, str]) -> Mapping[str, Any]:
    calls.append((dict(path), dict(query)))
    node = path.get("id", "")
    if node == "loading":
        raise accepted("12345")
    if node == "missing":
        raise node_not_exists("1690")
    if node == "syntax":
        raise FieldsSyntaxError("Expected a field name", "id,,x", 3, ("a field name",))
    if node == "invalid":
        raise FieldsValidationError(
            [ValidationIssue('Cannot query field "id_" on type "Media". Did you mean "id"?',
                             0, 1, 1, ("id",)),
             ValidationIssue('Cannot query field "x" on type "Media".', 4, 1, 5)],
            "id_,x")
    if node == "limit":
        raise LimitExceededError("The selection is too deep (limit 10)", "a{b}", 2, "depth")
    if node == "boom":
        raise RuntimeError("database is on fire: /secret/path")
    if node == "exec":
        raise ExecutionError("owner", KeyError("x"))
    if node == "plainvalue":
        raise ValueError("not a graphfields error: a bug")
    if node == "unencodable":
        return {"x": object()}
    return {**path, **query}


def _api(**kw: Any) -> Api:
    return Api(
        [Route("/things/{id}", _endpoint, frozenset({"fields", "from_date"})),
         Route("/other/{name}/sub", _endpoint, frozenset())],
        authenticate=TokenChecker([TOKEN, "second"]), **kw)


API = _api()


def get(path: str, query: str | bytes = "", method: str = "GET", api: Api = API) -> Response:
    calls.clear()
    return api(Request(method, path, query))


def q(**params: str) -> str:
    return urlencode({"access_token": TOKEN, **params})


def error_body(kind: str, message: str, status: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, **extra}, "data": {},
            "status": status or kind}


# --------------------------------------------------------------------------- envelope


def test_ok_envelope_shape_and_headers() -> None:
    resp = get("/things/abc", q(fields="id,name"))
    assert resp.status == 200
    assert resp.body == b'{"error":{},"data":{"id":"abc","fields":"id,name"},"status":"ok"}'
    headers = dict(resp.headers)
    assert headers["content-type"] == JSON_CONTENT_TYPE == "application/json; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert calls == [({"id": "abc"}, {"fields": "id,name"})]  # the token is never passed on


ERRORS = [
    ("loading", 202, error_body(
        "RequestAccepted", "Some nodes you requested are being loaded now: 12345. Try again later",
        "accepted")),
    ("missing", 404, error_body(
        "NodeNotExistsError", "Some nodes you requested cannot be loaded: 1690")),
    ("syntax", 400, error_body(
        "InvalidRequestError", "Expected a field name",
        errors=[{"message": "Expected a field name", "locations": [{"line": 1, "column": 4}],
                 "position": 3}])),
    ("invalid", 400, error_body(
        "InvalidRequestError", 'Cannot query field "id_" on type "Media". Did you mean "id"?',
        errors=[
            {"message": 'Cannot query field "id_" on type "Media". Did you mean "id"?',
             "locations": [{"line": 1, "column": 1}], "position": 0},
            {"message": 'Cannot query field "x" on type "Media".',
             "locations": [{"line": 1, "column": 5}], "position": 4}])),
    ("limit", 400, error_body(
        "InvalidRequestError", "The selection is too deep (limit 10)",
        errors=[{"message": "The selection is too deep (limit 10)",
                 "locations": [{"line": 1, "column": 3}], "position": 2}])),
    ("boom", 500, error_body("InternalServerError", "Internal server error")),
    ("exec", 500, error_body("InternalServerError", "Internal server error")),
    ("plainvalue", 500, error_body("InternalServerError", "Internal server error")),
    ("unencodable", 500, error_body("InternalServerError", "Internal server error")),
]


@pytest.mark.parametrize(("node", "status", "body"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_types(node: str, status: int, body: dict[str, Any]) -> None:
    resp = get(f"/things/{node}", q())
    assert (resp.status, resp.json()) == (status, body)
    assert dict(resp.headers)["content-type"] == JSON_CONTENT_TYPE


def test_internal_error_details_only_in_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="graphfields.http"):
        resp = get("/things/boom", q())
    assert b"fire" not in resp.body and b"Traceback" not in resp.body
    assert "database is on fire" in caplog.text
    assert TOKEN not in caplog.text  # the query string (and its token) is not logged


def test_envelope_key_order_is_the_specs() -> None:
    for node, _, _ in ERRORS:
        assert list(get(f"/things/{node}", q()).json()) == ["error", "data", "status"]


# --------------------------------------------------------------------------- auth

AUTH_FAIL = error_body("AuthenticationError", "Invalid access token")


@pytest.mark.parametrize(
    "query",
    ["", "fields=id", "access_token=", "access_token=wrong", f"access_token={TOKEN}x",
     f"access_token={TOKEN[:-1]}", f"access_token=%20{TOKEN}", "access_token=%C3%A9",
     f"ACCESS_TOKEN={TOKEN}",
     # auth comes before the fields, filters and unknown parameters are looked at
     "access_token=bad&fields=%7B%7B%7B&from_date=nope&bogus=1"],
)
def test_auth_fails_before_any_work(query: str) -> None:
    resp = get("/things/boom", query)
    assert (resp.status, resp.json()) == (403, AUTH_FAIL)
    assert calls == []


@pytest.mark.parametrize("token", [TOKEN, "second"])
def test_every_configured_token_works(token: str) -> None:
    assert get("/things/a", f"access_token={token}").status == 200


def test_no_tokens_configured_denies_all() -> None:
    api = Api([Route("/things/{id}", _endpoint)], authenticate=TokenChecker([]))
    assert get("/things/a", "access_token=", api=api).status == 403
    assert get("/things/a", "", api=api).status == 403


@pytest.mark.parametrize("bad", ["", " padded ", "trailing\n"])
def test_token_checker_rejects_unusable_tokens(bad: str) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        TokenChecker([bad])


# Regression: create_api(service, tokens="my-secret") was accepted and let in every
# request whose access_token was any one character of the secret ("m", "y", ...).
@pytest.mark.parametrize("tokens", ["my-secret", b"my-secret"])
def test_token_checker_refuses_a_single_string(tokens: Any) -> None:
    with pytest.raises(TypeError, match=r"tokens must be a list of access tokens, not a single "
                                        r"(str|bytes): use tokens=\[\.\.\.\]"):
        TokenChecker(tokens)


# Regression: Route(..., params="fields") tested names by substring, so "f" and "field"
# passed the unknown-parameter check.
def test_route_params_must_be_a_set_of_names() -> None:
    with pytest.raises(TypeError, match=r"^Route params must be a set of names, not a single "
                                        r"str: use frozenset\(\{\.\.\.\}\)$"):
        Route("/x/{id}", _endpoint, "fields")  # type: ignore[arg-type]
    assert Route("/x/{id}", _endpoint, {"fields"}).params == frozenset({"fields"})  # type: ignore[arg-type]


def test_token_checker_non_ascii() -> None:
    check = TokenChecker(["jéton"])
    assert check("jéton") and not check("jeton") and not check(None)
    assert not check("\udcff")  # a lone surrogate is refused, not an exception


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", []), ("a", ["a"]), ("a, b,,c ", ["a", "b", "c"]), (" , ", [])],
)
def test_tokens_from_env(value: str, expected: list[str]) -> None:
    assert tokens_from_env({"GRAPHFIELDS_TOKENS": value}) == expected
    assert tokens_from_env({}) == []


# --------------------------------------------------------------------------- routes, methods


@pytest.mark.parametrize(
    "path",
    ["/", "", "/things", "/things/", "/things/a/b", "/thingsx/a", "/other/x", "/other//sub",
     "/things//", "/THINGS/a", "/nope/%C3%A9"],
)
def test_unknown_endpoint_is_404_envelope(path: str) -> None:
    resp = get(path, q())
    assert resp.status == 404
    body = resp.json()
    assert body["status"] == body["error"]["type"] == "InvalidRequestError"
    assert body["error"]["message"].startswith("Unknown endpoint")
    assert "/things/{id}" in body["error"]["message"]
    assert body["data"] == {}


def test_unknown_endpoint_needs_no_token() -> None:
    assert get("/nowhere", "").status == 404


@pytest.mark.parametrize("path", ["/things/a/", "/other/x/sub/"])
def test_one_trailing_slash_is_accepted(path: str) -> None:
    assert get(path, q()).status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"])
def test_methods_other_than_get_are_405(method: str) -> None:
    resp = get("/things/a", q(), method=method)
    assert resp.status == 405
    assert dict(resp.headers)["allow"] == "GET"
    assert resp.json()["error"]["type"] == "InvalidRequestError"
    assert "only GET" in resp.json()["error"]["message"]
    assert calls == []


def test_path_segments_are_percent_decoded() -> None:
    resp = get("/things/caf%C3%A9%20x", q())
    assert resp.json()["data"]["id"] == "café x"
    assert get("/other/a%2Fb/sub", q()).json()["data"]["name"] == "a/b"


def test_plain_tuple_form() -> None:
    status, headers, body = API.handle("GET", b"/things/x", f"access_token={TOKEN}".encode())
    assert status == 200 and ("content-type", JSON_CONTENT_TYPE) in headers
    assert json.loads(body)["data"] == {"id": "x"}


# --------------------------------------------------------------------------- query decoding


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("/things/a", q() + "&fields=%zz", "Malformed percent-encoding '%zz' in the query "
         'parameter "fields"'),
        ("/things/a", q() + "&fields=id%", "Malformed percent-encoding '%' in the query "
         'parameter "fields"'),
        ("/things/a", q() + "&fields=%C3", 'The query parameter "fields" is not valid UTF-8'),
        ("/things/a", q() + "&fi%elds=1", "Malformed percent-encoding '%el' in a query "
         "parameter name"),
        ("/things/a", q(fields="id") + "&fields=id", 'The query parameter "fields" is given '
         "more than once"),
        ("/things/a", q() + f"&access_token={TOKEN}", 'The query parameter "access_token" is '
         "given more than once"),
        ("/things/a", q(fields="x" * 4097), 'The query parameter "fields" is too long '
         "(4097 characters; the limit is 4096)"),
        ("/things/a", q(fields="é" * 3000), "The query string is too long"),
        ("/things/%zz", q(), "Malformed percent-encoding '%zz' in the path"),
        ("/things/%FF", q(), "The path is not valid UTF-8"),
        ("/things/" + "a" * 257, q(), "The id in the path is too long (257 characters; "
         "the limit is 256)"),
        ("/things/a", q(fields="id", form_date="2019-01-01"), 'Unknown query parameter '
         '"form_date". Did you mean "from_date"? This endpoint takes access_token, fields, '
         "from_date"),
        ("/things/a", q(callback="x"), 'Unknown query parameter "callback". This endpoint '
         "takes access_token, fields, from_date"),
        ("/other/a/sub", q(fields="id"), 'Unknown query parameter "fields". This endpoint '
         "takes access_token"),
    ],
)
def test_bad_query_and_path_are_400(path: str, query: str, message: str) -> None:
    resp = get(path, query)
    assert resp.status == 400, resp.body
    body = resp.json()
    assert body["error"]["message"].startswith(message), body
    assert body["status"] == body["error"]["type"] == "InvalidRequestError"
    assert calls == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", {}),
        (b"a=1&b=2", {"a": "1", "b": "2"}),
        (b"a=1&&b=2&", {"a": "1", "b": "2"}),
        (b"a", {"a": ""}),
        (b"a=x=y", {"a": "x=y"}),
        (b"a=b+c%2B", {"a": "b c+"}),
        (b"f=media.first(3)%7Bedges%7Bnode%7Bid%7D%7D%7D",
         {"f": "media.first(3){edges{node{id}}}"}),
        (b'f=after("YXJy=")', {"f": 'after("YXJy=")'}),
        ("f=caf\xc3\xa9", {"f": "café"}),  # raw UTF-8 bytes as a latin-1 str (WSGI)
        ("f=café", {"f": "café"}),  # text a caller already decoded
        (b"f=%0Aid", {"f": "\nid"}),
    ],
)
def test_parse_query(raw: bytes | str, expected: dict[str, str]) -> None:
    assert parse_query(raw) == expected


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=30), max_size=5))
def test_parse_query_round_trips_urlencode(params: dict[str, str]) -> None:
    try:
        encoded = urlencode(params)
    except UnicodeEncodeError:  # lone surrogates cannot be sent at all
        return
    assert parse_query(encoded) == params


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["GET", "POST", "HEAD"]), st.binary(max_size=40), st.binary(max_size=60))
def test_handler_always_answers_an_envelope(method: str, path: bytes, query: bytes) -> None:
    status, headers, body = API.handle(method, b"/things/" + path, query)
    decoded = json.loads(body)
    assert list(decoded) == ["error", "data", "status"]
    assert status in {200, 400, 403, 404, 405}
    assert ("content-type", JSON_CONTENT_TYPE) in headers


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", ()), ("", ()), ("/a", ("a",)), ("/a/", ("a",)), ("/a//b", ("a", "", "b")),
     ("/a%2Fb/c", ("a/b", "c")), ("/a+b", ("a+b",))],
)
def test_split_path(path: str, expected: tuple[str, ...]) -> None:
    assert split_path(path) == expected


# --------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, False, "é\n\t\"\\/\x01\u2028😀"], "b": {}},
     {"error": {}, "data": {"id": "1770093817144369706", "n": 7979876}, "status": "ok"},
     {"big": 2**70}],
)
def test_orjson_and_json_give_the_same_bytes(value: Any) -> None:
    assert dumps(value) == _dumps_json(value)
    assert json.loads(dumps(value)) == value


# Regression: without orjson, or with orjson falling back for a 70-bit integer, a NaN or an
# infinity in the data made json.dumps raise, and the answer was a 500 (orjson writes null).
@pytest.mark.parametrize(
    "value",
    [{"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": ({"d": float("nan")},)},
     {"big": 2**70, "x": float("inf")}],
)
def test_non_finite_floats_are_null_either_way(value: Any) -> None:
    for out in (dumps(value), _dumps_json(value)):
        assert b"NaN" not in out and b"Infinity" not in out
        assert "null" in out.decode()
    small = {"a": float("nan"), "b": [float("inf"), 1.5]}
    assert _dumps_json(small) == dumps(small) == b'{"a":null,"b":[null,1.5]}'


def test_api_error_extra_never_replaces_message_or_type() -> None:
    resp = ApiError(400, "InvalidRequestError", "m", extra={"message": "x", "type": "y",
                                                           "hint": 1}).response()
    assert resp.json()["error"] == {"message": "m", "type": "InvalidRequestError", "hint": 1}


def test_without_orjson_the_bytes_are_the_same() -> None:
    """A server without the ``server`` extra answers byte for byte the same JSON."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['orjson'] = None\n"
        "from graphfields.http import Api, Request, Route, TokenChecker, _orjson_dumps\n"
        "assert _orjson_dumps is None\n"
        "api = Api([Route('/t/{id}', lambda p, q: {'id': p['id'], 'x': [1.5, None, 'é\\n']},"
        " frozenset({'fields'}))], authenticate=TokenChecker(['k']))\n"
        "for q in (b'access_token=k', b'access_token=no', b'access_token=k&bad=1'):\n"
        "    sys.stdout.buffer.write(api(Request('GET', '/t/caf%C3%A9', q)).body + b'\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True,
                          timeout=60)
    api = Api([Route("/t/{id}", lambda p, q: {"id": p["id"], "x": [1.5, None, "é\n"]},
                     frozenset({"fields"}))], authenticate=TokenChecker(["k"]))
    expected = b"".join(api(Request("GET", "/t/caf%C3%A9", q)).body + b"\n"
                        for q in (b"access_token=k", b"access_token=no", b"access_token=k&bad=1"))
    assert done.stdout == expected
