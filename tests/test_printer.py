"""The canonical printer: table of hand-built trees, and the errors for trees no text has."""

from __future__ import annotations

import pytest

from graphfields import (
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
    format,
    format_fields,
    parse,
)
from graphfields.syntax.ast import Value

S = StringValue


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (IntValue(-3), "-3"),
        (BoolValue(True), "true"),
        (BoolValue(False), "false"),
        (NullValue(), "null"),
        (S("abc", False), "abc"),
        (S("abc", True), '"abc"'),
        (S("2019-06-20", False), "2019-06-20"),
        (S("12", False), '"12"'),
        (S("-4", False), '"-4"'),
        (S("true", False), '"true"'),
        (S("null", False), '"null"'),
        (S("1.5", False), '"1.5"'),
        (S("1.5.3", False), "1.5.3"),
        (S("", False), '""'),
        (S("a b", False), '"a b"'),
        (S("a,b", False), '"a,b"'),
        (S("it's", False), '"it\'s"'),
        (S('say "hi"\n', False), '"say \\"hi\\"\\n"'),
        (S("é", False), "é"),
    ],
)
def test_values(value: Value, text: str) -> None:
    assert format(value) == text
    (arg,) = parse(f"a.x({text})").fields[0].calls[0].args
    assert arg == value


def test_selection() -> None:
    tree = Selection((
        Field("id"),
        Field("media", (Call("first", (IntValue(3),)), Call("x")), Selection((Field("id"),)),
              alias="m"),
    ))
    assert format(tree) == "id,media.first(3).x().as(m){id}"
    assert format_fields is format
    assert parse(format(tree)) == tree
    assert format(tree.fields[1].calls[0]) == ".first(3)"
    assert format(tree.fields[0]) == "id"


@pytest.mark.parametrize(
    "tree",
    [
        Selection(()),
        Selection((Field("a", selection=Selection(())),)),
        Selection((Field("1a"),)),
        Selection((Field("a", alias="not a name"),)),
        Selection((Field("a", (Call("as", (S("b"),)),)),)),
        Selection((Field("a", (Call("x y"),)),)),
    ],
)
def test_trees_without_text(tree: Selection) -> None:
    with pytest.raises(ValueError):
        format(tree)


def test_deep_tree_prints_without_recursion() -> None:
    tree = Selection((Field("z"),))
    for _ in range(20_000):
        tree = Selection((Field("a", selection=tree),))
    text = format(tree)
    assert text.startswith("a{a{") and text.endswith("z" + "}" * 20_000)
