"""Plans by shape (issue 7): a request of a known shape gives exactly what a cold compile
gives, output and errors alike, whichever way its arguments were bound."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from example_schema import Comment, Location, Media, Owner, Tag, User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphfields import GraphFieldsError, Limits, Schema, compile, execute
from graphfields.compiler import caches
from graphfields.relay import encode_cursor

TYPES = [Media, User, Tag, Comment, Owner, Location]
T0 = 1_560_000_000


def _user() -> dict[str, Any]:
    media = []
    for i in range(30):
        comments = [{"id": f"c{i}_{j}", "text": f"t{j}", "timestamp": T0 - i * 86_400 - j * 600,
                     "owner": {"id": str(j), "username": f"u{j}"}} for j in range(8)]
        media.append({"id": f"m{i}", "timestamp": T0 - i * 86_400, "caption": [f"c{i}"],
                      "comments": comments, "owner": {"id": "1", "username": "me"}})
    return {"id": "1", "username": "me", "media": media}


USER = _user()

# Shapes with holes for argument values; {x} and {x2} under one key must agree to merge.
SHAPES = [
    "id,media.first({a}).after({c}){{page_info{{has_next_page,end_cursor}},edges{{cursor,"
    "node{{id,comments.first({b}){{edges{{node{{id,text}}}}}}}}}}}}",
    "media.last({a}).before({c}){{edges{{node{{id}}}}}},username",
    "media.limit({a}).offset({b}).from_date({d}){{edges{{cursor,node{{id,timestamp}}}}}}",
    "media.first({a}).as(x){{edges{{cursor}}}},media.first({a2}).as(x){{page_info}}",
    "media.from_timestamp({t}).to_date({d}).first({a}){{edges{{node{{comments.after({c})"
    ".to_timestamp({t2}){{edges{{cursor}}}}}}}}}}",
]

_ints = st.integers(0, 12).map(str) | st.integers(-3, 130).map(str)
_cursors = st.one_of(
    st.integers(0, 40).map(lambda k: f'"{encode_cursor(k)}"'),
    st.integers(0, 40).map(encode_cursor),  # bare
    # other spellings of a cursor: single quotes, a JSON escape inside (read in full)
    st.integers(0, 40).map(lambda k: f"'{encode_cursor(k)}'"),
    st.integers(0, 40).map(lambda k: f'"\\u{ord(encode_cursor(k)[0]):04x}{encode_cursor(k)[1:]}"'),
    st.sampled_from(['"nope"', "3", '""', '"YXJyYXljb25uZWN0aW9uOi0x"', "true"]),
)
_dates = st.one_of(
    st.dates(dt.date(2019, 4, 1), dt.date(2019, 7, 1)).map(dt.date.isoformat),
    st.sampled_from(["2019-02-30", "20190601", '"2019-06-01"', "null", "x"]),
)
_stamps = st.one_of(st.integers(T0 - 40 * 86_400, T0 + 86_400).map(str),
                    st.sampled_from(['"1560000000"', "1e9", "-5", "9" * 19]))


@st.composite
def _request(draw: Any, template: str | None = None) -> tuple[str, dict[str, Any] | None]:
    if template is None:
        template = draw(st.sampled_from(SHAPES))
    a = draw(_ints)
    values = {"a": a, "a2": draw(st.sampled_from([a, a, draw(_ints)])), "b": draw(_ints),
              "c": draw(_cursors), "d": draw(_dates), "t": draw(_stamps), "t2": draw(_stamps)}
    filters = draw(st.none() | st.fixed_dictionaries({}, optional={
        "from_date": _dates.map(lambda d: d.strip('"')),
        "to_timestamp": st.integers(T0 - 30 * 86_400, T0 + 10) | st.just("x"),
    }))
    return template.format(**values), filters


def _outcome(schema: Schema, text: str, filters: dict[str, Any] | None,
             limits: Limits | None = None) -> Any:
    try:
        plan = compile(schema, "User", text, filters=filters, limits=limits)
        return ("ok", execute(plan, USER), plan.cost)
    except GraphFieldsError as exc:
        issues = getattr(exc, "issues", ())
        return (type(exc).__name__, str(exc), [(i.message, i.position) for i in issues])


@st.composite
def _pair(draw: Any) -> tuple[Any, Any, Limits | None]:
    """Two requests, mostly of one shape with other values (and a node limit that the
    page sizes may exceed)."""
    template = draw(st.sampled_from(SHAPES))
    first = draw(_request(template))
    limits = draw(st.sampled_from([None, Limits(max_nodes=40)]))
    return first, draw(_request(template) | _request()), limits


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pair())
def test_a_known_shape_answers_as_a_cold_compile(pair: tuple[Any, Any, Any]) -> None:
    first, second, limits = pair
    warm = Schema(TYPES)
    for _ in range(3):  # the first request's shape becomes hot (generated code)
        _outcome(warm, first[0], first[1], limits)
    cold = Schema(TYPES)
    text, filters = second
    assert _outcome(warm, text, filters, limits) == _outcome(cold, text, filters, limits)
    # And repeated: the plan cache gives the same again.
    assert _outcome(warm, text, filters, limits) == _outcome(Schema(TYPES), text, filters, limits)


@pytest.mark.parametrize("k", [0, 1, 7, 27])
def test_paging_requests_share_one_shape_and_no_parse(k: int) -> None:
    s = Schema(TYPES)
    text = 'media.first(2).after("{}"){{edges{{cursor,node{{id}}}}}}'
    first = compile(s, "User", text.format(encode_cursor(0)))
    plan = compile(s, "User", text.format(encode_cursor(k)))
    assert plan.shape is first.shape
    # read through the template: no full parse (k == 0 is the first text itself)
    assert isinstance(plan.source, str) or plan is first
    out = execute(plan, USER)
    assert [e["cursor"] for e in out["media"]["edges"]] == [
        encode_cursor(i) for i in range(k + 1, min(k + 3, 30))]
    assert plan.text == f'media.first(2).after("{encode_cursor(k)}"){{edges{{cursor,node{{id}}}}}}'


@pytest.mark.parametrize(("changed", "shared"), [
    ('media.first(2).after( "{c}" ){{edges{{cursor}}}}', True),  # spacing: same shape
    ("media.first(2).after({c}){{edges{{cursor}}}}", True),  # bare: same kind, same shape
    ("media.first(2).after(7){{edges{{cursor}}}}", False),  # another kind: its own walk
    ('media.first(2).after("{c}", "x"){{edges{{cursor}}}}', False),
    ('media.first(2).after("{c}").first(3){{edges{{cursor}}}}', False),
])
def test_a_template_match_never_changes_the_answer(changed: str, shared: bool) -> None:
    warm = Schema(TYPES)
    compile(warm, "User", f'media.first(2).after("{encode_cursor(0)}"){{edges{{cursor}}}}')
    text = changed.format(c=encode_cursor(3))
    assert _outcome(warm, text, None) == _outcome(Schema(TYPES), text, None)
    shapes = len(caches(warm).shapes)
    assert (shapes == 1) is shared or _outcome(warm, text, None)[0] != "ok"


_CURSOR_SHAPES = [
    'id,media.first({a}).after({c}){{page_info{{has_next_page,end_cursor}},edges{{cursor}}}}',
    "media.last({a}).before({c}){{edges{{node{{id}}}}}},username",
    "media.first({a}).offset({b}).after({c}).before({c2}){{edges{{cursor}}}}",
    "media.first({a}).as(x){{edges{{node{{comments.after({c}).first({b}){{edges{{cursor}}}}}}}}}},"
    "media.first({a}).as(x){{page_info{{end_cursor}}}}",
    "media.after({c}).after({c2}).first({a}){{edges{{cursor}}}}",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_CURSOR_SHAPES), _request(), st.data())
def test_a_new_cursor_answers_as_a_cold_compile(template: str, base: Any, data: Any) -> None:
    """A request differing from a compiled one only in a cursor (the template path, which
    rebinds just that cursor) answers as a cold compile, whatever the request filters of
    either, including a cursor that must equal another or is set twice."""
    values = {"a": data.draw(_ints), "b": data.draw(_ints), "c": data.draw(_cursors)}
    values["c2"] = data.draw(st.sampled_from([values["c"], data.draw(_cursors)]))
    first = template.format(**values)
    key = data.draw(st.sampled_from(["c", "c2"]))
    second = template.format(**{**values, key: data.draw(_cursors)})
    filters = [base[1], data.draw(st.sampled_from([base[1], None, {"from_date": "2019-05-01"}]))]
    limits = data.draw(st.sampled_from([None, Limits(max_nodes=40)]))
    warm = Schema(TYPES)
    _outcome(warm, first, filters[0], limits)
    assert _outcome(warm, second, filters[1], limits) == _outcome(
        Schema(TYPES), second, filters[1], limits)


@pytest.mark.parametrize(("before", "after"), [
    ({"from_date": "2019-06-20"}, {"from_date": "2019-06-10"}),
    ({"to_timestamp": T0 - 5 * 86_400}, {"to_timestamp": T0 - 9 * 86_400}),
    ({"from_date": "2019-06-20"}, {"from_date": "x"}),
])
def test_a_new_cursor_with_other_filter_values_is_bound_with_them(
        before: dict[str, Any], after: dict[str, Any]) -> None:
    warm = Schema(TYPES)
    text = "media.first(3).after({}){{edges{{cursor,node{{id}}}}}}"
    _outcome(warm, text.format(f'"{encode_cursor(0)}"'), before)
    second = text.format(f'"{encode_cursor(1)}"')
    assert _outcome(warm, second, after) == _outcome(Schema(TYPES), second, after)
