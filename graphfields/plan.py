"""The compiled form of a validated selection: what execution runs.

Validation (``graphfields.validate``) builds these from an AST and a schema; execution
(``graphfields.execute``) turns them into output and never re-checks what validation
proved. Every node is frozen; a :class:`Plan` additionally carries a slot where the
executor caches the code it generated for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphfields.schema import ConnectionArgs, ObjectType, ResolvedField

__all__ = [
    "ConnectionPlan",
    "EdgesPlan",
    "FieldPlan",
    "ObjectPlan",
    "PageInfoPlan",
    "Plan",
    "ScalarPlan",
    "SelectionPlan",
    "args_of",
]


@dataclass(frozen=True, slots=True)
class ScalarPlan:
    """A leaf: read the value, serialize it with the field's scalar (each item if a list)."""

    key: str
    field: ResolvedField


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """An object (or list of objects) field with its nested selection."""

    key: str
    field: ResolvedField
    selection: SelectionPlan


@dataclass(frozen=True, slots=True)
class PageInfoPlan:
    """``page_info{...}``: ``fields`` are ``(output key, name)`` pairs, ``name`` one of
    ``has_next_page``, ``has_previous_page``, ``start_cursor``, ``end_cursor``."""

    key: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EdgesPlan:
    """``edges{...}``: ``items`` are ``(output key, "cursor" | "node")`` in request order;
    ``node`` is the node selection (``None`` when no ``node`` was selected)."""

    key: str
    items: tuple[tuple[str, str], ...]
    node: SelectionPlan | None


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """A connection field: its checked arguments and what to output, in request order."""

    key: str
    field: ResolvedField
    args: ConnectionArgs
    parts: tuple[PageInfoPlan | EdgesPlan, ...]


FieldPlan: TypeAlias = ScalarPlan | ObjectPlan | ConnectionPlan


@dataclass(frozen=True, slots=True)
class SelectionPlan:
    """The fields to output for one object of ``type``, in output order (connection
    ``always`` fields already merged in)."""

    type: ObjectType
    fields: tuple[FieldPlan, ...]


@dataclass(eq=False, slots=True)
class Plan:
    """A validated, compiled request for a root type. Cached and shared across requests."""

    type: ObjectType
    selection: SelectionPlan
    text: str
    cost: int = 0
    runner: Any = field(default=None, repr=False)


def args_of(plan: Plan, connection: ConnectionPlan) -> ConnectionArgs:
    """The checked arguments of one connection of ``plan`` for this request (defaults
    applied). Code that walks a plan (an ORM loader, say) reads arguments only this way:
    a plan's tree is shared by every request of the same shape, its arguments are not."""
    return connection.args
