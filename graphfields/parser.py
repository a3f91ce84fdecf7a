"""Text -> AST. Loads grammar/fields.lark once, lazily; Lark errors become FieldsSyntaxError."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import lark

from graphfields._source import Span
from graphfields.ast import BoolValue, Call, Field, IntValue, NullValue, Selection, StringValue
from graphfields.errors import FieldsSyntaxError

__all__ = ["parse"]


def _grammar_text() -> str:
    packaged = resources.files("graphfields").joinpath("grammar/fields.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "fields.lark").read_text(
        encoding="utf-8"
    )


_INT = re.compile(r"-?[0-9]+\Z")


class _Builder(lark.Transformer[Any, Any]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _span(self, start: int | None, end: int | None) -> Span:
        return Span.at(self.text, start or 0, end or 0)

    def start(self, children: list[Any]) -> Selection:
        sel: Selection = children[-1]
        return sel

    def selection(self, children: list[Field]) -> Selection:
        return Selection(tuple(children), self._span(children[0].span.start, children[-1].span.end))

    def field(self, children: list[Any]) -> Field:
        name_tok = children[0]
        calls: list[Call] = []
        alias: str | None = None
        selection: Selection | None = None
        end = name_tok.end_pos
        for ch in children[1:]:
            if isinstance(ch, Call):
                if ch.name == "as":
                    alias = str(ch.args[0].value) if ch.args else None
                else:
                    calls.append(ch)
                end = ch.span.end
            elif isinstance(ch, Selection):
                selection = ch
            elif isinstance(ch, lark.Token):
                end = ch.end_pos
        return Field(str(name_tok), tuple(calls), selection, alias,
                     self._span(name_tok.start_pos, end))

    def call(self, children: list[Any]) -> Call:
        toks = [c for c in children if isinstance(c, lark.Token)]
        args = tuple(self._arg(c) for c in children[3:-1] if not (c == "," and c.type != "BARE"))
        return Call(str(children[1]), args, self._span(toks[0].start_pos, toks[-1].end_pos))

    def _arg(self, tok: lark.Token) -> Any:
        span = self._span(tok.start_pos, tok.end_pos)
        if tok.type == "STRING":
            return StringValue(json.loads(tok), True, span)
        if tok.type == "SQSTRING":
            return StringValue(tok[1:-1], True, span)
        if _INT.match(tok):
            return IntValue(int(tok), span)
        if tok == "true":
            return BoolValue(True, span)
        if tok == "false":
            return BoolValue(False, span)
        if tok == "null":
            return NullValue(span)
        return StringValue(str(tok), False, span)


@functools.cache
def _lark() -> lark.Lark:
    return lark.Lark(_grammar_text(), parser="lalr", lexer="contextual")


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Selection:
    """Parse a field selection. Raises :class:`FieldsSyntaxError` on any bad input."""
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        pos = getattr(exc, "pos_in_stream", None) or 0
        raise FieldsSyntaxError("Syntax error", text, pos) from None
    result: Selection = _Builder(text).transform(tree)
    return result
