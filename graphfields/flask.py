"""graphfields for Flask (extra ``flask``): the ``fields`` parameter of a view.

::

    from graphfields.flask import Fields, install, json_response

    app = Flask(__name__)
    install(app)                      # request errors -> 400, execution errors -> 500
    post_fields = Fields(schema, "Post")

    @app.get("/posts/<int:id>")
    @post_fields.view                 # passes the request's Plan as ``plan``
    def post(id, plan):
        return json_response(execute(plan, POSTS[id]))

``post_fields()`` inside a view gives the plan as well. Key order: Flask's ``jsonify`` (and
returning a dict from a view) sorts keys, since its JSON provider's ``sort_keys`` is
``True`` by default; :func:`json_response` serializes with the app's own JSON provider
but ``sort_keys=False``, so the output keeps the request's order without changing the rest
of the app (setting ``app.json.sort_keys = False`` would do it for every response).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

try:
    from flask import Flask, Response, current_app, request
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"graphfields.flask needs Flask: pip install 'graphfields[flask]' ({exc})"
    ) from exc

from graphfields.errors import GraphFieldsError
from graphfields.plan import Plan
from graphfields.web import FieldsParam, error_response

__all__ = ["Fields", "handle_error", "install", "json_response"]

View = TypeVar("View", bound=Callable[..., Any])


def json_response(data: Any, status: int = 200) -> Response:
    """``data`` as a JSON response in its own key order (the app's JSON provider, with
    ``sort_keys=False``)."""
    body = current_app.json.dumps(data, sort_keys=False)
    return current_app.response_class(body + "\n", status=status, mimetype="application/json")


class Fields(FieldsParam):
    """``Fields(schema, "Post", filters=..., default=..., limits=...)`` (the options of
    :class:`graphfields.web.FieldsParam`); ``fields()`` in a request is its Plan."""

    def __call__(self) -> Plan:
        return self.plan(request.args)

    def view(self, fn: View) -> View:
        """Decorate a view (sync, or ``async def`` with ``flask[async]``) to receive the
        request's plan as the keyword ``plan``."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                return await fn(*args, plan=self(), **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, plan=self(), **kwargs)

        return wrapper  # type: ignore[return-value]


def handle_error(exc: GraphFieldsError) -> Response:
    """The error handler: 400 for a request error, 500 (logged, no internals) else."""
    status, body = error_response(exc)
    return json_response(body, status)


def install(app: Flask) -> None:
    """Answer graphfields errors raised by the app's views."""
    app.register_error_handler(GraphFieldsError, handle_error)
