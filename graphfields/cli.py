"""The ``graphfields`` command: ``check``, ``fmt``, ``ast``, ``schema`` and ``serve``.

Exit codes: 0 success, 1 invalid input (message on stderr), 2 usage error.
Each subcommand registers its arguments in ``_add_<name>`` and runs in ``_cmd_<name>``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphfields.syntax.ast import Selection

__all__ = ["main"]


def _read_fields(value: str) -> str:
    # A byte-order mark (a file saved by Windows Notepad, piped in) is not part of the text.
    return sys.stdin.read().removeprefix("\ufeff") if value == "-" else value


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check", help="check a fields string (syntax, and schema with --schema/--schema-file)",
        usage="graphfields check [--schema MODULE:ATTR | --schema-file FILE] [TYPE] FIELDS")
    p.add_argument("words", nargs="+", metavar="[TYPE] FIELDS",
                   help="the root type (with a schema; or --type) and the fields string, "
                   "or - to read it from stdin")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--schema", metavar="MODULE:ATTR",
                       help="also validate against this graphfields Schema")
    where.add_argument("--schema-file", metavar="FILE",
                       help="also validate against a published schema (Schema.to_json())")
    p.add_argument("--type", metavar="NAME", help="the schema's root type, e.g. Media")
    p.set_defaults(func=_cmd_check, parser=p)


def _cmd_check(args: argparse.Namespace) -> int:
    words: list[str] = args.words
    if len(words) > 2 or (len(words) == 2 and args.type is not None):
        args.parser.error("expected [TYPE] FIELDS (or --type NAME FIELDS)")
    if len(words) == 2 and args.schema is None and args.schema_file is None:
        args.parser.error("a TYPE needs --schema or --schema-file")
    type_name = words[0] if len(words) == 2 else args.type
    text = _read_fields(words[-1])
    schema_spec = args.schema if args.schema_file is None else ("file", args.schema_file)
    if schema_spec is not None or type_name is not None:
        from graphfields._schema_check import check_fields

        code = check_fields(text, schema_spec, type_name)
        if code == 1:
            _hint_if_url_encoded(text)
        return code
    return 0 if _parse_or_report(text) is not None else 1


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _hint_if_url_encoded(text: str) -> None:
    """A fields string copied from a URL still has its %2C commas; say so."""
    m = _PERCENT_ESCAPE.search(text)
    if m is not None:
        print(f"hint: the fields string looks URL-encoded ({m.group()}); decode it first, "
              "e.g. %2C is `,` and %7B is `{`", file=sys.stderr)


def _parse_or_report(text: str) -> Selection | None:
    from graphfields.errors import GraphFieldsError
    from graphfields.syntax import parse

    try:
        return parse(text)
    except GraphFieldsError as exc:
        print(exc, file=sys.stderr)
        _hint_if_url_encoded(text)
        return None


def _write(text: str) -> None:
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def _add_fmt(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("fmt", help="print a fields string in canonical form")
    p.add_argument("fields", help="the fields string, or - to read it from stdin")
    p.set_defaults(func=_cmd_fmt)


def _cmd_fmt(args: argparse.Namespace) -> int:
    from graphfields.syntax.printer import format

    sel = _parse_or_report(_read_fields(args.fields))
    if sel is None:
        return 1
    _write(format(sel))
    return 0


def _add_ast(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ast", help="print the syntax tree of a fields string as JSON")
    p.add_argument("fields", help="the fields string, or - to read it from stdin")
    p.set_defaults(func=_cmd_ast)


def _cmd_ast(args: argparse.Namespace) -> int:
    from graphfields.syntax.ast import to_dict

    sel = _parse_or_report(_read_fields(args.fields))
    if sel is None:
        return 1
    _write(json.dumps(to_dict(sel), indent=2, ensure_ascii=False))
    return 0


def _port(text: str) -> int:
    """A TCP port, 0-65535 (0: the OS chooses); sockets would silently wrap larger ones."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_count = _int_at_least(0)


def _seconds(text: str) -> float:
    """A non-negative, finite number of seconds (``nan`` or ``inf`` would break the loader's
    sleep: every load failing, or one that never ends and holds up shutdown)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative, finite number of seconds, not {text}")
    return value


def _token(text: str) -> str:
    """A usable access token, by the API's own rule (:class:`graphfields.http.TokenChecker`)."""
    from graphfields.http import TokenChecker

    try:
        TokenChecker([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print a Schema as JSON (for check --schema-file)")
    p.add_argument("schema", metavar="MODULE:ATTR", help="the graphfields Schema to export")
    p.set_defaults(func=_cmd_schema)


def _cmd_schema(args: argparse.Namespace) -> int:
    from graphfields._schema_check import UsageError, load_schema

    try:
        schema = load_schema(args.schema)
    except UsageError as exc:
        print(f"graphfields schema: error: {exc}", file=sys.stderr)
        return 2
    _write(json.dumps(schema.to_json(), indent=2, ensure_ascii=False))
    return 0


def _database(text: str) -> str | Path:
    """A ``postgresql://`` URL as given (a path would fold its ``//``), else a SQLite path."""
    from graphfields.instagram.store import is_postgres_url

    return text if is_postgres_url(text) else Path(text)


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve", help="serve the reference Instagram API (needs graphfields[server])",
        description="Serve the reference Instagram API of the spec with uvicorn. Access tokens "
        "come from --token and $GRAPHFIELDS_TOKENS (comma-separated); with neither, one is "
        "generated and printed (--demo: the fixed 'demo-token').")
    p.add_argument("--demo", action="store_true",
                   help="synthetic data loader plus the spec's dataset; prints curl examples")
    p.add_argument("--data", type=Path, metavar="FILE", help="import a JSON dataset first")
    p.add_argument("--db", metavar="PATH|URL", type=_database,
                   help="a SQLite file (default: under $XDG_DATA_HOME or "
                   "~/.local/share/graphfields) or a postgresql://user@host/db URL")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--token", action="append", type=_token, default=[], metavar="T",
                   help="an accepted access token (repeatable)")
    p.add_argument("--threads", type=_count, metavar="N",
                   help="request threads: 0 answers on the event loop (no hand-off per "
                   "request: the default on SQLite), N a pool of N (default on PostgreSQL: "
                   "Python's, min(32, CPUs + 4))")
    p.add_argument("--demo-delay", type=_seconds, metavar="SECONDS",
                   help="simulated latency of the demo's synthetic loader")
    p.add_argument("--header-timeout", type=_seconds, default=30.0, metavar="SECONDS",
                   help="a request's line and headers must arrive within this time of the "
                   "connection opening or the previous answer, else 408 and close "
                   "(default 30; 0: no limit)")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                   help="server processes sharing the port and the database (default 1; "
                   "uvicorn's supervisor restarts one that dies)")
    p.add_argument("--loader", metavar="MODULE:ATTR",
                   help="the Loader that fetches missing and stale nodes (a class or instance)")
    p.add_argument("--loaders", type=_count, default=4, metavar="N",
                   help="load worker threads in this process (default 4; 0: leave the jobs "
                   "to `graphfields worker` processes)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_cmd_serve)


def _add_worker(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker", help="run the reference API's load jobs (beside `graphfields serve`)",
        description="Claim load jobs from the job table of a database that `graphfields "
        "serve` processes share, run the loader and write the nodes. Run as many as you "
        "like, on any machine that reaches the database.")
    p.add_argument("--db", required=True, type=_database, metavar="PATH|URL",
                   help="the SQLite file or postgresql:// URL the servers use")
    p.add_argument("--loader", metavar="MODULE:ATTR", help="the Loader (a class or instance)")
    p.add_argument("--demo", action="store_true", help="the demo's synthetic loader")
    p.add_argument("--demo-delay", type=_seconds, metavar="SECONDS",
                   help="simulated latency of the demo's synthetic loader")
    p.add_argument("--threads", type=_positive_int, default=1, metavar="N",
                   help="loads run at once (default 1)")
    p.add_argument("--lease", type=_seconds, metavar="SECONDS",
                   help="how long a claimed job is this worker's before another may take it "
                   "again, renewed while the load runs (default 30)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_cmd_worker)


def _cmd_worker(args: argparse.Namespace) -> int:
    from graphfields.instagram.serving import WorkerOptions, run_worker

    return run_worker(WorkerOptions(db=args.db, demo=args.demo, loader=args.loader,
                                    threads=args.threads, demo_delay=args.demo_delay,
                                    log_level=args.log_level, lease=args.lease))


def _cmd_serve(args: argparse.Namespace) -> int:
    from graphfields.instagram.serving import ServeOptions, run_server

    return run_server(ServeOptions(
        host=args.host, port=args.port, db=args.db, data=args.data, demo=args.demo,
        tokens=tuple(args.token), threads=args.threads, log_level=args.log_level,
        demo_delay=args.demo_delay, header_timeout=args.header_timeout,
        loader=args.loader, loaders=args.loaders, workers=args.workers))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphfields", description="Facebook-Graph-style field selection tools."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_check(sub)
    _add_fmt(sub)
    _add_ast(sub)
    _add_schema(sub)
    _add_serve(sub)
    _add_worker(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
