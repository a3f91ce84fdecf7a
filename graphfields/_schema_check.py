"""``graphfields check --schema MODULE:ATTR TYPE FIELDS`` (or ``--schema-file FILE``, a
schema published with ``Schema.to_json()``): validation from the command line.

Kept out of cli.py so the command module stays a thin table of subcommands.
Exit codes follow the CLI's: 0 valid, 1 invalid fields (every issue, with carets, on
stderr), 2 a usage problem (bad ``--schema`` or ``--type``), always without a traceback.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import TextIO

from graphfields.errors import GraphFieldsError, SchemaError
from graphfields.schema import Schema

__all__ = ["UsageError", "check_fields", "load_schema", "load_schema_file"]


class UsageError(Exception):
    """A bad ``--schema``/``--type`` value: exit 2 with this message."""


def load_schema(spec: str) -> Schema:
    """The :class:`Schema` named by ``MODULE:ATTR`` (``ATTR`` defaults to ``schema``).

    The current directory is importable, as with ``python -m``, so a project's own
    schema module works without installing it.
    """
    module_name, _, attr = spec.partition(":")
    attr = attr or "schema"
    if not module_name or not all(part.isidentifier() for part in module_name.split(".")):
        raise UsageError(f'--schema expects MODULE:ATTR (e.g. "myapp.schema:schema"), got "{spec}"')
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except SchemaError as exc:
        raise UsageError(f'the schema in module "{module_name}" is invalid: {exc}') from None
    except (Exception, SystemExit) as exc:  # any failure of user code at import time
        # SystemExit too: a script's argparse or sys.exit() run on import must not end
        # `check` with that script's own exit code and no message.
        raise UsageError(
            f'cannot import schema module "{module_name}": {type(exc).__name__}: {exc}'
        ) from None
    value: object = module
    for part in attr.split("."):
        if not hasattr(value, part):
            raise UsageError(f'module "{module_name}" has no attribute "{attr}"')
        value = getattr(value, part)
    if not isinstance(value, Schema):
        raise UsageError(
            f'"{spec}" is a {type(value).__name__}, not a graphfields Schema'
        )
    return value


def load_schema_file(path: str) -> Schema:
    """The validating :class:`Schema` of a JSON file written from ``Schema.to_json()``."""
    from graphfields.schema_json import from_json

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise UsageError(f'cannot read schema file "{path}": {exc.strerror or exc}') from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f'schema file "{path}" is not JSON: {exc}') from None
    try:
        return from_json(data)
    except SchemaError as exc:
        raise UsageError(f'schema file "{path}": {exc}') from None


def check_fields(
    text: str, schema_spec: str | tuple[str, str] | None, type_name: str | None, *,
    err: TextIO | None = None,
) -> int:
    """Validate ``text`` against the type ``type_name`` of a schema, ``MODULE:ATTR`` or
    ``("file", path)``; print problems to ``err``."""
    from graphfields.compiler import compile

    err = sys.stderr if err is None else err
    try:
        if schema_spec is None or type_name is None:
            missing = "--type" if schema_spec is not None else "--schema"
            raise UsageError(f"--schema and --type go together; {missing} is missing")
        if isinstance(schema_spec, tuple):
            schema = load_schema_file(schema_spec[1])
        else:
            schema = load_schema(schema_spec)
        try:
            schema.type(type_name)
        except SchemaError as exc:
            raise UsageError(f"--type: {exc}") from None
    except UsageError as exc:
        print(f"graphfields check: error: {exc}", file=err)
        return 2
    try:
        compile(schema, type_name, text)
    except GraphFieldsError as exc:
        print(exc, file=err)
        return 1
    return 0
