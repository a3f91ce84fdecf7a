"""Recognising a request that differs from a known one in one argument, without parsing it.

Paging traffic is one request text after another that differ only in a cursor. For each
request text compiled in full, the compiler keeps a *template*: the text and where each
argument value was written in it. A new text that equals a template's outside one
argument's place (two string comparisons) has only that argument to read: the new
argument text is parsed on its own, by the same grammar, as the sole argument of a call
(``_.x(<argument>)``), and must come back as exactly one value of the same kind. The
request then has the template's shape and the template's values with that one replaced,
which is what a full parse would give: the rest of the text is the same characters, and a
complete value token ends at the same place in both texts. Anything else (two arguments
changed, a different kind, text that is not one value) falls back to the full parse.

The commonest case is shorter still: a new cursor written as the API writes them (a
double-quoted canonical cursor, :func:`plain_cursor`) in the place of a lone cursor (one
that only moves its page) is not read as a value at all: its offset is decoded and only
that connection's ``after``/``before`` is bound again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from graphfields.compiler.cache import WeightedLRU
from graphfields.relay import decode_cursor
from graphfields.syntax.ast import StringValue, Value
from graphfields.syntax.parse import parse, parse_value

__all__ = ["Template", "TemplateCache", "is_string", "plain_cursor", "template_key",
           "values_of"]

TEMPLATE_BUDGET = 4 * 2**20
"""Bytes (estimated) of templates kept per schema."""


Bound = tuple[tuple[Any, ...], int]
"""A plan's ``(args, cost)``, as :meth:`~graphfields.compiler.bind.Binder.bind` makes them."""


class Template:
    """A compiled request text: where its values are, its shape, and what its values bound
    to (``bound``) with the request filters ``filters`` (frozen, as the plan cache keys
    them): a request differing only in one cursor rebinds just that cursor."""

    __slots__ = ("bound", "cuts", "filters", "shape_key", "text", "values")

    def __init__(self, text: str, values: Sequence[Value], shape_key: Hashable,
                 bound: Bound, filters: Hashable) -> None:
        self.text = text
        self.values = tuple(values)
        # per value: the text before and after it, and its span
        self.cuts = tuple((text[:v.span.start], text[v.span.end:], v.span.start, v.span.end)
                          for v in values)
        self.shape_key = shape_key
        self.bound = bound
        self.filters = filters


def template_key(text: str) -> tuple[str, str] | None:
    """What a template and a matching request share: the text before the first ``(``
    and after the last ``)`` (``None``: no calls, nothing to match)."""
    start, end = text.find("("), text.rfind(")")
    if start < 0 or end < start:
        return None
    return text[:start], text[end + 1:]


class TemplateCache:
    """Templates by (root type, limits, filter names, :func:`template_key`)."""

    __slots__ = ("kept",)

    def __init__(self) -> None:
        self.kept: WeightedLRU[Template] = WeightedLRU(TEMPLATE_BUDGET)

    def add(self, key: Hashable, text: str, values: Sequence[Value],
            shape_key: Hashable, bound: Bound, filters: Hashable) -> None:
        if values and all(v.span.end > v.span.start for v in values):
            self.kept.put(key, Template(text, values, shape_key, bound, filters),
                          200 + 2 * len(text) * (1 + len(values)) + 120 * len(values))

    def find(self, key: Hashable, text: str) -> tuple[Template, int, str] | None:
        """``(template, index of the value that may differ, the text in its place)`` of
        ``text``: the template's text with one argument written differently, or ``None``.
        Whether that text is one value is for :func:`values_of` to say."""
        tpl = self.kept.get(key)
        if tpl is None:
            return None
        grow = len(text) - len(tpl.text)
        for i, (before, after, a0, a1) in enumerate(tpl.cuts):
            if a1 - a0 + grow >= 0 and text.startswith(before) and text.endswith(after):
                return tpl, i, text[a0:a1 + grow]
        return None


def values_of(tpl: Template, i: int, argument: str) -> list[Value] | None:
    """The template's argument values with ``argument`` (the text of one value) at ``i``,
    or ``None`` when it is not one value of the same kind (then parse in full)."""
    value = _one_value(argument)
    if value is None or type(value) is not type(tpl.values[i]):
        return None
    values = list(tpl.values)
    values[i] = value
    return values


def plain_cursor(argument: str) -> int | None:
    """The offset of ``argument`` when it is a double-quoted cursor as the API writes them
    (canonical base64 of ``arrayconnection:N``, which has neither quotes nor
    backslashes: the text is exactly one string token, its value the text inside the
    quotes); ``None`` for anything else, which is then read as a value in full."""
    if len(argument) < 2 or argument[0] != '"' or argument[-1] != '"':
        return None
    return decode_cursor(argument[1:-1])


def is_string(tpl: Template, i: int) -> bool:
    """Whether the template's value at ``i`` is a string (what a cursor must be)."""
    return type(tpl.values[i]) is StringValue


def _one_value(argument: str) -> Any:
    """The value ``argument`` is when written as a call's only argument, else ``None``."""
    value = parse_value(argument)  # one token, as a new cursor is: no parse
    if value is not None:
        return value
    try:
        sel = parse(f"_.x({argument})", cache=False)
    except ValueError:
        return None
    (field,) = sel.fields if len(sel.fields) == 1 else (None,)
    if field is None or field.selection is not None or field.alias is not None:
        return None
    if len(field.calls) != 1 or len(field.calls[0].args) != 1:
        return None
    return field.calls[0].args[0]
