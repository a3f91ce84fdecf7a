"""Regression tests for bugs found by a QA pass: each test names the symptom it pins."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from example_schema import schema
from hypothesis import given, settings
from hypothesis import strategies as st

import graphfields
from graphfields import (
    ID,
    Boolean,
    Connection,
    ExecutionError,
    FieldsValidationError,
    Int,
    LimitExceededError,
    Limits,
    ListOf,
    ObjectType,
    Page,
    Schema,
    String,
    compile,
    execute,
    field_,
    parse,
)
from graphfields.cli import build_parser, main
from graphfields.execution.interpret import interpret
from graphfields.http import Request, Response
from graphfields.instagram.app import Api, create_api
from graphfields.instagram.dataset import DatasetError, load_json, parse_dataset
from graphfields.instagram.service import SPEC_DATASET, Freshness, NodeLoading, create_service
from graphfields.instagram.serving import ServeOptions, run_server
from graphfields.instagram.shortcode import make_media_id

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


# -- an alias taking the key of a connection's `always` field ---------------------------
# Symptom: `comments{edges{node{text.as(timestamp)}}}` answered 200 with the comment's text
# under "timestamp" and no timestamp at all: the alias silently replaced the always field.

@pytest.mark.parametrize(("fields", "column", "key", "name"), [
    ("comments{edges{node{text.as(timestamp)}}}", 21, "timestamp", "text"),
    ("comments{edges{node{id,owner.as(is_being_updated)}}}", 24, "is_being_updated", "owner"),
])
def test_alias_on_an_always_key_is_a_conflict(fields: str, column: int, key: str,
                                              name: str) -> None:
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", fields)
    issue = info.value.issues[0]
    assert (issue.line, issue.column) == (1, column)
    assert issue.message == (
        f'Fields "{key}" conflict because "{name}" and "{key}" are different fields: '
        f'"{key}" is always returned on type "Comment" here. Use a different alias.')


@pytest.mark.parametrize("fields", [
    "comments{edges{node{timestamp.as(ts)}}}",      # the always field under an alias: both
    "comments{edges{node{timestamp,text}}}",        # selected plainly: once
])
def test_always_fields_with_aliases_still_compile(fields: str) -> None:
    compile(schema, "Media", fields)


def test_alias_on_an_always_key_over_http(api: Api) -> None:
    resp = get(api, "/instagram/media/BiQovLGAWIq",
               fields="comments{edges{node{text.as(timestamp)}}}")
    assert resp.status == 400
    assert resp.json()["error"]["errors"][0]["position"] == 20


# -- graphfields serve: argument values ------------------------------------------------
# Symptoms: `--port 99999` served on port 34463 (the socket layer wraps ports modulo
# 65536); `--token ''` ended in a ValueError traceback after the port was bound;
# `--threads 0` started a server whose every request failed (500); `--demo-delay inf` made
# every demo load fail (202 forever), nan and negative delays were silently 0.

@pytest.mark.parametrize(("argv", "message"), [
    (["--port", "99999"], "argument --port: port must be between 0 and 65535, not 99999"),
    (["--port", "-1"], "argument --port: port must be between 0 and 65535, not -1"),
    (["--port", "http"], "argument --port: invalid port: 'http'"),
    (["--token", ""], "argument --token: an access token must be non-empty, without "
                      "surrounding spaces"),
    (["--token", " t"], "argument --token: an access token must be non-empty, without "
                        "surrounding spaces"),
    (["--threads", "-1"], "argument --threads: must be at least 0, not -1"),
    (["--threads", "many"], "argument --threads: invalid integer: 'many'"),
    (["--demo-delay", "nan"],
     "argument --demo-delay: must be a non-negative, finite number of seconds, not nan"),
    (["--demo-delay", "inf"],
     "argument --demo-delay: must be a non-negative, finite number of seconds, not inf"),
    (["--demo-delay", "-1"],
     "argument --demo-delay: must be a non-negative, finite number of seconds, not -1"),
    (["--demo-delay", "soon"], "argument --demo-delay: invalid number of seconds: 'soon'"),
])
def test_serve_bad_argument_values_exit_2(argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["serve", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"graphfields serve: error: {message}"
    assert "Traceback" not in err


def test_serve_port_bounds_are_accepted() -> None:
    for port in ("0", "65535"):
        assert build_parser().parse_args(["serve", "--port", port]).port == int(port)


# Symptom: `--db` naming a directory or a file that is not SQLite ended in a sqlite3
# traceback (unable to open database file / file is not a database).

@pytest.mark.parametrize("kind", ["directory", "not sqlite"])
def test_serve_unusable_db_exit_1(kind: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "db"
    if kind == "directory":
        db.mkdir()
    else:
        db.write_text("{}\n" * 1000, encoding="utf-8")
    out = io.StringIO()
    code = run_server(ServeOptions(db=db, port=0, tokens=("t",)), environ={}, out=out)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"graphfields serve: cannot open the database {db}: ")
    assert len(err.splitlines()) == 1
    assert out.getvalue() == ""


# -- graphfields check --schema: a module that exits on import ---------------------------
# Symptom: a schema module that runs sys.exit() (or a script's argparse) on import ended
# `graphfields check` silently with that module's exit code.

@pytest.mark.parametrize(("body", "shown"), [
    ("raise SystemExit(3)\n", "SystemExit: 3"),
    ("import sys\nsys.exit('bye')\n", "SystemExit: bye"),
])
def test_schema_module_exiting_on_import_is_a_usage_error(
        body: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    name = f"exiting_schema_mod_{abs(hash(body))}"
    (tmp_path / f"{name}.py").write_text(body, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", "--schema", f"{name}:schema", "--type", "T", "id"]) == 2
    assert capsys.readouterr().err == (
        f'graphfields check: error: cannot import schema module "{name}": {shown}\n')


# -- dataset import: timestamps and media IDs ------------------------------------------
# Symptoms: a post imported with a millisecond (or far negative) timestamp answered 500 on
# every request that showed `created_time` (year out of range); a media ID written with a
# leading zero was stored as "0177..." and never found by its ID (the API looks up 177...).

SPEC_MEDIA = "1770093817144369706"
USER = {"id": "1", "username": "bob"}


@pytest.mark.parametrize(("collection", "stamp"), [
    ("media", 1525231648000), ("media", -99_999_999_999), ("comments", 2**62),
    ("media", 253_402_300_800),
])
def test_timestamp_outside_years_1_to_9999_is_a_dataset_error(
        collection: str, stamp: int, tmp_path: Path) -> None:
    data: dict[str, Any] = {"users": [USER], "media": [{"id": SPEC_MEDIA, "owner_id": "1"}]}
    if collection == "media":
        data["media"][0]["timestamp"] = stamp
    else:
        data["comments"] = [{"id": "5", "parent_id": SPEC_MEDIA, "timestamp": stamp}]
    with pytest.raises(DatasetError) as info:
        create_service(db_path=tmp_path / "db.sqlite3", data_file=_write_json(tmp_path, data))
    assert (info.value.collection, info.value.index) == (collection, 0)
    assert info.value.reason == (
        f'"timestamp" must be UNIX seconds between year 1 and 9999, not {stamp}')


@pytest.mark.parametrize("stamp", [-62_135_596_800, 0, 253_402_300_799])
def test_timestamp_at_the_ends_of_the_range_is_served(stamp: int, tmp_path: Path) -> None:
    data = {"users": [USER], "media": [{"id": SPEC_MEDIA, "owner_id": "1", "timestamp": stamp}]}
    service = create_service(db_path=tmp_path / "db.sqlite3",
                             data_file=_write_json(tmp_path, data))
    try:
        out = service.fetch("media", SPEC_MEDIA, "created_time", {})
    finally:
        service.close()
    assert out["created_time"] in ("0001-01-01T00:00:00", "1970-01-01T00:00:00",
                                   "9999-12-31T23:59:59")


def test_media_ids_with_leading_zeros_are_canonical(tmp_path: Path) -> None:
    data = {
        "users": [USER],
        "media": [{"id": "0" + SPEC_MEDIA, "owner_id": "1"}],
        "comments": [{"id": "5", "parent_id": "00" + SPEC_MEDIA, "text": "hi"}],
        "tags": [{"id": "juice", "media_ids": ["000" + SPEC_MEDIA]}],
    }
    service = create_service(db_path=tmp_path / "db.sqlite3",
                             data_file=_write_json(tmp_path, data))
    try:
        media = service.fetch("media", SPEC_MEDIA, "id,shortcode,comments{edges{node{text}}}",
                              {})
        tag = service.fetch("tag", "juice", "media{edges{node{id}}}", {})
    finally:
        service.close()
    assert media["id"] == SPEC_MEDIA and media["shortcode"] == "BiQovLGAWIq"
    assert [e["node"]["text"] for e in media["comments"]["edges"]] == ["hi"]
    assert tag["media"]["edges"] == [{"node": {"id": SPEC_MEDIA, "timestamp": 1525231648,
                                               "last_update": tag["media"]["edges"][0]["node"]
                                               ["last_update"], "is_being_updated": False}}]


def test_same_media_id_with_and_without_zeros_is_a_duplicate() -> None:
    with pytest.raises(DatasetError, match=r'media\[1\]: duplicate id "1770093817144369706"'):
        parse_dataset({"media": [{"id": SPEC_MEDIA, "owner_id": "1"},
                                 {"id": "0" + SPEC_MEDIA, "owner_id": "1"}]}, now=0)


def test_a_media_id_of_thousands_of_digits_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match=r'"id" of a media must be a decimal number'):
        parse_dataset({"media": [{"id": "9" * 5000, "owner_id": "1"}]}, now=0)


def _write_json(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- library API misuse: wrong argument types ------------------------------------------
# Symptoms: compile() with bytes/None/int fields, a non-type, a non-schema, a list of
# filters or a dict of limits raised AttributeError/TypeError from deep inside
# ('bytes' object has no attribute 'fields'); execute() with a non-plan likewise;
# a non-str filter name failed inside the suggestion code.

@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((schema, "Media", b"id"), {},
     "compile() needs the fields as a str or a parsed Selection, not bytes"),
    ((schema, "Media", None), {},
     "compile() needs the fields as a str or a parsed Selection, not NoneType"),
    ((schema, "Media", 5), {}, "compile() needs the fields as a str or a parsed Selection, "
                               "not int"),
    ((schema, 5, "id"), {}, "compile() needs a type name or ObjectType, not int"),
    ((None, "Media", "id"), {}, "compile() needs a Schema, not NoneType"),
    ((schema, "Media", "id"), {"filters": ["from_date"]},
     "compile() needs filters as a mapping, not list"),
    ((schema, "Media", "comments"), {"filters": {1: "x"}},
     "compile() needs filter names as str, not int: 1"),
    ((schema, "Media", "id"), {"limits": {"max_depth": 1}},
     "compile() needs limits=Limits(...), not dict"),
])
def test_compile_argument_types(args: tuple[Any, ...], kwargs: dict[str, Any],
                                message: str) -> None:
    with pytest.raises(TypeError) as info:
        compile(*args, **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("run", [execute, interpret])
def test_execute_needs_a_plan(run: Any) -> None:
    with pytest.raises(TypeError, match=r"^execute\(\) needs a Plan from compile\(\), not str$"):
        run("id", {"id": 1})


# Symptom: filters={"from_timestamp": True} compiled (as 1) whenever the plan for 1 was
# cached first, and failed otherwise: True == 1 and they hash alike in the plan cache.

def test_a_bool_filter_never_shares_the_plan_of_an_int() -> None:
    compile(schema, "Media", "comments{edges{node{id}}}", filters={"from_timestamp": 1})
    with pytest.raises(FieldsValidationError, match="True is not an integer UNIX timestamp"):
        compile(schema, "Media", "comments{edges{node{id}}}", filters={"from_timestamp": True})
    compile(schema, "Media", "comments{edges{node{id}}}", filters={"to_date": "2019-01-01"})

    class Odd:
        def __repr__(self) -> str:
            return "2019-01-01"

    with pytest.raises(FieldsValidationError, match="is not a date"):
        compile(schema, "Media", "comments{edges{node{id}}}", filters={"to_date": Odd()})  # type: ignore[dict-item]


# -- values taken apart by list() ----------------------------------------------------------
# Symptoms: a str as a connection's value gave one node per character, a dict one node per
# key; a str under a ListOf(String) field came out as a list of characters; a batch resolver
# that returned {id: row} (instead of one value per parent) silently gave the IDs as the
# values. All are TypeErrors in an ExecutionError with the field's path now, in both
# executors.

def _owners_by_id(parents: Any, context: Any) -> Any:
    return {p["owner_id"]: {"id": p["owner_id"], "username": "x"} for p in parents}


_Owner = ObjectType("Owner", {"id": ID, "username": String})
_Comment = ObjectType("Comment", {
    "id": ID, "timestamp": Int, "owner": field_(_Owner, batch=_owners_by_id),
})
_Media = ObjectType("Media", {
    "id": ID, "caption": ListOf(String), "friends": ListOf(_Owner),
    "comments": Connection(_Comment, timestamp_field="timestamp"),
})
_SCHEMA = Schema([_Media, _Comment, _Owner])


@pytest.mark.parametrize(("fields", "data", "path", "reason"), [
    ("comments{edges{node{id}}}", {"comments": "abc"}, "comments",
     "a connection value must be a sequence, an iterable or a graphfields.Page, not str"),
    ("comments{edges{node{id}}}", {"comments": {"a": 1}}, "comments",
     "a connection value must be a sequence, an iterable or a graphfields.Page, not dict"),
    ("comments{edges{node{id}}}", {"comments": Page("ab", 0, False, False)}, "comments",
     "Page.nodes must be a sequence, an iterable or a graphfields.Page, not str"),
    ("comments{edges{node{id}}}", {"comments": Page([], -1, False, False)}, "comments",
     "Page.offset must be a non-negative int, not -1"),
    ("caption", {"caption": "Falcon 9"}, "caption",
     "a list field's value must be a list or another iterable of items, not str"),
    ("friends{id}", {"friends": {"id": 1}}, "friends",
     "a list field's value must be a list or another iterable of items, not dict"),
    ("comments{edges{node{owner{id}}}}",
     {"comments": [{"id": 1, "timestamp": 2, "owner_id": 7},
                   {"id": 2, "timestamp": 1, "owner_id": 8}]},
     "comments.edges[0].node.owner",
     "a batch resolver's result (one value per parent, in order) must be a list or another "
     "iterable of items, not dict"),
])
@pytest.mark.parametrize("run", [execute, interpret])
def test_strings_and_mappings_are_not_collections(
        run: Any, fields: str, data: Any, path: str, reason: str) -> None:
    plan = compile(_SCHEMA, "Media", fields)
    with pytest.raises(ExecutionError) as info:
        run(plan, data)
    assert info.value.path == path
    assert isinstance(info.value.__cause__, TypeError)
    assert str(info.value.__cause__) == reason


@pytest.mark.parametrize("run", [execute, interpret])
def test_other_iterables_are_still_collections(run: Any) -> None:
    plan = compile(_SCHEMA, "Media", "caption,friends{id},comments{edges{node{id}}}")
    data = {"caption": (c for c in ["a", "b"]), "friends": ({"id": i} for i in range(2)),
            "comments": Page(iter([{"id": 1}]), 0, False, False)}  # type: ignore[arg-type]
    assert run(plan, data) == {"caption": ["a", "b"], "friends": [{"id": "0"}, {"id": "1"}],
                               "comments": {"edges": [{"node": {"id": "1"}}]}}


# Symptom: a dataset user named "john-doe" (or a tag "c++") imported fine, then every
# request for it answered 404 "cannot be loaded": the routes only serve Instagram-shaped
# names. Such records are import errors now, naming the record.

@pytest.mark.parametrize(("record", "reason"), [
    ({"users": [{"id": "1", "username": "john-doe"}]},
     '"username" must be 1-30 letters, digits, periods or underscores: "john-doe"'),
    ({"users": [{"id": "1", "username": ""}]},
     '"username" must be 1-30 letters, digits, periods or underscores: ""'),
    ({"users": [{"id": "1", "username": "a" * 31}]},
     f'"username" must be 1-30 letters, digits, periods or underscores: "{"a" * 31}"'),
    ({"tags": [{"id": "c++"}]}, '"id" must name a tag (1-100 letters, digits or underscores): '
                                '"c++"'),
    ({"tags": [{"id": "#"}]}, '"id" must name a tag (1-100 letters, digits or underscores): ""'),
])
def test_names_the_api_cannot_serve_are_dataset_errors(record: dict[str, Any],
                                                       reason: str) -> None:
    with pytest.raises(DatasetError) as info:
        parse_dataset(record, now=0)
    assert info.value.index == 0 and info.value.reason == reason


@pytest.mark.parametrize(("path", "record"), [
    ("/instagram/user/Lena.Photo_2", {"users": [{"id": "9", "username": "lena.photo_2"}]}),
    ("/instagram/tag/%C3%A9t%C3%A9", {"tags": [{"id": "#été"}]}),
])
def test_names_the_api_serves_import_and_answer(path: str, record: dict[str, Any],
                                                tmp_path: Path) -> None:
    service = create_service(db_path=tmp_path / "db.sqlite3",
                             data_file=_write_json(tmp_path, record))
    try:
        resp = create_api(service, tokens=[TOKEN])(
            Request("GET", path, urlencode({"access_token": TOKEN, "fields": "id"})))
    finally:
        service.close()
    assert resp.status == 200, resp.body


# Symptom: `graphfields serve --data` with a JSON file nested 200,000 deep, or with an
# integer of 5,000 digits, ended in a RecursionError / ValueError traceback; a key given
# twice in one object silently dropped its first value.

@pytest.mark.parametrize(("text", "reason"), [
    ('{"users":' + "[" * 200_000 + "]" * 200_000 + "}",
     "dataset.json is nested too deeply to be a dataset"),
    ('{"users": [{"id": 1, "username": "a", "follower_count": ' + "1" * 5000 + "}]}",
     "dataset.json is not a usable JSON file: Exceeds the limit (4300 digits) for integer "
     "string conversion: value has 5000 digits"),
    ('{"users": [{"id": "1", "username": "a"}], "users": []}',
     'dataset.json: the key "users" appears twice in one object (the first value would be '
     "lost)"),
    ('{"users": [{"id": "1", "username": "a", "id": "2"}]}',
     'dataset.json: the key "id" appears twice in one object (the first value would be lost)'),
])
def test_unusable_json_files_are_dataset_errors(text: str, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "dataset.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        load_json(path)
    assert info.value.reason.replace(str(tmp_path) + "/", "") == reason


# Symptom: a tag imported as "Été" (or "ΣΟΦΙΑ") answered 404 for every spelling, its own
# included: the service looks tags up in lower case and SQLite's NOCASE folds ASCII only.

@pytest.mark.parametrize(("stored", "asked"), [
    ("Été", "Été"), ("Été", "été"), ("#ΣΟΦΙΑ", "σοφια"), ("Juice", "JUICE"),
])
def test_tags_with_non_ascii_capitals_are_found(stored: str, asked: str,
                                                tmp_path: Path) -> None:
    service = create_service(db_path=tmp_path / "db.sqlite3",
                             data_file=_write_json(tmp_path, {"tags": [{"id": stored}]}))
    try:
        assert service.fetch("tag", asked, "id", {}) == {"id": stored.lstrip("#").lower()}
    finally:
        service.close()


# Symptom: a fields file with a UTF-8 byte-order mark piped to `graphfields check -` (or
# fmt, ast) failed with "Expected a field name, found character U+FEFF".

@pytest.mark.parametrize("command", ["check", "fmt", "ast"])
def test_stdin_byte_order_mark_is_ignored(command: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeffid,username\n"))
    assert main([command, "-"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    if command == "fmt":
        assert captured.out == "id,username\n"


# Symptom: a dataset file saved with a UTF-8 byte-order mark (Windows editors) was refused:
# "Unexpected UTF-8 BOM (decode using utf-8-sig)".

def test_dataset_file_with_byte_order_mark_imports(tmp_path: Path) -> None:
    path = tmp_path / "dataset.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"tags": [{"id": "sun"}]}).encode())
    assert load_json(path) == {"tags": [{"id": "sun"}]}


# Symptom: parse(text, limits={"max_depth": 1}) raised "unhashable type: 'dict'" and
# limits=5 an AttributeError, instead of saying what limits= takes.

@pytest.mark.parametrize(("limits", "shown"), [({"max_depth": 1}, "dict"), (5, "int")])
def test_parse_limits_type(limits: Any, shown: str) -> None:
    with pytest.raises(TypeError, match=rf"^parse\(\) needs limits=Limits\(\.\.\.\), "
                                        rf"not {shown}$"):
        parse("a{b}", limits=limits)


def test_parse_and_compile_share_one_limits_class() -> None:
    """Issue 7: one Limits for parse and compile (ParseLimits is the same class)."""
    assert graphfields.ParseLimits is Limits
    with pytest.raises(LimitExceededError, match="nested more than 1 deep"):
        parse("a{b{c}}", limits=Limits(max_depth=1))
    with pytest.raises(LimitExceededError) as info:
        compile(schema, "Media", "id," * 20 + "id", limits=Limits(max_length=30))
    assert info.value.limit == "max_length"


# Symptom: a negative integer ID was refused with '"id" must be a non-empty string or
# integer, not integer'.

def test_negative_integer_id_message() -> None:
    with pytest.raises(DatasetError) as info:
        parse_dataset({"users": [{"id": -5, "username": "a"}]}, now=0)
    assert info.value.reason == '"id" must not be negative: -5'


# Symptom: with Limits(max_depth=32) (or any limit at or above the parser's default), a
# request one level too deep got the parser's message and position ("Selections are nested
# more than 32 deep") instead of compile's own, unlike a limit of 31.

_NODE = ObjectType("Node", {"id": ID, "child": "Node"})
_NODES = Schema([_NODE])


@pytest.mark.parametrize("limit", [31, 32, 33, 63])
def test_compile_words_its_depth_limit_at_any_value(limit: int) -> None:
    n = limit + 1
    with pytest.raises(LimitExceededError) as info:
        compile(_NODES, "Node", "child{" * n + "id" + "}" * n, limits=Limits(max_depth=limit))
    assert info.value.limit == "max_depth"
    assert info.value.message == (
        f"Selection is nested too deeply: depth {n} exceeds max_depth={limit}.")


@pytest.mark.parametrize("limit", [9_999, 10_000])
def test_compile_words_its_field_limit_at_any_value(limit: int) -> None:
    with pytest.raises(LimitExceededError) as info:
        compile(_NODES, "Node", ",".join(["id"] * (limit + 1)), limits=Limits(max_fields=limit))
    assert info.value.message == (
        f"Selection has too many fields: {limit + 1} exceeds max_fields={limit}.")


# Symptom: a loader returning more posts than max_user_media, with comments (or a tag feed)
# on the posts beyond the limit, had its whole result refused ("unknown parent_id": the
# posts were dropped, their comments kept), so the user answered 202 forever.

class _ManyPostsLoader:
    def load_user(self, username: str, *, max_media: int) -> dict[str, Any]:
        media = [{"id": str(make_media_id(1_600_000_000 + i * 100, i)), "owner_id": "1",
                  "timestamp": 1_600_000_000 + i * 100} for i in range(3)]
        return {
            "users": [{"id": "1", "username": username}],
            "media": media,
            "comments": [{"id": f"c{i}", "parent_id": m["id"], "text": f"on {i}"}
                         for i, m in enumerate(media)],
            "tags": [{"id": "t", "media_ids": [m["id"] for m in media]}],
        }

    def load_media(self, media_id: str, *, max_comments: int) -> None:
        return None

    def load_tag(self, name: str, *, max_media: int) -> None:
        return None


def test_posts_over_the_user_limit_take_their_comments_along(tmp_path: Path) -> None:
    service = create_service(db_path=tmp_path / "db.sqlite3", loader=_ManyPostsLoader(),
                             max_user_media=1)
    fields = "media{edges{node{timestamp,comments{edges{node{text}}}}}}"
    try:
        with pytest.raises(NodeLoading):
            service.fetch("user", "bob", fields, {})
        assert service.wait_idle(10)
        data = service.fetch("user", "bob", fields, {})
        feed = service.fetch("tag", "t", "media{edges{node{timestamp}}}", {})
    finally:
        service.close()
    [edge] = data["media"]["edges"]
    assert edge["node"]["timestamp"] == 1_600_000_200  # the newest post only
    assert [e["node"]["text"] for e in edge["node"]["comments"]["edges"]] == ["on 2"]
    assert [e["node"]["timestamp"] for e in feed["media"]["edges"]] == [1_600_000_200]


# Symptom: create_service(loader=..., profile_ttl="1d") was accepted, then every request for
# a stored user failed with a TypeError (500) in the freshness check; NaN silently never
# refreshed.

@pytest.mark.parametrize(("setting", "message"), [
    ({"post_ttl": "2h"}, "post_ttl must be a non-negative number of seconds, not '2h'"),
    ({"profile_ttl": float("nan")}, "profile_ttl must be a non-negative number of seconds, "
                                    "not nan"),
    ({"negative_ttl": -1}, "negative_ttl must be a non-negative number of seconds, not -1"),
    ({"max_comments": 2.5}, "max_comments must be a non-negative integer, not 2.5"),
    ({"max_tag_media": True}, "max_tag_media must be a non-negative integer, not True"),
])
def test_freshness_settings_are_checked(setting: dict[str, Any], message: str,
                                        tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        create_service(db_path=tmp_path / "db.sqlite3", **setting)
    assert str(info.value) == message


def test_freshness_accepts_never() -> None:
    assert Freshness(post_ttl=float("inf"), max_comments=0).post_ttl == float("inf")


# ---- issue 7: bugs fixed on the way ------------------------------------------------------

def _two_runs(plan: Any, data: Any) -> list[Any]:
    """The interpreter's answer and the generated code's (a shape's third run)."""
    from plan_builder import run_generated

    from graphfields.execution.interpret import interpret

    outs = []
    for run in (interpret, run_generated):
        try:
            outs.append(run(plan, data))
        except ExecutionError as exc:
            outs.append((exc.path, type(exc.original).__name__, str(exc.original)))
    return outs


def test_a_getter_registered_for_dict_is_honoured_by_generated_code() -> None:
    from graphfields import sources

    t = ObjectType("T", {"id": ID, "name": String})
    s = Schema([t])
    plan = compile(s, "T", "id,name")
    assert _two_runs(plan, {"id": "1", "name": "n"}) == [{"id": "1", "name": "n"}] * 2
    sources.register(dict, lambda parent, name: str(parent.get(name)).upper())
    try:
        expected = {"id": "1", "name": "N"}
        assert _two_runs(plan, {"id": "1", "name": "n"}) == [expected, expected]
        assert execute(plan, {"id": "1", "name": "n"}) == expected  # a runner built earlier
    finally:
        sources.unregister(dict)
    assert execute(plan, {"id": "1", "name": "n"}) == {"id": "1", "name": "n"}


@pytest.mark.parametrize("where", ["scalar", "object", "list", "connection", "batch"])
def test_an_async_resolver_in_execute_is_a_clear_error(where: str) -> None:
    import warnings

    async def value(*args: Any) -> Any:
        return [] if where in ("list", "connection", "batch") else {"id": "1"}

    item = ObjectType("Item", {"id": ID})
    fields: dict[str, Any] = {"id": ID}
    if where == "scalar":
        fields["x"] = field_(String, resolve=value)
    elif where == "object":
        fields["x"] = field_(item, resolve=value)
    elif where == "list":
        fields["x"] = field_(ListOf(item), resolve=value)
    elif where == "connection":
        fields["x"] = Connection(item, resolve=value)
    else:
        fields["x"] = field_(ListOf(item), batch=value)
    s = Schema([ObjectType("Root", fields), item])
    plan = compile(s, "Root", "x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" either
        outs = _two_runs(plan, {"id": "r"})
    assert outs[0] == outs[1]
    path, kind, message = outs[0]
    assert path == "x" and kind == "AwaitableInSync" and "execute_async" in message


def test_date_filters_on_unsorted_data_are_an_error_naming_the_field() -> None:
    item = ObjectType("Item", {"id": ID, "ts": Int})
    s = Schema([ObjectType("Root", {"id": ID, "items": Connection(
        item, max_first=50, timestamp_field="ts")}), item])
    plan = compile(s, "Root", "items.from_timestamp(10){edges{node{id}}}")
    newest_first = {"id": "r", "items": [{"id": str(i), "ts": 100 - i} for i in range(20)]}
    assert len(_two_runs(plan, newest_first)[0]["items"]["edges"]) == 20
    shuffled = {"id": "r", "items": [{"id": str(i), "ts": (i * 37) % 100} for i in range(20)]}
    outs = _two_runs(plan, shuffled)
    assert outs[0] == outs[1]
    path, kind, message = outs[0]
    assert path == "items" and kind == "ValueError"
    assert 'not sorted by "ts" (newest first)' in message


_ODD = st.one_of(
    st.binary(max_size=3), st.sets(st.integers(0, 3), max_size=2), st.none(), st.booleans(),
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=3),
    st.builds(object), st.lists(st.integers(0, 3), max_size=2),
    st.datetimes(timezones=st.none() | st.timezones()),
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({k: _ODD for k in ("s", "i", "f", "b", "d", "x", "l")}))
def test_every_built_in_scalar_gives_json_or_an_error_naming_path_and_type(
    data: dict[str, Any],
) -> None:
    import json

    t = ObjectType("T", {"s": String, "i": Int, "f": graphfields.Float, "b": Boolean,
                         "d": graphfields.Datetime, "x": ID, "l": ListOf(String)}, defaults=["s"])
    plan = compile(Schema([t]), "T", "s,i,f,b,d,x,l")
    outs = _two_runs(plan, data)
    assert outs[0] == outs[1]
    if isinstance(outs[0], dict):
        json.dumps(outs[0], allow_nan=False)
    else:
        path, kind, message = outs[0]
        assert path in data and kind == "TypeError"
        assert "cannot represent" in message or "must be a list" in message


def test_a_connection_without_page_size_is_capped_as_its_cost_counts() -> None:
    node = ObjectType("Node", {"id": ID, "kids": Connection("Node", max_first=1000)})
    s = Schema([node])
    kids = [{"id": str(i), "kids": []} for i in range(1000)]
    root = {"id": "r", "kids": [{"id": str(i), "kids": kids} for i in range(1000)]}
    with pytest.raises(LimitExceededError, match="an estimated 1001000 exceeds max_nodes=20000"):
        compile(s, "Node", "kids{edges{node{kids{edges{node{id}}}}}}",
                limits=Limits(max_nodes=20_000))
    plan = compile(s, "Node", "kids{page_info{has_next_page},edges{node{id}}}",
                   limits=Limits(max_nodes=20_000))
    assert plan.cost == 1000
    small = Schema([ObjectType("N", {"id": ID, "kids": Connection("N", max_first=3)})])
    out = execute(compile(small, "N", "kids{page_info{has_next_page},edges{node{id}}}"), root)
    assert len(out["kids"]["edges"]) == 3 and out["kids"]["page_info"]["has_next_page"] is True


# Symptom: a batch resolver's list of objects given as an iterator reported a failing item
# at index -1 (its index was looked up in the used-up iterator, not in the list read from
# it); the same field with resolve= reported the item's index.

def test_a_failing_item_of_a_batched_iterator_has_its_index() -> None:
    class Bad:
        @property
        def name(self) -> str:
            raise KeyError("gone")

    owner = ObjectType("RgOwner", {"name": String}, defaults=["name"])
    post = ObjectType("RgPost", {
        "id": ID,
        "batched": field_(ListOf(owner), batch=lambda posts, ctx: [
            iter([{"name": "a"}, Bad()]) for _ in posts]),
        "resolved": field_(ListOf(owner), resolve=lambda p, ctx: iter([{"name": "a"}, Bad()])),
    })
    s = Schema([ObjectType("RgUser", {"posts": ListOf(post)}, defaults=["posts"]), post, owner])
    for name in ("batched", "resolved"):
        plan = compile(s, "RgUser", f"posts{{{name}{{name}}}}")
        paths = []
        for _ in range(4):  # the interpreter twice, then generated code
            with pytest.raises(ExecutionError) as info:
                execute(plan, {"posts": [{"id": "1"}]})
            paths.append(info.value.path)
        assert paths == [f"posts[0].{name}[1].name"] * 4
