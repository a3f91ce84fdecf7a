"""Regressions from a hostile-input and fault test of the reference server (issue 10,
"Hardening"): each test failed before its fix."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_regressions import TOKEN, api, get  # the spec's dataset served in-process

from graphfields.instagram.app import Api, create_api
from graphfields.instagram.dataset import DatasetError, import_dataset, parse_dataset, tag_key
from graphfields.instagram.service import SPEC_DATASET, NodeNotFound, create_service
from graphfields.instagram.sqlite_store import SQLiteStore
from graphfields.instagram.synthetic import SyntheticLoader
from graphfields.instagram.testing import ServerProcess

__all__ = ["api"]  # a fixture, used by name

MEDIA = "/instagram/media/1770093817144369706"
SECRET = "s3cret-Hardening"  # a second token, distinctive enough to search the log for


# --------------------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        (MEDIA, 'comments.after("\\ud800"){edges{node{id}}}',
         'Invalid cursor "\\ud800" in call "after" on field "comments".'),
        (MEDIA, 'comments.before("\\udfff"){edges{node{id}}}',
         'Invalid cursor "\\udfff" in call "before" on field "comments".'),
        (MEDIA, 'comments.first("\\ud800"){edges{node{id}}}',
         'Call "first" on field "comments" expects an integer, got "\\ud800".'),
        ("/instagram/user/spacex", 'media.from_date("a\\ud800b"){edges{node{id}}}',
         'Invalid value for call "from_date" on field "media": "a\\ud800b" is not a date in '
         "yyyy-mm-dd format."),
    ],
)
def test_a_lone_surrogate_escape_is_a_400(api: Api, path: str, fields: str,
                                          message: str) -> None:
    """Was a 500, and ``Api.handle`` raised UnicodeEncodeError: the message quotes the value."""
    status, _, body = api.handle("GET", path, urlencode({"fields": fields,
                                                         "access_token": TOKEN}))
    assert status == 400
    decoded = json.loads(body.decode("utf-8"))  # valid UTF-8, valid JSON
    assert decoded["error"]["message"] == message
    assert decoded["error"]["errors"][0]["message"] == message
    assert decoded["status"] == "InvalidRequestError"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["after", "before", "first", "last", "from_date", "to_date",
                     "from_timestamp"]),
    st.lists(st.one_of(st.sampled_from(["\\ud800", "\\udbff\\udbff", "\\udc00", "\\u0000",
                                        "\\n", "x", "\\\\", "\\u00e9", "\\ud83d\\ude00"]),
                       st.text(alphabet="aZ9=-:", max_size=3)), max_size=5).map("".join),
)
def test_handle_never_raises_on_escaped_strings(api: Api, call: str, value: str) -> None:
    fields = f'id,media.{call}("{value}"){{edges{{node{{id}}}}}}'
    status, _, body = api.handle("GET", "/instagram/user/spacex",
                                 urlencode({"fields": fields, "access_token": TOKEN}))
    assert status in {200, 400}
    assert list(json.loads(body.decode("utf-8"))) == ["error", "data", "status"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"users": [{"id": "1", "username": "a", "full_name": "x\ud800y"}]},
         'users[0]: "full_name" contains a lone surrogate (\\ud800) at character 1: strings '
         "must be valid Unicode"),
        ({"media": [{"id": "5", "owner_id": "1", "caption": ["ok", "\udfff"]}]},
         'media[0]: "caption[1]" contains a lone surrogate (\\udfff) at character 0'),
        ({"users": [{"id": "\ud800", "username": "a"}]},
         'users[0]: "id" contains a lone surrogate'),
        ({"tags": [{"id": "t", "\ud800": 1}]}, 'tags[0]: unknown field "\\ud800"'),
        ({"\ud800": []}, 'unknown collection "\\ud800"'),
    ],
)
def test_a_lone_surrogate_in_a_dataset_is_a_dataset_error(record: dict[str, Any],
                                                          reason: str) -> None:
    with pytest.raises(DatasetError) as info:
        parse_dataset(record, now=0)
    assert str(info.value).startswith(f"Invalid dataset: {reason}")
    str(info.value).encode("utf-8")


def test_a_lone_surrogate_in_a_dataset_file_is_exit_1(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Was a raw UnicodeEncodeError traceback from the SQLite store."""
    from graphfields.cli import main

    data = tmp_path / "data.json"
    data.write_text('{"users": [{"id": "1", "username": "ok"}, '
                    '{"id": "2", "username": "b", "biography": "\\ud83d"}]}')
    code = main(["serve", "--data", str(data), "--db", str(tmp_path / "db.sqlite3"),
                 "--port", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert 'Invalid dataset: users[1]: "biography" contains a lone surrogate (\\ud83d)' in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    ("value", "reason"),
    [(2**64, 'must be a 64-bit integer (-2**63 to 2**63-1), not 18446744073709551616'),
     (2**63, "not 9223372036854775808"), (-(2**63) - 1, "not -9223372036854775809"),
     (10**40, "not 10000000000000000000000000000000000000000"),
     (2**5000, "not an integer of 5001 bits"), ("7", "must be an integer, not string")],
)
def test_out_of_range_integers_say_so(value: Any, reason: str) -> None:
    """Was '"like_count" must be an integer, not integer'."""
    with pytest.raises(DatasetError, match="like_count") as info:
        parse_dataset({"media": [{"id": "5", "owner_id": "1", "like_count": value}]}, now=0)
    assert reason in info.value.reason
    assert "not integer" not in info.value.reason
    ok = parse_dataset({"media": [{"id": "5", "owner_id": "1", "like_count": 2**63 - 1}]}, now=0)
    assert ok.media[0]["like_count"] == 2**63 - 1


# --------------------------------------------------------------------------- tag names


@pytest.mark.parametrize(
    ("name", "key"),
    [("juice", "juice"), ("Juice", "juice"), ("ÉTÉ", "été"), ("E\u0301te\u0301", "été"),
     ("İstanbul", None), ("istanbul", "istanbul"), ("ß", "ß"), ("", None), ("a-b", None),
     ("#juice", None), ("x" * 100, "x" * 100), ("x" * 101, None), ("日本", "日本")],
)
def test_tag_key(name: str, key: str | None) -> None:
    assert tag_key(name) == key


def test_a_tag_that_can_never_load_is_404_not_202(tmp_path: Path) -> None:
    """``İstanbul`` passed the route, lower-cased to a name the validator refused, and answered
    202 forever, starting a load (and logging a traceback) on every request."""
    service = create_service(db_path=tmp_path / "db.sqlite3",
                             loader=SyntheticLoader(delay=0))
    api = create_api(service, tokens=[TOKEN])
    try:
        for _ in range(3):
            resp = get(api, "/instagram/tag/%C4%B0stanbul", fields="id")
            assert resp.status == 404, resp.json()
            assert resp.json()["error"] == {
                "message": "Some nodes you requested cannot be loaded: İstanbul",
                "type": "NodeNotExistsError"}
        assert service.wait_idle(10)
        # A name written decomposed or in capitals is the same tag as the dataset's. (Fresh,
        # so that no refresh by the loader races the answers below.)
        import time

        import_dataset(service.store, {"tags": [{"id": "Été", "media_count": 3}]},
                       now=int(time.time()))
        for spelling in ("%C3%A9t%C3%A9", "E%CC%81TE%CC%81", "%C3%89t%C3%A9"):
            resp = get(api, f"/instagram/tag/{spelling}", fields="id,media_count")
            assert resp.json()["data"] == {"id": "été", "media_count": 3}, spelling
    finally:
        service.close()


def test_the_dataset_refuses_a_tag_the_route_could_not_serve() -> None:
    with pytest.raises(DatasetError, match=r'tags\[0\]: "id" must name a tag .*"İstanbul"'):
        parse_dataset({"tags": [{"id": "İstanbul"}]}, now=0)
    assert parse_dataset({"tags": [{"id": "#E\u0301te\u0301"}]}, now=0).tags[0]["id"] == "été"


# --------------------------------------------------------------------------- usernames


def _user(uid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "username": name, "full_name": f"user {uid}", **extra}


def test_a_pinned_user_keeps_its_username(tmp_path: Path) -> None:
    """The spec's pinned user was shadowed by a newer row with the same username."""
    store = SQLiteStore(tmp_path / "db.sqlite3")
    try:
        import_dataset(store, {"users": [_user("1", "spacex")]}, now=100, pinned=True)
        import_dataset(store, {"users": [_user("2", "SpaceX", last_update=500)]}, now=200)
        row = store.get_user("spacex")
        assert row is not None and row["id"] == "1"
        # a pinned write may move it
        import_dataset(store, {"users": [_user("3", "spacex")]}, now=300, pinned=True)
        assert (store.get_user("SPACEX") or {})["id"] == "3"
    finally:
        store.close()


def test_a_username_names_the_user_written_last(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "db.sqlite3")
    try:
        import_dataset(store, {"users": [_user("1", "alice", last_update=900)]}, now=0)
        # Instagram moved the name to user 2 (an older last_update: write order decides)
        import_dataset(store, {"users": [_user("2", "alice", last_update=100)]}, now=0)
        assert (store.get_user("alice") or {})["id"] == "2"
        # user 2 renames itself: its old name names nobody, its new name names it
        import_dataset(store, {"users": [_user("2", "bob")]}, now=0)
        assert store.get_user("alice") is None
        assert (store.get_user("bob") or {})["id"] == "2"
        import_dataset(store, {"users": [_user("1", "alice")]}, now=0)
        assert (store.get_user("alice") or {})["id"] == "1"
    finally:
        store.close()


def test_a_file_written_before_the_username_table_keeps_its_answers(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    store = SQLiteStore(db)
    import_dataset(store, {"users": [_user("1", "old", last_update=100),
                                     _user("3", "pin", last_update=1)]}, now=0, pinned=False)
    import_dataset(store, {"users": [_user("2", "old", last_update=200)]}, now=0)
    conn = store.connection()
    conn.execute("UPDATE users SET complete = 2 WHERE id = '3'")
    conn.execute("INSERT INTO users (id, username, last_update) VALUES ('4', 'pin', 999)")
    conn.execute("DELETE FROM usernames")
    store.close()
    store = SQLiteStore(db)
    try:
        assert (store.get_user("old") or {})["id"] == "2"  # the newest
        assert (store.get_user("pin") or {})["id"] == "3"  # the pinned one
    finally:
        store.close()


def test_the_demo_user_stays_the_specs_after_loads(tmp_path: Path) -> None:
    """The demo's pinned spec users answer with the spec's values after the loader wrote
    other users of the same names (its owners and commenters have their own IDs)."""
    service = create_service(db_path=tmp_path / "db.sqlite3", demo=True, demo_delay=0)
    try:
        spec = json.loads(SPEC_DATASET.read_text())
        for user in spec["users"]:
            newer = {"users": [_user(f"9{user['id']}", user["username"],
                                     last_update=2_000_000_000)]}
            import_dataset(service.store, newer, now=0)
            data = service.fetch("user", user["username"], "id,username", {})
            assert data == {"id": str(user["id"]), "username": user["username"]}
    finally:
        service.close()


# --------------------------------------------------------------------------- 404 messages


@pytest.mark.parametrize(
    ("segment", "shown"),
    [("a%0Ab", "a\\nb"), ("%1B%5B31m", "\\x1b[31m"), ("x%7F", "x\\x7f"),
     ("%E2%80%A8", "\\u2028"), ("%C2%85", "\\x85")],
)
def test_404_messages_escape_control_characters(api: Api, segment: str, shown: str) -> None:
    for kind in ("user", "tag", "media"):
        resp = get(api, f"/instagram/{kind}/{segment}")
        assert resp.status == 404
        assert resp.json()["error"]["message"] == (
            f"Some nodes you requested cannot be loaded: {shown}")


def test_the_service_exception_still_carries_the_raw_id(tmp_path: Path) -> None:
    service = create_service(db_path=tmp_path / "db.sqlite3")
    try:
        with pytest.raises(NodeNotFound) as info:
            service.fetch("user", "a\nb", "id", {})
        assert info.value.node_id == "a\nb"
    finally:
        service.close()


# --------------------------------------------------------------------------- timeouts


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    db = tmp_path_factory.mktemp("timeouts") / "db.sqlite3"
    with ServerProcess(["--data", str(SPEC_DATASET), "--db", str(db), "--token", TOKEN,
                        "--token", SECRET, "--header-timeout", "1.5"]) as srv:  # access log on
        yield srv


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    return sock


def _read_all(sock: socket.socket) -> tuple[bytes, float]:
    """Everything until the server closes, and how long that took."""
    start = time.monotonic()
    chunks: list[bytes] = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks), time.monotonic() - start
        chunks.append(chunk)


REQUEST = (f"GET {MEDIA}?fields=id&access_token={TOKEN} HTTP/1.1\r\n"
           "Host: x\r\n\r\n").encode()


def test_an_idle_connection_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        data, took = _read_all(sock)
    assert data == b"" and took < 10


def test_trickled_headers_get_408(server: ServerProcess) -> None:
    with _connect(server) as sock:
        for piece in (b"GET / HT", b"TP/1.1\r\n", b"Host: x\r\n"):
            sock.sendall(piece)
            time.sleep(0.4)
        data, took = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data
    assert took < 10


def test_trickling_after_a_kept_alive_answer_gets_408(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(REQUEST)
        time.sleep(0.3)
        sock.sendall(b"GET / HTTP/1.1\r\n")
        for _ in range(3):
            time.sleep(0.5)
            sock.sendall(b"X-A: b\r\n")
        data, took = _read_all(sock)
    first, _, rest = data.partition(b"\r\n")
    assert first == b"HTTP/1.1 200 OK"
    assert b"HTTP/1.1 408 Request Timeout" in rest
    assert took < 10


@pytest.mark.parametrize("line", [b"GET /\r\n", b"GET /instagram/media/1\n", b"\r\nGET /\r\n",
                                  b"HELLO\r\n"])
def test_http09_request_lines_are_answered_at_once(server: ServerProcess, line: bytes) -> None:
    with _connect(server) as sock:
        sock.sendall(line)
        data, took = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data
    assert took < 1.0  # not the 1.5 s deadline: at once


def test_requests_in_time_are_served(server: ServerProcess) -> None:
    with _connect(server) as sock:
        for _ in range(3):  # keep-alive: each request restarts the clock
            sock.sendall(REQUEST[:20])
            time.sleep(0.6)
            sock.sendall(REQUEST[20:])
            with sock.makefile("rb") as stream:
                assert stream.readline() == b"HTTP/1.1 200 OK\r\n"
                length = 0
                while (line := stream.readline()) != b"\r\n":
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                assert json.loads(stream.read(length))["data"] == {"id": MEDIA.split("/")[-1]}


def _answers(sock: socket.socket, count: int) -> list[int]:
    """The status codes of ``count`` keep-alive answers read off ``sock``."""
    statuses = []
    with sock.makefile("rb") as stream:
        for _ in range(count):
            status = stream.readline()
            statuses.append(int(status.split()[1]) if status else 0)
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            stream.read(length)
    return statuses


@pytest.mark.parametrize("cut", [3, 20, len(REQUEST) - 12, len(REQUEST) - 2])
def test_a_pipelined_request_split_after_the_first_is_served(server: ServerProcess,
                                                             cut: int) -> None:
    """A chunk holding one whole request and the start of the next (the next's line cut, or
    its headers): the rest, sent later, is not a request line of its own."""
    with _connect(server) as sock:
        sock.sendall(REQUEST + REQUEST[:cut])
        time.sleep(0.3)
        sock.sendall(REQUEST[cut:])
        assert _answers(sock, 2) == [200, 200]


# --------------------------------------------------------------------------- the access log


def test_the_access_log_masks_every_spelling_of_the_token(server: ServerProcess) -> None:
    """``?fields=id;access_token=T`` was logged in clear, and a token holding '"' in part."""
    queries = [f"fields=id;access_token={SECRET}", f'access_token=x"{SECRET}"y',
               f"access%5Ftoken={SECRET}&fields=id", f"fields=access_token={SECRET}",
               f"ACCESS_TOKEN={SECRET}x"]
    for query in queries:
        with _connect(server) as sock:
            sock.sendall(f"GET {MEDIA}?{query} HTTP/1.1\r\nHost: x\r\n"
                         "Connection: close\r\n\r\n".encode())
            assert _read_all(sock)[0].startswith(b"HTTP/1.1 ")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        logged = [line for line in server.output().splitlines() if "access" in line.lower()
                  and MEDIA in line]
        if len(logged) >= len(queries):
            break
        time.sleep(0.1)
    assert len(logged) >= len(queries), server.output()
    for line in logged:
        assert SECRET not in line and SECRET.lower() not in line.lower(), line
        assert "***" in line


def test_header_timeout_option() -> None:
    from graphfields.cli import build_parser

    assert build_parser().parse_args(["serve"]).header_timeout == 30.0
    assert build_parser().parse_args(["serve", "--header-timeout", "0"]).header_timeout == 0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--header-timeout", "-1"])
