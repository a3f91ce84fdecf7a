"""compile(): table-driven plans and pinned error messages (tests/cases/validation.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from example_schema import Media, schema

import graphfields
from graphfields import (
    ConnectionArgs,
    Field,
    FieldsSyntaxError,
    FieldsValidationError,
    Limits,
    SchemaError,
    Selection,
    compile,
    parse,
)
from graphfields.compiler import MAX_ISSUES, validate
from graphfields.plan import (
    ConnectionPlan,
    EdgesPlan,
    ObjectPlan,
    PageInfoPlan,
    Plan,
    ScalarPlan,
    SelectionPlan,
)
from graphfields.schema import ID, Connection, Int, ObjectType, Schema, String

CASES = json.loads((Path(__file__).parent / "cases" / "validation.json").read_text("utf-8"))


def shape(sel: SelectionPlan, args: tuple[Any, ...] = ()) -> str:
    """A plan in a compact text form: ``key:name`` for aliases, ``(args)`` on connections
    (``args``: the plan's arguments)."""
    return ",".join(_field_shape(p, args) for p in sel.fields)


def _label(key: str, name: str) -> str:
    return key if key == name else f"{key}:{name}"


def _field_shape(p: ScalarPlan | ObjectPlan | ConnectionPlan, plan_args: tuple[Any, ...]) -> str:
    head = _label(p.key, p.field.name)
    if isinstance(p, ScalarPlan):
        return head
    if isinstance(p, ObjectPlan):
        return f"{head}{{{shape(p.selection, plan_args)}}}"
    a = plan_args[p.arg]
    args = ",".join(
        f"{k}={v}" for k, v in zip(
            ("first", "last", "after", "before", "since", "until", "offset"),
            (a.first, a.last, a.after, a.before, a.since, a.until, a.offset or None),
            strict=True,
        ) if v is not None
    )
    parts = []
    for part in p.parts:
        if isinstance(part, PageInfoPlan):
            inner = ",".join(_label(k, n) for k, n in part.fields)
            parts.append(f"{_label(part.key, 'page_info')}{{{inner}}}")
        else:
            items = []
            for k, n in part.items:
                if n == "node":
                    assert part.node is not None
                    items.append(f"{_label(k, 'node')}{{{shape(part.node, plan_args)}}}")
                else:
                    items.append(_label(k, "cursor"))
            parts.append(f"{_label(part.key, 'edges')}{{{','.join(items)}}}")
    return f"{head}{f'({args})' if args else ''}{{{','.join(parts)}}}"


def _id(case: dict[str, Any]) -> str:
    return f"{case['type']}:{case['fields'][:60]}:{case.get('filters', '')}"


@pytest.mark.parametrize("case", CASES["valid"], ids=_id)
def test_valid(case: dict[str, Any]) -> None:
    plan = compile(schema, case["type"], case["fields"], filters=case.get("filters"))
    assert isinstance(plan, Plan)
    assert plan.type is schema[case["type"]]
    assert shape(plan.selection, plan.args) == case["plan"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=_id)
def test_invalid(case: dict[str, Any]) -> None:
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, case["type"], case["fields"], filters=case.get("filters"))
    got = [[i.line, i.column, i.message] for i in info.value.issues]
    assert got == case["errors"]
    assert info.value.message == case["errors"][0][2]


def test_spec_error_message_exactly() -> None:
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", "id_")
    err = info.value
    assert err.message == 'Cannot query field "id_" on type "Media". Did you mean "id"?'
    assert err.issues[0].suggestions == ("id",)
    assert (err.position, err.line, err.column) == (0, 1, 1)
    assert str(err) == (
        '1:1: Cannot query field "id_" on type "Media". Did you mean "id"?\nid_\n^'
    )
    assert err.formatted["errors"][0]["locations"] == [{"line": 1, "column": 1}]


def test_every_issue_has_a_caret_under_its_token() -> None:
    text = "id,\n  owner{idd},\n  comments.frist(1)"
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", text)
    assert str(info.value).splitlines() == [
        '2:9: Cannot query field "idd" on type "Owner". Did you mean "id"?',
        "  owner{idd},",
        "        ^",
        '3:12: Unknown call "frist" on field "comments". Did you mean "first" or "last"?',
        "  comments.frist(1)",
        "           ^",
    ]


def test_issue_count_is_bounded() -> None:
    text = ",".join(f"bad{i}" for i in range(100))
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", text)
    assert len(info.value.issues) == MAX_ISSUES


def test_alias_must_be_a_name() -> None:
    # The parser refuses such aliases in text; an AST built in code is checked here.
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", Selection((Field("id", alias="1"),)))
    assert info.value.message == (
        'Invalid alias "1" on field "id": an alias must be a name of letters, digits and '
        "underscores, not starting with a digit.")


def test_syntax_errors_come_from_the_parser() -> None:
    with pytest.raises(FieldsSyntaxError):
        compile(schema, "Media", "id,{")


def test_type_by_object_and_unknown_type() -> None:
    assert compile(schema, Media, "id").type is Media
    with pytest.raises(SchemaError, match=r'^Unknown type "Medai"\. Did you mean "Media"\?$'):
        compile(schema, "Medai", "id")
    stranger = ObjectType("Media", {"id": ID})
    Schema([stranger])
    with pytest.raises(SchemaError, match='Type "Media" is not part of this schema'):
        compile(schema, stranger, "id")


def test_plan_contents_for_the_executor() -> None:
    plan = compile(schema, "User", "id,media.first(3).after(YXJyYXljb25uZWN0aW9uOjI=)"
                   "{page_info{has_next_page},edges{cursor,node{id,owner{username}}}}")
    sel = plan.selection
    assert sel.type is schema["User"]
    id_plan, media = sel.fields
    assert isinstance(id_plan, ScalarPlan) and id_plan.field.scalar is graphfields.ID
    assert isinstance(media, ConnectionPlan)
    assert media.field is schema.fields_of("User")["media"]
    assert plan.args[media.arg] == ConnectionArgs(first=3, after=2)
    assert graphfields.plan.args_of(plan, media) == ConnectionArgs(first=3, after=2)
    page_info, edges = media.parts
    assert page_info == PageInfoPlan("page_info", (("has_next_page", "has_next_page"),))
    assert isinstance(edges, EdgesPlan)
    assert edges.items == (("cursor", "cursor"), ("node", "node"))
    assert edges.node is not None and edges.node.type is Media
    keys = [p.key for p in edges.node.fields]
    assert keys == ["id", "timestamp", "last_update", "is_being_updated", "owner"]
    owner = edges.node.fields[-1]
    assert isinstance(owner, ObjectPlan) and owner.selection.type is schema["Owner"]
    assert plan.cost == 3
    assert plan.text.startswith("id,media")


def test_default_first_is_applied_and_costed() -> None:
    item = ObjectType("Item", {"id": ID, "ts": Int})
    box = ObjectType("Box", {
        "id": ID,
        "items": Connection(item, default_first=10, max_first=50, timestamp_field="ts"),
        "all": Connection(item, max_first=50),
    })
    s = Schema([box, item])
    plan = compile(s, "Box", "items,all")
    items, all_ = plan.selection.fields
    assert isinstance(items, ConnectionPlan) and isinstance(all_, ConnectionPlan)
    assert plan.args[items.arg] == ConnectionArgs(first=10)
    # No default_first: the page is capped at max_first, as the node estimate counts it.
    assert plan.args[all_.arg] == ConnectionArgs(first=50)
    assert plan.cost == 10 + 50
    assert compile(s, "Box", "items.last(2)").args == (ConnectionArgs(last=2),)
    with pytest.raises(FieldsValidationError) as info:
        compile(s, "Box", "all.from_date(2019-01-01)")
    assert info.value.message == (
        'Call "from_date" is not available on field "all": its nodes have no timestamp field.')


def test_compile_accepts_an_ast_and_validate_is_an_alias() -> None:
    sel = parse("id,owner{username}")
    plan = compile(schema, "Media", sel)
    assert shape(plan.selection, plan.args) == "id,owner{username}"
    assert validate is compile
    assert compile(schema, "Media", parse("id , owner { username }")).text == "id,owner{username}"
    with pytest.raises(FieldsValidationError) as info:
        compile(schema, "Media", parse("id,\n owner{idd}"))
    assert (info.value.issues[0].line, info.value.issues[0].column) == (2, 8)


def test_cache_returns_the_same_plan() -> None:
    a = compile(schema, "Media", "id,owner{username}")
    assert compile(schema, "Media", "id,owner{username}") is a
    # Re-spaced text parses to an equal AST: the same shape.
    assert compile(schema, "Media", "id, owner { username }").shape is a.shape
    assert compile(schema, Media, "id,owner{username}") is a
    assert compile(schema, "Media", parse("id,owner{username}")).shape is a.shape
    # Limits and filters are part of the key.
    assert compile(schema, "Media", "id,owner{username}", limits=Limits(max_depth=3)) is not a
    f1 = compile(schema, "User", "media", filters={"from_date": "2019-01-01"})
    f2 = compile(schema, "User", "media", filters={"from_date": "2019-01-02"})
    assert f1 is not f2
    assert compile(schema, "User", "media", filters={"from_date": "2019-01-01"}) is f1


def test_cache_is_bounded_by_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphfields.compiler import cache

    s = Schema([ObjectType("T", {"id": ID, "name": String})])
    monkeypatch.setattr(cache, "PLAN_BUDGET", 20_000)
    monkeypatch.setattr(cache, "SHAPE_BUDGET", 100_000)
    texts = [",".join(f"id.as(a{j})" for j in range(i + 1)) for i in range(40)]
    plans = [compile(s, "T", text) for text in texts]
    caches = s._caches
    assert caches.plans.total <= 20_000 and caches.shapes.total <= 100_000
    assert 0 < len(caches.plans) < 40 and 0 < len(caches.shapes) < 40
    assert compile(s, "T", texts[39]) is plans[39]  # the most recent are kept
    assert compile(s, "T", texts[0]) is not plans[0]  # evicted, compiled again


def test_entries_used_again_outlive_a_flood_of_new_ones() -> None:
    from graphfields.compiler.cache import WeightedLRU

    lru: WeightedLRU[int] = WeightedLRU(1_000)
    lru.put("legit", 1, 100)
    assert lru.get("legit") == 1  # used again: protected
    for i in range(500):  # a flood of entries seen once
        lru.put(("flood", i), i, 50)
        assert lru.total <= 1_000
    assert lru.get("legit") == 1
    assert lru.get(("flood", 0)) is None and lru.get(("flood", 499)) == 499
    lru.put("huge", 2, 900)  # heavier than the probation segment: not kept
    assert lru.get("huge") is None


def test_errors_are_not_cached() -> None:
    for _ in range(2):
        with pytest.raises(FieldsValidationError):
            compile(schema, "Media", "nope")


def test_a_new_cursor_is_kept_as_a_plan_when_its_text_comes_again() -> None:
    """Paging traffic is mostly texts seen once: a plan read through a template (one
    argument changed) is cached on the text's second coming, not its first."""
    from graphfields.relay import encode_cursor

    s = Schema([ObjectType("T", {"id": ID, "items": Connection("T")})])

    def page(n: int) -> str:
        return f'items.first(2).after("{encode_cursor(n)}"){{edges{{node{{id}}}}}}'

    full = compile(s, "T", page(0))  # parsed in full: kept at once
    assert compile(s, "T", page(0)) is full
    first = compile(s, "T", page(7))  # through the template: not kept yet
    second = compile(s, "T", page(7))
    assert first is not second and first.args == second.args
    assert compile(s, "T", page(7)) is second  # kept on the second coming
    assert len(s._caches.plans) == 2
