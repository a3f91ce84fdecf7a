"""Settings of the test project: SQLite in memory, or the PostgreSQL server named by
``GRAPHFIELDS_DJANGO_PG`` (a ``postgresql://user@host:port/db`` URL)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

SECRET_KEY = "graphfields-tests"
INSTALLED_APPS = ["djangoproj.blog"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_pg = os.environ.get("GRAPHFIELDS_DJANGO_PG")
DATABASES: dict[str, dict[str, Any]]
if _pg:
    _url = urlsplit(_pg)
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "postgres", "HOST": _url.hostname, "PORT": _url.port,
        "TEST": {"NAME": f"test_graphfields_{os.getpid()}"},
    }}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
