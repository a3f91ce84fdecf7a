"""The fields language through the public API: table-driven valid and invalid cases, spans,
limits, caching, and hostile input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphfields import (
    BoolValue,
    Call,
    Field,
    FieldsSyntaxError,
    GraphFieldsError,
    IntValue,
    LimitExceededError,
    NullValue,
    ParseLimits,
    Selection,
    StringValue,
    format,
    parse,
)
from graphfields._source import Span
from graphfields.syntax import DEFAULT_PARSE_LIMITS, MAX_SAFE_DEPTH, _lark
from graphfields.syntax.ast import to_dict
from graphfields.syntax.diagnose import Failure, syntax_error
from graphfields.syntax.grammar import grammar_text

CASES = Path(__file__).parent / "cases"
VALID: list[dict[str, Any]] = json.loads((CASES / "syntax_valid.json").read_text("utf-8"))["valid"]
ERRORS: list[dict[str, Any]] = json.loads((CASES / "syntax_errors.json").read_text("utf-8"))[
    "errors"
]


def _id(case: dict[str, Any]) -> str:
    return repr(case["fields"])[:60]


@pytest.mark.parametrize("case", VALID, ids=_id)
def test_valid(case: dict[str, Any]) -> None:
    sel = parse(case["fields"], cache=False)
    assert format(sel) == case["canonical"]
    assert parse(case["canonical"]) == sel
    json.dumps(to_dict(sel))


@pytest.mark.parametrize("case", ERRORS, ids=_id)
def test_syntax_error(case: dict[str, Any]) -> None:
    with pytest.raises(FieldsSyntaxError) as info:
        parse(case["fields"])
    err = info.value
    assert (err.line, err.column, err.message) == (case["line"], case["column"], case["message"])
    assert list(err.expected) == case["expected"]
    assert isinstance(err, ValueError) and isinstance(err, GraphFieldsError)
    assert str(err).splitlines()[0] == f"{err.line}:{err.column}: {err.message}"


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("a,b,", "1:4: Trailing comma: expected a field name after `,`\na,b,\n   ^"),
        (
            "id,\n  owner{id>",
            "2:11: Mismatched `>`: expected `}` to close the `{` at 2:8\n  owner{id>\n"
            "          ^",
        ),
        (
            "a{b}.limit(1)",
            "1:5: Call `.limit()` after a nested selection: calls must come before `{`\n"
            "a{b}.limit(1)\n    ^",
        ),
        ("a.first(1.5)", "1:9: Float argument `1.5`: arguments are integers, strings, true, "
                         "false or null\na.first(1.5)\n        ^"),
    ],
)
def test_error_rendering(text: str, rendered: str) -> None:
    with pytest.raises(FieldsSyntaxError) as info:
        parse(text)
    assert str(info.value) == rendered
    assert info.value.formatted["locations"] == [
        {"line": info.value.line, "column": info.value.column}
    ]


def test_ast_shape() -> None:
    sel = parse('fields=id,media.first(3).as(m).after("c").x(true,null,-2,U)<edges{node{id}}>')
    assert sel == Selection((
        Field("id"),
        Field(
            "media",
            (
                Call("first", (IntValue(3),)),
                Call("after", (StringValue("c"),)),
                Call("x", (BoolValue(True), NullValue(), IntValue(-2), StringValue("U", False))),
            ),
            Selection((Field("edges", (), Selection((Field("node", (), Selection((
                Field("id"),))),))),)),
            alias="m",
        ),
    ))
    media = sel.fields[1]
    assert media.key == "m"
    assert all(c.name != "as" for c in media.calls)
    args = media.calls[2].args
    assert [type(a) for a in args] == [BoolValue, NullValue, IntValue, StringValue]
    assert isinstance(args[3], StringValue) and args[3].quoted is False
    first_after = media.calls[1].args[0]
    assert isinstance(first_after, StringValue) and first_after.quoted is True


def test_nodes_are_the_real_classes() -> None:
    """The parser's fast builders produce ordinary, equal, hashable AST objects."""
    sel = parse("a.first(1){b}", cache=False)
    field = sel.fields[0]
    assert type(sel) is Selection and type(field) is Field and type(field.span) is Span
    assert type(field.calls[0]) is Call
    built = Selection((Field("a", (Call("first", (IntValue(1),)),), Selection((Field("b"),))),))
    assert sel == built and hash(sel) == hash(built)
    with pytest.raises(AttributeError):
        field.name = "x"  # type: ignore[misc]


def test_spans() -> None:
    text = "id,\n  media.first(2) {\n    caption , owner<id>\n  }"
    sel = parse(text)
    media = sel.fields[1]
    assert (media.span.start, media.span.line, media.span.column) == (6, 2, 3)
    assert media.span.end == len(text)
    call = media.calls[0]
    assert text[call.span.start:call.span.end] == ".first(2)"
    assert (call.span.line, call.span.column) == (2, 8)
    arg = call.args[0]
    assert text[arg.span.start:arg.span.end] == "2" and arg.span.column == 15
    assert media.selection is not None
    assert text[media.selection.span.start:media.selection.span.end].startswith("{")
    caption, owner = media.selection.fields
    assert (caption.span.line, caption.span.column) == (3, 5)
    assert text[caption.span.start:caption.span.end] == "caption"
    assert (owner.span.line, owner.span.column) == (3, 15)
    assert text[owner.span.start:owner.span.end] == "owner<id>"
    assert sel.span.start == 0 and sel.span.end == len(text)


def test_spans_in_spaced_calls() -> None:
    text = "a.x(\n  1 ,\n  two )"
    arg1, arg2 = parse(text).fields[0].calls[0].args
    assert (arg1.span.line, arg1.span.column, arg1.span.start) == (2, 3, 7)
    assert (arg2.span.line, arg2.span.column) == (3, 3)
    assert text[arg2.span.start:arg2.span.end] == "two"


def test_angle_brackets_equal_braces() -> None:
    assert parse("a<b<c>,d>") == parse("a{b{c},d}")


def test_single_quotes_are_literal_and_double_quotes_json() -> None:
    (arg,) = parse(r"a.x('a\nb')").fields[0].calls[0].args
    assert arg == StringValue("a\\nb")
    (arg,) = parse(r'a.x("a\nb\u00e9")').fields[0].calls[0].args
    assert arg == StringValue("a\nbé")


def test_huge_integer_is_a_syntax_error() -> None:
    with pytest.raises(FieldsSyntaxError, match="Integer argument too long"):
        parse("a.first(" + "9" * 5000 + ")")


def test_cache() -> None:
    text = "id,cache_probe{x}"
    assert parse(text) is parse(text)
    fresh = parse(text, cache=False)
    assert fresh == parse(text) and fresh is not parse(text)
    custom = ParseLimits(max_depth=3)
    assert parse(text, limits=custom) is parse(text, limits=custom)


def test_not_a_string() -> None:
    with pytest.raises(TypeError):
        parse(b"id")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ limits


def test_default_limits() -> None:
    assert ParseLimits(max_length=100_000, max_depth=32, max_fields=10_000) == DEFAULT_PARSE_LIMITS


def _nested(depth: int) -> str:
    return "a{" * depth + "b" + "}" * depth


def test_max_depth() -> None:
    limits = ParseLimits(max_depth=3)
    assert parse(_nested(3), limits=limits)
    with pytest.raises(LimitExceededError) as info:
        parse(_nested(4), limits=limits)
    err = info.value
    assert (err.limit, err.position) == ("max_depth", 7)
    assert err.message == "Selections are nested more than 3 deep"
    assert isinstance(err, ValueError)
    assert parse(_nested(32))
    with pytest.raises(LimitExceededError):
        parse(_nested(33))


def test_max_fields() -> None:
    limits = ParseLimits(max_fields=4)
    assert parse("a,b{c,d}", limits=limits)
    with pytest.raises(LimitExceededError) as info:
        parse("a,b{c,d},e", limits=limits)
    assert (info.value.limit, info.value.position) == ("max_fields", 9)
    with pytest.raises(LimitExceededError) as info:
        parse("a, b, c, d,\n e,f", limits=limits)
    assert (info.value.position, info.value.line, info.value.column) == (13, 2, 2)
    assert info.value.message == "More than 4 fields are selected"


def test_max_length() -> None:
    with pytest.raises(LimitExceededError) as info:
        parse("a," * 10 + "b", limits=ParseLimits(max_length=20))
    assert (info.value.limit, info.value.position) == ("max_length", 20)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_length": 0}, {"max_depth": True}, {"max_fields": -1}, {"max_depth": MAX_SAFE_DEPTH + 1},
     {"max_length": 1.5}],
)
def test_bad_limits(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ParseLimits(**kwargs)


def test_deepest_tree_is_safe_everywhere() -> None:
    """At the deepest nesting limits allow, everything recursive still works."""
    text = _nested(MAX_SAFE_DEPTH)
    limits = ParseLimits(max_depth=MAX_SAFE_DEPTH)
    a, b = parse(text, limits=limits), parse(text, limits=limits, cache=False)
    assert a == b and hash(a) == hash(b)
    assert format(a) == text
    json.dumps(to_dict(a))
    assert repr(a)


# ------------------------------------------------------------------------------ hostile input


@pytest.mark.parametrize(
    "text",
    ["{" * 100_000, "a{" * 100_000, "a" + "<" * 100_000, "a.x(" + "(" * 100_000,
     "a" + "}" * 100_000, '"' * 100_000, "a." * 50_000],
)
def test_deep_or_repetitive_input_fails_fast(text: str) -> None:
    with pytest.raises((FieldsSyntaxError, LimitExceededError)):
        parse(text)


def test_hundred_thousand_deep_nesting_with_raised_length() -> None:
    text = _nested(100_000)
    with pytest.raises(LimitExceededError) as info:
        parse(text, limits=ParseLimits(max_length=len(text)))
    assert info.value.limit == "max_depth"


def test_one_megabyte() -> None:
    text = ",".join(["field"] * 170_000)
    assert len(text) > 1_000_000
    with pytest.raises(LimitExceededError):
        parse(text)
    big = ParseLimits(max_length=len(text) + 1, max_fields=200_000)
    assert len(parse(text, limits=big).fields) == 170_000
    with pytest.raises(FieldsSyntaxError) as info:
        parse(text + ",", limits=big)
    assert info.value.column == len(text) + 1


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "a.x(\x00)", "\ud800", "a.x(\U0001f600)",
                                  "a{\u2028}", "\ufeffid"])
def test_odd_characters(text: str) -> None:
    try:
        sel = parse(text)
    except FieldsSyntaxError as err:
        assert err.message
        str(err)
    else:
        assert parse(format(sel)) == sel


def test_recursion_limit_untouched() -> None:
    before = sys.getrecursionlimit()
    with pytest.raises(LimitExceededError):
        parse(_nested(1000), limits=ParseLimits(max_length=10**6))
    assert sys.getrecursionlimit() == before


# ------------------------------------------------------------------------------ parser tables


def test_shipped_parser_tables_match_the_grammar() -> None:
    """graphfields/syntax/_lalr_cache.pickle must be regenerated (`make parser-cache`) with
    the grammar. (Under another Lark version the tables are ignored and rebuilt.)"""
    header = _lark.CACHE.read_bytes().split(b"\n", 1)[0]
    expected = _lark._cache_key(grammar_text())
    assert header.split()[0] == expected.split()[0], "run `make parser-cache`"


def test_stale_or_missing_tables_fall_back_to_the_grammar(tmp_path: Path) -> None:
    grammar = grammar_text()
    stale = tmp_path / "stale.pickle"
    stale.write_bytes(b"0123 lark-0\n" + _lark.CACHE.read_bytes().split(b"\n", 1)[1])
    for path in (stale, tmp_path / "missing.pickle"):
        assert _lark.load_cached(grammar, path) is None
    fresh_path = _lark.write_parser_cache(tmp_path / "fresh.pickle")
    fresh = _lark.load_cached(grammar, fresh_path)
    assert fresh is not None
    assert fresh.parse(_lark._Request("a{b}", DEFAULT_PARSE_LIMITS)) == parse("a{b}")


def test_parsing_from_many_threads() -> None:
    """The lexer keeps per-parse state in locals and the callbacks are pure: threads are safe."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"a{i}.first({i}){{b{i},c<d.x(\"{i}\")>}},e{i}" for i in range(300)]
    texts += [f"a{i}{{" * (i % 40) for i in range(100)]

    def outcome(text: str) -> object:
        try:
            return parse(text, cache=False)
        except (FieldsSyntaxError, LimitExceededError) as err:
            return (type(err), err.position, err.message)

    expected = [outcome(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(outcome, texts)) == expected


@pytest.mark.parametrize(
    ("text", "failure", "message"),
    [
        ("a{b", Failure(3, frozenset({"MORE_NAMES", "CLOSE_BRACE", "DOT", "CALL"}), (("{", 1),)),
         "Unclosed `{`: expected `}` before the end of the input"),
        ("a.first", Failure(7, frozenset({"LPAR"}), (), "first"),
         "Expected `(` after `.first`"),
        ("a{b>", Failure(3, frozenset({"MORE_NAMES", "CLOSE_BRACE"}), (("{", 1),)),
         "Mismatched `>`: expected `}` to close the `{` at 1:2"),
    ],
)
def test_diagnosis_is_a_function_of_the_failure(text: str, failure: Failure, message: str) -> None:
    """Messages come from what the parser knew where it stopped, no parser state needed;
    the parser reaches the same message."""
    assert syntax_error(text, failure).message == message
    with pytest.raises(FieldsSyntaxError) as info:
        parse(text)
    assert info.value.message == message


# --------------------------------------------------------------------------- a lone value

_ARGUMENT_TEXT = st.lists(st.sampled_from(
    ['"', "'", "\\", "\\u00e9", "\\n", "\\x", "a", "Z9", "=", "-", "1", "0", ".", "e5", "+",
     ",", "(", ")", "{", "}", "<", ">", " ", "\t", "é", "true", "null", "YXJy", "/"]),
    max_size=8).map("".join)


@pytest.mark.parametrize(("text", "expected"), [
    ('"YXJyYXljb25uZWN0aW9uOjk3Nw=="', "YXJyYXljb25uZWN0aW9uOjk3Nw=="),
    ("3", 3), ("-12", -12), ("true", True), ("null", None), ("2019-06-20", "2019-06-20"),
    ("'a b'", "a b"), ('"a\\"b\\u00e9"', 'a"bé'),
    (' "a"', "no"), ('"a" ', "no"), ('"a"),x.y("b"', "no"), ("1.5", "no"), ("", "no"),
    ("a,b", "no"), ("1" * 5000, "no"),
])
def test_parse_value_reads_one_token(text: str, expected: Any) -> None:
    from graphfields.syntax.parse import parse_value

    value = parse_value(text)
    if expected == "no":
        assert value is None
    else:
        assert value is not None and value.value == expected


@settings(max_examples=400, deadline=None)
@given(_ARGUMENT_TEXT)
def test_parse_value_is_what_a_full_parse_reads(text: str) -> None:
    """The lone-value reader (the template path of paging requests) against the parser:
    a value it gives is the one argument a full parse of the same text in a call gives."""
    from graphfields.syntax.parse import parse_value

    value = parse_value(text)
    if value is None:
        return
    sel = parse(f"_.x({text})", cache=False)
    (arg,) = sel.fields[0].calls[0].args
    assert type(arg) is type(value) and arg == value
