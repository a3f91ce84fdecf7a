"""``graphfields serve``: open the store, print how to call it, run uvicorn, close cleanly.

Kept apart from :mod:`graphfields.cli` so the CLI stays a thin argument parser and this part
(the default database path, the demo banner with its ready-to-paste curl commands, the log
redaction) is testable on its own.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import unquote_plus

from graphfields.http import TOKENS_ENV, tokens_from_env
from graphfields.instagram.store import is_postgres_url

__all__ = [
    "DEMO_TOKEN",
    "ServeOptions",
    "WorkerOptions",
    "curl_examples",
    "default_db_path",
    "load_loader",
    "redact",
    "request_threads",
    "run_server",
    "run_worker",
]

DEMO_TOKEN = "demo-token"
"""The fixed token of ``--demo`` (the demo binds to loopback), so the README's curl works as is."""

SPEC_MEDIA = "1770093817144369706"
LONG_USER_FIELDS = (
    "id,username,media.first(1){edges{node{shortcode,created_time,timestamp,media_type,"
    "media_url,caption,tagged_user_media,tagged_user_text,tags,like_count,comment_count,"
    "video_view_count,location{id,name,slug,has_public_page},"
    "owner{id,username,full_name,profile_pic_url},"
    "comments.first(1){edges{node{id,parent_id,created_time,timestamp,text,"
    "owner{id,username,full_name,profile_pic_url}}}}}}}"
)


def new_username() -> str:
    """A username the demo's store has not seen (the demo database persists between runs),
    so the printed 202-then-200 example is true every time."""
    return f"demo_user_{secrets.token_hex(3)}"


def default_db_path(environ: Mapping[str, str] | None = None, *, demo: bool = False) -> Path:
    """``$XDG_DATA_HOME/graphfields/graphfields.sqlite3`` (``~/.local/share`` by default);
    the demo keeps its own file next to it so it never mixes with real data."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_DATA_HOME") or Path(env.get("HOME") or Path.home())
                / ".local" / "share")
    return base / "graphfields" / ("demo.sqlite3" if demo else "graphfields.sqlite3")


def curl_examples(base_url: str, token: str | None,
                  new_user: str | None = None) -> list[tuple[str, str]]:
    """(title, command) for the spec's examples; each command pastes into a POSIX shell.
    ``token`` None writes ``"access_token=$TOKEN"`` (a configured token is never printed).
    ``new_user`` is the not-yet-loaded user of the 202 example (default: a fresh name)."""
    new_user = new_user or new_username()
    auth = shlex.quote(f"access_token={token}") if token else '"access_token=$TOKEN"'

    def curl(path: str, fields: str, *extra: str) -> str:
        parts = ["curl", "-sG", f"{base_url}{path}",
                 "--data-urlencode", f"fields={fields}",
                 *[p for e in extra for p in ("--data-urlencode", e)], "-d"]
        return " ".join(shlex.quote(p) for p in parts) + " " + auth

    media = f"/instagram/media/{SPEC_MEDIA}"
    return [
        ("Media and its owner (spec section 9)",
         curl(media, "id,shortcode,created_time,owner{id,username}")),
        ("Media (spec section 7)", curl(media, "id,shortcode,created_time,media_url")),
        ("Media's owner", curl(media, "id,shortcode,created_time,media_url,"
                                      "owner{id,username,profile_pic_url}")),
        ("First comment and its owner", curl(
            media, "id,shortcode,created_time,owner{id,username},"
                   "comments.first(1){edges{node{id,text,owner{id,username}}}}")),
        ("Tag #juice", curl("/instagram/tag/juice",
                            "id,media_count,profile_pic_url,last_update,is_being_updated")),
        ("User spacex, the long request of section 3", curl("/instagram/user/spacex",
                                                            LONG_USER_FIELDS)),
        ("Tag #photography, posts 1 to 3 (section 8)", curl(
            "/instagram/tag/photography",
            "id,media.first(3){page_info{has_next_page,start_cursor,end_cursor},edges{node{id}}}")),
        ("... posts 4 to 6, after the end_cursor above", curl(
            "/instagram/tag/photography",
            'id,media.first(3).after("YXJyYXljb25uZWN0aW9uOjI=")'
            "{page_info{has_next_page,start_cursor,end_cursor},edges{node{id}}}")),
        ("User spacex's posts of a date range (filters)", curl(
            "/instagram/user/spacex", "id,media.first(5){edges{node{id,created_time}}}",
            "from_date=2019-01-01", "to_date=2019-12-31")),
        ("A user not loaded yet: run it twice - 202 RequestAccepted, then 200 ok",
         curl(f"/instagram/user/{new_user}",
              "id,username,full_name,last_update,is_being_updated")),
        ("An invalid request (400, with a suggestion)", curl(media, "id_")),
    ]


_QUERY = re.compile(r"\?(\S*)")
_SEPARATORS = re.compile(r"([&;])")


def redact(text: str) -> str:
    """Hide access tokens in a logged request line or target.

    Every spelling a client may use is masked: the name compared decoded and in any case
    (``access%5Ftoken=...`` is a valid token to the handler), after ``&`` or ``;``
    (``?fields=id;access_token=T`` is one ``fields`` value to the handler, but still a
    token), and the value up to the next separator whatever it holds (a ``"`` too). A
    piece that mentions ``access_token`` anywhere (``access_token%3DT``, a token pasted
    into ``fields``) keeps only its name: ``name=***``, or ``***`` without ``=``.
    """

    def mask(m: re.Match[str]) -> str:
        pieces = _SEPARATORS.split(m.group(1))
        for i in range(0, len(pieces), 2):
            piece = pieces[i]
            if "access_token" in unquote_plus(piece, errors="replace").lower():
                name, eq, _ = piece.partition("=")
                pieces[i] = f"{name}=***" if eq else "***"
        return "?" + "".join(pieces)

    return _QUERY.sub(mask, text)


class _RedactTokens(logging.Filter):
    """uvicorn's access log prints the whole query string; tokens must not reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Everything ``graphfields serve`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: str | Path | None = None
    data: Path | None = None
    demo: bool = False
    tokens: Sequence[str] = ()
    threads: int | None = None
    """Request threads: ``0`` answers on the event loop; ``None`` (the default) picks by
    database, :func:`request_threads`."""
    log_level: str = "info"
    demo_delay: float | None = None
    header_timeout: float = 30.0
    loader: str | None = None
    loaders: int = 4
    workers: int = 1


def _resolve_tokens(opts: ServeOptions, environ: Mapping[str, str]) -> tuple[list[str], str]:
    tokens = [*opts.tokens, *tokens_from_env(environ)]
    if tokens:
        return tokens, "given"
    if opts.demo:
        return [DEMO_TOKEN], "demo"
    return [secrets.token_urlsafe(24)], "generated"


def _banner(opts: ServeOptions, db: str | Path, tokens: list[str], origin: str) -> str:
    from graphfields.instagram.store import describe

    base = f"http://{_url_host(opts.host)}:{opts.port}"
    lines = [f"graphfields: serving the reference Instagram API on {base}",
             f"  database: {describe(db)}"]
    if opts.data:
        lines.append(f"  imported: {opts.data}")
    if origin == "given":
        lines.append(f"  access tokens: {len(tokens)} configured (--token / ${TOKENS_ENV})")
    else:
        label = "demo" if origin == "demo" else "generated for this run"
        lines.append(f"  access token ({label}): {tokens[0]}")
    shown = None if origin == "given" else tokens[0]
    if opts.demo:
        lines += ["", "Try the spec's examples (append | python3 -m json.tool to pretty-print):"]
        if shown is None:
            lines.append("(first: export TOKEN=<one of your tokens>)")
        for title, cmd in curl_examples(base, shown):
            lines += ["", f"# {title}", cmd]
    elif origin != "given":
        lines += ["", "Example:", curl_examples(base, shown)[0][1]]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _is_loopback(host: str) -> bool:
    return host in {"127.0.0.1", "localhost", "::1"} or host.startswith("127.")


def run_server(opts: ServeOptions, *, environ: Mapping[str, str] | None = None,
               out: TextIO | None = None) -> int:
    """Run until Ctrl-C or SIGTERM; 0 after a clean stop, 1 on bad input or a busy port,
    2 without uvicorn. The banner (with the real port) is printed once the port is bound."""
    out = out or sys.stdout
    env = os.environ if environ is None else environ
    try:
        import uvicorn
    except ImportError:
        print("graphfields serve needs the server extra (uvicorn): "
              "pip install 'graphfields[server]'", file=sys.stderr)
        return 2

    from graphfields.errors import GraphFieldsError
    from graphfields.instagram.app import create_asgi_app
    from graphfields.instagram.protocol import configure as configure_protocol
    from graphfields.instagram.service import create_service

    tokens, origin = _resolve_tokens(opts, env)
    if opts.demo and origin == "demo" and not _is_loopback(opts.host):
        print(f"warning: the fixed demo token {DEMO_TOKEN!r} is public; pass --token when "
              f"serving on {opts.host}", file=sys.stderr)
    try:
        sock = _listen(opts.host, opts.port)
    except OSError as exc:
        print(f"graphfields serve: cannot listen on {opts.host}:{opts.port}: {exc}",
              file=sys.stderr)
        return 1
    with sock:
        opts = replace(opts, port=sock.getsockname()[1])  # --port 0: the port the OS chose
        db = opts.db or default_db_path(env, demo=opts.demo)
        try:  # create_service opens the store (StoreError) and makes a SQLite file's folder
            loader = None if opts.loader is None else load_loader(opts.loader)
            threads = request_threads(opts.threads, db)
            # On the event loop a request must never wait for a write: loads are queued
            # by the service's own thread then.
            service = create_service(db=db, data_file=opts.data, demo=opts.demo,
                                     demo_delay=opts.demo_delay, loader=loader,
                                     workers=opts.loaders, background_enqueue=threads == 0)
        except (GraphFieldsError, OSError, ValueError) as exc:
            print(f"graphfields serve: {exc}", file=sys.stderr)
            return 1
        if opts.workers > 1:  # the data is imported: the processes only open the store
            service.close()
            print(_banner(opts, db, tokens, origin), file=out, flush=True)
            return _run_processes(opts, db, tokens, sock)
        close = _once(service.close)
        app = create_asgi_app(service, tokens=tokens, max_workers=threads,
                              close_on_shutdown=False)
        app.on_shutdown = close
        logging.basicConfig(level=logging.INFO,
                            format="%(levelname)s:     %(name)s: %(message)s")
        config = uvicorn.Config(app, log_level=opts.log_level, lifespan="on",
                                server_header=False, access_log=access_log(opts.log_level))
        # A request's headers must arrive in time, and HTTP/0.9 is answered (protocol.py).
        configure_protocol(config, opts.header_timeout)
        server = uvicorn.Server(config)
        logging.getLogger("uvicorn.access").addFilter(_RedactTokens())
        print(_banner(opts, db, tokens, origin), file=out, flush=True)
        previous = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    return 0 if server.started else 1


_CHILD_ENV = "GRAPHFIELDS_SERVE_PROCESS"
"""How ``serve --workers N`` hands its options to the processes uvicorn spawns."""


def _run_processes(opts: ServeOptions, db: str | Path, tokens: list[str],
                   sock: socket.socket) -> int:
    """``serve --workers N``: uvicorn's own supervisor spawns N server processes on the one
    bound socket (the kernel spreads connections over them) and starts a new one when one
    dies; each process opens the shared store itself and runs its own load threads."""
    import json

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[_CHILD_ENV] = json.dumps({
        "db": str(db), "demo": opts.demo, "demo_delay": opts.demo_delay,
        "loader": opts.loader, "loaders": opts.loaders, "threads": opts.threads,
        "tokens": tokens})
    config = uvicorn.Config("graphfields.instagram.serving:process_app", factory=True,
                            workers=opts.workers, log_level=opts.log_level, lifespan="on",
                            server_header=False, access_log=access_log(opts.log_level))
    from graphfields.instagram.protocol import configure as configure_protocol

    configure_protocol(config, opts.header_timeout)  # the same deadline in every process
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        os.environ.pop(_CHILD_ENV, None)
    return 0


def process_app() -> Any:
    """The application of one ``serve --workers N`` process (uvicorn calls it there)."""
    import json

    from graphfields.instagram.app import create_asgi_app
    from graphfields.instagram.service import create_service

    opts = json.loads(os.environ[_CHILD_ENV])
    logging.getLogger("uvicorn.access").addFilter(_RedactTokens())
    loader = _loader(opts["loader"], opts["demo"], opts["demo_delay"])
    db = opts["db"]
    threads = request_threads(opts["threads"], db)
    service = create_service(db=db if is_postgres_url(db) else Path(db), loader=loader,
                             workers=opts["loaders"], background_enqueue=threads == 0)
    return create_asgi_app(service, tokens=opts["tokens"], max_workers=threads)


def access_log(log_level: str) -> bool:
    """Whether uvicorn keeps an access log: only at a level that prints it (``info``,
    ``debug``). Above it every line would be dropped, but uvicorn would still format each
    request's path and query for the line, a few microseconds a request."""
    return log_level.lower() in ("info", "debug", "trace")


def request_threads(threads: int | None, db: str | Path) -> int | None:
    """The request thread pool size ``ASGIApp(max_workers=)`` gets: ``threads`` as given,
    else 0 on SQLite (requests answered on the event loop: the store's reads never wait,
    WAL readers do not wait for the writer, the one write a request can cause, queueing a
    load, is made by the service's own thread, and the hop to a pool thread per request
    halved the requests/second; see the README) and Python's default pool on PostgreSQL
    (each read is a network round trip that the pool overlaps)."""
    if threads is not None:
        return threads
    return None if is_postgres_url(db) else 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind before anything else, so a busy port is a one-line error and ``--port 0`` works."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal it caught once it has shut down; stop like Ctrl-C.
    raise KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    lock = threading.Lock()
    done = False

    def call() -> None:
        nonlocal done
        with lock:
            if done:
                return
            done = True
        fn()

    return call


def load_loader(spec: str) -> Any:
    """The :class:`~graphfields.instagram.loader.Loader` ``MODULE:ATTR`` names (a class or
    factory is called with no arguments). Raises :class:`ValueError` saying what is wrong."""
    import importlib

    module_name, _, attr = spec.partition(":")
    if not module_name or not attr or not all(
            p.isidentifier() for p in [*module_name.split("."), *attr.split(".")]):
        raise ValueError(f'--loader expects MODULE:ATTR (e.g. "myapp.load:Loader"), got "{spec}"')
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            value = getattr(value, part)
        loader = value() if callable(value) and not hasattr(value, "load_user") else value
        if isinstance(loader, type):
            loader = loader()
    except (Exception, SystemExit) as exc:
        raise ValueError(f'cannot load the loader "{spec}": {type(exc).__name__}: {exc}') \
            from None
    missing = [m for m in ("load_media", "load_user", "load_tag") if not hasattr(loader, m)]
    if missing:
        raise ValueError(f'"{spec}" is not a Loader: it has no {", ".join(missing)}')
    return loader


def _loader(spec: str | None, demo: bool, demo_delay: float | None) -> Any:
    """The loader ``--loader`` names, else the demo's synthetic one with ``--demo``, else
    ``None``."""
    if spec is not None:
        return load_loader(spec)
    if demo:
        from graphfields.instagram.synthetic import SyntheticLoader

        return SyntheticLoader() if demo_delay is None else SyntheticLoader(delay=demo_delay)
    return None


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """Everything ``graphfields worker`` was asked for."""

    db: str | Path
    demo: bool = False
    loader: str | None = None
    threads: int = 1
    demo_delay: float | None = None
    log_level: str = "info"
    lease: float | None = None


def run_worker(opts: WorkerOptions, *, stop: threading.Event | None = None) -> int:
    """Run load jobs from the job table of ``opts.db`` until Ctrl-C or SIGTERM (or
    ``stop``); 0 after a clean stop, 1 on bad input (no loader, a database that cannot
    be opened). Running loads finish first; a killed worker's jobs are taken again by
    another worker once their lease lapses."""
    from graphfields.errors import GraphFieldsError
    from graphfields.instagram.jobs import JobQueue
    from graphfields.instagram.store import describe, open_store
    from graphfields.instagram.worker import Worker

    try:
        loader = _loader(opts.loader, opts.demo, opts.demo_delay)
    except ValueError as exc:
        print(f"graphfields worker: {exc}", file=sys.stderr)
        return 1
    if loader is None:
        print("graphfields worker: give --loader MODULE:ATTR (or --demo for the synthetic "
              "loader)", file=sys.stderr)
        return 1
    try:
        store = open_store(opts.db)
    except (GraphFieldsError, OSError) as exc:
        print(f"graphfields worker: {exc}", file=sys.stderr)
        return 1
    if not isinstance(store, JobQueue):  # pragma: no cover - both stores have one
        print("graphfields worker: this store has no job table", file=sys.stderr)
        return 1
    logging.basicConfig(level=opts.log_level.upper(),
                        format="%(levelname)s:     %(name)s: %(message)s")
    stop = stop or threading.Event()
    from graphfields.instagram.freshness import Freshness

    freshness = Freshness() if opts.lease is None else Freshness(load_lease=opts.lease)
    worker = Worker(store, store, loader, freshness=freshness)
    threads = [threading.Thread(target=worker.run, args=(stop,), name=f"graphfields-load-{n}")
               for n in range(opts.threads)]
    previous = None
    if _main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    print(f"graphfields worker: running load jobs of {describe(opts.db)} "
          f"({opts.threads} thread{'s' if opts.threads != 1 else ''})", flush=True)
    try:
        for t in threads:
            t.start()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join()
        store.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
