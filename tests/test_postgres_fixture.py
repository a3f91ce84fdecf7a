"""The throwaway PostgreSQL cluster the PostgreSQL tests run on (tests/pgcluster.py)."""

from __future__ import annotations

import psycopg


def test_each_test_gets_its_own_empty_database(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert version is not None and int(version[0].split(".")[0]) >= 13
    assert tables == (0,)


def test_databases_are_distinct(postgres_url: str, postgres_server: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.commit()
        name = conn.execute("SELECT current_database()").fetchone()
    with psycopg.connect(postgres_server) as conn:
        other = conn.execute("SELECT current_database()").fetchone()
    assert name != other
