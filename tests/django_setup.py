"""Django for the tests: settings (an in-memory SQLite database, DRF, the djapp test app)
and the blog data, each set up once per process."""

from __future__ import annotations

import django
from django.conf import settings

N_COMMENTS = 250


def setup() -> None:
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="tests", DEBUG=False, ALLOWED_HOSTS=["testserver"], USE_TZ=True,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework",
                        "djapp"],
        ROOT_URLCONF="djapp.views",
        MIDDLEWARE=["graphfields.django.ErrorMiddleware"],
        REST_FRAMEWORK={
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": [],
            "UNAUTHENTICATED_USER": None,
        },
    )
    django.setup()


def create_blog() -> None:
    """Two authors, the post "Hello" (pk 1) with two tags and N_COMMENTS comments, and a
    post without any."""
    setup()
    from django.db import connection
    from djapp.models import Author, Comment, Post, Tag

    if "djapp_post" in connection.introspection.table_names():
        return
    with connection.schema_editor() as editor:
        for model in (Author, Tag, Post, Comment):
            editor.create_model(model)
    ada = Author.objects.create(name="Ada")
    bob = Author.objects.create(name="Bob")
    post = Post.objects.create(title="Hello", author=ada)
    post.tags.add(Tag.objects.create(label="zeta"), Tag.objects.create(label="alpha"))
    Comment.objects.bulk_create(
        Comment(post=post, author=bob if i % 2 else ada, text=f"c{i}", created=1_560_000_000 + i)
        for i in range(N_COMMENTS))
    Post.objects.create(title="Empty", author=bob)
