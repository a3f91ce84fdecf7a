"""The routes of the reference Instagram API on top of :mod:`graphfields.http`.

``GET /instagram/media/<media-ID or shortcode>``, ``/instagram/user/<username>`` and
``/instagram/tag/<tag-name>`` take ``fields`` and ``access_token``; user and tag also take the
date filters ``from_date``, ``to_date``, ``from_timestamp`` and ``to_timestamp``. Any other
query parameter is a 400 (on media, a filter too): a misspelt filter silently ignored would
return unfiltered data.

:func:`create_api` gives the framework-agnostic handler, :func:`create_asgi_app` the ASGI
application that ``graphfields serve`` runs under uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from graphfields.asgi import ASGIApp
from graphfields.compiler import DATE_FILTERS
from graphfields.http import Api, Endpoint, Route, TokenChecker, accepted, node_not_exists
from graphfields.instagram.service import NodeLoading, NodeNotFound

__all__ = ["ENDPOINTS", "FILTERS", "Service", "create_api", "create_asgi_app"]

FILTERS = frozenset(DATE_FILTERS)
"""The request-level filters user and tag take: exactly those ``compile(filters=)`` reads."""
ENDPOINTS = ("/instagram/media/<media-ID or shortcode>, /instagram/user/<username>, "
             "/instagram/tag/<tag-name>")


class Service(Protocol):
    """What the routes need (:class:`graphfields.instagram.service.InstagramService` is one)."""

    def fetch(self, node_type: str, node_id: str, fields: str | None,
              filters: Mapping[str, str]) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _endpoint(service: Service, node_type: str) -> Endpoint:
    def run(path: Mapping[str, str], query: Mapping[str, str]) -> Mapping[str, Any]:
        node_id = path["node"]
        filters = {k: v for k, v in query.items() if k in FILTERS}
        try:
            return service.fetch(node_type, node_id, query.get("fields") or None, filters)
        except NodeLoading as exc:
            raise accepted(exc.node_id, exc.message) from exc
        except NodeNotFound as exc:
            raise node_not_exists(exc.node_id, exc.message) from exc

    run.__name__ = f"get_{node_type}"
    return run


def create_api(service: Service, *, tokens: Iterable[str], max_query_bytes: int = 8192,
               max_value_chars: int = 4096, max_node_chars: int = 256) -> Api:
    """The handler: ``api(Request) -> Response`` or ``api.handle(method, path, query)``.

    ``tokens`` are the accepted access tokens (none: every request is a 403).
    """
    routes = [
        Route("/instagram/media/{node}", _endpoint(service, "media"), frozenset({"fields"})),
        Route("/instagram/user/{node}", _endpoint(service, "user"),
              frozenset({"fields", *FILTERS})),
        Route("/instagram/tag/{node}", _endpoint(service, "tag"),
              frozenset({"fields", *FILTERS})),
    ]
    return Api(routes, authenticate=TokenChecker(tokens), max_query_bytes=max_query_bytes,
               max_value_chars=max_value_chars, max_segment_chars=max_node_chars,
               endpoints_hint=ENDPOINTS)


def create_asgi_app(service: Service, *, tokens: Iterable[str], close_on_shutdown: bool = True,
                    max_workers: int | None = None, **limits: int) -> ASGIApp:
    """The ASGI application; the service is closed on lifespan shutdown by default."""
    return ASGIApp(create_api(service, tokens=tokens, **limits),
                   on_shutdown=service.close if close_on_shutdown else None,
                   max_workers=max_workers)
