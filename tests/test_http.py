"""The generic HTTP helpers: strict decoding, JSON, the library's error bodies, tokens."""

from __future__ import annotations

import json
import re
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
    MalformedRequestError,
    ValidationIssue,
)
from graphfields.http import (
    INTERNAL_ERROR,
    JSON_CONTENT_TYPE,
    TokenChecker,
    _dumps_json,
    dumps,
    encodable,
    error_body,
    json_response,
    parse_query,
    printable,
    split_path,
    tokens_from_env,
)

# --------------------------------------------------------------------------- tokens


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


def test_token_checker() -> None:
    check = TokenChecker(["jéton", "second"])
    assert check("jéton") and check("second") and not check("jeton") and not check(None)
    assert not check("") and not check("jéton ") and not check("JÉTON")
    assert not check("\udcff")  # a lone surrogate is refused, not an exception
    assert not TokenChecker([])("") and not TokenChecker([])(None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", []), ("a", ["a"]), ("a, b,,c ", ["a", "b", "c"]), (" , ", [])],
)
def test_tokens_from_env(value: str, expected: list[str]) -> None:
    assert tokens_from_env({"GRAPHFIELDS_TOKENS": value}) == expected
    assert tokens_from_env({}) == []


# --------------------------------------------------------------------------- query decoding


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("fields=%zz", "Malformed percent-encoding '%zz' in the query parameter \"fields\""),
        ("fields=id%", "Malformed percent-encoding '%' in the query parameter \"fields\""),
        ("fields=%C3", 'The query parameter "fields" is not valid UTF-8'),
        ("fields=%ED%A0%80", 'The query parameter "fields" is not valid UTF-8'),  # a surrogate
        ("fi%elds=1", "Malformed percent-encoding '%el' in a query parameter name"),
        ("fields=id&fields=id", 'The query parameter "fields" is given more than once'),
        ("%0A%1B=1&%0A%1B=2", 'The query parameter "\\n\\x1b" is given more than once'),
        (urlencode({"fields": "x" * 4097}), 'The query parameter "fields" is too long '
         "(4097 characters; the limit is 4096)"),
        (urlencode({"fields": "é" * 3000}), "The query string is too long (18007 bytes; "
         "the limit is 8192)"),
    ],
)
def test_bad_query_strings(query: str, message: str) -> None:
    with pytest.raises(MalformedRequestError) as info:
        parse_query(query)
    assert info.value.message == message
    assert isinstance(info.value, ValueError)  # a client error


@pytest.mark.parametrize(
    ("path", "message"),
    [("/things/%zz", "Malformed percent-encoding '%zz' in the path"),
     ("/things/%FF", "The path is not valid UTF-8")],
)
def test_bad_paths(path: str, message: str) -> None:
    with pytest.raises(MalformedRequestError, match=message):
        split_path(path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", {}),
        (b"a=1&b=2", {"a": "1", "b": "2"}),
        (b"a=1&&b=2&", {"a": "1", "b": "2"}),
        (b"a", {"a": ""}),
        (b"a=x=y", {"a": "x=y"}),
        (b"a=b+c%2B", {"a": "b c+"}),
        (b"a=1;b=2", {"a": "1;b=2"}),  # only & separates
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
@given(st.binary(max_size=60))
def test_parse_query_answers_or_raises_its_own_error(raw: bytes) -> None:
    try:
        params = parse_query(raw)
    except MalformedRequestError as exc:
        exc.message.encode("utf-8")
    else:
        for name, value in params.items():
            (name + value).encode("utf-8")


_ESCAPE_HEAVY = st.lists(st.sampled_from(
    [b"a", b"\\", b"\\x41", b"\\n", b"%", b"%4", b"%41", b"%5C", b"%5c", b"%25", b"%C3%A9", b"%FF",
     b"+", b"%2B", b"\n", b"x", b"=", b"\xc3\xa9", b"%00", b"\\%41"]), max_size=12).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(_ESCAPE_HEAVY)
def test_parse_query_decodes_as_unquote_does(raw: bytes) -> None:
    """The value decoder (a C fast path) against the standard library's percent-decoding:
    backslashes, escapes of backslashes and invalid escapes included."""
    from urllib.parse import unquote_to_bytes

    value = raw.replace(b"&", b"").replace(b"=", b"")
    bad = re.search(rb"%(?![0-9A-Fa-f]{2})", value)
    if bad:  # the first bad escape as written (before "+" is a space) is the one named
        snippet = value[bad.start():bad.start() + 3].decode("latin-1")
        with pytest.raises(MalformedRequestError) as info:
            parse_query(b"f=" + value)
        assert info.value.message == (
            f'Malformed percent-encoding {snippet!r} in the query parameter "f"')
        return
    try:
        expected = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(MalformedRequestError, match="not valid UTF-8"):
            parse_query(b"f=" + value)
        return
    assert parse_query(b"f=" + value) == {"f": expected}


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", ()), ("", ()), ("/a", ("a",)), ("/a/", ("a",)), ("/a//b", ("a", "", "b")),
     ("/a%2Fb/c", ("a/b", "c")), ("/a+b", ("a+b",)), ("/caf%C3%A9%20x", ("café x",))],
)
def test_split_path(path: str, expected: tuple[str, ...]) -> None:
    assert split_path(path) == expected


# --------------------------------------------------------------------------- error bodies


@pytest.mark.parametrize(
    ("exc", "body"),
    [
        (FieldsSyntaxError("Expected a field name", "id,,x", 3, ("a field name",)),
         {"message": "Expected a field name",
          "errors": [{"message": "Expected a field name", "locations": [{"line": 1, "column": 4}],
                      "position": 3, "suggestions": []}]}),
        (FieldsValidationError(
            [ValidationIssue('Cannot query field "id_" on type "Media". Did you mean "id"?',
                             0, 1, 1, ("id",)),
             ValidationIssue('Cannot query field "x" on type "Media".', 4, 1, 5)], "id_,x"),
         {"message": 'Cannot query field "id_" on type "Media". Did you mean "id"?',
          "errors": [
              {"message": 'Cannot query field "id_" on type "Media". Did you mean "id"?',
               "locations": [{"line": 1, "column": 1}], "position": 0, "suggestions": ["id"]},
              {"message": 'Cannot query field "x" on type "Media".',
               "locations": [{"line": 1, "column": 5}], "position": 4, "suggestions": []}]}),
        (LimitExceededError("The selection is too deep (limit 10)", "a{b}", 2, "depth"),
         {"message": "The selection is too deep (limit 10)",
          "errors": [{"message": "The selection is too deep (limit 10)",
                      "locations": [{"line": 1, "column": 3}], "position": 2, "suggestions": []}]}),
        (MalformedRequestError("The path is not valid UTF-8"),
         {"message": "The path is not valid UTF-8"}),
        # Regression: a message quoting a "\ud800" escape made every JSON encoder fail.
        (FieldsValidationError([ValidationIssue('Invalid cursor "\ud800"', 5, 1, 6)], "x"),
         {"message": 'Invalid cursor "\\ud800"',
          "errors": [{"message": 'Invalid cursor "\\ud800"',
                      "locations": [{"line": 1, "column": 6}], "position": 5, "suggestions": []}]}),
    ],
)
def test_error_body(exc: Any, body: dict[str, Any]) -> None:
    assert error_body(exc) == body
    assert json.loads(dumps(error_body(exc))) == body


def test_execution_error_body_is_not_for_clients_but_never_fails() -> None:
    body = error_body(ExecutionError("owner", KeyError("x")))
    assert set(body) == {"message"}


@pytest.mark.parametrize(
    ("text", "shown"),
    [("abc", "abc"), ("café 😀", "café 😀"), ("a\nb\x1b\x7f", "a\\nb\\x1b\\x7f"),
     ("\ud800x", "\\ud800x"), ("\u2028", "\\u2028"), ("x" * 101, "x" * 100 + "...")],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown
    shown.encode("utf-8")


def test_encodable() -> None:
    assert encodable("a\nb é") == "a\nb é"
    assert encodable("a\ud800b\udfff") == "a\\ud800b\\udfff"


def test_json_response_and_internal_error() -> None:
    resp = json_response(418, {"a": 1}, (("x-extra", "1"),))
    assert resp.status == 418 and resp.body == b'{"a":1}'
    assert dict(resp.headers) == {"content-type": JSON_CONTENT_TYPE, "cache-control": "no-store",
                                  "x-content-type-options": "nosniff", "x-extra": "1"}
    assert (INTERNAL_ERROR.status, INTERNAL_ERROR.json(), INTERNAL_ERROR.reason) == (
        500, {"error": {"message": "Internal server error"}}, "Internal Server Error")


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


# Regression: a lone surrogate made orjson and then the standard library raise, and the
# answer was a 500 (and Api.handle raised): it is written as its JSON escape.
@pytest.mark.parametrize("value", [{"m": "a\ud800b"}, {"\udfff": ["x", "\\\ud800"]},
                                   {"big": 2**70, "s": "\ud800"}])
def test_lone_surrogates_are_written_as_escapes(value: Any) -> None:
    out = dumps(value)
    assert out == _dumps_json(value)
    out.decode("utf-8")
    assert json.loads(out) == value


def test_without_orjson_the_bytes_are_the_same() -> None:
    """A server without the ``server`` extra answers byte for byte the same JSON."""
    import subprocess
    import sys

    values = [{"id": "café", "x": [1.5, None, "é\n"], "big": 2**70},
              {"error": {"message": "m", "errors": []}, "data": {}, "status": "ok"}]
    script = (
        "import sys; sys.modules['orjson'] = None\n"
        "from graphfields.http import _orjson_dumps, dumps\n"
        "assert _orjson_dumps is None\n"
        f"for v in {values!r}:\n"
        "    sys.stdout.buffer.write(dumps(v) + b'\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True,
                          timeout=60)
    assert done.stdout == b"".join(dumps(v) + b"\n" for v in values)


_PATH_HEAVY = st.lists(st.sampled_from(
    [b"/", b"a", b"%41", b"%2F", b"%", b"%zz", b"\xc3\xa9", b"%C3%A9", b"\xc3", b"\xff", b"+",
     b"%20", b"\\"]), max_size=10).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(_PATH_HEAVY)
def test_split_path_decodes_each_segment_as_unquote_does(raw: bytes) -> None:
    """The one-decode fast path (nothing escaped) and the segment-wise one against the
    standard library, segment by segment, errors included."""
    from urllib.parse import unquote_to_bytes

    inner = raw[1:] if raw.startswith(b"/") else raw
    inner = inner[:-1] if inner.endswith(b"/") else inner
    try:
        expected: Any = tuple(unquote_to_bytes(seg).decode("utf-8")
                              for seg in inner.split(b"/")) if inner else ()
        if any(re.search(rb"%(?![0-9A-Fa-f]{2})", seg) for seg in inner.split(b"/")):
            expected = MalformedRequestError
    except UnicodeDecodeError:
        expected = MalformedRequestError
    if expected is MalformedRequestError:
        with pytest.raises(MalformedRequestError):
            split_path(raw)
    else:
        assert split_path(raw) == expected
