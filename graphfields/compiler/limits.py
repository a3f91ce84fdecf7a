"""Checking a parsed request against :class:`Limits` (the one limits class, defined with
the language in :mod:`graphfields.syntax.limits`), before anything walks it."""

from __future__ import annotations

import functools

from graphfields.errors import LimitExceededError
from graphfields.syntax import DEFAULT_PARSE_LIMITS, MAX_SAFE_DEPTH, Limits
from graphfields.syntax.ast import Field, Selection

__all__ = ["DEFAULT_LIMITS", "MAX_DEPTH_CEILING", "Limits", "check_size", "parse_limits"]

MAX_DEPTH_CEILING = MAX_SAFE_DEPTH
"""Hashing and validating the AST recurse; deeper than this is never a real request. It is
the parser's own ceiling, so ``Limits`` accepts no depth that ``parse`` would refuse."""


DEFAULT_LIMITS = Limits()


def check_size(sel: Selection, text: str, limits: Limits) -> None:
    """Raise if the selection as written is nested deeper or has more fields than allowed.

    Iterative, and run before anything hashes or walks the AST recursively, so a
    pathological request costs one linear pass and cannot exhaust the stack.
    """
    count = 0
    first_over: Field | None = None
    stack: list[tuple[Selection, int]] = [(sel, 0)]
    while stack:
        s, depth = stack.pop()
        for f in s.fields:
            count += 1
            if count == limits.max_fields + 1:
                first_over = f
            if f.selection is not None:
                if depth + 1 > limits.max_depth:
                    at = f.selection.fields[0] if f.selection.fields else f
                    raise LimitExceededError(
                        "Selection is nested too deeply: depth "
                        f"{depth + 1} exceeds max_depth={limits.max_depth}.",
                        text, at.span.start, "max_depth",
                    )
                stack.append((f.selection, depth + 1))
    if first_over is not None:
        raise LimitExceededError(
            f"Selection has too many fields: {count} exceeds max_fields={limits.max_fields}.",
            text, first_over.span.start, "max_fields",
        )


@functools.lru_cache(maxsize=64)
def parse_limits(limits: Limits) -> Limits | None:
    """Parser limits looser than ``limits`` by at least one, so that ours decide and word the
    error (an equal parser limit fired first, with the parser's wording and position); only
    at the parser's own ceiling of 64 levels does the parser still answer."""
    d = DEFAULT_PARSE_LIMITS
    if (limits.max_depth < d.max_depth and limits.max_fields < d.max_fields
            and limits.max_length == d.max_length):
        return None
    return Limits(
        max_length=limits.max_length,
        max_depth=min(MAX_SAFE_DEPTH, max(limits.max_depth + 1, d.max_depth)),
        max_fields=max(limits.max_fields + 1, d.max_fields),
    )
