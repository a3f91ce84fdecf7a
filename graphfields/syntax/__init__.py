"""The fields language: ``grammar/fields.lark`` run by Lark, the AST, limits and printer.

* :mod:`.ast` - the frozen syntax tree;
* :mod:`.parse` - ``parse()``: limits, the result cache;
* :mod:`.limits` - ``Limits`` (``ParseLimits`` is the same class);
* :mod:`._lark` - everything that touches Lark (the parser, its lexer, its table cache);
* :mod:`.build` - the grammar's callbacks, building the AST while Lark parses;
* :mod:`.diagnose` - a failed parse in words; :mod:`.grammar` - the grammar's text;
* :mod:`.printer` - AST -> canonical text.
"""

from graphfields.syntax.ast import (
    NAME,
    BoolValue,
    Call,
    Field,
    IntValue,
    NullValue,
    Selection,
    StringValue,
    Value,
    to_dict,
)
from graphfields.syntax.limits import DEFAULT_PARSE_LIMITS, MAX_SAFE_DEPTH, Limits, ParseLimits
from graphfields.syntax.parse import parse
from graphfields.syntax.printer import format, format_fields

__all__ = [
    "DEFAULT_PARSE_LIMITS",
    "MAX_SAFE_DEPTH",
    "NAME",
    "BoolValue",
    "Call",
    "Field",
    "IntValue",
    "Limits",
    "NullValue",
    "ParseLimits",
    "Selection",
    "StringValue",
    "Value",
    "format",
    "format_fields",
    "parse",
    "to_dict",
]
