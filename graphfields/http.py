"""A framework-agnostic HTTP layer for graphfields APIs: request in; status, headers, body out.

Every answer is the envelope of the reference API, ``{"error": {...}, "data": {...},
"status": ...}``, with one of five types::

    ok                   200  error {}, status "ok"
    RequestAccepted      202  status "accepted" (the node is being loaded; ask again)
    InvalidRequestError  400  syntax, validation, limits, malformed query strings
                              (also 404 for an unknown endpoint and 405 for a method other than GET,
                              so clients see one closed set of types)
    AuthenticationError  403  missing or wrong access token, checked before any other work
    NodeNotExistsError   404  the node does not exist or cannot be loaded
    InternalServerError  500  a bug; details go to the ``graphfields.http`` logger only

A :class:`Api` holds the routes and the token check; ``api(Request)`` or
``api.handle(method, path, query_string)`` never raises and never returns anything but JSON,
so any server (the ASGI adapter in :mod:`graphfields.asgi`, WSGI in :mod:`graphfields.wsgi`,
or a framework view) can call it.

Client errors are exceptions that are both :class:`~graphfields.errors.GraphFieldsError` and
``ValueError`` (syntax, validation, limits): they become 400 with the error's ``message`` and,
when the error has positions, an extra ``errors`` list. Anything else an endpoint raises is a
bug and becomes 500.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from graphfields.errors import FieldsValidationError, GraphFieldsError
from graphfields.suggest import did_you_mean, suggestions

__all__ = [
    "INTERNAL_ERROR",
    "JSON_CONTENT_TYPE",
    "PATH_SAFE",
    "TOKENS_ENV",
    "Api",
    "ApiError",
    "Endpoint",
    "Request",
    "Response",
    "Route",
    "TokenChecker",
    "accepted",
    "client_error",
    "dumps",
    "envelope",
    "error_response",
    "invalid_request",
    "json_response",
    "node_not_exists",
    "ok",
    "parse_query",
    "split_path",
    "tokens_from_env",
]

log = logging.getLogger("graphfields.http")

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TOKENS_ENV = "GRAPHFIELDS_TOKENS"
"""Environment variable holding access tokens, comma-separated."""

OK = "ok"
REQUEST_ACCEPTED = "RequestAccepted"
INVALID_REQUEST = "InvalidRequestError"
AUTHENTICATION = "AuthenticationError"
NODE_NOT_EXISTS = "NodeNotExistsError"
INTERNAL = "InternalServerError"

_REASONS = {
    200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 500: "Internal Server Error",
}


# --------------------------------------------------------------------------- JSON

def _dumps_json(obj: Any) -> bytes:
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity somewhere: null, as orjson writes them
        text = json.dumps(_finite(obj), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)
    return text.encode()


def _finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


_orjson_dumps: Callable[[Any], bytes] | None
try:
    import orjson

    _orjson_dumps = orjson.dumps
except ImportError:  # pragma: no cover - the fallback itself is tested through _dumps_json
    _orjson_dumps = None


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON: orjson when installed, else the standard library (same bytes).

    orjson refuses integers beyond 64 bits; those fall back to the standard library.
    """
    if _orjson_dumps is not None:
        try:
            return _orjson_dumps(obj)
        except TypeError:
            pass
    return _dumps_json(obj)


# --------------------------------------------------------------------------- model

@dataclass(frozen=True, slots=True)
class Request:
    """What the handler needs from an HTTP request.

    ``path`` is the raw, still percent-encoded path (no query); ``query_string`` the raw
    bytes after ``?``. Decoding happens here, strictly, so every server behaves the same.
    """

    method: str
    path: str
    query_string: bytes | str = b""


@dataclass(frozen=True, slots=True)
class Response:
    """Status, headers and the JSON body bytes of an answer."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def reason(self) -> str:
        """The reason phrase (for WSGI status lines)."""
        return _REASONS.get(self.status, "Unknown")

    def json(self) -> Any:
        """The decoded body (for tests and callers that want a dict)."""
        return json.loads(self.body)


class ApiError(GraphFieldsError):
    """An outcome other than ``ok`` that becomes an error envelope.

    ``extra`` adds keys to the ``error`` object (never replacing ``message`` or ``type``);
    ``headers`` adds response headers (``Allow`` for 405).
    """

    def __init__(
        self,
        http_status: int,
        error_type: str,
        message: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_type = error_type
        self.extra = dict(extra or {})
        self.headers = tuple(headers)

    @property
    def formatted(self) -> dict[str, Any]:
        """The envelope's ``error`` object: ``message``, ``type``, then the ``extra`` keys."""
        error = {"message": self.message, "type": self.error_type}
        for key, value in self.extra.items():
            error.setdefault(key, value)
        return error

    def response(self) -> Response:
        """The error envelope; its ``status`` is the type name, or ``accepted`` for 202."""
        status = "accepted" if self.error_type == REQUEST_ACCEPTED else self.error_type
        return json_response(self.http_status, envelope(status, None, self.formatted),
                             self.headers)


def envelope(status: str, data: Mapping[str, Any] | None = None,
             error: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The three-key body every answer has, in the spec's key order."""
    return {"error": dict(error or {}), "data": dict(data or {}), "status": status}


_BASE_HEADERS = (
    ("content-type", JSON_CONTENT_TYPE),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
)


def json_response(status: int, body: Mapping[str, Any],
                  headers: Sequence[tuple[str, str]] = ()) -> Response:
    """A JSON response with the standard headers (content-length is the server's job)."""
    return Response(status, (*_BASE_HEADERS, *headers), dumps(body))


def ok(data: Mapping[str, Any]) -> Response:
    """200 with ``data``."""
    return json_response(200, envelope(OK, data))


def error_response(http_status: int, error_type: str, message: str, *,
                   extra: Mapping[str, Any] | None = None,
                   headers: Sequence[tuple[str, str]] = ()) -> Response:
    """An error envelope (see :meth:`ApiError.response`)."""
    return ApiError(http_status, error_type, message, extra=extra, headers=headers).response()


def accepted(node_id: str, message: str | None = None) -> ApiError:
    """202: the node is being loaded now."""
    return ApiError(202, REQUEST_ACCEPTED, message or
                    f"Some nodes you requested are being loaded now: {node_id}. Try again later")


def node_not_exists(node_id: str, message: str | None = None) -> ApiError:
    """404: the node does not exist or cannot be loaded."""
    return ApiError(404, NODE_NOT_EXISTS,
                    message or f"Some nodes you requested cannot be loaded: {node_id}")


def invalid_request(message: str, *, http_status: int = 400,
                    extra: Mapping[str, Any] | None = None,
                    headers: Sequence[tuple[str, str]] = ()) -> ApiError:
    return ApiError(http_status, INVALID_REQUEST, message, extra=extra, headers=headers)


def client_error(exc: GraphFieldsError) -> ApiError:
    """400 from a syntax, validation or limit error.

    ``message`` is the error's own message (for validation: the first issue, as the spec's
    example shows one message); ``errors`` lists every issue with its line, column and offset.
    """
    formatted = exc.formatted
    extra: dict[str, Any] = {}
    if isinstance(exc, FieldsValidationError):
        extra["errors"] = [issue.formatted for issue in exc.issues]
    elif "position" in formatted:
        extra["errors"] = [{k: formatted[k] for k in ("message", "locations", "position")
                            if k in formatted}]
    return invalid_request(exc.message, extra=extra)


INTERNAL_ERROR = error_response(500, INTERNAL, "Internal server error")
"""The 500 answer: the handler and the server adapters send it when anything fails."""


# --------------------------------------------------------------------------- tokens

class TokenChecker:
    """Constant-time access-token check against every configured token.

    Every token is compared (no early exit), so timing says nothing about which one matched
    or how much of it. With no tokens configured, nothing is accepted.
    """

    __slots__ = ("_tokens",)

    def __init__(self, tokens: Iterable[str]) -> None:
        if isinstance(tokens, str | bytes):
            # A str is iterable: tokens="secret" would accept each of its characters.
            raise TypeError("tokens must be a list of access tokens, not a single "
                            f"{type(tokens).__name__}: use tokens=[...]")
        clean = []
        for token in tokens:
            if not token or token != token.strip():
                raise ValueError("an access token must be non-empty, without surrounding spaces")
            clean.append(token.encode("utf-8"))
        self._tokens: tuple[bytes, ...] = tuple(clean)

    def __len__(self) -> int:
        return len(self._tokens)

    def __call__(self, presented: str | None) -> bool:
        candidate = (presented or "").encode("utf-8", "surrogatepass")
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(token, candidate)
        return matched and presented is not None


def tokens_from_env(environ: Mapping[str, str] | None = None, name: str = TOKENS_ENV) -> list[str]:
    """Tokens from ``$GRAPHFIELDS_TOKENS`` (comma-separated; blanks ignored)."""
    raw = (os.environ if environ is None else environ).get(name, "")
    return [t.strip() for t in raw.split(",") if t.strip()]


# --------------------------------------------------------------------------- decoding

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")

PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""What a server adapter leaves unescaped when it re-encodes a decoded path (RFC 3986's
path characters), so the handler decodes every path the same way."""


def _unquote(raw: bytes, what: str, plus_is_space: bool) -> str:
    bad = _BAD_PERCENT.search(raw)
    if bad:
        snippet = raw[bad.start():bad.start() + 3].decode("latin-1")
        raise invalid_request(f"Malformed percent-encoding {snippet!r} in {what}")
    if plus_is_space:
        raw = raw.replace(b"+", b" ")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request(f"{what[0].upper()}{what[1:]} is not valid UTF-8") from None


def _raw(value: bytes | str) -> bytes:
    """The bytes behind ``value``. A str is either bytes carried as latin-1 (WSGI's convention)
    or, when that reading is not UTF-8, text a caller already decoded."""
    if isinstance(value, bytes):
        return value
    try:
        raw = value.encode("latin-1")
        raw.decode("utf-8")
        return raw
    except UnicodeError:
        return value.encode("utf-8", "surrogatepass")


def parse_query(query_string: bytes | str, *, max_bytes: int = 8192,
                max_value_chars: int = 4096) -> dict[str, str]:
    """Decode ``a=1&b=2`` strictly: UTF-8 only, valid ``%XX`` only, each name at most once.

    ``+`` is a space (form encoding, which httpx and browsers send). Empty pieces
    (``a=1&&b=2``) are skipped; a name without ``=`` has the value ``""``.
    Raises :class:`ApiError` (400) with a message naming the fault.
    """
    raw = _raw(query_string)
    if len(raw) > max_bytes:
        raise invalid_request(
            f"The query string is too long ({len(raw)} bytes; the limit is {max_bytes})")
    params: dict[str, str] = {}
    for piece in raw.split(b"&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name = _unquote(raw_name, "a query parameter name", True)
        value = _unquote(raw_value, f'the query parameter "{_printable(name)}"', True)
        if name in params:
            raise invalid_request(
                f'The query parameter "{_printable(name)}" is given more than once')
        if len(value) > max_value_chars:
            raise invalid_request(
                f'The query parameter "{_printable(name)}" is too long ({len(value)} characters; '
                f"the limit is {max_value_chars})")
        params[name] = value
    return params


def split_path(path: bytes | str) -> tuple[str, ...]:
    """``/a/b%20c/`` -> ``("a", "b c")``: segments decoded strictly; one trailing slash is
    allowed; empty inner segments (``//``) are kept as ``""`` so they never match a route."""
    raw = _raw(path)
    if raw.endswith(b"/"):
        raw = raw[:-1]
    if raw.startswith(b"/"):
        raw = raw[1:]
    if not raw:
        return ()
    return tuple(_unquote(seg, "the path", False) for seg in raw.split(b"/"))


# --------------------------------------------------------------------------- routing

Endpoint = Callable[[Mapping[str, str], Mapping[str, str]], Mapping[str, Any]]
"""``(path_params, query_params) -> data``; raises :class:`ApiError` or a client error."""


@dataclass(frozen=True, slots=True)
class Route:
    """A GET route: ``pattern`` like ``/instagram/media/{id}`` and the query parameters it takes
    (besides the access token). ``{name}`` matches one non-empty path segment."""

    pattern: str
    endpoint: Endpoint
    params: frozenset[str] = frozenset()
    _parts: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.params, str | bytes):
            # "fields" would be tested by substring: "f", "field" and "" would be accepted.
            raise TypeError(f"Route params must be a set of names, not a single "
                            f"{type(self.params).__name__}: use frozenset({{...}})")
        object.__setattr__(self, "params", frozenset(self.params))
        object.__setattr__(self, "_parts", tuple(p for p in self.pattern.split("/") if p))

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        if len(segments) != len(self._parts):
            return None
        found: dict[str, str] = {}
        for part, seg in zip(self._parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                if not seg:
                    return None
                found[part[1:-1]] = seg
            elif part != seg:
                return None
        return found


class Api:
    """The whole request pipeline, in this order (each step answers before the next runs):

    1. the path is decoded and matched (unknown endpoint: 404; bad encoding: 400);
    2. the method must be GET (else 405 with ``Allow: GET``);
    3. the query string is decoded (malformed, repeated or over-long parameters: 400);
    4. the access token is checked in constant time (403) - nothing else has been looked at;
    5. unknown query parameters: 400 with a suggestion (a misspelt filter silently ignored
       would return unfiltered data);
    6. the endpoint runs; client errors are 400, :class:`ApiError` its own envelope,
       anything else 500 with the traceback in the log only.
    """

    def __init__(
        self,
        routes: Sequence[Route],
        *,
        authenticate: Callable[[str | None], bool],
        token_param: str = "access_token",
        max_query_bytes: int = 8192,
        max_value_chars: int = 4096,
        max_segment_chars: int = 256,
        endpoints_hint: str = "",
    ) -> None:
        self.routes = tuple(routes)
        self.authenticate = authenticate
        self.token_param = token_param
        self.max_query_bytes = max_query_bytes
        self.max_value_chars = max_value_chars
        self.max_segment_chars = max_segment_chars
        self.endpoints_hint = endpoints_hint or ", ".join(r.pattern for r in self.routes)

    def handle(self, method: str, path: bytes | str,
               query_string: bytes | str = b"") -> tuple[int, list[tuple[str, str]], bytes]:
        """The plain-tuple form: ``(status, headers, body)``."""
        resp = self(Request(method, path if isinstance(path, str) else path.decode("latin-1"),
                            query_string))
        return resp.status, list(resp.headers), resp.body

    def __call__(self, request: Request) -> Response:
        try:
            return self._dispatch(request)
        except ApiError as exc:
            return exc.response()
        except Exception:
            log.exception("Internal error answering %s %s", request.method,
                          _printable(request.path))
            return INTERNAL_ERROR

    def _dispatch(self, request: Request) -> Response:
        segments = split_path(request.path)
        route, path_params = self._match(segments)
        if request.method != "GET":
            raise invalid_request(
                f"Method {_printable(request.method)} is not allowed; the API accepts only GET",
                http_status=405, headers=(("allow", "GET"),))
        query = parse_query(request.query_string, max_bytes=self.max_query_bytes,
                            max_value_chars=self.max_value_chars)
        if not self.authenticate(query.pop(self.token_param, None)):
            raise ApiError(403, AUTHENTICATION, "Invalid access token")
        unknown = [name for name in query if name not in route.params]
        if unknown:
            allowed = sorted({*route.params, self.token_param})
            name = unknown[0]
            hint = did_you_mean(suggestions(name, allowed))
            raise invalid_request(
                f'Unknown query parameter "{_printable(name)}".{hint} '
                f"This endpoint takes {', '.join(allowed)}")
        for key, value in path_params.items():
            if len(value) > self.max_segment_chars:
                raise invalid_request(f"The {key} in the path is too long ({len(value)} "
                                      f"characters; the limit is {self.max_segment_chars})")
        try:
            data = route.endpoint(path_params, query)
        except GraphFieldsError as exc:
            if isinstance(exc, ApiError):
                raise
            if isinstance(exc, ValueError):
                raise client_error(exc) from exc
            raise
        return ok(data)

    def _match(self, segments: Sequence[str]) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            found = route.match(segments)
            if found is not None:
                return route, found
        shown = "/" + "/".join(segments)
        raise invalid_request(
            f'Unknown endpoint "{_printable(shown)}". The endpoints are {self.endpoints_hint}',
            http_status=404)


def _printable(text: str, limit: int = 100) -> str:
    """User text echoed in a message: control characters escaped, long text cut."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
