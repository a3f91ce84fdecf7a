"""Framework-agnostic HTTP helpers for APIs built on graphfields.

- :func:`parse_query` and :func:`split_path` decode a query string and a path strictly
  (UTF-8 only, valid ``%XX`` only, each parameter at most once, bounded sizes) and raise
  :class:`~graphfields.errors.MalformedRequestError` naming the fault;
- :func:`dumps` writes compact UTF-8 JSON (orjson when installed, the same bytes without),
  never failing on a lone surrogate or a non-finite float;
- :func:`error_body` is the client form of a library error (``message``, plus ``errors``
  with every issue's line, column and position), its text always encodable;
  :func:`printable` is how a message quotes user input;
- :class:`Request` / :class:`Response` are what the ASGI (:mod:`graphfields.asgi`) and WSGI
  (:mod:`graphfields.wsgi`) adapters hand to a handler and send back;
- :class:`TokenChecker` compares access tokens in constant time.

How an API shapes its answers (an envelope, error type names, routes) is the API's own
business: the reference Instagram API does it in :mod:`graphfields.instagram.app` with only
these helpers.
"""

from __future__ import annotations

import codecs
import hmac
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphfields.errors import GraphFieldsError, MalformedRequestError, RequestError

__all__ = [
    "INTERNAL_ERROR",
    "JSON_CONTENT_TYPE",
    "PATH_SAFE",
    "TOKENS_ENV",
    "Request",
    "Response",
    "TokenChecker",
    "dumps",
    "encodable",
    "error_body",
    "json_response",
    "parse_query",
    "printable",
    "split_path",
    "tokens_from_env",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TOKENS_ENV = "GRAPHFIELDS_TOKENS"
"""Environment variable holding access tokens, comma-separated."""

_REASONS = {
    200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 429: "Too Many Requests",
    500: "Internal Server Error", 503: "Service Unavailable",
}


# --------------------------------------------------------------------------- JSON

def _dumps_json(obj: Any) -> bytes:
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN or infinity somewhere: null, as orjson writes them
        text = json.dumps(_finite(obj), ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False)
    # A lone surrogate (a "\\ud800" escape in a request, say) cannot be UTF-8: written as
    # the JSON escape it came from, inside its string, so the answer is still valid JSON.
    return text.encode("utf-8", "backslashreplace")


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

    orjson refuses integers beyond 64 bits and lone surrogates; those fall back to the
    standard library, which writes a lone surrogate as its ``\\uXXXX`` escape.
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
    """What a handler needs from an HTTP request.

    ``path`` is the raw, still percent-encoded path (no query); ``query_string`` the raw
    bytes after ``?``. Decode them with :func:`split_path` and :func:`parse_query`, so
    every server behaves the same.
    """

    method: str
    path: str
    query_string: bytes | str = b""


@dataclass(frozen=True, slots=True)
class Response:
    """Status, headers and the body bytes of an answer."""

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


_BASE_HEADERS = (
    ("content-type", JSON_CONTENT_TYPE),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
)


def json_response(status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """A JSON response with the standard headers (content-length is the server's job)."""
    return Response(status, (*_BASE_HEADERS, *headers), dumps(body))


# --------------------------------------------------------------------------- errors

def encodable(text: str) -> str:
    """``text`` with every character UTF-8 cannot carry (a lone surrogate) written as its
    ``\\uXXXX`` escape: a message quoting user input must always be sendable."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def printable(text: str, limit: int = 100) -> str:
    """User text quoted in a message: control characters, line breaks and lone surrogates
    escaped (``\\n``, ``\\x1b``, ``\\ud800``), text beyond ``limit`` characters cut."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)


def error_body(exc: GraphFieldsError) -> dict[str, Any]:
    """The client form of a library error: ``{"message": ..., "errors": [...]}``.

    ``message`` is the error's own message (for validation, the first issue); ``errors``
    lists every issue of a :class:`~graphfields.errors.RequestError` with its ``message``,
    ``locations`` (line, column), ``position`` and ``suggestions`` (none for a malformed
    request, which has no place in the fields text). Every text is :func:`encodable`. Only
    for errors a client caused; an :class:`~graphfields.errors.ExecutionError` is a server
    error and its message (the resolver's exception) must not reach a client.
    """
    body: dict[str, Any] = {"message": encodable(exc.message)}
    # Every RequestError lists its issues (with suggestions) in one shape.
    issues = ([dict(i) for i in exc.formatted["errors"]] if isinstance(exc, RequestError)
              else [])
    if issues:
        for issue in issues:
            issue["message"] = encodable(issue["message"])
        body["errors"] = issues
    return body


INTERNAL_ERROR = json_response(500, {"error": {"message": "Internal server error"}})
"""The adapters' answer when a handler raises (an API passes its own form to them)."""


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
# Byte values, not one-byte strings: ``b"%" in raw`` first tries the operand as an integer
# and raises (and clears) a TypeError inside, about 10x the cost of ``0x25 in raw``.
_PERCENT, _PLUS = ord("%"), ord("+")

PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""What a server adapter leaves unescaped when it re-encodes a decoded path (RFC 3986's
path characters), so the handler decodes every path the same way."""


def _unquote(raw: bytes, what: str | Callable[[], str], plus_is_space: bool) -> str:
    """``raw`` decoded strictly: valid ``%XX`` only, UTF-8 only (``what`` names it in the
    error, or makes the name when called: a query parameter's name is only quoted then)."""
    escaped = _PERCENT in raw  # the common piece has none: bytes.decode alone, in C
    given = raw
    if plus_is_space and _PLUS in raw:
        raw = raw.replace(b"+", b" ")
    try:
        return (_percent_decode(raw) if escaped else raw).decode("utf-8")
    except _BadEscape:
        bad = _BAD_PERCENT.search(given)
        snippet = "%" if bad is None else given[bad.start():bad.start() + 3].decode("latin-1")
        raise MalformedRequestError(
            f"Malformed percent-encoding {snippet!r} in {_name(what)}") from None
    except UnicodeDecodeError:
        name = _name(what)
        raise MalformedRequestError(f"{name[0].upper()}{name[1:]} is not valid UTF-8") from None


def _plain(raw: bytes) -> str | None:
    """``raw`` as text when it has neither ``%`` nor ``+`` and is UTF-8, else ``None``
    (then :func:`_unquote` decodes it, or says what is wrong)."""
    if _PERCENT in raw or _PLUS in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _name(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


class _BadEscape(Exception):
    """A ``%`` not followed by two hex digits (the message is made by the caller)."""


def _percent_decode(raw: bytes) -> bytes:
    """``unquote_to_bytes`` in C, about 9x faster on a long ``fields`` value: every ``%XX``
    becomes ``\\xXX`` and every backslash ``\\\\``, so the escape decoder (the one
    ``bytes`` literals use) turns exactly the escapes back into their bytes. The only
    escapes are then those two, so the decoder fails exactly when a ``%`` is not
    followed by two hex digits (:class:`_BadEscape`): valid text is checked for free."""
    try:
        return codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:
        raise _BadEscape from None


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


def _param_label(name: str) -> str:
    return f'the query parameter "{printable(name)}"'


def parse_query(query_string: bytes | str, *, max_bytes: int = 8192,
                max_value_chars: int = 4096) -> dict[str, str]:
    """Decode ``a=1&b=2`` strictly: UTF-8 only, valid ``%XX`` only, each name at most once.

    ``+`` is a space (form encoding, which httpx and browsers send). Empty pieces
    (``a=1&&b=2``) are skipped; a name without ``=`` has the value ``""``.
    Raises :class:`~graphfields.errors.MalformedRequestError` with a message naming the fault.
    """
    raw = _raw(query_string)
    if len(raw) > max_bytes:
        raise MalformedRequestError(
            f"The query string is too long ({len(raw)} bytes; the limit is {max_bytes})")
    params: dict[str, str] = {}
    for piece in raw.split(b"&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name = _unquote(raw_name, "a query parameter name", True)
        value = _plain(raw_value)  # (most values have nothing to unescape)
        if value is None:
            value = _unquote(raw_value, partial(_param_label, name), True)
        if name in params:
            raise MalformedRequestError(
                f'The query parameter "{printable(name)}" is given more than once')
        if len(value) > max_value_chars:
            raise MalformedRequestError(
                f'The query parameter "{printable(name)}" is too long ({len(value)} characters; '
                f"the limit is {max_value_chars})")
        params[name] = value
    return params


def split_path(path: bytes | str) -> tuple[str, ...]:
    """``/a/b%20c/`` -> ``("a", "b c")``: segments decoded strictly; one trailing slash is
    allowed; empty inner segments (``//``) are kept as ``""`` so they never match a route.
    Raises :class:`~graphfields.errors.MalformedRequestError` for bad encoding."""
    raw = _raw(path)
    if raw.endswith(b"/"):
        raw = raw[:-1]
    if raw.startswith(b"/"):
        raw = raw[1:]
    if not raw:
        return ()
    if _PERCENT not in raw:  # nothing escaped: one decode, one split
        try:
            return tuple(raw.decode("utf-8").split("/"))
        except UnicodeDecodeError:
            pass  # (the segment-wise decode below says where)
    return tuple(_unquote(seg, "the path", False) for seg in raw.split(b"/"))
