"""The reference server against a hand-written Starlette endpoint: same data, same SQL,
same bytes (checked first), one process each, side by side in the same run.

The data, in SQLite: a user with 100,000 posts (``prolific``) and bench_service's
``spacex`` (100 posts of 20 comments, 50 commenters, locations). Three mixes over 32
keep-alive connections (bench_cluster's raw-socket client), 2 s per mix and server, two
interleaved rounds, the median requests/second: ``repeated`` (the same feed request,
``id,media.first(10){edges{node{id,like_count}}}``), ``paging`` (``first(10).after(c)``
with ``page_info``, a new cursor every request: a random place in the 100,000 posts, so
few cursors come twice and nearly every request is a text the server has not seen) and
``long`` (the spec's long user request with ``media.first(5)`` and ``comments.first(5)``,
repeated, on ``spacex``). Both servers run uvicorn with the access log off and no
``server`` header, and the hand-written endpoint sends the reference's headers (checked
with the bytes): the same response on the wire. The reference
server runs twice: as it serves by default (on SQLite, requests answered on the event
loop) and with a request thread pool (``--threads N``, Python's default size, the default
on PostgreSQL). The hand-written
endpoint runs on the event loop (``hand-written``) and on Starlette's thread pool
(``hand-written pooled``): the thread hop alone costs it about 2.5-3x here. The issue's
target: the reference server at 0.8x the hand-written endpoint or better. When
``.venv/strawberry`` exists (``make bench-env``), a Strawberry server
(:mod:`benchmarks._strawberry_server`: parser and validation caches on, DataLoaders, the
same SQL and bytes) runs beside them, in that virtualenv.

Run: ``.venv/bin/python -m benchmarks handwritten`` (starlette: the ``starlette`` extra,
installed by make).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_cluster import Client, Stats
from benchmarks.bench_pages import dataset as big_user
from benchmarks.bench_service import dataset as commented_user
from benchmarks.data import spec_request
from graphfields.instagram.testing import ServerProcess

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
STRAWBERRY_PYTHON = ROOT / ".venv" / "strawberry" / "bin" / "python"
TOKEN = "hand-token"
FEED = "id,media.first(10){edges{node{id,like_count}}}"
LONG = spec_request(5, 5)  # the hand-written endpoint's third shape
POSTS = 100_000  # prolific's posts: the paging mix's cursors are places among them


def write_data(folder: Path, posts: int = POSTS) -> Path:
    """The mixes' data as a dataset file in ``folder``: ``prolific`` with ``posts`` posts
    and bench_service's ``spacex``."""
    data = big_user(posts)
    for key, records in commented_user().items():
        data.setdefault(key, []).extend(records)
    data_file = folder / "data.json"
    data_file.write_text(json.dumps(data), "utf-8")
    return data_file


def _page(n: int) -> str:
    cursor = base64.b64encode(f"arrayconnection:{n}".encode()).decode()
    return (f'id,media.first(10).after("{cursor}")'
            "{page_info{has_next_page,end_cursor},edges{node{id,like_count}}}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


Mix = tuple[str, Callable[[random.Random], str]]
"""A mix: the user it asks for, and each request's ``fields``."""


def _pid(server: ServerProcess) -> int:
    assert server.process is not None
    return server.process.pid


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far (all its threads), from
    ``/proc`` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(port: int, mix: Mix, seconds: float, seed: int = 0) -> tuple[float, int]:
    """Requests/second and requests answered."""
    stats = Stats()
    clients = [Client(port, TOKEN, stats) for _ in range(32)]
    until = time.perf_counter() + seconds

    user, fields = mix

    async def loop(client: Client, rng: random.Random) -> None:
        while time.perf_counter() < until:
            status, _ = await client.get(f"/instagram/user/{user}", {"fields": fields(rng)})
            assert status == 200

    start = time.perf_counter()
    try:
        await asyncio.gather(*(loop(c, random.Random(seed * 1000 + i))
                               for i, c in enumerate(clients)))
    finally:
        for c in clients:
            c.close()
    return len(stats.latencies) / (time.perf_counter() - start), len(stats.latencies)


def _get(port: int, fields: str, user: str = "prolific") -> bytes:
    return _response(port, fields, user)[1]


def _response(port: int, fields: str, user: str = "prolific",
              ) -> tuple[list[tuple[str, str]], bytes]:
    """The headers (but ``date``, in order) and the body of one answer."""
    query = urllib.parse.urlencode({"fields": fields, "access_token": TOKEN})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/instagram/user/{user}?{query}",
                                timeout=10) as resp:
        body: bytes = resp.read()
        headers = sorted((k.lower(), v) for k, v in resp.headers.items() if k.lower() != "date")
        return headers, body


POOL_THREADS = min(32, (os.cpu_count() or 1) + 4)  # Python's default pool size
POOL = f"reference --threads {POOL_THREADS}"


def main(seconds: float = 2.0, rounds: int = 2) -> None:
    try:
        import starlette  # noqa: F401
    except ImportError:
        print("  (skipped: starlette is not installed; pip install -e '.[starlette]')")
        return
    with tempfile.TemporaryDirectory(prefix="graphfields-hand-") as tmp:
        data_file = write_data(Path(tmp))
        db = Path(tmp) / "db.sqlite3"
        args = ["--data", str(data_file), "--db", str(db), "--token", TOKEN,
                "--log-level", "warning"]
        with ServerProcess(args) as ref, \
                ServerProcess([*args, "--threads", str(POOL_THREADS)]) as pooled:
            env = {**os.environ, "BENCH_HANDWRITTEN_DB": str(db),
                   "BENCH_HANDWRITTEN_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
            ports = {"reference": ref.port, POOL: pooled.port}
            apps = [("hand-written", sys.executable, "benchmarks._handwritten:app"),
                    ("hand-written pooled", sys.executable, "benchmarks._handwritten:pooled")]
            if STRAWBERRY_PYTHON.exists():
                apps.append(("Strawberry", str(STRAWBERRY_PYTHON),
                             "benchmarks._strawberry_server:app"))
            procs = []
            try:
                for name, python, app in apps:
                    ports[name] = _free_port()
                    procs.append(subprocess.Popen(
                        [python, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port",
                         str(ports[name]), "--log-level", "warning", "--no-access-log",
                         "--no-server-header"],
                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                for name, _, _ in apps:
                    _wait(ports[name], name)
                checks = [(f, "prolific") for f in (FEED, _page(0), _page(977), _page(POSTS - 5),
                                                    _page(POSTS + 1000))] + [(LONG, "spacex")]
                for fields, user in checks:
                    want = _response(ref.port, fields, user)
                    assert _response(pooled.port, fields, user) == want, (POOL, fields)
                    for name, _, _ in apps:  # the same bytes (hand-written: and headers)
                        got = _response(ports[name], fields, user)
                        if name.startswith("hand-written"):
                            assert got[0] == want[0], (name, fields, got[0], want[0])
                        assert got[1] == want[1], (name, fields, got[1][:600], want[1][:600])
                assert len(json.loads(_get(ref.port, LONG, "spacex"))["data"]["media"]["edges"]
                           ) == 5
                mixes: dict[str, Mix] = {
                    "repeated": ("prolific", lambda rng: FEED),
                    "paging": ("prolific", lambda rng: _page(rng.randrange(POSTS - 10))),
                    "long": ("spacex", lambda rng: LONG),
                }
                rps: dict[tuple[str, str], list[float]] = {}
                cpu: dict[tuple[str, str], list[float]] = {}  # server µs per request
                pids = {"reference": _pid(ref), POOL: _pid(pooled),
                        **{name: proc.pid for (name, _, _), proc in zip(apps, procs,
                                                                      strict=True)}}
                names = list(ports)
                runs = 0  # each run draws its own cursors: none is a repeat of an earlier run
                for r in range(rounds):
                    for mix, spec in mixes.items():
                        turn = r % len(names)
                        for name in names[turn:] + names[:turn]:
                            runs += 1
                            before = _cpu_seconds(pids[name])
                            rate, answered = asyncio.run(_run(ports[name], spec, seconds, runs))
                            used = _cpu_seconds(pids[name]) - before
                            rps.setdefault((mix, name), []).append(rate)
                            cpu.setdefault((mix, name), []).append(1e6 * used / answered)
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(30)
    print("reference server vs a hand-written Starlette endpoint (same SQL, same bytes), "
          "SQLite, 32 connections, one process each:")
    if "Strawberry" not in ports:
        print("  (no Strawberry server: `make bench-env` installs it in .venv/strawberry)")
    others = [name for name in names if name not in ("reference", POOL)]
    for mix in ("repeated", "paging", "long"):
        for reference in ("reference", POOL):
            ours = statistics.median(rps[(mix, reference)])
            line = f"  {mix:9s} {reference} {ours:,.0f} rps"
            for name in others:
                theirs = statistics.median(rps[(mix, name)])
                line += f" | {name} {theirs:,.0f} ({ours / theirs:.2f}x)"
            print(line)
    print("server CPU per request (µs; /proc: user+system time of the server process over a"
          " run ÷ its requests; steadier than requests/second on a shared machine):")
    for mix in ("repeated", "paging", "long"):
        ours = statistics.median(cpu[(mix, "reference")])
        line = f"  {mix:9s} reference {ours:,.0f}"
        for name in others:
            theirs = statistics.median(cpu[(mix, name)])
            line += f" | {name} {theirs:,.0f} ({theirs / ours:.2f}x)"
        print(line)
    print("  (x: that reference / that server; the target is >= 0.8x the hand-written endpoint;"
          " 'reference': the default, which answers on the event loop on SQLite;"
          f" '--threads {POOL_THREADS}': the reference on a request thread pool; 'pooled': the"
          " hand-written endpoint on Starlette's thread pool)")


def _wait(port: int, name: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(port, FEED)
            return
        except OSError:
            assert time.monotonic() < deadline, f"the {name} app did not start"
            time.sleep(0.1)


if __name__ == "__main__":
    main()
