"""A throwaway PostgreSQL cluster for the tests, started by the project's own files.

``start()`` runs Debian's ``initdb`` and ``pg_ctl`` (as the ``postgres`` system user when the
tests run as root: ``initdb`` refuses root) in a temporary directory, on a free port, with
its Unix socket in that directory and ``trust`` authentication on loopback only, and returns
a :class:`Cluster` whose ``url`` psycopg and SQLAlchemy accept. ``stop()`` shuts it down
and removes the directory. The pytest fixture ``postgres_url`` (``tests/conftest.py``) starts
one cluster per test session and gives each test module a fresh database.

Where PostgreSQL is absent (a contributor's laptop), the fixture skips with a message saying
how to enable the tests; with ``CI`` set in the environment it fails instead, so CI never
skips them. ``GRAPHFIELDS_PG_URL`` points the tests at an existing server instead.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

__all__ = ["Cluster", "PostgresUnavailable", "find_bin", "start"]


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries are not installed here."""


def find_bin() -> str:
    """The directory holding ``initdb`` and ``pg_ctl`` (newest Debian version first)."""
    env = os.environ.get("GRAPHFIELDS_PG_BIN")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(os.path.dirname(found))
    for d in candidates:
        if d and os.path.exists(os.path.join(d, "initdb")) and os.path.exists(
                os.path.join(d, "pg_ctl")):
            return d
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found: install PostgreSQL "
        "(Debian: apt-get install postgresql) or set GRAPHFIELDS_PG_BIN, or point "
        "GRAPHFIELDS_PG_URL at a server, to run the PostgreSQL tests")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    """A running throwaway cluster."""

    directory: str
    port: int
    bindir: str
    as_postgres: bool

    @property
    def url(self) -> str:
        """URL of the ``postgres`` database, user ``postgres``, over loopback TCP."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run("pg_ctl", "-D", os.path.join(self.directory, "data"), "-m", "immediate",
                      "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def start() -> Cluster:
    """Start a new cluster; raise :class:`PostgresUnavailable` without PostgreSQL."""
    bindir = find_bin()
    as_postgres = os.geteuid() == 0
    directory = tempfile.mkdtemp(prefix="graphfields-pg-")
    if as_postgres:
        shutil.chown(directory, "postgres")
    os.chmod(directory, 0o700)
    data = os.path.join(directory, "data")
    port = _free_port()
    cluster = Cluster(directory, port, bindir, as_postgres)
    try:
        cluster._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-sync")
        options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        cluster._run("pg_ctl", "-D", data, "-o", options, "-l",
                     os.path.join(directory, "log"), "-w", "-t", "60", "start")
    except BaseException:
        cluster.stop()
        raise
    # pg_ctl -w waits for the server to accept connections; give TCP a moment as well.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return cluster
