"""A WSGI application around any handler of :mod:`graphfields.http` (Flask, Django, gunicorn).

WSGI servers hand over ``PATH_INFO`` already percent-decoded, as bytes carried in a latin-1
str (PEP 3333); it is re-encoded here so the handler decodes every path the same strict way.
Under a prefix (``SCRIPT_NAME``, e.g. werkzeug's ``DispatcherMiddleware``) ``PATH_INFO`` is
the rest of the path, which is what the routes match.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import quote_from_bytes

from graphfields.http import INTERNAL_ERROR, PATH_SAFE, Request, Response, _raw

__all__ = ["WSGIApp"]

log = logging.getLogger("graphfields.wsgi")


class StartResponse(Protocol):
    def __call__(self, status: str, headers: list[tuple[str, str]],
                 exc_info: Any = None, /) -> Callable[[bytes], object]: ...


class WSGIApp:
    """``WSGIApp(handler)`` is a WSGI callable; the handler runs in the server's worker.

    ``internal_error`` is the answer when the handler raises (default:
    :data:`graphfields.http.INTERNAL_ERROR`).
    """

    def __init__(self, handler: Callable[[Request], Response], *,
                 internal_error: Response = INTERNAL_ERROR) -> None:
        self.handler = handler
        self.internal_error = internal_error

    def __call__(self, environ: Mapping[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        try:
            # PEP 3333 bytes-in-latin-1; text a non-conforming server already decoded (a
            # character beyond latin-1) is taken as UTF-8 instead of failing with a 500.
            path = quote_from_bytes(_raw(environ.get("PATH_INFO", "")), safe=PATH_SAFE)
            request = Request(environ.get("REQUEST_METHOD", "GET"), path,
                              environ.get("QUERY_STRING", ""))
            response = self.handler(request)
        except Exception:
            log.exception("Internal error answering %s %s", environ.get("REQUEST_METHOD"),
                          environ.get("PATH_INFO"))
            response = self.internal_error
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        start_response(f"{response.status} {response.reason}", headers)
        return [response.body]
