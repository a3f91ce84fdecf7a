"""The grammar's text, and its regular-expression terminals read without Lark.

``grammar/fields.lark`` ships inside the wheel as ``graphfields/grammar/fields.lark``; in a
source checkout it is read from the repository's top level.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path

__all__ = ["grammar_text", "terminal_regex"]


@functools.cache
def grammar_text() -> str:
    """The grammar, from the installed package (wheel) or from the source checkout."""
    packaged = resources.files("graphfields").joinpath("grammar/fields.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "fields.lark").read_text(
        encoding="utf-8"
    )


@functools.cache
def terminal_regex(name: str) -> str:
    """The regular expression of a terminal defined as ``NAME: /regex/`` (or as another
    such terminal, ``BARE: _WORD``), read from the grammar's text.

    The printer uses it to know what lexes as a bare word without building the parser;
    ``tests/test_grammar_tables.py`` checks it against the pattern Lark compiles.
    """
    m = re.search(rf"^{re.escape(name)}(?:\.-?\d+)?:[ \t]*(.+?)[ \t]*$", grammar_text(), re.M)
    if m is None:
        raise KeyError(f"no terminal {name} in the grammar")
    body = m.group(1)
    if re.fullmatch(r"_?[A-Z][A-Z0-9_]*", body):
        return terminal_regex(body)
    if len(body) < 2 or body[0] != "/" or body[-1] != "/":
        raise ValueError(f"terminal {name} is not a single regular expression: {body}")
    return body[1:-1]
