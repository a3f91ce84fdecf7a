"""`graphfields check | fmt | ast`: exit codes, output, stdin, the URL-encoding hint."""

from __future__ import annotations

import io
import json

import pytest

from graphfields.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["check", "id,media.first(3){id}"], capsys) == (0, "", "")


def test_check_invalid_prints_caret(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["check", "id,media{id"], capsys)
    assert (code, out) == (1, "")
    assert err == (
        "1:9: Unclosed `{`: expected `}` before the end of the input\nid,media{id\n        ^\n"
    )


def test_check_url_encoded_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["check", "id%2Cusername"], capsys)
    assert code == 1
    assert err.splitlines()[-1].startswith("hint: the fields string looks URL-encoded (%2C)")


def test_check_no_hint_without_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = _run(["check", "id,"], capsys)
    assert "URL-encoded" not in err


def test_fmt(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["fmt", "fields= id ,\n media.first( 3 )<id>"], capsys) == (
        0, "id,media.first(3){id}\n", "")


def test_fmt_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["fmt", "a,,b"], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("1:3: Empty field name")


def test_ast(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["ast", "a.as(b).x('c'){d}"], capsys)
    assert code == 0
    tree = json.loads(out)
    field = tree["fields"][0]
    assert (tree["kind"], field["name"], field["alias"]) == ("selection", "a", "b")
    assert field["calls"][0]["args"][0] == {
        "kind": "string", "value": "c", "quoted": True,
        "span": {"start": 10, "end": 13, "line": 1, "column": 11}}
    assert field["selection"]["fields"][0]["name"] == "d"


def test_ast_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["ast", "a{"], capsys)[0] == 1


@pytest.mark.parametrize("command", ["check", "fmt", "ast"])
def test_stdin(command: str, capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("id,\n  owner{id}\n"))
    code, out, _ = _run([command, "-"], capsys)
    assert code == 0
    if command == "fmt":
        assert out == "id,owner{id}\n"


@pytest.mark.parametrize("argv", [[], ["fmt"], ["check", "a", "b"], ["nope", "a"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
