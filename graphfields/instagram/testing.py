"""Run ``graphfields serve`` in a subprocess on a free loopback port (tests, benchmarks).

The process is always stopped on exit from the ``with`` block, even when readiness fails;
its output goes to files so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

__all__ = ["ServerProcess"]

_BANNER = re.compile(r"serving .* on http://127\.0\.0\.1:(\d+)")


class ServerProcess:
    """``with ServerProcess(["--data", f, "--token", "T"]) as srv: srv.url`` ...

    ``args`` are ``graphfields serve`` arguments; ``--host 127.0.0.1 --port 0`` are added and
    the port the server bound is read from its banner (no race for a "free" port).
    """

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str] | None = None,
                 ready_timeout: float = 60.0) -> None:
        self.args = list(args)
        self.port = 0
        self.url = ""
        self.env = {**os.environ, **(env or {})}
        self.ready_timeout = ready_timeout
        self._dir = tempfile.TemporaryDirectory(prefix="graphfields-serve-")
        self.stdout_path = Path(self._dir.name) / "stdout.txt"
        self.stderr_path = Path(self._dir.name) / "stderr.txt"
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    def __enter__(self) -> ServerProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [sys.executable, "-m", "graphfields", "serve", *self.args,
               "--host", "127.0.0.1", "--port", "0"]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=err, env=self.env,
                                            stdin=subprocess.DEVNULL)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n"
                                   f"{self.output()}")
            if not self.port:
                found = _BANNER.search(self.stdout_path.read_text("utf-8", errors="replace"))
                if found is None:
                    time.sleep(0.05)
                    continue
                self.port = int(found.group(1))
                self.url = f"http://127.0.0.1:{self.port}"
            try:
                with urllib.request.urlopen(f"{self.url}/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer (the root is a 404 envelope) means it is up
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the server was not ready within {self.ready_timeout}s:\n"
                           f"{self.output()}")

    def output(self) -> str:
        """What the server printed so far (stdout, then stderr)."""
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            with contextlib.suppress(OSError):
                parts.append(path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(parts)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (a clean shutdown that closes the service), then SIGKILL if it hangs."""
        proc = self.process
        if proc is not None and self.returncode is None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
            self.returncode = proc.returncode
        return self.returncode

    def cleanup(self) -> None:
        self.stop()
        self._dir.cleanup()
