"""Load smoke test of ``graphfields serve``: requests/second on loopback, and zero 5xx.

Starts the real server (uvicorn, the spec's dataset) on a free 127.0.0.1 port, sends a
bounded number of requests with a bounded concurrency under a hard time cap, twice (plain
keep-alive sockets, whose figure is the server's, and ``httpx.AsyncClient``, whose figure is
mostly the client's), then stops the server and checks it exited cleanly. A mix of the
spec's example requests (media, owner, first comment, tag page, the long user request) is
cycled.

``python -m benchmarks server`` (or ``make bench``). Environment knobs:
``BENCH_SERVER_REQUESTS`` (2000), ``BENCH_SERVER_CONCURRENCY`` (32),
``BENCH_SERVER_TIME_CAP`` seconds (60).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from graphfields.instagram.service import SPEC_DATASET
from graphfields.instagram.serving import LONG_USER_FIELDS
from graphfields.instagram.testing import ServerProcess

TOKEN = "bench-token"
MEDIA = "/instagram/media/1770093817144369706"
REQUESTS = [
    (MEDIA, "id,shortcode,created_time,media_url"),
    (MEDIA, "id,shortcode,created_time,media_url,owner{id,username,profile_pic_url}"),
    (MEDIA, "id,shortcode,created_time,owner{id,username},"
            "comments.first(1){edges{node{id,text,owner{id,username}}}}"),
    ("/instagram/tag/juice", "id,media_count,profile_pic_url,last_update,is_being_updated"),
    ("/instagram/tag/photography",
     "id,media.first(3){page_info{has_next_page,start_cursor,end_cursor},edges{node{id}}}"),
    ("/instagram/user/spacex", LONG_USER_FIELDS),
]


async def _httpx_load(url: str, total: int, concurrency: int,
                      cap: float) -> tuple[Counter[int], float, int]:
    """``total`` requests through httpx.AsyncClient, ``concurrency`` at a time."""
    statuses: Counter[int] = Counter()
    next_index = 0
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        async def worker() -> None:
            nonlocal next_index, errors
            while next_index < total:
                path, fields = REQUESTS[next_index % len(REQUESTS)]
                next_index += 1
                try:
                    resp = await client.get(path, params={"fields": fields,
                                                          "access_token": TOKEN})
                    statuses[resp.status_code] += 1
                except httpx.HTTPError:
                    errors += 1

        return await _timed(worker, concurrency, cap, statuses, lambda: errors)


async def _raw_load(port: int, total: int, concurrency: int,
                    cap: float) -> tuple[Counter[int], float, int]:
    """The same requests over plain keep-alive sockets: a client light enough that the
    figure is the server's, not the client's (httpx costs more CPU per request than the
    server does, and both share this machine)."""
    statuses: Counter[int] = Counter()
    lines = [f"GET {path}?{urlencode({'fields': fields, 'access_token': TOKEN})} HTTP/1.1\r\n"
             f"Host: 127.0.0.1\r\n\r\n".encode() for path, fields in REQUESTS]
    next_index = 0
    errors = 0

    async def worker() -> None:
        nonlocal next_index, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while next_index < total:
                line = lines[next_index % len(lines)]
                next_index += 1
                writer.write(line)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for header in head.split(b"\r\n")[1:]:
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                status = int(head[9:12])
                if status == 200 and not body.startswith(b'{"error":{},"data":{'):
                    errors += 1
                statuses[status] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        finally:
            writer.close()

    return await _timed(worker, concurrency, cap, statuses, lambda: errors)


async def _timed(worker: Callable[[], Coroutine[Any, Any, None]], concurrency: int, cap: float,
                 statuses: Counter[int],
                 errors: Callable[[], int]) -> tuple[Counter[int], float, int]:
    start = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    _done, pending = await asyncio.wait(tasks, timeout=cap)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return statuses, time.perf_counter() - start, errors() + len(pending)


def main() -> None:
    total = int(os.environ.get("BENCH_SERVER_REQUESTS", "2000"))
    concurrency = int(os.environ.get("BENCH_SERVER_CONCURRENCY", "32"))
    cap = float(os.environ.get("BENCH_SERVER_TIME_CAP", "60"))
    failed = False
    with tempfile.TemporaryDirectory(prefix="graphfields-bench-") as tmp:
        args = ["--data", str(SPEC_DATASET), "--db", str(Path(tmp) / "bench.sqlite3"),
                "--token", TOKEN, "--log-level", "warning"]
        with ServerProcess(args) as server:
            # warm up: plans compiled and cached, thread-local connections opened
            asyncio.run(_raw_load(server.port, len(REQUESTS) * 4, 4, cap))
            runs = [
                ("keep-alive sockets", asyncio.run(_raw_load(server.port, total, concurrency,
                                                             cap))),
                ("httpx.AsyncClient", asyncio.run(_httpx_load(server.url, total, concurrency,
                                                              cap))),
            ]
        print(f"graphfields serve (uvicorn) on 127.0.0.1, the spec's dataset, {len(REQUESTS)} "
              f"spec requests cycled, {total} requests per client, {concurrency} concurrent:")
        for client, (statuses, elapsed, errors) in runs:
            sent = sum(statuses.values())
            server_errors = sum(n for code, n in statuses.items() if code >= 500)
            print(f"  {client:<20} {sent / elapsed:8,.0f} requests/second  ({sent} in "
                  f"{elapsed:.2f}s; statuses {dict(sorted(statuses.items()))}; 5xx: "
                  f"{server_errors}; client errors: {errors})")
            failed |= bool(server_errors or errors or sent < total or set(statuses) != {200})
        print(f"  server exit code after SIGTERM: {server.returncode}")
    if failed or server.returncode != 0:
        print("FAIL: every request must answer 200 and the server must stop cleanly",
              file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
