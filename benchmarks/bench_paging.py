"""Paging traffic: a new cursor on every request, as real clients page through a feed.

The spec's long user request with ``media.first(10).after("<cursor>")`` (and
``page_info{has_next_page,end_cursor}``) and ``comments.first(5)``, over plain dicts of
one user with a few thousand posts of 20 comments each. Request ``i`` asks for the page
after page ``i`` (its cursor is page ``i``'s ``end_cursor``): a new text every request,
never reused. In one interleaved run (medians per request):

- graphfields ``compile`` + ``execute`` on those distinct cursors;
- graphfields on one repeated string (the plan cache's best case);
- graphql-core 3 + graphql-relay, the document parsed and validated once, the cursor a
  variable (its best case; the same logical data and output);
- a hand-written function producing the same output;
- the steady long request (``media.first(100)`` x ``comments.first(20)``, one repeated
  string) through graphfields and by hand.

Every contender's output is checked equal to the hand-written one before timing (on
cursors the timed run does not use). Targets (issue 7): distinct / repeated <= 2.0,
distinct / graphql-core <= 0.2, steady long / hand-written <= 1.5.

Run: ``.venv/bin/python -m benchmarks paging`` (``BENCH_QUICK=1`` for a fifth of the
rounds; ``PAGING_ROUNDS=n`` to choose).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import graphfields
from benchmarks._timing import interleaved_medians, scaled
from benchmarks.data import SCHEMA, user_dataset
from benchmarks.references import (
    cursor_at,
    graphql_core_schema,
    graphql_document,
    graphql_prepared,
    graphql_run,
    hand_written,
    long_request,
    selection,
)

__all__ = ["COMMENTS", "PAGE", "end_cursor", "main", "measure", "paging_request"]

PAGE = 10
COMMENTS = 5


def end_cursor(page: int) -> str:
    """The ``end_cursor`` of page ``page`` (0-based) of ``media.first(PAGE)``."""
    return cursor_at(PAGE * (page + 1) - 1)


def paging_request(cursor: str) -> str:
    """The graphfields text of the page after ``cursor``."""
    return selection(long_request(PAGE, COMMENTS, after=cursor, page_info=True))


def _graphql_pager(user: dict[str, Any]) -> Callable[[str], Any]:
    """graphql-core's best case: one parsed, validated document; the cursor a variable."""
    schema = graphql_core_schema()
    text = graphql_document(long_request(PAGE, COMMENTS, after="", page_info=True),
                            cursor_variable=True)  # fmt: skip
    document = graphql_prepared(schema, text)
    root = {"user": user}
    return lambda cursor: graphql_run(schema, document, root, {"after": cursor})


def _page_of(user: dict[str, Any], cursor: str) -> dict[str, Any]:
    return hand_written(user, PAGE, COMMENTS, after=cursor, page_info=True)


def measure(rounds: int) -> dict[str, float]:
    """Median seconds per request of each contender, printed with the ratios."""
    n_media = max(3000, PAGE * (rounds + 10))
    user = user_dataset(n_media, 20)
    gql = _graphql_pager(user)
    steady = selection(long_request(100, 20))
    repeated = paging_request(end_cursor(0))

    # Correctness first, on cursors the timed run never sees: pages past the timed ones,
    # and the last page (has_next_page false).
    last_page = n_media // PAGE - 2
    for page in (rounds + 2, rounds + 3, last_page, 0):
        cursor = end_cursor(page)
        expected = _page_of(user, cursor)
        plan = graphfields.compile(SCHEMA, "User", paging_request(cursor))
        ours = graphfields.execute(plan, user)
        assert ours == expected, f"graphfields differs from hand-written after page {page}"
        assert gql(cursor) == expected, f"graphql-core differs from hand-written after page {page}"
    assert _page_of(user, end_cursor(last_page))["media"]["page_info"]["has_next_page"] is False
    steady_expected = hand_written(user, 100, 20)
    steady_ours = graphfields.execute(graphfields.compile(SCHEMA, "User", steady), user)
    assert steady_ours == steady_expected, "graphfields differs from hand-written (long)"

    def cursors() -> Iterator[str]:
        return iter([end_cursor(page) for page in range(1, rounds + 1)])

    gql_c, hand_c = cursors(), cursors()
    # The request texts are written before timing (a client sends them ready-made).
    ours_t = iter([paging_request(cursor) for cursor in cursors()])
    contenders: dict[str, Callable[[], Any]] = {
        "graphfields, distinct cursors": lambda: graphfields.execute(
            graphfields.compile(SCHEMA, "User", next(ours_t)), user
        ),
        "graphfields, one repeated string": lambda: graphfields.execute(
            graphfields.compile(SCHEMA, "User", repeated), user
        ),
        "graphql-core + relay, cursor variable": lambda: gql(next(gql_c)),
        "hand-written function": lambda: _page_of(user, next(hand_c)),
    }
    # No full collection between rounds (the collector stays paused while timing): a full
    # collection walks every object and leaves the CPU's caches cold for whatever runs
    # next, which a server (generational collections, rarely a full one) does not see per
    # request; it measured distinct cursors at 2.8-3.5x instead of ~1.1x their repeat.
    medians = interleaved_medians(contenders, rounds)
    # The steady long request in a run of its own: 30x a page, it would decide what is left
    # in the CPU's caches for the page requests run after it.
    medians.update(interleaved_medians({
        "steady long, graphfields": lambda: graphfields.execute(
            graphfields.compile(SCHEMA, "User", steady), user
        ),
        "steady long, hand-written": lambda: hand_written(user, 100, 20),
    }, max(5, rounds // 4), collect=True))

    print(f"paging media.first({PAGE}).after(cursor) x comments.first({COMMENTS}), "
          f"{n_media} posts, {rounds} rounds, each distinct cursor used once:")  # fmt: skip
    hand = medians["hand-written function"]
    for name, t in medians.items():
        print(f"  {name:40s} {t * 1e3:9.3f} ms")
    distinct = medians["graphfields, distinct cursors"]
    ratios = (
        ("distinct / repeated", distinct / medians["graphfields, one repeated string"], 2.0),
        ("distinct / graphql-core", distinct / medians["graphql-core + relay, cursor variable"],
         0.2),
        ("distinct / hand-written", distinct / hand, None),
        ("steady long / hand-written",
         medians["steady long, graphfields"] / medians["steady long, hand-written"], 1.5),
    )  # fmt: skip
    for label, ratio, target in ratios:
        goal = f"  (target <= {target})" if target is not None else ""
        print(f"  {label:28s} {ratio:8.2f}x{goal}")
    return medians


def main() -> None:
    measure(int(os.environ.get("PAGING_ROUNDS", "0")) or scaled(200))


if __name__ == "__main__":
    main()
