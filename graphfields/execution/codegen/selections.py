"""Emitting one function per selection: a branch per kind of parent, one dict literal each.

For every selection ``def sN(x, c)`` checks the parent's kind once per object (``type(x)
is dict``; callables; plain objects; types with a registered getter) and builds one dict
literal in request order: ``{"id": x["id"], ...}`` for dicts, ``x.id`` for objects,
``g(x, "id")`` for registered types. A missing key or attribute retries the literal with
``.get``/``getattr(.., None)``. Fields that call user code or nested selections are
computed first (hoisted); batch fields are queued (``c[slot]``) and filled by the drain.
"""

from __future__ import annotations

from typing import Any

from graphfields.execution.codegen.emit import Emitter
from graphfields.execution.runtime import scalar_converter
from graphfields.plan import (
    BATCHED,
    READ,
    RESOLVE,
    ConnectionPlan,
    FieldPlan,
    ObjectPlan,
    ScalarPlan,
    SelectionPlan,
)

__all__ = ["Selections"]


def plain(sel: SelectionPlan) -> bool:
    """Only plain reads, down through nested objects (no resolver, batch or connection):
    its output is a function of the value alone."""
    return all(
        fp.how == READ and not isinstance(fp, ConnectionPlan)
        and (not isinstance(fp, ObjectPlan) or plain(fp.selection))
        for fp in sel.fields)


class Selections(Emitter):
    """Selection functions, inlined object literals and batch converters."""

    queue_of: dict[int, int]  # a selection's batch queue (c[slot]), by its id
    queues: int
    # slot, key, fn, how, arg, name of its put function, "Type.field"
    batch_specs: list[tuple[int, str, Any, str, int, str, str]]
    fallbacks: dict[int, str]

    def connection(self, fp: ConnectionPlan) -> str:  # pragma: no cover - see Connections
        raise NotImplementedError

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

    def selection(self, sel: SelectionPlan) -> str:
        """Emit ``def sN(x, c)`` for one selection; return its name."""
        fn = self.name("s")
        sel_const = self.const(sel, "_sel")
        batches: list[int] = []
        hoisted: list[FieldPlan] = []
        for fp in sel.fields:
            if fp.how in BATCHED:
                slot = self.queue_of[id(sel)]
                put = self.batch_put(fp)
                label = f"{sel.type.name}.{fp.field.name}"
                self.batch_specs.append((slot, fp.key, fp.fn, fp.how, fp.arg, put, label))
                batches.append(slot)
            elif self.inlinable(fp):
                pass
            elif not isinstance(fp, ScalarPlan) or fp.how != READ:
                hoisted.append(fp)
        # Nested functions first (they are module-level names looked up at call time).
        nested: dict[int, str] = {}
        for fp in hoisted:
            if isinstance(fp, ObjectPlan):
                nested[id(fp)] = self.selection(fp.selection)
            elif isinstance(fp, ConnectionPlan):
                nested[id(fp)] = self.connection(fp)
        hoisted_ids = {id(fp) for fp in hoisted}
        has_reads = any(id(fp) not in hoisted_ids and fp.how not in BATCHED for fp in sel.fields)
        # Two versions when dicts are read by key: ``x["k"]`` with a retry on KeyError,
        # and ``x.get("k")``, which ``_miss`` swaps in once misses prove common.
        dict_fast = self.dict_fast
        variants = [(fn, False), (f"{fn}_l", True)] if has_reads and dict_fast else [(fn, False)]
        for name, lenient in variants:
            lines = [f"def {name}(x, c):", "    if x is None:", "        return None", "    try:"]
            if dict_fast:
                lines.append("        if type(x) is dict:")
                lines += self.block(sel, hoisted, nested, "dict", 12, fn if not lenient else None)
                lines.append("        elif callable(x) and not isinstance(x, type):")
            else:
                lines.append("        if callable(x) and not isinstance(x, type):")
            lines.append(f"            return {fn}(_call(x), c)")
            lines.append("        else:")
            lines.append("            g = _getter(type(x))")
            lines.append("            if g is _attr:")
            lines += self.block(sel, hoisted, nested, "attr", 16, fn)
            lines.append("            else:")
            lines += self.block(sel, hoisted, nested, "generic", 16, fn)
            for slot in dict.fromkeys(batches):  # one queue for all its batch fields
                lines.append(f"        c[{slot}].extend((o, x))")
            lines.append("        return o")
            lines.append("    except _Fail as f:")
            if hoisted:
                lines.append(f"        g = _earlier(f, x, {sel_const})")
                lines.append("        g.item = x")
                lines.append("        raise g from None")
            else:
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
        has_reads = any(id(fp) not in locals_ and fp.how not in BATCHED for fp in sel.fields)

        def literal(strict: bool) -> str:
            items = []
            for fp in sel.fields:
                if fp.how in BATCHED:
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
        if fp.how == READ:
            raw = self.access(mode, rf.source, False)
            if isinstance(fp, ConnectionPlan):
                raw = f"(_call(v) if callable(v := {raw}) else v)"
        else:
            fn = self.const(fp.fn, "_r")
            call = f"{fn}(x, c[0])" if fp.how == RESOLVE else f"{fn}(x, c[1][{fp.arg}], c[0])"
            raw = f"_aw({call})"
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

    def batch_put(self, fp: FieldPlan) -> str:
        """Emit ``def pN(c, root, outs, values)``, which puts a batch's values into the
        waiting output dicts, each converted inline (what
        :func:`~graphfields.execution.batches.fill` does for the interpreter, with the same
        paths on failure); return its name."""
        fn = self.name("p")
        key = repr(fp.key)
        value = self.batch_value(fp)
        if isinstance(fp, ObjectPlan) and not fp.field.is_list and plain(fp.selection):
            # One output per distinct value: the same row (an owner of many comments)
            # makes the same plain object, so it is built once and shared.
            loop = ("        made = {}\n"
                    "        for o, v in zip(outs, values):\n"
                    "            if (r := made.get(k := id(v))) is None:\n"
                    f"                r = made[k] = {value}\n"
                    f"            o[{key}] = r\n")
        else:
            loop = ("        for o, v in zip(outs, values):\n"
                    f"            o[{key}] = {value}\n")
        self.out.append(
            f"def {fn}(c, root, outs, values):\n"
            "    try:\n"
            f"{loop}"
            "    except _Fail as f:\n"
            f"        f.segments.append({key})\n"
            "        f.segments.extend(reversed(_path_to(root, o) or []))\n"
            "        raise\n"
            "    except Exception as e:\n"
            f"        raise _Fail(e, [{key}, *reversed(_path_to(root, o) or [])]) from None")
        return fn

    def batch_value(self, fp: FieldPlan) -> str:
        """The expression that makes a batch resolver's value ``v`` for one parent its
        output: a scalar's check inline, else a call of the nested selection's or
        connection's own function (or of an emitted ``def kN(v, c)`` for a list)."""
        rf = fp.field
        if isinstance(fp, ScalarPlan):
            scalar = rf.scalar
            fast = scalar.json_type if scalar is not None and not rf.is_list else None
            conv = self.const(scalar_converter(rf), "_c")
            if fast is not None:
                return f"(v if type(v) is {self.type_name(fast)} or v is None else {conv}(v))"
            return f"{conv}(v)"
        return f"{self.batch_converter(fp)}(v, c)"

    def batch_converter(self, fp: FieldPlan) -> str:
        """The function that makes an object or connection batch value for one parent its
        output, ``f(v, c)``: the nested selection's or connection's own function when that
        is all it takes, else an emitted ``def kN(v, c)``."""
        rf = fp.field
        if isinstance(fp, ObjectPlan):
            nested = self.selection(fp.selection)
            if not rf.is_list:
                return nested
            fn = self.name("k")
            body = (  # the index of a failing item in the list read from the value
                "    v = _as_list(v)\n"
                "    if v is None:\n"
                "        return None\n"
                "    try:\n"
                f"        return [{nested}(i, c) for i in v]\n"
                "    except _Fail as f:\n"
                "        f.segments.append(_index(v, f.item))\n"
                "        raise"
            )
        else:
            assert isinstance(fp, ConnectionPlan)
            return self.connection(fp)
        self.out.append(f"def {fn}(v, c):\n{body}")
        return fn
