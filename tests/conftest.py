"""Shared test configuration: Hypothesis profiles.

`make test` runs the default profile (bounded example counts, fast); `make fuzz` selects
``deep`` (``--hypothesis-profile=deep``) for far longer property and fuzz runs.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "deep",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Hypothesis' per-example deadline is a timing assertion: on a shared, noisy machine (CI) it
# fails tests that are merely slow. Example counts bound the run time instead.
settings.register_profile("ci", deadline=None)
settings.load_profile("ci")


# -- PostgreSQL: one throwaway cluster per session (tests/pgcluster.py) -------------------

import itertools  # noqa: E402
import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

_db_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a PostgreSQL server (its ``postgres`` database) for this test session.

    Started from ``tests/pgcluster.py``; ``GRAPHFIELDS_PG_URL`` uses an existing server.
    Without PostgreSQL the tests skip, except under CI (``CI`` set), where they fail."""
    given = os.environ.get("GRAPHFIELDS_PG_URL")
    if given:
        yield given
        return
    import pgcluster as postgres

    try:
        cluster = postgres.start()
    except postgres.PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    try:
        yield cluster.url
    finally:
        cluster.stop()


def new_postgres_database(server_url: str) -> str:
    """URL of a new, empty database on the server ``server_url`` names."""
    import psycopg

    name = f"t{os.getpid()}_{next(_db_names)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """URL of a new, empty database on the session's server (one per test)."""
    return new_postgres_database(postgres_server)
