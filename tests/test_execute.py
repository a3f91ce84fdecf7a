"""execute(): generated code, checked against the reference interpreter and by behaviour."""

from __future__ import annotations

import random
from collections.abc import Callable
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest
from exec_fixtures import BASE, BUser, Comment, CUser, Media, Owner, User, make_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_builder import _fields, build, run_generated

from graphfields import sources
from graphfields.errors import ExecutionError
from graphfields.execution import execute, generated_source
from graphfields.execution.interpret import interpret
from graphfields.plan import Plan, ScalarPlan, SelectionPlan, Shape
from graphfields.relay import Page, encode_cursor
from graphfields.schema import ConnectionArgs, ObjectType

# ---- random plans over the fixture schema ------------------------------------------


@st.composite
def _args(draw: Any) -> ConnectionArgs:
    small = st.none() | st.integers(0, 6)
    stamp = st.none() | st.integers(BASE - 8 * 3600, BASE + 60)
    return ConnectionArgs(
        first=draw(small),
        last=draw(small),
        after=draw(small),
        before=draw(small),
        since=draw(stamp),
        until=draw(stamp),
    )


@st.composite
def _spec(draw: Any, t: ObjectType, depth: int = 0) -> list[Any]:
    names = draw(st.lists(st.sampled_from(sorted(_fields(t))), min_size=1, max_size=5, unique=True))
    out: list[Any] = []
    for name in names:
        rf = _fields(t)[name]
        shown = f"x_{name}:{name}" if draw(st.booleans()) and depth else name
        if rf.kind == "scalar":
            out.append(shown)
        elif rf.kind == "object":
            assert rf.object_type is not None
            if depth >= 3 or draw(st.integers(0, 3)) == 0:
                out.append(shown)
            else:
                out.append((shown, draw(_spec(rf.object_type, depth + 1))))
        elif depth < 3:
            assert rf.object_type is not None
            parts: list[Any] = []
            if draw(st.booleans()):
                names_pi = ["has_next_page", "has_previous_page", "start_cursor", "end_cursor"]
                parts.append(
                    ("page_info", draw(st.permutations(names_pi))[: draw(st.integers(1, 4))])
                )
            items: list[Any] = []
            if draw(st.booleans()):
                items.append("cursor")
            if draw(st.booleans()) or not items:
                items.append(("node", draw(_spec(rf.object_type, depth + 1))))
            if draw(st.booleans()):
                items.reverse()
            parts.append(("edges", items))
            if draw(st.booleans()):
                parts.reverse()
            out.append((shown, draw(_args()), parts))
    return out


# ---- the same data in many shapes ----------------------------------------------------


class Row:
    """A type read through a registered getter."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d


sources.register(Row, lambda row, name: row.d.get(name))


class Slotted:
    __slots__ = ("caption", "id", "username")

    def __init__(self, d: dict[str, Any]) -> None:
        for k in self.__slots__:
            if k in d:
                setattr(self, k, d[k])


_KEEP = ("media", "comments", "timestamp")


def _outcome(plan: Plan, data: Any, run: Any) -> Any:
    try:
        return run(plan, data)
    except ExecutionError as exc:
        return ("error", exc.path, type(exc.original))


def _reshape(value: Any, rnd: random.Random, drop: float = 0.15) -> Any:
    if isinstance(value, list):
        return [_reshape(v, rnd, drop) for v in value]
    if not isinstance(value, dict):
        if rnd.random() < 0.05 and value is not None:
            return (lambda v: lambda: v)(value)
        return value
    d = {k: _reshape(v, rnd, drop) for k, v in value.items() if k in _KEEP or rnd.random() > drop}
    kind = rnd.randrange(6)
    if kind == 0:
        return SimpleNamespace(**d)
    if kind == 1:
        return MappingProxyType(d)  # a Mapping that is not a dict
    if kind == 2:
        return Row(d)
    if kind == 3:
        return (lambda v: lambda: v)(d)
    if kind == 4 and set(d) <= set(Slotted.__slots__):
        return Slotted(d)
    return d


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_spec(User), st.integers(0, 2**32), st.booleans())
def test_generated_code_matches_the_reference(spec: list[Any], seed: int, reshape: bool) -> None:
    _differential(build(User, spec), seed, reshape)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_spec(BUser), st.integers(0, 2**32), st.booleans())
def test_generated_batches_match_the_reference(spec: list[Any], seed: int, reshape: bool) -> None:
    _differential(build(BUser, spec), seed, reshape)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_spec(CUser), st.integers(0, 2**32), st.booleans())
def test_generated_connection_batches_match_the_reference(
    spec: list[Any], seed: int, reshape: bool
) -> None:
    _differential(build(CUser, spec), seed, reshape)


_OWNER = ["id", "username", "full_name"]
_RICH: list[Any] = [
    "id",
    "username",
    ("best_friend", _OWNER),
    ("friends", _OWNER),
    (
        "media",
        ConnectionArgs(first=5, after=0),
        [
            ("page_info", ["has_next_page", "end_cursor"]),
            (
                "edges",
                [
                    "cursor",
                    (
                        "node",
                        [
                            "id",
                            "caption",
                            "tags",
                            "created_time",
                            ("owner", _OWNER),
                            (
                                "comments",
                                ConnectionArgs(first=3),
                                [("edges", [("node", ["id", "text", ("owner", _OWNER)])])],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    "schema_root", [User, BUser, CUser], ids=["plain", "batched", "connection-batched"]
)
def test_rich_plan_over_many_data_shapes(schema_root: ObjectType) -> None:
    plan = build(schema_root, _RICH)
    inlined = build(schema_root, [(f, s) for f, s in [("best_friend", _OWNER)]])
    for seed in range(120):
        _differential(plan, seed, True)
        _differential(inlined, seed, True)


def _differential(plan: Plan, seed: int, reshape: bool) -> None:
    data: Any = make_user(6, 4)
    if reshape:
        data = _reshape(data, random.Random(seed))
    expected = _outcome(plan, data, interpret)
    assert _outcome(plan, data, run_generated) == expected
    # The runner is cached on the plan's shape and gives the same again.
    assert plan.shape.runner is not None
    assert _outcome(plan, data, run_generated) == expected


# ---- reading rules --------------------------------------------------------------------


def test_reading_rules_and_null_objects() -> None:
    class U:
        id = 7
        username = "obj"

        def friends(self) -> list[Any]:  # a bound method is called
            return [{"id": 1}, None]

    plan = build(User, ["id", "username", "best_friend", "friends"])
    assert execute(plan, U()) == {
        "id": "7",
        "username": "obj",
        "best_friend": None,
        "friends": [{"id": "1"}, None],
    }
    assert execute(plan, {"username": lambda: "lazy", "friends": None}) == {
        "id": None,
        "username": "lazy",
        "best_friend": None,
        "friends": None,
    }
    # A class is a value, not something to call.
    # (str() would give ""; the class itself is no String, so it is an error.)
    with pytest.raises(ExecutionError, match="String cannot represent a value of type type"):
        execute(build(User, ["username"]), {"username": str})


def test_source_and_resolve_and_context() -> None:
    T = ObjectType(
        "T",
        {
            "a": _field(source="other"),
            "b": _field(resolve=lambda parent, ctx: f"{parent['x']}-{ctx}"),
        },
        defaults=["a"],
    )
    plan = build(_schema_of(T), ["a", "b"])
    assert execute(plan, {"other": 1, "x": 2}, context="ctx") == {"a": "1", "b": "2-ctx"}


def _field(**kw: Any) -> Any:
    from graphfields.schema import String, field_

    return field_(String, **kw)


def _schema_of(t: ObjectType) -> ObjectType:
    from graphfields.schema import Schema

    Schema([t])
    return t


def test_output_is_plain_and_lists_are_copied() -> None:
    data = make_user(2, 0)
    out = execute(
        build(User, [("media", ConnectionArgs(), [("edges", [("node", ["tags"])])])]), data
    )
    tags = out["media"]["edges"][1]["node"]["tags"]
    assert tags == ["a", "b"] and tags is not data["media"][1]["tags"]


def test_field_names_cannot_inject_code() -> None:
    evil = "'); import os; os._exit(3); ('"
    t = ObjectType("Evil", {"id": _field(source=evil)})
    _schema_of(t)
    from graphfields.schema import Schema

    rf = Schema([t]).fields_of(t)["id"]
    plan = Plan(Shape(t, SelectionPlan(t, (ScalarPlan(evil, rf),)), None, 1), ())
    assert run_generated(plan, {evil: "1"}) == {evil: "1"}
    assert "import os" in generated_source(plan)  # only inside string literals
    assert run_generated(plan, SimpleNamespace(**{evil: "2"})) == {evil: "2"}


# ---- connections ------------------------------------------------------------------


def _media_plan(args: ConnectionArgs, node: list[Any] | None = None) -> Plan:
    pi = ["has_next_page", "has_previous_page", "start_cursor", "end_cursor"]
    edges: list[Any] = ["cursor", ("node", node or ["id"])]
    return build(User, [("media", args, [("page_info", pi), ("edges", edges)])])


def test_empty_page_has_null_cursors() -> None:
    out = execute(_media_plan(ConnectionArgs(first=3, after=50)), make_user(5, 0))
    assert out["media"] == {
        "page_info": {
            "has_next_page": False,
            "has_previous_page": True,
            "start_cursor": None,
            "end_cursor": None,
        },
        "edges": [],
    }


class _Big:
    """A million-item sequence that counts reads."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.reads = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        self.reads += 1
        return {"id": str(i), "timestamp": 2_000_000_000 - i}


def test_connection_over_a_sequence_reads_only_the_page() -> None:
    big = _Big(1_000_000)
    out = execute(_media_plan(ConnectionArgs(first=10, after=999)), {"media": big})
    assert [e["node"]["id"] for e in out["media"]["edges"]] == [str(i) for i in range(1000, 1010)]
    assert big.reads == 10


def test_date_filter_on_a_sorted_sequence_is_a_bisect() -> None:
    big = _Big(1_000_000)
    args = ConnectionArgs(first=2, since=2_000_000_000 - 500_000, until=2_000_000_000 - 400_000)
    out = execute(_media_plan(args), {"media": big})
    assert [e["node"]["id"] for e in out["media"]["edges"]] == ["400000", "400001"]
    assert out["media"]["edges"][0]["cursor"] == encode_cursor(0)
    assert out["media"]["page_info"]["has_next_page"] is True
    assert out["media"]["page_info"]["has_previous_page"] is False
    assert big.reads < 100


def test_connection_resolver_page_is_used_as_given() -> None:
    seen: list[ConnectionArgs] = []

    def resolve(parent: Any, args: ConnectionArgs, ctx: Any) -> Page:
        seen.append(args)
        return Page(
            [{"id": "a"}, {"id": "b"}], offset=10, has_next_page=True, has_previous_page=True
        )

    from graphfields.schema import Connection, Schema

    M = ObjectType("M", {"id": _field()})
    U = ObjectType("U", {"id": _field(), "media": Connection(M, default_first=2, resolve=resolve)})
    Schema([U, M])
    plan = build(
        U,
        [
            (
                "media",
                ConnectionArgs(first=2, after=9),  # default_first applied by compile
                [("page_info", ["end_cursor"]), ("edges", ["cursor"])],
            )
        ],
    )
    out = execute(plan, {})
    assert out == {
        "media": {
            "page_info": {"end_cursor": encode_cursor(11)},
            "edges": [{"cursor": encode_cursor(10)}, {"cursor": encode_cursor(11)}],
        }
    }
    assert seen == [ConnectionArgs(first=2, after=9)]  # default_first applied


# ---- batch resolvers ---------------------------------------------------------------


def _batched_schema(calls: list[int]) -> tuple[ObjectType, ObjectType]:
    from graphfields.schema import ID, Connection, Schema, String, field_

    def owners(parents: Any, ctx: Any) -> list[Any]:
        calls.append(len(parents))
        return [{"id": p["owner_id"], "username": f"user{p['owner_id']}"} for p in parents]

    Own = ObjectType("O", {"id": ID, "username": String})
    C = ObjectType("C", {"id": ID, "owner": field_(Own, batch=owners)})
    M = ObjectType("M", {"id": ID, "owner": field_(Own, batch=owners), "comments": Connection(C)})
    U = ObjectType("U", {"id": ID, "media": Connection(M)})
    Schema([U, M, C, Own])
    return U, M


def _batched_data(n_media: int, n_comments: int) -> dict[str, Any]:
    return {
        "media": [
            {
                "id": m,
                "owner_id": m % 5,
                "comments": [{"id": f"{m}-{c}", "owner_id": c} for c in range(n_comments)],
            }
            for m in range(n_media)
        ]
    }


def test_batch_resolver_called_once_per_page_and_per_level() -> None:
    calls: list[int] = []
    U, _ = _batched_schema(calls)
    node = [
        ("owner", ["id", "username"]),
        (
            "comments",
            ConnectionArgs(first=20),
            [("edges", [("node", ["id", ("owner", ["username"])])])],
        ),
    ]
    plan = build(U, [("media", ConnectionArgs(first=100), [("edges", [("node", ["id", *node])])])])
    data = _batched_data(120, 25)
    out = execute(plan, data)
    # 100 media owners in one call, 100 x 20 comment owners in one call.
    assert sorted(calls) == [100, 2000]
    assert out == interpret(plan, data)
    first = out["media"]["edges"][3]["node"]
    assert list(first) == ["id", "owner", "comments"]  # placeholder keeps request order
    assert first["owner"] == {"id": "3", "username": "user3"}
    assert first["comments"]["edges"][7]["node"]["owner"] == {"username": "user7"}


def test_batch_resolver_wrong_length_is_an_execution_error() -> None:
    from graphfields.schema import ID, Connection, Schema, field_

    Own = ObjectType("O2", {"id": ID})
    M = ObjectType("M2", {"id": ID, "owner": field_(Own, batch=lambda ps, c: [])})
    U = ObjectType("U2", {"id": ID, "media": Connection(M)})
    Schema([U, M, Own])
    plan = build(U, [("media", ConnectionArgs(first=5), [("edges", [("node", ["owner"])])])])
    with pytest.raises(ExecutionError) as info:
        execute(plan, {"media": [{"id": 1}, {"id": 2}]})
    assert info.value.path == "media.edges[0].node.owner"
    assert isinstance(info.value.__cause__, ValueError)


# ---- errors -----------------------------------------------------------------------


class _Boom(Exception):
    pass


def _raise(*_: Any) -> Any:
    raise _Boom("store down")


@pytest.mark.parametrize("how", ["getter", "callable", "resolver", "batch", "nested-batch"])
def test_errors_carry_the_output_path(how: str) -> None:
    from graphfields.schema import ID, Connection, Schema, String, field_

    kw: dict[str, Any] = {}
    if how == "resolver":
        kw["resolve"] = lambda parent, ctx: _raise() if parent["n"] == 3 else {"name": "ok"}
    if how in ("batch", "nested-batch"):
        kw["batch"] = lambda parents, ctx: _raise()
    Own = ObjectType(f"O_{how.replace('-', '_')}", {"name": String}, defaults=["name"])
    C = ObjectType(f"C_{how.replace('-', '_')}", {"id": ID, "owner": field_(Own, **kw)})
    M = ObjectType(
        f"M_{how.replace('-', '_')}",
        {
            "id": ID,
            "owner": field_(Own, **kw) if how != "nested-batch" else field_(Own),
            "comments": Connection(C),
        },
    )
    U = ObjectType(f"U_{how.replace('-', '_')}", {"id": ID, "media": Connection(M)})
    Schema([U, M, C, Own])

    class Bad:
        @property
        def name(self) -> str:
            raise _Boom("property")

    media: list[dict[str, Any]] = [
        {"n": i, "id": i, "owner": {"name": "ok"}, "comments": [{"owner": {"name": "c"}}]}
        for i in range(6)
    ]
    if how == "getter":
        media[3]["owner"] = Bad()
    if how == "callable":
        media[3]["owner"] = {"name": _raise}
    if how == "nested-batch":
        node: list[Any] = [
            ("comments", ConnectionArgs(), [("edges", [("node", [("owner", ["name"])])])])
        ]
    else:
        node = ["id", ("owner", ["name"])]
    plan = build(U, [("media", ConnectionArgs(first=5, after=0), [("edges", [("node", node)])])])
    with pytest.raises(ExecutionError) as info:
        execute(plan, {"media": media})
    expected = {
        "getter": "media.edges[2].node.owner.name",
        "callable": "media.edges[2].node.owner.name",
        "resolver": "media.edges[2].node.owner",
        "batch": "media.edges[0].node.owner",
        "nested-batch": "media.edges[0].node.comments.edges[0].node.owner",
    }[how]
    assert info.value.path == expected
    assert isinstance(info.value.__cause__, _Boom)
    assert isinstance(info.value.original, _Boom)
    with pytest.raises(ExecutionError) as ref:
        interpret(plan, {"media": media})
    if how not in ("batch", "nested-batch"):
        assert ref.value.path == expected


def test_root_none_is_an_execution_error() -> None:
    with pytest.raises(ExecutionError, match="needs a root object, got None"):
        execute(build(Owner, ["id"]), None)


def test_unused_types_are_declared() -> None:
    assert Media.name == "Media" and Comment.name == "Comment"


# ---- adaptive reading and inlined selections -----------------------------------------


def test_many_missing_keys_switch_to_get_and_stay_correct() -> None:
    node: list[Any] = ["id", "caption", "like_count", ("owner", ["id", "username"])]
    comments: list[Any] = [
        ("comments", ConnectionArgs(first=3), [("edges", [("node", ["id", "text", "owner"])])])
    ]
    plan = build(
        User, [("media", ConnectionArgs(first=40), [("edges", [("node", node + comments)])])]
    )
    full = make_user(40, 3)
    sparse = make_user(40, 3)
    for m in sparse["media"]:
        del m["caption"]
        for c in m["comments"]:
            del c["text"]
    for data in (full, sparse, full, sparse):
        assert execute(plan, data) == interpret(plan, data)


def test_error_inside_an_inlined_comment_node_has_the_full_path() -> None:
    comments: list[Any] = [
        (
            "comments",
            ConnectionArgs(first=3),
            [("edges", [("node", ["id", ("owner", ["username"])])])],
        )
    ]
    plan = build(
        User, [("media", ConnectionArgs(first=4), [("edges", [("node", ["id", *comments])])])]
    )
    data = make_user(4, 3)

    class Bad:
        @property
        def username(self) -> str:
            raise _Boom("no username")

    data["media"][2]["comments"][1] = {**data["media"][2]["comments"][1], "owner": Bad()}
    with pytest.raises(ExecutionError) as info:
        execute(plan, data)
    assert info.value.path == "media.edges[2].node.comments.edges[1].node.owner.username"
    assert isinstance(info.value.__cause__, _Boom)
    data["media"][2]["comments"][1]["owner"] = {"username": lambda: _raise()}
    with pytest.raises(ExecutionError) as info2:
        execute(plan, data)
    assert info2.value.path == "media.edges[2].node.comments.edges[1].node.owner.username"


def test_deep_self_referential_selections() -> None:
    from graphfields.schema import ID, Schema, String

    node = ObjectType("Node", {"id": ID, "name": String, "child": "Node"})
    Schema([node])

    def spec(d: int) -> list[Any]:
        return ["id", "name"] if d == 0 else ["id", ("child", spec(d - 1))]

    def data(d: int) -> dict[str, Any]:
        return {"id": d, "name": "leaf"} if d == 0 else {"id": d, "child": data(d - 1)}

    for depth in (3, 40, 90):
        plan = build(node, spec(depth))
        assert execute(plan, data(depth)) == interpret(plan, data(depth))


@pytest.mark.parametrize("parent", ["dict", "object", "row", "frozen"])
@pytest.mark.parametrize("child", ["dict", "object", "row", "frozen"])
def test_missing_keys_in_every_parent_child_combination(parent: str, child: str) -> None:
    make: dict[str, Callable[[dict[str, Any]], Any]] = {
        "dict": lambda d: d,
        "object": lambda d: SimpleNamespace(**d),
        "row": Row,
        "frozen": MappingProxyType,
    }
    plan = build(Media, ["id", ("owner", ["id", "username"])])
    for owner in ({"id": 2}, {"username": "u"}, {}):
        data = make[parent]({"id": 1, "owner": make[child](dict(owner))})
        assert execute(plan, data) == interpret(plan, data)
    data = make[parent]({"owner": None})
    assert execute(plan, data) == {"id": None, "owner": None}
