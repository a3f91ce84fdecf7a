"""The reference server as deployed beyond one machine: ``graphfields serve --workers 2
--loaders 0`` on PostgreSQL plus a ``graphfields worker`` process, over real sockets.

The spec's examples answer exactly as on SQLite; a new user is 202 until the worker (not
the servers) has loaded it, then 200 from every process; a server process killed with
SIGKILL is replaced by uvicorn's supervisor and the port keeps answering.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphfields.instagram.service import SPEC_DATASET
from graphfields.instagram.testing import ServerProcess

pytestmark = pytest.mark.slow

TOKEN = "pg-token"
SPEC = json.loads((Path(__file__).parent / "fixtures" / "spec_examples.json").read_text("utf-8"))
EXAMPLES = [e for e in SPEC["examples"] if e["server"] == "data"]


@pytest.fixture(scope="module")
def pg_db(postgres_server: str) -> str:
    from conftest import new_postgres_database

    return new_postgres_database(postgres_server)


def _serve(db: str, *extra: str) -> ServerProcess:
    return ServerProcess(["--db", db, "--workers", "2", "--token", TOKEN,
                          "--log-level", "warning", *extra], env={"GRAPHFIELDS_TOKENS": ""})


@pytest.fixture(scope="module")
def data_client(pg_db: str) -> Iterator[httpx.Client]:
    """Two processes serving the spec's dataset, without a loader (as the spec's examples)."""
    with _serve(pg_db, "--data", str(SPEC_DATASET)) as srv, httpx.Client(
            base_url=srv.url, timeout=30, params={"access_token": TOKEN}) as c:
        yield c
    assert srv.returncode == 0, srv.output()


@pytest.fixture(scope="module")
def server(pg_db: str, data_client: httpx.Client) -> Iterator[ServerProcess]:
    """Two processes with a loader but no load threads: a worker process runs the loads."""
    with _serve(pg_db, "--loader", "graphfields.instagram.synthetic:SyntheticLoader",
                "--loaders", "0") as srv:
        yield srv
    assert srv.returncode == 0, srv.output()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, params={"access_token": TOKEN}) as c:
        yield c


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "error": {k: v for k, v in body["error"].items() if k != "errors"}}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_spec_example_on_postgres(data_client: httpx.Client, example: dict[str, Any]) -> None:
    params = dict(example["params"])
    if not example["auth"]:
        params["access_token"] = ""
    resp = data_client.get(example["path"], params=params)
    assert resp.status_code == example["status"]
    assert _comparable(resp.json()) == example["body"]


def test_loads_run_in_the_worker_process(client: httpx.Client, pg_db: str) -> None:
    path, fields = "/instagram/user/pg_newcomer", {"fields": "username,is_being_updated"}
    first = client.get(path, params=fields)
    assert first.status_code == 202
    time.sleep(1.0)
    assert client.get(path, params=fields).status_code == 202  # --loaders 0: nobody loads
    worker = subprocess.Popen([sys.executable, "-m", "graphfields", "worker", "--db", pg_db,
                               "--demo", "--demo-delay", "0.1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        # 202 until the profile is written; 200 with is_being_updated until the last step
        while (resp := client.get(path, params=fields)).status_code == 202 or \
                resp.json()["data"]["is_being_updated"]:
            assert resp.status_code in (200, 202)
            assert time.monotonic() < deadline, "the worker never loaded the user"
            time.sleep(0.1)
        assert resp.json()["data"] == {"username": "pg_newcomer", "is_being_updated": False}
        for _ in range(6):  # whichever process answers
            assert client.get(path, params=fields).status_code == 200
    finally:
        worker.terminate()
        out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, out.decode()


def test_a_killed_server_process_is_replaced(client: httpx.Client, server: ServerProcess) -> None:
    assert server.process is not None
    children = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                              text=True, check=False).stdout.split()
    servers = [int(c) for c in children if _is_spawned(int(c))]
    assert len(servers) == 2, children
    os.kill(servers[0], signal.SIGKILL)
    # The killed process's connections die with it; every new connection is answered
    # by the other process (and soon by its replacement).
    for _ in range(40):
        resp = httpx.get(f"{server.url}/instagram/user/spacex",
                         params={"fields": "id", "access_token": TOKEN}, timeout=30)
        assert resp.status_code in (200, 202)
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    while True:
        now = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                             text=True, check=False).stdout.split()
        alive = [int(c) for c in now if _is_spawned(int(c))]
        if len(alive) == 2 and servers[0] not in alive:
            break
        assert time.monotonic() < deadline, now
        time.sleep(0.2)


def _is_spawned(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
