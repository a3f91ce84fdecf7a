"""Which ``graphfields serve`` defaults serve most requests/second on this machine: the
request thread pool (``--threads``) and the access log (``--log-level info`` prints one
line per request; ``warning`` does not).

One server per configuration (the spec's dataset on SQLite), the spec's requests over 32
keep-alive sockets (bench_server's raw client), 1,500 requests per round, rounds
interleaved across the configurations; the median requests/second of 3 rounds each.

Run: ``.venv/bin/python -m benchmarks defaults`` (part of ``make bench``).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
from pathlib import Path

from benchmarks.bench_server import REQUESTS, TOKEN, _raw_load
from graphfields.instagram.service import SPEC_DATASET
from graphfields.instagram.testing import ServerProcess

__all__ = ["main"]

CONFIGS = {
    "--threads default (0 on SQLite), access log on": [],
    "--threads 1, access log on": ["--threads", "1"],
    "--threads 6 (Python's pool), access log on": ["--threads", "6"],
    "--threads default (0 on SQLite), access log off": ["--log-level", "warning"],
    "--threads 6 (Python's pool), access log off": ["--threads", "6", "--log-level", "warning"],
}


def main(rounds: int = 3, total: int = 1500) -> None:
    with tempfile.TemporaryDirectory(prefix="graphfields-defaults-") as tmp, \
            contextlib.ExitStack() as stack:
        servers = {}
        for n, (name, extra) in enumerate(CONFIGS.items()):
            args = ["--data", str(SPEC_DATASET), "--db", str(Path(tmp) / f"{n}.sqlite3"),
                    "--token", TOKEN, *extra]
            servers[name] = stack.enter_context(ServerProcess(args))
        for server in servers.values():  # warm up: plans compiled, connections opened
            asyncio.run(_raw_load(server.port, len(REQUESTS) * 8, 4, 30))
        rps: dict[str, list[float]] = {name: [] for name in servers}
        order = list(servers.items())
        for r in range(rounds):
            for name, server in order[r % len(order):] + order[:r % len(order)]:
                statuses, elapsed, errors = asyncio.run(_raw_load(server.port, total, 32, 60))
                assert set(statuses) == {200} and not errors, (statuses, errors)
                rps[name].append(sum(statuses.values()) / elapsed)
    base = statistics.median(rps["--threads default (0 on SQLite), access log on"])
    print(f"graphfields serve, the spec's requests, 32 connections, median of {rounds} rounds:")
    for name, values in rps.items():
        med = statistics.median(values)
        print(f"  {name:50s} {med:8,.0f} requests/second  {med / base:5.2f}x")


if __name__ == "__main__":
    main()
