"""graphfields for Django (extra ``django``): plain views, and DRF views
(:mod:`graphfields.django.orm` pushes a selection down into the Django ORM).

Plain views::

    from graphfields.django import Fields, json_response

    post_fields = Fields(schema, "Post")

    @post_fields.view                 # passes the Plan as ``plan``; errors -> 400 / 500
    def post(request, id, plan):
        return json_response(execute(plan, Post.objects.get(pk=id)))

Django REST framework: :class:`graphfields.django.drf.FieldsMixin` (also importable from
here) on a ``GenericAPIView`` makes ``retrieve``/``list`` answer the request's selection.

Model instances as data: importing this module registers a getter for
:class:`django.db.models.Model` (:func:`graphfields.sources.register`) so that a related
manager (``post.comments``, a many-to-many) or a ``QuerySet`` attribute is read as a
:class:`QuerySetSequence`, not "called" with no arguments: a connection over it costs one
``COUNT`` and one sliced query per chunk of items it shows, a list field one query. Other
attributes (foreign keys included) are read as Django gives them (one query per object);
:mod:`graphfields.django.orm` runs a plan as one query per level instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

try:
    from django.db.models import Manager, Model, QuerySet
    from django.http import HttpRequest, HttpResponse, JsonResponse
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        f"graphfields.django needs Django: pip install 'graphfields[django]' ({exc})"
    ) from exc

from graphfields import sources
from graphfields.errors import GraphFieldsError
from graphfields.plan import Plan
from graphfields.web import FieldsParam, error_response

__all__ = [
    "ErrorMiddleware",
    "Fields",
    "FieldsMixin",
    "QuerySetSequence",
    "error_json",
    "json_response",
    "model_getter",
]

View = TypeVar("View", bound=Callable[..., Any])

CHUNK = 100
"""Items fetched per query when a connection reads a page of a QuerySet."""


class QuerySetSequence(Sequence[Any]):
    """A QuerySet as the lazy sequence graphfields slices: ``len()`` is one ``COUNT``
    (or the QuerySet's cached results), item ``i`` comes from one sliced query for its
    chunk of :data:`CHUNK` items (cached), iteration is one query. A QuerySet without an
    ordering is ordered by primary key, so that chunks and cursors agree."""

    def __init__(self, queryset: Any, chunk: int = CHUNK) -> None:
        self.queryset = queryset if queryset.ordered else queryset.order_by("pk")
        self.chunk = chunk
        self._len: int | None = None
        self._all: list[Any] | None = None
        self._chunks: dict[int, list[Any]] = {}

    def __len__(self) -> int:
        if self._all is not None:
            return len(self._all)
        if self._len is None:
            self._len = self.queryset.count()
        return self._len

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if self._all is not None:
            return self._all[index]
        k, i = divmod(index, self.chunk)
        rows = self._chunks.get(k)
        if rows is None:
            rows = self._chunks[k] = list(self.queryset[k * self.chunk:(k + 1) * self.chunk])
        if i >= len(rows):
            raise IndexError(index)
        return rows[i]

    def __iter__(self) -> Iterator[Any]:
        if self._all is None:
            self._all = list(self.queryset)
        return iter(self._all)


def model_getter(instance: Any, name: str) -> Any:
    """Read a model instance's attribute; managers and QuerySets become
    :class:`QuerySetSequence` (registered for every Model by importing this module)."""
    value = getattr(instance, name, None)
    if isinstance(value, Manager):
        return QuerySetSequence(value.all())
    if isinstance(value, QuerySet):
        return QuerySetSequence(value)
    return value


sources.register(Model, model_getter)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """``data`` as JSON in its own key order (Django's encoder does not sort keys)."""
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error_json(exc: GraphFieldsError) -> HttpResponse:
    """400 with every issue for a request error, 500 (logged, no internals) otherwise."""
    status, body = error_response(exc)
    return json_response(body, status)


class Fields(FieldsParam):
    """``Fields(schema, "Post", filters=..., default=..., limits=...)`` (the options of
    :class:`graphfields.web.FieldsParam`); ``fields(request)`` is the request's Plan."""

    def __call__(self, request: HttpRequest) -> Plan:
        return self.plan(request.GET)

    def view(self, fn: View) -> View:
        """Decorate a view ``fn(request, ..., plan)``: it receives the request's plan, and
        any graphfields error from it (a bad request, a failing resolver) is answered.
        An ``async def`` view stays one (its ORM calls are the view's own business)."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(request, *args, plan=self(request), **kwargs)
                except GraphFieldsError as exc:
                    return error_json(exc)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(request, *args, plan=self(request), **kwargs)
            except GraphFieldsError as exc:
                return error_json(exc)

        return wrapper  # type: ignore[return-value]


class ErrorMiddleware:
    """Answers graphfields errors raised by any view (``MIDDLEWARE`` entry
    ``"graphfields.django.ErrorMiddleware"``), for views that call ``fields(request)``
    without the decorator."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return error_json(exc) if isinstance(exc, GraphFieldsError) else None


def __getattr__(name: str) -> Any:
    if name == "FieldsMixin":  # needs Django REST framework, imported only when asked for
        from graphfields.django.drf import FieldsMixin

        return FieldsMixin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
