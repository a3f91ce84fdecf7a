"""Plan x data -> plain dict, through Python code generated once per plan.

``execute(plan, data)`` generates Python source for the plan on first use, compiles it
and caches the result in ``plan.runner``; later calls run it directly. The generated
code is what one would write by hand for that one request:

- one function per selection, with a branch per kind of parent checked once per
  object (``type(x) is dict``; plain objects; types with a registered getter), and in
  each branch one dict literal in request order: ``{"id": x["id"], ...}`` for dicts,
  ``x.id`` for objects, ``g(x, "id")`` for registered types;
- missing keys/attributes: the literal is retried with ``.get``/``getattr(.., None)``
  (a ``try`` costs nothing in CPython 3.11+ until it fires);
- plain scalars are inlined; only serializers (ID, Datetime) and callables cost calls;
- connections over lists are sliced in place (O(page)), with the window specialised
  on the request's constant arguments;
- batch resolvers (``field_(batch=...)`` and ``Connection(batch=...)``) are deferred:
  every parent of a field at the same place in the plan is collected during the walk,
  then each batch resolver runs once for all of them and the results are filled into
  the already-placed keys (so key order is kept); what a batch's results contain is
  walked the same way, so the next level is again one call per place.

Errors: any exception from user code (resolvers, getters, callables) becomes an
:class:`ExecutionError` whose ``path`` names the output position
(``media.edges[3].node.owner``) and whose ``__cause__`` is the original. Paths cost
nothing while nothing fails: they are assembled while the exception travels up, and
list indices are found by identity only then. To name the failing field of a plain
read, the fields of the failing object are read once more on that error path.

Every name or alias the generator writes into source goes through ``repr()``, and
attribute syntax is used only for identifiers, so a field name cannot inject code.
"""

from __future__ import annotations

import datetime as _dt
import keyword
from collections.abc import Callable
from typing import Any

from graphfields import schema as _schema
from graphfields import sources
from graphfields._runtime import (
    Fail,
    as_list,
    connection_page,
    effective_args,
    index_of,
    path_to,
    scalar_converter,
)
from graphfields.errors import ExecutionError
from graphfields.plan import (
    ConnectionPlan,
    EdgesPlan,
    FieldPlan,
    ObjectPlan,
    PageInfoPlan,
    Plan,
    ScalarPlan,
    SelectionPlan,
)
from graphfields.relay import cursor, window

__all__ = ["execute", "generated_source"]

Runner = Callable[[Any, Any], dict[str, Any]]

MISS_LIMIT = 16
"""After this many dicts of one selection lacked a key, read that selection with ``.get``."""

INLINE_DEPTH = 6
"""Object selections nested at most this deep are inlined into their parent's literal."""


def execute(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """Run ``plan`` over ``data`` (the root object: a Mapping, an object, ...).

    ``context`` is passed to every resolver. Returns plain dicts, lists and scalars,
    keys in request order. Raises :class:`ExecutionError` when user code fails.
    """
    try:
        runner: Runner | None = plan.runner
    except AttributeError:
        raise TypeError(
            f"execute() needs a Plan from compile(), not {type(plan).__name__}") from None
    if runner is None:
        runner = _build(plan)[0]
        plan.runner = runner  # benign race: two threads build equal runners
    return runner(data, context)


def generated_source(plan: Plan) -> str:
    """The Python source :func:`execute` generates for ``plan`` (for debugging)."""
    return _build(plan)[1]


# -- helpers the generated code calls (rarely: the hot path is inline) ---------------


def _call(value: Any) -> Any:
    """A callable read value: called, unless it is a class."""
    return value if isinstance(value, type) else value()


_BATCH_RESULT = "a batch resolver's result (one value per parent, in order)"


def _as_list(value: Any) -> Any:
    """A list field's read value as a list (callables called; None kept)."""
    if callable(value) and not isinstance(value, type):
        value = value()
    if value is None or type(value) is list:
        return value
    return as_list(value)


def _id(value: Any) -> Any:
    """ID serialization off the fast path (non-str values, callables, None)."""
    if callable(value) and not isinstance(value, type):
        value = value()
    if value is None:
        return None
    ser = _schema.ID.serialize
    return ser(value) if ser is not None else value


def _scalar_slow(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Wrap a field's converter so a callable read value is called first."""

    def slow(value: Any) -> Any:
        if callable(value) and not isinstance(value, type):
            value = value()
        return convert(value)

    return slow


def _locate(exc: Exception, x: Any, sel: SelectionPlan) -> Fail:
    """Find which plain field of ``x`` failed by reading them again (error path only)."""
    fail = Fail(exc)
    fail.item = x
    found = _failing_field(x, sel)
    if found is not None:
        fail = Fail(found[1], found[0])
        fail.item = x
    return fail


def _failing_field(x: Any, sel: SelectionPlan) -> tuple[list[Any], Exception] | None:
    """(segments innermost first, exception) of the first plain read of ``x`` that
    fails, descending into inlined object fields; None if every read succeeds now."""
    if callable(x) and not isinstance(x, type):
        try:
            x = x()
        except Exception as again:
            return [], again
    if x is None:
        return None
    for fp in sel.fields:
        if _user_resolved(fp):
            continue
        try:
            value = sources.read(x, fp.field.source)
            if isinstance(fp, ScalarPlan):
                scalar_converter(fp.field)(value)
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


def _drain(c: list[Any], root: Any, specs: tuple[tuple[Any, ...], ...]) -> None:
    """Run deferred batch resolvers, level after level, until none is pending."""
    busy = True
    while busy:
        busy = False
        for slot, key, batch, convert, is_list, label in specs:
            pending = c[slot]
            if not pending:
                continue
            busy = True
            c[slot] = []
            parents = [x for _, x in pending]
            try:
                values = as_list(batch(parents, c[0]), _BATCH_RESULT)
                if len(values) != len(parents):
                    raise ValueError(
                        f'batch resolver of "{label}" returned {len(values)} values for '
                        f"{len(parents)} parents"
                    )
            except Exception as exc:
                raise Fail(exc, [key, *reversed(path_to(root, pending[0][0]) or [])]) from None
            for (out, _), value in zip(pending, values, strict=True):
                try:
                    out[key] = convert(value, c)
                except Fail as fail:
                    if is_list:
                        fail.segments.append(index_of(value, fail.item))
                    fail.segments.append(key)
                    fail.segments.extend(reversed(path_to(root, out) or []))
                    raise
                except Exception as exc:
                    raise Fail(exc, [key, *reversed(path_to(root, out) or [])]) from None


def _error(fail: Fail) -> ExecutionError:
    err = ExecutionError(fail.path, fail.original)
    err.__cause__ = fail.original
    return err


def _no_root() -> TypeError:
    return TypeError("execute() needs a root object, got None")


# -- the generator --------------------------------------------------------------------

_BASE_NAMESPACE: dict[str, Any] = {
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
        "bool": bool,
        "None": None,
        "KeyError": KeyError,
        "AttributeError": AttributeError,
        "Exception": Exception,
    },
    "_Fail": Fail,
    "_call": _call,
    "_as_list": _as_list,
    "_id": _id,
    "_locate": _locate,
    "_locate_in": _locate_in,
    "_u": _u,
    "_getter": sources.getter_for,
    "_attr": sources.attribute_getter,
    "_page": connection_page,
    "_cur": cursor,
    "_window": window,
    "_index": index_of,
    "_drain": _drain,
    "_error": _error,
    "_no_root": _no_root,
    "_datetime": _dt.datetime,
}


def _is_batch(fp: FieldPlan) -> bool:
    """Resolved by a deferred batch call: ``Connection(batch=)``, or ``field_(batch=)``
    unless the connection's own ``resolve`` takes precedence."""
    conn = fp.field.connection
    if conn is not None and conn.batch is not None:
        return True
    if fp.field.definition.batch is None:
        return False
    return not (conn is not None and conn.resolve is not None)


def _user_resolved(fp: FieldPlan) -> bool:
    """Computed by a resolver rather than read from the parent."""
    d = fp.field.definition
    conn = fp.field.connection
    return (
        d.resolve is not None
        or d.batch is not None
        or (conn is not None and (conn.resolve is not None or conn.batch is not None))
    )


def _with_args(
    batch: Callable[[Any, Any, Any], Any], args: _schema.ConnectionArgs
) -> Callable[[Any, Any], Any]:
    """A connection batch resolver as a plain ``(parents, context)`` one."""

    def call(parents: Any, context: Any) -> Any:
        return batch(parents, args, context)

    return call


class _Generator:
    def __init__(self) -> None:
        self.ns: dict[str, Any] = dict(_BASE_NAMESPACE)
        self.out: list[str] = []
        self.count = 0
        # slot, key, fn, converter, is_list, "Type.field"
        self.batch_specs: list[tuple[int, str, str, str, bool, str]] = []
        self.slow_names: dict[int, str] = {}
        self.fallbacks: dict[int, str] = {}
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

    # ---- value expressions

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
        if budget <= 0:
            return False
        for fp in sel.fields:
            d = fp.field.definition
            if d.resolve is not None or d.batch is not None:
                return False
            if isinstance(fp, ConnectionPlan):
                return False
            if isinstance(fp, ObjectPlan) and (
                fp.field.is_list or not self.simple(fp.selection, budget - 1)
            ):
                return False
        return True

    def inlinable(self, fp: FieldPlan) -> bool:
        d = fp.field.definition
        return (
            isinstance(fp, ObjectPlan)
            and not fp.field.is_list
            and d.resolve is None
            and d.batch is None
            and self.simple(fp.selection)
        )

    def fallback(self, sel: SelectionPlan) -> str:
        """The full function of an inlined selection (for non-dict values); one each."""
        name = self.fallbacks.get(id(sel))
        if name is None:
            name = self.fallbacks[id(sel)] = self.selection(sel)
        return name

    def inline(
        self, sel: SelectionPlan, var: str, strict: bool, depth: int, bind: str | None = None
    ) -> str:
        """Expression building the output of ``sel`` for the value in ``var`` (first bound
        to the expression ``bind`` if given): a dict literal when it is a dict, else the
        selection's own function."""
        items = []
        for fp in sel.fields:
            acc = self.access("dict", fp.field.source, strict, var)
            if isinstance(fp, ScalarPlan):
                items.append(f"{fp.key!r}: {self.scalar_read(fp, acc)}")
            else:
                assert isinstance(fp, ObjectPlan)
                items.append(f"{fp.key!r}: {self.inline_field(fp, acc, strict, depth + 1)}")
        literal = "{" + ", ".join(items) + "}"
        test = f"type({var} := {bind}) is dict" if bind is not None else f"type({var}) is dict"
        return f"({literal} if {test} else _u({self.fallback(sel)}, {var}, c))"

    def inline_field(self, fp: ObjectPlan, access: str, strict: bool, depth: int) -> str:
        return self.inline(fp.selection, f"y{depth}", strict, depth, bind=access)

    def scalar_read(self, fp: ScalarPlan, access: str) -> str:
        """Expression for a plain scalar read (callables called, serializer applied)."""
        rf = fp.field
        scalar = rf.scalar
        ser = scalar.serialize if scalar is not None else None
        if rf.is_list:
            if ser is None:
                return f"(v[:] if type(v := {access}) is list else {self.slow(rf)}(v))"
            return f"(None if (v := {access}) is None else {self.slow(rf)}(v))"
        if ser is None:
            return f"(_call(v) if callable(v := {access}) else v)"
        if scalar is _schema.ID:
            return f"(v if type(v := {access}) is str else _id(v))"
        if scalar is _schema.Datetime:
            return (
                f"(v.isoformat(timespec='seconds') if type(v := {access}) is _datetime"
                f" and v.tzinfo is None else {self.slow(rf)}(v))"
            )
        return f"(None if (v := {access}) is None else {self.slow(rf)}(v))"

    def slow(self, rf: _schema.ResolvedField) -> str:
        name = self.slow_names.get(id(rf))
        if name is None:
            name = self.slow_names[id(rf)] = self.const(_scalar_slow(scalar_converter(rf)), "_s")
        return name

    # ---- selections

    def selection(self, sel: SelectionPlan) -> str:
        """Emit ``def sN(x, c)`` for one selection; return its name."""
        fn = self.name("s")
        sel_const = self.const(sel, "_sel")
        batches: list[tuple[int, FieldPlan]] = []
        hoisted: list[FieldPlan] = []
        for fp in sel.fields:
            if _is_batch(fp):
                # Reserve the slot first: the converter's nested selections add their own.
                slot = len(self.batch_specs) + 1
                self.batch_specs.append((slot, fp.key, "", "", False, ""))
                conv = self.batch_converter(fp)
                is_list = isinstance(fp, ObjectPlan) and fp.field.is_list
                conn = fp.field.connection
                batch: Any
                if conn is not None and conn.batch is not None:
                    assert isinstance(fp, ConnectionPlan)
                    batch = _with_args(conn.batch, effective_args(conn, fp.args))
                else:
                    batch = fp.field.definition.batch
                fn_const = self.const(batch, "_b")
                label = f"{sel.type.name}.{fp.field.name}"
                self.batch_specs[slot - 1] = (slot, fp.key, fn_const, conv, is_list, label)
                batches.append((slot, fp))
            elif self.inlinable(fp):
                pass
            elif not isinstance(fp, ScalarPlan) or fp.field.definition.resolve is not None:
                hoisted.append(fp)
        # Nested functions first (they are module-level names looked up at call time).
        nested: dict[int, str] = {}
        for fp in hoisted:
            if isinstance(fp, ObjectPlan):
                nested[id(fp)] = self.selection(fp.selection)
            elif isinstance(fp, ConnectionPlan):
                nested[id(fp)] = self.connection(fp)
        hoisted_ids = {id(fp) for fp in hoisted}
        has_reads = any(id(fp) not in hoisted_ids and not _is_batch(fp) for fp in sel.fields)
        # Two versions when dicts are read by key: ``x["k"]`` with a retry on KeyError,
        # and ``x.get("k")``, which ``_miss`` swaps in once misses prove common.
        variants = [(fn, False), (f"{fn}_l", True)] if has_reads else [(fn, False)]
        for name, lenient in variants:
            lines = [f"def {name}(x, c):", "    if x is None:", "        return None", "    try:"]
            lines.append("        if type(x) is dict:")
            lines += self.block(sel, hoisted, nested, "dict", 12, fn if not lenient else None)
            lines.append("        elif callable(x) and not isinstance(x, type):")
            lines.append(f"            return {fn}(x(), c)")
            lines.append("        else:")
            lines.append("            g = _getter(type(x))")
            lines.append("            if g is _attr:")
            lines += self.block(sel, hoisted, nested, "attr", 16, fn)
            lines.append("            else:")
            lines += self.block(sel, hoisted, nested, "generic", 16, fn)
            for slot, _fp in batches:
                lines.append(f"        c[{slot}].append((o, x))")
            lines.append("        return o")
            lines.append("    except _Fail as f:")
            lines.append("        f.item = x")
            lines.append("        raise")
            lines.append("    except Exception as e:")
            lines.append(f"        raise _locate(e, x, {sel_const}) from None")
            self.out.append("\n".join(lines))
        return fn

    def block(
        self,
        sel: SelectionPlan,
        hoisted: list[FieldPlan],
        nested: dict[int, str],
        mode: str,
        indent: int,
        strict: str | None,
    ) -> list[str]:
        """One branch: hoisted statements, then the dict literal. ``strict`` names the
        function whose misses are counted (None: emit the lenient literal only)."""
        pad = " " * indent
        lines: list[str] = []
        locals_: dict[int, str] = {}
        for i, fp in enumerate(hoisted):
            var = f"r{i}"
            locals_[id(fp)] = var
            lines += [pad + line for line in self.hoisted(fp, var, nested.get(id(fp)), mode)]
        has_reads = any(id(fp) not in locals_ and not _is_batch(fp) for fp in sel.fields)

        def literal(strict: bool) -> str:
            items = []
            for fp in sel.fields:
                if _is_batch(fp):
                    value = "None"
                elif id(fp) in locals_:
                    value = locals_[id(fp)]
                elif isinstance(fp, ObjectPlan):
                    acc = self.access(mode, fp.field.source, strict)
                    value = self.inline_field(fp, acc, strict, 1)
                else:
                    assert isinstance(fp, ScalarPlan)
                    value = self.scalar_read(fp, self.access(mode, fp.field.source, strict))
                items.append(f"{fp.key!r}: {value}")
            return "{" + ", ".join(items) + "}"

        if has_reads and mode == "dict" and strict is not None:
            lines += [
                f"{pad}try:",
                f"{pad}    o = {literal(True)}",
                f"{pad}except KeyError:",
                f"{pad}    _miss({strict!r})",
                f"{pad}    o = {literal(False)}",
            ]
        elif has_reads and mode == "attr":
            # KeyError too: inlined children that are dicts are read by key
            lines += [
                f"{pad}try:",
                f"{pad}    o = {literal(True)}",
                f"{pad}except (AttributeError, KeyError):",
                f"{pad}    o = {literal(False)}",
            ]
        else:
            lines.append(f"{pad}o = {literal(False)}")
        return lines

    def hoisted(self, fp: FieldPlan, var: str, nested: str | None, mode: str) -> list[str]:
        """Statements computing one field that calls user code or nested selections."""
        rf = fp.field
        key = repr(fp.key)
        resolve = rf.definition.resolve
        conn_resolve = rf.connection.resolve if rf.connection is not None else None
        if isinstance(fp, ConnectionPlan) and conn_resolve is not None:
            assert rf.connection is not None
            args = self.const(effective_args(rf.connection, fp.args), "_a")
            raw = f"{self.const(conn_resolve, '_r')}(x, {args}, c[0])"
        elif resolve is not None:
            raw = f"{self.const(resolve, '_r')}(x, c[0])"
        else:
            raw = self.access(mode, rf.source, False)
            if isinstance(fp, ConnectionPlan):
                raw = f"(_call(v) if callable(v := {raw}) else v)"
        body: list[str]
        on_fail = [f"    f.segments.append({key})"]
        if isinstance(fp, ScalarPlan):
            body = [f"{var} = {self.const(scalar_converter(rf), '_c')}({raw})"]
        elif isinstance(fp, ObjectPlan):
            if rf.is_list:
                body = [
                    f"v = _as_list({raw})",
                    f"{var} = None if v is None else [{nested}(i, c) for i in v]",
                ]
                on_fail = ["    f.segments.append(_index(v, f.item))", *on_fail]
            else:
                body = [f"{var} = {nested}({raw}, c)"]
        else:
            body = [f"{var} = {nested}({raw}, c)"]
        return [
            "try:",
            *("    " + b for b in body),
            "except _Fail as f:",
            *on_fail,
            "    raise",
            "except Exception as e:",
            f"    raise _Fail(e, [{key}]) from None",
        ]

    def batch_converter(self, fp: FieldPlan) -> str:
        """Emit ``def kN(v, c)``: a batch resolver's value for one parent -> output."""
        fn = self.name("k")
        rf = fp.field
        if isinstance(fp, ScalarPlan):
            body = f"    return {self.const(scalar_converter(rf), '_c')}(v)"
        elif isinstance(fp, ObjectPlan):
            nested = self.selection(fp.selection)
            if rf.is_list:
                body = (
                    "    v = _as_list(v)\n"
                    f"    return None if v is None else [{nested}(i, c) for i in v]"
                )
            else:
                body = f"    return {nested}(v, c)"
        else:
            assert isinstance(fp, ConnectionPlan)
            body = f"    return {self.connection(fp)}(v, c)"
        self.out.append(f"def {fn}(v, c):\n{body}")
        return fn

    # ---- connections

    def connection(self, fp: ConnectionPlan) -> str:
        """Emit ``def nN(val, c)``: a connection value (sequence or Page) -> output."""
        fn = self.name("n")
        rf = fp.field
        conn = rf.connection
        node_type = rf.object_type
        assert conn is not None and node_type is not None
        args = effective_args(conn, fp.args)
        filtered = conn.timestamp_field is not None and (
            args.since is not None or args.until is not None
        )
        lines = [f"def {fn}(val, c):", "    if val is None:", "        return None"]
        general = (
            f"p = _page({self.const(conn, '_conn')}, {self.const(node_type, '_t')}, "
            f"{self.const(args, '_a')}, val, c[0])"
        )
        flags = [
            "nodes = p.nodes",
            "off = p.offset",
            "hn = bool(p.has_next_page)",
            "hp = bool(p.has_previous_page)",
        ]
        if filtered:
            lines += ["    " + general, *("    " + f for f in flags)]
        else:
            lines.append("    if type(val) is list:")
            lines += ["        " + s for s in self.inline_window(args)]
            lines.append("    else:")
            lines += ["        " + general, *("        " + f for f in flags)]
        parts: list[str] = []
        for part in fp.parts:
            if isinstance(part, PageInfoPlan):
                items = []
                for key, name in part.fields:
                    if name == "has_next_page":
                        value = "hn"
                    elif name == "has_previous_page":
                        value = "hp"
                    elif name == "start_cursor":
                        value = "(_cur(off) if nodes else None)"
                    else:
                        value = "(_cur(off + len(nodes) - 1) if nodes else None)"
                    items.append(f"{key!r}: {value}")
                parts.append(f"{part.key!r}: {{{', '.join(items)}}}")
                continue
            assert isinstance(part, EdgesPlan)
            var = f"e{len(parts)}"
            lines += [f"    {s}" for s in self.edges(part, var)]
            parts.append(f"{part.key!r}: {var}")
        lines.append("    return {" + ", ".join(parts) + "}")
        self.out.append("\n".join(lines))
        return fn

    def inline_window(self, args: _schema.ConnectionArgs) -> list[str]:
        """Window over a list, specialised on the constant arguments."""
        if args.last is None and args.after is None and args.before is None:
            if args.first is None:
                return ["nodes = val", "off = 0", "hn = False", "hp = False"]
            first = int(args.first)
            return [f"nodes = val[:{first}]", "off = 0", f"hn = len(val) > {first}", "hp = False"]
        call = f"_window(len(val), {args.first!r}, {args.last!r}, {args.after!r}, {args.before!r})"
        return [
            f"off, end = {call}",
            "nodes = val[off:end]",
            "hn = end < len(val)",
            "hp = off > 0",
        ]

    def edges(self, part: EdgesPlan, var: str) -> list[str]:
        node = part.node
        inline = node is not None and self.simple(node)
        node_fn = self.selection(node) if node is not None and not inline else None
        has_cursor = any(what == "cursor" for _, what in part.items)

        def edge(strict: bool) -> str:
            items = []
            for key, what in part.items:
                if what == "cursor":
                    items.append(f"{key!r}: _cur(off + i)")
                elif node is None:
                    items.append(f"{key!r}: None")
                elif inline:
                    items.append(f"{key!r}: {self.inline(node, 'n', strict, 1)}")
                else:
                    items.append(f"{key!r}: {node_fn}(n, c)")
            return "{" + ", ".join(items) + "}"

        loop = "for i, n in enumerate(nodes)" if has_cursor else "for n in nodes"
        node_key = next((k for k, what in part.items if what == "node"), "node")
        tail = [
            f"    f.segments.append({node_key!r})",
            "    f.segments.append(_index(nodes, f.item))",
            f"    f.segments.append({part.key!r})",
        ]
        if not inline:
            return ["try:", f"    {var} = [{edge(False)} {loop}]", "except _Fail as f:", *tail,
                    "    raise"]  # fmt: skip
        assert node is not None
        flag = self.const([False], "_lenient")
        return [
            "try:",
            f"    if {flag}[0]:",
            f"        {var} = [{edge(False)} {loop}]",
            "    else:",
            "        try:",
            f"            {var} = [{edge(True)} {loop}]",
            "        except KeyError:",
            f"            _miss_list({flag})",
            f"            {var} = [{edge(False)} {loop}]",
            "except Exception as e:",
            f"    f = _locate_in(e, nodes, {self.const(node, '_sel')})",
            *tail,
            "    raise f from None",
        ]

    # ---- the whole plan

    def run(self, plan: Plan) -> str:
        root = self.selection(plan.selection)
        specs = tuple(
            (slot, key, self.ns[fn], conv, is_list, label)
            for slot, key, fn, conv, is_list, label in self.batch_specs
        )
        pending = "".join(", []" for _ in specs)
        lines = [
            "def run(x, ctx):",
            f"    c = [ctx{pending}]",
            "    try:",
            f"        o = {root}(x, c)",
        ]
        if specs:
            lines.append("        if o is not None:")
            lines.append(f"            _drain(c, o, {self.const(specs, '_specs')})")
        lines += [
            "    except _Fail as f:",
            "        raise _error(f) from f.original",
            "    if o is None:",
            "        raise _no_root()",
            "    return o",
        ]
        self.out.append("\n".join(lines))
        return "\n\n\n".join(self.out) + "\n"


def _build(plan: Plan) -> tuple[Runner, str]:
    gen = _Generator()
    source = gen.run(plan)
    # Batch specs name converter functions that exist only after exec: resolve them.
    code = compile(source, f"<graphfields plan {plan.type.name}>", "exec")
    exec(code, gen.ns)
    for name, value in list(gen.ns.items()):
        if name.startswith("_specs"):
            gen.ns[name] = tuple(
                (slot, key, fn, gen.ns[conv], is_list, label)
                for slot, key, fn, conv, is_list, label in value
            )
    runner: Runner = gen.ns["run"]
    return runner, source
