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
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from graphfields.compiler.cache import WeightedLRU
from graphfields.syntax.ast import Value
from graphfields.syntax.parse import parse, parse_value

__all__ = ["Template", "TemplateCache", "template_key"]

TEMPLATE_BUDGET = 4 * 2**20
"""Bytes (estimated) of templates kept per schema."""


Bound = tuple[tuple[Any, ...], int]
"""A plan's ``(args, cost)``, as :meth:`~graphfields.compiler.bind.Binder.bind` makes them."""


class Template:
    """A compiled request text: where its values are, its shape, and what its values bound
    to (``bound``) with the request filters ``filters`` (frozen, as the plan cache keys
    them): a request differing only in one cursor rebinds just that cursor."""

    __slots__ = ("bound", "filters", "shape_key", "spans", "text", "values")

    def __init__(self, text: str, values: Sequence[Value], shape_key: Hashable,
                 bound: Bound, filters: Hashable) -> None:
        self.text = text
        self.values = tuple(values)
        self.spans = tuple((v.span.start, v.span.end) for v in values)
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
                          200 + 2 * len(text) + 120 * len(values))

    def match(self, key: Hashable, text: str) -> tuple[Template, int, list[Value]] | None:
        """``(template, index of the value that differs, argument values)`` of ``text``
        read through a template, or ``None`` when it must be parsed in full."""
        tpl = self.kept.get(key)
        if tpl is None:
            return None
        known = tpl.text
        grow = len(text) - len(known)
        for i, (a0, a1) in enumerate(tpl.spans):
            if (a0 + len(known) - a1 <= len(text) and text.startswith(known[:a0])
                    and text.endswith(known[a1:])):
                value = _one_value(text[a0:a1 + grow])
                if value is None or type(value) is not type(tpl.values[i]):
                    return None
                values = list(tpl.values)
                values[i] = value
                return tpl, i, values
        return None


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
