"""Positions in request text and the caret excerpt every positioned error prints."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Span", "excerpt", "line_col"]


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node sits in the source text.

    ``start``/``end`` are 0-based character offsets (end exclusive); ``line`` and
    ``column`` are 1-based and describe ``start``.
    """

    start: int
    end: int
    line: int = field(default=1)
    column: int = field(default=1)


def line_col(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of offset ``pos`` in ``text``."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


_MAX_EXCERPT = 80


def excerpt(text: str, pos: int) -> str:
    """The line holding ``pos`` and a caret under it, windowed to stay readable."""
    pos = max(0, min(pos, len(text)))
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    if end == -1:
        end = len(text)
    line = text[start:end]
    col = pos - start
    if len(line) > _MAX_EXCERPT:
        lo = max(0, col - _MAX_EXCERPT // 2)
        hi = min(len(line), lo + _MAX_EXCERPT)
        lo = max(0, hi - _MAX_EXCERPT)
        prefix = "..." if lo > 0 else ""
        suffix = "..." if hi < len(line) else ""
        line = prefix + line[lo:hi] + suffix
        col = col - lo + len(prefix)
    # Control characters would shift the caret; show them as '?'.
    shown = "".join(ch if ch.isprintable() else "?" for ch in line)
    return f"{shown}\n{' ' * col}^"
