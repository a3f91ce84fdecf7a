"""`make bench`: runs every benchmarks/bench_*.py module's ``main()`` in name order.

``python -m benchmarks NAME...`` runs only the named ones (e.g. ``parse``, ``paging``).
``BENCH_QUICK=1`` makes the ones that honour it (``benchmarks._timing.scaled``) run a fifth
of their rounds.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = {f"bench_{a}" if not a.startswith("bench_") else a for a in argv}
    for name in names:
        if wanted and name not in wanted:
            continue
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        module.main()
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
