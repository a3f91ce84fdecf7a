"""`graphfields check --schema MODULE:ATTR --type NAME FIELDS`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from graphfields._schema_check import UsageError, check_fields, load_schema
from graphfields.cli import main

TESTS = Path(__file__).parent
SCHEMA = "example_schema:schema"


def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process, capturing its streams."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def test_valid_fields_exit_0() -> None:
    assert run("check", "--schema", SCHEMA, "--type", "Media", "id,owner{username}") == (0, "", "")


def test_every_error_with_its_caret_exit_1() -> None:
    code, out, err = run("check", "--schema", SCHEMA, "--type", "Media",
                         "id_,owner{idd},comments.frist(1)")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        '1:1: Cannot query field "id_" on type "Media". Did you mean "id"?',
        "id_,owner{idd},comments.frist(1)",
        "^",
        '1:11: Cannot query field "idd" on type "Owner". Did you mean "id"?',
        "id_,owner{idd},comments.frist(1)",
        "          ^",
        '1:25: Unknown call "frist" on field "comments". Did you mean "first" or "last"?',
        "id_,owner{idd},comments.frist(1)",
        "                        ^",
    ]


def test_reads_stdin() -> None:
    code, _, err = run("check", "--schema", SCHEMA, "--type", "User", "-", stdin="id,\nmedai")
    assert code == 1
    assert err.startswith('2:1: Cannot query field "medai" on type "User". Did you mean "media"?')


def test_syntax_errors_exit_1() -> None:
    code, _, err = run("check", "--schema", SCHEMA, "--type", "Media", "id,{")
    assert code == 1 and err


def test_attr_defaults_to_schema() -> None:
    assert run("check", "--schema", "example_schema", "--type", "Tag", "id")[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--schema", SCHEMA], "--schema and --type go together; --type is missing"),
        (["--type", "Media"], "--schema and --type go together; --schema is missing"),
        (["--schema", SCHEMA, "--type", "Medai"],
         '--type: Unknown type "Medai". Did you mean "Media"?'),
        (["--schema", "no_such_module_xyz:schema", "--type", "Media"],
         "cannot import schema module \"no_such_module_xyz\": ModuleNotFoundError: "
         "No module named 'no_such_module_xyz'"),
        (["--schema", "example_schema:nope", "--type", "Media"],
         'module "example_schema" has no attribute "nope"'),
        (["--schema", "example_schema:Media", "--type", "Media"],
         '"example_schema:Media" is a ObjectType, not a graphfields Schema'),
        (["--schema", "bad-name:x", "--type", "Media"],
         '--schema expects MODULE:ATTR (e.g. "myapp.schema:schema"), got "bad-name:x"'),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run("check", *argv, "id")
    assert (code, out) == (2, "")
    assert err == f"graphfields check: error: {message}\n"


def test_a_broken_schema_module_is_a_usage_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_schema_mod.py").write_text(
        "from graphfields import ObjectType, Schema, ID\n"
        "schema = Schema([ObjectType('T', {'id': ID, 'o': 'Ownr'})])\n")
    (tmp_path / "raising_schema_mod.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UsageError, match=r'the schema in module "broken_schema_mod" is invalid: '
                       r'Field "T\.o" refers to unknown type "Ownr"\.'):
        load_schema("broken_schema_mod:schema")
    err = io.StringIO()
    assert check_fields("id", "raising_schema_mod:schema", "T", err=err) == 2
    assert err.getvalue() == ('graphfields check: error: cannot import schema module '
                              '"raising_schema_mod": RuntimeError: boom\n')


def test_console_script_has_no_traceback() -> None:
    """The real entry point, from the tests directory (the cwd is importable)."""
    cmd = [sys.executable, "-m", "graphfields.cli", "check", "--schema", SCHEMA,
           "--type", "Media", "id_"]
    done = subprocess.run(cmd, cwd=TESTS, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert 'Did you mean "id"?' in done.stderr
    cmd[4] = "nowhere_xyz:schema"
    done = subprocess.run(cmd, cwd=TESTS, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
