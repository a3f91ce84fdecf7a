"""uvicorn's HTTP protocols with a request-header deadline and no HTTP/0.9 hang.

uvicorn closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``), but nothing bounds the time a client takes to *send* a request:
a connection trickling header bytes (or sending none at all after connecting, or pausing
mid-header on a kept-alive connection) is held open for as long as the client likes, and
an HTTP/0.9 request line (``GET /`` and a line break, no version) is never answered
because the parser waits for headers that never come. ``graphfields serve`` runs uvicorn
with the classes here instead:

- ``header_timeout`` (default :data:`HEADER_TIMEOUT`, 30 s): from the moment a connection
  opens, or a response on it completes, the next request's line and headers must have
  arrived within that time. Otherwise a client that sent part of a request gets
  ``408 Request Timeout`` and the connection is closed; one that sent nothing is closed.
- A request line without an ``HTTP/x.y`` version is answered ``400`` at once and the
  connection closed.

The timeout is read from the uvicorn ``Config`` (``config.header_timeout``, set by
:func:`configure`), so it survives uvicorn's worker processes. h11 (the default) and
httptools (used when installed) are both covered.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

__all__ = ["HEADER_TIMEOUT", "configure", "protocol_class"]

HEADER_TIMEOUT = 30.0
"""Seconds a client has to send a request's line and headers."""

_REQUEST_LINE = re.compile(rb"[^ ]+ [^ ]+ HTTP/[0-9]")
_MAX_LINE = 65536  # beyond this, the request line is uvicorn's to refuse


def _reply(status: bytes, text: bytes) -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\ncontent-length: " + str(len(text)).encode() + b"\r\n\r\n"
            + text)


class _Deadline:
    """Mixin over a uvicorn HTTP protocol: the deadline for each request's headers.

    Both of uvicorn's protocols create a new ``self.cycle`` once a request's headers are
    complete, and call ``on_response_complete`` once its answer is sent: those two moments
    stop and restart the clock. Restarting it only sets the time it runs out (``_due``):
    a connection has at most one timer, which checks ``_due`` when it fires and, if the
    clock was restarted since, sleeps again until then (no timer made and cancelled per
    request).
    """

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    cycle: Any

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)  # type: ignore[call-arg]
        self.header_timeout: float = float(getattr(config, "header_timeout", HEADER_TIMEOUT))
        self._due: float | None = None  # when the awaited request's headers are late
        self._timer: asyncio.TimerHandle | None = None
        self._waiting_cycle: Any = None
        self._head = bytearray()  # the request line so far, until it is complete
        self._line_checked = False
        self._started = False  # anything but blank lines received since the clock started

    def _arm(self) -> None:
        self._waiting_cycle = self.cycle
        self._head.clear()
        self._line_checked = self._started = False
        if self.header_timeout <= 0:
            self._due = None
            return
        self._due = self.loop.time() + self.header_timeout
        if self._timer is None:
            self._timer = self.loop.call_at(self._due, self._check)
        # A chunk may have held the start of the next request (pipelining) or the rest of
        # this one's body: the bytes that follow are not where a request line starts.
        held = self._held()
        if held is None:
            self._line_checked = self._started = True
        elif held:
            self._read_line(held)

    def _held(self) -> bytes | None:
        """The bytes the parser holds of the next request (``b""``: none), or ``None`` when
        it is inside a message it cannot show (part of a request line, headers or body)."""
        return b""

    def _disarm(self) -> None:
        self._due = None

    def _check(self) -> None:
        self._timer = None
        due = self._due
        if due is None:
            return
        if self.loop.time() < due:  # the clock was restarted after this timer was set
            self._timer = self.loop.call_at(due, self._check)
            return
        self._due = None
        if not self.transport.is_closing():
            if self._started:
                self.transport.write(_reply(b"408 Request Timeout",
                                            b"Request headers not received in time"))
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        if self._due is not None and not self._line_checked and not self._read_line(data):
            return
        super().data_received(data)  # type: ignore[misc]
        if self._due is not None and self.cycle is not self._waiting_cycle:
            self._disarm()  # the headers are complete

    def _read_line(self, data: bytes) -> bool:
        """Check the request line as far as ``data`` completes it; ``False`` once refused
        (answered 400, the connection closing)."""
        if not self._started and data.strip():
            self._started = True
        if self._head:
            self._head += data[:_MAX_LINE]
            head = bytes(self._head)
        else:
            head = data
        head = head.lstrip(b"\r\n")  # blank lines before a request are allowed
        end = head.find(b"\n")
        if end >= 0:
            self._line_checked = True
            self._head.clear()
            if not _REQUEST_LINE.match(head, 0, end):
                self._disarm()
                self.transport.write(_reply(
                    b"400 Bad Request", b"Invalid HTTP request line (HTTP/0.9 is not served)"))
                self.transport.close()
                return False
        elif len(head) >= _MAX_LINE:
            self._line_checked = True  # too long: uvicorn's parser refuses it
        elif not self._head:
            self._head += head
        return True

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing() and (self.cycle is None
                                                or self.cycle.response_complete):
            self._arm()


DeadlineH11Protocol: type[asyncio.Protocol] | None = None
DeadlineHttpToolsProtocol: type[asyncio.Protocol] | None = None
try:
    from uvicorn.protocols.http.h11_impl import H11Protocol
except ImportError:  # pragma: no cover - without the server extra nothing here is used
    pass
else:
    import h11

    class _DeadlineH11(_Deadline, H11Protocol):  # type: ignore[misc]
        """uvicorn's h11 protocol with the header deadline and the HTTP/0.9 answer."""

        def _held(self) -> bytes | None:
            if self.conn.their_state is not h11.IDLE:  # the request's body is still coming
                return None
            held: bytes = self.conn.trailing_data[0]  # a pipelined request's start
            return held

    DeadlineH11Protocol = _DeadlineH11
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional (uvicorn's faster parser)
    pass
else:
    class _DeadlineHttpTools(_Deadline, HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's httptools protocol with the header deadline and the HTTP/0.9 answer."""

        _in_message = False  # the parser has begun a message it has not completed

        def on_message_begin(self) -> None:
            self._in_message = True
            super().on_message_begin()

        def on_message_complete(self) -> None:
            self._in_message = False
            super().on_message_complete()

        def _held(self) -> bytes | None:
            return None if self._in_message else b""  # httptools keeps no bytes to show

    DeadlineHttpToolsProtocol = _DeadlineHttpTools


def protocol_class() -> type[asyncio.Protocol]:
    """The protocol ``graphfields serve`` gives uvicorn: httptools' when it is installed (as
    uvicorn's ``http="auto"`` would choose), else h11's, each with the deadline."""
    chosen = DeadlineHttpToolsProtocol or DeadlineH11Protocol
    if chosen is None:  # pragma: no cover
        raise RuntimeError("uvicorn is not installed")
    return chosen


def configure(config: Any, header_timeout: float = HEADER_TIMEOUT) -> Any:
    """Give a (not yet loaded) uvicorn ``Config`` :func:`protocol_class` and the deadline."""
    config.http = protocol_class()
    config.header_timeout = header_timeout
    return config
