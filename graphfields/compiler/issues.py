"""Collecting a request's mistakes, each with its position, at most :data:`MAX_ISSUES`."""

from __future__ import annotations

from collections.abc import Sequence

from graphfields._source import Span, line_col
from graphfields.errors import ValidationIssue
from graphfields.suggest import did_you_mean, suggestions
from graphfields.syntax.ast import Call

__all__ = ["MAX_ISSUES", "Issues", "TooManyIssues"]

MAX_ISSUES = 20
"""At most this many issues are reported for one request (then validation stops)."""


class TooManyIssues(Exception):
    """Internal: the issue list is full; stop walking."""


class Issues:
    """The issues of one request; positions are offsets in ``text`` (``""`` when an AST
    was given, whose spans carry their own line and column)."""

    __slots__ = ("items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[ValidationIssue] = []

    def add(self, message: str, at: Span | int, names: Sequence[str] = ()) -> None:
        """Record one issue at a node's span (or an offset in the text; 0 = no place)."""
        if isinstance(at, Span):
            position = at.start
            line, column = line_col(self.text, position) if self.text else (at.line, at.column)
        else:
            position = at
            line, column = line_col(self.text, position) if self.text else (1, 1)
        self.items.append(ValidationIssue(message, position, line, column, tuple(names)))
        if len(self.items) >= MAX_ISSUES:
            raise TooManyIssues

    def unknown(
        self, what: str, name: str, on: str, options: Sequence[str], at: Span | int,
        tail: str = "",
    ) -> None:
        """``Cannot query field "x" on type "T". Did you mean "y"?`` and the like."""
        names = suggestions(name, options)
        where = f" {on}" if on else ""
        self.add(f'{what} "{name}"{where}.{did_you_mean(names)}{tail}', at, names)

    def call_pos(self, call: Call) -> Span | int:
        """Where the call's name is written (its span starts at the dot)."""
        start, end = call.span.start, call.span.end
        if self.text and end > start:
            found = self.text.find(call.name, start, end)
            if found >= 0:
                return found
        return call.span
