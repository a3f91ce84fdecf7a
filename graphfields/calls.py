"""Declared calls: what ``.name(arg, ...)`` a field accepts, and how its arguments convert.

A call's parameter is a :class:`Param`: its kind (integer with a range, string, enum of
bare words, boolean, cursor, date, timestamp, a list of one of these for
``metric(a,b)``), whether it is required and its default. Any field may declare calls::

    field_(String, calls={"type": calls.enum("small", "normal", "large", default="normal"),
                          "width": calls.integer(min=1, max=2048)},
           resolve=lambda user, args, context: picture_url(user, **args))

Its resolver then receives the converted arguments as a dict (every declared call, the
defaults filled in, absent optional calls as ``None``): ``resolve(parent, args, context)``,
``batch(parents, args, context)``.

Connections take the calls of :data:`CONNECTION_CALLS`, rows of the same kind: ``first``,
``last``, ``limit`` (Facebook's name for ``first``), ``offset``, ``after``, ``before`` and,
on a connection whose nodes have a timestamp field, the date filters ``from_date``,
``to_date``, ``from_timestamp``, ``to_timestamp``. Validation, the cost estimate and both
executors read these rows; adding a connection call is one row here plus, where it changes
data access, the field of :class:`graphfields.schema.ConnectionArgs` it sets.

Every conversion is a pure function of the argument's value: the compiler runs it when a
request of a new shape is checked, and again for each later request of the same shape
with that request's values (so a shape's plan is reused while its arguments change).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphfields.relay import decode_cursor
from graphfields.syntax.ast import BoolValue, IntValue, NullValue, StringValue, Value

__all__ = [
    "CONNECTION_CALLS",
    "DATE_FILTERS",
    "PAGING_CALLS",
    "ConnectionCall",
    "Param",
    "boolean",
    "cursor",
    "date",
    "enum",
    "integer",
    "list_of",
    "string",
    "timestamp",
]

_MISSING: Any = object()

KINDS = ("integer", "string", "enum", "boolean", "cursor", "date", "timestamp", "page_size")


@dataclass(frozen=True, slots=True)
class Param:
    """What one call takes. Build it with :func:`integer`, :func:`string`, :func:`enum`,
    :func:`boolean`, :func:`cursor`, :func:`date`, :func:`timestamp`, :func:`list_of`.

    ``many``: the call takes one or more arguments (``metric(a,b)``), converted to a tuple.
    ``default``: the value a resolver gets when the call is absent (``None`` if not given).
    """

    kind: str
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    many: bool = False
    required: bool = False
    default: Any = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown call parameter kind {self.kind!r}")
        if self.kind == "enum" and not self.choices:
            raise ValueError("calls.enum() needs at least one allowed value")

    @property
    def label(self) -> str:
        """The kind in words, for messages and documentation."""
        one = {
            "integer": "an integer", "string": "a string", "boolean": "true or false",
            "cursor": "a cursor string", "date": "a date (yyyy-mm-dd)",
            "timestamp": "an integer UNIX timestamp", "page_size": "an integer",
            "enum": "one of " + ", ".join(self.choices),
        }[self.kind]
        if self.kind == "integer" and (self.min is not None or self.max is not None):
            one = f"an integer {_range_words(self.min, self.max)}"
        return f"one or more of {one}" if self.many else one


def _range_words(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo} to {hi}"
    return f"of at least {lo}" if lo is not None else f"of at most {hi}"


def integer(*, min: int | None = None, max: int | None = None, required: bool = False,
            default: int | None = None, description: str = "") -> Param:
    """An integer argument, optionally within ``[min, max]``: ``width(100)``."""
    return Param("integer", min=min, max=max, required=required, default=default,
                 description=description)


def string(*, required: bool = False, default: str | None = None,
           description: str = "") -> Param:
    """A string argument, quoted or a bare word (a bare integer reads as its digits)."""
    return Param("string", required=required, default=default, description=description)


def enum(*choices: str, required: bool = False, default: str | None = None,
         description: str = "") -> Param:
    """One of the given words: ``type(large)``."""
    if default is not None and default not in choices:
        raise ValueError(f"calls.enum(): default {default!r} is not one of {choices!r}")
    return Param("enum", choices=tuple(choices), required=required, default=default,
                 description=description)


def boolean(*, required: bool = False, default: bool | None = None,
            description: str = "") -> Param:
    """``true`` or ``false``: ``summary(true)``."""
    return Param("boolean", required=required, default=default, description=description)


def cursor(*, required: bool = False, description: str = "") -> Param:
    """A cursor of :mod:`graphfields.relay` (the resolver gets its decoded offset)."""
    return Param("cursor", required=required, description=description)


def date(*, required: bool = False, description: str = "") -> Param:
    """A ``yyyy-mm-dd`` date (the resolver gets a :class:`datetime.date`)."""
    return Param("date", required=required, description=description)


def timestamp(*, required: bool = False, description: str = "") -> Param:
    """An integer UNIX timestamp (at most 18 digits)."""
    return Param("timestamp", required=required, description=description)


def list_of(param: Param, *, required: bool = False, description: str = "") -> Param:
    """One or more arguments of ``param``'s kind: ``metric(post_impressions,post_clicks)``;
    the resolver gets a tuple."""
    if param.many:
        raise ValueError("calls.list_of() takes a single-valued parameter")
    return Param(param.kind, min=param.min, max=param.max, choices=param.choices, many=True,
                 required=required, default=None if param.default is None else (param.default,),
                 description=description or param.description)


# -- connection calls -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionCall:
    """A row of the connection call table: its parameter and the argument it sets.

    ``sets`` names the :class:`~graphfields.schema.ConnectionArgs` field; ``dated`` calls
    exist only on connections with a ``timestamp_field``."""

    param: Param
    sets: str
    dated: bool = False
    description: str = ""


CONNECTION_CALLS: dict[str, ConnectionCall] = {
    "first": ConnectionCall(Param("page_size"), "first", description="the first n items"),
    "last": ConnectionCall(Param("page_size"), "last", description="the last n items"),
    "limit": ConnectionCall(Param("page_size"), "first",
                            description="the first n items (Facebook's name for first)"),
    "offset": ConnectionCall(Param("integer", min=0), "offset",
                             description="skip k items (after after/before, before first/last)"),
    "after": ConnectionCall(Param("cursor"), "after", description="items after this cursor"),
    "before": ConnectionCall(Param("cursor"), "before", description="items before this cursor"),
    "from_date": ConnectionCall(Param("date"), "since", True, "from this day (UTC), inclusive"),
    "to_date": ConnectionCall(Param("date"), "until", True, "up to this day (UTC), inclusive"),
    "from_timestamp": ConnectionCall(Param("timestamp"), "since", True,
                                     "from this UNIX time, inclusive"),
    "to_timestamp": ConnectionCall(Param("timestamp"), "until", True,
                                   "up to this UNIX time, inclusive"),
}

DATE_FILTERS = tuple(n for n, row in CONNECTION_CALLS.items() if row.dated)
"""The date filter calls, also accepted as request-level ``filters=`` of :func:`compile`."""
PAGING_CALLS = tuple(n for n, row in CONNECTION_CALLS.items() if not row.dated)


# -- converting one value ---------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_INTEGER = re.compile(r"-?[0-9]{1,18}\Z")
MAX_TIMESTAMP = 10**18 - 1
"""Timestamps have at most 18 digits, as text or as an ``int``: every bound then fits the
64-bit integers of a database (SQLite raises ``OverflowError`` beyond them)."""
_EPOCH_DAY = _dt.date(1970, 1, 1)


def show(value: Value) -> str:
    """A call argument as the user would recognise it in a message."""
    if isinstance(value, StringValue):
        return show_raw(value.value)
    if isinstance(value, IntValue):
        return str(value.value)
    if isinstance(value, NullValue):
        return "null"
    return "true" if value.value else "false"


def show_raw(value: object) -> str:
    """A raw value in a message; strings JSON-quoted (lone surrogates escaped, so every
    message can be encoded)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value)
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def day_start(d: _dt.date) -> int:
    """UNIX seconds of the day's first second, UTC."""
    return (d - _EPOCH_DAY).days * 86_400


def _date(text: str) -> _dt.date | None:
    if _DATE.match(text):
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def filter_seconds(name: str, raw: object, shown: str | None = None) -> tuple[int | None, str]:
    """Seconds for a date filter's value (``from_date``..``to_timestamp``), or ``None`` and
    the reason it is invalid. ``raw`` is a ``str`` or ``int`` (a call argument or a
    request-level filter as received)."""
    shown = show_raw(raw) if shown is None else shown
    if name.endswith("_date"):
        d = _date(raw) if isinstance(raw, str) else None
        if d is None:
            return None, f"{shown} is not a date in yyyy-mm-dd format"
        start = day_start(d)
        return (start if name == "from_date" else start + 86_399), ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if -MAX_TIMESTAMP <= raw <= MAX_TIMESTAMP:
            return raw, ""
        return None, f"{shown} is out of range (at most 18 digits)"
    if isinstance(raw, str) and _INTEGER.match(raw):
        return int(raw), ""
    return None, f"{shown} is not an integer UNIX timestamp"


def convert(param: Param, arg: Value, call: str, where: str, max_size: int = 0,
            ) -> tuple[Any, str | None]:
    """Convert one argument of ``call`` (``where`` is ``on field "f"``): ``(value, None)``
    or ``(None, message)``. ``max_size`` bounds a connection's page size."""
    kind = param.kind
    if kind == "page_size" or kind == "integer":
        if not isinstance(arg, IntValue):
            return None, f'Call "{call}" {where} expects an integer, got {show(arg)}.'
        n = arg.value
        if kind == "page_size":
            if n < 0:
                return None, (f'Call "{call}" {where} expects a non-negative integer, '
                              f"got {n}.")
            if n > max_size:
                return None, (f'Call "{call}" {where} asks for {n} items, above the '
                              f"maximum of {max_size}.")
            return n, None
        if (param.min is not None and n < param.min) or (param.max is not None
                                                           and n > param.max):
            return None, (f'Call "{call}" {where} expects an integer '
                          f"{_range_words(param.min, param.max)}, got {n}.")
        return n, None
    if kind == "cursor":
        if not isinstance(arg, StringValue):
            return None, f'Call "{call}" {where} expects a cursor string, got {show(arg)}.'
        offset = decode_cursor(arg.value)
        if offset is None:
            return None, f'Invalid cursor {show(arg)} in call "{call}" {where}.'
        return offset, None
    if kind in ("date", "timestamp"):
        raw: object = arg.value
        if isinstance(arg, IntValue) and kind == "date":
            raw = str(arg.value)
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raw = show(arg)  # true/false/null: reported with their spelling
        name = call if call in DATE_FILTERS else ("from_date" if kind == "date"
                                                  else "from_timestamp")
        seconds, reason = filter_seconds(name, raw, show(arg))
        if seconds is None:
            return None, f'Invalid value for call "{call}" {where}: {reason}.'
        if call in DATE_FILTERS:
            return seconds, None
        return (_dt.date.fromisoformat(str(raw)) if kind == "date" else seconds), None
    if kind == "boolean":
        if not isinstance(arg, BoolValue):
            return None, f'Call "{call}" {where} expects true or false, got {show(arg)}.'
        return arg.value, None
    # string and enum: a bare integer reads as its digits
    if isinstance(arg, IntValue):
        text = str(arg.value)
    elif isinstance(arg, StringValue):
        text = arg.value
    else:
        return None, f'Call "{call}" {where} expects {param.label}, got {show(arg)}.'
    if kind == "enum" and text not in param.choices:
        from graphfields.suggest import did_you_mean, suggestions

        hint = did_you_mean(suggestions(text, param.choices))
        allowed = ", ".join(param.choices)
        return None, (f'Invalid value {show_raw(text)} for call "{call}" {where}: expected '
                      f"one of {allowed}.{hint}")
    return text, None


def convert_call(param: Param, args: Sequence[Value], call: str, where: str,
                 max_size: int = 0) -> tuple[Any, list[tuple[str, int]]]:
    """Convert every argument of one call: ``(value, [])`` or ``(None, [(message, index
    of the argument it is about), ...])`` (index -1: the call itself)."""
    if param.many:
        if not args:
            return None, [(f'Call "{call}" {where} takes at least 1 argument, got 0.', -1)]
        values = []
        problems: list[tuple[str, int]] = []
        for i, arg in enumerate(args):
            value, message = convert(param, arg, call, where, max_size)
            if message is not None:
                problems.append((message, i))
            values.append(value)
        return (None if problems else tuple(values)), problems
    if len(args) != 1:
        return None, [(f'Call "{call}" {where} takes 1 argument, got {len(args)}.',
                       1 if len(args) > 1 else -1)]
    value, message = convert(param, args[0], call, where, max_size)
    return value, [] if message is None else [(message, 0)]
