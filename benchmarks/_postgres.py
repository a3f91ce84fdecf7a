"""A PostgreSQL server for the benchmarks: ``$GRAPHFIELDS_PG_URL``, or a throwaway cluster
started by the tests' own ``tests/pgcluster.py`` (initdb/pg_ctl as the postgres user)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["new_database", "postgres_server"]

_PGCLUSTER = Path(__file__).resolve().parent.parent / "tests" / "pgcluster.py"


def _pgcluster() -> Any:
    spec = importlib.util.spec_from_file_location("pgcluster", _PGCLUSTER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pgcluster"] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """The server's URL, or ``None`` (with a message) where PostgreSQL is not installed."""
    given = os.environ.get("GRAPHFIELDS_PG_URL")
    if given:
        yield given
        return
    pg = _pgcluster()
    try:
        cluster = pg.start()
    except pg.PostgresUnavailable as exc:
        print(f"  (PostgreSQL skipped: {exc})")
        yield None
        return
    try:
        yield cluster.url
    finally:
        cluster.stop()


_count = iter(range(1, 1 << 30))


def new_database(server: str) -> str:
    import psycopg

    name = f"bench{os.getpid()}_{next(_count)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rpartition('/')[0]}/{name}"
