"""A minimal hand-written parser of the fields language: one regex tokenizer plus recursive
descent, building the same AST as ``graphfields.parse`` (with spans).

Benchmark reference only ("what pure Python can do"); graphfields itself never uses it. It
skips what the real parser does for users: friendly errors, limits, every edge of the
grammar (it trusts its input more), and it recurses once per nesting level.
"""

from __future__ import annotations

import bisect
import json
import re

from graphfields._source import Span
from graphfields.syntax.ast import (
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
    Value,
)

__all__ = ["parse"]

_TOKEN = re.compile(
    r"""[ \t\n\r\f\v]*(?:
        (?P<name>[A-Za-z_][A-Za-z0-9_]*)(?![^,(){}<>"'\s.])
      | (?P<punct>[,{}<>().])
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<sqstring>'[^']*')
      | (?P<word>[^,(){}<>"'\s]+)
    )""",
    re.VERBOSE,
)
_INT = re.compile(r"-?[0-9]+\Z")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(m.lastgroup or "", m.group(m.lastgroup or 0), m.start(m.lastgroup or 0))
                       for m in _TOKEN.finditer(text)]
        self.tokens.append(("end", "", len(text)))
        self.i = 0
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_left(self.newlines, start)
        column = start - (self.newlines[line - 1] if line else -1)
        return Span(start, end, line + 1, column)

    def expect(self, value: str) -> int:
        _, got, at = self.tokens[self.i]
        if got != value:
            raise ValueError(f"expected {value!r} at {at}, found {got!r}")
        self.i += 1
        return at

    def selection(self) -> Selection:
        fields = [self.field()]
        while self.tokens[self.i][1] == ",":
            self.i += 1
            fields.append(self.field())
        return Selection(tuple(fields), self.span(fields[0].span.start, fields[-1].span.end))

    def field(self) -> Field:
        kind, name, start = self.tokens[self.i]
        if kind != "name":
            raise ValueError(f"expected a field name at {start}")
        self.i += 1
        end = start + len(name)
        calls: list[Call] = []
        alias = None
        while self.tokens[self.i][1] == ".":
            call = self.call()
            end = call.span.end
            if call.name == "as":
                alias = str(call.args[0].value)
            else:
                calls.append(call)
        selection = None
        opener = self.tokens[self.i][1]
        if opener in ("{", "<"):
            self.i += 1
            selection = self.selection()
            end = self.expect("}" if opener == "{" else ">") + 1
        return Field(name, tuple(calls), selection, alias, self.span(start, end))

    def call(self) -> Call:
        start = self.expect(".")
        _, name, _ = self.tokens[self.i]
        self.i += 1
        self.expect("(")
        args: list[Value] = []
        while self.tokens[self.i][1] != ")":
            if args:
                self.expect(",")
            args.append(self.value())
        end = self.expect(")") + 1
        return Call(name, tuple(args), self.span(start, end))

    def value(self) -> Value:
        kind, text, at = self.tokens[self.i]
        self.i += 1
        span = self.span(at, at + len(text))
        if kind == "string":
            return StringValue(json.loads(text), True, span)
        if kind == "sqstring":
            return StringValue(text[1:-1], True, span)
        if _INT.match(text):
            return IntValue(int(text), span)
        if text in ("true", "false"):
            return BoolValue(text == "true", span)
        if text == "null":
            return NullValue(span)
        return StringValue(text, False, span)


def parse(text: str) -> Selection:
    """Parse ``text`` (no ``fields=`` prefix, no friendly errors)."""
    parser = _Parser(text)
    sel = parser.selection()
    if parser.tokens[parser.i][0] != "end":
        raise ValueError(f"unexpected {parser.tokens[parser.i][1]!r}")
    return sel
