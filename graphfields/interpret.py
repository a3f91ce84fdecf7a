"""The reference executor: a plain tree walk over a plan, written for clarity.

:func:`graphfields.execute.execute` generates specialised code per plan and must give
the same output; tests compare the two on many plans and data shapes. This one tracks
the path as it goes and calls batch resolvers (``field_(batch=)`` and
``Connection(batch=)``) once per list of sibling parents: the nodes of one page, the
items of one list. (The generated code goes further and makes one call per place in the
plan and level, across all pages; outputs are the same.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphfields import relay, sources
from graphfields._runtime import as_list, connection_page, effective_args, scalar_converter
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

__all__ = ["interpret"]


def interpret(plan: Plan, data: Any, *, context: Any = None) -> dict[str, Any]:
    """Execute ``plan`` over ``data`` by walking it; same contract as ``execute``."""
    if not isinstance(plan, Plan):
        raise TypeError(f"execute() needs a Plan from compile(), not {type(plan).__name__}")
    if data is None:
        raise TypeError("execute() needs a root object, got None")
    out = _Walker(context).many(plan.selection, [data], [""])[0]
    if out is None:
        raise TypeError("execute() needs a root object, got None")
    return out


class _Walker:
    def __init__(self, context: Any) -> None:
        self.context = context

    def _fail(self, path: str, exc: Exception) -> ExecutionError:
        if isinstance(exc, ExecutionError):
            return exc
        err = ExecutionError(path, exc)
        err.__cause__ = exc
        return err

    def many(
        self, sel: SelectionPlan, parents: list[Any], paths: list[str]
    ) -> list[dict[str, Any] | None]:
        """Outputs for ``parents`` (``None`` for a ``None`` parent)."""
        resolved = []
        for i, p in enumerate(parents):
            if p is not None and callable(p) and not isinstance(p, type):
                try:
                    p = p()
                except Exception as exc:
                    raise self._fail(paths[i], exc) from exc
            resolved.append(p)
        live = [p for p in resolved if p is not None]
        live_paths = [paths[i] for i, p in enumerate(resolved) if p is not None]
        batched: dict[str, list[Any]] = {}
        for fp in sel.fields:
            batch = _batch(fp)
            if batch is None or not live:
                continue
            try:
                values = as_list(batch(live, self.context),
                                 "a batch resolver's result (one value per parent, in order)")
                if len(values) != len(live):
                    raise ValueError(
                        f'batch resolver of "{sel.type.name}.{fp.field.name}" returned '
                        f"{len(values)} values for {len(live)} parents"
                    )
            except Exception as exc:
                raise self._fail(_join(live_paths[0], fp.key), exc) from exc
            batched[fp.key] = values
        outs: list[dict[str, Any] | None] = []
        n = 0
        for p in resolved:
            if p is None:
                outs.append(None)
                continue
            path = live_paths[n]
            out: dict[str, Any] = {}
            for fp in sel.fields:
                fpath = _join(path, fp.key)
                if fp.key in batched:
                    raw = batched[fp.key][n]
                else:
                    try:
                        raw = self.raw(fp, p)
                    except Exception as exc:
                        raise self._fail(fpath, exc) from exc
                out[fp.key] = self.convert(fp, raw, fpath)
            outs.append(out)
            n += 1
        return outs

    def raw(self, fp: FieldPlan, parent: Any) -> Any:
        if isinstance(fp, ConnectionPlan):
            resolve = _conn_resolve(fp)
            if resolve is not None:
                conn = fp.field.connection
                assert conn is not None
                return resolve(parent, effective_args(conn, fp.args), self.context)
        definition = fp.field.definition
        if definition.resolve is not None:
            return definition.resolve(parent, self.context)
        return sources.read(parent, fp.field.source)

    def convert(self, fp: FieldPlan, raw: Any, path: str) -> Any:
        if isinstance(fp, ScalarPlan):
            try:
                return scalar_converter(fp.field)(raw)
            except Exception as exc:
                raise self._fail(path, exc) from exc
        if isinstance(fp, ObjectPlan):
            if raw is None:
                return None
            if fp.field.is_list:
                try:
                    items = as_list(raw)
                except Exception as exc:
                    raise self._fail(path, exc) from exc
                return self.many(fp.selection, items, [f"{path}[{i}]" for i in range(len(items))])
            return self.many(fp.selection, [raw], [path])[0]
        return self.connection(fp, raw, path)

    def connection(self, fp: ConnectionPlan, raw: Any, path: str) -> Any:
        conn = fp.field.connection
        node_type = fp.field.object_type
        assert conn is not None and node_type is not None
        try:
            page = connection_page(
                conn, node_type, effective_args(conn, fp.args), raw, self.context
            )
        except Exception as exc:
            raise self._fail(path, exc) from exc
        if page is None:
            return None
        nodes = list(page.nodes)
        out: dict[str, Any] = {}
        for part in fp.parts:
            if isinstance(part, PageInfoPlan):
                out[part.key] = {key: _page_info(page, nodes, name) for key, name in part.fields}
                continue
            assert isinstance(part, EdgesPlan)
            node_key = next((k for k, what in part.items if what == "node"), "node")
            node_outs: list[Any] = []
            if part.node is not None:
                paths = [f"{path}.{part.key}[{i}].{node_key}" for i in range(len(nodes))]
                node_outs = self.many(part.node, nodes, paths)
            edges = []
            for i in range(len(nodes)):
                edge: dict[str, Any] = {}
                for key, what in part.items:
                    if what == "cursor":
                        edge[key] = relay.encode_cursor(page.offset + i)
                    else:
                        edge[key] = node_outs[i]
                edges.append(edge)
            out[part.key] = edges
        return out


def _conn_resolve(fp: FieldPlan) -> Any:
    conn = fp.field.connection
    return None if conn is None else conn.resolve


def _batch(fp: FieldPlan) -> Callable[[list[Any], Any], Any] | None:
    """The field's batch resolver as ``(parents, context)``, or None.

    ``Connection(batch=)`` gets the connection's effective arguments; ``field_(batch=)``
    on a connection field yields to the connection's own ``resolve``.
    """
    conn = fp.field.connection
    if conn is not None and conn.batch is not None:
        assert isinstance(fp, ConnectionPlan)
        conn_batch = conn.batch
        args = effective_args(conn, fp.args)
        return lambda parents, context: conn_batch(parents, args, context)
    batch = fp.field.definition.batch
    if batch is None or (conn is not None and conn.resolve is not None):
        return None
    return batch


def _page_info(page: relay.Page, nodes: list[Any], name: str) -> Any:
    if name == "has_next_page":
        return bool(page.has_next_page)
    if name == "has_previous_page":
        return bool(page.has_previous_page)
    if not nodes:
        return None
    if name == "start_cursor":
        return relay.encode_cursor(page.offset)
    return relay.encode_cursor(page.offset + len(nodes) - 1)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
