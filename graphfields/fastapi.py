"""graphfields for FastAPI (extra ``fastapi``): the ``fields`` parameter as a dependency.

::

    from fastapi import Depends, FastAPI
    from graphfields.fastapi import Fields, install

    app = FastAPI()
    install(app)          # errors -> 400 / 500, and the 400 body in /openapi.json
    PostPlan = Annotated[Plan, Depends(Fields(schema, "Post", filters=True))]

    @app.get("/posts/{id}")
    def post(id: int, plan: PostPlan):    # or async def
        return execute(plan, POSTS[id])

The dependency reads ``fields`` (and, with ``filters=``, the date filter parameters),
compiles it against the type and hands the endpoint the :class:`~graphfields.plan.Plan`; a
bad request raises a :class:`~graphfields.errors.RequestError` that :func:`install`'s
handler answers with 400 and ``{"error": {...every issue, with line, column and
suggestions}}``; an :class:`~graphfields.errors.ExecutionError` from the endpoint is 500
with the failing path only (the cause is logged). In the OpenAPI document the ``fields``
parameter carries a description (the syntax, then every field of the type with its type,
calls and description), an example, and every operation using it documents the 400 body
(the ``GraphFieldsError`` component).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

try:
    from fastapi import FastAPI, Query
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"graphfields.fastapi needs FastAPI: pip install 'graphfields[fastapi]' ({exc})"
    ) from exc

from graphfields.plan import Plan
from graphfields.starlette import install as _install_handlers
from graphfields.web import ERROR_BODY_SCHEMA, FieldsParam

__all__ = ["ERROR_RESPONSES", "Fields", "install"]

_MARK = "x-graphfields-type"
_REF = {"$ref": "#/components/schemas/GraphFieldsError"}

_BAD_REQUEST = "The fields string or a filter is not valid (every issue listed)"
_DOCUMENTED = {"description": _BAD_REQUEST, "content": {"application/json": {"schema": _REF}}}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": _BAD_REQUEST,
          "content": {"application/json": {"schema": ERROR_BODY_SCHEMA}}},
}
"""For ``@app.get(..., responses=ERROR_RESPONSES)`` when not using :func:`install` (the
body's schema inline)."""


class Fields(FieldsParam):
    """A FastAPI dependency: ``plan: Annotated[Plan, Depends(Fields(schema, "Post"))]``.

    Options as :class:`graphfields.web.FieldsParam` (``param``, ``default``, ``filters``,
    ``limits``). It runs before the endpoint, sync or async; compiling is cached, so a
    repeated request shape costs a dictionary lookup.
    """

    def __init__(self, schema: Any, type: str, **options: Any) -> None:
        super().__init__(schema, type, **options)
        params = [inspect.Parameter(
            "fields", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
            default=Query(None, alias=self.param, description=self.description,
                          openapi_examples={"example": {"summary": f"Some {self.type.name} "
                                                        "fields", "value": self.example}},
                          json_schema_extra={_MARK: self.type.name}))]
        params += [inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
            default=Query(None, description=self.filter_description(name)))
            for name in self.filters]
        self.__signature__ = inspect.Signature(params, return_annotation=Plan)

    def __call__(self, **values: str | None) -> Plan:
        query = {name: values.get(name) for name in self.filters}
        query[self.param] = values.get("fields")
        return self.plan(query)


def _document_errors(app: FastAPI, original: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    doc = original()
    used = False
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            params = operation.get("parameters", [])
            if any(_MARK in p.get("schema", {}) for p in params):
                used = True
                operation.setdefault("responses", {}).setdefault("400", _DOCUMENTED)
    if used:
        doc.setdefault("components", {}).setdefault("schemas", {})[
            "GraphFieldsError"] = ERROR_BODY_SCHEMA
    return doc


def install(app: FastAPI) -> None:
    """The one line after ``app = FastAPI()``: exception handlers (request errors 400,
    execution errors 500 without internals) and the 400 body in ``/openapi.json``."""
    _install_handlers(app)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(app, original)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
