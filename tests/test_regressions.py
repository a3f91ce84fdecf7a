"""Regression tests for bugs found by a QA pass: each test names the symptom it pins."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from example_schema import schema

from graphfields import FieldsValidationError, compile
from graphfields.http import Api, Request, Response
from graphfields.instagram.app import create_api
from graphfields.instagram.service import SPEC_DATASET, create_service

TOKEN = "T"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The reference API over the spec's dataset, in-process."""
    db = tmp_path_factory.mktemp("regressions") / "spec.sqlite3"
    service = create_service(db_path=db, data_file=SPEC_DATASET)
    try:
        yield create_api(service, tokens=[TOKEN])
    finally:
        service.close()


def get(api: Api, path: str, **params: str) -> Response:
    return api(Request("GET", path, urlencode({**params, "access_token": TOKEN})))


# -- timestamps beyond 64 bits ----------------------------------------------------------
# Symptom: `media.from_timestamp(99999999999999999999999)` answered 500 (SQLite raised
# OverflowError binding the bound); the query-string filter already refused it.

@pytest.mark.parametrize("call", [
    "from_timestamp(99999999999999999999999)",
    "to_timestamp(-99999999999999999999999)",
    "from_timestamp(1000000000000000000)",
])
def test_huge_timestamp_call_is_a_400(api: Api, call: str) -> None:
    resp = get(api, "/instagram/user/spacex", fields=f"media.{call}{{edges{{node{{id}}}}}}")
    assert resp.status == 400, resp.body
    error = resp.json()["error"]
    assert error["type"] == "InvalidRequestError"
    assert error["message"].startswith(f'Invalid value for call "{call.split("(")[0]}"')
    assert error["message"].endswith("is out of range (at most 18 digits).")


def test_largest_timestamp_call_is_served(api: Api) -> None:
    resp = get(api, "/instagram/user/spacex",
               fields="media.from_timestamp(999999999999999999){edges{node{id}}}")
    assert resp.status == 200
    assert resp.json()["data"]["media"]["edges"] == []


@pytest.mark.parametrize("value", [10**18, -(10**18), 2**63, 10**30])
def test_huge_int_filter_is_a_validation_error(value: int) -> None:
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", "comments", filters={"from_timestamp": value})
    assert info.value.issues[0].message == (
        f"Invalid value for from_timestamp: {value} is out of range (at most 18 digits).")
