"""The load test's loader: the demo's synthetic one, logging every load it runs.

``--loader benchmarks._loader:CountingLoader`` in ``graphfields worker``: each load appends
``kind key`` to ``$BENCH_LOADS_FILE`` in one ``O_APPEND`` write (atomic across processes),
so the load test can check that every node was loaded exactly once.
"""

from __future__ import annotations

import os
from typing import Any

from graphfields.instagram.synthetic import SyntheticLoader

__all__ = ["CountingLoader"]


class CountingLoader(SyntheticLoader):
    def __init__(self) -> None:
        super().__init__(delay=float(os.environ.get("BENCH_LOAD_DELAY", "0.05")))
        self.path = os.environ["BENCH_LOADS_FILE"]

    def _log(self, kind: str, key: str) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{kind} {key}\n".encode())
        finally:
            os.close(fd)

    def load_user(self, username: str, *, max_media: int) -> Any:
        self._log("user", username)
        return super().load_user(username, max_media=max_media)

    def load_media(self, media_id: str, *, max_comments: int) -> Any:
        self._log("media", media_id)
        return super().load_media(media_id, max_comments=max_comments)

    def load_tag(self, name: str, *, max_media: int) -> Any:
        self._log("tag", name)
        return super().load_tag(name, max_media=max_media)
