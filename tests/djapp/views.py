"""Plain Django views and DRF views over the models, with graphfields."""

from __future__ import annotations

from typing import Any, ClassVar

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from djapp.models import Post
from graphfields import (
    ID,
    Connection,
    Int,
    ListOf,
    ObjectType,
    Plan,
    Schema,
    String,
    execute,
    field_,
)
from graphfields.django import Fields, json_response
from graphfields.django.drf import FieldsMixin

SECRET = "password=hunter2"


def _fail(parent: Any, context: Any) -> Any:
    raise RuntimeError(SECRET)


Author = ObjectType("Author", {"id": ID, "name": String, "posts": Connection("Post")},
                    defaults=("id", "name"))
Tag = ObjectType("Tag", {"id": ID, "label": String})
Comment = ObjectType("Comment", {"id": ID, "text": String, "created": Int, "author": Author})
PostType = ObjectType("Post", {
    "id": ID, "title": String, "shout": String, "author": Author,
    "tags": ListOf(Tag),
    "comments": Connection(Comment, max_first=50, timestamp_field="created"),
    "broken": field_(String, resolve=_fail),
})
SCHEMA = Schema([PostType, Author, Tag, Comment])
post_fields = Fields(SCHEMA, "Post", filters=True)


@post_fields.view
def post_view(request: HttpRequest, id: int, plan: Plan) -> HttpResponse:
    return json_response(execute(plan, Post.objects.get(pk=id)))


@post_fields.view
async def post_async_view(request: HttpRequest, id: int, plan: Plan) -> HttpResponse:
    post = await Post.objects.aget(pk=id)
    return json_response(await sync_to_async(execute)(plan, post))


def post_middleware_view(request: HttpRequest, id: int) -> HttpResponse:
    return json_response(execute(post_fields(request), Post.objects.get(pk=id)))


class PostDetail(FieldsMixin, RetrieveAPIView):  # type: ignore[misc]
    queryset = Post.objects.all()
    fields_schema = SCHEMA
    fields_type = "Post"
    fields_options: ClassVar[dict[str, Any]] = {"filters": True}


class PostList(FieldsMixin, ListAPIView):  # type: ignore[misc]
    queryset = Post.objects.order_by("id")
    fields_schema = SCHEMA
    fields_type = "Post"


class Pages(PageNumberPagination):  # type: ignore[misc]
    page_size = 1


class PostPages(FieldsMixin, ListAPIView):  # type: ignore[misc]
    queryset = Post.objects.order_by("id")
    fields_schema = SCHEMA
    fields_type = "Post"
    pagination_class = Pages


class PostCustom(FieldsMixin, APIView):  # type: ignore[misc]
    fields_schema = SCHEMA
    fields_type = "Post"
    fields_options: ClassVar[dict[str, Any]] = {"filters": True}

    def get(self, request: Request, id: int) -> Response:
        return Response(self.select(Post.objects.get(pk=id)))


urlpatterns = [
    path("posts/<int:id>", post_view),
    path("mw/posts/<int:id>", post_middleware_view),
    path("async/posts/<int:id>", post_async_view),
    path("drf/posts/<int:pk>", PostDetail.as_view()),
    path("drf/posts", PostList.as_view()),
    path("drf/pages/posts", PostPages.as_view()),
    path("drf/custom/posts/<int:id>", PostCustom.as_view()),
]
