"""graphfields for Starlette (extra ``starlette``): the ``fields`` parameter of a plain route.

::

    from graphfields.starlette import Fields, install

    post_fields = Fields(schema, "Post")

    async def post(request):
        plan = post_fields(request)              # a RequestError for a bad request
        return JSONResponse(execute(plan, POSTS[request.path_params["id"]]))

    app = Starlette(routes=[Route("/posts/{id:int}", post)])
    install(app)    # request errors -> 400, execution errors -> 500 (no internals)

(or ``Starlette(..., exception_handlers=EXCEPTION_HANDLERS)``). The error bodies are
:func:`graphfields.web.error_response`'s: ``{"error": {...}}``.
"""

from __future__ import annotations

from typing import Any

try:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"graphfields.starlette needs Starlette: pip install 'graphfields[starlette]' ({exc})"
    ) from exc

from graphfields.errors import GraphFieldsError
from graphfields.plan import Plan
from graphfields.web import FieldsParam, error_response

__all__ = ["EXCEPTION_HANDLERS", "Fields", "handle_error", "install"]


class Fields(FieldsParam):
    """``Fields(schema, "Post", filters=..., default=..., limits=...)``; calling it with a
    request gives the request's :class:`~graphfields.plan.Plan` (see
    :class:`graphfields.web.FieldsParam` for the options)."""

    def __call__(self, request: Request) -> Plan:
        return self.plan(request.query_params)


async def handle_error(request: Request, exc: Exception) -> Response:
    """The exception handler: 400 for a request error, 500 (logged, no internals) else."""
    if not isinstance(exc, GraphFieldsError):  # pragma: no cover - registered for these only
        raise exc
    status, body = error_response(exc)
    return JSONResponse(body, status_code=status)


EXCEPTION_HANDLERS: dict[Any, Any] = {GraphFieldsError: handle_error}
"""For ``Starlette(exception_handlers=...)``."""


def install(app: Starlette) -> None:
    """Answer graphfields errors raised by the app's routes (one line after creating it)."""
    app.add_exception_handler(GraphFieldsError, handle_error)
