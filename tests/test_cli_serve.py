"""``graphfields serve``: arguments, defaults, the banner, failures that never reach uvicorn."""

from __future__ import annotations

import io
import logging
import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graphfields.cli import build_parser, main
from graphfields.instagram.serving import (
    DEMO_TOKEN,
    ServeOptions,
    _banner,
    _RedactTokens,
    _resolve_tokens,
    curl_examples,
    default_db_path,
    redact,
    request_threads,
    run_server,
)


def test_arguments_and_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.demo, args.token, args.db, args.data) == (
        "127.0.0.1", 8000, False, [], None, None)
    args = build_parser().parse_args(
        ["serve", "--demo", "--token", "a", "--token", "b", "--port", "9", "--db", "x.db",
         "--data", "d.json", "--threads", "3", "--demo-delay", "0.5"])
    assert args.token == ["a", "b"] and args.port == 9 and args.db == Path("x.db")
    assert args.threads == 3 and args.demo_delay == 0.5 and args.demo


@pytest.mark.parametrize(
    ("environ", "demo", "expected"),
    [
        ({"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, False,
         "/xdg/graphfields/graphfields.sqlite3"),
        ({"HOME": "/home/u"}, False, "/home/u/.local/share/graphfields/graphfields.sqlite3"),
        ({"XDG_DATA_HOME": "", "HOME": "/home/u"}, True,
         "/home/u/.local/share/graphfields/demo.sqlite3"),
    ],
)
def test_default_db_path(environ: dict[str, str], demo: bool, expected: str) -> None:
    assert default_db_path(environ, demo=demo) == Path(expected)


@pytest.mark.parametrize(
    ("opts", "environ", "tokens", "origin"),
    [
        (ServeOptions(tokens=("a",)), {"GRAPHFIELDS_TOKENS": "b,c"}, ["a", "b", "c"], "given"),
        (ServeOptions(demo=True), {}, [DEMO_TOKEN], "demo"),
        (ServeOptions(demo=True), {"GRAPHFIELDS_TOKENS": "e"}, ["e"], "given"),
    ],
)
def test_tokens(opts: ServeOptions, environ: dict[str, str], tokens: list[str],
                origin: str) -> None:
    assert _resolve_tokens(opts, environ) == (tokens, origin)


def test_a_token_is_generated_when_none_is_given() -> None:
    (one,), origin = _resolve_tokens(ServeOptions(), {})
    (two,), _ = _resolve_tokens(ServeOptions(), {})
    assert origin == "generated" and len(one) >= 32 and one != two


def test_demo_banner_prints_token_and_pasteable_curls() -> None:
    text = _banner(ServeOptions(demo=True), Path("/d/demo.sqlite3"), [DEMO_TOKEN], "demo")
    assert "http://127.0.0.1:8000" in text and "/d/demo.sqlite3" in text
    assert f"access token (demo): {DEMO_TOKEN}" in text
    commands = [line for line in text.splitlines() if line.startswith("curl ")]
    assert len(commands) == len(curl_examples("http://x", "t")) >= 8
    for command in commands:
        argv = shlex.split(command)
        assert argv[:2] == ["curl", "-sG"]
        assert urlsplit(argv[2]).path.startswith("/instagram/")
        assert argv[-2:] == ["-d", f"access_token={DEMO_TOKEN}"]


@pytest.mark.parametrize("demo", [False, True])
def test_banner_never_prints_configured_tokens(demo: bool) -> None:
    text = _banner(ServeOptions(demo=demo), Path("/d.sqlite3"), ["sekrit"], "given")
    assert "sekrit" not in text and "1 configured" in text
    if demo:
        assert "export TOKEN=" in text
        assert all(line.endswith(' -d "access_token=$TOKEN"')
                   for line in text.splitlines() if line.startswith("curl "))


def test_ipv6_host_in_url() -> None:
    text = _banner(ServeOptions(host="::1"), Path("/d"), ["t"], "generated")
    assert "http://[::1]:8000" in text


def test_curl_examples_cover_the_spec() -> None:
    examples = dict(curl_examples("http://h:1", "tok"))
    joined = "\n".join(examples.values())
    for needle in ("media/1770093817144369706", "tag/juice", "user/spacex",
                   "tag/photography", 'after("YXJyYXljb25uZWN0aW9uOjI=")', "comments.first(1)",
                   "from_date=2019-01-01"):
        assert needle in joined
    assert any("202" in title for title in examples)


@pytest.mark.parametrize(
    ("line", "expected"),
    [('GET /x?access_token=abc&fields=id HTTP/1.1', 'GET /x?access_token=***&fields=id HTTP/1.1'),
     ("/x?fields=id&access_token=abc", "/x?fields=id&access_token=***"),
     ("/x?fields=id", "/x?fields=id"),
     # Regression: a percent-encoded name is the same parameter to the handler (a valid
     # token), and was logged in clear.
     ("/x?fields=id&access%5Ftoken=abc", "/x?fields=id&access%5Ftoken=***"),
     ("/x?%61ccess_token=abc&fields=a=b", "/x?%61ccess_token=***&fields=a=b"),
     ("/x?ACCESS_TOKEN=abc", "/x?ACCESS_TOKEN=***"),
     # Regressions: after ";" the token was logged in clear, and a '"' in it ended the mask.
     ("/x?fields=id;access_token=TOKEN", "/x?fields=id;access_token=***"),
     ('/x?access_token=ab"cd&fields=id', "/x?access_token=***&fields=id"),
     ('GET /x?fields=id&access_token=a"b"c HTTP/1.1', "GET /x?fields=id&access_token=*** HTTP/1.1"),
     ("/x?access_token%3DTOKEN", "/x?***"),
     ("/x?fields=access_token=TOKEN&a=1", "/x?fields=***&a=1"),
     ("/x?access+token=1&access_token+=TOKEN", "/x?access+token=1&access_token+=***"),
     ("/x?a=1#access_token=T", "/x?a=***"),
     ("/access_token=T", "/access_token=T")],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s" %d',
                               ("1.2.3.4", "GET", line, 200), None)
    assert _RedactTokens().filter(record)
    assert record.args == ("1.2.3.4", "GET", expected, 200)


def test_without_uvicorn_exit_2(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["serve", "--demo"]) == 2
    assert "pip install 'graphfields[server]'" in capsys.readouterr().err


def test_bad_dataset_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.json"
    data.write_text('{"users": [{"username": 3}]}', encoding="utf-8")
    out = io.StringIO()
    code = run_server(ServeOptions(data=data, db=tmp_path / "db.sqlite3", tokens=("t",)),
                      environ={}, out=out)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("graphfields serve: ") and "users" in err
    assert out.getvalue() == ""  # nothing claims to be serving


def test_missing_dataset_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_server(ServeOptions(data=tmp_path / "nope.json", db=tmp_path / "db.sqlite3",
                                   tokens=("t",)), environ={})
    assert code == 1
    assert "nope.json" in capsys.readouterr().err


def test_busy_port_exit_1_before_anything_is_opened(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = io.StringIO()
        code = run_server(ServeOptions(port=port, db=tmp_path / "db.sqlite3", tokens=("t",)),
                          environ={}, out=out)
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert out.getvalue() == "" and not (tmp_path / "db.sqlite3").exists()


def test_the_202_example_names_a_user_never_seen_before() -> None:
    import re

    def user_of_202(examples: list[tuple[str, str]]) -> str:
        command = next(cmd for title, cmd in examples if "202" in title)
        found = re.search(r"/instagram/user/([A-Za-z0-9._]{1,30}) ", command)
        assert found is not None
        return found.group(1)

    assert user_of_202(curl_examples("http://h", "t")) != user_of_202(curl_examples("http://h",
                                                                                    "t"))
    assert user_of_202(curl_examples("http://h", "t", "fixed_name")) == "fixed_name"


def test_the_readme_quickstart_is_what_make_demo_prints() -> None:
    """The quickstart's command is one `make demo` prints, and its output is the spec's."""
    import json

    from graphfields.http import dumps

    root = Path(__file__).resolve().parent.parent
    readme = (root / "graphfields" / "instagram" / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quickstart"):].split("\n## ", 1)[0]
    lines = quick.splitlines()
    command = next(line[2:] for line in lines if line.startswith("$ curl "))
    shown = lines[lines.index(f"$ {command}") + 1]
    banner = _banner(ServeOptions(demo=True), Path("/d"), [DEMO_TOKEN], "demo")
    assert command in banner.splitlines()
    assert "make demo" in quick and "Makefile" not in quick
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "graphfields serve --demo --host 127.0.0.1 --port 8000" in makefile
    spec = json.loads((root / "tests" / "fixtures" / "spec_examples.json").read_text("utf-8"))
    body = next(e["body"] for e in spec["examples"] if e["name"] == "media_owner_section_9")
    assert shown.encode() == dumps(body)


@pytest.mark.parametrize(("threads", "db", "expected"), [
    (None, "data.sqlite3", 0), (None, Path("data.sqlite3"), 0),
    (None, "postgresql://localhost/graphfields", None), (3, "data.sqlite3", 3),
    (0, "postgresql://localhost/graphfields", 0), (4, "postgres://h/db", 4),
])
def test_request_threads_by_database(threads: int | None, db: str | Path,
                                     expected: int | None) -> None:
    assert request_threads(threads, db) == expected


@pytest.mark.parametrize(("threads", "expected"), [(None, 0), (3, 3)])
def test_serve_answers_on_the_event_loop_by_default_on_sqlite(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, threads: int | None,
        expected: int) -> None:
    import uvicorn

    seen: dict[str, object] = {}

    class Server:
        started = True

        def __init__(self, config: uvicorn.Config) -> None:
            self.app: Any = config.app

        def run(self, sockets: object) -> None:
            seen["max_workers"] = self.app.max_workers
            seen["background_enqueue"] = self.app.handler.service.background_enqueue

    monkeypatch.setattr(uvicorn, "Server", Server)
    opts = ServeOptions(port=0, db=tmp_path / "db.sqlite3", threads=threads, tokens=("t",))
    assert run_server(opts, environ={}, out=io.StringIO()) == 0
    # on the event loop, requests never write (the service queues loads itself)
    assert seen == {"max_workers": expected, "background_enqueue": expected == 0}


@pytest.mark.parametrize(("level", "logged"), [
    ("debug", True), ("info", True), ("warning", False), ("error", False), ("critical", False)])
def test_the_access_log_is_kept_only_at_a_level_that_prints_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, level: str, logged: bool) -> None:
    import uvicorn

    seen: dict[str, object] = {}

    class Server:
        started = True

        def __init__(self, config: uvicorn.Config) -> None:
            seen["access_log"] = config.access_log

        def run(self, sockets: object) -> None:
            pass

    monkeypatch.setattr(uvicorn, "Server", Server)
    opts = ServeOptions(port=0, db=tmp_path / "db.sqlite3", log_level=level, tokens=("t",))
    assert run_server(opts, environ={}, out=io.StringIO()) == 0
    assert seen == {"access_log": logged}
