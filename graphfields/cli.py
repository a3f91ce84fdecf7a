"""The ``graphfields`` command: ``check``, ``fmt``, ``ast`` and ``serve``.

Exit codes: 0 success, 1 invalid input (message on stderr), 2 usage error.
Each subcommand registers its arguments in ``_add_<name>`` and runs in ``_cmd_<name>``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _read_fields(value: str) -> str:
    return sys.stdin.read() if value == "-" else value


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("check", help="check a fields string (syntax, and schema with --schema)")
    p.add_argument("fields", help="the fields string, or - to read it from stdin")
    p.add_argument("--schema", metavar="MODULE:ATTR",
                   help="also validate against this graphfields Schema (needs --type)")
    p.add_argument("--type", metavar="NAME", help="the schema's root type, e.g. Media")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from graphfields.errors import GraphFieldsError
    from graphfields.parser import parse

    text = _read_fields(args.fields)
    if args.schema is not None or args.type is not None:
        from graphfields._schema_check import check_fields

        return check_fields(text, args.schema, args.type)
    try:
        parse(text)
    except GraphFieldsError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphfields", description="Facebook-Graph-style field selection tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_check(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
