"""graphfields: Facebook-Graph-style field selection for Python API servers."""

from graphfields.ast import BoolValue, Call, Field, IntValue, NullValue, Selection, StringValue
from graphfields.errors import (
    ExecutionError,
    FieldsSyntaxError,
    FieldsValidationError,
    GraphFieldsError,
    LimitExceededError,
    SchemaError,
    ValidationIssue,
)
from graphfields.parser import parse

__all__ = [
    "BoolValue",
    "Call",
    "ExecutionError",
    "Field",
    "FieldsSyntaxError",
    "FieldsValidationError",
    "GraphFieldsError",
    "IntValue",
    "LimitExceededError",
    "NullValue",
    "SchemaError",
    "Selection",
    "StringValue",
    "ValidationIssue",
    "parse",
]
