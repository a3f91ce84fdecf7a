"""Fields under one output key: the same field twice is merged, anything else conflicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graphfields.compiler.issues import Issues
from graphfields.syntax.ast import NAME, Call, Field, Selection

__all__ = ["CONFLICT_HINT", "merge"]

CONFLICT_HINT = "Use different aliases on the fields to fetch both if this was intentional."


def _calls_key(calls: tuple[Call, ...]) -> tuple[Call, ...]:
    """Calls compared regardless of order (``first(3).after(c)`` = ``after(c).first(3)``)."""
    return tuple(sorted(calls, key=lambda c: (c.name, repr(c.args))))


def merge(
    issues: Issues,
    fields: Sequence[Field],
    implicit: Callable[[Field], tuple[Field, ...]],
    same: list[tuple[Call, Call]],
) -> list[Field]:
    """Group fields by output key, in order of first appearance.

    The same field twice (same name, same calls) is merged, nested selections
    concatenated (a field without ``{}`` contributes its implicit selection); anything
    else under one key is a conflict. For every merge, the pairs of calls whose arguments
    had to be equal are added to ``same``: a later request of this shape with other
    values there is a conflict after all (the shape's binder checks them).
    """
    groups: dict[str, list[Field]] = {}
    for f in fields:
        groups.setdefault(f.key, []).append(f)
    out: list[Field] = []
    for key, group in groups.items():
        head = group[0]
        if head.alias is not None and not NAME.fullmatch(head.alias):
            issues.add(
                f'Invalid alias "{head.alias}" on field "{head.name}": an alias must be '
                "a name of letters, digits and underscores, not starting with a digit.",
                head.span,
            )
        if len(group) == 1:
            out.append(head)
            continue
        ok = True
        for other in group[1:]:
            if other.name != head.name:
                issues.add(
                    f'Fields "{key}" conflict because "{head.name}" and "{other.name}" '
                    f"are different fields. {CONFLICT_HINT}",
                    other.span,
                )
                ok = False
            elif _calls_key(other.calls) != _calls_key(head.calls):
                issues.add(
                    f'Fields "{key}" conflict because they have differing calls. '
                    f"{CONFLICT_HINT}",
                    other.span,
                )
                ok = False
            else:
                by_name = {c.name: c for c in head.calls}
                same.extend((by_name[c.name], c) for c in other.calls if c is not by_name[c.name])
        if not ok:
            out.append(head)
            continue
        if all(f.selection is None for f in group):
            out.append(head)
            continue
        inner: list[Field] = []
        for f in group:
            if f.selection is not None:
                inner.extend(f.selection.fields)
            else:
                inner.extend(implicit(f))
        span = next(f.selection.span for f in group if f.selection is not None)
        out.append(Field(head.name, head.calls, Selection(tuple(inner), span),
                         head.alias, head.span))
    return out
