"""The Instagram routes over a fake service: what reaches the service, and every outcome."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields.errors import FieldsValidationError, ValidationIssue
from graphfields.http import Api, Request, Response
from graphfields.instagram.app import create_api, create_asgi_app
from graphfields.instagram.service import (
    SPEC_DATASET,
    NodeLoading,
    NodeNotFound,
    create_service,
)

TOKEN = "T"


class FakeService:
    """Records calls; node ids choose the outcome."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, dict[str, str]]] = []
        self.closed = 0

    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str]) -> dict[str, Any]:
        self.calls.append((node_type, node_id, fields, dict(filters)))
        if node_id == "loading":
            raise NodeLoading("12345")
        if node_id == "gone":
            raise NodeNotFound("1690")
        if node_id == "invalid":
            raise FieldsValidationError([ValidationIssue(
                'Cannot query field "id_" on type "Media". Did you mean "id"?', 0, 1, 1)], "id_")
        if node_id == "bug":
            raise ZeroDivisionError
        return {"id": node_id}

    def close(self) -> None:
        self.closed += 1


def call(path: str, params: dict[str, str] | None = None, token: str | None = TOKEN,
         method: str = "GET") -> tuple[Response, FakeService]:
    service = FakeService()
    params = dict(params or {})
    if token is not None:
        params["access_token"] = token
    return create_api(service, tokens=[TOKEN])(Request(method, path, urlencode(params))), service


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


@pytest.mark.parametrize(
    ("node", "status", "error"),
    [
        ("loading", 202, {"message": "Some nodes you requested are being loaded now: 12345. "
                                     "Try again later", "type": "RequestAccepted"}),
        ("gone", 404, {"message": "Some nodes you requested cannot be loaded: 1690",
                       "type": "NodeNotExistsError"}),
        ("invalid", 400, {"message": 'Cannot query field "id_" on type "Media". Did you mean '
                                     '"id"?', "type": "InvalidRequestError",
                          "errors": [{"message": 'Cannot query field "id_" on type "Media". '
                                                 'Did you mean "id"?',
                                      "locations": [{"line": 1, "column": 1}],
                                      "position": 0}]}),
        ("bug", 500, {"message": "Internal server error", "type": "InternalServerError"}),
    ],
)
def test_service_outcomes(node: str, status: int, error: dict[str, Any]) -> None:
    resp, _ = call(f"/instagram/media/{node}")
    assert resp.status == status
    body = resp.json()
    assert body == {"error": error, "data": {},
                    "status": "accepted" if status == 202 else error["type"]}


@pytest.mark.parametrize("token", [None, "", "t", "TT"])
def test_auth_before_the_service(token: str | None) -> None:
    resp, service = call("/instagram/user/spacex", {"fields": "{{{", "from_date": "never"},
                         token=token)
    assert resp.status == 403 and service.calls == []
    assert resp.json() == {"error": {"message": "Invalid access token",
                                     "type": "AuthenticationError"},
                           "data": {}, "status": "AuthenticationError"}


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/instagram/media/1", {"from_date": "2019-06-20"},
         'Unknown query parameter "from_date". This endpoint takes access_token, fields'),
        ("/instagram/user/spacex", {"form_date": "2019-06-20"},
         'Unknown query parameter "form_date". Did you mean "from_date" or "to_date"? '
         "This endpoint takes access_token, fields, from_date, from_timestamp, to_date, "
         "to_timestamp"),
        ("/instagram/tag/juice", {"field": "id"},
         'Unknown query parameter "field". Did you mean "fields"?'),
        ("/instagram/tag/" + "x" * 300, {},
         "The node in the path is too long (300 characters; the limit is 256)"),
    ],
)
def test_parameters_are_checked_before_the_service(path: str, params: dict[str, str],
                                                   message: str) -> None:
    resp, service = call(path, params)
    assert resp.status == 400 and service.calls == []
    assert resp.json()["error"]["message"].startswith(message)


@pytest.mark.parametrize("path", ["/instagram/media", "/instagram/media/", "/instagram/story/1",
                                  "/instagram/media/1/2", "/media/1"])
def test_unknown_endpoints(path: str) -> None:
    resp, service = call(path)
    assert resp.status == 404 and service.calls == []
    assert resp.json()["error"]["message"] == (
        f'Unknown endpoint "{path.rstrip("/")}". The endpoints are /instagram/media/<media-ID '
        "or shortcode>, /instagram/user/<username>, /instagram/tag/<tag-name>")


def test_post_is_405() -> None:
    resp, service = call("/instagram/media/1", method="POST")
    assert resp.status == 405 and service.calls == []


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
