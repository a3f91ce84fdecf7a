"""Property tests and fuzzing of the fields language.

* generated trees (every argument kind, nesting, aliases) print and parse back equal, also
  when re-spelled with random whitespace, ``<>`` brackets, single quotes and ``fields=``;
* arbitrary, token-soup and mutated text only ever parses or raises FieldsSyntaxError /
  LimitExceededError (never a Lark error, RecursionError or anything else);
* the parser agrees with stock Lark (its own contextual lexer, no callbacks) running the same
  grammar: the fast lexer accepts exactly the grammar's language.

Example counts come from the Hypothesis profile: bounded in ``make test``, large in
``make fuzz`` (``--hypothesis-profile=deep``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import lark
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields import (
    BoolValue,
    Call,
    Field,
    FieldsSyntaxError,
    IntValue,
    LimitExceededError,
    NullValue,
    Selection,
    StringValue,
    format,
    parse,
)
from graphfields.syntax.ast import Value
from graphfields.syntax.grammar import grammar_text

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)
CALL_NAMES = NAMES.filter(lambda n: n != "as")
BARE_CHARS = st.characters(
    blacklist_characters=',(){}<>"\' \t\n\r\f\v', blacklist_categories=["Cs"])
VALUES: st.SearchStrategy[Value] = st.one_of(
    st.builds(IntValue, st.integers(-(10**12), 10**12)),
    st.builds(BoolValue, st.booleans()),
    st.builds(NullValue),
    st.builds(StringValue, st.text(max_size=8), st.just(True)),
    st.builds(StringValue, st.text(BARE_CHARS, min_size=1, max_size=8), st.just(False)),
)
CALLS = st.builds(Call, CALL_NAMES, st.lists(VALUES, max_size=3).map(tuple))


def _fields(selection: st.SearchStrategy[Selection | None]) -> st.SearchStrategy[Field]:
    return st.builds(Field, NAMES, st.lists(CALLS, max_size=2).map(tuple), selection,
                     st.none() | NAMES)


def _selections(children: st.SearchStrategy[Selection]) -> st.SearchStrategy[Selection]:
    return st.lists(_fields(st.none() | children), min_size=1, max_size=4).map(
        lambda fs: Selection(tuple(fs)))


LEAF = st.lists(_fields(st.none()), min_size=1, max_size=4).map(lambda fs: Selection(tuple(fs)))
TREES = st.recursive(LEAF, _selections, max_leaves=12)


@FUZZ
@given(TREES)
def test_fuzz_round_trip(tree: Selection) -> None:
    text = format(tree)
    assert parse(text, cache=False) == tree
    assert format(parse(text)) == text


# ----------------------------------------------------------------------------- re-spelling

SPACE = st.text(" \t\n\r", max_size=3)


def _spelled(tree: Selection, draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    """The tree written with random whitespace between tokens and random equivalent
    spellings (``<>``, single quotes, a ``fields=`` prefix)."""

    def ws() -> str:
        space: str = draw(SPACE)
        return space

    def value(v: Value) -> str:
        if isinstance(v, StringValue) and v.quoted and "'" not in v.value and draw(st.booleans()):
            return f"'{v.value}'"
        return format(v)

    def call(c: Call) -> str:
        args = ("," + ws()).join(value(a) + ws() for a in c.args)
        return f".{ws()}{c.name}{ws()}({ws()}{args})"

    def selection(s: Selection) -> str:
        return ("," + ws()).join(field(f) + ws() for f in s.fields)

    def field(f: Field) -> str:
        calls = [call(c) for c in f.calls]
        if f.alias is not None:
            calls.insert(draw(st.integers(0, len(calls))), f".as({ws()}{f.alias}{ws()})")
        text = f.name + "".join(ws() + c for c in calls)
        if f.selection is not None:
            o, c = draw(st.sampled_from(["{}", "<>"]))
            text += f"{ws()}{o}{ws()}{selection(f.selection)}{c}"
        return text

    prefix: str = draw(st.sampled_from(["", "fields=", "fields =", " fields=\n"]))
    return ws() + prefix + ws() + selection(tree) + ws()


@FUZZ
@given(TREES, st.data())
def test_fuzz_respelled_round_trip(tree: Selection, data: st.DataObject) -> None:
    text = _spelled(tree, data.draw)
    assert parse(text, cache=False) == tree


# ----------------------------------------------------------------------------- hostile text


def _parses_or_raises_ours(text: str) -> Selection | None:
    try:
        sel = parse(text, cache=False)
    except (FieldsSyntaxError, LimitExceededError) as err:
        assert err.message and err.line >= 1 and err.column >= 1
        assert 0 <= err.position <= len(text)
        str(err)
        json.dumps(err.formatted)
        return None
    assert parse(format(sel)) == sel
    return sel


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_arbitrary_text(text: str) -> None:
    _parses_or_raises_ours(text)


SOUP = st.lists(st.sampled_from([
    ",", "{", "}", "<", ">", ".", "(", ")", "a", "bc", "first", "as", "1", "-2", "1.5", "1e3",
    '"x"', "'y'", '"\\q"', '"\\u00e9"', '"', "'", " ", "\n", "\t", "fields=", "true", "null",
    "\x00", "é", "%2C", "\\", "=", ":",
]), max_size=30).map("".join)


@FUZZ
@given(SOUP)
def test_fuzz_token_soup(text: str) -> None:
    _parses_or_raises_ours(text)


@FUZZ
@given(TREES, st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(
    ["delete", "insert", "replace", "swap"]), st.sampled_from(list(',{}<>.()"\' a1-\x00é'))),
    min_size=1, max_size=4))
def test_fuzz_mutated_text(tree: Selection, edits: list[tuple[int, str, str]]) -> None:
    text = format(tree)
    for where, how, ch in edits:
        i = where % (len(text) + 1)
        if how == "delete":
            text = text[:i] + text[i + 1:]
        elif how == "insert":
            text = text[:i] + ch + text[i:]
        elif how == "replace":
            text = text[:i] + ch + text[i + 1:]
        elif i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    _parses_or_raises_ours(text)


# ----------------------------------------------------------------------------- differential


@functools.cache
def _stock() -> lark.Lark:
    """The same grammar under stock Lark: its contextual lexer, a plain parse tree."""
    return lark.Lark(grammar_text(), parser="lalr", lexer="contextual")


# Rejected by the AST-building callbacks, not by the grammar.
_CALLBACK_ERRORS = ("Float argument", "`.as()`", "Invalid alias", "Integer argument too long")


def _agrees_with_stock_lark(text: str) -> None:
    try:
        _stock().parse(text)
        stock_ok = True
    except lark.exceptions.UnexpectedInput:
        stock_ok = False
    try:
        parse(text, cache=False)
    except LimitExceededError:
        return
    except FieldsSyntaxError as err:
        assert not stock_ok or err.message.startswith(_CALLBACK_ERRORS), (text, err.message)
        return
    assert stock_ok, text


@FUZZ
@given(SOUP)
def test_fuzz_same_language_as_stock_lark(text: str) -> None:
    _agrees_with_stock_lark(text)


@FUZZ
@given(TREES, st.data())
def test_fuzz_same_language_as_stock_lark_on_near_valid_text(
    tree: Selection, data: st.DataObject
) -> None:
    text = _spelled(tree, data.draw)
    i = data.draw(st.integers(0, len(text)))
    _agrees_with_stock_lark(text[:i] + data.draw(st.sampled_from(list(",{}<>.()\" a1"))) + text[i:])
