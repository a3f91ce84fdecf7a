"""Load test of the reference API as deployed: PostgreSQL, N server processes, 2 workers.

For N = 1, 2 and 4 server processes (``graphfields serve --workers N --loaders 0``) on a
fresh PostgreSQL database, with two ``graphfields worker`` processes running the loads
(the demo's synthetic loader, 50 ms per load, logging each load to a file), a bounded
mixed load runs for a fixed time over keep-alive sockets (an asyncio raw-socket client:
Debian's ``wrk`` is not installed by the project, and httpx tops out far below the
server). Each of the client's connections has its own access token (its own share of
the load queue). The mix, per request:

- 50% hits: the spec's requests (media, owner, first comment, tags, the long user request);
- 15% paging with distinct cursors: ``media.first(5).after(<random cursor>)`` of a user
  with 2,000 posts (a new cursor each time);
- 12% misses that load: one of 120 new usernames (202 until a worker has loaded it, then
  200), and 3% one of 30 names the source says do not exist (202, then 404);
- 8% stale nodes: a post seen in a loaded user's feed (served at once, loaded in full in
  the background);
- 6% 400s (a misspelt field), 6% 404s (an unknown endpoint).

Reported per N: requests/second, p50 and p99 latency, the statuses, 5xx (must be 0),
connections lost, and the loads per node (exactly one each). In the N = 4 run one worker
and one server process are killed with SIGKILL mid-run: the client reconnects, the
supervisor replaces the server, the other worker takes the dead one's job once its lease
(3 s here) lapses, and every name asked for is loaded in the end ("nothing lost").

Run: ``.venv/bin/python -m benchmarks cluster`` (part of ``make bench``); knobs:
``BENCH_CLUSTER_SECONDS`` (6 per run), ``BENCH_CLUSTER_CONCURRENCY`` (32).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks._postgres import new_database, postgres_server
from benchmarks.bench_pages import dataset as big_user
from benchmarks.bench_server import REQUESTS as HITS
from graphfields.instagram.service import SPEC_DATASET
from graphfields.instagram.testing import ServerProcess

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
LEASE = 3.0
_MEDIA_ID = re.compile(rb'"id":"(\d{15,20})"')


@dataclass
class Stats:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    resets: int = 0
    bad: int = 0  # a 200 whose body is not the envelope


def _cursor(n: int) -> str:
    return base64.b64encode(f"arrayconnection:{n}".encode()).decode()


class Client:
    """One keep-alive connection with its own token; reconnects when the server drops it."""

    def __init__(self, port: int, token: str, stats: Stats) -> None:
        self.port, self.token, self.stats = port, token, stats
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, params: dict[str, str]) -> tuple[int, bytes]:
        query = urlencode({**params, "access_token": self.token})
        request = f"GET {path}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        for _ in range(20):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection("127.0.0.1",
                                                                             self.port)
                assert self.reader is not None
                start = time.perf_counter()
                self.writer.write(request)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await self.reader.readexactly(length)
                self.stats.latencies.append(time.perf_counter() - start)
                status = int(head[9:12])
                self.stats.statuses[status] += 1
                if not body.startswith(b'{"error":'):
                    self.stats.bad += 1
                return status, body
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.stats.resets += 1  # the process behind this connection died: reconnect
                if self.writer is not None:
                    self.writer.close()
                self.reader = self.writer = None
                await asyncio.sleep(0.05)
        raise RuntimeError("the server stopped answering")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Mix:
    """What every client coroutine shares: the names to load and the posts seen."""

    tag: str
    new_users: list[str]
    missing: list[str]
    posts: list[str] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)


async def _client_loop(client: Client, mix: Mix, rng: random.Random, until: float) -> None:
    while time.perf_counter() < until:
        r = rng.random()
        if r < 0.50:
            path, fields = HITS[rng.randrange(len(HITS))]
            await client.get(path, {"fields": fields})
        elif r < 0.65:
            cursor = _cursor(rng.randrange(1990))
            await client.get("/instagram/user/prolific",
                             {"fields": f'id,media.first(5).after("{cursor}")'
                                        "{page_info{has_next_page},edges{node{id,caption}}}"})
        elif r < 0.77:
            name = rng.choice(mix.new_users)
            mix.asked.add(name)
            status, body = await client.get(f"/instagram/user/{name}", {
                "fields": "id,username,is_being_updated,media.first(3){edges{node{id}}}"})
            if status == 200:
                mix.posts += [m.decode() for m in _MEDIA_ID.findall(body)[1:]]
        elif r < 0.80:
            name = rng.choice(mix.missing)
            mix.asked.add(name)
            await client.get(f"/instagram/user/{name}", {"fields": "id"})
        elif r < 0.88:
            if mix.posts:
                await client.get(f"/instagram/media/{rng.choice(mix.posts)}",
                                 {"fields": "id,like_count,is_being_updated,owner{username}"})
        elif r < 0.94:
            await client.get("/instagram/media/1770093817144369706", {"fields": "id_"})
        else:
            await client.get("/instagram/nowhere", {"fields": "id"})


async def _load(port: int, tokens: list[str], mix: Mix, seconds: float) -> Stats:
    stats = Stats()
    clients = [Client(port, t, stats) for t in tokens]
    until = time.perf_counter() + seconds
    try:
        await asyncio.gather(*(_client_loop(c, mix, random.Random(i), until)
                               for i, c in enumerate(clients)))
    finally:
        for c in clients:
            c.close()
    return stats


async def _settle(port: int, token: str, names: set[str], timeout: float) -> dict[str, int]:
    """Ask for every name until it is 200 or 404 (or the time is up): its final status."""
    stats = Stats()
    client = Client(port, token, stats)
    final: dict[str, int] = {}
    deadline = time.perf_counter() + timeout
    try:
        while len(final) < len(names) and time.perf_counter() < deadline:
            for name in sorted(names - set(final)):
                status, _ = await client.get(f"/instagram/user/{name}", {"fields": "id"})
                if status != 202:
                    final[name] = status
            await asyncio.sleep(0.2)
    finally:
        client.close()
    return final


def _workers(db: str, env: dict[str, str], n: int = 2) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "graphfields", "worker", "--db", db,
                              "--loader", "benchmarks._loader:CountingLoader", "--lease",
                              str(LEASE), "--log-level", "warning"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(n)]


def _server_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                         check=False).stdout.split()
    alive = []
    for child in out:
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                alive.append(int(child))
        except OSError:
            pass
    return alive


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def run(server_url: str, processes: int, seconds: float, concurrency: int, kill: bool,
        data_file: Path, tmp: Path) -> dict[str, Any]:
    db = new_database(server_url)
    loads = tmp / f"loads-{processes}.txt"
    env = {**os.environ, "BENCH_LOADS_FILE": str(loads), "PYTHONPATH": str(ROOT),
           "GRAPHFIELDS_TOKENS": ""}
    tokens = [f"bench-token-{i}" for i in range(concurrency)]
    args = ["--db", db, "--data", str(data_file), "--workers", str(processes),
            "--loaders", "0", "--loader", "benchmarks._loader:CountingLoader",
            "--log-level", "warning", *[a for t in tokens for a in ("--token", t)]]
    tag = f"p{processes}"
    mix = Mix(tag, [f"new_{tag}_{i}" for i in range(120)],
              [f"missing_{tag}_{i}" for i in range(30)])
    with ServerProcess(args, env=env) as server:
        workers = _workers(db, env)
        try:
            asyncio.run(_load(server.port, tokens[:4], Mix(tag, ["warm_up"], ["missing_w"]),
                              1.0))  # plans compiled, pools opened
            killed: list[str] = []
            if kill:
                assert server.process is not None
                pid = server.process.pid

                def killer() -> None:
                    time.sleep(seconds / 3)
                    os.kill(workers[0].pid, signal.SIGKILL)
                    killed.append(f"worker {workers[0].pid}")
                    time.sleep(seconds / 6)
                    # the busiest process: the one most of the connections are on
                    victims = sorted(_server_children(pid), key=_cpu_ticks, reverse=True)
                    if victims:
                        os.kill(victims[0], signal.SIGKILL)
                        killed.append(f"server process {victims[0]}")

                import threading

                threading.Thread(target=killer, daemon=True).start()
            start = time.perf_counter()
            stats = asyncio.run(_load(server.port, tokens, mix, seconds))
            elapsed = time.perf_counter() - start
            final = asyncio.run(_settle(server.port, tokens[0], mix.asked, LEASE + 20))
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
    counts = Counter(loads.read_text().splitlines()) if loads.exists() else Counter()
    per_node = Counter(counts.values())
    lat = sorted(stats.latencies)
    return {
        "processes": processes, "rps": len(lat) / elapsed, "requests": len(lat),
        "p50": statistics.median(lat) * 1e3, "p99": lat[int(len(lat) * 0.99)] * 1e3,
        "statuses": dict(sorted(stats.statuses.items())),
        "5xx": sum(n for s, n in stats.statuses.items() if s >= 500),
        "resets": stats.resets, "bad": stats.bad, "killed": killed,
        "asked": len(mix.asked), "settled": Counter(final.values()),
        "unsettled": len(mix.asked) - len(final),
        "loads": sum(counts.values()), "nodes": len(counts), "per_node": dict(per_node),
        "server_exit": server.returncode,
    }


def main() -> None:
    seconds = float(os.environ.get("BENCH_CLUSTER_SECONDS", "6"))
    concurrency = int(os.environ.get("BENCH_CLUSTER_CONCURRENCY", "32"))
    with postgres_server() as server_url:
        if server_url is None:
            return
        with tempfile.TemporaryDirectory(prefix="graphfields-cluster-") as tmp_name:
            tmp = Path(tmp_name)
            data = big_user(2000)
            spec = json.loads(SPEC_DATASET.read_text("utf-8"))
            for key, records in spec.items():
                data.setdefault(key, []).extend(records)
            data_file = tmp / "data.json"
            data_file.write_text(json.dumps(data), "utf-8")
            results = [run(server_url, n, seconds, concurrency, n == 4, data_file, tmp)
                       for n in (1, 2, 4)]
    print(f"PostgreSQL, 2 load workers (50 ms loads), {concurrency} keep-alive connections, "
          f"{seconds:g} s of mixed load per run, {os.cpu_count()} CPUs:")
    print("  processes  requests/s   p50 ms   p99 ms   5xx  lost conns  loads (nodes, "
          "loads per node)")
    failed = False
    for r in results:
        print(f"  {r['processes']:9d}  {r['rps']:10,.0f}  {r['p50']:7.1f}  {r['p99']:7.1f}  "
              f"{r['5xx']:4d}  {r['resets']:10d}  {r['loads']} ({r['nodes']}, "
              f"{r['per_node']})")
        print(f"             statuses {r['statuses']}; of {r['asked']} names asked: "
              f"{dict(r['settled'])} in the end, {r['unsettled']} still 202"
              + (f"; killed mid-run: {', '.join(r['killed'])}" if r["killed"] else ""))
        twice = sum(n for k, n in r["per_node"].items() if k > 1)
        failed |= bool(r["5xx"] or r["bad"] or r["unsettled"] or twice > len(r["killed"])
                       or r["server_exit"] != 0)
    base = results[0]["rps"]
    print("  throughput vs 1 process: " + ", ".join(
        f"{r['processes']}: {r['rps'] / base:.2f}x" for r in results))
    if failed:
        print("FAIL: 5xx, a malformed answer, a name never loaded, a node loaded twice "
              "(beyond a killed worker's job) or an unclean stop", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
