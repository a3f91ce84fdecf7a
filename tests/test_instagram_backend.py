"""The backend rules both stores share: decoding a stored JSON column."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graphfields.instagram.backend import loads

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)


def _outcome(decode: Any, text: str) -> Any:
    try:
        return ("ok", decode(text))
    except json.JSONDecodeError as exc:
        return ("error", exc.msg, exc.pos)


@given(_json, st.sampled_from(["", " ", "\n", " \t"]), st.sampled_from(["", " ", "\r\n"]))
def test_loads_is_json_loads_for_stored_values(value: Any, before: str, after: str) -> None:
    text = before + json.dumps(value, ensure_ascii=False) + after
    assert _outcome(loads, text) == _outcome(json.loads, text)


@given(st.text(max_size=30) | st.sampled_from(['["a"] x', '["a"]]', "[1,]", '"\\ud800"', "NaN",
                                               "[1] [2]", "", "  "]))
def test_loads_fails_as_json_loads_does(text: str) -> None:
    assert _outcome(loads, text) == _outcome(json.loads, text)
