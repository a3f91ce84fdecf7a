"""sources: the read rules and the type registry."""

from __future__ import annotations

from collections import OrderedDict, UserDict
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest

from graphfields import sources


@dataclass
class Obj:
    a: int = 1

    def method(self) -> str:
        return "called"

    @property
    def prop(self) -> int:
        return 7


class Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values


class SubRow(Row):
    pass


@pytest.mark.parametrize(
    ("parent", "name", "expected"),
    [
        ({"a": 1}, "a", 1),
        ({"a": 1}, "missing", None),
        (OrderedDict(a=2), "a", 2),
        (UserDict({"a": 3}), "a", 3),
        (MappingProxyType({"a": 4}), "a", 4),  # a Mapping that is not a dict
        (MappingProxyType({"a": 4}), "b", None),
        (Obj(), "a", 1),
        (Obj(), "method", "called"),  # bound method: called
        (Obj(), "prop", 7),
        (Obj(), "missing", None),
        ({"f": lambda: 5}, "f", 5),  # function value: called
        ({"cls": int}, "cls", int),  # a class is a value, never called
        ({"n": None}, "n", None),
    ],
)
def test_read_rules(parent: Any, name: str, expected: Any) -> None:
    assert sources.read(parent, name) == expected


def test_register_nearest_superclass_wins_and_is_cached() -> None:
    sources.register(Row, lambda row, name: row.values.get(name))
    try:
        assert sources.read(SubRow({"x": 1}), "x") == 1
        assert sources.getter_for(SubRow) is sources.getter_for(SubRow)
        sources.register(SubRow, lambda row, name: "sub")
        assert sources.read(SubRow({"x": 1}), "x") == "sub"
        assert sources.read(Row({"x": 1}), "x") == 1
    finally:
        sources.unregister(SubRow)
        sources.unregister(Row)
    assert sources.getter_for(Row) is sources.attribute_getter


def test_register_needs_a_class() -> None:
    with pytest.raises(TypeError):
        sources.register("Row", sources.attribute_getter)  # type: ignore[arg-type]


def test_call_value() -> None:
    assert sources.call_value(lambda: 1) == 1
    assert sources.call_value(str) is str
    assert sources.call_value(3) == 3
