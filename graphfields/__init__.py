"""graphfields: Facebook-Graph-style field selection for Python API servers."""

from graphfields import calls
from graphfields.compiler import Limits, compile
from graphfields.errors import (
    ExecutionError,
    FieldsSyntaxError,
    FieldsValidationError,
    GraphFieldsError,
    LimitExceededError,
    RequestError,
    SchemaError,
    ValidationIssue,
)
from graphfields.execution import execute, execute_async
from graphfields.plan import Plan
from graphfields.relay import Page
from graphfields.schema import (
    ID,
    Boolean,
    Connection,
    ConnectionArgs,
    Datetime,
    FieldDef,
    Float,
    Int,
    ListOf,
    ObjectType,
    Scalar,
    Schema,
    String,
    field_,
)
from graphfields.syntax import DEFAULT_PARSE_LIMITS, ParseLimits, parse
from graphfields.syntax.ast import (
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
)
from graphfields.syntax.printer import format, format_fields

__all__ = [
    "DEFAULT_PARSE_LIMITS",
    "ID",
    "BoolValue",
    "Boolean",
    "Call",
    "Connection",
    "ConnectionArgs",
    "Datetime",
    "ExecutionError",
    "Field",
    "FieldDef",
    "FieldsSyntaxError",
    "FieldsValidationError",
    "Float",
    "GraphFieldsError",
    "Int",
    "IntValue",
    "LimitExceededError",
    "Limits",
    "ListOf",
    "NullValue",
    "ObjectType",
    "Page",
    "ParseLimits",
    "Plan",
    "RequestError",
    "Scalar",
    "Schema",
    "SchemaError",
    "Selection",
    "String",
    "StringValue",
    "ValidationIssue",
    "calls",
    "compile",
    "execute",
    "execute_async",
    "field_",
    "format",
    "format_fields",
    "parse",
]
