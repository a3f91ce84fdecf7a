"""Smoke test of the load test (benchmarks/bench_cluster.py): one short, small run on
PostgreSQL with one server process and two workers must answer no 5xx, load every name it
asked for exactly once, and stop cleanly. The real figures come from ``make bench``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_cluster, bench_pages
from graphfields.instagram.service import SPEC_DATASET


@pytest.mark.slow
def test_a_short_mixed_load_on_postgres(postgres_server: str, tmp_path: Path) -> None:
    data = bench_pages.dataset(200)
    for key, records in json.loads(SPEC_DATASET.read_text("utf-8")).items():
        data.setdefault(key, []).extend(records)
    data_file = tmp_path / "data.json"
    data_file.write_text(json.dumps(data), "utf-8")
    r = bench_cluster.run(postgres_server, 1, 1.5, 4, False, data_file, tmp_path)
    assert r["requests"] > 0 and r["5xx"] == 0 and r["bad"] == 0
    assert r["unsettled"] == 0 and set(r["per_node"]) <= {1}
    assert r["server_exit"] == 0
    assert 200 in r["statuses"]  # (how many of each kind depends on the machine's speed)
