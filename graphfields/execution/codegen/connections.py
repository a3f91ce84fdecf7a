"""Emitting connections: the page of a value, ``page_info`` and the edges.

A connection over a plain list is cut in place (O(page)); with only a page size (the
shape says so, whatever the request's numbers) as ``val[:first]``. Everything else
(a resolver's own Page, other sequences, date filters) goes through
:func:`~graphfields.execution.runtime.connection_page`. The request's arguments are
read from ``c[1]``: the code is shared by every request of the shape.
"""

from __future__ import annotations

from graphfields.execution.codegen.selections import Selections
from graphfields.plan import ConnectionPlan, EdgesPlan, PageInfoPlan

__all__ = ["Connections"]


def _flags_used(fp: ConnectionPlan) -> set[str]:
    """Which of the page's ``off`` (cursors), ``hn`` and ``hp`` the output reads."""
    used: set[str] = set()
    for part in fp.parts:
        if isinstance(part, PageInfoPlan):
            for _, name in part.fields:
                used.add({"has_next_page": "hn", "has_previous_page": "hp"}.get(name, "off"))
        elif any(what == "cursor" for _, what in part.items):
            used.add("off")
    return used


class Connections(Selections):
    def connection(self, fp: ConnectionPlan) -> str:
        """Emit ``def nN(val, c)``: a connection value (sequence or Page) -> output."""
        fn = self.name("n")
        lines = [f"def {fn}(val, c):", "    if val is None:", "        return None",
                 f"    a = c[1][{fp.arg}]"]
        general = f"p = _page({self.const(fp, '_cp')}, a, val, c[0])"
        flags = [
            "nodes = p.nodes",
            "off = p.offset",
            "hn = bool(p.has_next_page)",
            "hp = bool(p.has_previous_page)",
        ]
        # A resolver's own Page of a list, as connection_page would take it, read here;
        # only the flags the selection shows.
        used = _flags_used(fp)
        page = ["hn = bool(val.has_next_page)"] if "hn" in used else []
        if "hp" in used:
            page.append("hp = bool(val.has_previous_page)")
        own_page = ("elif type(val) is _Page and type(nodes := val.nodes) is list and type("
                    f"off := val.offset) is {self.type_name(int)} and off >= 0:")
        if fp.filtered:
            lines.append(f"    {own_page[2:]}")
        else:
            lines.append("    if type(val) is list:")
            lines += ["        " + s for s in self.inline_window(fp)]
            lines.append(f"    {own_page}")
        lines += ["        " + s for s in page or ["pass"]]
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

    def inline_window(self, fp: ConnectionPlan) -> list[str]:
        """The window over a list, specialised on the calls the shape has."""
        if fp.window == "first":
            return ["f = a.first", "nodes = val[:f]", "off = 0", "hn = len(val) > f",
                    "hp = False"]
        return [
            "off, end = _window(len(val), a.first, a.last, a.after, a.before, a.offset)",
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
