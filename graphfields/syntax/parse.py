"""``parse``: text -> AST, with limits and a cache of results by input string."""

from __future__ import annotations

import functools

from graphfields.errors import FieldsSyntaxError
from graphfields.syntax import _lark
from graphfields.syntax.ast import Selection, Value
from graphfields.syntax.build import BuildError
from graphfields.syntax.limits import DEFAULT_PARSE_LIMITS, ParseLimits, check_length

__all__ = ["parse", "parse_value"]

# Strings longer than this are parsed without caching, so the cache stays small.
_CACHE_TEXT_MAX = 10_000


def parse(text: str, *, limits: ParseLimits | None = None, cache: bool = True) -> Selection:
    """Parse a field selection such as ``id,media.first(3){id}`` (a leading ``fields=`` is ok).

    Raises :class:`FieldsSyntaxError` for bad syntax and :class:`LimitExceededError` when
    ``limits`` (default :data:`DEFAULT_PARSE_LIMITS`) are exceeded. Results are cached by input
    string (the AST is immutable); ``cache=False`` parses afresh.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs a str, not {type(text).__name__}")
    if limits is not None and not isinstance(limits, ParseLimits):
        raise TypeError(f"parse() needs limits=Limits(...), not {type(limits).__name__}")
    if cache and len(text) <= _CACHE_TEXT_MAX:
        if limits is None or limits is DEFAULT_PARSE_LIMITS:
            return _parse_default_cached(text)
        return _parse_cached(text, limits)
    return _parse(text, DEFAULT_PARSE_LIMITS if limits is None else limits)


@functools.lru_cache(maxsize=2048)
def _parse_default_cached(text: str) -> Selection:
    return _parse(text, DEFAULT_PARSE_LIMITS)


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str, limits: ParseLimits) -> Selection:
    return _parse(text, limits)


def _parse(text: str, limits: ParseLimits) -> Selection:
    check_length(text, limits)
    try:
        return _lark.parse(text, limits)
    except BuildError as exc:
        raise FieldsSyntaxError(exc.message, text, exc.position, exc.expected) from None


def parse_value(text: str) -> Value | None:
    """``text`` as a call's argument on its own (``"YXJy..."``, ``3``, ``'a b'``), when it
    is exactly one value token: the Value a full parse gives it there. ``None`` when it is
    anything else (whitespace around it included); only a full parse can say more."""
    return _lark.lone_value(text)
