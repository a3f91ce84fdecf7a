"""Execution speed: graphfields vs a hand-written function, graphql-core and a tree walk.

The spec's long user request with ``media.first(100)`` and ``comments.first(20)`` over
plain dicts (one user, 100 media each with owner, location and 20 comments with owners).
Every contender builds the identical output (checked before timing); timings are
medians of interleaved repetitions with the garbage collector paused, as timeit does.

Also: ``first(10)`` on a 1,000,000-item list against a 1,000-item list, and a date
filter over 1,000,000 sorted items.

Run: ``.venv/bin/python -m benchmarks execute`` (or ``make bench``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks import references
from benchmarks._timing import interleaved_medians
from benchmarks.data import BASE_TS, LONG_REQUEST, SCHEMA, user_dataset
from benchmarks.references import hand_written
from graphfields.compiler import compile
from graphfields.execution import execute
from graphfields.execution.interpret import interpret

__all__ = ["graphql_core_runner", "main"]


def graphql_core_runner(user: dict[str, Any]) -> Callable[[], Any]:
    """graphql-core 3 over the same dicts: pre-parsed, pre-validated document."""
    schema = references.graphql_core_schema()
    document = references.graphql_prepared(
        schema, references.graphql_document(references.long_request())
    )
    root = {"user": user}
    return lambda: references.graphql_run(schema, document, root)


# ---- timing -------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def long_request(rounds: int = 40) -> dict[str, float]:
    user = user_dataset(100, 20)
    plan = compile(SCHEMA, "User", LONG_REQUEST)
    expected = hand_written(user)
    gql = graphql_core_runner(user)
    assert execute(plan, user) == expected, "graphfields output differs from hand-written"
    assert interpret(plan, user) == expected, "tree walk output differs from hand-written"
    assert gql() == expected, "graphql-core output differs from hand-written"
    contenders: dict[str, Callable[[], Any]] = {
        "hand-written function": lambda: hand_written(user),
        "graphfields execute (plan cached)": lambda: execute(plan, user),
        "graphfields compile (cached) + execute": lambda: execute(
            compile(SCHEMA, "User", LONG_REQUEST), user
        ),
        "naive tree walk (graphfields.interpret)": lambda: interpret(plan, user),
        "graphql-core 3 + graphql-relay": gql,
    }
    medians = interleaved_medians(contenders, rounds, collect=True)
    base = medians["hand-written function"]
    print(f"long spec request, media.first(100) x comments.first(20), {rounds} rounds:")
    for name, t in medians.items():
        print(f"  {name:42s} {_ms(t)}   {t / base:6.2f}x hand-written")
    ours = medians["graphfields execute (plan cached)"]
    gql_ratio = medians["graphql-core 3 + graphql-relay"] / ours
    print(f"  graphfields / hand-written: {ours / base:.2f}x (target <= 1.5x)")
    print(f"  graphql-core / graphfields: {gql_ratio:.1f}x faster")
    return medians


def big_lists(rounds: int = 200) -> dict[str, float]:
    n_big = 1_000_000
    items = [
        {"id": str(i), "timestamp": BASE_TS - i, "last_update": BASE_TS, "is_being_updated": False}
        for i in range(n_big)
    ]
    big = {"media": items}
    small = {"media": items[:1000]}
    page = compile(SCHEMA, "User", "media.first(10){edges{cursor,node{id}}}")
    since, until = BASE_TS - 600_000, BASE_TS - 500_000
    filtered = compile(
        SCHEMA,
        "User",
        "media.first(10){page_info{has_next_page},edges{cursor,node{id}}}",
        filters={"from_timestamp": since, "to_timestamp": until},
    )
    out = execute(filtered, big)
    assert out["media"]["edges"][0]["node"]["id"] == "500000", out
    assert execute(page, big) == execute(page, small)
    medians = interleaved_medians(
        {
            "first(10) on 1,000 items": lambda: execute(page, small),
            "first(10) on 1,000,000 items": lambda: execute(page, big),
            "date filter + first(10) on 1,000,000 sorted items": lambda: execute(filtered, big),
        },
        rounds,
        collect=False,
    )
    print(f"connections over big lists, {rounds} rounds:")
    for name, t in medians.items():
        print(f"  {name:50s} {t * 1e6:9.1f} us")
    ratio = medians["first(10) on 1,000,000 items"] / medians["first(10) on 1,000 items"]
    print(f"  1,000,000 / 1,000 items: {ratio:.2f}x (target <= 2x)")
    filtered_ms = medians["date filter + first(10) on 1,000,000 sorted items"] * 1e3
    print(f"  date filter on 1,000,000 items: {filtered_ms:.3f} ms (target < 1 ms)")
    return medians


def main() -> None:
    long_request()
    big_lists()


if __name__ == "__main__":
    main()
