"""An ASGI 3 application around any synchronous handler of :mod:`graphfields.http`.

HTTP only (a websocket is refused), lifespan supported. The handler runs in a thread pool
because the reference API's store is SQLite and its loader may block: the event loop keeps
accepting requests while they run. Whatever goes wrong, the client gets a JSON envelope,
never a traceback: the details go to the ``graphfields.asgi`` logger.

Mounted under a prefix (Starlette's ``Mount``, FastAPI's ``app.mount``, uvicorn's
``--root-path``), the ``root_path`` is removed from the path before routing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from graphfields.http import INTERNAL_ERROR, PATH_SAFE, Request, Response

__all__ = ["ASGIApp"]

log = logging.getLogger("graphfields.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ASGIApp:
    """``ASGIApp(handler)`` is an ASGI 3 callable.

    ``handler`` maps a :class:`~graphfields.http.Request` to a
    :class:`~graphfields.http.Response` (an :class:`~graphfields.http.Api` does). ``on_startup``
    and ``on_shutdown`` run (in the pool) on lifespan events; ``on_shutdown`` is where a
    service is closed. ``max_workers`` sizes the private thread pool; ``0`` runs the handler
    on the event loop itself (no hand-off per request: for a handler whose work never waits
    long, such as reads from a local SQLite file). ``internal_error`` is
    the answer when the handler raises (default: :data:`graphfields.http.INTERNAL_ERROR`;
    an API with its own envelope passes its own 500).
    """

    def __init__(
        self,
        handler: Callable[[Request], Response],
        *,
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
        max_workers: int | None = None,
        internal_error: Response = INTERNAL_ERROR,
    ) -> None:
        self.handler = handler
        self.internal_error = internal_error
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_workers,
                                                thread_name_prefix="graphfields-http")
        return self._executor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1003})
        else:
            raise ValueError(f"unsupported ASGI scope type {kind!r}")

    async def _http(self, scope: Scope, send: Send) -> None:
        try:
            request = _request(scope)
            if self.max_workers == 0:
                response = self.handler(request)
            else:
                loop = asyncio.get_running_loop()
                response = await loop.run_in_executor(self.executor, self.handler, request)
        except Exception:
            log.exception("Internal error answering %s %s", scope.get("method"), scope.get("path"))
            response = self.internal_error
        # (tuple() is the headers themselves when they are a tuple, as they should be)
        headers = [*_encoded(tuple(response.headers)),
                   (b"content-length", str(len(response.body)).encode())]
        await send({"type": "http.response.start", "status": response.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._run_hook(self.on_startup, "startup", send)
            elif message["type"] == "lifespan.shutdown":
                await self._run_hook(self.on_shutdown, "shutdown", send)
                if self._executor is not None:
                    self._executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = None
                return

    async def _run_hook(self, hook: Callable[[], None] | None, name: str, send: Send) -> None:
        try:
            if hook is not None and self.max_workers == 0:
                hook()
            elif hook is not None:
                await asyncio.get_running_loop().run_in_executor(self.executor, hook)
        except Exception as exc:
            log.exception("lifespan %s failed", name)
            await send({"type": f"lifespan.{name}.failed", "message": f"{type(exc).__name__}"})
        else:
            await send({"type": f"lifespan.{name}.complete"})


@lru_cache(maxsize=256)
def _encoded(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """Response headers as ASGI wants them (most answers share a handful of header sets)."""
    return tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)


def _request(scope: Scope) -> Request:
    """The raw path (still percent-encoded) without the mount prefix, and the query bytes."""
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        raw = quote(scope["path"], safe=PATH_SAFE).encode("ascii")
    raw = raw.partition(b"?")[0]  # defensive: a raw_path must not carry the query
    if raw[:7].lower() == b"http://" or raw[:8].lower() == b"https://":
        # An absolute-form request target (RFC 9112 3.2.2, which servers must accept):
        # uvicorn hands it over as is; the path is what follows the authority.
        rest = raw.split(b"//", 1)[1]
        slash = rest.find(b"/")
        raw = rest[slash:] if slash >= 0 else b"/"
    root: str = scope.get("root_path") or ""
    if root:
        prefix = quote(root, safe=PATH_SAFE).encode("ascii")
        if raw.startswith(prefix) and raw[len(prefix):len(prefix) + 1] in (b"", b"/"):
            raw = raw[len(prefix):]
    return Request(scope["method"], raw.decode("latin-1"), scope.get("query_string", b""))
