"""graphfields for Django REST framework views (extra ``django``).

::

    from graphfields.django.drf import FieldsMixin

    class PostDetail(FieldsMixin, RetrieveAPIView):
        queryset = Post.objects.all()
        fields_schema, fields_type = schema, "Post"

``GET /posts/1?fields=id,title,comments.first(5){edges{node{text}}}`` answers the selection:
the mixin's serializer executes the request's plan on each object (lists and DRF
pagination work as usual), a bad ``fields`` is 400 with every issue, a failing resolver
500 without internals. ``self.fields_plan()`` and ``self.select(data)`` serve custom
``get()`` methods.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet

try:
    from rest_framework.response import Response
    from rest_framework.serializers import BaseSerializer
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "graphfields.django.drf needs Django REST framework: "
        f"pip install 'graphfields[django]' ({exc})"
    ) from exc

from graphfields.django import Fields, QuerySetSequence
from graphfields.errors import GraphFieldsError
from graphfields.execution import execute
from graphfields.plan import Plan
from graphfields.schema import Schema
from graphfields.web import error_response

__all__ = ["FieldsMixin", "PlanSerializer"]


class PlanSerializer(BaseSerializer):  # type: ignore[misc]
    """Read-only: ``to_representation(obj)`` is ``execute(plan, obj)`` with the plan
    (and the execution context) the view put in the serializer context."""

    def to_representation(self, instance: Any) -> Any:
        context = self.context
        return execute(context["fields_plan"], instance, context=context.get("fields_context"))


class FieldsMixin:
    """For DRF ``APIView``/``GenericAPIView`` subclasses (put it first in the bases).

    Set ``fields_schema`` and ``fields_type``; ``fields_options`` passes the options of
    :class:`graphfields.web.FieldsParam` (``filters``, ``default``, ``limits``, ``param``).
    """

    fields_schema: ClassVar[Schema]
    fields_type: ClassVar[str]
    fields_options: ClassVar[dict[str, Any]] = {}
    serializer_class = PlanSerializer
    request: Any

    @classmethod
    def fields_param(cls) -> Fields:
        param = cls.__dict__.get("_fields_param")
        if param is None:
            param = Fields(cls.fields_schema, cls.fields_type, **cls.fields_options)
            cls._fields_param = param  # type: ignore[attr-defined]
        assert isinstance(param, Fields)
        return param

    def fields_plan(self) -> Plan:
        """The request's plan (a RequestError, answered 400, for a bad request)."""
        plan = getattr(self, "_fields_plan", None)
        if plan is None:
            plan = self._fields_plan = self.fields_param().plan(self.request.query_params)
        return plan

    def fields_context(self) -> Any:
        """The execution context handed to resolvers (default: the DRF request)."""
        return self.request

    def select(self, data: Any) -> Any:
        """``execute`` of the request's plan on one object, or on each item of a
        list/QuerySet."""
        plan, context = self.fields_plan(), self.fields_context()
        if isinstance(data, list | tuple | QuerySetSequence | QuerySet):
            return [execute(plan, item, context=context) for item in data]
        return execute(plan, data, context=context)

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        context["fields_plan"] = self.fields_plan()
        context["fields_context"] = self.fields_context()
        return context

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, GraphFieldsError):
            status, body = error_response(exc)
            return Response(body, status=status)
        return super().handle_exception(exc)  # type: ignore[misc]
