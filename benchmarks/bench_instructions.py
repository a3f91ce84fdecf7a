"""Instructions per request, the reference API's handler against the hand-written
endpoint's (bench_handwritten's three mixes), counted by Valgrind's callgrind: a figure the
machine's load does not move, for changes too small to see through a shared machine's noise.

Each side runs in its own process under ``valgrind --tool=callgrind --instr-atstart=no``
on the same SQLite file: 300 requests to warm up (plans, generated code, SQLite's cache),
then instrumentation is switched on (``callgrind_control -i on``) for the requests counted,
and off again. The reference is ``Api.handle`` (query decoding, routing, compile, the
service, JSON), the hand-written side ``benchmarks._handwritten._answer``; neither
includes the HTTP server, which is the same uvicorn for both. Paging draws a new cursor for
every request among 20,000 posts. Skipped without ``valgrind`` (Debian: ``apt install
valgrind``).

Run: ``.venv/bin/python -m benchmarks instructions``.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
POSTS = 20_000
COUNTED = {"repeated": 1000, "paging": 1000, "long": 300}
WARM = 300


def _requests(mix: str, n: int) -> tuple[str, list[str]]:
    from benchmarks.bench_handwritten import FEED, LONG, _page

    rng = random.Random(9)
    if mix == "paging":
        return "prolific", [_page(rng.randrange(POSTS - 10)) for _ in range(n)]
    return ("prolific", [FEED] * n) if mix == "repeated" else ("spacex", [LONG] * n)


def child(db: str, mix: str, n: int, side: str) -> None:
    """One side's requests, counted between the two ``callgrind_control`` calls."""
    import urllib.parse

    user, texts = _requests(mix, WARM + n)
    call: Callable[[Any], object]
    work: list[Any] = texts
    if side == "reference":
        from graphfields.instagram.app import create_api
        from graphfields.instagram.service import create_service

        api = create_api(create_service(db=Path(db)), tokens=["t"])
        path = f"/instagram/user/{user}"
        work = [urllib.parse.urlencode({"fields": t, "access_token": "t"}).encode()
                for t in texts]

        def call(q: bytes) -> object:
            return api.handle("GET", path, q)
    else:
        import benchmarks._handwritten as hw

        hw.DB, hw.TOKEN = db, "t"

        def call(q: str) -> object:
            return hw._answer(user, q)
    for q in work[:WARM]:
        call(q)
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, check=False)
    for q in work[WARM:]:
        call(q)
    subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, check=False)


def _count(db: str, mix: str, side: str, out: Path) -> int:
    n = COUNTED[mix]
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         sys.executable, "-m", "benchmarks.bench_instructions", "child", db, mix, str(n), side],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = out.read_text()
    found = re.search(r"^totals:\s*(\d+)", text, re.M) or re.search(
        r"^summary:\s*(\d+)", text, re.M)
    if found is None:
        raise RuntimeError(f"no instruction total in {out}")
    return int(found.group(1)) // n


def main() -> None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("  (skipped: valgrind is not installed)")
        return
    from benchmarks.bench_handwritten import write_data
    from graphfields.instagram.service import create_service

    with tempfile.TemporaryDirectory(prefix="graphfields-ir-") as tmp:
        db = str(Path(tmp) / "db.sqlite3")
        create_service(db=Path(db), data_file=write_data(Path(tmp), POSTS)).close()
        jobs = [(mix, side) for mix in COUNTED for side in ("reference", "hand-written")]
        with ThreadPoolExecutor(2) as pool:  # two processes at a time: two cores here
            counts = dict(zip(jobs, pool.map(
                lambda job: _count(db, job[0], job[1], Path(tmp) / f"{job[0]}-{job[1]}.out"),
                jobs), strict=True))
    print(f"instructions per request (callgrind; {WARM} requests to warm up, then "
          f"{COUNTED['repeated']}/{COUNTED['paging']}/{COUNTED['long']} counted), handler only:")
    for mix in COUNTED:
        ours, theirs = counts[(mix, "reference")], counts[(mix, "hand-written")]
        print(f"  {mix:9s} reference {ours:>10,} | hand-written {theirs:>10,} "
              f"| hand-written / reference {theirs / ours:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
