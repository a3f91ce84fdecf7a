"""Optional dependencies stay optional: the core imports no framework, and each
integration without its framework is an ImportError naming the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("fastapi", "starlette", "flask", "django", "rest_framework", "pydantic",
              "uvicorn", "orjson", "psycopg", "sqlalchemy")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)


def test_import_graphfields_imports_no_framework() -> None:
    done = _python(
        "import sys, graphfields, graphfields.web, graphfields.schema_json, graphfields.models\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FRAMEWORKS!r})))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("module", "blocked", "extra"), [
    ("graphfields.django", "django", "django"),
    ("graphfields.django.drf", "rest_framework", "django"),
    ("graphfields.fastapi", "fastapi", "fastapi"),
    ("graphfields.starlette", "starlette", "starlette"),
    ("graphfields.flask", "flask", "flask"),
])
def test_integration_without_its_framework_names_the_extra(
    module: str, blocked: str, extra: str
) -> None:
    done = _python(f"import sys; sys.modules[{blocked!r}] = None\nimport {module}")
    assert done.returncode != 0
    assert f"pip install 'graphfields[{extra}]'" in done.stderr, done.stderr
