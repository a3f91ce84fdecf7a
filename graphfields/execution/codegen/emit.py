"""The generator's base: the generated module's namespace, names, constants and reads.

Every name or alias the generator writes into source goes through ``repr()``, and
attribute syntax is used only for identifiers, so a field name cannot inject code.
"""

from __future__ import annotations

import datetime as _dt
import keyword
from collections.abc import Callable
from typing import Any

from graphfields import relay, scalars, schema, sources
from graphfields.execution import batches, runtime
from graphfields.execution.runtime import (
    Fail,
    call_value,
    item_converter,
    scalar_converter,
    scalar_slow,
)
from graphfields.plan import READ, ConnectionPlan, FieldPlan, ObjectPlan, ScalarPlan, SelectionPlan
from graphfields.scalars import DAY, FAST_SECONDS_END

__all__ = ["INLINE_DEPTH", "MISS_LIMIT", "Emitter"]

MISS_LIMIT = 16
"""After this many dicts of one selection lacked a key, read that selection with ``.get``."""

INLINE_DEPTH = 6
"""Object selections nested at most this deep are inlined into their parent's literal."""


def _locate(exc: Exception, x: Any, sel: SelectionPlan) -> Fail:
    """Find which plain field of ``x`` failed by reading them again (error path only)."""
    fail = Fail(exc)
    fail.item = x
    found = _failing_field(x, sel)
    if found is not None:
        fail = Fail(found[1], found[0])
        fail.item = x
    return fail


def _earlier(fail: Fail, x: Any, sel: SelectionPlan) -> Fail:
    """A field computed ahead of the literal (a resolver, a connection, a nested
    selection) failed: a plain read written before it in the request that fails too is
    the one to report, as the interpreter, walking in request order, does. Error path
    only."""
    if not fail.segments:
        return fail
    key = fail.segments[-1]
    upto = next((i for i, fp in enumerate(sel.fields) if fp.key == key), 0)
    found = _failing_field(x, sel, upto) if upto else None
    return fail if found is None else Fail(found[1], found[0])


def _failing_field(x: Any, sel: SelectionPlan, upto: int | None = None,
                   ) -> tuple[list[Any], Exception] | None:
    """(segments innermost first, exception) of the first plain read of ``x`` that
    fails (among the first ``upto`` fields), descending into inlined object fields;
    None if every read succeeds now."""
    try:
        x = call_value(x)
    except Exception as again:
        return [], again
    if x is None:
        return None
    for fp in sel.fields[:upto]:
        if fp.how != READ:
            continue
        try:
            value = sources.read(x, fp.field.source)
            if isinstance(fp, ScalarPlan):
                scalar_converter(fp.field)(call_value(value))
        except Exception as again:
            return [fp.key], again
        if isinstance(fp, ObjectPlan) and not fp.field.is_list and value is not None:
            inner = _failing_field(value, fp.selection)
            if inner is not None:
                inner[0].append(fp.key)
                return inner
    return None


def _locate_in(exc: Exception, nodes: Any, sel: SelectionPlan) -> Fail:
    """:func:`_locate` for a list of inlined nodes: the first node with a failing read."""
    for node in nodes:
        found = _failing_field(node, sel)
        if found is not None:
            fail = Fail(found[1], found[0])
            fail.item = node
            return fail
    return Fail(exc)


def _u(fn: Callable[[Any, Any], Any], x: Any, c: Any) -> Any:
    """Call an inlined selection's own function for a non-dict value; a failure goes up
    as a plain exception, so the enclosing object's handler locates it."""
    try:
        return fn(x, c)
    except Fail as fail:
        raise fail.original from None


BASE_NAMESPACE: dict[str, Any] = {
    "__builtins__": {
        "type": type,
        "dict": dict,
        "list": list,
        "str": str,
        "callable": callable,
        "isinstance": isinstance,
        "getattr": getattr,
        "len": len,
        "enumerate": enumerate,
        "range": range,
        "zip": zip,
        "reversed": reversed,
        "id": id,
        "bool": bool,
        "None": None,
        "KeyError": KeyError,
        "AttributeError": AttributeError,
        "Exception": Exception,
    },
    "_Fail": Fail,
    "_call": call_value,
    "_aw": runtime.no_await,
    "_as_list": runtime.read_list,
    "_locate": _locate,
    "_earlier": _earlier,
    "_locate_in": _locate_in,
    "_u": _u,
    "_getter": sources.getter_for,
    "_attr": sources.attribute_getter,
    "_page": runtime.connection_page,
    "_Page": relay.Page,
    "_cur": relay.cursor,
    "_window": relay.window,
    "_index": runtime.index_of,
    "_path_to": runtime.path_to,
    "_drain": batches.drain,
    "_error": runtime.error,
    "_datetime": _dt.datetime,
    "_dates": scalars.DATES,
    "_iso": scalars.iso_seconds,
    "_clock": scalars.CLOCK,
    "_secs": scalars.SECONDS,
    "_no_root": runtime.no_root,
}


class Emitter:
    """Names, constants, and the expressions that read one value."""

    def __init__(self, dict_fast: bool) -> None:
        self.ns: dict[str, Any] = dict(BASE_NAMESPACE)
        self.out: list[str] = []
        self.count = 0
        self.slow_names: dict[int, str] = {}
        # ``type(x) is dict`` branches read dicts by key; off when a getter is registered
        # for dict (graphfields.sources.register), which the generic branch then honours.
        self.dict_fast = dict_fast
        misses: dict[str, int] = {}
        ns = self.ns

        def miss(name: str) -> None:
            misses[name] = count = misses.get(name, 0) + 1
            if count == MISS_LIMIT:
                ns[name] = ns[f"{name}_l"]

        self.ns["_miss"] = miss

        def miss_list(flag: list[Any]) -> None:
            flag.append(None)  # one entry per miss; the first slot is the switch
            if len(flag) > MISS_LIMIT:
                flag[0] = True

        self.ns["_miss_list"] = miss_list

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any, prefix: str = "_k") -> str:
        n = self.name(prefix)
        self.ns[n] = value
        return n

    def access(self, mode: str, src: str, strict: bool, var: str = "x") -> str:
        if mode == "dict":
            return f"{var}[{src!r}]" if strict else f"{var}.get({src!r})"
        if mode == "attr":
            if strict and src.isidentifier() and not keyword.iskeyword(src):
                return f"{var}.{src}"
            return f"getattr({var}, {src!r}, None)"
        return f"g({var}, {src!r})"

    def simple(self, sel: SelectionPlan, budget: int = INLINE_DEPTH) -> bool:
        """Only plain reads, down through at most ``budget`` levels of single objects:
        can be inlined as one expression (bounded: CPython limits nested parentheses)."""
        if budget <= 0 or not self.dict_fast:
            return False
        for fp in sel.fields:
            if fp.how != READ or isinstance(fp, ConnectionPlan):
                return False
            if isinstance(fp, ObjectPlan) and (
                fp.field.is_list or not self.simple(fp.selection, budget - 1)
            ):
                return False
        return True

    def inlinable(self, fp: FieldPlan) -> bool:
        return (
            isinstance(fp, ObjectPlan)
            and not fp.field.is_list
            and fp.how == READ
            and self.simple(fp.selection)
        )

    def scalar_read(self, fp: ScalarPlan, access: str) -> str:
        """Expression for a plain scalar read: values already in their JSON form pass
        (``type(v) is str``), and so does ``None``; anything else goes through the
        scalar's serializer, which calls callables and raises for a value the scalar
        cannot represent."""
        rf = fp.field
        scalar = rf.scalar
        ser = scalar.serialize if scalar is not None else None
        slow = self.slow(rf)
        fast = scalar.json_type if scalar is not None else None
        if rf.is_list:
            if fast is not None:
                item = self.const(item_converter(rf), "_it")
                t = self.type_name(fast)
                return (f"([w if type(w) is {t} else {item}(w) for w in v] "
                        f"if type(v := {access}) is list else None if v is None else {slow}(v))")
            return f"(None if (v := {access}) is None else {slow}(v))"
        if ser is None:
            return f"(_call(v) if callable(v := {access}) else v)"
        if scalar is schema.Datetime:
            # UNIX seconds (what stores hold) and naive datetimes inline; the rest serialized
            # scalars.iso_seconds inline: a day already seen is in range (no comparison of
            # these large ints, which CPython does not specialise); a new one is checked
            t = self.type_name(int)
            return (
                f"(f'{{d}}{{_clock[v % {DAY} // 60]}}{{_secs[v % 60]}}' if type(v := {access}) "
                f"is {t} and (d := _dates.get(v // {DAY})) is not None else "
                f"_iso(v) if type(v) is {t} and 0 <= v < {FAST_SECONDS_END} else "
                f"v.isoformat(timespec='seconds') if type(v) is _datetime and v.tzinfo is None "
                f"else None if v is None else {slow}(v))"
            )
        if fast is not None:
            return (f"(v if type(v := {access}) is {self.type_name(fast)} or v is None "
                    f"else {slow}(v))")
        return f"(None if (v := {access}) is None else {slow}(v))"

    def type_name(self, cls: type) -> str:
        """The module-level name of a type constant (one per type)."""
        name = f"_t_{cls.__name__}"
        self.ns.setdefault(name, cls)
        if self.ns[name] is not cls:
            name = self.const(cls, "_t")
        return name

    def slow(self, rf: schema.ResolvedField) -> str:
        name = self.slow_names.get(id(rf))
        if name is None:
            name = self.slow_names[id(rf)] = self.const(scalar_slow(scalar_converter(rf)), "_s")
        return name
