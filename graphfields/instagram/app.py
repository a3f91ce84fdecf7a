"""The reference Instagram API over HTTP: its routes, its envelope and its five error types.

``GET /instagram/media/<media-ID or shortcode>``, ``/instagram/user/<username>`` and
``/instagram/tag/<tag-name>`` take ``fields`` and ``access_token``; user and tag also take the
date filters ``from_date``, ``to_date``, ``from_timestamp`` and ``to_timestamp``. Any other
query parameter is a 400 (on media, a filter too): a misspelt filter silently ignored would
return unfiltered data.

Every answer is the spec's envelope, ``{"error": {...}, "data": {...}, "status": ...}``::

    ok                   200  error {}, status "ok"
    RequestAccepted      202  status "accepted" (the node is being loaded; ask again)
    InvalidRequestError  400  syntax, validation, limits, malformed query strings
                              (also 404 for an unknown endpoint and 405 for a method other than GET,
                              so clients see one closed set of types)
    AuthenticationError  403  missing or wrong access token, checked before any other work
    NodeNotExistsError   404  the node does not exist or cannot be loaded
    InternalServerError  500  a bug; details go to the ``graphfields.instagram.app`` logger only

Built only on graphfields' public API: :mod:`graphfields.http` decodes the request and writes
JSON and the library's error bodies, :mod:`graphfields.asgi` serves it. :func:`create_api`
gives the framework-agnostic handler, :func:`create_asgi_app` the ASGI application that
``graphfields serve`` runs under uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from graphfields.asgi import ASGIApp
from graphfields.compiler import DATE_FILTERS
from graphfields.errors import GraphFieldsError
from graphfields.http import (
    Request,
    Response,
    TokenChecker,
    error_body,
    json_response,
    parse_query,
    printable,
    split_path,
)
from graphfields.instagram.service import NodeLoading, NodeNotFound
from graphfields.suggest import did_you_mean, suggestions

__all__ = [
    "ENDPOINTS",
    "FILTERS",
    "INTERNAL_ERROR",
    "Api",
    "ApiError",
    "Service",
    "create_api",
    "create_asgi_app",
    "envelope",
]

log = logging.getLogger("graphfields.instagram.app")

FILTERS = frozenset(DATE_FILTERS)
"""The request-level filters user and tag take: exactly those ``compile(filters=)`` reads."""
ENDPOINTS = ("/instagram/media/<media-ID or shortcode>, /instagram/user/<username>, "
             "/instagram/tag/<tag-name>")
PARAMS: Mapping[str, frozenset[str]] = {
    "media": frozenset({"fields"}),
    "user": frozenset({"fields", *FILTERS}),
    "tag": frozenset({"fields", *FILTERS}),
}
"""The query parameters each node type takes, besides the access token."""

REQUEST_ACCEPTED = "RequestAccepted"
INVALID_REQUEST = "InvalidRequestError"
AUTHENTICATION = "AuthenticationError"
NODE_NOT_EXISTS = "NodeNotExistsError"
INTERNAL = "InternalServerError"


class Service(Protocol):
    """What the routes need (:class:`graphfields.instagram.service.InstagramService` is one)."""

    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str], *, client: str | None = None) -> dict[str, Any]: ...

    def close(self) -> None: ...


def envelope(status: str, data: Mapping[str, Any] | None = None,
             error: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The three-key body every answer has, in the spec's key order."""
    return {"error": dict(error or {}), "data": dict(data or {}), "status": status}


class ApiError(GraphFieldsError):
    """An outcome other than ``ok``: one of the spec's error types and its HTTP status.

    ``extra`` adds keys to the ``error`` object after ``message`` and ``type`` (never
    replacing them); ``headers`` adds response headers (``Allow`` for 405).
    """

    def __init__(self, http_status: int, error_type: str, message: str, *,
                 extra: Mapping[str, Any] | None = None,
                 headers: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_type = error_type
        self.extra = dict(extra or {})
        self.headers = tuple(headers)

    def response(self) -> Response:
        """The error envelope; its ``status`` is the type name, or ``accepted`` for 202."""
        error = {"message": self.message, "type": self.error_type}
        for key, value in self.extra.items():
            error.setdefault(key, value)
        status = "accepted" if self.error_type == REQUEST_ACCEPTED else self.error_type
        return json_response(self.http_status, envelope(status, None, error), self.headers)


def _invalid(message: str, *, http_status: int = 400,
             headers: Sequence[tuple[str, str]] = ()) -> ApiError:
    return ApiError(http_status, INVALID_REQUEST, message, headers=headers)


def _client_error(exc: GraphFieldsError) -> ApiError:
    """400 from a syntax, validation, limit or decoding error: the library's error body (its
    ``message``, and ``errors`` with every issue's line, column and position)."""
    body = error_body(exc)
    return ApiError(400, INVALID_REQUEST, body.pop("message"), extra=body)


INTERNAL_ERROR = ApiError(500, INTERNAL, "Internal server error").response()
"""The 500 answer: the handler and the ASGI adapter send it when anything fails."""


class Api:
    """The whole request pipeline, in this order (each step answers before the next runs):

    1. the path is decoded and matched (unknown endpoint: 404; bad encoding: 400);
    2. the method must be GET (else 405 with ``Allow: GET``);
    3. the query string is decoded (malformed, repeated or over-long parameters: 400);
    4. the access token is checked in constant time (403) - nothing else has been looked at;
    5. unknown query parameters: 400 with a suggestion, then an over-long node in the path;
    6. the service runs; client errors are 400, a node being loaded 202, a missing node 404,
       anything else 500 with the traceback in the log only.

    ``api(Request)`` and :meth:`handle` never raise and always answer the envelope.
    """

    def __init__(self, service: Service, *, authenticate: Callable[[str | None], bool],
                 token_param: str = "access_token", max_query_bytes: int = 8192,
                 max_value_chars: int = 4096, max_node_chars: int = 256) -> None:
        self.service = service
        self.authenticate = authenticate
        self.token_param = token_param
        self.max_query_bytes = max_query_bytes
        self.max_value_chars = max_value_chars
        self.max_node_chars = max_node_chars

    def handle(self, method: str, path: bytes | str,
               query_string: bytes | str = b"") -> tuple[int, list[tuple[str, str]], bytes]:
        """The plain-tuple form: ``(status, headers, body)``."""
        resp = self(Request(method, path if isinstance(path, str) else path.decode("latin-1"),
                            query_string))
        return resp.status, list(resp.headers), resp.body

    def __call__(self, request: Request) -> Response:
        try:
            try:
                return self._dispatch(request)
            except ApiError as exc:
                return exc.response()
            except GraphFieldsError as exc:
                if not isinstance(exc, ValueError):  # SchemaError, ExecutionError: a bug
                    raise
                return _client_error(exc).response()
        except Exception:
            log.exception("Internal error answering %s %s", printable(request.method),
                          printable(request.path))
            return INTERNAL_ERROR

    def _dispatch(self, request: Request) -> Response:
        segments = split_path(request.path)
        if len(segments) != 3 or segments[0] != "instagram" or segments[1] not in PARAMS \
                or not segments[2]:
            shown = "/" + "/".join(segments)
            raise _invalid(f'Unknown endpoint "{printable(shown)}". The endpoints are '
                           f"{ENDPOINTS}", http_status=404)
        kind, node = segments[1], segments[2]
        if request.method != "GET":
            raise _invalid(
                f"Method {printable(request.method)} is not allowed; the API accepts only GET",
                http_status=405, headers=(("allow", "GET"),))
        query = parse_query(request.query_string, max_bytes=self.max_query_bytes,
                            max_value_chars=self.max_value_chars)
        token = query.pop(self.token_param, None)
        if not self.authenticate(token):
            raise ApiError(403, AUTHENTICATION, "Invalid access token")
        params = PARAMS[kind]
        if not query.keys() <= params:  # (in C; the names in order only for the message)
            unknown = [name for name in query if name not in params]
            allowed = sorted({*params, self.token_param})
            hint = did_you_mean(suggestions(unknown[0], allowed))
            raise _invalid(f'Unknown query parameter "{printable(unknown[0])}".{hint} '
                           f"This endpoint takes {', '.join(allowed)}")
        if len(node) > self.max_node_chars:
            raise _invalid(f"The node in the path is too long ({len(node)} characters; the "
                           f"limit is {self.max_node_chars})")
        filters = ({k: v for k, v in query.items() if k in FILTERS}
                   if not FILTERS.isdisjoint(query) else {})
        try:
            # the token is the client whose bounded share of the load queue this counts against
            data = self.service.fetch(kind, node, query.get("fields") or None, filters,
                                      client=token)
        except NodeLoading as exc:
            raise ApiError(202, REQUEST_ACCEPTED, "Some nodes you requested are being loaded "
                           f"now: {printable(exc.node_id, 256)}. Try again later") from exc
        except NodeNotFound as exc:
            raise ApiError(404, NODE_NOT_EXISTS, "Some nodes you requested cannot be loaded: "
                           f"{printable(exc.node_id, 256)}") from exc
        return json_response(200, envelope("ok", data))


def create_api(service: Service, *, tokens: Iterable[str], max_query_bytes: int = 8192,
               max_value_chars: int = 4096, max_node_chars: int = 256) -> Api:
    """The handler: ``api(Request) -> Response`` or ``api.handle(method, path, query)``.

    ``tokens`` are the accepted access tokens (none: every request is a 403).
    """
    return Api(service, authenticate=TokenChecker(tokens), max_query_bytes=max_query_bytes,
               max_value_chars=max_value_chars, max_node_chars=max_node_chars)


def create_asgi_app(service: Service, *, tokens: Iterable[str], close_on_shutdown: bool = True,
                    max_workers: int | None = None, **limits: int) -> ASGIApp:
    """The ASGI application; the service is closed on lifespan shutdown by default."""
    return ASGIApp(create_api(service, tokens=tokens, **limits),
                   on_shutdown=service.close if close_on_shutdown else None,
                   max_workers=max_workers, internal_error=INTERNAL_ERROR)
