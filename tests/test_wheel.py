"""The grammar ships inside the wheel: build it, install it into a fresh venv, parse there.

Offline-safe: the wheel is built without build isolation (hatchling is in the test venv),
and the fresh venv gets ``lark`` by path from this venv (only lark, so the checkout's
editable ``graphfields`` cannot leak in).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import lark
import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import pathlib, graphfields
here = pathlib.Path(graphfields.__file__).resolve()
assert "site-packages" in here.parts, here
assert (here.parent / "grammar" / "fields.lark").is_file()
from graphfields.syntax import _lark, grammar
assert _lark.load_cached(grammar.grammar_text()) is not None  # the shipped tables load
sel = graphfields.parse("fields=id,media.first(3)<edges{node{id}}>")
print(graphfields.format(sel))
"""


def _run(*argv: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_parses(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", dist, ROOT, cwd=tmp_path)
    (wheel,) = dist.glob("graphfields-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "graphfields/grammar/fields.lark" in names
    assert "graphfields/syntax/_lalr_cache.pickle" in names

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "-q", wheel, cwd=tmp_path)

    only_lark = tmp_path / "only_lark"
    only_lark.mkdir()
    (only_lark / "lark").symlink_to(Path(lark.__file__).resolve().parent)
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                cwd=tmp_path).strip()
    (Path(site) / "only_lark.pth").write_text(f"{only_lark}\n", encoding="utf-8")

    assert _run(python, "-I", "-c", SCRIPT, cwd=tmp_path).strip() == (
        "id,media.first(3){edges{node{id}}}"
    )

    # The README's `check --schema` example, from the installed wheel, outside the checkout.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    console = readme[readme.index("$ graphfields check --schema graphfields.instagram"):]
    command, *shown = console.split("\n```", 1)[0].splitlines()
    argv = shlex.split(command[2:])
    assert argv[:2] == ["graphfields", "check"]
    done = subprocess.run([python, "-I", "-m", "graphfields", *argv[1:]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == shown
    # ... and the published-schema round trip: export, then check against the file alone
    schema_json = _run(python, "-I", "-m", "graphfields", "schema",
                       "graphfields.instagram.schema:SCHEMA", cwd=tmp_path)
    (tmp_path / "schema.json").write_text(schema_json, encoding="utf-8")
    _run(python, "-I", "-m", "graphfields", "check", "--schema-file", "schema.json", "Media",
         "id,owner{username}", cwd=tmp_path)
