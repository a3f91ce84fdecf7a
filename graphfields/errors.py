"""The exceptions graphfields raises.

    GraphFieldsError                 base of everything below
    ├── RequestError                 (also ValueError) the client's request is wrong: answer 4xx
    │   ├── FieldsSyntaxError        the text is not a valid selection
    │   ├── FieldsValidationError    valid syntax, but wrong for the schema (unknown fields,
    │   │                            bad calls, bad argument values such as a cursor that does
    │   │                            not decode or a bad date); every ValidationIssue of it
    │   ├── LimitExceededError       a configured limit (length, depth, fields, cost) was exceeded
    │   └── MalformedRequestError    an HTTP path or query string that cannot be decoded
    │                                (graphfields.http)
    ├── SchemaError                  the schema declaration itself is inconsistent (a server bug)
    └── ExecutionError               a resolver or the data failed (a server error: answer 5xx);
                                     carries the path and the original error

Errors are data plus rendering: structured attributes, ``str()`` for humans (and logs) with a
``line:column`` header and a caret, and ``formatted`` for JSON sent to clients. The
``formatted`` of every :class:`RequestError` has the same shape: ``message``, ``type`` and
``errors``, a list of issues each with ``message``, ``locations`` (``line``, ``column``),
``position`` and ``suggestions``. An :class:`ExecutionError`'s ``formatted`` names the path
only, never the underlying exception's message (it may hold internals: SQL, file names).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphfields._source import excerpt, line_col

__all__ = [
    "ExecutionError",
    "FieldsSyntaxError",
    "FieldsValidationError",
    "GraphFieldsError",
    "LimitExceededError",
    "MalformedRequestError",
    "RequestError",
    "SchemaError",
    "ValidationIssue",
]


class GraphFieldsError(Exception):
    """Base class of every error graphfields raises on purpose."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def formatted(self) -> dict[str, Any]:
        """A JSON-ready description of the error."""
        return {"message": self.message, "type": type(self).__name__}


class RequestError(GraphFieldsError, ValueError):
    """Base of the errors a client causes: its request is wrong, answer it with a 4xx.

    ``formatted`` is meant for the client: ``{"message", "type", "errors": [issue, ...]}``,
    each issue ``{"message", "locations": [{"line", "column"}], "position", "suggestions"}``.
    """

    @property
    def formatted(self) -> dict[str, Any]:
        out = super().formatted
        out["errors"] = []
        return out


class _Positioned(RequestError):
    """An error that points at one place of the request text."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(message)
        self.text = text
        self.position = position
        self.line, self.column = line_col(text, position)

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}\n{excerpt(self.text, self.position)}"

    @property
    def formatted(self) -> dict[str, Any]:
        out = super().formatted
        out["locations"] = [{"line": self.line, "column": self.column}]
        out["position"] = self.position
        out["errors"] = [{"message": self.message, "locations": out["locations"],
                          "position": self.position, "suggestions": []}]
        return out


class FieldsSyntaxError(_Positioned):
    """The request text is not a valid field selection.

    ``expected`` names, in words, what would have been valid at ``position``
    (for example ``("a field name", "`}`")``).
    """

    def __init__(
        self, message: str, text: str, position: int, expected: Sequence[str] = ()
    ) -> None:
        super().__init__(message, text, position)
        self.expected: tuple[str, ...] = tuple(expected)

    @property
    def formatted(self) -> dict[str, Any]:
        out = super().formatted
        out["expected"] = list(self.expected)
        return out


class LimitExceededError(_Positioned):
    """A configured limit (length, depth, number of fields, cost) was exceeded."""

    def __init__(self, message: str, text: str, position: int, limit: str) -> None:
        super().__init__(message, text, position)
        self.limit = limit

    @property
    def formatted(self) -> dict[str, Any]:
        out = super().formatted
        out["limit"] = self.limit
        return out


class MalformedRequestError(RequestError):
    """An HTTP request's path or query string cannot be decoded: invalid ``%XX`` or UTF-8,
    a parameter given twice, a query string or value over its limit
    (:func:`graphfields.http.parse_query`, :func:`graphfields.http.split_path`)."""


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One mistake found by validation, with the place it was made."""

    message: str
    position: int
    line: int
    column: int
    suggestions: tuple[str, ...] = ()

    @property
    def formatted(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "locations": [{"line": self.line, "column": self.column}],
            "position": self.position,
            "suggestions": list(self.suggestions),
        }


class FieldsValidationError(RequestError):
    """The selection does not fit the schema. ``issues`` lists every mistake found."""

    def __init__(self, issues: Sequence[ValidationIssue], text: str = "") -> None:
        if not issues:
            raise ValueError("FieldsValidationError needs at least one issue")
        self.issues: tuple[ValidationIssue, ...] = tuple(issues)
        self.text = text
        super().__init__(self.issues[0].message)
        first = self.issues[0]
        self.position, self.line, self.column = first.position, first.line, first.column

    def __str__(self) -> str:
        parts = []
        for issue in self.issues:
            head = f"{issue.line}:{issue.column}: {issue.message}"
            parts.append(f"{head}\n{excerpt(self.text, issue.position)}" if self.text else head)
        return "\n".join(parts)

    @property
    def formatted(self) -> dict[str, Any]:
        out = super().formatted
        out["errors"] = [i.formatted for i in self.issues]
        return out


class SchemaError(GraphFieldsError):
    """The schema declaration is inconsistent (unknown type name, bad default field, ...)."""


class ExecutionError(GraphFieldsError):
    """A resolver raised while executing a plan: a server error, not the client's.

    ``path`` is the output path of the failing field, e.g. ``media.edges[3].node.owner``;
    the original exception is ``original`` (and ``__cause__``). ``str()`` and ``message``
    include the original's type and message (for logs); ``formatted`` (for clients) has the
    path only.
    """

    def __init__(self, path: str, original: BaseException) -> None:
        self.path = path
        self.original = original
        super().__init__(f"Error resolving {path}: {type(original).__name__}: {original}")

    @property
    def formatted(self) -> dict[str, Any]:
        return {"message": f"Error resolving {self.path}", "type": type(self).__name__,
                "path": self.path}
