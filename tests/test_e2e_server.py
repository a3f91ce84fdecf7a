"""End to end: the real ``graphfields serve`` (uvicorn) in a subprocess, spoken to over HTTP.

One server per module fixture: the spec's dataset (``--data``), and a demo server
(``--demo``, synthetic loader with a small delay) for the 202-then-200 flow. Every server is
stopped in teardown. Whole bodies are compared with the spec's examples
(tests/fixtures/spec_examples.json, copied from the spec).
"""

from __future__ import annotations

import json
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphfields.instagram.service import SPEC_DATASET
from graphfields.instagram.serving import DEMO_TOKEN
from graphfields.instagram.testing import ServerProcess

pytestmark = pytest.mark.slow

TOKEN = "e2e-token"
ENV_TOKEN = "token-from-env"
FIXTURES = Path(__file__).parent / "fixtures"
SPEC = json.loads((FIXTURES / "spec_examples.json").read_text(encoding="utf-8"))
MEDIA = "/instagram/media/1770093817144369706"
PHOTO = "/instagram/tag/photography"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    db = tmp_path_factory.mktemp("e2e") / "api.sqlite3"
    with ServerProcess(["--data", str(SPEC_DATASET), "--db", str(db), "--token", TOKEN],
                       env={"GRAPHFIELDS_TOKENS": ENV_TOKEN}) as srv:
        yield srv
    assert srv.returncode == 0, srv.output()  # a clean shutdown on SIGTERM ...
    assert not Path(f"{db}-wal").exists()  # ... that closed the store (WAL checkpointed)


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # no --token: the demo's fixed token, exactly as `make demo` runs it
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with ServerProcess(["--demo", "--db", str(db), "--demo-delay", "0.3"],
                       env={"GRAPHFIELDS_TOKENS": ""}) as srv:
        yield srv
    assert srv.returncode == 0, srv.output()
    assert not Path(f"{db}-wal").exists()


@pytest.fixture(scope="module")
def demo(demo_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo_server.url, timeout=30,
                      params={"access_token": DEMO_TOKEN}) as c:
        yield c


def get(client: httpx.Client, path: str, token: str | None = TOKEN, **params: str) -> Any:
    if token is not None:
        params.setdefault("access_token", token)
    return client.get(path, params=params)


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    # the server adds an "errors" list (positions) next to the spec's message and type
    return {**body, "error": {k: v for k, v in body["error"].items() if k != "errors"}}


# --------------------------------------------------------------------------- spec examples

DATA_EXAMPLES = [e for e in SPEC["examples"] if e["server"] == "data"]


@pytest.mark.parametrize("example", DATA_EXAMPLES, ids=[e["name"] for e in DATA_EXAMPLES])
def test_spec_example(client: httpx.Client, example: dict[str, Any]) -> None:
    resp = get(client, example["path"], TOKEN if example["auth"] else None, **example["params"])
    assert resp.status_code == example["status"]
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert list(body) == ["error", "data", "status"]
    assert _comparable(body) == example["body"]


def test_long_user_request_of_section_3(client: httpx.Client) -> None:
    fields = (
        "id,username,media.first(1){edges{node{shortcode,created_time,timestamp,media_type,"
        "media_url,caption,\ntagged_user_media,tagged_user_text,tags,like_count,comment_count,"
        "video_view_count,\nlocation{id,name,slug,has_public_page},\n"
        "owner{id,username,full_name,profile_pic_url},\n"
        "comments.first(1){edges{node{id,parent_id,created_time,timestamp,text,\n"
        "owner{id,username,full_name,profile_pic_url}}}}}}}")
    resp = get(client, "/instagram/user/spacex", fields=fields)
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert data["username"] == "spacex"
    node = data["media"]["edges"][0]["node"]
    for key in ("shortcode", "created_time", "timestamp", "media_type", "owner", "comments"):
        assert key in node
    assert node["owner"]["username"] == "spacex"


def test_token_from_the_environment(client: httpx.Client) -> None:
    assert get(client, MEDIA, ENV_TOKEN, fields="id").status_code == 200


@pytest.mark.parametrize("token", ["", "wrong", TOKEN + "x", TOKEN.upper()])
def test_wrong_token(client: httpx.Client, token: str) -> None:
    resp = get(client, MEDIA, token, fields="id")
    assert (resp.status_code, resp.json()) == (403, SPEC["examples"][9]["body"])


def test_auth_before_validation(client: httpx.Client) -> None:
    resp = get(client, MEDIA, "wrong", fields="{{{", from_date="x")
    assert resp.status_code == 403


# --------------------------------------------------------------------------- filters, paging


def _all_tag_media(client: httpx.Client, tag: str) -> list[dict[str, Any]]:
    resp = get(client, f"/instagram/tag/{tag}",
               fields="media.first(100){page_info{has_next_page},edges{node{id,timestamp}}}")
    media = resp.json()["data"]["media"]
    assert media["page_info"]["has_next_page"] is False
    return [e["node"] for e in media["edges"]]


def test_paging_forwards_then_backwards(client: httpx.Client) -> None:
    everything = [n["id"] for n in _all_tag_media(client, "photography")]
    assert len(everything) >= 6
    page = "page_info{has_next_page,has_previous_page,start_cursor,end_cursor},edges{node{id}}"
    seen: list[str] = []
    after = ""
    for _ in range(len(everything)):
        call = f'.after("{after}")' if after else ""
        data = get(client, "/instagram/tag/photography",
                   fields=f"media.first(2){call}{{{page}}}").json()["data"]["media"]
        seen += [e["node"]["id"] for e in data["edges"]]
        after = data["page_info"]["end_cursor"]
        if not data["page_info"]["has_next_page"]:
            break
    assert seen == everything
    back: list[str] = []
    before = ""
    for _ in range(len(everything)):
        call = f'.before("{before}")' if before else ""
        data = get(client, "/instagram/tag/photography",
                   fields=f"media.last(2){call}{{{page}}}").json()["data"]["media"]
        back = [e["node"]["id"] for e in data["edges"]] + back
        before = data["page_info"]["start_cursor"]
        if not data["page_info"]["has_previous_page"]:
            break
    assert back == everything


@pytest.mark.parametrize("endpoint", ["/instagram/tag/photography", "/instagram/user/spacex"])
def test_timestamp_and_date_filters(client: httpx.Client, endpoint: str) -> None:
    fields = "media.first(100){edges{node{id,timestamp}}}"
    nodes = [e["node"] for e in
             get(client, endpoint, fields=fields).json()["data"]["media"]["edges"]]
    assert nodes
    stamps = sorted({n["timestamp"] for n in nodes})
    lo, hi = stamps[0], stamps[-1]
    mid = stamps[len(stamps) // 2]
    for params in ({"from_timestamp": str(mid)}, {"to_timestamp": str(mid)},
                   {"from_timestamp": str(lo), "to_timestamp": str(hi)},
                   {"from_timestamp": str(hi + 1)}):
        lo_f = int(params.get("from_timestamp", lo))
        hi_f = int(params.get("to_timestamp", hi))
        expected = [n["id"] for n in nodes if lo_f <= n["timestamp"] <= hi_f]
        resp = get(client, endpoint, fields=fields, **params)
        assert resp.status_code == 200, resp.text
        assert [e["node"]["id"] for e in resp.json()["data"]["media"]["edges"]] == expected
    day = time.strftime("%Y-%m-%d", time.gmtime(mid))
    resp = get(client, endpoint, fields=fields, from_date=day, to_date=day)
    assert resp.status_code == 200, resp.text
    got = [e["node"] for e in resp.json()["data"]["media"]["edges"]]
    assert got and all(time.strftime("%Y-%m-%d", time.gmtime(n["timestamp"])) == day
                       for n in got)


# --------------------------------------------------------------------------- errors, bad input

BAD_REQUESTS = [
    ("syntax error", MEDIA, {"fields": "id,owner{id"}),
    ("unknown field", MEDIA, {"fields": "id_"}),
    ("unknown call", PHOTO, {"fields": "media.frist(3){edges{node{id}}}"}),
    ("huge first", PHOTO, {"fields": "media.first(100000){edges{node{id}}}"}),
    ("negative first", PHOTO, {"fields": "media.first(-1){edges{node{id}}}"}),
    ("bad cursor", PHOTO,
     {"fields": 'media.first(3).after("not-a-cursor"){edges{node{id}}}'}),
    ("bad date", "/instagram/user/spacex", {"fields": "id", "from_date": "2019-13-45"}),
    ("bad date format", "/instagram/user/spacex", {"fields": "id", "to_date": "20/06/2019"}),
    ("bad timestamp", "/instagram/tag/juice", {"fields": "id", "from_timestamp": "yesterday"}),
    ("filter on media", MEDIA, {"fields": "id", "from_date": "2019-06-20"}),
    ("unknown parameter", MEDIA, {"fields": "id", "form_date": "2019-06-20"}),
    ("fields too long", MEDIA, {"fields": "id," * 2000}),
]


@pytest.mark.parametrize(("label", "path", "params"), BAD_REQUESTS,
                         ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_is_400(client: httpx.Client, label: str, path: str,
                          params: dict[str, str]) -> None:
    resp = get(client, path, **params)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["status"] == body["error"]["type"] == "InvalidRequestError"
    assert body["data"] == {} and body["error"]["message"]


@pytest.mark.parametrize(
    "raw_query",
    [b"fields=%zz", b"fields=%C3", b"fields=id&fields=id", b"fields=id&access_token=" + b"x"],
)
def test_malformed_query_strings_are_400(client: httpx.Client, raw_query: bytes) -> None:
    url = f"{MEDIA}?access_token={TOKEN}&".encode() + raw_query
    resp = client.get(url.decode("latin-1"))
    assert resp.status_code == 400, resp.text
    assert resp.json()["status"] == "InvalidRequestError"


def test_unknown_node_is_404(client: httpx.Client) -> None:
    for path, node in [("/instagram/media/1690", "1690"), ("/instagram/user/nobody_here", None),
                       ("/instagram/tag/nosuchtagatall", None)]:
        resp = get(client, path, fields="id")
        assert resp.status_code == 404, resp.text
        assert resp.json()["status"] == "NodeNotExistsError"
        if node:
            assert resp.json()["error"]["message"].endswith(node)


@pytest.mark.parametrize("path", ["/", "/instagram", "/instagram/media", "/instagram/post/1",
                                  "/instagram/media/1/comments", "/favicon.ico"])
def test_unknown_routes_are_404_envelopes(client: httpx.Client, path: str) -> None:
    resp = get(client, path)
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert resp.json()["error"]["message"].startswith("Unknown endpoint")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    resp = client.request(method, MEDIA, params={"access_token": TOKEN}, content=b"{}")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET"
    assert resp.json()["status"] == "InvalidRequestError"


def test_head_gets_no_body(client: httpx.Client) -> None:
    resp = client.head(MEDIA, params={"access_token": TOKEN})
    assert resp.status_code == 405 and resp.content == b""


def test_no_token_in_the_access_log(server: ServerProcess, client: httpx.Client) -> None:
    get(client, MEDIA, fields="id")
    time.sleep(0.2)  # let the log line reach the file
    assert TOKEN not in server.output()
    assert "access_token=***" in server.output()


def test_raw_http_oddities_still_get_json(server: ServerProcess) -> None:
    # unencoded braces and quotes, as a hand-typed URL would send them
    raw = (f'GET {MEDIA}?fields=id,owner{{id}}&access_token={TOKEN} HTTP/1.1\r\n'
           f"Host: x\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply
    assert json.loads(body)["data"]["owner"] == {"id": "3008836221"}


def test_concurrent_requests(client: httpx.Client, server: ServerProcess) -> None:
    import asyncio

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as ac:
            rs = await asyncio.gather(*[
                ac.get(MEDIA, params={"fields": "id,owner{id}", "access_token": TOKEN})
                for _ in range(50)])
            return [r.status_code for r in rs]

    assert asyncio.run(burst()) == [200] * 50


# --------------------------------------------------------------------------- demo: 202 then 200


def test_202_then_200(demo: httpx.Client) -> None:
    spec_202 = next(e for e in SPEC["examples"] if e["name"] == "request_accepted")
    resp = get(demo, spec_202["path"], DEMO_TOKEN, **spec_202["params"])
    assert (resp.status_code, resp.json()) == (202, spec_202["body"])

    name = "e2e_fresh_user"
    first = get(demo, f"/instagram/user/{name}", DEMO_TOKEN,
                fields="id,username,is_being_updated")
    assert first.status_code == 202
    assert first.json() == {
        "error": {"message": f"Some nodes you requested are being loaded now: {name}. "
                             "Try again later", "type": "RequestAccepted"},
        "data": {}, "status": "accepted"}
    deadline = time.monotonic() + 30
    while True:
        resp = get(demo, f"/instagram/user/{name}", DEMO_TOKEN,
                   fields="id,username,is_being_updated")
        if resp.status_code != 202 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["username"] == name


def test_demo_answers_the_spec_examples_at_once(demo: httpx.Client) -> None:
    example = next(e for e in SPEC["examples"] if e["name"] == "media")
    resp = get(demo, example["path"], DEMO_TOKEN, **example["params"])
    assert (resp.status_code, resp.json()) == (200, example["body"])


def test_the_printed_curl_commands_work(demo_server: ServerProcess) -> None:
    """What `make demo` prints must paste: run every printed command with the real curl."""
    banner = demo_server.output()
    assert f"access token (demo): {DEMO_TOKEN}" in banner
    commands = [line for line in banner.splitlines() if line.startswith("curl ")]
    assert len(commands) >= 8
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    statuses = []
    for command in commands:
        done = subprocess.run(shlex.split(command), capture_output=True, timeout=30,
                              check=True)
        body = json.loads(done.stdout)
        assert list(body) == ["error", "data", "status"]
        statuses.append(body["status"])
    assert statuses.count("ok") >= len(commands) - 2, statuses
    assert statuses[-1] == "InvalidRequestError"  # the last example shows a 400
    assert set(statuses) <= {"ok", "accepted", "InvalidRequestError"}
