"""A new shape's first request: no cache of any kind can help.

Each request is the spec's long user request in a shape never seen before: the fields of
every selection in a new order and three fields under new aliases (``username.as(u17)``,
``shortcode.as(s17)``, ``text.as(t17)``), so neither a cache by text nor one by shape hits.
graphfields ``compile`` + ``execute`` of it against graphql-core 3 + graphql-relay's
``parse`` + ``validate`` + ``execute`` of the equivalent document (uncached, as graphql-core
is used without a document cache), over the same plain dicts, in one interleaved run; the
page sizes of the paging benchmark (``media.first(10).after(...)`` x ``comments.first(5)``)
and of the steady long request (``media.first(100)`` x ``comments.first(20)``).

Outputs are checked equal to each other (and to the hand-written one for the unaliased
shape) before timing, on shapes the timed run does not use. Target (issue 7): graphfields
<= graphql-core.

Run: ``.venv/bin/python -m benchmarks shapes`` (``BENCH_QUICK=1`` for a fifth of the
rounds; ``SHAPES_ROUNDS=n`` to choose).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import graphfields
from benchmarks._timing import interleaved_medians, scaled
from benchmarks.data import SCHEMA, user_dataset
from benchmarks.references import (
    F,
    cursor_at,
    graphql_core_schema,
    graphql_document,
    graphql_prepared,
    graphql_run,
    hand_written,
    long_request,
    selection,
)

__all__ = ["main", "measure", "variant"]

_ALIASED = {"username": "u", "shortcode": "s", "text": "t"}


def variant(fields: tuple[F, ...], k: int) -> tuple[F, ...]:
    """Shape ``k`` of ``fields``: every selection shuffled by seed ``k``, three aliases."""
    rng = random.Random(k)

    def shape(f: F) -> F:
        sub = [shape(s) for s in f.sub]
        rng.shuffle(sub)
        prefix = _ALIASED.get(f.name)
        alias = f"{prefix}{k}" if prefix is not None and not f.sub else f.alias
        return F(f.name, tuple(sub), alias, f.first, f.after)

    out = [shape(f) for f in fields]
    rng.shuffle(out)
    return tuple(out)


def _graphql_uncached(user: dict[str, Any]) -> Callable[[str], Any]:
    """graphql-core as a request without a document cache runs: parse, validate, execute."""
    schema = graphql_core_schema()
    root = {"user": user}
    return lambda text: graphql_run(schema, graphql_prepared(schema, text), root)


def _ours(user: dict[str, Any]) -> Callable[[str], Any]:
    def run(text: str) -> Any:
        return graphfields.execute(graphfields.compile(SCHEMA, "User", text), user)

    return run


def _each(run: Callable[[str], Any], texts: Iterator[str]) -> Callable[[], Any]:
    """A contender running ``run`` on the next of ``texts`` each call."""
    return lambda: run(next(texts))


def measure(rounds: int) -> dict[str, float]:
    """Median seconds of each contender's request, printed with the ratios."""
    user = user_dataset(3000, 20)
    ours, gql = _ours(user), _graphql_uncached(user)
    # label: (media first, comments first, media after: also asks for page_info)
    cases: dict[str, tuple[int, int, str | None]] = {
        "paging (first(10).after x first(5))": (10, 5, cursor_at(99)),
        "long (first(100) x first(20))": (100, 20, None),
    }
    base: dict[str, tuple[F, ...]] = {}
    for label, (media, comments, after) in cases.items():
        fields = base[label] = long_request(media, comments, after=after, page_info=bool(after))
        expected = hand_written(user, media, comments, after=after, page_info=bool(after))
        assert ours(selection(fields)) == expected, f"graphfields differs ({label})"
        assert gql(graphql_document(fields)) == expected, f"graphql-core differs ({label})"
        shaped = variant(fields, rounds + 1)  # a shape the timed run never uses
        assert ours(selection(shaped)) == gql(graphql_document(shaped)), f"shapes differ ({label})"

    def texts(fields: tuple[F, ...], render: Callable[[tuple[F, ...]], str]) -> Iterator[str]:
        return iter([render(variant(fields, k)) for k in range(rounds)])

    contenders: dict[str, Callable[[], Any]] = {}
    for label, fields in base.items():
        gf, gq = texts(fields, selection), texts(fields, graphql_document)
        contenders[f"graphfields, {label}"] = _each(ours, gf)
        contenders[f"graphql-core, {label}"] = _each(gql, gq)
    medians = interleaved_medians(contenders, rounds, collect=True)
    print(f"a new shape every request (uncached everywhere), 3000 posts, {rounds} rounds:")
    for name, t in medians.items():
        print(f"  {name:52s} {t * 1e3:9.3f} ms")
    for label in base:
        ratio = medians[f"graphfields, {label}"] / medians[f"graphql-core, {label}"]
        print(f"  graphfields / graphql-core, {label:36s} {ratio:6.2f}x  (target <= 1.0)")
    return medians


def main() -> None:
    measure(int(os.environ.get("SHAPES_ROUNDS", "0")) or scaled(40))


if __name__ == "__main__":
    main()
