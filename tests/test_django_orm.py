"""graphfields.django.orm: the Django test project (tests/djangoproj) under Django's own test
runner, in a fresh interpreter (its settings stay out of this process), on SQLite and on
the session's PostgreSQL server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def run_django_tests(**env: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "django", "test", "djangoproj.blog", "--noinput", "-v", "2"],
        cwd=TESTS, capture_output=True, text=True, timeout=600,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "djangoproj.settings",
             "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]), **env},
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "Ran " in report and "OK" in report, report


@pytest.mark.slow
def test_django_orm_on_sqlite() -> None:
    run_django_tests()


@pytest.mark.slow
def test_django_orm_on_postgresql(postgres_server: str) -> None:
    run_django_tests(GRAPHFIELDS_DJANGO_PG=postgres_server)


def test_readme_django_example_runs(tmp_path: Path) -> None:
    """The README's Django example: its app's models.py and its script (which configures
    Django itself), written out as files and run in their own process."""
    from test_execute_readme import _section

    blocks = re.findall(r"```python\n# (\S+).*?\n(.*?)```", _section("SQL push-down: Django"),
                        re.S)
    assert [name for name, _ in blocks] == ["blog/models.py", "example.py"]
    (tmp_path / "blog").mkdir()
    (tmp_path / "blog" / "__init__.py").write_text("")
    for name, code in blocks:
        (tmp_path / name).write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
