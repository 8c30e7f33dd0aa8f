"""The ``parsl-visualize`` command: Parsl's options, plus ``report`` for an offline HTML file.

::

    parsl-visualize [-p PORT] [-l ADDRESS] [-d] [DB_URL]
    parsl-visualize report RUN_ID -o run.html [DB_URL]

``DB_URL`` is an SQLAlchemy URL (``sqlite:///path/monitoring.db``,
``postgresql+psycopg://user@host/db``); by default the database that
MonitoringHub writes when run from the current directory.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from parsl.monitoring.visualization.database import DEFAULT_DB_URL, open_database
from parsl.monitoring.visualization.errors import VisualizationError

PROG = "parsl-visualize"


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Parsl visualization tool: a web view of a monitoring database. "
        f"Run '{PROG} report RUN_ID -o FILE [DB_URL]' for a self-contained HTML report.",
    )
    p.add_argument(
        "db_path",
        nargs="?",
        default=DEFAULT_DB_URL,
        help=f"database URL, e.g. sqlite:///<absolute_path_to_db> (default: {DEFAULT_DB_URL})",
    )
    p.add_argument(
        "-p",
        "--port",
        type=int,
        default=8080,
        help="port at which the web server listens (default: 8080)",
    )
    p.add_argument(
        "-l",
        "--listen",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 listens on all addresses)",
    )
    p.add_argument("-d", "--debug", action="store_true", help="enable debug logging")
    return p


def _report_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{PROG} report",
        description="Write one workflow's views as a single self-contained HTML file.",
    )
    p.add_argument("run_id", help="the workflow's run id (the workflows page lists them)")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.add_argument(
        "db_path",
        nargs="?",
        default=DEFAULT_DB_URL,
        help=f"database URL (default: {DEFAULT_DB_URL})",
    )
    p.add_argument("-d", "--debug", action="store_true", help="enable debug logging")
    return p


def _default_or(url: str) -> str:
    """The URL to open: as given; by default ``runinfo/monitoring.db``, else ``./monitoring.db``.

    The fallback covers running from inside ``runinfo/`` (as Parsl users
    sometimes do), when only ``monitoring.db`` is there.
    """
    if (
        url == DEFAULT_DB_URL
        and not os.path.exists(os.path.join("runinfo", "monitoring.db"))
        and os.path.isfile("monitoring.db")
    ):
        return "sqlite:///./monitoring.db"
    return url


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(argv: Sequence[str]) -> int:
    args = _serve_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is not a TCP port (0-65535)")
    from parsl.monitoring.visualization.server import VisualizeApp, create_server

    try:
        db = open_database(_default_or(args.db_path))
    except VisualizationError as e:
        return _fail(str(e))
    try:
        server = create_server(VisualizeApp(db), args.listen, args.port)
    except VisualizationError as e:  # a port in use: the database is let go too
        db.close()
        return _fail(str(e))
    where = f"http://{server.server_name_bound}:{server.server_port}/"
    print(f"{PROG}: serving {db.url} at {where} (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        db.close()
    return 0


def report(argv: Sequence[str]) -> int:
    args = _report_parser().parse_intermixed_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    from parsl.monitoring.visualization.report import write_report

    try:
        db = open_database(_default_or(args.db_path))
        try:
            path = write_report(db, args.run_id, args.output)
        finally:
            db.close()
    except VisualizationError as e:
        return _fail(str(e))
    print(f"{PROG}: wrote the report of {args.run_id} to {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``parsl-visualize`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "report":
        return report(args[1:])
    return serve(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
