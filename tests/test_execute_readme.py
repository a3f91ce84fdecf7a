"""The README's "Executing a selection" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_execute_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section("Executing a selection"), re.S)
    assert blocks, "no python example under the heading"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})
