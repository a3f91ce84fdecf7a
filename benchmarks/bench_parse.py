"""Parsing speed: graphfields.parse vs graphql-core's parse vs a hand-written parser.

Three inputs: a tiny one (``id,username``), the spec's long user request (section 3, as the
spec prints it, line breaks included) and a generated one of ~200 fields nested 6 deep. Each
is also written as the equivalent GraphQL document (calls become arguments:
``media.first(1)`` -> ``media(first: 1)``) for graphql-core.

Per-parse medians come from many rounds of short timed blocks, the contenders interleaved
and their order rotated every round, with the garbage collector paused (as timeit does).
Then: the cached parse, and the cost of ``import graphfields`` + the first parse against
``import lark`` alone, each in fresh subprocesses.
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import graphql

from benchmarks import handparser
from benchmarks._timing import interleaved_medians
from graphfields import parse
from graphfields.syntax.ast import BoolValue, IntValue, NullValue, Selection, StringValue, Value

__all__ = ["LONG", "generated", "main", "to_graphql"]

#: The spec's long request (section 3, ``user/spacex``), exactly as printed there.
LONG = """id,username,media.first(1){edges{node{shortcode,created_time,timestamp,media_type,\
media_url,caption,
tagged_user_media,tagged_user_text,tags,like_count,comment_count,video_view_count,
location{id,name,slug,has_public_page},
owner{id,username,full_name,profile_pic_url},
comments.first(1){edges{node{id,parent_id,created_time,timestamp,text,
owner{id,username,full_name,profile_pic_url}}}}}}}"""


def generated(depth: int = 7, width: int = 23) -> str:
    """~200 fields on ``depth`` levels (6 nested selections), calls of several kinds."""

    def level(d: int) -> str:
        names = [f"field_{d}_{i}" for i in range(width)]
        if d < depth:
            names.append(f'child_{d}.first(10).after("YWJjZGVm"){{{level(d + 1)}}}')
            names.append(f"owner_{d}{{id,name,profile_pic_url}}")
            names.append(f"since_{d}.since(2019-06-20).order(reverse_chronological)")
        return ",".join(names)

    return level(1)


def to_graphql(sel: Selection) -> str:
    """The equivalent GraphQL document: calls become arguments, ``.as()`` an alias."""

    def value(v: Value) -> str:
        if isinstance(v, StringValue):
            return json.dumps(v.value)
        if isinstance(v, BoolValue):
            return "true" if v.value else "false"
        if isinstance(v, NullValue):
            return "null"
        assert isinstance(v, IntValue)
        return str(v.value)

    def selection(s: Selection) -> str:
        parts = []
        for f in s.fields:
            text = f"{f.alias}: {f.name}" if f.alias else f.name
            args = [f"{c.name}: {value(c.args[0])}" for c in f.calls if c.args]
            if args:
                text += f"({', '.join(args)})"
            if f.selection is not None:
                text += f" {{ {selection(f.selection)} }}"
            parts.append(text)
        return " ".join(parts)

    return f"{{ {selection(sel)} }}"


def _count_fields(sel: Selection) -> int:
    return sum(1 + (_count_fields(f.selection) if f.selection else 0) for f in sel.fields)


def _depth(sel: Selection) -> int:
    return max((1 + _depth(f.selection) if f.selection else 0) for f in sel.fields)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.2f} us"


def bench_inputs(rounds: int = 200) -> dict[str, dict[str, float]]:
    inputs = {"tiny": "id,username", "spec long request": LONG, "generated": generated()}
    results: dict[str, dict[str, float]] = {}
    for label, text in inputs.items():
        sel = parse(text)
        doc = to_graphql(sel)
        graphql.parse(doc)
        assert handparser.parse(text) == sel
        fields = _count_fields(sel)
        number = max(1, 400 // fields)
        contenders: dict[str, Callable[[], Any]] = {
            "graphfields.parse (uncached)": functools.partial(parse, text, cache=False),
            "graphql-core parse": functools.partial(graphql.parse, doc),
            "hand-written parser": functools.partial(handparser.parse, text),
        }
        medians = interleaved_medians(contenders, rounds, number)
        ours = medians["graphfields.parse (uncached)"]
        print(f"-- {label}: {len(text)} characters, {fields} fields, "
              f"depth {_depth(sel)}")
        for name, t in medians.items():
            ratio = "" if t is ours else f"   graphfields / this = {ours / t:5.2f}x"
            print(f"   {name:30} {_us(t)}{ratio}")
        results[label] = medians
    cached = interleaved_medians({"cached": functools.partial(parse, LONG)}, rounds, 2000)["cached"]
    print(f"-- graphfields.parse of the spec long request, cached: {cached * 1e9:7.0f} ns")
    results["cached"] = {"graphfields.parse (cached)": cached}
    return results


def _subprocess_ms(code: str, runs: int = 9) -> float:
    """Median wall time of a fresh interpreter running ``code``."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def bench_import() -> dict[str, float]:
    base = _subprocess_ms("pass")
    figures = {
        "import lark": _subprocess_ms("import lark") - base,
        "import graphfields": _subprocess_ms("import graphfields") - base,
        "import graphfields + first parse": _subprocess_ms(
            f"import graphfields; graphfields.parse({LONG!r})") - base,
    }
    print(f"-- start-up (fresh interpreter, minus {base:.1f} ms for `python -c pass`)")
    for name, ms in figures.items():
        print(f"   {name:34} {ms:7.1f} ms")
    return figures


def main() -> None:
    bench_inputs()
    bench_import()


if __name__ == "__main__":
    main()
