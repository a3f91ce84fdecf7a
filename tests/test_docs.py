"""Every code block of README.md and graphfields/instagram/README.md is executed.

By the block's language:

- ``python``: run in order in one namespace per document (a block starting with ``>>>`` is
  a doctest), in a temporary directory holding ``dataset.json`` (the spec's dataset); a
  block that is a project's file (``# blog/models.py``) is run, with its section's other
  files, in its own process by the test :data:`FILE_BLOCK_RUNNERS` names;
- ``console``: each ``$ command`` is run and its output compared with the lines below it:
  ``curl`` of ``http://localhost:8000/...`` goes to the app the python blocks defined last
  (FastAPI/Starlette's TestClient, Flask's test client, Django's test client) and the JSON
  must be equal, key order included; other commands run in bash with this environment's
  ``graphfields`` first on ``PATH``; the reference demo's ``curl`` is the one ``make demo``
  prints (checked with its answer by tests/test_cli_serve.py);
- ``sh``: ``make TARGET`` must be a target (``make -n``), ``pip install
  'graphfields[extras]'`` must name extras of pyproject.toml, ``python -m benchmarks NAME``
  a benchmark;
- ``text``: the error tree must match the classes, the ``serve`` usage the command's options;
- ``json``: must parse, with the dataset's top-level lists only.

Any other language is a failure: a new block needs a checker.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import tomllib

import graphfields.errors

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "graphfields" / "instagram" / "README.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str, int]]:
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def test_every_block_has_a_language_with_a_checker() -> None:
    for path in DOCS:
        found = blocks(path)
        assert found, path
        for lang, _, line in found:
            assert lang in CHECKERS, f"{path.name}:{line}: block without a checker: {lang!r}"
    # the fence pattern sees every fence: an even number of ``` lines in each file
    for path in DOCS:
        fences = [x for x in path.read_text("utf-8").splitlines() if x.startswith("```")]
        assert len(fences) == 2 * len(blocks(path)), path


# -- python -----------------------------------------------------------------------------


def _fake_blog_package() -> None:
    """The README's Django example imports ``blog.models`` and ``blog.schema``: the test
    app's models and schema stand in for them."""
    from django_setup import create_blog

    create_blog()
    import djapp.models
    import djapp.views

    blog = types.ModuleType("blog")
    schema_module = types.ModuleType("blog.schema")
    schema_module.schema = djapp.views.SCHEMA  # type: ignore[attr-defined]
    sys.modules.update({"blog": blog, "blog.models": djapp.models, "blog.schema": schema_module})


def run_python(code: str, ns: dict[str, Any], where: str) -> None:
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, ns, where, where, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, clear_globs=False)
        assert runner.failures == 0, f"{where}: doctest failed"
        return
    if "from blog." in code:
        _fake_blog_package()
    exec(compile(code, where, "exec"), ns)
    if re.search(r"^urlpatterns = ", code, re.M):
        ns["_serving"] = ("django", ns["urlpatterns"])
    elif re.search(r"^app = ", code, re.M):
        ns["_serving"] = ("app", ns["app"])


# -- console ----------------------------------------------------------------------------


def _commands(code: str) -> Iterator[tuple[str, list[str]]]:
    command: str | None = None
    output: list[str] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, output
            command, output = line[2:], []
        else:
            assert command is not None, f"output before any command: {line!r}"
            output.append(line)
    if command is not None:
        yield command, output


def _client_get(ns: dict[str, Any], url: str) -> str:
    """GET ``url`` from the app the python blocks defined last; the body as text."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    kind, app = ns["_serving"]
    if kind == "django":
        from django.test import Client, override_settings

        urls = types.ModuleType("readme_urls")
        urls.urlpatterns = app  # type: ignore[attr-defined]
        sys.modules["readme_urls"] = urls
        with override_settings(ROOT_URLCONF="readme_urls"):
            return str(Client().get(target).content.decode())
    if hasattr(app, "test_client"):  # Flask
        return str(app.test_client().get(target).get_data(as_text=True))
    from starlette.testclient import TestClient

    return str(TestClient(app).get(target).text)


def _shell(command: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    return done.stdout


def run_console(code: str, ns: dict[str, Any], where: str, cwd: Path) -> None:
    for command, output in _commands(code):
        argv = shlex.split(command)
        if argv[0] == "curl" and "127.0.0.1:8000/instagram/" in command:
            from test_cli_serve import test_the_readme_quickstart_is_what_make_demo_prints

            test_the_readme_quickstart_is_what_make_demo_prints()
            continue
        if argv[0] == "curl":
            (url,) = [a for a in argv[1:] if a.startswith("http")]
            got = _client_get(ns, url)
            want = json.loads("\n".join(output))
            assert json.dumps(json.loads(got)) == json.dumps(want), f"{where}: {command}"
            continue
        got = _shell(command, cwd)
        assert got.splitlines() == output, f"{where}: {command}\n{got}"


# -- sh, text, json ---------------------------------------------------------------------


def run_sh(code: str, ns: dict[str, Any], where: str, cwd: Path) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"]
    for raw in code.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        argv = shlex.split(line)
        while argv and re.fullmatch(r"[A-Z_]+=\S*", argv[0]):  # VAR=value before a command
            argv.pop(0)
        if argv[:2] == ["pip", "install"]:
            (spec,) = argv[2:]
            names = re.fullmatch(r"graphfields\[([a-z,]+)\]", spec)
            assert names is not None, f"{where}: {line}"
            assert set(names.group(1).split(",")) <= set(extras), f"{where}: {line}"
        elif argv[0] == "make":
            done = subprocess.run(["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True,
                                  text=True, timeout=60, check=False)
            assert done.returncode == 0, f"{where}: {line}: {done.stderr}"
        elif argv[0] == "graphfields":  # the command line must parse (options and values)
            from graphfields.cli import build_parser

            try:
                build_parser().parse_args(argv[1:])
            except SystemExit:
                pytest.fail(f"{where}: {line} does not parse")
        elif argv[:3] == ["python", "-m", "benchmarks"]:
            for name in argv[3:]:
                assert (ROOT / "benchmarks" / f"bench_{name}.py").is_file(), f"{where}: {line}"
        else:
            pytest.fail(f"{where}: no checker for the sh command {line!r}")


def _check_error_tree(code: str, where: str) -> None:
    parents: list[tuple[int, type]] = []
    for line in code.splitlines():
        m = re.match(r"^([│ ]*)(?:[├└]── )?([A-Z][A-Za-z]+Error)\b", line)
        if m is None:
            continue
        depth = len(m.group(1)) // 4 + (1 if "──" in line else 0)
        cls = getattr(graphfields.errors, m.group(2))
        while parents and parents[-1][0] >= depth:
            parents.pop()
        if parents:
            assert issubclass(cls, parents[-1][1]), f"{where}: {cls} under {parents[-1][1]}"
            if m.group(2) != "RequestError" and "(also ValueError)" in line:
                assert issubclass(cls, ValueError)
        parents.append((depth, cls))
    assert len({c for _, c in parents}) >= 1
    documented = set(re.findall(r"\b([A-Z][A-Za-z]+Error)\b", code)) - {"ValueError"}
    assert documented == set(graphfields.errors.__all__) - {"ValidationIssue"}, where


def _check_serve_usage(code: str, where: str) -> None:
    """Each ``graphfields COMMAND`` usage (serve, worker) lists exactly that command's
    options."""
    from graphfields.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for usage in re.split(r"\n(?=graphfields )", code):
        command = usage.split()[1]
        cmd = sub.choices[command]  # type: ignore[index]
        options = {o for a in cmd._actions for o in a.option_strings} - {"-h", "--help"}
        assert set(re.findall(r"--[a-z-]+", usage)) == options, (where, command)


def run_text(code: str, ns: dict[str, Any], where: str, cwd: Path) -> None:
    if code.startswith("GraphFieldsError"):
        _check_error_tree(code, where)
    elif code.startswith("graphfields serve"):
        _check_serve_usage(code, where)
    else:
        pytest.fail(f"{where}: no checker for this text block")


def run_json(code: str, ns: dict[str, Any], where: str, cwd: Path) -> None:
    data = json.loads(code)
    assert set(data) <= {"users", "locations", "media", "comments", "tags"}, where
    assert all(isinstance(v, list) and v for v in data.values()), where


FILE_BLOCK = re.compile(r"# \S+\.py\b")
"""A python block that is a file of a project (``# blog/models.py``, ``# example.py``)."""
FILE_BLOCK_RUNNERS = {
    "SQL push-down: Django": ("test_django_orm.py", "def test_readme_django_example_runs"),
}
"""Sections whose file blocks another test writes out as files and runs in their own
process (a Django project configures Django itself: not in this process)."""


def _check_file_block(text: str, line: int, where: str) -> None:
    before = text.splitlines()[:line]
    section = next(x[3:] for x in reversed(before) if x.startswith("## "))
    assert section in FILE_BLOCK_RUNNERS, f"{where}: a file block nothing runs"
    module, test = FILE_BLOCK_RUNNERS[section]
    assert test in (ROOT / "tests" / module).read_text("utf-8"), f"{where}: {module}"


CHECKERS: dict[str, Any] = {
    "python": None, "console": run_console, "sh": run_sh, "text": run_text, "json": run_json,
}


@pytest.mark.slow
@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_block_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "graphfields" / "instagram" / "data" / "spec_dataset.json",
                tmp_path / "dataset.json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = types.ModuleType("readme_example")  # dataclasses look their module up
    monkeypatch.setitem(sys.modules, "readme_example", module)
    ns: dict[str, Any] = module.__dict__
    text = path.read_text(encoding="utf-8")
    for lang, code, line in blocks(path):
        where = f"{path.name}:{line}"
        if lang == "python" and FILE_BLOCK.match(code):
            _check_file_block(text, line, where)
        elif lang == "python":
            run_python(code, ns, where)
        else:
            CHECKERS[lang](code, ns, where, tmp_path)
    service = ns.get("service")
    if service is not None:
        service.close()
